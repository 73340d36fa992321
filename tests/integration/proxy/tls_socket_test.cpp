// tls_socket and the reactor hint on real loopback sockets. The hint skips the recv that would
// find nothing after a message; these tests check that it takes effect on the Boost we build
// with and that no wake-up is ever lost, whenever the next bytes (or a FIN) arrive. Every wait is
// bounded by run_for.
#include "tls_socket.hpp"

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/version.hpp>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "https_origin.hpp"
#include "openssl_ptr.hpp"
#include "reactor_hint.hpp"

namespace consolegate::proxy {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// A connected pair of tls_sockets on loopback (server side `srv`, client side `cli`), both on
// one io_context, handshaken.
class tls_pair : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("cg-tls-socket-" + std::to_string(::getpid()));
        pki_ = std::make_unique<test::test_pki>(dir_.string());
        auto [cert, key] = pki_->origin_leaf("echo.test", "echo");
        server_.reset(SSL_CTX_new(TLS_server_method()));
        client_.reset(SSL_CTX_new(TLS_client_method()));
        ASSERT_TRUE(server_ && client_);
        ASSERT_EQ(SSL_CTX_use_certificate_chain_file(server_.get(), cert.c_str()), 1);
        ASSERT_EQ(SSL_CTX_use_PrivateKey_file(server_.get(), key.c_str(), SSL_FILETYPE_PEM), 1);
        ASSERT_EQ(
            SSL_CTX_load_verify_locations(client_.get(), pki_->origin_ca_cert.c_str(), nullptr), 1);
        SSL_CTX_set_verify(client_.get(), SSL_VERIFY_PEER, nullptr);

        tcp::acceptor acc(ioc_, {asio::ip::make_address("127.0.0.1"), 0});
        tcp::socket a(ioc_), b(ioc_);
        b.connect(acc.local_endpoint());
        acc.accept(a);
        a.set_option(tcp::no_delay(true));
        b.set_option(tcp::no_delay(true));
        srv_ = std::make_unique<tls_socket>(std::move(a), server_.get(), sweeper_);
        cli_ = std::make_unique<tls_socket>(std::move(b), client_.get(), sweeper_);
        SSL_set_tlsext_host_name(cli_->native_handle(), "echo.test");
        SSL_set1_host(cli_->native_handle(), "echo.test");
        std::optional<boost::system::error_code> s, c;
        asio::co_spawn(ioc_, srv_->handshake(true), [&](std::exception_ptr, auto ec) { s = ec; });
        asio::co_spawn(ioc_, cli_->handshake(false), [&](std::exception_ptr, auto ec) { c = ec; });
        run_until([&] { return s && c; });
        ASSERT_TRUE(s && c);
        ASSERT_FALSE(*s) << s->message();
        ASSERT_FALSE(*c) << c->message();
        // The TLS 1.3 tickets the server sent after its Finished: read them off now.
        write(*srv_, "hello");
        ASSERT_EQ(read(*cli_), "hello");
    }
    void TearDown() override {
        srv_.reset();
        cli_.reset();
        std::filesystem::remove_all(dir_);
    }

    // Runs the loop until `done` or `limit`.
    template <class Done>
    void run_until(Done done, std::chrono::milliseconds limit = 5s) {
        auto until = std::chrono::steady_clock::now() + limit;
        while (!done() && std::chrono::steady_clock::now() < until) {
            ioc_.restart();
            ioc_.run_one_for(10ms);
        }
    }
    // Runs the loop for `d` with nothing of ours pending: the reactor handles whatever events
    // are there.
    void run_for(std::chrono::milliseconds d) {
        asio::steady_timer t(ioc_, d);
        bool fired = false;
        t.async_wait([&](auto) { fired = true; });
        run_until([&] { return fired; });
    }

    void write(tls_socket& s, std::string msg) {
        std::optional<boost::system::error_code> r;
        auto data = std::make_shared<std::string>(std::move(msg));
        asio::co_spawn(ioc_, s.write(asio::buffer(*data)),
                       [&, data](std::exception_ptr, auto ec) { r = ec; });
        run_until([&] { return r.has_value(); });
        ASSERT_TRUE(r.has_value()) << "write did not finish";
        ASSERT_FALSE(*r) << r->message();
    }

    // One read_some, bounded: its bytes, its error's message prefixed "error: ", or "pending"
    // (then the read is cancelled by closing nothing: the caller's test ends).
    std::string read(tls_socket& s, std::chrono::milliseconds limit = 5s) {
        auto buf = std::make_shared<std::vector<char>>(70000);
        std::optional<io_result> r;
        asio::co_spawn(ioc_, s.read_some(asio::buffer(*buf)),
                       [&, buf](std::exception_ptr, io_result res) { r = res; });
        run_until([&] { return r.has_value(); }, limit);
        if (!r) {
            pending_buffers_.push_back(buf);  // the read may still complete into it later
            return "pending";
        }
        if (r->ec) return "error: " + r->ec.message();
        return std::string(buf->data(), r->n);
    }

    std::filesystem::path dir_;
    std::unique_ptr<test::test_pki> pki_;
    ssl_ctx_ptr server_, client_;
    asio::io_context ioc_{1};
    deadline_sweeper sweeper_{ioc_, 20ms, 50ms};
    std::unique_ptr<tls_socket> srv_, cli_;
    std::vector<std::shared_ptr<std::vector<char>>> pending_buffers_;
};

using tls_socket_pair = tls_pair;

TEST_F(tls_socket_pair, after_message_done_the_next_read_waits_for_an_edge) {
    if (!reactor_hint_supported()) GTEST_SKIP();
    write(*cli_, "GET / HTTP/1.1\r\n\r\n");
    ASSERT_EQ(read(*srv_), "GET / HTTP/1.1\r\n\r\n");
    // The read drained the socket and nothing came since.
    EXPECT_TRUE(reactor_waits_for_edge(srv_->socket()));
    srv_->message_done();
    write(*srv_, "HTTP/1.1 200 OK\r\n\r\n");
    ASSERT_EQ(read(*cli_), "HTTP/1.1 200 OK\r\n\r\n");
    // The next request is read on its edge, and the hint is back in force after it.
    write(*cli_, "GET /2 HTTP/1.1\r\n\r\n");
    EXPECT_EQ(read(*srv_), "GET /2 HTTP/1.1\r\n\r\n");
    EXPECT_TRUE(reactor_waits_for_edge(srv_->socket()));
}

// Bytes that arrive after the draining read and whose event the reactor handles before the next
// read starts: the event turns speculation back on, so the read takes them at once.
TEST_F(tls_socket_pair, bytes_whose_event_came_before_the_read_are_read_at_once) {
    if (!reactor_hint_supported()) GTEST_SKIP();
    write(*cli_, "a");
    ASSERT_EQ(read(*srv_), "a");
    srv_->message_done();
    write(*cli_, "b");
    run_for(30ms);  // the reactor handles b's edge with no read pending
    EXPECT_FALSE(reactor_waits_for_edge(srv_->socket()));
    EXPECT_EQ(read(*srv_, 2s), "b");
}

// The same with the event still unhandled when the read starts: the read waits and the edge
// completes it.
TEST_F(tls_socket_pair, bytes_whose_event_is_pending_complete_the_waiting_read) {
    if (!reactor_hint_supported()) GTEST_SKIP();
    for (int round = 0; round < 200; ++round) {
        write(*cli_, "ping");
        ASSERT_EQ(read(*srv_), "ping") << "round " << round;
        srv_->message_done();
        write(*srv_, "pong");
        ASSERT_EQ(read(*cli_), "pong") << "round " << round;
        cli_->message_done();
    }
}

// A peer that half-closes right behind its last request: its FIN raises no edge of its own once
// the request's event was handled, so the hinted read does not see it at once. The idle release
// peeks and finds it, long before any idle timeout.
TEST_F(tls_socket_pair, a_fin_behind_the_last_request_is_found_by_the_idle_release) {
    if (!reactor_hint_supported()) GTEST_SKIP();
    write(*cli_, "GET /last HTTP/1.1\r\n\r\n");
    ::shutdown(cli_->socket().native_handle(), SHUT_WR);  // a TCP FIN, no close_notify
    run_for(30ms);  // the reactor handles the data+FIN event with no read pending
    ASSERT_EQ(read(*srv_), "GET /last HTTP/1.1\r\n\r\n");
    srv_->message_done();
    write(*srv_, "HTTP/1.1 200 OK\r\n\r\n");
    srv_->expires_after(30s);  // the idle timeout: the sweeper watches sockets with a deadline
    srv_->set_idle(true);
    auto t0 = std::chrono::steady_clock::now();
    auto got = read(*srv_, 3s);
    auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_EQ(got,
              "error: " + boost::system::error_code(asio::ssl::error::stream_truncated).message());
    EXPECT_LT(took, 2s);
}

// An idle keep-alive connection holds no request buffer: the read into a flat_buffer prepares it
// only once bytes are there, and the idle release gives an empty one's storage back meanwhile.
TEST_F(tls_socket_pair, an_idle_read_gives_its_empty_request_buffer_back) {
    beast::flat_buffer buf;
    buf.prepare(4096);  // what the last request left: capacity, no bytes
    ASSERT_GE(buf.capacity(), 4096u);
    srv_->expires_after(30s);  // the idle timeout: the sweeper watches sockets with a deadline
    srv_->set_idle(true);
    std::optional<io_result> r;
    asio::co_spawn(ioc_, srv_->read_some(buf, 4096),
                   [&](std::exception_ptr, io_result res) { r = res; });
    run_for(300ms);  // past the idle release
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(buf.capacity(), 0u);
    write(*cli_, "GET /next HTTP/1.1\r\n\r\n");
    run_until([&] { return r.has_value(); });
    ASSERT_TRUE(r.has_value());
    ASSERT_FALSE(r->ec) << r->ec.message();
    buf.commit(r->n);
    EXPECT_EQ(beast::buffers_to_string(buf.data()), "GET /next HTTP/1.1\r\n\r\n");
    srv_->set_idle(false);
    // A busy connection keeps it: read at once, nothing given back.
    buf.consume(buf.size());
    write(*cli_, "GET /again HTTP/1.1\r\n\r\n");
    run_for(30ms);
    r.reset();
    asio::co_spawn(ioc_, srv_->read_some(buf, 4096),
                   [&](std::exception_ptr, io_result res) { r = res; });
    run_until([&] { return r.has_value(); });
    ASSERT_TRUE(r.has_value() && !r->ec);
    buf.commit(r->n);
    EXPECT_EQ(beast::buffers_to_string(buf.data()), "GET /again HTTP/1.1\r\n\r\n");
}

// Whether the peer's bytes (or its close_notify) wait on the socket, seen by poll: bounded.
bool readable_within(tls_socket& s, std::chrono::milliseconds limit) {
    pollfd p{s.socket().native_handle(), POLLIN, 0};
    return ::poll(&p, 1, static_cast<int>(limit.count())) == 1;
}

// An upstream connection is reused only while quiet: bytes its origin sent after its last
// response, or its close_notify, would be read as the answer to the next request.
TEST_F(tls_socket_pair, quiet_until_the_peer_sends_or_closes) {
    EXPECT_TRUE(cli_->quiet());
    write(*srv_, "HTTP/1.1 200 OK\r\n\r\n");
    ASSERT_TRUE(readable_within(*cli_, 5s));
    EXPECT_FALSE(cli_->quiet());
    ASSERT_EQ(read(*cli_), "HTTP/1.1 200 OK\r\n\r\n");
    EXPECT_TRUE(cli_->quiet());
    srv_->shutdown_now();  // close_notify
    ASSERT_TRUE(readable_within(*cli_, 5s));
    EXPECT_FALSE(cli_->quiet());
}

// A read pending while a write on the same socket waits for writability (splice after a 101):
// their events can complete in one reactor step, and nothing may be lost either way.
TEST_F(tls_socket_pair, a_read_and_a_blocked_write_on_one_socket_both_finish) {
    constexpr std::size_t big = 8 * 1024 * 1024;
    auto payload = std::make_shared<std::string>(big, 'x');
    std::optional<boost::system::error_code> wrote;
    asio::co_spawn(ioc_, srv_->write(asio::buffer(*payload)),
                   [&, payload](std::exception_ptr, auto ec) { wrote = ec; });
    run_for(50ms);  // the socket buffers fill up: the write now waits for writability
    ASSERT_FALSE(wrote.has_value()) << "the write was expected to block";
    std::string got_small;
    std::optional<io_result> small;
    auto sbuf = std::make_shared<std::vector<char>>(64);
    asio::co_spawn(ioc_, srv_->read_some(asio::buffer(*sbuf)),
                   [&, sbuf](std::exception_ptr, io_result r) {
                       small = r;
                       if (!r.ec) got_small.assign(sbuf->data(), r.n);
                   });
    write(*cli_, "hi");
    std::size_t received = 0;
    std::string failure;
    auto until = std::chrono::steady_clock::now() + 20s;
    while ((received < big || !small) && std::chrono::steady_clock::now() < until) {
        auto chunk = read(*cli_, 5s);
        if (chunk == "pending" || chunk.starts_with("error: ")) {
            failure = chunk;
            break;
        }
        received += chunk.size();
    }
    run_until([&] { return wrote.has_value() && small.has_value(); });
    EXPECT_EQ(failure, "");
    EXPECT_EQ(received, big);
    ASSERT_TRUE(wrote.has_value());
    EXPECT_FALSE(*wrote);
    ASSERT_TRUE(small.has_value());
    EXPECT_EQ(got_small, "hi");
}

// --- echo in every size around the record and read-buffer boundaries ----------------------------

asio::awaitable<void> echo(tls_socket* s) {
    std::vector<char> buf(70000);
    for (;;) {
        auto r = co_await s->read_some(asio::buffer(buf));
        if (r.ec) co_return;
        if (co_await s->write(asio::buffer(buf.data(), r.n))) co_return;
    }
}

asio::awaitable<void> talk(tls_socket* s, std::vector<std::size_t> sizes, int rounds, int* done,
                           std::string* failure) {
    std::vector<char> in(70000);
    for (int i = 0; i < rounds; ++i) {
        std::size_t size = sizes[static_cast<std::size_t>(i) % sizes.size()];
        std::string msg(size, static_cast<char>('a' + i % 26));
        if (auto ec = co_await s->write(asio::buffer(msg))) {
            *failure = "write: " + ec.message();
            co_return;
        }
        std::string back;
        while (back.size() < size) {
            auto r = co_await s->read_some(asio::buffer(in));
            if (r.ec) {
                *failure = "read: " + r.ec.message();
                co_return;
            }
            back.append(in.data(), r.n);
        }
        if (back != msg) {
            *failure = "echo differs in round " + std::to_string(i);
            co_return;
        }
        s->message_done();  // the whole answer is in: the next read waits for the next one
        ++*done;
    }
}

TEST_F(tls_socket_pair, echo_survives_every_size_with_the_hint) {
    // 1 byte, a small request, one full record (16384), one byte over it, the read buffer's
    // size, and multi-record messages that fill the 16.5 KiB read buffer exactly or not at all.
    std::vector<std::size_t> sizes{1, 300, 16384, 16385, 16896, 16897, 33000, 65536};
    constexpr int rounds = 400;
    int done = 0;
    std::string failure;
    asio::co_spawn(ioc_, echo(srv_.get()), asio::detached);
    asio::co_spawn(ioc_, talk(cli_.get(), sizes, rounds, &done, &failure), asio::detached);
    run_until([&] { return done == rounds || !failure.empty(); }, 20s);
    EXPECT_EQ(failure, "");
    EXPECT_EQ(done, rounds) << "stalled: a lost wake-up leaves the echo waiting";
    srv_->close();
    cli_->close();
    run_for(20ms);
}

}  // namespace
}  // namespace consolegate::proxy
