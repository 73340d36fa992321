#pragma once
// A small HTTP/1.1 client for the gateway's own outbound calls (the TEAM DynamoDB feed, STS, the
// container credentials endpoint): one request per connection, Beast + OpenSSL underneath, no
// Asio in this header.
//
// - https: the peer's chain is verified against the system trust store (or `ca_file`), SNI is sent
//   for names, and the certificate must match the host (RFC 6125 via SSL_set1_host, or the IP
//   address for literals).
// - plain http only to loopback (dynalite and other local endpoints) or to the addresses listed
//   in `plain_http_addresses` (the ECS/EKS credential endpoints on link-local); every resolved
//   address is checked before connecting, so a name cannot point plain http elsewhere.
// - one deadline covers resolve, connect, handshake, write and read; the response header and body
//   are capped before allocation.
// Errors are values (never thrown for network or peer misbehaviour); messages name the host and
// port only, never the path, query, headers or body (they may hold secrets).
// Thread-safety: http_fetch is reentrant; it runs on a private io_context and blocks its caller.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace consolegate::net {

using http_headers = std::vector<std::pair<std::string, std::string>>;

struct http_url {
    bool tls = true;
    std::string host;  // name or IP literal, without brackets
    std::uint16_t port = 443;
    std::string target;  // "/path?query", at least "/"
    // The Host header value: host, plus ":port" when not the scheme's default.
    std::string host_header() const;
};

// "https://host[:port][/path][?query]" or "http://…"; no user info, no fragment. nullopt otherwise.
std::optional<http_url> parse_http_url(std::string_view url);

// 127.0.0.0/8, ::1, "localhost" (a literal check, no resolution).
bool is_loopback_host(std::string_view host);

struct http_request {
    std::string method = "GET";
    std::string url;
    http_headers headers;  // Host is added from the URL unless given; Content-Length always
    std::string body;
};

struct http_response {
    unsigned status = 0;
    http_headers headers;
    std::string body;
    // First value of a header (case-insensitive name), "" if absent.
    std::string_view header(std::string_view name) const;
};

enum class http_error : std::uint8_t {
    none,
    bad_url,
    plain_http_refused,  // http:// to an address that is neither loopback nor allowed
    resolve,
    connect,
    tls,  // handshake or certificate verification
    timeout,
    too_large,
    protocol,  // malformed response, connection closed early
};
std::string_view to_string(http_error e);

struct http_client_options {
    std::chrono::milliseconds timeout{10'000};
    std::size_t max_header_bytes = 16 * 1024;
    std::size_t max_body_bytes = 8u << 20;
    std::string ca_file;  // PEM bundle; empty = the system's default trust store
    std::vector<std::string> plain_http_addresses;  // IP literals besides loopback
};

struct http_result {
    http_error error = http_error::none;
    std::string message;  // "" when ok
    http_response response;
    bool ok() const { return error == http_error::none; }
};

http_result http_fetch(const http_request& request, const http_client_options& options);

}  // namespace consolegate::net
