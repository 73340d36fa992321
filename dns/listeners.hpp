#pragma once
// The sockets of one worker: per listen address a UDP socket and a TCP acceptor on the same port
// (SO_REUSEPORT, so every worker binds the same addresses), the UDP loop (recvmmsg/sendmmsg in
// batches), the TCP accept loop and one coroutine per TCP connection. Queries go to the worker.
//
// Belongs to one worker's io_context; not thread-safe.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <memory>
#include <set>
#include <vector>

#include "consolegate/core/config.hpp"
#include "tcp_connection.hpp"

namespace consolegate::dns {

class worker;

class listeners {
  public:
    explicit listeners(worker& w) : w_(w) {}

    // Binds every endpoint and starts its loops. A port of 0 binds an ephemeral UDP port and TCP
    // on the same number. Throws boost::system::system_error when a socket cannot be opened.
    void open(const std::vector<core::endpoint>& listen);
    // Closes sockets, acceptors and connections; the loops end on their next wake-up.
    void close();
    const std::vector<core::endpoint>& bound() const noexcept { return bound_; }

  private:
    static boost::asio::awaitable<void> udp_loop(listeners* self, boost::asio::ip::udp::socket* s);
    static boost::asio::awaitable<void> accept_loop(listeners* self,
                                                    boost::asio::ip::tcp::acceptor* a);
    static boost::asio::awaitable<void> tcp_session(listeners* self,
                                                    std::shared_ptr<tcp_connection> c);
    bool drain_udp(boost::asio::ip::udp::socket& s);
    std::size_t serve_udp_batch(int fd);

    worker& w_;
    std::vector<std::unique_ptr<boost::asio::ip::udp::socket>> udp_sockets_;
    std::vector<std::unique_ptr<boost::asio::ip::tcp::acceptor>> acceptors_;
    std::set<std::shared_ptr<tcp_connection>> conns_;
    std::vector<core::endpoint> bound_;
};

}  // namespace consolegate::dns
