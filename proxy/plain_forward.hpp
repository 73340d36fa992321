#pragma once
// Absolute-form plain HTTP (`GET http://…`) on the CONNECT listener, as PAC setups send it
// (private to the sessions): inspected hosts, and names that resolve to an inspected name's
// address, are redirected to https; such an address written as an IP literal is refused (403);
// others are forwarded to the origin with the body streamed both ways.

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <memory>

#include "service_impl.hpp"

namespace consolegate::proxy {

// `hp` holds the parsed request head (target "http://…"); `buf` any bytes read past it.
boost::asio::awaitable<void> forward_plain(
    std::shared_ptr<service::impl> svc, boost::beast::tcp_stream& client,
    boost::beast::flat_buffer& buf,
    boost::beast::http::request_parser<boost::beast::http::empty_body>& hp,
    core::ip_address client_ip);

}  // namespace consolegate::proxy
