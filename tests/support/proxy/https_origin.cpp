#include "https_origin.hpp"

#include <openssl/pem.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "ca.hpp"
#include "leaf_minter.hpp"

namespace consolegate::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {
constexpr auto tok = asio::as_tuple(asio::use_awaitable);

template <class Stream>
asio::awaitable<void> serve(Stream& s, beast::tcp_stream& raw) {
    beast::flat_buffer buf;
    for (int i = 0; i < 10000; ++i) {
        raw.expires_after(std::chrono::seconds(30));
        http::request_parser<http::string_body> parser;
        parser.body_limit(64 * 1024 * 1024);  // streamed uploads in the tests are a few MiB
        auto [ec, n] = co_await http::async_read(s, buf, parser, tok);
        if (ec) co_return;
        auto& req = parser.get();
        if (req.target() == "/close-delimited") {
            // HTTP/1.0 style: no Content-Length, no chunking, the body ends with the connection.
            http::response<http::string_body> res{http::status::ok, 11};
            res.set(http::field::content_type, "text/plain");
            res.set(http::field::connection, "close");
            res.body() = "close-delimited body: " + std::string(20000, 'z') + "\nend\n";
            http::response_serializer<http::string_body> sr{res};
            co_await http::async_write(s, sr, tok);  // ends with the close below, ok or not
            co_return;                               // closing the connection ends the body
        }
        if (req.target() == "/reset-mid-body" || req.target() == "/stall-mid-body") {
            // The head and a tenth of the body, then a reset (RST) or silence: the client must
            // never see a complete-looking response.
            const std::string head =
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10000\r\n\r\n" +
                std::string(1000, 'p');
            co_await asio::async_write(s, asio::buffer(head), tok);
            if (req.target() == "/stall-mid-body") {
                asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::seconds(30));
                co_await t.async_wait(tok);
                co_return;
            }
            boost::system::error_code ignored;
            raw.socket().set_option(asio::socket_base::linger(true, 0), ignored);
            raw.socket().close(ignored);
            co_return;
        }
        if (req.target() == "/reset-mid-large-body" || req.target() == "/reset-mid-chunked-body") {
            // A body larger than the proxy buffers (it streams), cut by a reset after 512 KiB of
            // 1 MiB (or of chunks with no last chunk).
            const bool chunked = req.target() == "/reset-mid-chunked-body";
            std::string wire = std::string("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n") +
                               (chunked ? "Transfer-Encoding: chunked\r\n\r\n"
                                        : "Content-Length: 1048576\r\n\r\n");
            for (int k = 0; k < 32; ++k) {
                if (chunked) wire += "4000\r\n";
                wire.append(16 * 1024, 'q');
                if (chunked) wire += "\r\n";
            }
            co_await asio::async_write(s, asio::buffer(wire), tok);
            boost::system::error_code ignored;
            raw.socket().set_option(asio::socket_base::linger(true, 0), ignored);
            raw.socket().close(ignored);
            co_return;
        }
        if (req.target() == "/extra-after-response") {
            // A whole response and, in the same write, a second one nobody asked for (an origin
            // that answers a HEAD with a body, or a 204 with one): bytes that must never be
            // taken for the answer to the connection's next request.
            const std::string wire =
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\n"
                "first\n"
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\n"
                "smuggled\n";
            auto [wec, wn] = co_await asio::async_write(s, asio::buffer(wire), tok);
            if (wec) co_return;
            continue;
        }
        if (req.target() == "/many-interim" || req.target() == "/switch-unasked") {
            // Nine interim answers before the final one, or a 101 nobody asked for: a proxy that
            // relays either as the final answer leaves the real one to answer the next request.
            std::string wire;
            if (req.target() == "/many-interim") {
                for (int k = 0; k < 9; ++k) wire += "HTTP/1.1 103 Early Hints\r\n\r\n";
            } else {
                wire +=
                    "HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\n"
                    "Upgrade: h2c\r\n\r\n";
            }
            wire +=
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nlater\n";
            auto [wec, wn] = co_await asio::async_write(s, asio::buffer(wire), tok);
            if (wec) co_return;
            continue;
        }
        if (req.target() == "/stall") {
            // Never answers within any test's timeout: the proxy's upstream deadline must fire.
            asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::seconds(30));
            co_await t.async_wait(tok);
            co_return;
        }
        // FNV-1a 64 of the body, so tests can check a streamed body arrived intact.
        std::uint64_t hash = 14695981039346656037ull;
        for (unsigned char c : req.body()) hash = (hash ^ c) * 1099511628211ull;
        char hex[17];
        std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
        std::string body =
            "method=" + std::string(req.method_string()) + "\ntarget=" + std::string(req.target()) +
            "\nhost=" + std::string(req[http::field::host]) +
            "\nvia=" + std::string(req[http::field::via]) +
            "\nbody-bytes=" + std::to_string(req.body().size()) + "\nbody-hash=" + hex +
            "\nframing=" + (parser.chunked() ? "chunked" : "length") + "\n";
        for (const char* h : {"Proxy-Connection", "Keep-Alive", "X-Hop", "X-Authenticated-User"}) {
            if (req.count(h) > 0) body += std::string("leaked=") + h + "\n";
        }
        if (req[http::field::upgrade] == "echo" || req[http::field::upgrade] == "websocket" ||
            req[http::field::upgrade] == "h2c") {
            // A minimal upgraded protocol: after the 101, echo bytes back until EOF (an origin
            // that accepts whatever upgrade it is asked for).
            http::response<http::empty_body> up{http::status::switching_protocols, 11};
            up.set(http::field::connection, "upgrade");
            up.set(http::field::upgrade, req[http::field::upgrade]);
            auto [uec, un] = co_await http::async_write(s, up, tok);
            if (uec) co_return;
            std::array<char, 4096> b;
            for (int j = 0; j < 1000; ++j) {
                raw.expires_after(std::chrono::seconds(10));
                auto [rec, rn] = co_await s.async_read_some(asio::buffer(b), tok);
                if (rec) co_return;
                auto [wec, wn] = co_await asio::async_write(s, asio::buffer(b.data(), rn), tok);
                if (wec) co_return;
            }
            co_return;
        }
        http::response<http::string_body> res{http::status::ok, 11};
        res.set(http::field::content_type, "text/plain");
        res.set(http::field::connection, "X-Hop-Response");
        res.set("X-Hop-Response", "should be removed");
        if (req.target().starts_with("/large")) body.append(256 * 1024, 'x');  // "/large…"
        // Cookies as AWS would set them on a sign-in answer: each X-Set-Cookie of the request
        // comes back as a Set-Cookie.
        for (const auto& f : req.base()) {
            if (beast::iequals(f.name_string(), "X-Set-Cookie")) {
                res.insert(http::field::set_cookie, f.value());
            }
        }
        res.body() = body;
        res.keep_alive(req.keep_alive());
        res.prepare_payload();
        auto [wec, wn] = co_await http::async_write(s, res, tok);
        if (wec || !req.keep_alive()) co_return;
    }
}

}  // namespace

struct https_origin::impl {
    asio::io_context ioc;
    std::unique_ptr<asio::ssl::context> ctx;
    tcp::acceptor acceptor{ioc};
    std::thread thread;
};

namespace {
asio::awaitable<void> session(https_origin::impl* im, tcp::socket sock) {
    if (!im->ctx) {
        beast::tcp_stream s(std::move(sock));
        co_await serve(s, s);
        co_return;
    }
    asio::ssl::stream<beast::tcp_stream> s(std::move(sock), *im->ctx);
    s.next_layer().expires_after(std::chrono::seconds(10));
    auto [ec] = co_await s.async_handshake(asio::ssl::stream_base::server, tok);
    if (ec) co_return;
    co_await serve(s, s.next_layer());
}

asio::awaitable<void> accept_all(https_origin::impl* im) {
    for (;;) {
        auto [ec, sock] = co_await im->acceptor.async_accept(tok);
        if (ec) co_return;
        asio::co_spawn(im->ioc, session(im, std::move(sock)), asio::detached);
    }
}
}  // namespace

https_origin::https_origin(const std::string& cert, const std::string& key)
    : impl_(std::make_unique<impl>()) {
    if (!cert.empty()) {
        impl_->ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
        impl_->ctx->use_certificate_chain_file(cert);
        impl_->ctx->use_private_key_file(key, asio::ssl::context::pem);
    }
    tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
    impl_->acceptor.open(ep.protocol());
    impl_->acceptor.bind(ep);
    impl_->acceptor.listen();
    asio::co_spawn(impl_->ioc, accept_all(impl_.get()), asio::detached);
    impl_->thread = std::thread([this] { impl_->ioc.run(); });
}

https_origin::~https_origin() {
    impl_->ioc.stop();
    impl_->thread.join();
}

std::uint16_t https_origin::port() const {
    return impl_->acceptor.local_endpoint().port();
}

namespace {
void write_pem(const std::string& path, X509* cert, EVP_PKEY* key) {
    FILE* f = std::fopen(path.c_str(), "w");
    if (!f) throw std::runtime_error("cannot write " + path);
    if (cert) PEM_write_X509(f, cert);
    if (key) PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
}

std::pair<std::string, std::string> leaf_from(const std::string& dir, const std::string& ca_dir,
                                              const std::string& host, const std::string& name) {
    std::string error;
    auto ca = proxy::load_ca(ca_dir + "/ca.crt", ca_dir + "/ca.key", error);
    if (!ca) throw std::runtime_error(error);
    proxy::leaf_minter m(std::move(*ca), std::chrono::hours(24), std::chrono::hours(1), 4);
    auto leaf = m.get(host);
    std::pair<std::string, std::string> out{dir + "/" + name + ".crt", dir + "/" + name + ".key"};
    write_pem(out.first, leaf.get(), nullptr);
    write_pem(out.second, nullptr, m.leaf_key());
    return out;
}
}  // namespace

test_pki::test_pki(const std::string& d) : dir(d) {
    std::filesystem::remove_all(dir);
    std::string error;
    proxy::ca_init_options corp;
    corp.dir = dir + "/corp";
    corp.common_name = "Consolegate Test Corporate CA";
    auto c = proxy::init_ca(corp, error);
    if (!c) throw std::runtime_error(error);
    corp_cert = c->cert;
    corp_key = c->key;
    proxy::ca_init_options origin;
    origin.dir = dir + "/origin";
    origin.common_name = "Test Origin CA";
    auto o = proxy::init_ca(origin, error);
    if (!o) throw std::runtime_error(error);
    origin_ca_cert = o->cert;
    origin_ca_key_ = o->key;
    proxy::ca_init_options rogue;
    rogue.dir = dir + "/rogue";
    rogue.common_name = "Rogue CA";
    if (!proxy::init_ca(rogue, error)) throw std::runtime_error(error);
}

std::pair<std::string, std::string> test_pki::origin_leaf(const std::string& host,
                                                          const std::string& name) {
    return leaf_from(dir, dir + "/origin", host, name);
}

std::pair<std::string, std::string> test_pki::corp_leaf(const std::string& host) {
    return leaf_from(dir, dir + "/corp", host, "corpleaf");
}

std::pair<std::string, std::string> test_pki::rogue_leaf(const std::string& host) {
    return leaf_from(dir, dir + "/rogue", host, "rogue");
}

}  // namespace consolegate::test
