#include "rewrite.hpp"

#include <algorithm>
#include <array>

namespace consolegate::dns {
namespace {

// The name a record of `type` asks the additional section to carry (unbound's
// iterator/iter_scrub.c get_additional_name): NS, MB, MD, MF at the start of the RDATA, MX and KX
// after the preference, SRV after priority, weight and port.
bool additional_name(std::span<const std::uint8_t> msg, const rr_ref& rr, wire_name& out) {
    std::size_t skip = 0;
    switch (rr.type) {
        case rr_type::ns:
        case 3:                   // MD
        case 4:                   // MF
        case 7: skip = 0; break;  // MB
        case rr_type::mx:
        case 36: skip = 2; break;  // KX
        case 33: skip = 6; break;  // SRV
        default: return false;
    }
    if (rr.rdlen <= skip) return false;
    std::size_t o = rr.rdata + skip;
    if (!read_name(msg, o, &out) || o > rr.rdata + rr.rdlen) return false;
    lowercase(out);
    return true;
}

// `sub` is `zone` or a name below it (both lowercased, uncompressed).
bool at_or_below(const wire_name& sub, const wire_name& zone) {
    return sub.size >= zone.size &&
           std::equal(zone.bytes.begin(),
                      zone.bytes.begin() + static_cast<std::ptrdiff_t>(zone.size),
                      sub.bytes.begin() + static_cast<std::ptrdiff_t>(sub.size - zone.size)) &&
           [&] {  // on a label boundary: walk sub's labels to the suffix
               std::size_t i = 0;
               while (i < sub.size - zone.size) i += 1u + sub.bytes[i];
               return i == sub.size - zone.size;
           }();
}

}  // namespace

rdata_names compressible(std::uint16_t type) {
    switch (type) {
        case rr_type::ns:
        case 3:  // MD
        case 4:  // MF
        case rr_type::cname:
        case 7:  // MB
        case 8:  // MG
        case 9:  // MR
        case rr_type::ptr: return {0, 1};
        case rr_type::soa:
        case 14: return {0, 2};  // MINFO
        case rr_type::mx: return {2, 1};
        default: return {};
    }
}

bool read_records(std::span<const std::uint8_t> msg, std::size_t& off, std::vector<rr_ref>& out) {
    for (int s = 0; s < 3; ++s) {
        for (std::uint16_t i = 0, n = get16(&msg[6 + 2 * s]); i < n; ++i) {
            const std::size_t start = off;
            if (!read_name(msg, off, nullptr) || msg.size() - off < 10) return false;
            rr_ref rr{start, get16(&msg[off]), off + 4, off + 10, get16(&msg[off + 8]), s};
            if (msg.size() - rr.rdata < rr.rdlen) return false;
            off = rr.rdata + rr.rdlen;
            out.push_back(rr);
        }
    }
    return true;
}

bool read_answer_records(std::span<const std::uint8_t> msg, std::size_t& question_end,
                         std::size_t& end, std::vector<rr_ref>& out) {
    if (msg.size() < header_size || get16(&msg[4]) != 1) return false;
    std::size_t off = header_size;
    if (!read_name(msg, off, nullptr) || msg.size() - off < 4) return false;
    question_end = off + 4;
    end = question_end;
    return read_records(msg, end, out);
}

// RDLENGTH and RDATA of the record whose data is at `rdata` in `msg`, the names in it written
// whole: a compression pointer would lead into the old message. False when a name does not read.
bool write_rdata_whole(writer& w, std::span<const std::uint8_t> msg, std::uint16_t type,
                       std::size_t rdata, std::uint16_t rdlen) {
    const std::size_t next = rdata + rdlen;
    const std::size_t rdlen_at = w.size();
    w.u16(0);
    const auto names = compressible(type);
    std::size_t r = rdata;
    if (names.names > 0 && names.skip <= rdlen) {
        w.bytes(msg.subspan(r, names.skip));
        r += names.skip;
        for (int n = 0; n < names.names; ++n) {
            wire_name name;
            if (!read_name(msg, r, &name) || r > next) return false;
            w.bytes(name.view());
        }
    }
    w.bytes(msg.subspan(r, next - r));  // the rest as it is (SOA's numbers)
    if (!w.ok()) return false;
    put16(w.data() + rdlen_at, static_cast<std::uint16_t>(w.size() - rdlen_at - 2));
    return true;
}

// Which records of a forwarded NOERROR or NXDOMAIN answer unbound keeps for its clients
// (iterator/iter_scrub.c scrub_normalize, with Debian 12's fix for CVE-2025-11411 that drops
// the NS RRset of a positive answer, then iter_utils.c iter_scrub_ds, which in forward mode
// drops every DS RRset of the authority section). In the answer section: the CNAME and DNAME
// chain from the query name and the RRsets of the type asked (any type for ANY). In the
// authority section: no CNAME, DNAME, A or AAAA; one NS RRset, above or at the query name, and
// only in a referral or a NODATA without SOA; no DS. In the additional section: no CNAME, DNAME
// or NS, and A and AAAA records only for names a kept answer RRset of the query name or a kept
// authority RRset asks for (the additional names of NS, MX, SRV, ...). An RRSIG goes with the
// RRset it covers. The zone unbound checks records against is the forward zone, the root: its
// out-of-zone removal keeps everything here.
std::vector<bool> unbound_keeps(std::span<const std::uint8_t> msg, const std::vector<rr_ref>& rrs,
                                const query& q, std::uint8_t rc) {
    std::vector<bool> keep(rrs.size(), true);
    if (rc != rcode::noerror && rc != rcode::nxdomain) return keep;
    std::vector<wire_name> owners(rrs.size());
    std::vector<std::uint16_t> types(rrs.size());
    for (std::size_t i = 0; i < rrs.size(); ++i) {
        std::size_t o = rrs[i].owner;
        if (!read_name(msg, o, &owners[i])) return keep;
        lowercase(owners[i]);
        types[i] = rrs[i].type;
        // (Asked for by type, RRSIGs in the answer are RRsets of their own.)
        const bool asked = rrs[i].section == 0 && q.qtype == rr_type::rrsig;
        if (rrs[i].type == rr_type::rrsig && rrs[i].rdlen >= 2 && !asked)
            types[i] = get16(&msg[rrs[i].rdata]);
    }
    // The RRset a record belongs to is decided by its first record (an RRSIG by the first record
    // of the type it covers, or by its own when that type has none in its section). Records of
    // an RRset mostly come together: the record before is looked at first.
    std::vector<std::size_t> first(rrs.size());
    const auto same_rrset = [&](std::size_t i, std::size_t j) {
        return rrs[j].section == rrs[i].section && types[j] == types[i] &&
               rrs[j].type != rr_type::rrsig && names_equal_ci(owners[j].view(), owners[i].view());
    };
    for (std::size_t i = 0; i < rrs.size(); ++i) {
        first[i] = i;
        if (i > 0 && rrs[i].type == rrs[i - 1].type && same_rrset(i, first[i - 1])) {
            first[i] = first[i - 1];
            continue;
        }
        for (std::size_t j = 0; j < i; ++j) {
            if (same_rrset(i, j)) {
                first[i] = first[j];
                break;
            }
        }
    }
    std::vector<wire_name> marked;
    const auto mark = [&](std::size_t i) {
        wire_name n;
        if (additional_name(msg, rrs[i], n)) marked.push_back(n);
    };
    const bool soa_in_authority = std::any_of(rrs.begin(), rrs.end(), [](const rr_ref& rr) {
        return rr.section == 1 && rr.type == rr_type::soa;
    });
    wire_name sname = q.qname_lower;
    std::size_t answers = 0;
    const wire_name* ns_owner = nullptr;
    // Answer RRsets whose additional names count: the data of a name the chain reaches, as the
    // answer unbound gets when it asks for that name itself (an NS RRset's glue at the end of a
    // CNAME chain, as for the NS query of its owner).
    std::vector<bool> names_count(rrs.size(), false);
    for (std::size_t i = 0; i < rrs.size(); ++i) {
        if (const auto f = first[i]; f != i) {
            keep[i] = keep[f];
            const bool names_additional = rrs[i].section == 1 || names_count[f];
            if (keep[i] && names_additional && rrs[i].type != rr_type::rrsig) mark(i);
            continue;
        }
        const auto type = types[i];
        if (rrs[i].section == 0) {
            if (q.qtype == rr_type::any) {
                // ANY: a CNAME is the answer, never followed, and scrub_sanitize keeps only what
                // the query name owns and a DNAME above it ("remainders of CNAME chains are cut
                // off"): an upstream's data for the target goes, a DNAME's included.
                const bool dname_over = type == 39 && at_or_below(q.qname_lower, owners[i]) &&
                                        q.qname_lower.size != owners[i].size;
                if (!names_equal_ci(owners[i].view(), q.qname_lower.view()) && !dname_over) {
                    keep[i] = false;
                    continue;
                }
                if (!dname_over) {
                    names_count[i] = true;
                    mark(i);
                }
                ++answers;
                continue;
            }
            const bool at_sname = names_equal_ci(owners[i].view(), sname.view());
            if (type == rr_type::cname && rrs[i].type != rr_type::rrsig && at_sname) {
                std::size_t t = rrs[i].rdata;
                if (!read_name(msg, t, &sname)) return keep;
                lowercase(sname);
            } else if (type == 39 && at_or_below(sname, owners[i]) &&
                       sname.size != owners[i].size) {
                // DNAME over the name being followed: its CNAME comes next
            } else if (!at_sname) {
                // Owned by a name the chain does not reach (scrub_normalize: "removing
                // irrelevant RRset"), whatever its type.
                keep[i] = false;
                continue;
            } else if (q.qtype != rr_type::any && type != q.qtype) {
                keep[i] = false;
                continue;
            } else {
                names_count[i] = true;
                mark(i);
            }
            ++answers;
        } else if (rrs[i].section == 1) {
            if (type == rr_type::cname || type == 39 || type == rr_type::a ||
                type == rr_type::aaaa || type == rr_type::ds) {
                keep[i] = false;
            } else if (type == rr_type::ns) {
                keep[i] = at_or_below(q.qname_lower, owners[i]) && rc == rcode::noerror &&
                          answers == 0 && !soa_in_authority && ns_owner == nullptr;
                if (keep[i]) ns_owner = &owners[i];
            }
            if (keep[i]) mark(i);
        } else if (type == rr_type::a || type == rr_type::aaaa) {
            keep[i] = std::any_of(marked.begin(), marked.end(), [&](const wire_name& n) {
                return names_equal_ci(n.view(), owners[i].view());
            });
        } else if (type == rr_type::cname || type == 39 || type == rr_type::ns) {
            keep[i] = false;
        }
    }
    return keep;
}

void name_table::write(writer& w, const wire_name& n) {
    const std::size_t start = w.size();
    std::size_t i = 0;
    bool pointed = false;
    for (; i < n.size && n.bytes[i] != 0; i += 1u + n.bytes[i]) {
        const std::span<const std::uint8_t> tail = n.view().subspan(i);
        const auto hit = std::find_if(suffixes.begin(), suffixes.end(), [&](const auto& e) {
            return names_equal_ci(e.second.view(), tail);
        });
        if (hit != suffixes.end()) {
            w.bytes(n.view().first(i));
            w.u16(static_cast<std::uint16_t>(0xc000 | hit->first));
            pointed = true;
            break;
        }
    }
    if (!pointed) w.bytes(n.view());  // no suffix known: the whole name
    // The labels written out here are suffixes later names may point to.
    for (std::size_t j = 0; j < i && start + j < 0x4000; j += 1u + n.bytes[j]) {
        wire_name s;
        s.size = n.size - j;
        std::copy(n.bytes.begin() + static_cast<std::ptrdiff_t>(j),
                  n.bytes.begin() + static_cast<std::ptrdiff_t>(n.size), s.bytes.begin());
        suffixes.emplace_back(static_cast<std::uint16_t>(start + j), s);
    }
}

// RDLENGTH and RDATA of the record whose data is at `rdata` in `msg`, the names of RFC 1035 types
// compressed against `names` (later types never compress theirs: RFC 3597 §4).
bool write_rdata_compressed(writer& w, name_table& names, std::span<const std::uint8_t> msg,
                            std::uint16_t type, std::size_t rdata, std::uint16_t rdlen) {
    const std::size_t rdlen_at = w.size();
    w.u16(0);
    const auto rd = compressible(type);
    std::size_t r = rdata;
    const std::size_t next = r + rdlen;
    if (rd.names > 0 && rd.skip <= rdlen) {
        w.bytes(msg.subspan(r, rd.skip));
        r += rd.skip;
        for (int n = 0; n < rd.names; ++n) {
            wire_name name;
            if (!read_name(msg, r, &name) || r > next) return false;
            names.write(w, name);
        }
    }
    w.bytes(msg.subspan(r, next - r));
    if (!w.ok()) return false;
    put16(w.data() + rdlen_at, static_cast<std::uint16_t>(w.size() - rdlen_at - 2));
    return true;
}

// `msg` with only the records `keep` says, compressed as unbound compresses (owners and the
// names in RFC 1035 RDATA), upstream's OPT left out.
bool rewrite_kept(std::span<const std::uint8_t> msg, std::size_t question_end,
                  const std::vector<rr_ref>& rrs, const std::vector<bool>& keep,
                  std::vector<std::uint8_t>& out, const wire_name* asked) {
    std::array<std::uint8_t, 65535> buf;  // written before it is read: no need to clear it
    writer w(buf);
    w.bytes(msg.first(header_size));
    name_table names;
    wire_name qname;
    std::size_t o = header_size;
    if (!read_name(msg, o, &qname)) return false;
    names.write(w, asked ? *asked : qname);
    w.bytes(msg.subspan(o, question_end - o));
    std::uint16_t counts[3] = {0, 0, 0};
    for (std::size_t i = 0; i < rrs.size(); ++i) {
        if (!keep[i]) continue;
        wire_name owner;
        o = rrs[i].owner;
        if (!read_name(msg, o, &owner)) return false;
        names.write(w, owner);
        w.bytes(msg.subspan(o, 8));
        if (!write_rdata_compressed(w, names, msg, rrs[i].type, rrs[i].rdata, rrs[i].rdlen)) {
            return false;
        }
        ++counts[rrs[i].section];
    }
    if (!w.ok()) return false;
    out.assign(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(w.size()));
    for (int s = 0; s < 3; ++s) put16(&out[6 + 2 * s], counts[s]);
    return true;
}

}  // namespace consolegate::dns
