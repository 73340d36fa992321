#include "consolegate/core/address.hpp"

#include <arpa/inet.h>  // inet_pton/inet_ntop: text conversion only, no sockets

#include <cstring>

namespace consolegate::core {
namespace {
constexpr std::array<std::uint8_t, 12> v4_mapped_prefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
}

std::optional<ip_address> ip_address::parse(std::string_view text) noexcept {
    char buf[INET6_ADDRSTRLEN + 1];
    if (text.empty() || text.size() >= sizeof buf) return std::nullopt;
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    in_addr a4{};
    if (inet_pton(AF_INET, buf, &a4) == 1) return from_v4(ntohl(a4.s_addr));
    in6_addr a6{};
    if (inet_pton(AF_INET6, buf, &a6) == 1) {
        std::array<std::uint8_t, 16> b;
        std::memcpy(b.data(), &a6, 16);
        return from_v6(b);
    }
    return std::nullopt;
}

ip_address ip_address::from_v4(std::uint32_t v) noexcept {
    ip_address a;
    std::memcpy(a.bytes_.data(), v4_mapped_prefix.data(), 12);
    a.bytes_[12] = static_cast<std::uint8_t>(v >> 24);
    a.bytes_[13] = static_cast<std::uint8_t>(v >> 16);
    a.bytes_[14] = static_cast<std::uint8_t>(v >> 8);
    a.bytes_[15] = static_cast<std::uint8_t>(v);
    return a;
}

ip_address ip_address::from_v6(const std::array<std::uint8_t, 16>& bytes) noexcept {
    ip_address a;
    a.bytes_ = bytes;
    return a;
}

bool ip_address::is_v4() const noexcept {
    return std::memcmp(bytes_.data(), v4_mapped_prefix.data(), 12) == 0;
}

bool ip_address::is_v4_compatible() const noexcept {
    for (std::size_t i = 0; i < 12; ++i)
        if (bytes_[i] != 0) return false;
    return v4() > 1;
}

std::optional<ip_address> parse_client_address(std::string_view text, std::string* why) {
    auto say = [&](std::string_view w) -> std::optional<ip_address> {
        if (why) *why = w;
        return std::nullopt;
    };
    if (text.find('%') != std::string_view::npos)
        return say(
            "a zone id (\"%...\") is not kept: clients are held without one, so a host of "
            "one link would be a host of every link");
    auto a = ip_address::parse(text);
    if (!a) {
        // inet_pton refuses a leading zero; say why, since inet_aton reads "010" as octal 8.
        const auto dots =
            text.rfind(':') == std::string_view::npos ? text : text.substr(text.rfind(':') + 1);
        bool leading_zero = false;
        for (std::size_t i = 0; i + 1 < dots.size(); ++i)
            if (dots[i] == '0' && (i == 0 || dots[i - 1] == '.') && dots[i + 1] >= '0' &&
                dots[i + 1] <= '9' && dots.find('.') != std::string_view::npos)
                leading_zero = true;
        if (leading_zero)
            return say(
                "an IPv4 octet with a leading zero is ambiguous (\"010\" is 8 to some "
                "readers, 10 to others); write it without");
        return say("not an IP address (IPv4 or IPv6, no prefix)");
    }
    if (a->is_v4_compatible())
        return say(
            "an IPv4-compatible address (::a.b.c.d, deprecated by RFC 4291) is neither an "
            "IPv4 client nor a routed IPv6 one; write the IPv4 address");
    return a;
}

std::uint32_t ip_address::v4() const noexcept {
    return (std::uint32_t{bytes_[12]} << 24) | (std::uint32_t{bytes_[13]} << 16) |
           (std::uint32_t{bytes_[14]} << 8) | std::uint32_t{bytes_[15]};
}

std::string ip_address::str() const {
    char buf[INET6_ADDRSTRLEN];
    if (is_v4()) {
        in_addr a4{};
        a4.s_addr = htonl(v4());
        inet_ntop(AF_INET, &a4, buf, sizeof buf);
    } else {
        inet_ntop(AF_INET6, bytes_.data(), buf, sizeof buf);
    }
    return buf;
}

std::optional<cidr> cidr::parse(std::string_view text) noexcept {
    auto slash = text.find('/');
    auto addr = ip_address::parse(text.substr(0, slash));
    if (!addr) return std::nullopt;
    // An IPv6-written network with a prefix length ("::ffff:10.0.0.0/104", "::ffff:0:0/16") is
    // never read as an IPv4 one: its length counts 128 bits, where it either has host bits set or
    // is an IPv4 network in IPv6 spelling, which the IPv4 spelling says unambiguously.
    if (addr->is_v4() && slash != std::string_view::npos &&
        text.substr(0, slash).find(':') != std::string_view::npos)
        return std::nullopt;
    int max = addr->is_v4() ? 32 : 128;
    int len = max;
    if (slash != std::string_view::npos) {
        auto digits = text.substr(slash + 1);
        if (digits.empty() || digits.size() > 3) return std::nullopt;
        len = 0;
        for (char c : digits) {
            if (c < '0' || c > '9') return std::nullopt;
            len = len * 10 + (c - '0');
        }
        if (len > max) return std::nullopt;
    }
    cidr c;
    c.network_ = *addr;
    c.bits_ = addr->is_v4() ? len + 96 : len;
    // Host bits must be zero.
    for (int bit = c.bits_; bit < 128; ++bit) {
        if (c.network_.bytes()[static_cast<std::size_t>(bit / 8)] & (0x80 >> (bit % 8))) {
            return std::nullopt;
        }
    }
    return c;
}

bool cidr::contains(const ip_address& a) const noexcept {
    // One family each: an IPv6 network ("::/0", "::/80") is IPv6 clients only, although its bits
    // cover the IPv4-mapped form the IPv4 clients are held in.
    if (network_.is_v4() != a.is_v4()) return false;
    const auto& n = network_.bytes();
    const auto& b = a.bytes();
    int full = bits_ / 8;
    if (std::memcmp(n.data(), b.data(), static_cast<std::size_t>(full)) != 0) return false;
    int rest = bits_ % 8;
    if (rest == 0) return true;
    auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
    return (n[static_cast<std::size_t>(full)] & mask) == (b[static_cast<std::size_t>(full)] & mask);
}

int cidr::prefix_length() const noexcept {
    return network_.is_v4() ? bits_ - 96 : bits_;
}

std::string cidr::str() const {
    return network_.str() + "/" + std::to_string(prefix_length());
}

}  // namespace consolegate::core
