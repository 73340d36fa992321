// The non-template half of the HTTP/1.1 wire helpers (http_wire.hpp).
#include "http_wire.hpp"

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <vector>

#include "consolegate/core/host_pattern.hpp"

namespace consolegate::proxy {

namespace http = boost::beast::http;

namespace {

void append_fields(std::string& out, const http::fields& f) {
    for (const auto& field : f) {
        out.append(field.name_string());
        out.append(": ");
        out.append(field.value());
        out.append("\r\n");
    }
    out.append("\r\n");
}

}  // namespace

void append_head(std::string& out, const http::request_header<>& h) {
    out.append(h.method_string());
    out.push_back(' ');
    out.append(h.target());
    out.append(" HTTP/1.1\r\n");
    append_fields(out, h);
}

void append_head(std::string& out, const http::response_header<>& h) {
    char status[16];
    int n = std::snprintf(status, sizeof status, "HTTP/1.1 %03u ", h.result_int() % 1000);
    out.append(status, static_cast<std::size_t>(n));
    out.append(h.reason());
    out.append("\r\n");
    append_fields(out, h);
}

void append_chunk(std::string& out, const char* data, std::size_t n) {
    char size[24];
    int len = std::snprintf(size, sizeof size, "%zx\r\n", n);
    out.append(size, static_cast<std::size_t>(len));
    out.append(data, n);
    out.append("\r\n");
}

namespace {

// Whether `name` is the user header under any spelling a server may read as it: ASCII case
// aside, '_' and '-' alike. CGI-style servers (PHP, WSGI, Rack, Apache's env) and many frameworks
// turn both into one HTTP_X_AUTHENTICATED_USER, so "X_Authenticated_User" sent on would speak for
// someone further on as the header itself would (Apache 2.4 and nginx drop such fields).
bool user_header_spelling(std::string_view name, std::string_view header) {
    auto fold = [](char c) {
        if (c == '_') return '-';
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    };
    if (name.size() != header.size()) return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        if (fold(name[i]) != fold(header[i])) return false;
    }
    return true;
}

}  // namespace

field_list user_header_fields(const identification& who, const http::fields& f) {
    field_list out;
    if (who.header.empty()) return out;
    for (const auto& field : f) {
        if (user_header_spelling(field.name_string(), who.header)) out.push_back(&field);
    }
    return out;
}

void strip_user_header(const identification& who, http::fields& f, const field_list& keep) {
    if (who.header.empty()) return;
    for (auto it = f.begin(); it != f.end();) {
        const bool strip = user_header_spelling(it->name_string(), who.header) &&
                           std::find(keep.begin(), keep.end(), &*it) == keep.end();
        it = strip ? f.erase(it) : std::next(it);
    }
}

shared_identity take_user_header(const identification& who, http::fields& f,
                                 const core::ip_address& client) {
    if (who.header.empty()) return nullptr;
    // Believed under its own name only (case aside); every other spelling is stripped unread.
    auto [first, last] = f.equal_range(who.header);
    shared_identity id;
    if (first != last) {
        std::vector<std::string_view> values;
        for (auto it = first; it != last; ++it) values.push_back(it->value());
        id = who.by_header ? who.by_header(client, values) : nullptr;
    }
    strip_user_header(who, f);  // after the call: `values` view into these fields
    return id;
}

request_identity request_user(const identification& who, http::fields& f,
                              const core::ip_address& client, const shared_identity& tunnel,
                              bool believed) {
    request_identity out;
    if (!believed) {
        out.ignored = !user_header_fields(who, f).empty();
        strip_user_header(who, f);
        return out;
    }
    auto id = take_user_header(who, f, client);
    const bool pinned = tunnel && (tunnel->source == core::corp_source::header ||
                                   tunnel->source == core::corp_source::kerberos);
    if (!pinned) {
        out.who = std::move(id);
    } else if (id && !iequals(id->user, tunnel->user)) {
        out.conflict = true;  // corp_users rules match names case-insensitively: so does this
    }
    return out;
}

std::string serialize(const rendered_response& r, bool keep_alive) {
    http::response<http::empty_body> res;
    res.result(r.status);
    res.version(11);
    res.set(http::field::content_type, r.content_type);
    res.set(http::field::cache_control, "no-store");
    res.set("X-Content-Type-Options", "nosniff");
    for (const auto& c : r.set_cookies) res.insert(http::field::set_cookie, c);
    res.content_length(r.body.size());
    res.keep_alive(keep_alive);
    std::string wire;
    append_head(wire, res);
    wire.append(r.body);
    return wire;
}

bool append_response_head(std::string& wire, const upstream_response& rp, bool keep_alive,
                          bool inspected) {
    bool chunk_down = !rp.is_done() && !rp.content_length();
    rp.append_head(wire, keep_alive, chunk_down, false, inspected);
    return chunk_down;
}

std::string_view header_value(const http::fields& f, http::field name) {
    auto it = f.find(name);
    return it == f.end() ? std::string_view() : std::string_view(it->value());
}

bool names_connection(std::string_view host_field, std::string_view host, std::uint16_t port) {
    auto a = core::parse_authority(host_field, port);
    return a && a->host == host && a->port == port;
}

bool body_an_origin_may_ignore(http::verb method, bool has_body) {
    return has_body && (method == http::verb::get || method == http::verb::head);
}

refusal_code framing_refusal(const http::request_header<>& h) {
    if (h.count(http::field::content_length) > 1 ||
        header_value(h, http::field::content_length).find(',') != std::string_view::npos)
        return "ambiguous-framing";
    if (h.version() == 10 && h.count(http::field::transfer_encoding) > 0)
        return "ambiguous-framing";
    return {};
}

}  // namespace consolegate::proxy
