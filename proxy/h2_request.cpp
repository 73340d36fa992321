#include "h2_request.hpp"

#include <charconv>

#include "hop_by_hop.hpp"

namespace consolegate::proxy {

namespace http = boost::beast::http;

namespace {

struct pseudo_fields {
    std::string_view method, scheme, path, authority;
    bool has_method = false, has_scheme = false, has_path = false, has_authority = false;
};

// One pseudo-header field into `p`: false when it is unknown or repeated (§8.3).
bool take_pseudo(pseudo_fields& p, std::string_view name, std::string_view value) {
    auto put = [&](std::string_view& slot, bool& seen) {
        if (seen) return false;
        seen = true;
        slot = value;
        return true;
    };
    if (name == ":method") return put(p.method, p.has_method);
    if (name == ":scheme") return put(p.scheme, p.has_scheme);
    if (name == ":path") return put(p.path, p.has_path);
    if (name == ":authority") return put(p.authority, p.has_authority);
    return false;  // :status, :protocol (no extended CONNECT here) or unknown
}

// §8.2.2: fields that only mean something on an HTTP/1.1 connection; TE may only say "trailers".
bool connection_specific(std::string_view name, std::string_view value) {
    if (name == "te") return !iequals(trim(value), "trailers");
    return name == "connection" || name == "keep-alive" || name == "proxy-connection" ||
           name == "transfer-encoding" || name == "upgrade";
}

bool has_upper_case(std::string_view name) {
    for (char ch : name) {
        if (ch >= 'A' && ch <= 'Z') return true;
    }
    return false;
}

std::optional<std::uint64_t> parse_length(std::string_view v) {
    v = trim(v);
    std::uint64_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (v.empty() || ec != std::errc() || end != v.data() + v.size()) return std::nullopt;
    return n;
}

}  // namespace

h2_request_head h2_to_http1(const h2_fields& fields, http::request_header<>& out) {
    out = http::request_header<>();
    out.version(11);
    h2_request_head head;
    pseudo_fields p;
    bool regular_seen = false;
    std::string_view host;
    bool has_host = false;
    for (const auto& [name, value] : fields) {
        if (name.starts_with(':')) {
            // §8.3: pseudo-header fields come first, once each, only the request ones.
            if (regular_seen || !take_pseudo(p, name, value)) return {"h2-malformed", {}};
            continue;
        }
        regular_seen = true;
        if (name.empty() || has_upper_case(name)) return {"h2-malformed", {}};
        if (connection_specific(name, value)) return {"h2-connection-field", {}};
        if (name == "host") {
            if (has_host) return {"h2-malformed", {}};
            has_host = true;
            host = value;
        } else if (name == "content-length") {
            auto n = parse_length(value);
            if (!n || (head.content_length && *head.content_length != *n))
                return {"h2-content-length", {}};
            head.content_length = n;
        }
    }
    if (!p.has_method || p.method.empty()) return {"h2-malformed", {}};
    // CONNECT (a tunnel in a tunnel), OPTIONS * and anything but an origin-form path are not
    // requests for this host's resources: refused as on HTTP/1.1 (bumped_session.cpp).
    if (p.method == "CONNECT" || !p.has_path || !p.path.starts_with('/'))
        return {"bad-request-target", {}};
    if (!p.has_scheme || p.scheme != "https") return {"h2-malformed", {}};
    // §8.3.1: :authority and Host must name the same thing; the request is inspected under one.
    if (p.has_authority && has_host && !iequals(p.authority, host))
        return {"h2-authority-conflict", {}};
    if (!p.has_authority && !has_host) return {"h2-malformed", {}};
    out.method_string(p.method);
    out.target(p.path);
    out.set(http::field::host, p.has_authority ? p.authority : host);
    std::string cookie;
    bool has_cookie = false;
    for (const auto& [name, value] : fields) {
        if (name != "cookie") continue;
        if (has_cookie) cookie.append("; ");
        cookie.append(value);
        has_cookie = true;
    }
    has_cookie = false;
    for (const auto& [name, value] : fields) {
        if (name.starts_with(':') || name == "host") continue;
        if (name == "cookie") {
            if (!has_cookie) out.insert(http::field::cookie, cookie);  // at the first one's place
            has_cookie = true;
            continue;
        }
        out.insert(name, value);
    }
    head.refusal = {};
    return head;
}

}  // namespace consolegate::proxy
