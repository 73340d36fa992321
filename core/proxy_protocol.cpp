// PROXY protocol v1 and v2 (https://www.haproxy.org/download/2.8/doc/proxy-protocol.txt).
#include "consolegate/core/proxy_protocol.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>

namespace consolegate::core {

namespace {

constexpr std::string_view v1_prefix = "PROXY ";
// §2.2: "\r\n\r\n\0\r\nQUIT\n", chosen so no other protocol's first bytes look like it.
constexpr std::array<std::uint8_t, 12> v2_signature = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                                       0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

proxy_parse_result fail(std::string_view why) {
    proxy_parse_result r;
    r.status = proxy_parse_status::malformed;
    r.error = why;
    return r;
}

bool prefix_of(std::span<const std::uint8_t> in, std::span<const std::uint8_t> pattern) {
    const auto n = std::min(in.size(), pattern.size());
    return std::equal(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(n), pattern.begin());
}

// A decimal port: 0..65535, no sign, no leading zero (§2.1: "a number between 0 and 65535").
bool parse_port(std::string_view s, std::uint16_t& out) {
    if (s.empty() || s.size() > 5 || (s.size() > 1 && s[0] == '0')) return false;
    std::uint32_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + static_cast<std::uint32_t>(c - '0');
    }
    if (v > 65535) return false;
    out = static_cast<std::uint16_t>(v);
    return true;
}

// Splits `line` at single spaces into exactly `n` fields; false on empty fields or a count
// mismatch.
template <std::size_t N>
bool split_fields(std::string_view line, std::array<std::string_view, N>& out) {
    for (std::size_t i = 0; i < N; ++i) {
        const auto sp = line.find(' ');
        const bool last = i + 1 == N;
        if (last != (sp == std::string_view::npos)) return false;
        out[i] = line.substr(0, sp);
        if (out[i].empty()) return false;
        if (!last) line.remove_prefix(sp + 1);
    }
    return true;
}

proxy_parse_result parse_v1(std::span<const std::uint8_t> in) {
    const auto limit = std::min(in.size(), proxy_v1_max_bytes);
    const char* text = reinterpret_cast<const char*>(in.data());
    std::string_view seen(text, limit);
    const auto cr = seen.find('\r');
    if (cr == std::string_view::npos) {
        if (in.size() >= proxy_v1_max_bytes) return fail("v1 header longer than 107 bytes");
        if (seen.find('\n') != std::string_view::npos) return fail("v1 header ends without CR");
        return {};
    }
    if (cr + 2 > proxy_v1_max_bytes) return fail("v1 header longer than 107 bytes");
    if (cr + 1 >= in.size()) return {};  // the LF may still come
    if (text[cr + 1] != '\n') return fail("v1 header: CR not followed by LF");
    std::string_view line = seen.substr(v1_prefix.size(), cr - v1_prefix.size());
    proxy_parse_result r;
    r.consumed = cr + 2;
    r.header.version = 1;
    if (line.starts_with("UNKNOWN") && (line.size() == 7 || line[7] == ' ')) {
        // §2.1: the rest of an UNKNOWN line is ignored; the receiver uses the socket's addresses.
        r.status = proxy_parse_status::complete;
        return r;
    }
    std::array<std::string_view, 5> f;
    if (!split_fields(line, f)) return fail("v1 header: expected 5 fields after PROXY");
    const bool v4 = f[0] == "TCP4";
    if (!v4 && f[0] != "TCP6") return fail("v1 header: protocol is not TCP4, TCP6 or UNKNOWN");
    for (std::size_t i : {1u, 2u}) {
        // IPv6 text must not smuggle an IPv4 address in (and the reverse).
        const bool has_colon = f[i].find(':') != std::string_view::npos;
        if (has_colon == v4) return fail("v1 header: address does not match the protocol");
    }
    auto src = ip_address::parse(f[1]);
    auto dst = ip_address::parse(f[2]);
    if (!src || !dst) return fail("v1 header: bad address");
    if (src->is_v4_compatible()) return fail("v1 header: IPv4-compatible source address");
    if (!parse_port(f[3], r.header.source_port) || !parse_port(f[4], r.header.destination_port))
        return fail("v1 header: bad port");
    r.header.command = proxy_command::proxy;
    r.header.source = *src;
    r.header.destination = *dst;
    r.status = proxy_parse_status::complete;
    return r;
}

std::uint16_t get16(const std::uint8_t* p) {
    return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

// §2.2.7: TLVs fill the rest of the address block; each must fit in what is left.
bool tlvs_fit(std::span<const std::uint8_t> t) {
    while (!t.empty()) {
        if (t.size() < 3) return false;
        const std::size_t len = get16(t.data() + 1);
        if (len > t.size() - 3) return false;
        t = t.subspan(3 + len);
    }
    return true;
}

proxy_parse_result parse_v2(std::span<const std::uint8_t> in) {
    if (in.size() < 16) return {};
    const std::uint8_t ver_cmd = in[12];
    const std::uint8_t fam = in[13];
    const std::size_t len = get16(in.data() + 14);
    if ((ver_cmd >> 4) != 2) return fail("v2 header: version is not 2");
    const std::uint8_t cmd = ver_cmd & 0x0F;
    if (cmd > 1) return fail("v2 header: command is neither LOCAL nor PROXY");
    if (in.size() < 16 + len) return {};
    auto block = in.subspan(16, len);
    proxy_parse_result r;
    r.consumed = 16 + len;
    r.header.version = 2;
    if (cmd == 0) {
        // §2.2: LOCAL: "the receiver must accept this connection as valid and must use the real
        // connection endpoints and discard the protocol block including the family".
        r.status = proxy_parse_status::complete;
        return r;
    }
    std::size_t addr_len = 0;
    if (fam == 0x11) {  // AF_INET, STREAM
        addr_len = 12;
        if (block.size() < addr_len) return fail("v2 header: IPv4 address block too short");
        auto v4 = [](const std::uint8_t* p) {
            return ip_address::from_v4((std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
                                       (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]});
        };
        r.header.source = v4(block.data());
        r.header.destination = v4(block.data() + 4);
        r.header.source_port = get16(block.data() + 8);
        r.header.destination_port = get16(block.data() + 10);
    } else if (fam == 0x21) {  // AF_INET6, STREAM
        addr_len = 36;
        if (block.size() < addr_len) return fail("v2 header: IPv6 address block too short");
        std::array<std::uint8_t, 16> a{};
        std::memcpy(a.data(), block.data(), 16);
        r.header.source = ip_address::from_v6(a);
        std::memcpy(a.data(), block.data() + 16, 16);
        r.header.destination = ip_address::from_v6(a);
        r.header.source_port = get16(block.data() + 32);
        r.header.destination_port = get16(block.data() + 34);
    } else {
        return fail("v2 header: PROXY command for a transport other than TCP over IP");
    }
    // An IPv4-mapped source is the IPv4 client (ip_address holds IPv4 that way); an IPv4-compatible
    // one (::a.b.c.d) is neither that client nor a routed IPv6 one: a rule for 10.20.0.0/16 or an
    // address-map entry would be met or missed by a guess, so the header is refused.
    if (r.header.source.is_v4_compatible())
        return fail("v2 header: IPv4-compatible source address");
    if (!tlvs_fit(block.subspan(addr_len))) return fail("v2 header: TLV overruns the header");
    r.header.command = proxy_command::proxy;
    r.status = proxy_parse_status::complete;
    return r;
}

}  // namespace

proxy_parse_result parse_proxy_header(std::span<const std::uint8_t> in) noexcept {
    if (in.empty()) return {};
    const std::span<const std::uint8_t> v1(reinterpret_cast<const std::uint8_t*>(v1_prefix.data()),
                                           v1_prefix.size());
    if (prefix_of(in, v1)) return in.size() < v1.size() ? proxy_parse_result{} : parse_v1(in);
    if (prefix_of(in, v2_signature))
        return in.size() < v2_signature.size() ? proxy_parse_result{} : parse_v2(in);
    proxy_parse_result r;
    r.status = proxy_parse_status::not_proxy;
    return r;
}

}  // namespace consolegate::core
