#pragma once
// The proxy's byte streams behind one set of calls (private to the sessions): a plain TCP stream
// (spliced and plain-HTTP connections), a tls_socket (bumped connections), or any other Asio
// stream such as beast::test::stream (the wire helpers' unit tests).

#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <chrono>
#include <cstdint>

#include "tls_socket.hpp"

namespace consolegate::proxy {

// The one completion token: `auto [ec, n] = co_await s.async_read_some(b, tok);`.
inline constexpr auto tok = boost::asio::as_tuple(boost::asio::use_awaitable);

inline void count(std::atomic<std::uint64_t>& c) {
    c.fetch_add(1, std::memory_order_relaxed);
}

template <class Stream>
boost::asio::awaitable<io_result> read_some(Stream& s, boost::asio::mutable_buffer b) {
    auto [ec, n] = co_await s.async_read_some(b, tok);
    co_return io_result{ec, n};
}
inline boost::asio::awaitable<io_result> read_some(tls_socket& s, boost::asio::mutable_buffer b) {
    return s.read_some(b);
}

template <class Stream>
boost::asio::awaitable<boost::system::error_code> send(Stream& s, boost::asio::const_buffer b) {
    auto [ec, n] = co_await boost::asio::async_write(s, b, tok);
    co_return ec;
}
inline boost::asio::awaitable<boost::system::error_code> send(tls_socket& s,
                                                              boost::asio::const_buffer b) {
    return s.write(b);
}

// The deadline of the operations that follow; a stream without deadlines (beast::test::stream)
// has none to set.
template <class Stream>
void expires_after(Stream& s, std::chrono::steady_clock::duration d) {
    if constexpr (requires { s.expires_after(d); }) s.expires_after(d);
}

// A fatal TLS alert without any OpenSSL object (RFC 8446 §6): tells a browser why, cheaply.
inline constexpr std::uint8_t alert_handshake_failure = 40;
inline constexpr std::uint8_t alert_access_denied = 49;
inline constexpr std::uint8_t alert_internal_error = 80;
inline constexpr std::uint8_t alert_unrecognized_name = 112;

inline boost::asio::awaitable<void> send_alert(boost::beast::tcp_stream& s,
                                               std::uint8_t description) {
    std::array<std::uint8_t, 7> alert{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, description};
    s.expires_after(std::chrono::seconds(2));
    co_await boost::asio::async_write(s, boost::asio::buffer(alert), tok);
}

}  // namespace consolegate::proxy
