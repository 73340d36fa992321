#pragma once
// A raw HTTP/1.1 request read from text (a `.http` file: request line, headers, blank line, body),
// held in owned storage with a core::http_request_view over it. `consolegate explain` and the
// tests feed requests to the inspector this way.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "consolegate/core/http_request.hpp"

namespace consolegate::inspect {

struct http_file_limits {
    std::size_t max_header_bytes = 64 * 1024;  // request line + headers
    std::size_t max_headers = 200;
    std::size_t max_body = 1024 * 1024;  // decoded body kept; the rest sets body_truncated
};

class http_file {
  public:
    // Lines end in CRLF or LF. Absolute-form targets ("https://host/p?q") are reduced to
    // origin-form and their authority is the host (RFC 9112 section 3.2.2: Host is ignored then).
    // Bodies:
    // Transfer-Encoding: chunked is decoded, else Content-Length bytes are taken (fewer present is
    // an error), else the rest of the text with trailing line ends removed (hand-written files).
    // `sni` is copied into the view. Returns nullopt and a reason in `why` (if non-null) on
    // malformed input. Never throws except std::bad_alloc.
    static std::optional<http_file> parse(std::string_view text, std::string_view sni,
                                          const http_file_limits& limits, std::string* why);

    http_file(http_file&&) noexcept;
    http_file& operator=(http_file&&) noexcept;
    ~http_file();

    // Valid as long as this object lives (moves keep it valid).
    const core::http_request_view& view() const noexcept;

  private:
    struct storage;
    explicit http_file(std::unique_ptr<storage> s) noexcept;
    std::unique_ptr<storage> s_;
};

}  // namespace consolegate::inspect
