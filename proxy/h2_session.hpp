#pragma once
// HTTP/2 on a bumped (inspected) client connection (private to the sessions), when the client
// chose h2 by ALPN (proxy.http2): every stream's request becomes the HTTP/1.1 request head the
// HTTP/1.1 path reads (h2_request.hpp), is judged by the same inspection hook, answered with the
// same block page when denied, and otherwise forwarded to the verified origin over HTTP/1.1
// (one upstream_leg per stream, pooled as on HTTP/1.1). docs/proxy.md "HTTP/2".

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "bump_terms.hpp"
#include "service_impl.hpp"

namespace consolegate::proxy {

// Whether the client's TLS handshake selected h2 (ALPN, RFC 7301).
bool negotiated_h2(tls_socket& tls) noexcept;

// Serves the connection until it ends; returns when every stream's work has ended too.
boost::asio::awaitable<void> serve_h2(std::shared_ptr<service::impl> svc, tls_socket& client,
                                      connection_guard& guard, std::string host, std::uint16_t port,
                                      std::string sni, core::ip_address client_ip,
                                      shared_identity corp, bump_terms terms);

}  // namespace consolegate::proxy
