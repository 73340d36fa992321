#include "wire.hpp"

#include <cstring>

namespace consolegate::dns {

bool read_name(std::span<const std::uint8_t> msg, std::size_t& off, wire_name* out) noexcept {
    std::size_t pos = off;
    std::size_t name_len = 0;
    bool jumped = false;
    std::size_t lowest = pos;  // every pointer must go below the lowest position seen so far
    for (int guard = 0; guard < 256; ++guard) {
        if (pos >= msg.size()) return false;
        const std::uint8_t len = msg[pos];
        if ((len & 0xc0) == 0xc0) {
            if (pos + 1 >= msg.size()) return false;
            const std::size_t target = ((len & 0x3fu) << 8) | msg[pos + 1];
            // Never into the header: the gateway rewrites a kept message's header (ID, flags,
            // counts), so a name read through it would change under the rewrite.
            if (target < header_size || target >= lowest) return false;
            if (!jumped) off = pos + 2;
            jumped = true;
            lowest = target;
            pos = target;
            continue;
        }
        if ((len & 0xc0) != 0) return false;  // 0x40/0x80 label types are obsolete (RFC 6891 §5)
        if (name_len + 1 + len > max_name_size) return false;
        if (pos + 1 + len > msg.size()) return false;
        if (out) std::memcpy(out->bytes.data() + name_len, msg.data() + pos, 1u + len);
        name_len += 1u + len;
        if (len == 0) {
            if (!jumped) off = pos + 1;
            if (out) out->size = name_len;
            return true;
        }
        pos += 1u + len;
    }
    return false;
}

bool names_equal_ci(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    }
    return true;
}

void lowercase(wire_name& n) noexcept {
    // Length bytes are ≤ 63 so they are never in 'A'..'Z' (65..90): lowercasing them is a no-op.
    for (std::size_t i = 0; i < n.size; ++i) n.bytes[i] = ascii_lower(n.bytes[i]);
}

std::string to_text(std::span<const std::uint8_t> name) {
    text_buffer buf;
    return std::string(to_text(name, buf));
}

std::string_view to_text(std::span<const std::uint8_t> name, text_buffer& buf) noexcept {
    std::size_t n = 0;
    auto push = [&](char c) {
        if (n < buf.size()) buf[n++] = c;
    };
    std::size_t pos = 0;
    while (pos < name.size()) {
        const std::size_t len = name[pos];
        if (len == 0 || pos + 1 + len > name.size()) break;
        if (n != 0) push('.');
        for (std::size_t i = 0; i < len; ++i) {
            const std::uint8_t c = name[pos + 1 + i];
            if (c > ' ' && c < 127 && c != '.' && c != '\\') {
                push(static_cast<char>(c));
            } else {
                push('\\');
                push(static_cast<char>('0' + c / 100));
                push(static_cast<char>('0' + c / 10 % 10));
                push(static_cast<char>('0' + c % 10));
            }
        }
        pos += 1 + len;
    }
    return {buf.data(), n};
}

bool from_text(std::string_view text, wire_name& out) noexcept {
    if (!text.empty() && text.back() == '.') text.remove_suffix(1);
    std::size_t n = 0;
    while (!text.empty()) {
        const std::size_t dot = text.find('.');
        const std::string_view label = text.substr(0, dot);
        if (label.empty() || label.size() > 63 || n + 1 + label.size() + 1 > max_name_size) {
            return false;
        }
        out.bytes[n++] = static_cast<std::uint8_t>(label.size());
        std::memcpy(out.bytes.data() + n, label.data(), label.size());
        n += label.size();
        if (dot == std::string_view::npos) break;
        text.remove_prefix(dot + 1);
        if (text.empty()) return false;  // "a..": an empty label
    }
    out.bytes[n++] = 0;
    out.size = n;
    return true;
}

void writer::bytes(std::span<const std::uint8_t> b) noexcept {
    if (b.empty() || !reserve(b.size())) return;
    std::memcpy(&buf_[len_], b.data(), b.size());
    len_ += b.size();
}

}  // namespace consolegate::dns
