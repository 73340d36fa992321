#pragma once
// A client query (RFC 1035 §4.1, EDNS0 per RFC 6891) parsed from untrusted bytes, and the
// responses the gateway writes itself: errors, steered answers, truncation.

#include <cstdint>
#include <span>
#include <vector>

#include "wire.hpp"

namespace consolegate::dns {

struct query {
    std::uint16_t id = 0;
    std::uint16_t flags = 0;
    wire_name qname;  // as received: its case is echoed back (0x20, draft-vixie-dnsext-dns0x20)
    wire_name qname_lower;  // the cache and policy key
    std::uint16_t qtype = 0;
    std::uint16_t qclass = 0;
    bool edns = false;
    bool do_bit = false;           // RFC 3225
    std::uint16_t udp_size = 512;  // as advertised by the client; < 512 is read as 512
    std::uint8_t edns_version = 0;
};

enum class parse_status {
    ok,
    drop,     // not worth an answer: shorter than a header, or a response (QR=1)
    formerr,  // answer FORMERR (RFC 1035 §4.1.1) by reflection (write_reflected), as unbound does:
              // TC set, counts other than one question and at most one additional record, an
              // unreadable question, a meta-TYPE asked (OPT, TSIG, TKEY, MAILA, MAILB, 128-248)
    edns_formerr,   // the question is readable, the record after it not an OPT: FORMERR + OPT
                    // with the question (write_rcode)
    zone_transfer,  // AXFR or IXFR: REFUSED by reflection (a forwarder serves no zone)
    notimp,         // opcode other than QUERY and NOTIFY: NOTIMP by reflection (write_reflected)
    notify,         // opcode NOTIFY with a readable question: REFUSED (a resolver takes no zone)
    badvers,        // EDNS version > 0 (RFC 6891 §6.1.3)
};

parse_status parse_query(std::span<const std::uint8_t> msg, query& out) noexcept;

// The largest response a client can take: 512 without EDNS, else its advertised size (RFC 6891
// §6.2.5: less than 512 is 512) up to 4096, unbound's max-udp-size, whatever edns_udp_size we
// advertise (unbound's edns-buffer-size: what we take, not what we send); TCP takes 65535.
std::size_t response_limit(const query& q, bool tcp) noexcept;

// Header + echoed question (+ OPT when the client sent EDNS). rcode may be extended (BADVERS=16).
std::size_t write_rcode(const query& q, std::uint16_t rcode, std::uint16_t our_udp_size,
                        std::span<std::uint8_t> out) noexcept;
// The query reflected with QR set and `rcode`, as unbound answers a query it will not take (same
// size as the query, so no amplification); header only when it does not fit `out`.
std::size_t write_reflected(std::span<const std::uint8_t> raw, std::uint8_t rcode,
                            std::span<std::uint8_t> out) noexcept;
// FORMERR for a message whose question could not be parsed: header only, ID and RD copied.
std::size_t write_formerr(std::span<const std::uint8_t> raw, std::span<std::uint8_t> out) noexcept;
// The question alone with TC=1: "retry over TCP" (RFC 1035 §4.2.1, RFC 7766 §5).
std::size_t write_truncated(const query& q, std::uint16_t our_udp_size,
                            std::span<std::uint8_t> out) noexcept;

struct steer_target {
    std::vector<std::array<std::uint8_t, 4>> ipv4;
    std::vector<std::array<std::uint8_t, 16>> ipv6;
    std::uint32_t ttl = 60;
};

// How many of the gateway's A and AAAA records answer `q` for a steered name: class IN (or ANY),
// type A, AAAA or ANY (every address record: RFC 8482 allows a subset, but NODATA would claim
// the name has none).
struct steered_records {
    std::size_t ipv4 = 0, ipv6 = 0;
};
steered_records steered_count(const query& q, const steer_target& t) noexcept;
// Steered address record `i` of `n` (the A records first, then the AAAA ones) after its owner
// name: type, class, TTL and data. Returns the TTL's offset in `w`.
std::size_t write_steered_address(writer& w, const steer_target& t, steered_records n,
                                  std::size_t i) noexcept;

// The gateway's own answer for a steered name: A from ipv4, AAAA from ipv6, every other type
// (HTTPS/SVCB included, so a browser never learns an upstream address from ipv4hint/ipv6hint)
// NODATA with a synthetic SOA whose MINIMUM is the steering TTL (RFC 2308 §3).
std::size_t write_steered(const query& q, const steer_target& t, std::uint16_t our_udp_size,
                          std::span<std::uint8_t> out) noexcept;

// A response's header: ID, RD and CD copied (RFC 1035 §4.1.1, RFC 4035 §3.2.2), QR and RA set,
// with `extra_flags` (AA, TC, an rcode) and the section counts; then the question as the client
// spelt it.
void write_header(writer& w, const query& q, std::uint16_t extra_flags, std::uint16_t qd,
                  std::uint16_t an, std::uint16_t ns, std::uint16_t ar) noexcept;
void write_question(writer& w, const query& q) noexcept;

// An OPT pseudo-RR (RFC 6891 §6.1.2).
void write_opt(writer& w, std::uint16_t udp_size, std::uint8_t ext_rcode, bool do_bit) noexcept;

// The class asked upstream: IN for class ANY, as unbound asks it (it asks each class it has a
// delegation for, here IN alone, iterator.c processClassResponse), so a negative answer comes
// with its SOA (nsd answers class ANY without one) and the client sees unbound's answer.
inline std::uint16_t upstream_class(const query& q) noexcept {
    return q.qclass == class_any ? class_in : q.qclass;
}

// `q` asked for `name` instead (the next link of a chain): `name` spelt as given, its cache and
// policy key lowercased; the rest of `q` (type, class, flags) kept.
inline query asking_for(const query& q, const wire_name& name) {
    query asked = q;
    asked.qname = name;
    asked.qname_lower = name;
    lowercase(asked.qname_lower);
    return asked;
}

// The query the forwarder sends upstream: our own ID, RD=1, AD=1, the client's CD, the name as
// the client spelt it, the class upstream_class, EDNS with our payload size and DO=1 (as unbound
// asks). Returns the size written (0 on overflow).
std::size_t write_upstream_query(const query& q, std::uint16_t id, std::uint16_t our_udp_size,
                                 std::span<std::uint8_t> out) noexcept;

}  // namespace consolegate::dns
