#include "consolegate/inspect/http_file.hpp"

#include <charconv>
#include <vector>

#include "params.hpp"

namespace consolegate::inspect {

struct http_file::storage {
    std::string head;  // request line and headers, as read
    std::string target;
    std::string host;  // from absolute-form when there is no Host header
    std::string sni;
    std::string body;
    std::string trailers;  // the chunked body's trailer section, as read
    core::http_request_view view;
};

namespace {

void set_why(std::string* why, std::string text) {
    if (why) *why = std::move(text);
}

// Takes one line (without its CRLF or LF) off the front of `s`; nullopt when no line end is left.
std::optional<std::string_view> take_line(std::string_view& s) {
    auto lf = s.find('\n');
    if (lf == std::string_view::npos) return std::nullopt;
    auto line = s.substr(0, lf);
    s.remove_prefix(lf + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
}

bool is_token_char(char c) {
    // RFC 9110 section 5.6.2 tchar
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// RFC 9112 section 7.1 chunked coding; the trailer section's lines go to `trailers`.
bool dechunk(std::string_view s, std::size_t cap, std::string& out, bool& truncated,
             std::string& trailers, std::string* why) {
    for (int guard = 0; guard < 1'000'000; ++guard) {
        auto line = take_line(s);
        if (!line) {
            set_why(why, "chunked body ends inside a chunk size line");
            return false;
        }
        auto size_text = line->substr(0, line->find(';'));
        size_text = detail::trim(size_text);
        std::uint64_t n = 0;
        auto [p, ec] =
            std::from_chars(size_text.data(), size_text.data() + size_text.size(), n, 16);
        if (ec != std::errc{} || p != size_text.data() + size_text.size() || size_text.empty()) {
            set_why(why, "chunked body has an invalid chunk size");
            return false;
        }
        if (n == 0) {
            while (auto t = take_line(s)) {
                if (t->empty()) break;
                trailers.append(*t);
                trailers.push_back('\n');
            }
            return true;
        }
        if (n > s.size()) {
            set_why(why, "chunked body is shorter than its chunk size");
            return false;
        }
        auto chunk = s.substr(0, n);
        s.remove_prefix(n);
        auto room = cap - out.size();
        if (chunk.size() > room) {
            truncated = true;
            chunk = chunk.substr(0, room);
        }
        out.append(chunk);
        if (s.starts_with("\r\n")) {
            s.remove_prefix(2);
        } else if (s.starts_with("\n")) {
            s.remove_prefix(1);
        } else {
            set_why(why, "chunk is not followed by a line end");
            return false;
        }
    }
    set_why(why, "chunked body has too many chunks");
    return false;
}

}  // namespace

http_file::http_file(std::unique_ptr<storage> s) noexcept : s_(std::move(s)) {}
http_file::http_file(http_file&&) noexcept = default;
http_file& http_file::operator=(http_file&&) noexcept = default;
http_file::~http_file() = default;

const core::http_request_view& http_file::view() const noexcept {
    return s_->view;
}

std::optional<http_file> http_file::parse(std::string_view text, std::string_view sni,
                                          const http_file_limits& limits, std::string* why) {
    // Find the end of the header block first so every view points into owned storage.
    std::size_t head_end = std::string_view::npos;
    std::size_t body_start = 0;
    for (std::size_t i = text.find('\n'); i != std::string_view::npos; i = text.find('\n', i + 1)) {
        if (i + 1 < text.size() && text[i + 1] == '\n') {
            head_end = i + 1;
            body_start = i + 2;
            break;
        }
        if (i + 2 < text.size() && text[i + 1] == '\r' && text[i + 2] == '\n') {
            head_end = i + 1;
            body_start = i + 3;
            break;
        }
        if (i + 1 > limits.max_header_bytes) break;
    }
    if (head_end == std::string_view::npos) {
        if (text.size() <= limits.max_header_bytes && !text.empty() && text.back() == '\n') {
            head_end = text.size();  // headers only, no blank line and no body
            body_start = text.size();
        } else {
            set_why(why, "request has no end of headers (or headers over the cap)");
            return std::nullopt;
        }
    }
    if (head_end > limits.max_header_bytes) {
        set_why(why, "request headers are over the cap");
        return std::nullopt;
    }

    auto s = std::make_unique<storage>();
    s->head.assign(text.substr(0, head_end));
    s->sni.assign(sni);
    std::string_view rest = s->head;
    auto& v = s->view;

    auto request_line = take_line(rest);
    if (!request_line) {
        set_why(why, "request line is missing");
        return std::nullopt;
    }
    auto sp1 = request_line->find(' ');
    auto sp2 = request_line->rfind(' ');
    if (sp1 == std::string_view::npos || sp2 == sp1) {
        set_why(why, "request line is not \"METHOD target HTTP/1.x\"");
        return std::nullopt;
    }
    v.method = request_line->substr(0, sp1);
    auto target = request_line->substr(sp1 + 1, sp2 - sp1 - 1);
    auto version = request_line->substr(sp2 + 1);
    if (v.method.empty() || target.empty() || !version.starts_with("HTTP/1.")) {
        set_why(why, "request line is not \"METHOD target HTTP/1.x\"");
        return std::nullopt;
    }
    for (char c : v.method) {
        if (!is_token_char(c)) {
            set_why(why, "request method is not a token");
            return std::nullopt;
        }
    }
    std::string_view absolute_authority;
    if (detail::istarts_with(target, "http://") || detail::istarts_with(target, "https://")) {
        // RFC 9112 section 3.2.2 absolute-form: the authority replaces Host for the origin.
        auto after = target.substr(target.find("//") + 2);
        auto path_start = after.find_first_of("/?");
        absolute_authority = after.substr(0, path_start);
        auto at = absolute_authority.rfind('@');
        if (at != std::string_view::npos) absolute_authority.remove_prefix(at + 1);
        s->target =
            path_start == std::string_view::npos ? "/" : std::string(after.substr(path_start));
        if (s->target.front() == '?') s->target.insert(0, "/");
    } else {
        s->target.assign(target);
    }

    std::string_view host_header;
    bool have_host = false;
    std::string_view content_length;
    bool chunked = false;
    while (auto line = take_line(rest)) {
        if (line->empty()) break;
        if (line->front() == ' ' || line->front() == '\t') {
            set_why(why, "obsolete header line folding is not accepted");
            return std::nullopt;
        }
        auto colon = line->find(':');
        if (colon == std::string_view::npos || colon == 0) {
            set_why(why, "header line has no name");
            return std::nullopt;
        }
        auto name = line->substr(0, colon);
        for (char c : name) {
            if (!is_token_char(c)) {
                set_why(why, "header name is not a token");
                return std::nullopt;
            }
        }
        auto value = detail::trim(line->substr(colon + 1));
        if (v.headers.size() >= limits.max_headers) {
            set_why(why, "request has more headers than the cap");
            return std::nullopt;
        }
        v.headers.emplace_back(name, value);
        if (detail::iequals(name, "host")) {
            // A second Host is kept for the inspector, which denies it with its own reason (the
            // proxy sees the same request): the first is the one the connection is checked by.
            if (!have_host) host_header = value;
            have_host = true;
        } else if (detail::iequals(name, "content-length")) {
            if (!content_length.empty() && content_length != value) {
                set_why(why, "request has conflicting Content-Length headers");
                return std::nullopt;
            }
            content_length = value;
        } else if (detail::iequals(name, "transfer-encoding")) {
            if (!detail::iequals(value, "chunked")) {
                set_why(why, "unsupported Transfer-Encoding");
                return std::nullopt;
            }
            chunked = true;
        }
    }
    if (chunked && !content_length.empty()) {
        // RFC 9112 section 6.3: both present is a smuggling vector; refuse.
        set_why(why, "request has both Transfer-Encoding and Content-Length");
        return std::nullopt;
    }

    auto body_text = text.substr(body_start);
    if (chunked) {
        if (!dechunk(body_text, limits.max_body, s->body, v.body_truncated, s->trailers, why)) {
            return std::nullopt;
        }
        // Trailer fields join the header fields, as the proxy's parser (Beast) stores them: a
        // Host or Content-Type arriving there is judged like one in the head.
        std::string_view t = s->trailers;
        while (auto line = take_line(t)) {
            auto colon = line->find(':');
            if (colon == std::string_view::npos || colon == 0) {
                set_why(why, "trailer line has no name");
                return std::nullopt;
            }
            if (v.headers.size() >= limits.max_headers) {
                set_why(why, "request has more headers than the cap");
                return std::nullopt;
            }
            v.headers.emplace_back(line->substr(0, colon), detail::trim(line->substr(colon + 1)));
            v.trailers = true;
        }
    } else if (!content_length.empty()) {
        std::uint64_t n = 0;
        auto [p, ec] = std::from_chars(content_length.data(),
                                       content_length.data() + content_length.size(), n);
        if (ec != std::errc{} || p != content_length.data() + content_length.size()) {
            set_why(why, "Content-Length is not a number");
            return std::nullopt;
        }
        if (n > body_text.size()) {
            set_why(why, "body is shorter than its Content-Length");
            return std::nullopt;
        }
        body_text = body_text.substr(0, n);
        v.body_truncated = body_text.size() > limits.max_body;
        s->body.assign(body_text.substr(0, limits.max_body));
    } else {
        while (!body_text.empty() && (body_text.back() == '\n' || body_text.back() == '\r')) {
            body_text.remove_suffix(1);
        }
        v.body_truncated = body_text.size() > limits.max_body;
        s->body.assign(body_text.substr(0, limits.max_body));
    }

    // RFC 9112 section 3.2.2: with an absolute-form target the origin ignores Host.
    bool absolute = !absolute_authority.empty();
    if (absolute) s->host.assign(absolute_authority);
    v.target = s->target;
    v.host = absolute ? std::string_view(s->host) : host_header;
    v.sni = s->sni;
    v.body = s->body;
    return http_file(std::move(s));
}

}  // namespace consolegate::inspect
