#pragma once
// Lets a reader tell Asio's epoll reactor that a socket's receive queue is empty, so its next
// async read waits for the next readiness edge instead of first trying a recv that can only fail
// with EAGAIN.
//
// Asio 1.81 tries every read once before it waits ("speculative" read) unless its per-socket flag
// says not to; it clears that flag only after a read of 0 bytes and sets it on every readiness
// event it handles for the socket. In a request/response exchange the read that follows our send
// finds nothing (the peer has not answered yet): one wasted recv per direction per request.
// tls_socket uses this to skip it; the contract of each call says when that is safe.
//
// Only compiled in for the exact reactor it was written against (Boost 1.81, epoll): elsewhere
// the calls do nothing and report that the hint is unsupported, and every read stays speculative
// (correct, one recv slower).
//
// Single-threaded: call only on the thread that runs the socket's io_context (the only one).

#include <boost/asio/ip/tcp.hpp>

namespace consolegate::proxy {

bool reactor_hint_supported() noexcept;

// The socket's receive queue was seen empty just now, with nothing run in between that could have
// handled an event for it: its next async read waits for an edge. Any readiness event the reactor
// handles for the socket after this call turns speculation back on. No effect on a closed socket.
void reactor_expect_edge(boost::asio::ip::tcp::socket& s) noexcept;

// True when no readiness event was handled for `s` since the last reactor_expect_edge, so an async
// read started now waits for the next edge without a recv. False on a closed socket or when the
// hint is unsupported.
bool reactor_waits_for_edge(boost::asio::ip::tcp::socket& s) noexcept;

}  // namespace consolegate::proxy
