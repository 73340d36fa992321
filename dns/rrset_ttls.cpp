#include "rrset_ttls.hpp"

#include <algorithm>
#include <functional>
#include <string_view>

#include "rewrite.hpp"

namespace consolegate::dns {
namespace {

// unbound's rrset_trust (util/data/packed_rrset.h), the values get_rrset_trust gives a forwarded
// answer's RRsets (util/data/msgreply.c). Every answer-section RRset counts as the first of its
// answer: unbound asks again for each link of a CNAME chain (scrub_sanitize keeps only the
// first), so each RRset of a chain came to it as the answer to its own question.
constexpr int add_no_aa = 1, auth_no_aa = 2, add_aa = 3, ans_no_aa = 5, auth_aa = 7, ans_aa = 8;

int trust_of(int section, bool aa) {
    switch (section) {
        case 0: return aa ? ans_aa : ans_no_aa;
        case 1: return aa ? auth_aa : auth_no_aa;
        default: return aa ? add_aa : add_no_aa;
    }
}

struct group {
    std::string key;  // owner (lowercased), type, class, SOA-in-authority flag
    int section = 0;
    std::uint16_t type = 0;
    wire_name owner;
    std::uint64_t digest = 0;
    std::uint64_t digest_ci = 0;            // the same with the names in it lowercased
    std::vector<std::size_t> ttls;          // offsets of the TTLs of its records and their RRSIGs
    std::vector<std::uint8_t> link_target;  // a CNAME's or DNAME's target, whole
    bool has_rrsig = false;
};

// The key an RRset is held under: its owner (lowercased), type, class and whether it is an SOA
// in the authority section, held apart from the zone's SOA as an answer (unbound's
// PACKED_RRSET_SOA_NEG, util/data/msgparse.c pkt_rrset_flags).
std::string key_of(std::span<const std::uint8_t> owner, std::uint16_t type, std::uint16_t cls,
                   bool negative_soa) {
    std::string key(owner.begin(), owner.end());
    key.push_back(static_cast<char>(type >> 8));
    key.push_back(static_cast<char>(type));
    key.push_back(static_cast<char>(cls >> 8));
    key.push_back(static_cast<char>(cls));
    key.push_back(negative_soa ? 1 : 0);
    return key;
}

constexpr std::uint16_t dname_type = 39;

// The RRsets of `a` as unbound holds them, with the digest of their data; false when `a` is not
// to be held (truncated upstream: unbound does not cache it) or does not read.
bool collect(const cached_answer& a, std::vector<group>& groups,
             std::vector<std::uint8_t>& scratch) {
    const std::span<const std::uint8_t> msg(a.wire);
    if (msg.size() < header_size || (get16(&msg[2]) & flag::tc)) return false;
    std::size_t question_end = 0, end = 0;
    std::vector<rr_ref> rrs;
    if (!read_answer_records(msg, question_end, end, rrs)) return false;
    for (const auto& rr : rrs) {
        const int s = rr.section;
        wire_name owner;
        std::size_t at = rr.owner;
        read_name(msg, at, &owner);  // read whole by read_records
        lowercase(owner);
        if (rr.type == rr_type::rrsig) {
            // Held with the RRset it covers (unbound keeps signatures inside the RRset).
            if (rr.rdlen < 2) continue;
            const std::uint16_t covered = get16(&msg[rr.rdata]);
            for (auto g = groups.rbegin(); g != groups.rend(); ++g) {
                if (g->section == s && g->type == covered &&
                    names_equal_ci(g->owner.view(), owner.view())) {
                    g->ttls.push_back(rr.ttl_at);
                    g->has_rrsig = true;
                    break;
                }
            }
            continue;
        }
        const std::uint16_t type = rr.type;
        const std::uint16_t cls = get16(&msg[rr.ttl_at - 2]);
        std::string key = key_of(owner.view(), type, cls, type == rr_type::soa && s == 1);
        if (groups.empty() || groups.back().section != s || groups.back().key != key) {
            groups.push_back({std::move(key), s, type, owner, 0, 0, {}, {}, false});
        }
        auto& g = groups.back();
        if ((type == dname_type || type == rr_type::cname) && g.link_target.empty()) {
            wire_name target;
            std::size_t t = rr.rdata;
            if (!read_name(msg, t, &target)) return false;
            g.link_target.assign(target.view().begin(), target.view().end());
        }
        // The data as unbound compares it (rrsetdata_equal: in order, byte for byte), the
        // names in it written whole so compression does not tell two copies apart.
        scratch.resize(65537);
        writer w(scratch);
        if (!write_rdata_whole(w, msg, type, rr.rdata, rr.rdlen)) return false;
        const std::string_view bytes(reinterpret_cast<const char*>(scratch.data()), w.size());
        g.digest = (g.digest ^ std::hash<std::string_view>{}(bytes)) * 1099511628211u;
        // (Names in another case are other data to unbound, which keeps the spelling of the
        // query that brought them; the same RRset to the cached answers showing it.)
        if (const auto names = compressible(type); names.names > 0 && names.skip <= rr.rdlen) {
            std::size_t pos = 2 + names.skip;  // past RDLENGTH and the fixed fields
            for (int k = 0; k < names.names && pos < w.size(); ++k, ++pos) {
                for (; pos < w.size() && scratch[pos] != 0; pos += 1u + scratch[pos]) {
                    for (std::size_t c = pos + 1; c <= pos + scratch[pos] && c < w.size(); ++c)
                        scratch[c] = ascii_lower(scratch[c]);
                }
            }
        }
        g.digest_ci = (g.digest_ci ^ std::hash<std::string_view>{}(bytes)) * 1099511628211u;
        g.ttls.push_back(rr.ttl_at);
    }
    return true;
}

}  // namespace

void rrset_ttls::apply(cached_answer& a, std::uint64_t now_s, bool refresh) {
    if (max_ == 0) return;
    const bool aa = a.wire.size() >= header_size && (get16(&a.wire[2]) & flag::aa) != 0;
    std::vector<group> groups;
    if (!collect(a, groups, scratch_)) return;
    // A DS question is not followed through a CNAME held (the parent answers it: dns_cache_lookup
    // skips the CNAME for DS), so its answer brings the CNAME anew.
    std::size_t qend = header_size;
    const bool asked_ds = read_name(a.wire, qend, nullptr) && a.wire.size() >= qend + 2 &&
                          get16(&a.wire[qend]) == rr_type::ds;
    for (const auto& g : groups) {
        std::uint32_t ttl = UINT32_MAX;
        for (const auto at : g.ttls) ttl = std::min(ttl, get32(&a.wire[at]));
        const int trust = trust_of(g.section, aa);
        const auto found = held_.find(g.key);
        if (found != held_.end()) {
            const auto& h = found->second;
            // unbound's need_to_update_rrset, without the DNSSEC statuses (no validator here):
            // the new copy replaces a less trusted, an expired, or an equally trusted but
            // different one; otherwise the held one stays, and is what goes out when the data
            // is the same.
            // A CNAME or DNAME held is never asked for again: unbound follows a chain through
            // the links it holds (services/cache/dns.c dns_cache_lookup), so one that comes back
            // spelt otherwise is the held one still, except a CNAME in the answer to DS;
            // anything else came anew, and another spelling is other data.
            const bool link = (g.type == rr_type::cname && !asked_ds) || g.type == dname_type;
            const bool same = link ? g.digest_ci == h.digest_ci : g.digest == h.digest;
            const bool replace =
                refresh || trust > h.trust || h.expires_s < now_s || (trust == h.trust && !same);
            if (!replace) {
                if (same) {
                    const auto left = static_cast<std::uint32_t>(h.expires_s - now_s);
                    for (const auto at : g.ttls) put32(&a.wire[at], left);
                }
                continue;
            }
            if (g.type == rr_type::ns && !refresh && trust == h.trust && h.expires_s >= now_s) {
                // An NS RRset of other data (its names spelt otherwise: nsd compresses them
                // against each question's spelling) replaces the held one but keeps its TTL, so
                // a delegation does not stick by changing (need_to_update_rrset). The answer
                // that brought it goes out as it came (dns_cache_store holds a copy); what is
                // cached of it shows the TTL held (restamp_held).
                ttl = std::min(ttl, static_cast<std::uint32_t>(h.expires_s - now_s));
                restamp_ = true;
            }
            // Cached answers holding the RRset show the new copy from now on (show_held): only
            // one with the same data changes what they show, so other data (an upstream that
            // rotates its RRsets sends them in another order each time) costs no hit a re-read.
            if (h.expires_s >= now_s && g.digest_ci == h.digest_ci) ++generation_;
            found->second = {now_s + ttl, g.digest, g.digest_ci, trust, g.link_target, g.has_rrsig};
            continue;
        }
        make_room(now_s);
        held_.emplace(g.key,
                      held{now_s + ttl, g.digest, g.digest_ci, trust, g.link_target, g.has_rrsig});
    }
    if (a.lifetime != 0) {
        std::uint32_t shortest = UINT32_MAX;
        for (const auto at : a.ttl_offsets) shortest = std::min(shortest, get32(&a.wire[at]));
        if (shortest != UINT32_MAX) a.lifetime = shortest;
    }
}

void rrset_ttls::show_held(cached_answer& a, std::uint64_t stored_s) {
    std::vector<group> groups;
    if (max_ == 0 || !collect(a, groups, scratch_)) return;
    for (const auto& g : groups) {
        const auto found = held_.find(g.key);
        if (found == held_.end() || found->second.digest_ci != g.digest_ci ||
            found->second.expires_s < stored_s) {
            continue;
        }
        const auto ttl = static_cast<std::uint32_t>(
            std::min<std::uint64_t>(found->second.expires_s - stored_s, UINT32_MAX));
        for (const auto at : g.ttls) put32(&a.wire[at], ttl);
    }
    a.held_generation = generation_;
}

std::optional<held_dname> rrset_ttls::dname_above(const wire_name& qname,
                                                  std::uint64_t now_s) const {
    const auto fresh = [&](const std::string& key) -> const held* {
        const auto found = held_.find(key);
        return found != held_.end() && found->second.expires_s >= now_s ? &found->second : nullptr;
    };
    if (qname.size < 2 || !fresh(key_of(qname.view(), rr_type::cname, class_in, false))) {
        return std::nullopt;
    }
    // From the parent up (find_closest_of_type strips the first label: a DNAME redirects the
    // names below its owner only).
    for (std::size_t off = 1u + qname.bytes[0]; off < qname.size; off += 1u + qname.bytes[off]) {
        const auto owner = qname.view().subspan(off);
        const held* h = fresh(key_of(owner, dname_type, class_in, false));
        if (!h || h->link_target.empty()) continue;
        held_dname d;
        d.owner.size = owner.size();
        std::copy(owner.begin(), owner.end(), d.owner.bytes.begin());
        d.target.size = h->link_target.size();
        std::copy(h->link_target.begin(), h->link_target.end(), d.target.bytes.begin());
        d.ttl =
            static_cast<std::uint32_t>(std::min<std::uint64_t>(h->expires_s - now_s, UINT32_MAX));
        d.has_rrsig = h->has_rrsig;
        return d;
    }
    return std::nullopt;
}

std::optional<rrset_ttls::held_link> rrset_ttls::cname_of(const wire_name& qname,
                                                          std::uint64_t now_s) const {
    const auto found = held_.find(key_of(qname.view(), rr_type::cname, class_in, false));
    if (found == held_.end() || found->second.expires_s < now_s) return std::nullopt;
    const auto& t = found->second.link_target;
    if (t.empty() || t.size() > max_name_size) return std::nullopt;
    held_link l;
    l.target.size = t.size();
    std::copy(t.begin(), t.end(), l.target.bytes.begin());
    l.ttl = static_cast<std::uint32_t>(
        std::min<std::uint64_t>(found->second.expires_s - now_s, UINT32_MAX));
    l.has_rrsig = found->second.has_rrsig;
    return l;
}

void rrset_ttls::make_room(std::uint64_t now_s) {
    if (held_.size() < max_) return;
    std::erase_if(held_, [now_s](const auto& kv) { return kv.second.expires_s < now_s; });
    if (held_.size() > max_ / 4 * 3) held_.clear();
}

}  // namespace consolegate::dns
