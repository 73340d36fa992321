#include "fake_http.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdlib>
#include <stdexcept>
#include <thread>

namespace consolegate::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct fake_http_server::impl {
    handler h;
    asio::io_context ioc;
    tcp::acceptor acceptor{ioc};
    std::unique_ptr<asio::ssl::context> tls;
    std::thread thread;
    mutable std::mutex mu;
    std::vector<fake_request> seen;
    bool stopping = false;

    template <class Stream>
    void serve(Stream& stream) {
        beast::flat_buffer buf;
        http::request<http::string_body> req;
        beast::error_code ec;
        http::read(stream, buf, req, ec);
        if (ec) return;
        fake_request r;
        r.method = std::string(req.method_string());
        r.target = std::string(req.target());
        r.body = req.body();
        for (const auto& f : req) {
            std::string n(f.name_string());
            for (auto& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            r.headers[n] = std::string(f.value());
        }
        {
            std::lock_guard lock(mu);
            seen.push_back(r);
        }
        auto answer = h(r);
        if (answer.never_answer) {
            char byte;
            stream.read_some(asio::buffer(&byte, 1), ec);  // until the client gives up
            return;
        }
        http::response<http::string_body> res{static_cast<http::status>(answer.status), 11};
        res.set(http::field::content_type, answer.content_type);
        for (const auto& [name, value] : answer.headers) res.set(name, value);
        res.body() = answer.body;
        res.keep_alive(false);
        res.prepare_payload();
        http::write(stream, res, ec);
    }

    void run() {
        for (;;) {
            tcp::socket s(ioc);
            beast::error_code ec;
            acceptor.accept(s, ec);
            {
                std::lock_guard lock(mu);
                if (stopping) return;
            }
            if (ec) continue;
            if (tls) {
                asio::ssl::stream<tcp::socket> ts(std::move(s), *tls);
                ts.handshake(asio::ssl::stream_base::server, ec);
                if (!ec) serve(ts);
                ts.shutdown(ec);
            } else {
                serve(s);
                s.shutdown(tcp::socket::shutdown_both, ec);
            }
        }
    }
};

fake_http_server::fake_http_server(handler h, const std::string& cert, const std::string& key)
    : impl_(std::make_unique<impl>()) {
    impl_->h = std::move(h);
    if (!cert.empty()) {
        impl_->tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
        impl_->tls->use_certificate_chain_file(cert);
        impl_->tls->use_private_key_file(key, asio::ssl::context::pem);
    }
    tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
    impl_->acceptor.open(ep.protocol());
    impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
    impl_->acceptor.bind(ep);
    impl_->acceptor.listen();
    impl_->thread = std::thread([p = impl_.get()] { p->run(); });
}

fake_http_server::~fake_http_server() {
    {
        std::lock_guard lock(impl_->mu);
        impl_->stopping = true;
    }
    // Wake the blocking accept with a connection of our own.
    beast::error_code ec;
    asio::io_context ioc;
    tcp::socket s(ioc);
    s.connect(impl_->acceptor.local_endpoint(), ec);
    impl_->thread.join();
}

std::uint16_t fake_http_server::port() const {
    return impl_->acceptor.local_endpoint().port();
}

std::string fake_http_server::url(const std::string& host) const {
    return std::string(impl_->tls ? "https://" : "http://") + host + ":" + std::to_string(port());
}

std::vector<fake_request> fake_http_server::requests() const {
    std::lock_guard lock(impl_->mu);
    return impl_->seen;
}

std::pair<std::string, std::string> make_self_signed(const std::string& dir,
                                                     const std::string& name,
                                                     const std::string& san) {
    std::string cert = dir + "/" + name + ".crt", key = dir + "/" + name + ".key";
    std::string cmd =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
        "-days 2 -subj /CN=fake -addext subjectAltName=" +
        san + " -keyout '" + key + "' -out '" + cert + "' 2>/dev/null";
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("openssl req failed: " + cmd);
    return {cert, key};
}

}  // namespace consolegate::test
