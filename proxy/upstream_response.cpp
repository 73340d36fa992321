#include "upstream_response.hpp"

#include <algorithm>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/status.hpp>
#include <cstring>

#include "hop_by_hop.hpp"

namespace consolegate::proxy {

namespace http = boost::beast::http;

namespace {

void append_line(std::string& out, std::string_view name, std::string_view value) {
    out.append(name);
    out.append(": ");
    out.append(value);
    out.append("\r\n");
}

}  // namespace

upstream_response::upstream_response(response_head_store& store) : store_(store) {
    store_.bytes.clear();
    store_.fields.clear();
}

void upstream_response::on_request_impl(http::verb, string_view, string_view, int, error_code&) {}

void upstream_response::on_response_impl(int code, string_view reason, int, error_code&) {
    status_ = static_cast<unsigned>(code);
    reason_.assign(reason.data(), reason.size());
}

void upstream_response::on_field_impl(http::field name, string_view name_string, string_view value,
                                      error_code&) {
    // The header limit (basic_parser::header_limit, at most 4 GiB) bounds these offsets.
    auto at = static_cast<std::uint32_t>(store_.bytes.size());
    store_.bytes.append(name_string.data(), name_string.size());
    store_.bytes.append(value.data(), value.size());
    store_.fields.push_back({name, at, static_cast<std::uint32_t>(name_string.size()),
                             static_cast<std::uint32_t>(at + name_string.size()),
                             static_cast<std::uint32_t>(value.size())});
}

void upstream_response::on_header_impl(error_code&) {}

void upstream_response::on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) {}

std::size_t upstream_response::on_body_impl(string_view body, error_code& ec) {
    if (body_ == nullptr) {
        ec = http::error::need_buffer;
        return 0;
    }
    std::size_t n = std::min(body.size(), body_size_);
    if (n > 0) std::memcpy(body_, body.data(), n);
    body_ += n;
    body_size_ -= n;
    if (n < body.size()) ec = http::error::need_buffer;
    return n;
}

void upstream_response::on_chunk_header_impl(std::uint64_t, string_view, error_code&) {}

std::size_t upstream_response::on_chunk_body_impl(std::uint64_t, string_view body, error_code& ec) {
    return on_body_impl(body, ec);
}

void upstream_response::on_finish_impl(error_code&) {}

void upstream_response::append_head(std::string& out, bool keep_alive, bool chunked, bool upgrade,
                                    bool inspected) const {
    connection_options named(upgrade);  // views into the store
    for (const auto& f : store_.fields) {
        if (f.name == http::field::connection) named.add(text(f.value_at, f.value_len));
    }

    out.append("HTTP/1.1 ");
    char code[4] = {static_cast<char>('0' + status_ / 100 % 10),
                    static_cast<char>('0' + status_ / 10 % 10),
                    static_cast<char>('0' + status_ % 10), ' '};
    out.append(code, sizeof code);
    if (reason_.empty()) {
        auto r = http::obsolete_reason(static_cast<http::status>(status_));
        out.append(r.data(), r.size());
    } else {
        out.append(reason_);
    }
    out.append("\r\n");

    for (const auto& f : store_.fields) {
        if (f.name == http::field::via) continue;  // joined into one below
        auto name = text(f.name_at, f.name_len);
        bool hop = always_hop_by_hop(f.name, upgrade) || named.names(f.name, name) ||
                   // RFC 9112 §6.1: never both; chunked is only asked for without a length.
                   (chunked && f.name == http::field::content_length) ||
                   (inspected && f.name == http::field::alt_svc);
        if (!hop) append_line(out, name, text(f.value_at, f.value_len));
    }
    // The origin's Via values in order, then ours (RFC 9110 §7.6.3).
    out.append("Via: ");
    for (const auto& f : store_.fields) {
        if (f.name != http::field::via) continue;
        out.append(text(f.value_at, f.value_len));
        out.append(", ");
    }
    out.append(via_token);
    out.append("\r\n");
    if (upgrade) {
        append_line(out, "Connection", "upgrade");
    } else if (!keep_alive) {
        append_line(out, "Connection", "close");
    }
    if (chunked) append_line(out, "Transfer-Encoding", "chunked");
    out.append("\r\n");
}

}  // namespace consolegate::proxy
