#pragma once
// A bumped (inspected) client connection (private to the sessions): TLS terminated with a leaf
// minted for the host, then every HTTP/1.1 request on it read, judged by the service's inspector,
// and either forwarded to the verified origin or answered with the block page.

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "bump_terms.hpp"
#include "service_impl.hpp"

namespace consolegate::proxy {

// `hello_bytes` is the ClientHello already read (replayed into the TLS handshake); `host` the
// name being inspected (CONNECT authority or SNI), `sni` the SNI ("" when none), `corp` who is
// behind the connection (identification.hpp; null when nobody established it), `terms` how the
// front door came to bump it (bump_terms.hpp). `stream`, the
// caller's, gives its socket to TLS and is reset: a Beast stream's state (two timers) would
// otherwise live as long as the connection (a moved one keeps its own too).
using client_stream = std::optional<boost::beast::tcp_stream>;
boost::asio::awaitable<void> bump(std::shared_ptr<service::impl> svc, client_stream& stream,
                                  boost::beast::flat_buffer hello_bytes, std::string host,
                                  std::uint16_t port, std::string sni, core::ip_address client_ip,
                                  shared_identity corp, bump_terms terms);

}  // namespace consolegate::proxy
