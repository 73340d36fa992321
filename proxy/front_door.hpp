#pragma once
// The front door of every client connection (private to the proxy): the SNI listener's sessions
// read the ClientHello, the CONNECT listener's read the CONNECT (or an absolute-form plain HTTP
// request) first; then the host decides: bump (bumped_session.hpp), splice (splice.hpp) or refuse.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>

#include "service_impl.hpp"

namespace consolegate::proxy {

// One coroutine per accepted connection. Never throws: an exception (exhaustion or a bug) drops
// this connection alone and is logged, rate-limited.
boost::asio::awaitable<void> run_sni_session(std::shared_ptr<service::impl> svc,
                                             boost::asio::ip::tcp::socket sock);
boost::asio::awaitable<void> run_connect_session(std::shared_ptr<service::impl> svc,
                                                 boost::asio::ip::tcp::socket sock);

}  // namespace consolegate::proxy
