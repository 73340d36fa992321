#pragma once
// One DNS-over-TCP client connection (RFC 7766): the socket, an idle timer, and the queue of
// length-prefixed answers written one at a time; and `client`, where an answer goes back to.
// Belongs to one worker's io_context; not thread-safe.

#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <vector>

#include "consolegate/core/address.hpp"
#include "consolegate/dns/stats.hpp"

namespace consolegate::dns {

class tcp_connection : public std::enable_shared_from_this<tcp_connection> {
  public:
    tcp_connection(boost::asio::ip::tcp::socket s, stats& st);
    ~tcp_connection();
    tcp_connection(const tcp_connection&) = delete;
    tcp_connection& operator=(const tcp_connection&) = delete;

    // Closes the connection unless it is re-armed (before each read, and by each answer
    // written) within `t`; while forwarded queries await their answers it waits on for them.
    void arm_idle(std::chrono::milliseconds t);
    // Queues `msg` behind its two-byte length.
    void enqueue(std::span<const std::uint8_t> msg);
    // True while the reader should not take another query: `depth` queries read are unanswered
    // or unwritten, or `bytes` of answers wait for the client. Progress (an answer due arriving,
    // a write completing, close) cancels progress_timer(), which the reader waits on.
    bool backlogged(std::size_t depth, std::uint64_t bytes) const noexcept {
        return expected_ + outq_.size() >= depth || queued_bytes_ >= bytes;
    }
    boost::asio::steady_timer& progress_timer() noexcept { return progress_; }
    // A query read here went upstream: its answer comes later, through deliver (once).
    void expect_answer() noexcept { ++expected_; }
    void deliver(std::span<const std::uint8_t> msg);
    // The client sent its last query (EOF, or a read failed): the connection closes once every
    // query read is answered and written (a client may half-close once it has asked).
    void read_closed();
    void close();

    boost::asio::ip::tcp::socket& socket() noexcept { return sock_; }
    bool closed() const noexcept { return closed_; }

  private:
    void write_next();
    void close_when_done();

    boost::asio::ip::tcp::socket sock_;
    boost::asio::steady_timer idle_;
    boost::asio::steady_timer progress_;
    std::uint64_t queued_bytes_ = 0;
    std::deque<std::vector<std::uint8_t>> outq_;
    std::chrono::milliseconds idle_after_{0};
    std::size_t expected_ = 0;  // forwarded queries not answered yet
    bool writing_ = false;
    bool read_closed_ = false;
    bool closed_ = false;
    stats& stats_;
};

// Who asked: over UDP the listener's socket and the peer's address, over TCP the connection. A
// client with neither is a prefetch (the answer only refreshes the cache).
struct client {
    core::ip_address address;
    int udp_fd = -1;
    sockaddr_storage peer{};
    socklen_t peer_len = 0;
    std::shared_ptr<tcp_connection> tcp;

    bool has_peer() const noexcept { return udp_fd >= 0 || tcp; }
};

// Sends `msg` to `c`: queued on its TCP connection, or one datagram. UDP answers rarely block;
// when the socket buffer is full the answer is lost like any datagram and the client retries.
void send_to(const client& c, std::span<const std::uint8_t> msg);

}  // namespace consolegate::dns
