#include "local_zones.hpp"

#include <array>

namespace consolegate::dns {
namespace {

enum class zone_kind {
    localhost,    // "redirect": every name below gets the apex's A, AAAA, NS and SOA
    loopback_v4,  // 127.in-addr.arpa: NS and SOA, and 1.0.0.127 PTR localhost
    loopback_v6,  // ::1's reverse name: NS, SOA and PTR localhost at the apex
    empty,        // NS and SOA at the apex, nothing below
};

struct local_zone {
    std::string_view apex;
    zone_kind kind;
};

constexpr std::string_view loopback_v6 =
    "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa";

// unbound 1.17's list (util/as112.c and local_zone_enter_defaults), test. apart (see header).
constexpr std::array zones = {
    local_zone{"localhost", zone_kind::localhost},
    local_zone{"127.in-addr.arpa", zone_kind::loopback_v4},
    local_zone{loopback_v6, zone_kind::loopback_v6},
    local_zone{"home.arpa", zone_kind::empty},
    local_zone{"onion", zone_kind::empty},
    local_zone{"invalid", zone_kind::empty},
    local_zone{"10.in-addr.arpa", zone_kind::empty},
    local_zone{"16.172.in-addr.arpa", zone_kind::empty},
    local_zone{"17.172.in-addr.arpa", zone_kind::empty},
    local_zone{"18.172.in-addr.arpa", zone_kind::empty},
    local_zone{"19.172.in-addr.arpa", zone_kind::empty},
    local_zone{"20.172.in-addr.arpa", zone_kind::empty},
    local_zone{"21.172.in-addr.arpa", zone_kind::empty},
    local_zone{"22.172.in-addr.arpa", zone_kind::empty},
    local_zone{"23.172.in-addr.arpa", zone_kind::empty},
    local_zone{"24.172.in-addr.arpa", zone_kind::empty},
    local_zone{"25.172.in-addr.arpa", zone_kind::empty},
    local_zone{"26.172.in-addr.arpa", zone_kind::empty},
    local_zone{"27.172.in-addr.arpa", zone_kind::empty},
    local_zone{"28.172.in-addr.arpa", zone_kind::empty},
    local_zone{"29.172.in-addr.arpa", zone_kind::empty},
    local_zone{"30.172.in-addr.arpa", zone_kind::empty},
    local_zone{"31.172.in-addr.arpa", zone_kind::empty},
    local_zone{"168.192.in-addr.arpa", zone_kind::empty},
    local_zone{"0.in-addr.arpa", zone_kind::empty},
    local_zone{"254.169.in-addr.arpa", zone_kind::empty},
    local_zone{"2.0.192.in-addr.arpa", zone_kind::empty},
    local_zone{"100.51.198.in-addr.arpa", zone_kind::empty},
    local_zone{"113.0.203.in-addr.arpa", zone_kind::empty},
    local_zone{"255.255.255.255.in-addr.arpa", zone_kind::empty},
    local_zone{"0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa",
               zone_kind::empty},
    local_zone{"d.f.ip6.arpa", zone_kind::empty},
    local_zone{"8.e.f.ip6.arpa", zone_kind::empty},
    local_zone{"9.e.f.ip6.arpa", zone_kind::empty},
    local_zone{"a.e.f.ip6.arpa", zone_kind::empty},
    local_zone{"b.e.f.ip6.arpa", zone_kind::empty},
    local_zone{"8.b.d.0.1.0.0.2.ip6.arpa", zone_kind::empty},
};

bool in_zone(std::string_view name, std::string_view apex) noexcept {
    return name == apex || (name.size() > apex.size() && name.ends_with(apex) &&
                            name[name.size() - apex.size() - 1] == '.');
}

// 64.100.in-addr.arpa to 127.100.in-addr.arpa (RFC 6598 shared address space): the zone apex
// for `name` in it, else empty.
std::string_view shared_space_zone(std::string_view name) noexcept {
    constexpr std::string_view tail = ".100.in-addr.arpa";
    if (!name.ends_with(tail)) return {};
    const auto at = name.size() - tail.size();
    const auto dot = at == 0 ? std::string_view::npos : name.rfind('.', at - 1);
    const auto start = dot == std::string_view::npos ? 0 : dot + 1;
    const auto label = name.substr(start, at - start);
    if (label.size() < 2 || label.size() > 3 || label[0] == '0') return {};
    int v = 0;
    for (const char c : label) {
        if (c < '0' || c > '9') return {};
        v = v * 10 + (c - '0');
    }
    return v >= 64 && v <= 127 ? name.substr(start) : std::string_view{};
}

// Writes `text` compressed against the question's name as unbound's encoder does (the question
// is the first name in its compression tree, matched without regard to case): the longest
// suffix the question name ends with becomes a pointer there, so it reads in the client's
// spelling ("LocalHost." for a client that asked so).
void write_name(writer& w, const query& q, std::string_view text) noexcept {
    wire_name n;
    if (!from_text(text, n)) return;
    const auto name = n.view();
    const auto asked = q.qname.view();
    for (std::size_t at = 0; at < name.size() && name[at] != 0; at += 1u + name[at]) {
        const auto tail = name.subspan(at);
        if (tail.size() > asked.size()) continue;
        const auto from = asked.size() - tail.size();
        std::size_t label = 0;  // `from` must start a label of the question's name
        while (label < from) label += 1u + asked[label];
        if (label != from || !names_equal_ci(asked.subspan(from), tail)) continue;
        w.bytes(name.first(at));
        w.u16(static_cast<std::uint16_t>(0xc000 | (header_size + from)));
        return;
    }
    w.bytes(name);
}

constexpr std::uint32_t ttl = 10800;

// Type, class, TTL and data of one of the zones' records (its owner written by the caller).
void write_record(writer& w, const query& q, std::uint16_t type) noexcept {
    w.u16(type);
    w.u16(class_in);
    w.u32(ttl);
    const std::size_t rdlen_at = w.size();
    w.u16(0);
    switch (type) {
        case rr_type::a: w.bytes(std::array<std::uint8_t, 4>{127, 0, 0, 1}); break;
        case rr_type::aaaa: {
            std::array<std::uint8_t, 16> one{};
            one[15] = 1;
            w.bytes(one);
            break;
        }
        case rr_type::ns:
        case rr_type::ptr: write_name(w, q, "localhost"); break;
        case rr_type::soa:
            write_name(w, q, "localhost");
            write_name(w, q, "nobody.invalid");
            for (const std::uint32_t v : {1u, 3600u, 1200u, 604800u, 10800u}) w.u32(v);
            break;
        default: break;
    }
    if (w.ok()) put16(w.data() + rdlen_at, static_cast<std::uint16_t>(w.size() - rdlen_at - 2));
}

}  // namespace

std::size_t write_local_zone_answer(const query& q, std::string_view lower,
                                    std::uint16_t our_udp_size,
                                    std::span<std::uint8_t> out) noexcept {
    if (q.qclass != class_in) return 0;
    if (!lower.ends_with("arpa") && !in_zone(lower, "localhost") && !in_zone(lower, "onion") &&
        !in_zone(lower, "invalid")) {
        return 0;
    }
    std::string_view apex;
    zone_kind kind = zone_kind::empty;
    for (const auto& z : zones) {
        if (in_zone(lower, z.apex)) {
            apex = z.apex;
            kind = z.kind;
            break;
        }
    }
    if (apex.empty()) apex = shared_space_zone(lower);
    if (apex.empty()) return 0;
    const bool at_apex = lower.size() == apex.size();
    if (at_apex && q.qtype == rr_type::ds) return 0;

    // The name's record types, and whether it exists (an empty non-terminal does, with none).
    bool exists = at_apex || kind == zone_kind::localhost;
    bool has = false;
    switch (kind) {
        case zone_kind::localhost:
            has = q.qtype == rr_type::a || q.qtype == rr_type::aaaa || q.qtype == rr_type::ns ||
                  q.qtype == rr_type::soa;
            break;
        case zone_kind::loopback_v4:
            if (lower == "1.0.0.127.in-addr.arpa") {
                exists = true;
                has = q.qtype == rr_type::ptr;
            } else if (lower == "0.0.127.in-addr.arpa" || lower == "0.127.in-addr.arpa") {
                exists = true;
            } else {
                has = at_apex && (q.qtype == rr_type::ns || q.qtype == rr_type::soa);
            }
            break;
        case zone_kind::loopback_v6:
            has = at_apex &&
                  (q.qtype == rr_type::ns || q.qtype == rr_type::soa || q.qtype == rr_type::ptr);
            break;
        case zone_kind::empty:
            has = at_apex && (q.qtype == rr_type::ns || q.qtype == rr_type::soa);
            break;
    }
    writer w(out);
    const auto rc = exists ? rcode::noerror : rcode::nxdomain;
    write_header(w, q, static_cast<std::uint16_t>(flag::aa | rc), 1, has ? 1 : 0, has ? 0 : 1,
                 q.edns ? 1 : 0);
    write_question(w, q);
    if (has) {
        w.u16(0xc000 | header_size);  // the name as the client spelt it
        write_record(w, q, q.qtype);
    } else {
        write_name(w, q, apex);
        write_record(w, q, rr_type::soa);
    }
    if (q.edns) write_opt(w, our_udp_size, 0, q.do_bit);
    return w.ok() ? w.size() : 0;
}

}  // namespace consolegate::dns
