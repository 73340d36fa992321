#include "answer.hpp"

#include <algorithm>
#include <cstring>

#include "rewrite.hpp"

namespace consolegate::dns {
namespace {

// unbound's NORR_TTL (util/data/msgparse.h): how long an answer without any record is cached.
constexpr std::uint32_t norr_ttl = 5;

std::uint32_t clamp_ttl(std::uint32_t ttl, const ttl_limits& l) {
    // RFC 2181 §8: a TTL with the top bit set is read as zero.
    if (ttl & 0x80000000u) ttl = 0;
    return std::clamp(ttl, l.min_ttl, std::max(l.min_ttl, l.max_ttl));
}

// Replaces the answer with the CNAME chain up to `chain_len` links and the gateway's own records
// for the steered target, so an alias never leaks the real console address (DESIGN: no leaks).
bool rewrite_chain(const query& q, const policy& p, std::span<const std::uint8_t> msg,
                   const std::vector<rr_ref>& chain, const wire_name& target, cached_answer& out) {
    std::vector<std::uint8_t> buf(65535);
    writer w(buf);
    const std::uint16_t upstream_flags = get16(&msg[2]);
    const auto n = steered_count(q, p.target);
    const std::size_t naddr = n.ipv4 + n.ipv6;
    w.u16(0);
    w.u16(static_cast<std::uint16_t>(upstream_flags &
                                     ~(flag::rcode_mask | flag::tc | flag::aa | flag::ad)));
    w.u16(1);
    w.u16(static_cast<std::uint16_t>(chain.size() + naddr));
    w.u16(0);
    w.u16(0);
    w.bytes(q.qname_lower.view());
    w.u16(q.qtype);
    w.u16(q.qclass);
    out.ttl_offsets.clear();
    std::uint32_t lifetime = p.target.ttl;
    bool first = true;
    for (const auto& rr : chain) {
        wire_name owner, cname;
        std::size_t o = rr.owner;
        std::size_t t = rr.rdata;
        if (!read_name(msg, o, &owner) || !read_name(msg, t, &cname)) return false;
        if (first) {
            w.u16(0xc000 | header_size);  // the question: rendered in the client's spelling
        } else {
            w.bytes(owner.view());
        }
        first = false;
        w.u16(rr_type::cname);
        w.u16(class_in);
        const std::uint32_t ttl = get32(&msg[rr.ttl_at]);
        lifetime = std::min(lifetime, ttl & 0x80000000u ? 0u : ttl);
        out.ttl_offsets.push_back(static_cast<std::uint16_t>(w.size()));
        w.u32(ttl);
        w.u16(static_cast<std::uint16_t>(cname.size));
        w.bytes(cname.view());
    }
    for (std::size_t i = 0; i < naddr; ++i) {
        w.bytes(target.view());
        const auto ttl_at = write_steered_address(w, p.target, n, i);
        out.ttl_offsets.push_back(static_cast<std::uint16_t>(ttl_at));
    }
    if (!w.ok()) return false;
    buf.resize(w.size());
    for (auto off : out.ttl_offsets) put32(&buf[off], std::min(get32(&buf[off]), lifetime));
    out.wire = std::move(buf);
    out.lifetime = lifetime;
    out.steered_rewrite = true;
    return true;
}

// How many sections (1: the answer alone, 2: with the authority, 3: all) a forwarded answer keeps,
// as unbound's minimal-responses (on by default) shapes what its clients see (util/data/
// msgencode.c, reply_info_encode): a positive answer (NOERROR, a record of the type asked in
// the answer section, the type not NS, no NSEC or NSEC3 in the authority section proving a
// wildcard) is the answer section alone; a negative one (NXDOMAIN, or NOERROR with an empty
// answer section and an SOA, or no NS, in the authority section) drops the additional section.
// A referral, an NS answer, ANY and a CNAME chain ending in NODATA keep everything. Upstreams
// that add NS and glue to every answer (nsd's default) would otherwise show through.
int minimal_sections(const std::vector<rr_ref>& rrs, std::uint8_t rc, std::uint16_t qtype) {
    if (rc == rcode::nxdomain) return 2;
    if (rc != rcode::noerror) return 3;
    const auto in = [&](int section, auto pred) {
        return std::any_of(rrs.begin(), rrs.end(),
                           [&](const rr_ref& rr) { return rr.section == section && pred(rr); });
    };
    const auto any = [](const rr_ref&) { return true; };
    if (in(0, any)) {
        const bool positive = qtype != rr_type::ns &&
                              in(0, [&](const rr_ref& rr) { return rr.type == qtype; }) &&
                              !in(1, [](const rr_ref& rr) {
                                  return rr.type == rr_type::nsec || rr.type == rr_type::nsec3;
                              });
        return positive ? 1 : 3;
    }
    const bool soa = in(1, [](const rr_ref& rr) { return rr.type == rr_type::soa; });
    const bool ns = in(1, [](const rr_ref& rr) { return rr.type == rr_type::ns; });
    return soa || !ns ? 2 : 3;
}

// What a DO=0 client is not sent (unbound, rrset_belongs_in_reply; insert_section sends every
// type in the answer to ANY).
bool dnssec_only(std::uint16_t type, int section, std::uint16_t qtype) {
    if (section == 0 && qtype == rr_type::any) return false;
    switch (type) {
        case rr_type::rrsig: return !(section == 0 && qtype == rr_type::rrsig);
        case 24:  // SIG
        case 25:  // KEY
        case 30:  // NXT
        case rr_type::ds:
        case rr_type::nsec:
        case rr_type::dnskey:
        case rr_type::nsec3:
        case 51:  // NSEC3PARAM
            return !(section == 0 && (qtype == type || qtype == rr_type::any));
        default: return false;
    }
}

// Fills a.cuts, a.rotatable and a.byte_rotations from a.wire (a message whose records all read:
// normalize_answer checked them).
void find_cuts(cached_answer& a) {
    const std::span<const std::uint8_t> msg(a.wire);
    a.cuts.clear();
    a.byte_rotations.clear();
    a.rotatable = false;
    std::size_t off = header_size;
    if (!read_name(msg, off, nullptr)) return;
    off += 4;
    std::array<std::uint16_t, 3> counts{};
    a.cuts.push_back({static_cast<std::uint32_t>(off), counts});
    // The RRset being read: where it starts, its records, and whether its records' bytes can be
    // moved as they are (each owner the same one pointer as the first record's, RDATA without
    // names the encoder compresses: written again in any order, each record is the same bytes).
    std::size_t run_at = off;
    std::uint16_t run_count = 0;
    std::uint16_t run_type = 0;
    bool run_as_bytes = false;
    bool all_as_bytes = true;
    const auto end_run = [&](std::size_t end) {
        if (run_count < 2 || run_type == rr_type::rrsig) return;
        a.rotatable = true;  // unbound rotates its records (rr_offset_for)
        if (!run_as_bytes) {
            all_as_bytes = false;
            return;
        }
        a.byte_rotations.push_back(
            {static_cast<std::uint32_t>(run_at), static_cast<std::uint32_t>(end), run_count});
    };
    wire_name last;
    std::uint32_t last_type_class = 0;
    for (int s = 0; s < 3; ++s) {
        for (std::uint16_t i = 0; i < get16(&msg[6 + 2 * s]); ++i) {
            wire_name owner;
            const std::size_t start = off;
            if (!read_name(msg, off, &owner) || msg.size() - off < 10) {
                a.byte_rotations.clear();
                return;
            }
            const std::uint32_t type_class = get32(&msg[off]);
            const bool pointer = off - start == 2;
            // A new RRset: another section, owner, type or class than the record before.
            if (counts[s] == 0 || type_class != last_type_class ||
                !names_equal_ci(owner.view(), last.view())) {
                if (counts[s] != 0) {
                    end_run(start);
                    a.cuts.push_back({static_cast<std::uint32_t>(start), counts});
                }
                run_at = start;
                run_count = 0;
                run_type = static_cast<std::uint16_t>(type_class >> 16);
                run_as_bytes = pointer && compressible(type_class >> 16).names == 0;
            } else if (!pointer || get16(&msg[start]) != get16(&msg[run_at])) {
                run_as_bytes = false;
            }
            ++run_count;
            last = owner;
            last_type_class = type_class;
            off += 10u + get16(&msg[off + 8]);
            ++counts[s];
        }
        if (counts[s] != 0) {
            end_run(off);
            a.cuts.push_back({static_cast<std::uint32_t>(off), counts});
        }
    }
    if (!all_as_bytes) a.byte_rotations.clear();
}

// Fills a.ttl_offsets and a.cuts from a.wire, a message written again record by record whose
// question ends at `question_end`.
bool index_records(cached_answer& a, std::size_t question_end) {
    // Where the TTLs are: after each owner name, its type and class.
    const std::span<const std::uint8_t> w(a.wire);
    a.ttl_offsets.clear();
    std::size_t off = question_end;
    for (int s = 0; s < 3; ++s) {
        for (std::uint16_t i = 0; i < get16(&w[6 + 2 * s]); ++i) {
            if (!read_name(w, off, nullptr) || w.size() - off < 10) return false;
            a.ttl_offsets.push_back(static_cast<std::uint16_t>(off + 4));
            off += 10u + get16(&w[off + 8]);
        }
    }
    find_cuts(a);
    return true;
}

// The order unbound sends the records `rrs` of a message in: the records of each RRset (a run of
// one section, owner, type and class; RRSIGs apart, never rotated) from `rr_offset` modulo their
// count on. False when that is the order they are in.
bool rotated_order(std::span<const std::uint8_t> msg, std::vector<rr_ref>& rrs,
                   std::uint64_t rr_offset) {
    bool moved = false;
    for (std::size_t i = 0; i < rrs.size();) {
        wire_name owner, next;
        std::size_t o = rrs[i].owner;
        if (!read_name(msg, o, &owner)) return false;
        const auto class_of = [&](const rr_ref& rr) { return get16(&msg[rr.ttl_at - 2]); };
        std::size_t end = i + 1;
        for (; end < rrs.size(); ++end) {
            const auto& rr = rrs[end];
            o = rr.owner;
            if (rr.section != rrs[i].section || rr.type != rrs[i].type ||
                class_of(rr) != class_of(rrs[i]) || !read_name(msg, o, &next) ||
                !names_equal_ci(next.view(), owner.view())) {
                break;
            }
        }
        const std::size_t n = end - i;
        if (n > 1 && rrs[i].type != rr_type::rrsig && rr_offset % n != 0) {
            const auto first = rrs.begin() + static_cast<std::ptrdiff_t>(i);
            std::rotate(first, first + static_cast<std::ptrdiff_t>(rr_offset % n),
                        first + static_cast<std::ptrdiff_t>(n));
            moved = true;
        }
        i = end;
    }
    return moved;
}

}  // namespace

bool rotate_rrsets(const cached_answer& a, std::uint64_t rr_offset, cached_answer& out) {
    const std::span<const std::uint8_t> msg(a.wire);
    std::size_t question_end = 0, end = 0;
    std::vector<rr_ref> rrs;
    if (!read_answer_records(msg, question_end, end, rrs) || end != msg.size()) return false;
    if (!rotated_order(msg, rrs, rr_offset)) return false;
    if (!rewrite_kept(msg, question_end, rrs, std::vector<bool>(rrs.size(), true), out.wire) ||
        !index_records(out, question_end)) {
        return false;
    }
    out.lifetime = a.lifetime;
    out.negative = a.negative;
    out.steered_rewrite = a.steered_rewrite;
    out.without_dnssec.reset();
    return true;
}

bool strip_dnssec(const cached_answer& a, const query& q,
                  std::shared_ptr<const cached_answer>& out) {
    const std::span<const std::uint8_t> msg(a.wire);
    out.reset();
    std::size_t question_end = 0, end = 0;
    std::vector<rr_ref> rrs;
    if (!read_answer_records(msg, question_end, end, rrs) || end != msg.size()) return false;
    std::vector<bool> keep;
    keep.reserve(rrs.size());
    for (const auto& rr : rrs) keep.push_back(!dnssec_only(rr.type, rr.section, q.qtype));
    if (std::find(keep.begin(), keep.end(), false) == keep.end()) return true;
    auto stripped = std::make_shared<cached_answer>();
    if (!rewrite_kept(msg, question_end, rrs, keep, stripped->wire)) return false;
    if (!index_records(*stripped, question_end)) return false;
    stripped->lifetime = a.lifetime;
    stripped->negative = a.negative;
    stripped->steered_rewrite = a.steered_rewrite;
    out = std::move(stripped);
    return true;
}

std::size_t write_any_from_cache(const query& q, std::span<const cached_rrsets> parts,
                                 std::uint16_t our_udp_size, bool tcp, std::span<std::uint8_t> out,
                                 std::uint64_t rr_offset) {
    const std::size_t limit = std::min(response_limit(q, tcp), out.size());
    writer w(out.first(limit));
    write_header(w, q, 0, 1, 0, 0, q.edns ? 1 : 0);  // the answer count, below
    // Names compressed as unbound compresses them (against the question as the client spelt it,
    // and every name written since): copied whole, an MX or NS target made the answer longer
    // than unbound's, and cut sooner for a small client.
    name_table names;
    names.write(w, q.qname);
    w.u16(q.qtype);
    w.u16(q.qclass);
    std::uint16_t count = 0;
    std::vector<std::size_t> records, sigs;  // where each record's type is
    for (const auto& part : parts) {
        const std::span<const std::uint8_t> msg(part.answer->wire);
        std::size_t off = header_size;
        if (msg.size() < header_size || !read_name(msg, off, nullptr)) continue;
        off += 4;
        records.clear();
        sigs.clear();
        for (std::uint16_t i = 0; i < get16(&msg[6]); ++i) {
            wire_name owner;
            if (!read_name(msg, off, &owner) || msg.size() - off < 10) return 0;
            const std::uint16_t type = get16(&msg[off]);
            const std::uint16_t rdlen = get16(&msg[off + 8]);
            if (msg.size() - off - 10 < rdlen) return 0;
            // The RRset with its RRSIGs: unbound sends every type in an answer to ANY.
            // Of the class asked upstream only: unbound looks its RRset cache up by class.
            if (get16(&msg[off + 2]) == upstream_class(q) &&
                names_equal_ci(owner.view(), q.qname_lower.view())) {
                if (type == part.type) {
                    records.push_back(off);
                } else if (type == rr_type::rrsig && rdlen >= 2 &&
                           get16(&msg[off + 10]) == part.type) {
                    sigs.push_back(off);
                }
            }
            off += 10u + rdlen;
        }
        // The records from rr_offset on (unbound's rrset-roundrobin), then the RRSIGs.
        if (!records.empty()) {
            std::rotate(records.begin(),
                        records.begin() + static_cast<std::ptrdiff_t>(rr_offset % records.size()),
                        records.end());
        }
        records.insert(records.end(), sigs.begin(), sigs.end());
        for (const std::size_t at : records) {
            names.write(w, q.qname);  // a pointer to the name as the client spelt it
            w.bytes(msg.subspan(at, 4));
            const std::uint32_t ttl = get32(&msg[at + 4]);
            w.u32(ttl > part.age ? ttl - part.age : 0);
            if (!write_rdata_compressed(w, names, msg, get16(&msg[at]), at + 10,
                                        get16(&msg[at + 8]))) {
                return 0;
            }
            ++count;
        }
    }
    if (count == 0) return 0;
    if (q.edns) write_opt(w, our_udp_size, 0, q.do_bit);
    if (!w.ok()) return 0;  // too large for the client: the query goes upstream
    put16(out.data() + 6, count);
    return w.size();
}

bool dname_substitute(const wire_name& qname, const wire_name& dname_owner,
                      const wire_name& dname_target, wire_name& made) {
    // The labels of the query name below the owner, as the client spelt them, then the target.
    const std::size_t prefix = qname.size - dname_owner.size;
    if (prefix + dname_target.size > max_name_size) return false;
    std::copy_n(qname.bytes.begin(), prefix, made.bytes.begin());
    std::copy_n(dname_target.bytes.begin(), dname_target.size, made.bytes.begin() + prefix);
    made.size = prefix + dname_target.size;
    return true;
}

namespace {
// The DNAME owned by `dname_owner` (the client's spelling, through a pointer into the question
// `q` names) with TTL `ttl`; its target is never compressed (RFC 6672 §2.5).
void write_dname_record(writer& w, name_table& names, const query& q, const wire_name& dname_owner,
                        const wire_name& dname_target, std::uint32_t ttl) {
    wire_name owner = dname_owner;
    std::copy_n(q.qname.bytes.begin() + static_cast<std::ptrdiff_t>(q.qname.size - owner.size),
                owner.size, owner.bytes.begin());
    names.write(w, owner);
    w.u16(39);
    w.u16(class_in);
    w.u32(ttl);
    w.u16(static_cast<std::uint16_t>(dname_target.size));
    w.bytes(dname_target.view());
}

void write_cname_record(writer& w, name_table& names, const query& q, const wire_name& target,
                        std::uint32_t ttl) {
    names.write(w, q.qname);
    w.u16(rr_type::cname);
    w.u16(class_in);
    w.u32(ttl);
    const std::size_t rdlen_at = w.size();
    w.u16(0);
    names.write(w, target);
    if (w.ok()) put16(w.data() + rdlen_at, static_cast<std::uint16_t>(w.size() - rdlen_at - 2));
}
}  // namespace

std::size_t write_dname_synthesis(const query& q, const wire_name& dname_owner,
                                  const wire_name& dname_target, std::uint32_t dname_ttl,
                                  std::uint16_t our_udp_size, bool tcp,
                                  std::span<std::uint8_t> out) {
    if (dname_owner.size >= q.qname.size) return 0;
    wire_name made;
    const bool too_long = !dname_substitute(q.qname, dname_owner, dname_target, made);
    const std::size_t limit = std::min(response_limit(q, tcp), out.size());
    writer w(out.first(limit));
    write_header(w, q, too_long ? rcode::yxdomain : rcode::noerror, 1, too_long ? 1 : 2, 0,
                 q.edns ? 1 : 0);
    name_table names;
    names.write(w, q.qname);
    w.u16(q.qtype);
    w.u16(q.qclass);
    write_dname_record(w, names, q, dname_owner, dname_target, dname_ttl);
    if (!too_long) write_cname_record(w, names, q, made, 0);  // "0 for synthesized CNAME TTL"
    if (q.edns) write_opt(w, our_udp_size, 0, q.do_bit);
    return w.ok() ? w.size() : 0;
}

std::size_t write_held_chain(const query& q, const held_dname* dname, const wire_name& cname_target,
                             std::uint32_t cname_ttl, std::span<std::uint8_t> out) {
    if (dname && dname->owner.size >= q.qname.size) return 0;
    writer w(out);
    query asked = q;
    asked.id = 0;
    asked.flags = flag::rd;
    write_header(w, asked, rcode::noerror, 1, dname ? 2 : 1, 0, 0);
    w.bytes(q.qname.view());  // whole, as normalize_answer reads an upstream question
    w.u16(q.qtype);
    w.u16(q.qclass);
    name_table names;
    if (dname) write_dname_record(w, names, q, dname->owner, dname->target, dname->ttl);
    write_cname_record(w, names, q, cname_target, cname_ttl);
    return w.ok() ? w.size() : 0;
}

namespace {
bool normalize(std::span<const std::uint8_t> msg, const query& q, const policy& p,
               const ttl_limits& limits, cached_answer& out, bool scrubbed);
}

bool normalize_answer(std::span<const std::uint8_t> msg, const query& q, const policy& p,
                      const ttl_limits& limits, cached_answer& out) {
    return normalize(msg, q, p, limits, out, false);
}

namespace {
bool normalize(std::span<const std::uint8_t> msg, const query& q, const policy& p,
               const ttl_limits& limits, cached_answer& out, bool scrubbed) {
    out = cached_answer{};
    if (msg.size() < header_size || msg.size() > 65535) return false;
    const std::uint16_t flags = get16(&msg[2]);
    if (!(flags & flag::qr) || (flags & flag::opcode_mask) != 0) return false;
    if (get16(&msg[4]) != 1) return false;
    const std::uint16_t counts[3] = {get16(&msg[6]), get16(&msg[8]), get16(&msg[10])};
    std::size_t off = header_size;
    wire_name qn;
    // Uncompressed (see parse_query): the renderer writes the client's spelling over it in place.
    if (!read_name(msg, off, &qn) || off - header_size != qn.size || msg.size() - off < 4) {
        return false;
    }
    if (!names_equal_ci(qn.view(), q.qname_lower.view())) return false;
    if (get16(&msg[off]) != q.qtype || get16(&msg[off + 2]) != upstream_class(q)) return false;
    off += 4;
    const std::size_t question_end = off;

    std::vector<rr_ref> rrs;
    rrs.reserve(std::min<std::size_t>(counts[0] + counts[1] + counts[2], 64));
    if (!read_records(msg, off, rrs)) return false;
    if (off != msg.size()) return false;  // trailing garbage
    std::size_t opt_start = 0, opt_end = 0;
    for (const auto& rr : rrs) {
        if (rr.type != rr_type::opt) continue;
        if (rr.section != 2 || opt_end != 0) return false;
        if ((get32(&msg[rr.ttl_at]) >> 24) != 0) return false;  // extended rcode: fail
        opt_start = rr.owner;
        opt_end = rr.rdata + rr.rdlen;
    }
    if (opt_end != 0) std::erase_if(rrs, [](const rr_ref& rr) { return rr.type == rr_type::opt; });
    // The OPT record is the client's business: we drop upstream's and add the client's own on
    // render. Compression pointers only point backwards, so cutting the last record is safe.
    if (opt_end != 0 && opt_end != msg.size()) return false;
    const std::size_t keep = opt_end != 0 ? opt_start : msg.size();

    const std::uint8_t rc = flags & flag::rcode_mask;
    // Every answer is kept re-encoded (the records unbound's scrub keeps, compressed as unbound
    // compresses), never as upstream compressed it: upstream's pointers may go into bytes that
    // rendering rewrites (a TTL, the question's class), and the names read through them would
    // change under the rewrite (fuzz_dns_message found such answers).
    if (!scrubbed) {
        const auto kept_by_unbound = unbound_keeps(msg, rrs, q, rc);
        std::vector<std::uint8_t> kept;
        if (!rewrite_kept(msg, question_end, rrs, kept_by_unbound, kept)) return false;
        return normalize(kept, q, p, limits, out, true);
    }
    // A CNAME chain leading into a steered name (RFC 1034 §3.6.2 chains in the answer section).
    // Followed as far as the answer goes (each link is another of its records, so the walk ends):
    // a fixed depth let a longer chain carry a steered name's real address past it.
    if (q.qtype != rr_type::cname && (rc == rcode::noerror || rc == rcode::nxdomain) &&
        !p.steer.empty()) {
        wire_name cur = q.qname_lower;
        std::vector<rr_ref> chain;
        for (std::uint16_t depth = 0; depth < counts[0]; ++depth) {
            const rr_ref* link = nullptr;
            for (const auto& rr : rrs) {
                if (rr.section != 0 || rr.type != rr_type::cname) continue;
                wire_name owner;
                std::size_t o = rr.owner;
                if (read_name(msg, o, &owner) && names_equal_ci(owner.view(), cur.view())) {
                    link = &rr;
                    break;
                }
            }
            if (!link) break;
            wire_name target;
            std::size_t t = link->rdata;
            if (!read_name(msg, t, &target)) return false;
            lowercase(target);
            chain.push_back(*link);
            if (p.steered(to_text(target.view()))) {
                if (!rewrite_chain(q, p, msg, chain, target, out)) return false;
                find_cuts(out);
                return true;
            }
            cur = target;
        }
    }

    std::size_t cut = keep;
    const int sections = minimal_sections(rrs, rc, q.qtype);
    if (const auto first = std::find_if(rrs.begin(), rrs.end(),
                                        [&](const rr_ref& rr) { return rr.section >= sections; });
        first != rrs.end()) {
        cut = first->owner;  // compression points backwards: the head stands alone
        rrs.erase(first, rrs.end());
    }

    // A record owned by a steered name anywhere else (an MX or SRV target's address in the
    // additional section, glue, anything upstream adds) would hand the client the real address
    // (DESIGN: steered names never leak around the gateway). In the answer section the answer is
    // not about what was asked: refused as malformed. In the other sections, they are cut from
    // that section on (optional data; compression points backwards, so the head stands alone).
    if (!p.steer.empty()) {
        for (std::size_t i = 0; i < rrs.size(); ++i) {
            wire_name owner;
            std::size_t o = rrs[i].owner;
            if (!read_name(msg, o, &owner)) return false;
            lowercase(owner);
            if (!p.steered(to_text(owner.view()))) continue;
            if (rrs[i].section == 0) return false;
            const int from = rrs[i].section;
            while (i > 0 && rrs[i - 1].section == from) --i;
            cut = rrs[i].owner;
            rrs.resize(i);
            break;
        }
    }
    std::uint16_t kept[3] = {0, 0, 0};
    for (const auto& rr : rrs) ++kept[rr.section];

    out.wire.assign(msg.begin(), msg.begin() + static_cast<std::ptrdiff_t>(std::min(keep, cut)));
    put16(&out.wire[0], 0);
    put16(&out.wire[8], kept[1]);
    put16(&out.wire[10], kept[2]);  // upstream's OPT is not kept
    // The question stays as upstream echoed it, in the spelling of the client that asked first
    // (write_upstream_query), as the names compressed against it: unbound keeps its RRsets in
    // the spelling the answer brought them in, and a copy in another is other data to it
    // (rrset_ttls). Rendering writes each client's spelling over it.
    out.ttl_offsets.reserve(rrs.size());
    std::uint32_t lifetime = UINT32_MAX;
    bool has_soa = false;
    std::uint32_t negative = UINT32_MAX;
    // NXDOMAIN, or NODATA: no record of the type asked in the answer section, which may still
    // hold the CNAME (or DNAME) chain to the name that has none (RFC 2308 §2.2). Either way the
    // SOA carries the negative TTL (RFC 2308 §5), also after a chain.
    bool negative_answer = rc == rcode::nxdomain;
    if (rc == rcode::noerror) {
        negative_answer = std::none_of(rrs.begin(), rrs.end(), [&](const rr_ref& rr) {
            return rr.section == 0 && (rr.type == q.qtype || q.qtype == rr_type::any);
        });
    }
    for (const auto& rr : rrs) {
        if (rr.ttl_at > 65535) return false;
        std::uint32_t ttl = get32(&msg[rr.ttl_at]);
        if (negative_answer && rr.section == 1 && rr.type == rr_type::soa && rr.rdlen >= 22) {
            // RFC 2308 §5: the negative TTL is min(SOA TTL, SOA MINIMUM).
            const std::uint32_t minimum = get32(&msg[rr.rdata + rr.rdlen - 4]);
            ttl = std::min({ttl & 0x80000000u ? 0u : ttl, minimum, limits.negative_max_ttl});
            negative = std::min(negative, ttl);
            has_soa = true;
        } else {
            ttl = clamp_ttl(ttl, limits);
        }
        put32(&out.wire[rr.ttl_at], ttl);
        out.ttl_offsets.push_back(static_cast<std::uint16_t>(rr.ttl_at));
        lifetime = std::min(lifetime, ttl);
    }
    out.negative = negative_answer;
    if (flags & flag::tc) {
        out.lifetime = 0;  // incomplete: never cached
    } else if (negative_answer && has_soa) {
        out.lifetime = std::min(lifetime, negative);
    } else if (negative_answer) {
        // No SOA (a referral, as a forwarder takes it; an upstream that leaves it out): cached
        // for its shortest TTL, as unbound caches any answer (msgreply.c parse_copy_decompress),
        // NORR_TTL (5 s) when it holds no record at all. Asked again, the delegation's NS RRset
        // would come in the next client's spelling: other data, with a fresh TTL.
        out.lifetime = lifetime == UINT32_MAX ? clamp_ttl(norr_ttl, limits) : lifetime;
    } else if (rc == rcode::noerror) {
        out.lifetime = lifetime == UINT32_MAX ? 0 : lifetime;
    } else {
        out.lifetime = 0;  // SERVFAIL, REFUSED, ...: passed on, not cached
    }
    find_cuts(out);
    return true;
}
}  // namespace

namespace {
// True when `name` is `zone` or a name below it (both lowercased, uncompressed wire names).
bool at_or_below(std::span<const std::uint8_t> name, std::span<const std::uint8_t> zone) {
    for (std::size_t off = 0; off < name.size() && name.size() - off >= zone.size();
         off += 1u + name[off]) {
        if (name.size() - off == zone.size() && names_equal_ci(name.subspan(off), zone)) {
            return true;
        }
        if (name[off] == 0) break;
    }
    return false;
}
}  // namespace

chain_end classify_chain(const cached_answer& a, const query& q, wire_name& target) {
    const std::span<const std::uint8_t> msg(a.wire);
    if (a.steered_rewrite || q.qtype == rr_type::cname || q.qtype == rr_type::any)
        return chain_end::complete;
    std::size_t off = header_size;
    if (msg.size() < header_size || !read_name(msg, off, nullptr) || msg.size() - off < 4)
        return chain_end::complete;
    off += 4;
    struct rec {
        wire_name owner;
        std::uint16_t type;
        std::size_t rdata;
    };
    std::vector<rec> answer, cuts;
    bool nodata_proof = false;
    for (int s = 0; s < 3; ++s) {
        for (std::uint16_t i = 0; i < get16(&msg[6 + 2 * s]); ++i) {
            rec r;
            if (!read_name(msg, off, &r.owner) || msg.size() - off < 10) return chain_end::complete;
            r.type = get16(&msg[off]);
            r.rdata = off + 10;
            off += 10u + get16(&msg[off + 8]);
            if (off > msg.size()) return chain_end::complete;
            if (s == 1 && r.type == rr_type::soa) nodata_proof = true;
            if (s == 0 || (s == 1 && r.type == rr_type::ns)) {
                lowercase(r.owner);
                (s == 0 ? answer : cuts).push_back(r);
            }
        }
    }
    // unbound keeps only the records owned by the name it asked for (iter_scrub.c,
    // scrub_sanitize: "remainders of CNAME chains are cut off and resolved by iterator") and
    // restarts the query for each link, at most max_query_restarts times: a longer chain, and
    // one that loops, is SERVFAIL whatever its end, however many links an upstream sent at once.
    wire_name name = q.qname_lower;
    std::size_t links = 0;
    for (;;) {
        const auto link = std::find_if(answer.begin(), answer.end(), [&](const rec& r) {
            return r.type == rr_type::cname && names_equal_ci(r.owner.view(), name.view());
        });
        if (link == answer.end()) break;
        if (++links > max_query_restarts) return chain_end::too_long;
        std::size_t t = link->rdata;
        if (!read_name(msg, t, &name)) return chain_end::complete;
        lowercase(name);
    }
    if ((msg[3] & flag::rcode_mask) != rcode::noerror || nodata_proof || links == 0)
        return chain_end::complete;
    // A referral for the last name (an NS RRset at or above it, as an authoritative upstream
    // answers for a target below one of its delegations): unbound, forwarding, takes it for the
    // answer and passes it on after the chain; asking again would get the same referral.
    for (const auto& r : cuts) {
        if (at_or_below(name.view(), r.owner.view())) return chain_end::complete;
    }
    for (const auto& r : answer) {
        if (r.type == q.qtype && names_equal_ci(r.owner.view(), name.view()))
            return chain_end::complete;
    }
    target = name;
    return chain_end::unfinished;
}

bool chain_links(const cached_answer& a, const query& q, std::size_t links, cached_answer& out) {
    const std::span<const std::uint8_t> msg(a.wire);
    out = cached_answer{};
    std::size_t question_end = 0, end = 0;
    std::vector<rr_ref> rrs;
    if (!read_answer_records(msg, question_end, end, rrs)) return false;
    // (A DNAME's links are its CNAMEs with the DNAME before them: not links alone.)
    for (const auto& r : rrs) {
        if (r.section == 0 && r.type == 39 /* DNAME */) return false;
    }
    std::vector<bool> keep(rrs.size(), false);
    wire_name name = q.qname_lower;
    std::vector<wire_name> owners;
    std::size_t found = 0;
    for (; found < links; ++found) {
        std::size_t i = 0;
        for (; i < rrs.size(); ++i) {
            wire_name owner;
            std::size_t o = rrs[i].owner;
            if (rrs[i].section == 0 && rrs[i].type == rr_type::cname && !keep[i] &&
                read_name(msg, o, &owner) && names_equal_ci(owner.view(), name.view())) {
                break;
            }
        }
        if (i == rrs.size()) break;
        keep[i] = true;
        owners.push_back(name);
        std::size_t t = rrs[i].rdata;
        if (!read_name(msg, t, &name)) return false;
    }
    // Each link's signatures with it (a signed chain's RRSIG over the CNAME).
    for (std::size_t i = 0; i < rrs.size(); ++i) {
        wire_name owner;
        std::size_t o = rrs[i].owner;
        if (rrs[i].section != 0 || rrs[i].type != rr_type::rrsig || rrs[i].rdlen < 2 ||
            get16(&msg[rrs[i].rdata]) != rr_type::cname || !read_name(msg, o, &owner)) {
            continue;
        }
        keep[i] = std::any_of(owners.begin(), owners.end(), [&](const wire_name& n) {
            return names_equal_ci(n.view(), owner.view());
        });
    }
    if (found < links || !rewrite_kept(msg, question_end, rrs, keep, out.wire) ||
        !index_records(out, question_end)) {
        return false;
    }
    // The links alone are a NOERROR answer whatever the chain's end said (a CNAME response).
    out.wire[3] = static_cast<std::uint8_t>(out.wire[3] & ~flag::rcode_mask);
    out.lifetime = a.lifetime;
    return true;
}

bool chain_tail(const cached_answer& a, const query& q, wire_name& target,
                std::vector<std::uint8_t>& tail) {
    const std::span<const std::uint8_t> msg(a.wire);
    std::size_t question_end = 0, end = 0;
    std::vector<rr_ref> rrs;
    if (!read_answer_records(msg, question_end, end, rrs)) return false;
    std::vector<bool> keep(rrs.size(), true);
    std::vector<wire_name> owners;
    target = q.qname;
    for (;;) {
        std::size_t i = 0;
        wire_name owner;
        for (; i < rrs.size(); ++i) {
            std::size_t o = rrs[i].owner;
            if (rrs[i].section == 0 && rrs[i].type == 39 /* DNAME */) return false;
            if (rrs[i].section == 0 && rrs[i].type == rr_type::cname && keep[i] &&
                read_name(msg, o, &owner) && names_equal_ci(owner.view(), target.view())) {
                break;
            }
        }
        if (i == rrs.size()) break;
        if (owners.size() == max_query_restarts) return false;
        keep[i] = false;
        owners.push_back(owner);
        std::size_t t = rrs[i].rdata;
        if (!read_name(msg, t, &target)) return false;
    }
    if (owners.empty()) return false;
    for (std::size_t i = 0; i < rrs.size(); ++i) {
        wire_name owner;
        std::size_t o = rrs[i].owner;
        if (rrs[i].section == 0 && rrs[i].type == rr_type::rrsig && rrs[i].rdlen >= 2 &&
            get16(&msg[rrs[i].rdata]) == rr_type::cname && read_name(msg, o, &owner) &&
            std::any_of(owners.begin(), owners.end(), [&](const wire_name& n) {
                return names_equal_ci(n.view(), owner.view());
            })) {
            keep[i] = false;
        }
    }
    return rewrite_kept(msg, question_end, rrs, keep, tail, &target);
}

bool join_chain(const cached_answer& head, const cached_answer& tail, cached_answer& out) {
    const std::span<const std::uint8_t> h(head.wire), t(tail.wire);
    out = cached_answer{};
    std::size_t hq = header_size, tq = header_size;
    if (h.size() < header_size || t.size() < header_size || !read_name(h, hq, nullptr) ||
        !read_name(t, tq, nullptr)) {
        return false;
    }
    hq += 4;
    tq += 4;
    std::vector<std::uint8_t> buf(65535);
    writer w(buf);
    w.bytes(t.first(4));  // ID 0 and the tail's flags (its rcode)
    w.bytes(h.subspan(4, 2));
    w.u16(static_cast<std::uint16_t>(get16(&h[6]) + get16(&t[6])));
    w.bytes(t.subspan(8, 4));
    // AD only when both parts had it.
    put16(buf.data() + 2, static_cast<std::uint16_t>((get16(&t[2]) & ~flag::ad) |
                                                     (get16(&t[2]) & get16(&h[2]) & flag::ad)));
    name_table names;
    std::uint32_t head_ttl = UINT32_MAX;
    const auto copy = [&](std::span<const std::uint8_t> msg, std::size_t off, int records) {
        for (int i = 0; i < records; ++i) {
            wire_name owner;
            if (!read_name(msg, off, &owner) || msg.size() - off < 10) return false;
            names.write(w, owner);
            const std::uint16_t type = get16(&msg[off]);
            const std::uint16_t rdlen = get16(&msg[off + 8]);
            if (msg.size() - off - 10 < rdlen) return false;
            w.bytes(msg.subspan(off, 4));
            out.ttl_offsets.push_back(static_cast<std::uint16_t>(w.size()));
            w.bytes(msg.subspan(off + 4, 4));
            if (msg.data() == h.data()) head_ttl = std::min(head_ttl, get32(&msg[off + 4]));
            if (!write_rdata_compressed(w, names, msg, type, off + 10, rdlen)) return false;
            off += 10u + rdlen;
        }
        return true;
    };
    wire_name qname;
    std::size_t o = header_size;
    if (!read_name(h, o, &qname)) return false;
    names.write(w, qname);
    w.bytes(h.subspan(o, 4));
    // unbound's minimal-responses looks at the reply whole (msgencode.c positive_answer): an
    // RRset of the type asked anywhere in its answer section (a DNAME above the name, asked for
    // DNAME) makes it positive, and the tail's authority and additional sections (the SOA of
    // the target's NODATA) go, unless they prove a wildcard (NSEC, NSEC3).
    const auto types_in = [](std::span<const std::uint8_t> msg, std::size_t off, int from,
                             int records, auto&& pred) {
        for (int i = 0; i < from + records; ++i) {
            if (!read_name(msg, off, nullptr) || msg.size() - off < 10) return false;
            if (i >= from && pred(get16(&msg[off]))) return true;
            off += 10u + get16(&msg[off + 8]);
        }
        return false;
    };
    const std::uint16_t qtype = get16(&h[o]);
    const auto asked = [&](std::uint16_t type) { return type == qtype; };
    const bool positive =
        (t[3] & flag::rcode_mask) == rcode::noerror && qtype != rr_type::ns &&
        (types_in(h, hq, 0, get16(&h[6]), asked) || types_in(t, tq, 0, get16(&t[6]), asked)) &&
        !types_in(t, tq, get16(&t[6]), get16(&t[8]), [](std::uint16_t type) {
            return type == rr_type::nsec || type == rr_type::nsec3;
        });
    if (positive) {
        put16(buf.data() + 8, 0);
        put16(buf.data() + 10, 0);
    }
    const int tail_records = positive ? get16(&t[6]) : get16(&t[6]) + get16(&t[8]) + get16(&t[10]);
    if (!copy(h, hq, get16(&h[6])) || !copy(t, tq, tail_records) || !w.ok()) return false;
    buf.resize(w.size());
    out.wire = std::move(buf);
    out.lifetime = std::min(head_ttl, tail.lifetime);  // the chain's TTLs bound it too
    out.negative = tail.negative;
    out.steered_rewrite = tail.steered_rewrite;
    find_cuts(out);
    return true;
}

namespace {
std::size_t render_as_cached(const cached_answer& a, const query& q, std::uint32_t age,
                             std::optional<std::uint32_t> stale_ttl, bool tcp,
                             std::uint16_t our_udp_size, std::span<std::uint8_t> out,
                             bool& truncated, std::uint64_t rr_offset = 0) noexcept;
}

std::size_t render_answer(const cached_answer& a, const query& q, std::uint32_t age,
                          std::optional<std::uint32_t> stale_ttl, bool tcp,
                          std::uint16_t our_udp_size, std::span<std::uint8_t> out, bool& truncated,
                          std::uint64_t rr_offset) {
    if (a.rotatable && a.byte_rotations.empty()) {
        // Written again only for answers with an RRset of several records whose bytes cannot
        // simply move (names in RDATA, an owner written out), into one buffer per thread that
        // keeps its capacity: the hit path for single records and address RRsets stays a copy.
        thread_local cached_answer rotated;
        if (rotate_rrsets(a, rr_offset, rotated)) {
            return render_as_cached(rotated, q, age, stale_ttl, tcp, our_udp_size, out, truncated);
        }
    }
    return render_as_cached(a, q, age, stale_ttl, tcp, our_udp_size, out, truncated, rr_offset);
}

namespace {
// `a` as cached, its byte_rotations rotated to start at record `rr_offset` modulo their count.
std::size_t render_as_cached(const cached_answer& a, const query& q, std::uint32_t age,
                             std::optional<std::uint32_t> stale_ttl, bool tcp,
                             std::uint16_t our_udp_size, std::span<std::uint8_t> out,
                             bool& truncated, std::uint64_t rr_offset) noexcept {
    truncated = false;
    const std::size_t limit = std::min(response_limit(q, tcp), out.size());
    const std::size_t opt = q.edns ? 11 : 0;
    std::size_t n = a.wire.size();
    auto ttls_end = a.ttl_offsets.end();
    const cached_answer::cut* cut = nullptr;
    if (n + opt > limit) {
        // The whole RRsets that fit, in order (the client's OPT stays), as unbound answers it;
        // TC only when required data is left out (RFC 2181 §9: the additional section is
        // optional). Off the hit path: only answers too large for the client get here.
        for (const auto& c : a.cuts) {
            if (c.at + opt > limit) break;
            cut = &c;
        }
        if (!cut) {
            truncated = true;
            return write_truncated(q, our_udp_size, out);
        }
        n = cut->at;
        truncated = cut->counts[0] < get16(&a.wire[6]) || cut->counts[1] < get16(&a.wire[8]);
        ttls_end = std::lower_bound(a.ttl_offsets.begin(), a.ttl_offsets.end(), n);
    }
    std::uint8_t* p = out.data();
    std::memcpy(p, a.wire.data(), n);
    if (cut) {
        for (int s = 0; s < 3; ++s) put16(p + 6 + 2 * s, cut->counts[static_cast<std::size_t>(s)]);
    }
    put16(p, q.id);
    const std::uint16_t up = get16(p + 2);
    std::uint16_t fl =
        static_cast<std::uint16_t>(flag::qr | flag::ra | (up & (flag::rcode_mask | flag::tc)) |
                                   (q.flags & (flag::rd | flag::cd)) | (truncated ? flag::tc : 0));
    // RFC 6840 §5.8: AD only for clients that asked for DNSSEC data (DO) or set AD themselves.
    if ((up & flag::ad) && (q.do_bit || (q.flags & flag::ad))) fl |= flag::ad;
    put16(p + 2, fl);
    std::memcpy(p + header_size, q.qname.bytes.data(), q.qname.size);
    put16(p + header_size + q.qname.size + 2, q.qclass);  // ANY as asked (asked IN upstream)
    for (auto it = a.ttl_offsets.begin(); it != ttls_end; ++it) {
        const std::uint32_t ttl = get32(p + *it);
        put32(p + *it, stale_ttl ? *stale_ttl : (ttl > age ? ttl - age : 0));
    }
    // The records of each RRset from rr_offset on (unbound's rrset-roundrobin), their TTLs with
    // them: a rotation of the RRset's bytes at the start of that record. A cut keeps whole
    // RRsets, so each is here whole or not at all.
    for (const auto& run : a.byte_rotations) {
        if (run.end > n) break;
        std::size_t at = run.at;
        for (std::uint64_t k = rr_offset % run.count; k > 0; --k) at += 12u + get16(p + at + 10);
        if (at == run.at) continue;
        // Three copies (std::rotate swaps byte by byte: most of the hit's cost for 8 addresses).
        std::array<std::uint8_t, 65535> head;  // written before it is read
        std::memcpy(head.data(), p + run.at, at - run.at);
        std::memmove(p + run.at, p + at, run.end - at);
        std::memcpy(p + run.at + (run.end - at), head.data(), at - run.at);
    }
    if (q.edns) {
        writer w(std::span<std::uint8_t>(p + n, limit - n));
        write_opt(w, our_udp_size, 0, q.do_bit);
        n += w.size();
        put16(p + 10, static_cast<std::uint16_t>(get16(p + 10) + 1));
    }
    return n;
}
}  // namespace

void make_cache_key(const query& q, cache_key& k) noexcept {
    std::memcpy(k.bytes.data(), q.qname_lower.bytes.data(), q.qname_lower.size);
    std::size_t n = q.qname_lower.size;
    k.bytes[n++] = static_cast<char>(q.qtype >> 8);
    k.bytes[n++] = static_cast<char>(q.qtype);
    k.bytes[n++] = static_cast<char>(q.qclass >> 8);
    k.bytes[n++] = static_cast<char>(q.qclass);
    k.bytes[n++] = static_cast<char>((q.flags & flag::cd) ? 2 : 0);
    k.size = n;
}

}  // namespace consolegate::dns
