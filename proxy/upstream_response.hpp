#pragma once
// An origin's response, parsed for forwarding (private to the sessions: http_wire.hpp).
//
// Beast's basic_parser does the framing (status line, Content-Length, chunked, keep-alive, the
// header limit); this parser keeps each field as bytes copied into one store that the session
// reuses across responses, instead of a basic_fields node per field, and writes the client's
// head from it in one pass. The forwarded head is nearly all of an inspected request's HTTP work:
// it was a quarter of the user-space instructions per request with basic_fields.
//
// The body goes into a caller's buffer, as with http::buffer_body: body_buffer() names where the
// next bytes go, body_space() what is left of it; the parser stops with http::error::need_buffer
// when it is full.

#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/field.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace consolegate::proxy {

// Storage for the fields of one response head at a time, kept by the session so keep-alive
// responses allocate nothing once it has grown.
struct response_head_store {
    struct field_ref {
        boost::beast::http::field name;
        std::uint32_t name_at, name_len, value_at, value_len;
    };
    std::string bytes;
    std::vector<field_ref> fields;
};

class upstream_response : public boost::beast::http::basic_parser<false> {
  public:
    // `store` is cleared and must outlive the parser.
    explicit upstream_response(response_head_store& store);

    unsigned status() const noexcept { return status_; }

    void body_buffer(char* data, std::size_t size) noexcept { body_ = data, body_size_ = size; }
    std::size_t body_space() const noexcept { return body_size_; }

    // The head for the client (RFC 9110 §7.6): HTTP/1.1 status line; Connection, the fields it
    // names and the classic hop-by-hop set removed; Via appended to any the origin sent;
    // `Connection: close` unless `keep_alive`; `Transfer-Encoding: chunked` when `chunked`. On an
    // upgrade exchange (a 101 to a request that asked for one) Upgrade is kept and
    // `Connection: upgrade` sent, as RFC 6455 §4.1 requires of the 101 a browser accepts.
    // `inspected`: the response of an inspected host, whose Alt-Svc is dropped (RFC 7838: it
    // would send the browser to HTTP/3 or another authority, around this proxy).
    void append_head(std::string& out, bool keep_alive, bool chunked, bool upgrade,
                     bool inspected = false) const;

  private:
    using error_code = boost::system::error_code;
    using string_view = boost::beast::string_view;
    void on_request_impl(boost::beast::http::verb, string_view, string_view, int,
                         error_code&) override;
    void on_response_impl(int code, string_view reason, int version, error_code& ec) override;
    void on_field_impl(boost::beast::http::field name, string_view name_string, string_view value,
                       error_code& ec) override;
    void on_header_impl(error_code& ec) override;
    void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code& ec) override;
    std::size_t on_body_impl(string_view body, error_code& ec) override;
    void on_chunk_header_impl(std::uint64_t, string_view, error_code& ec) override;
    std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code& ec) override;
    void on_finish_impl(error_code& ec) override;

    std::string_view text(std::uint32_t at, std::uint32_t len) const noexcept {
        return std::string_view(store_.bytes).substr(at, len);
    }

    response_head_store& store_;
    std::string reason_;
    unsigned status_ = 0;
    char* body_ = nullptr;
    std::size_t body_size_ = 0;
};

}  // namespace consolegate::proxy
