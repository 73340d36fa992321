#include "query.hpp"

#include <algorithm>

namespace consolegate::dns {

parse_status parse_query(std::span<const std::uint8_t> msg, query& q) noexcept {
    if (msg.size() < header_size) return parse_status::drop;
    q.id = get16(&msg[0]);
    q.flags = get16(&msg[2]);
    if (q.flags & flag::qr) return parse_status::drop;  // never answer an answer (reflection loops)
    q.edns = false;
    q.do_bit = false;
    q.udp_size = 512;
    q.edns_version = 0;
    const std::uint16_t qd = get16(&msg[4]);
    const std::uint16_t an = get16(&msg[6]);
    const std::uint16_t ns = get16(&msg[8]);
    const std::uint16_t ar = get16(&msg[10]);
    const std::uint16_t opcode = (q.flags & flag::opcode_mask) >> 11;
    // unbound's order (worker_check_request): TC in a query, then the opcode, then the counts
    // (a NOTIFY may carry the zone's SOA in its answer section, RFC 1996 §3.7).
    if (q.flags & flag::tc) return parse_status::formerr;
    if (opcode != 0 && opcode != 4) return parse_status::notimp;
    if (qd != 1 || an > (opcode == 4 ? 1 : 0) || ns != 0 || ar > 1) return parse_status::formerr;
    std::size_t off = header_size;
    // The question is the first name of the message: a compression pointer in it could only
    // point into the header, so it must be written out in full.
    if (!read_name(msg, off, &q.qname) || off - header_size != q.qname.size) {
        return parse_status::formerr;
    }
    if (msg.size() - off < 4) return parse_status::formerr;
    q.qtype = get16(&msg[off]);
    q.qclass = get16(&msg[off + 2]);
    off += 4;
    q.qname_lower = q.qname;
    lowercase(q.qname_lower);
    if (opcode == 0) {
        // Zone transfers are refused, meta-TYPEs are not questions (RFC 6895 §3.1).
        if (q.qtype == 251 || q.qtype == 252) return parse_status::zone_transfer;
        if (q.qtype == rr_type::opt || q.qtype == 249 || q.qtype == 250 || q.qtype == 253 ||
            q.qtype == 254 || (q.qtype >= 128 && q.qtype <= 248)) {
            return parse_status::formerr;
        }
    }
    const auto edns_error = [&q] {
        q.edns = true;
        q.do_bit = false;
        q.udp_size = 512;
        q.edns_version = 0;
        return parse_status::edns_formerr;
    };
    // A NOTIFY's answer record (its SOA) is skipped on the way to the additional one.
    for (std::uint16_t i = 0; i < an; ++i) {
        if (!read_name(msg, off, nullptr) || msg.size() - off < 10 ||
            msg.size() - off - 10 < get16(&msg[off + 8])) {
            return edns_error();
        }
        off += 10u + get16(&msg[off + 8]);
    }
    // The one additional record a query may carry is its OPT record, as unbound reads it
    // (util/data/msgparse.c parse_edns_from_query_pkt): owned by the root (a compression pointer
    // to it will do), of type OPT, its data within the message. Anything else is FORMERR with the
    // question and an OPT record of our own (worker answer_unparsed).
    if (ar == 1) {
        wire_name owner;
        if (!read_name(msg, off, &owner) || owner.size != 1 || msg.size() - off < 10) {
            return edns_error();
        }
        const std::uint16_t type = get16(&msg[off]);
        const std::uint16_t cls = get16(&msg[off + 2]);
        const std::uint32_t ttl = get32(&msg[off + 4]);
        const std::uint16_t rdlen = get16(&msg[off + 8]);
        if (type != rr_type::opt || msg.size() - off - 10 < rdlen) return edns_error();
        q.edns = true;
        q.udp_size = std::max<std::uint16_t>(cls, 512);
        q.edns_version = static_cast<std::uint8_t>(ttl >> 16);
        q.do_bit = (ttl & 0x8000u) != 0;
    }
    if (q.edns && q.edns_version != 0) return parse_status::badvers;
    return opcode == 4 ? parse_status::notify : parse_status::ok;
}

std::size_t response_limit(const query& q, bool tcp) noexcept {
    if (tcp) return 65535;
    if (!q.edns) return 512;
    return std::clamp<std::size_t>(q.udp_size, 512, max_udp_message);
}

void write_opt(writer& w, std::uint16_t udp_size, std::uint8_t ext_rcode, bool do_bit) noexcept {
    w.u8(0);
    w.u16(rr_type::opt);
    w.u16(udp_size);
    w.u32((std::uint32_t{ext_rcode} << 24) | (do_bit ? 0x8000u : 0u));
    w.u16(0);
}

void write_header(writer& w, const query& q, std::uint16_t extra_flags, std::uint16_t qd,
                  std::uint16_t an, std::uint16_t ns, std::uint16_t ar) noexcept {
    w.u16(q.id);
    w.u16(static_cast<std::uint16_t>(flag::qr | flag::ra | (q.flags & (flag::rd | flag::cd)) |
                                     extra_flags));
    w.u16(qd);
    w.u16(an);
    w.u16(ns);
    w.u16(ar);
}

void write_question(writer& w, const query& q) noexcept {
    w.bytes(q.qname.view());
    w.u16(q.qtype);
    w.u16(q.qclass);
}

std::size_t write_rcode(const query& q, std::uint16_t rc, std::uint16_t our_udp_size,
                        std::span<std::uint8_t> out) noexcept {
    writer w(out);
    write_header(w, q, static_cast<std::uint16_t>(rc & 0xf), 1, 0, 0, q.edns ? 1 : 0);
    write_question(w, q);
    if (q.edns) write_opt(w, our_udp_size, static_cast<std::uint8_t>(rc >> 4), q.do_bit);
    return w.ok() ? w.size() : 0;
}

std::size_t write_reflected(std::span<const std::uint8_t> raw, std::uint8_t rc,
                            std::span<std::uint8_t> out) noexcept {
    if (raw.size() < header_size) return 0;
    if (raw.size() > out.size()) {
        const auto n = write_formerr(raw, out);
        if (n) out[3] = static_cast<std::uint8_t>((out[3] & 0xf0) | rc);
        return n;
    }
    std::copy(raw.begin(), raw.end(), out.begin());
    out[2] = static_cast<std::uint8_t>((out[2] | 0x80) & ~0x02);  // QR; TC cleared, as unbound
    out[3] = static_cast<std::uint8_t>((out[3] & 0xf0) | rc);
    return raw.size();
}

std::size_t write_formerr(std::span<const std::uint8_t> raw, std::span<std::uint8_t> out) noexcept {
    if (raw.size() < 4 || out.size() < header_size) return 0;
    writer w(out);
    w.u16(get16(&raw[0]));
    const std::uint16_t flags = get16(&raw[2]);
    w.u16(static_cast<std::uint16_t>(flag::qr | (flags & (flag::opcode_mask | flag::rd)) |
                                     rcode::formerr));
    w.u16(0);
    w.u16(0);
    w.u16(0);
    w.u16(0);
    return w.size();
}

std::size_t write_truncated(const query& q, std::uint16_t our_udp_size,
                            std::span<std::uint8_t> out) noexcept {
    writer w(out);
    write_header(w, q, flag::tc, 1, 0, 0, q.edns ? 1 : 0);
    write_question(w, q);
    if (q.edns) write_opt(w, our_udp_size, 0, q.do_bit);
    return w.ok() ? w.size() : 0;
}

steered_records steered_count(const query& q, const steer_target& t) noexcept {
    if (q.qclass != class_in && q.qclass != class_any) return {};
    const bool any = q.qtype == rr_type::any;
    return {any || q.qtype == rr_type::a ? t.ipv4.size() : 0,
            any || q.qtype == rr_type::aaaa ? t.ipv6.size() : 0};
}

std::size_t write_steered_address(writer& w, const steer_target& t, steered_records n,
                                  std::size_t i) noexcept {
    const bool v4 = i < n.ipv4;
    w.u16(v4 ? rr_type::a : rr_type::aaaa);
    w.u16(class_in);
    const std::size_t ttl_at = w.size();
    w.u32(t.ttl);
    if (v4) {
        w.u16(4);
        w.bytes(t.ipv4[i]);
    } else {
        w.u16(16);
        w.bytes(t.ipv6[i - n.ipv4]);
    }
    return ttl_at;
}

std::size_t write_steered(const query& q, const steer_target& t, std::uint16_t our_udp_size,
                          std::span<std::uint8_t> out) noexcept {
    const auto n = steered_count(q, t);
    const std::size_t count = n.ipv4 + n.ipv6;
    // The SOA the negative answers carry exists: asked for, it is the answer (a client finding
    // the zone a name is in by asking SOA, as ACME clients and nsupdate do, must not be told it
    // both has and lacks one).
    const bool soa_asked = count == 0 && q.qtype == rr_type::soa;
    writer w(out);
    write_header(w, q, flag::aa, 1, static_cast<std::uint16_t>(count + (soa_asked ? 1 : 0)),
                 count == 0 && !soa_asked ? 1 : 0, q.edns ? 1 : 0);
    write_question(w, q);
    for (std::size_t i = 0; i < count; ++i) {
        w.u16(0xc000 | header_size);  // pointer to the question name: its case as the client sent
        write_steered_address(w, t, n, i);
    }
    if (count == 0) {
        // SOA owned by the name itself: the gateway is authoritative for exactly the steered name.
        static constexpr std::uint8_t mname[] = {11,  'c', 'o', 'n', 's', 'o', 'l',
                                                 'e', 'g', 'a', 't', 'e', 7,   'i',
                                                 'n', 'v', 'a', 'l', 'i', 'd', 0};
        static constexpr std::uint8_t rname[] = {
            10, 'h', 'o', 's', 't', 'm', 'a', 's', 't', 'e', 'r', 0xc0, 0};  // + pointer to mname
        w.u16(0xc000 | header_size);
        w.u16(rr_type::soa);
        w.u16(class_in);
        w.u32(t.ttl);
        const std::size_t rdlen_at = w.size();
        w.u16(0);
        const std::size_t mname_at = w.size();
        w.bytes(mname);
        std::uint8_t r[sizeof rname];
        std::copy(std::begin(rname), std::end(rname), r);
        r[sizeof rname - 1] = static_cast<std::uint8_t>(mname_at & 0xff);
        r[sizeof rname - 2] = static_cast<std::uint8_t>(0xc0 | (mname_at >> 8));
        w.bytes(r);
        w.u32(1);      // serial
        w.u32(3600);   // refresh
        w.u32(600);    // retry
        w.u32(86400);  // expire
        w.u32(t.ttl);  // minimum: the negative TTL
        if (w.ok()) put16(w.data() + rdlen_at, static_cast<std::uint16_t>(w.size() - rdlen_at - 2));
    }
    if (q.edns) write_opt(w, our_udp_size, 0, q.do_bit);
    return w.ok() ? w.size() : 0;
}

std::size_t write_upstream_query(const query& q, std::uint16_t id, std::uint16_t our_udp_size,
                                 std::span<std::uint8_t> out) noexcept {
    writer w(out);
    w.u16(id);
    // CD as the client set it (RFC 4035 §3.2.2: a CD=1 client validates itself and wants the data
    // a validating upstream would refuse as bogus); AD always (RFC 6840 §5.7), so a validating
    // upstream says whether it validated even with DO=0. render_answer shows AD only to clients
    // that asked (DO or AD), as RFC 6840 §5.8 says.
    w.u16(static_cast<std::uint16_t>(flag::rd | flag::ad | (q.flags & flag::cd)));
    w.u16(1);
    w.u16(0);
    w.u16(0);
    w.u16(1);
    // The name as the client spelt it, as unbound asks it: the names of the answer compressed
    // against it carry that spelling, and which copy of an RRset unbound keeps depends on it
    // (rrset_ttls: data equal byte for byte).
    w.bytes(q.qname.view());
    w.u16(q.qtype);
    w.u16(upstream_class(q));
    // DO=1 whatever the client asked, as unbound asks (iterator.c, EDNS_DO): one answer serves
    // DO=1 and DO=0 clients (cached_answer::for_client), and what a DO=0 client sees is shaped
    // by the signed answer (a wildcard's NSEC keeps the additional section, ANY its RRSIGs).
    write_opt(w, our_udp_size, 0, true);
    return w.ok() ? w.size() : 0;
}

}  // namespace consolegate::dns
