#include "tls_socket.hpp"

#include <openssl/err.h>
#include <sys/socket.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <new>
#include <utility>

#include "reactor_hint.hpp"

namespace consolegate::proxy {

namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::ip::tcp;

// --- deadlines ----------------------------------------------------------------------------------

namespace {
// CLOCK_MONOTONIC at tick resolution (a few ms): the same time base as steady_clock on Linux, a
// third of the cost, and deadlines are only checked every sweep period (>= 10 ms) anyway.
std::chrono::steady_clock::time_point coarse_now() noexcept {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return std::chrono::steady_clock::time_point(std::chrono::seconds(ts.tv_sec) +
                                                 std::chrono::nanoseconds(ts.tv_nsec));
}
}  // namespace

deadline_socket::deadline_socket(tcp::socket sock, deadline_sweeper& sweeper)
    : sock_(std::move(sock)), sweeper_(sweeper) {}

deadline_socket::~deadline_socket() {
    sweeper_.unlink(this);
}

void deadline_socket::expires_after(std::chrono::steady_clock::duration d) {
    deadline_ = coarse_now() + d;
    cancel_only_ = false;
    sweeper_.link(this);
}

void deadline_socket::answer_by(std::chrono::steady_clock::duration d) {
    expires_after(d);
    cancel_only_ = true;
}

void deadline_socket::expires_never() {
    deadline_ = std::chrono::steady_clock::time_point::max();
    sweeper_.unlink(this);
}

void deadline_socket::set_idle(bool idle, bool counted) {
    idle_ = idle;
    counted_ = counted;
    released_ = false;
    if (idle) idle_since_ = coarse_now();
}

void deadline_socket::close() noexcept {
    boost::system::error_code ignored;
    sock_.close(ignored);
}

deadline_sweeper::deadline_sweeper(asio::io_context& ioc, std::chrono::milliseconds period,
                                   std::chrono::milliseconds idle_release_after,
                                   std::atomic<std::uint64_t>* releases_counter)
    : timer_(ioc),
      period_(period),
      idle_release_after_(idle_release_after),
      releases_counter_(releases_counter) {}

deadline_sweeper::~deadline_sweeper() {
    *alive_ = false;
}

void deadline_sweeper::link(deadline_socket* s) {
    if (s->linked_) return;
    s->linked_ = true;
    s->prev_ = nullptr;
    s->next_ = head_;
    if (head_) head_->prev_ = s;
    head_ = s;
    arm();
}

void deadline_sweeper::unlink(deadline_socket* s) noexcept {
    if (!s->linked_) return;
    if (s->prev_) s->prev_->next_ = s->next_;
    if (s->next_) s->next_->prev_ = s->prev_;
    if (head_ == s) head_ = s->next_;
    s->prev_ = s->next_ = nullptr;
    s->linked_ = false;
}

void deadline_sweeper::arm() {
    if (armed_) return;
    armed_ = true;
    timer_.expires_after(period_);
    // The timer runs only while a deadline is set, so an idle worker's io_context can run dry
    // (drain on SIGTERM ends when the last connection does).
    timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
        if (!*alive) return;
        armed_ = false;
        if (ec) return;
        sweep();
        if (head_) arm();
    });
}

void deadline_sweeper::sweep() {
    auto now = coarse_now();
    std::size_t released = 0;
    for (auto* s = head_; s != nullptr;) {
        auto* next = s->next_;
        if (s->deadline_ <= now) {
            unlink(s);
            s->timed_out_ = true;
            if (s->cancel_only_) {
                s->cancel_only_ = false;
                boost::system::error_code ignored;
                s->sock_.cancel(ignored);
            } else {
                s->close();
            }
        } else if (s->idle_ && !s->released_ && now - s->idle_since_ >= idle_release_after_) {
            s->released_ = true;
            if (releases_counter_ && s->counted_)
                releases_counter_->fetch_add(1, std::memory_order_relaxed);
            s->release_idle();
            ++released;
        }
        s = next;
    }
#ifdef __GLIBC__
    // The buffers just given back lie between live connections' small objects: glibc keeps such
    // pages unless asked (free() returns only the top of a heap): 3 KiB per idle connection
    // (bench/proxy/idle_rss.sh). At most one trim a second, and none while no connection idles.
    trim_due_ = trim_due_ || released > 0;
    if (trim_due_ && now - last_trim_ >= std::chrono::seconds(1)) {
        trim_due_ = false;
        last_trim_ = now;
        ::malloc_trim(0);
    }
#endif
}

// --- the socket BIO -----------------------------------------------------------------------------

struct socket_bio {
    static tls_socket* self(BIO* b) { return static_cast<tls_socket*>(BIO_get_data(b)); }

    static int read(BIO* b, char* out, std::size_t len, std::size_t* done) {
        BIO_clear_retry_flags(b);
        auto* s = self(b);
        *done = 0;
        if (s->replay_pos_ < s->replay_.size()) {
            std::size_t n = std::min(len, s->replay_.size() - s->replay_pos_);
            std::memcpy(out, s->replay_.data() + s->replay_pos_, n);
            s->replay_pos_ += n;
            if (s->replay_pos_ == s->replay_.size()) std::string().swap(s->replay_);
            *done = n;
            return 1;
        }
        if (s->in_pos_ < s->in_len_) {
            std::size_t n = std::min(len, s->in_len_ - s->in_pos_);
            std::memcpy(out, s->in_.get() + s->in_pos_, n);
            s->in_pos_ += n;
            *done = n;
            return 1;
        }
        if (s->in_eof_) return 0;  // EOF, no retry flag: OpenSSL reports it
        BIO_set_retry_read(b);     // tls_socket::wait reads more
        return 0;
    }

    static int write(BIO* b, const char* in, std::size_t len, std::size_t* done) {
        BIO_clear_retry_flags(b);
        for (;;) {
            ssize_t r = ::send(self(b)->socket().native_handle(), in, len, MSG_NOSIGNAL);
            if (r >= 0) {
                *done = static_cast<std::size_t>(r);
                return 1;
            }
            *done = 0;
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) BIO_set_retry_write(b);
            return 0;
        }
    }

    static long ctrl(BIO*, int cmd, long, void*) { return cmd == BIO_CTRL_FLUSH ? 1 : 0; }

    static int create(BIO* b) {
        BIO_set_init(b, 1);
        return 1;
    }

    static BIO_METHOD* method() {
        static BIO_METHOD* m = [] {
            BIO_METHOD* bm = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "cg-socket");
            if (bm == nullptr) throw std::bad_alloc();
            BIO_meth_set_read_ex(bm, read);
            BIO_meth_set_write_ex(bm, write);
            BIO_meth_set_ctrl(bm, ctrl);
            BIO_meth_set_create(bm, create);
            return bm;
        }();
        return m;
    }
};

namespace {

constexpr auto tok = asio::as_tuple(asio::use_awaitable);

// SSL_get_error trusts the thread's error queue; an entry left by other OpenSSL work on this
// worker (minting, verification) would turn a want-read into a fatal error.
inline void clear_stale_errors() {
    if (ERR_peek_error() != 0) ERR_clear_error();
}

}  // namespace

tls_socket::tls_socket(tcp::socket sock, SSL_CTX* ctx, deadline_sweeper& sweeper)
    : deadline_socket(std::move(sock), sweeper), ssl_(SSL_new(ctx)) {
    if (!ssl_) throw std::bad_alloc();
    BIO* bio = BIO_new(socket_bio::method());
    if (bio == nullptr) throw std::bad_alloc();
    BIO_set_data(bio, this);
    SSL_set_bio(ssl_.get(), bio, bio);
    // Whole socket reads instead of a header-then-body pair of recv calls per record; a write
    // retried after want-write may come from another buffer address (the caller's is stable,
    // but OpenSSL checks the pointer).
    SSL_set_read_ahead(ssl_.get(), 1);
    SSL_set_mode(ssl_.get(), SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
}

tls_socket::~tls_socket() = default;

boost::system::error_code tls_socket::error_from(int ret, int& want) {
    want = 0;
    int e = SSL_get_error(ssl_.get(), ret);
    switch (e) {
        case SSL_ERROR_WANT_READ: want = 1; return {};
        case SSL_ERROR_WANT_WRITE: want = 2; return {};
        case SSL_ERROR_ZERO_RETURN: return asio::error::eof;
        case SSL_ERROR_SYSCALL: {
            int err = errno;
            ERR_clear_error();
            if (timed_out()) return asio::error::timed_out;
            if (err == 0) return asio::ssl::error::stream_truncated;
            return {err, boost::system::system_category()};
        }
        default: {
            unsigned long code = ERR_peek_error();
            ERR_clear_error();
            if (timed_out()) return asio::error::timed_out;
            // OpenSSL 3 reports a TCP close without close_notify this way.
            if (ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
                return asio::ssl::error::stream_truncated;
            }
            if (code == 0) return asio::ssl::error::unspecified_system_error;
            return {static_cast<int>(code), asio::error::get_ssl_category()};
        }
    }
}

// want 1: more ciphertext in; want 2: the socket must take more out.
asio::awaitable<boost::system::error_code> tls_socket::wait(int want) {
    if (want == 2) {
        write_waiting_ = true;
        ++write_waits_;
        auto [ec] = co_await socket().async_wait(tcp::socket::wait_write, tok);
        write_waiting_ = false;
        if (ec) co_return timed_out() ? asio::error::timed_out : ec;
        co_return boost::system::error_code();
    }
    bool peer_turn = std::exchange(peer_turn_, false);
    if (!socket().is_open()) {
        co_return timed_out() ? asio::error::timed_out : asio::error::bad_descriptor;
    }
    if (parked_) {
        // Released while idle: wait for the next bytes without holding a buffer (one
        // epoll_ctl, once per idle period). Peek first: a FIN that came with the last request
        // raised no edge of its own (message_done).
        parked_ = false;
        peer_turn = false;
        in_.reset();
        char c;
        ssize_t r = ::recv(socket().native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            auto [ec] = co_await socket().async_wait(tcp::socket::wait_read, tok);
            if (ec) co_return timed_out() ? asio::error::timed_out : ec;
        }
    }
    if (!in_) in_ = std::make_unique<char[]>(in_capacity);
    in_pos_ = in_len_ = 0;
    if (reactor_hint_supported()) {
        // Skipped when the last read drained the socket, the peer's message ended there and no
        // readiness event came since: nothing can be there.
        if (!(peer_turn && reactor_waits_for_edge(socket()))) {
            ssize_t r;
            do {
                r = ::recv(socket().native_handle(), in_.get(), in_capacity, MSG_DONTWAIT);
            } while (r < 0 && errno == EINTR);
            if (r > 0) {
                in_len_ = static_cast<std::size_t>(r);
                if (in_len_ < in_capacity) reactor_expect_edge(socket());
                co_return boost::system::error_code();
            }
            if (r == 0) {
                in_eof_ = true;  // OpenSSL tells close_notify from truncation
                co_return boost::system::error_code();
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                boost::system::error_code ec(errno, boost::system::system_category());
                co_return timed_out() ? asio::error::timed_out : ec;
            }
            reactor_expect_edge(socket());  // empty just now: the next edge is news
        }
    }
    bool write_wait_before = write_waiting_;
    auto write_waits_before = write_waits_;
    reading_ = true;
    auto [ec, n] = co_await socket().async_read_some(asio::buffer(in_.get(), in_capacity), tok);
    reading_ = false;
    if (ec == asio::error::operation_aborted && parked_ && socket().is_open() && !timed_out()) {
        co_return co_await wait(want);  // parked by release_idle while this read was pending
    }
    parked_ = false;  // a cancel that came after the read had completed
    in_pos_ = 0;
    in_len_ = n;
    if (ec == asio::error::eof) {
        in_eof_ = true;
        co_return boost::system::error_code();
    }
    if (ec) co_return timed_out() ? asio::error::timed_out : ec;
    // The reactor read on an edge and resumed us inline, before handling any other event: unless
    // a writability wait completed in the same step (splice), which queues our resumption behind
    // the next epoll_wait. A short read then drained the socket.
    if (n < in_capacity && !write_wait_before && write_waits_ == write_waits_before) {
        reactor_expect_edge(socket());
    }
    co_return boost::system::error_code();
}

asio::awaitable<boost::system::error_code> tls_socket::handshake(bool server) {
    if (server) {
        SSL_set_accept_state(ssl_.get());
    } else {
        SSL_set_connect_state(ssl_.get());
    }
    for (;;) {
        clear_stale_errors();
        int r = SSL_do_handshake(ssl_.get());
        if (r == 1) co_return boost::system::error_code();
        int want = 0;
        auto ec = error_from(r, want);
        if (want == 0) co_return ec;
        if (auto wec = co_await wait(want)) co_return wec;
    }
}

asio::awaitable<io_result> tls_socket::read_some(asio::mutable_buffer b) {
    if (b.size() == 0) co_return io_result{};
    for (;;) {
        // With nothing buffered here or in OpenSSL, SSL_read could only say want-read: read the
        // socket first (half the SSL_read calls of a keep-alive exchange, each a trip through
        // OpenSSL's record layer and error queue).
        if (!in_eof_ && nothing_buffered()) {
            if (auto wec = co_await wait(1)) co_return io_result{wec, 0};
        }
        clear_stale_errors();
        std::size_t n = 0;
        int r = SSL_read_ex(ssl_.get(), b.data(), b.size(), &n);
        if (r == 1) co_return io_result{{}, n};
        int want = 0;
        auto ec = error_from(r, want);
        if (want == 0) co_return io_result{ec, 0};
        if (auto wec = co_await wait(want)) co_return io_result{wec, 0};
    }
}

// read_some's loop, with `buf` prepared only after each wait (no nested coroutine: this is the
// keep-alive path).
asio::awaitable<io_result> tls_socket::read_some(beast::flat_buffer& buf, std::size_t n) {
    if (n == 0) co_return io_result{};
    int want = 0;
    if (!in_eof_ && nothing_buffered()) want = 1;
    for (;;) {
        if (want != 0) {
            idle_buffer_ = &buf;
            auto wec = co_await wait(want);
            idle_buffer_ = nullptr;
            if (wec) co_return io_result{wec, 0};
        }
        clear_stale_errors();
        auto b = buf.prepare(n);
        std::size_t got = 0;
        int r = SSL_read_ex(ssl_.get(), b.data(), b.size(), &got);
        if (r == 1) co_return io_result{{}, got};
        auto ec = error_from(r, want);
        if (want == 0) co_return io_result{ec, 0};
    }
}

asio::awaitable<boost::system::error_code> tls_socket::write(asio::const_buffer b) {
    if (b.size() == 0) co_return boost::system::error_code();
    for (;;) {
        clear_stale_errors();
        std::size_t n = 0;
        int r = SSL_write_ex(ssl_.get(), b.data(), b.size(), &n);
        if (r == 1) co_return boost::system::error_code();
        int want = 0;
        auto ec = error_from(r, want);
        if (want == 0) co_return ec;
        if (auto wec = co_await wait(want)) co_return wec;
    }
}

bool tls_socket::nothing_buffered() const noexcept {
    // SSL_has_pending covers both decrypted bytes and unprocessed ciphertext in OpenSSL.
    return in_pos_ >= in_len_ && replay_pos_ >= replay_.size() && SSL_has_pending(ssl_.get()) == 0;
}

bool tls_socket::quiet() noexcept {
    if (in_eof_ || !nothing_buffered()) return false;
    boost::system::error_code ec;
    const auto n = socket().available(ec);  // FIONREAD: a close_notify counts, a FIN does not
    return !ec && n == 0;
}

void tls_socket::message_done() noexcept {
    peer_turn_ = nothing_buffered();
}

void tls_socket::release_idle() {
    SSL_free_buffers(ssl_.get());  // refuses (harmlessly) while a record is half read
    if (idle_buffer_ && idle_buffer_->size() == 0) idle_buffer_->shrink_to_fit();
    if (reading_ && in_pos_ >= in_len_) {
        parked_ = true;
        boost::system::error_code ignored;
        socket().cancel(ignored);  // only the idle read is pending on a waiting client socket
    } else if (!reading_ && in_pos_ >= in_len_) {
        in_.reset();  // nobody reads (an upstream leg between requests): wait() allocates anew
        in_pos_ = in_len_ = 0;
    }
}

void tls_socket::shutdown_now() noexcept {
    if (!socket().is_open() || !SSL_is_init_finished(ssl_.get())) return;
    clear_stale_errors();
    SSL_shutdown(ssl_.get());
    ERR_clear_error();
}

}  // namespace consolegate::proxy
