#pragma once
// DNS wire-format primitives (RFC 1035 §4): big-endian fields, names with compression pointers.
// Everything here reads untrusted bytes: every read is checked against the bytes left.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace consolegate::dns {

inline constexpr std::size_t header_size = 12;
inline constexpr std::size_t max_name_size = 255;  // RFC 1035 §2.3.4, wire form incl. the root
inline constexpr std::size_t max_udp_message = 4096;

namespace rr_type {
inline constexpr std::uint16_t a = 1, ns = 2, cname = 5, soa = 6, ptr = 12, mx = 15, txt = 16,
                               aaaa = 28, opt = 41, ds = 43, rrsig = 46, nsec = 47, dnskey = 48,
                               nsec3 = 50, svcb = 64, https = 65, any = 255;
}
namespace rcode {
inline constexpr std::uint8_t noerror = 0, formerr = 1, servfail = 2, nxdomain = 3, notimp = 4,
                              refused = 5, yxdomain = 6;  // YXDOMAIN: a DNAME overflow, RFC 6672
}
inline constexpr std::uint16_t class_in = 1, class_any = 255;

namespace flag {
inline constexpr std::uint16_t qr = 0x8000, aa = 0x0400, tc = 0x0200, rd = 0x0100, ra = 0x0080,
                               ad = 0x0020, cd = 0x0010, opcode_mask = 0x7800, rcode_mask = 0x000f;
}

inline std::uint16_t get16(const std::uint8_t* p) noexcept {
    return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
inline std::uint32_t get32(const std::uint8_t* p) noexcept {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
}
inline void put16(std::uint8_t* p, std::uint16_t v) noexcept {
    p[0] = static_cast<std::uint8_t>(v >> 8);
    p[1] = static_cast<std::uint8_t>(v);
}
inline void put32(std::uint8_t* p, std::uint32_t v) noexcept {
    p[0] = static_cast<std::uint8_t>(v >> 24);
    p[1] = static_cast<std::uint8_t>(v >> 16);
    p[2] = static_cast<std::uint8_t>(v >> 8);
    p[3] = static_cast<std::uint8_t>(v);
}
inline std::uint8_t ascii_lower(std::uint8_t c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<std::uint8_t>(c + 32) : c;
}

// A name in uncompressed wire form, root label included ("\3www\7example\3com\0").
struct wire_name {
    // Left uninitialised on purpose: only the first `size` bytes are ever read, and a query is
    // parsed into a fresh one per packet on the hot path.
    std::array<std::uint8_t, max_name_size> bytes;
    std::size_t size = 0;

    std::span<const std::uint8_t> view() const noexcept { return {bytes.data(), size}; }
};

// Reads the (possibly compressed) name at `off`. On success `off` points past the name's bytes
// at that position and `out` (if given) holds the expanded name. Pointers must point strictly
// backwards (no loops), labels are ≤ 63 bytes, the expanded name ≤ 255 bytes (RFC 1035 §4.1.4).
bool read_name(std::span<const std::uint8_t> msg, std::size_t& off, wire_name* out) noexcept;

bool names_equal_ci(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept;
void lowercase(wire_name& n) noexcept;

// "www.example.com" (no trailing dot; the root is ""). Bytes outside [!-~] and dots inside labels
// are escaped as \DDD so a hostile name can never be confused with another in logs or matching.
std::string to_text(std::span<const std::uint8_t> name);
// The same into a caller's buffer (no allocation; 4 bytes per wire byte always suffice).
using text_buffer = std::array<char, max_name_size * 4>;
std::string_view to_text(std::span<const std::uint8_t> name, text_buffer& buf) noexcept;
// Parses "www.example.com" or "www.example.com." into wire form. No escapes accepted.
bool from_text(std::string_view text, wire_name& out) noexcept;

// A bounded writer into a caller-provided buffer; `ok()` turns false on the first overflow.
class writer {
  public:
    explicit writer(std::span<std::uint8_t> buf) noexcept : buf_(buf) {}
    void u8(std::uint8_t v) noexcept {
        if (reserve(1)) buf_[len_++] = v;
    }
    void u16(std::uint16_t v) noexcept {
        if (reserve(2)) put16(&buf_[len_], v), len_ += 2;
    }
    void u32(std::uint32_t v) noexcept {
        if (reserve(4)) put32(&buf_[len_], v), len_ += 4;
    }
    void bytes(std::span<const std::uint8_t> b) noexcept;
    std::size_t size() const noexcept { return len_; }
    bool ok() const noexcept { return ok_; }
    std::uint8_t* data() noexcept { return buf_.data(); }

  private:
    bool reserve(std::size_t n) noexcept {
        if (!ok_ || buf_.size() - len_ < n) return ok_ = false;
        return true;
    }
    std::span<std::uint8_t> buf_;
    std::size_t len_ = 0;
    bool ok_ = true;
};

}  // namespace consolegate::dns
