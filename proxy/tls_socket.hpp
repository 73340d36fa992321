#pragma once
// A TLS connection driven straight on its non-blocking socket, for both legs of a bumped
// connection: SSL_read/SSL_write go to the socket through a small BIO (which first replays the
// bytes the ClientHello parser already took off the wire), and the reactor is asked only when
// OpenSSL wants more. asio::ssl::stream copies every record through a BIO pair and runs a composed
// operation per call; on the keep-alive path that was a third of the proxy's CPU
// (bench/RESULTS.md).
//
// Deadlines are per connection, not per operation: `expires_after` stores a time point and the
// worker's `deadline_sweeper` closes sockets whose deadline passed, so the pending wait ends with
// an error and `timed_out()` says why. No timer is armed or cancelled per read or write.
//
// Single-threaded: a tls_socket and its sweeper belong to one io_context (one worker thread).

#include <openssl/ssl.h>

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace consolegate::proxy {

class deadline_sweeper;

// A socket under a deadline; linked into its sweeper's list while the deadline is set.
class deadline_socket {
  public:
    deadline_socket(boost::asio::ip::tcp::socket sock, deadline_sweeper& sweeper);
    virtual ~deadline_socket();
    deadline_socket(const deadline_socket&) = delete;
    deadline_socket& operator=(const deadline_socket&) = delete;

    boost::asio::ip::tcp::socket& socket() noexcept { return sock_; }
    void expires_after(std::chrono::steady_clock::duration d);
    // A deadline after which the pending wait is cancelled but the socket stays open, so the
    // caller can still answer (408 Request Timeout) before it closes; timed_out() says so.
    void answer_by(std::chrono::steady_clock::duration d);
    void expires_never();
    // The sweeper closed the socket (or, after answer_by, cancelled its wait) because its
    // deadline passed.
    bool timed_out() const noexcept { return timed_out_; }
    void close() noexcept;
    // Marks a wait between requests: after `idle_release_after` of it the sweeper calls
    // release_idle() once, so a parked keep-alive connection holds no I/O buffers. `counted`:
    // the release counts in the sweeper's counter (client connections; not an upstream leg).
    void set_idle(bool idle, bool counted = true);

  protected:
    virtual void release_idle() {}

  private:
    friend class deadline_sweeper;
    boost::asio::ip::tcp::socket sock_;
    deadline_sweeper& sweeper_;
    std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
    deadline_socket* prev_ = nullptr;
    deadline_socket* next_ = nullptr;
    std::chrono::steady_clock::time_point idle_since_{};
    bool linked_ = false;
    bool timed_out_ = false;
    bool cancel_only_ = false;  // answer_by: cancel the wait at the deadline, do not close
    bool idle_ = false;
    bool released_ = false;
    bool counted_ = true;
};

// Per worker: one timer that runs only while some socket has a deadline, every `period`.
class deadline_sweeper {
  public:
    deadline_sweeper(boost::asio::io_context& ioc, std::chrono::milliseconds period,
                     std::chrono::milliseconds idle_release_after = std::chrono::seconds(1),
                     std::atomic<std::uint64_t>* releases_counter = nullptr);
    ~deadline_sweeper();
    deadline_sweeper(const deadline_sweeper&) = delete;
    deadline_sweeper& operator=(const deadline_sweeper&) = delete;

  private:
    friend class deadline_socket;
    void link(deadline_socket* s);
    void unlink(deadline_socket* s) noexcept;
    void arm();
    void sweep();
    boost::asio::steady_timer timer_;
    std::chrono::milliseconds period_, idle_release_after_;
    std::chrono::steady_clock::time_point last_trim_{};  // malloc_trim after releases, 1/s
    bool trim_due_ = false;                              // released since the last trim
    deadline_socket* head_ = nullptr;
    std::atomic<std::uint64_t>* releases_counter_;
    bool armed_ = false;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

struct io_result {
    boost::system::error_code ec;
    std::size_t n = 0;
};

class tls_socket : public deadline_socket {
  public:
    // Throws std::bad_alloc when OpenSSL cannot allocate the SSL object.
    tls_socket(boost::asio::ip::tcp::socket sock, SSL_CTX* ctx, deadline_sweeper& sweeper);
    ~tls_socket() override;

    SSL* native_handle() noexcept { return ssl_.get(); }
    // Bytes already read off the socket (the ClientHello), handed to OpenSSL before the socket.
    void replay(boost::asio::const_buffer b) {
        replay_.assign(static_cast<const char*>(b.data()), b.size()), replay_pos_ = 0;
    }
    // The leaf this server side presents, its key and the issuing CA. False when OpenSSL refuses.
    bool use_certificate(X509* leaf, EVP_PKEY* key, X509* ca) noexcept {
        return SSL_use_certificate(ssl_.get(), leaf) == 1 &&
               SSL_use_PrivateKey(ssl_.get(), key) == 1 && SSL_add1_chain_cert(ssl_.get(), ca) == 1;
    }

    boost::asio::awaitable<boost::system::error_code> handshake(bool server);
    // Like a socket's read_some: at least one byte, or an error (eof after close_notify,
    // ssl::error::stream_truncated on a TCP close without one).
    boost::asio::awaitable<io_result> read_some(boost::asio::mutable_buffer b);
    // The same into `buf.prepare(n)`, prepared only once there are bytes to read: while it waits
    // for them, release_idle gives an empty `buf`'s storage back too (an idle keep-alive
    // connection then holds no request buffer either). The caller commits.
    boost::asio::awaitable<io_result> read_some(boost::beast::flat_buffer& buf, std::size_t n);
    // All of `b` in one SSL_write (one record for up to 16 KiB).
    boost::asio::awaitable<boost::system::error_code> write(boost::asio::const_buffer b);
    // The peer's message ended with the bytes read last: what it sends next answers what we send
    // next. If those bytes drained the socket and nothing arrived since, the next socket read
    // waits for readiness instead of first trying a recv that finds nothing (reactor_hint.hpp):
    // one syscall fewer per exchange. Call it at message boundaries only: a FIN that came
    // together with the message's last bytes raises no later edge, so it is then noticed by the
    // idle check (release_idle), a deadline, or the reset our next write draws, not at once.
    void message_done() noexcept;
    // Nothing from the peer waits to be read: no byte here or in OpenSSL, none on the socket, no
    // end of stream seen. Call it with no read pending. Between exchanges, a connection that is
    // not quiet holds bytes nobody asked for (or its peer is closing it): reused, they would be
    // read as the answer to the next request.
    bool quiet() noexcept;
    // Sends close_notify if the socket takes it now; never waits for the peer's (RFC 8446 §6.1
    // allows closing without it).
    void shutdown_now() noexcept;

  protected:
    // Frees OpenSSL's record buffers and parks a pending read: it ends, drops its buffer and
    // waits for readability without one (OpenSSL reallocates on the next record). With no read
    // pending (an upstream leg between its client's requests) the read buffer goes at once.
    void release_idle() override;

  private:
    struct ssl_free {
        void operator()(SSL* s) const noexcept { SSL_free(s); }
    };
    friend struct socket_bio;
    boost::system::error_code error_from(int ret, int& want);
    // No ciphertext or plaintext left in the replay, our read buffer or OpenSSL.
    bool nothing_buffered() const noexcept;
    boost::asio::awaitable<boost::system::error_code> wait(int want);
    std::unique_ptr<SSL, ssl_free> ssl_;
    std::string replay_;
    std::size_t replay_pos_ = 0;
    // Ciphertext off the socket, handed to OpenSSL by the BIO: a recv of our own first (bytes
    // that are there come back without a trip through the scheduler), then, when it found
    // nothing, Asio's async_read_some with the reactor's speculative recv switched off: it waits
    // for the edge and reads in the same step (async_wait + recv would cost an epoll_ctl per
    // wait and one more recv).
    static constexpr std::size_t in_capacity = 16 * 1024 + 512;  // one full TLS record
    std::unique_ptr<char[]> in_;
    std::size_t in_pos_ = 0, in_len_ = 0;
    bool in_eof_ = false;
    bool reading_ = false;  // an async_read_some into in_ is pending
    bool parked_ = false;   // release_idle cancelled it: wait without a buffer
    boost::beast::flat_buffer* idle_buffer_ = nullptr;  // read_some(buf, n) waiting: given back
    bool peer_turn_ = false;         // message_done: the next read may skip its first recv
    bool write_waiting_ = false;     // a wait for writability is pending (splice writes meanwhile)
    std::uint32_t write_waits_ = 0;  // writability waits started, to spot one during a read
};

}  // namespace consolegate::proxy
