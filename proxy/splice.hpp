#pragma once
// Splice: both directions of a connection relayed byte for byte (private to the sessions). Used
// for hosts that are not inspected (plain TCP, no OpenSSL object) and for an upgraded (WebSocket)
// exchange on a bumped connection (TLS on both legs).

#include <algorithm>
#include <array>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>

#include "consolegate/proxy/service.hpp"
#include "stream_io.hpp"

namespace consolegate::proxy {

// When a byte last moved in either direction.
struct activity {
    std::chrono::steady_clock::time_point last = std::chrono::steady_clock::now();
};

// One direction, until `from` ends or either side fails.
template <class From, class To>
boost::asio::awaitable<void> pump(From& from, To& to, activity& act, bool half_close) {
    std::array<char, 16384> buf;
    for (;;) {
        auto [ec, n] = co_await read_some(from, boost::asio::buffer(buf));
        if (n > 0) {
            act.last = std::chrono::steady_clock::now();
            if (co_await send(to, boost::asio::buffer(buf.data(), n))) {
                boost::system::error_code ignored;
                from.socket().close(ignored);
                to.socket().close(ignored);
                co_return;
            }
        }
        if (ec) {
            boost::system::error_code ignored;
            if (ec == boost::asio::error::eof && half_close) {
                // RFC 9293 half-close: the other direction may still be sending.
                to.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
            } else {
                from.socket().close(ignored);
                to.socket().close(ignored);
            }
            co_return;
        }
    }
}

// Closes both sockets once nothing has moved for `idle` (counted as a timeout).
boost::asio::awaitable<void> watchdog(activity& act, std::chrono::milliseconds idle,
                                      boost::asio::ip::tcp::socket& a,
                                      boost::asio::ip::tcp::socket& b, stats& st);

// Both directions until either side closes (with `half_close`, a FIN is passed on instead) or
// nothing moves for `idle`.
template <class A, class B>
boost::asio::awaitable<void> splice(A& a, B& b, std::chrono::milliseconds idle, stats& st,
                                    bool half_close) {
    using namespace boost::asio::experimental::awaitable_operators;
    activity act;
    a.expires_never();
    b.expires_never();
    co_await ((pump(a, b, act, half_close) && pump(b, a, act, half_close)) ||
              watchdog(act, idle, a.socket(), b.socket(), st));
}

}  // namespace consolegate::proxy
