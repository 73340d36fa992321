#pragma once
// IP addresses and CIDR blocks as pure values (no sockets): client networks in policy rules,
// ACLs of the listeners. IPv4 is held IPv4-mapped (::ffff:a.b.c.d) so one type covers both.

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace consolegate::core {

class ip_address {
  public:
    constexpr ip_address() = default;
    static std::optional<ip_address> parse(
        std::string_view text) noexcept;  // dotted quad or RFC 4291 text
    static ip_address from_v4(std::uint32_t host_order) noexcept;
    static ip_address from_v6(const std::array<std::uint8_t, 16>& bytes) noexcept;

    bool is_v4() const noexcept;  // an IPv4-mapped address
    // An IPv4-compatible address (::a.b.c.d, RFC 4291 §2.5.5.1, deprecated; not :: or ::1): no
    // IPv4 client is held this way and no IPv6 client is routed from it, so any reading is a guess.
    bool is_v4_compatible() const noexcept;
    std::uint32_t v4() const noexcept;  // host order; meaningful only if is_v4()
    const std::array<std::uint8_t, 16>& bytes() const noexcept { return bytes_; }
    std::string str() const;

    friend auto operator<=>(const ip_address&, const ip_address&) = default;

  private:
    std::array<std::uint8_t, 16> bytes_{};
};

// A client's address as a source names it (the PROXY protocol, the address map's file and
// pushes, explain --client), in the one form the gateway holds clients in: every spelling of one
// address is one value (IPv4 and its IPv4-mapped IPv6 form, upper- or lower-case hex, any zero
// compression). Refused, with why in `why`: text that is no address, an IPv4 octet with a leading
// zero ("010" is 8 to inet_aton and 10 to others), a zone id ("fe80::1%eth0": the gateway holds
// clients without one, so two links' hosts would be one), and an IPv4-compatible address.
std::optional<ip_address> parse_client_address(std::string_view text, std::string* why = nullptr);

class cidr {
  public:
    // "10.0.0.0/8", "2001:db8::/32", or a bare address (= /32 or /128). Host bits must be zero:
    // "10.1.2.3/8" is rejected so a typo never silently widens a rule. An IPv4-mapped network
    // with a length ("::ffff:10.0.0.0/104") is rejected: "10.0.0.0/8" says it.
    static std::optional<cidr> parse(std::string_view text) noexcept;

    // Only an address of the family the network was written in: an IPv4 network matches IPv4
    // clients (held IPv4-mapped), an IPv6 network IPv6 clients, "::/0" included.
    bool contains(const ip_address& a) const noexcept;
    const ip_address& network() const noexcept { return network_; }
    int prefix_length() const noexcept;  // as written: 0..32 for IPv4, 0..128 for IPv6
    std::string str() const;

    friend bool operator==(const cidr&, const cidr&) = default;

  private:
    ip_address network_;
    int bits_ = 0;  // over the 128-bit (mapped) form
};

}  // namespace consolegate::core
