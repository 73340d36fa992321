#pragma once
// RFC 9110 §7.6 for both directions of the proxy: which fields an intermediary removes, and
// what it adds to Via.
// Header-only and socket-free: used by the request path (http_wire.hpp, on basic_fields) and by the
// response path (upstream_response.cpp, on its own field store).

#include <array>
#include <boost/beast/http/field.hpp>
#include <cstddef>
#include <string_view>

namespace consolegate::proxy {

// What this proxy adds to Via in both directions (RFC 9110 §7.6.3).
inline constexpr std::string_view via_token = "1.1 consolegate";

// ASCII case-insensitive equality (field names and tokens are ASCII).
inline bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

// Optional whitespace (RFC 9110 §5.6.3) off both ends.
inline std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// The fields one message's Connection values name (views into those values). At most 32 are
// honoured; "upgrade" is not collected on an upgrade exchange, where Upgrade must survive.
class connection_options {
  public:
    explicit connection_options(bool upgrade) : upgrade_(upgrade) {}

    void add(std::string_view connection_value) {
        std::string_view v = connection_value;
        while (!v.empty() && n_ < names_.size()) {
            auto comma = v.find(',');
            auto token = trim(v.substr(0, comma));
            if (!token.empty() && !(upgrade_ && iequals(token, "upgrade"))) names_[n_++] = token;
            v = comma == std::string_view::npos ? std::string_view() : v.substr(comma + 1);
        }
    }

    // Whether a field is removed because Connection names it. Never Content-Length (the body's
    // framing: a body sent on without it would be read as the next message), Host (what the
    // request was inspected and routed under; RFC 9112 §3.2), nor Content-Type or
    // Content-Encoding: they say how the body is read, and the body judged is the body forwarded.
    bool names(boost::beast::http::field f, std::string_view name) const noexcept {
        using boost::beast::http::field;
        if (f == field::content_length || f == field::host || f == field::content_type ||
            f == field::content_encoding) {
            return false;
        }
        for (std::size_t i = 0; i < n_; ++i) {
            if (iequals(names_[i], name)) return true;
        }
        return false;
    }

    bool empty() const noexcept { return n_ == 0; }

  private:
    std::array<std::string_view, 32> names_;
    std::size_t n_ = 0;
    bool upgrade_;
};

// The fields removed whatever Connection says: Connection itself and the classic hop-by-hop set;
// Upgrade too unless this is an upgrade exchange.
inline bool always_hop_by_hop(boost::beast::http::field f, bool upgrade) noexcept {
    using boost::beast::http::field;
    switch (f) {
        case field::connection:
        case field::keep_alive:
        case field::proxy_connection:
        case field::te:
        case field::trailer:
        case field::transfer_encoding:
        case field::proxy_authorization:
        case field::proxy_authenticate: return true;
        case field::upgrade: return !upgrade;
        default: return false;
    }
}

}  // namespace consolegate::proxy
