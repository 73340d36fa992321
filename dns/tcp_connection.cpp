#include "tcp_connection.hpp"

#include <boost/asio/write.hpp>
#include <cstring>

#include "wire.hpp"

namespace consolegate::dns {

namespace asio = boost::asio;

tcp_connection::tcp_connection(asio::ip::tcp::socket s, stats& st)
    : sock_(std::move(s)),
      idle_(sock_.get_executor()),
      progress_(sock_.get_executor()),
      stats_(st) {
    stats_.tcp_connections.fetch_add(1, std::memory_order_relaxed);
}

tcp_connection::~tcp_connection() {
    stats_.tcp_connections.fetch_sub(1, std::memory_order_relaxed);
}

void tcp_connection::arm_idle(std::chrono::milliseconds t) {
    idle_after_ = t;
    idle_.expires_after(t);
    idle_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
        if (ec) return;
        auto self = weak.lock();
        if (!self) return;
        // Not idle while upstream answers are due: the worker's answer_timeout bounds that wait.
        if (self->expected_ > 0 && !self->closed_) return self->arm_idle(self->idle_after_);
        self->close();
    });
}

void tcp_connection::deliver(std::span<const std::uint8_t> msg) {
    if (expected_ > 0) --expected_;
    progress_.cancel();
    if (!msg.empty()) enqueue(msg);
    close_when_done();
}

void tcp_connection::read_closed() {
    read_closed_ = true;
    close_when_done();
}

void tcp_connection::close_when_done() {
    if (read_closed_ && expected_ == 0 && outq_.empty()) close();
}

// RFC 7766 §6.2.1.1: answers to pipelined queries may go out in any order.
void tcp_connection::enqueue(std::span<const std::uint8_t> msg) {
    if (closed_) return;
    std::vector<std::uint8_t> framed(msg.size() + 2);
    put16(framed.data(), static_cast<std::uint16_t>(msg.size()));
    std::memcpy(framed.data() + 2, msg.data(), msg.size());
    queued_bytes_ += framed.size();
    outq_.push_back(std::move(framed));
    if (!writing_) write_next();
}

void tcp_connection::write_next() {
    writing_ = true;
    asio::async_write(sock_, asio::buffer(outq_.front()),
                      [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                          self->writing_ = false;
                          self->queued_bytes_ -= self->outq_.front().size();
                          self->outq_.pop_front();
                          self->progress_.cancel();
                          if (ec) return self->close();
                          if (self->closed_) return;
                          self->arm_idle(self->idle_after_);  // the client reads: not idle
                          if (!self->outq_.empty()) return self->write_next();
                          self->close_when_done();
                      });
}

void tcp_connection::close() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ec;
    sock_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    sock_.close(ec);
    idle_.cancel();
    progress_.cancel();
}

void send_to(const client& c, std::span<const std::uint8_t> msg) {
    if (c.tcp) return c.tcp->deliver(msg);
    if (msg.empty()) return;
    (void)::sendto(c.udp_fd, msg.data(), msg.size(), MSG_DONTWAIT,
                   reinterpret_cast<const sockaddr*>(&c.peer), c.peer_len);
}

}  // namespace consolegate::dns
