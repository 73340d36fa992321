#include "admin_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include "consolegate/audit/query.hpp"
#include "consolegate/audit/review_page.hpp"

namespace consolegate::app {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t max_events_shown = 1000;

using response = http::response<http::string_body>;

response make_response(http::status s, std::string_view content_type, std::string body,
                       unsigned version) {
    response r{s, version};
    r.set(http::field::server, "consolegate-admin");
    r.set(http::field::content_type, content_type);
    r.set(http::field::cache_control, "no-store");
    r.set("X-Content-Type-Options", "nosniff");
    r.set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
    r.body() = std::move(body);
    return r;
}

audit::query query_from(const boost::urls::url_view& u) {
    audit::query q;
    for (auto p : u.params()) {
        if (p.value.empty()) continue;
        if (p.key == "decision" && (p.value == "allow" || p.value == "deny")) q.decision = p.value;
        if (p.key == "account") q.account = p.value;
        if (p.key == "user") q.user = p.value;
        if (p.key == "flow") q.flow = p.value;
    }
    return q;
}

response handle(const http::request<http::string_body>& req, const admin_handlers& h) {
    auto v = req.version();
    auto parsed = boost::urls::parse_origin_form(req.target());
    if (!parsed) return make_response(http::status::bad_request, "text/plain", "bad target\n", v);
    auto path = parsed->path();
    bool get = req.method() == http::verb::get || req.method() == http::verb::head;

    if (path == "/healthz" && get) return make_response(http::status::ok, "text/plain", "ok\n", v);
    if (path == "/readyz" && get) {
        bool ready = h.ready && h.ready();
        return make_response(ready ? http::status::ok : http::status::service_unavailable,
                             "text/plain", ready ? "ready\n" : "not ready\n", v);
    }
    if (path == "/metrics" && get) {
        return make_response(http::status::ok, "text/plain; version=0.0.4; charset=utf-8",
                             h.metrics ? h.metrics() : std::string{}, v);
    }
    if ((path == "/review" || path == "/" || path == "/api/events") && get) {
        auto q = query_from(*parsed);
        std::vector<audit::event> shown;
        if (h.recent) {
            for (auto& e : h.recent->snapshot()) {
                if (!audit::matches(e, q)) continue;
                shown.push_back(std::move(e));
                if (shown.size() == max_events_shown) break;
            }
        }
        if (path == "/api/events") {
            return make_response(http::status::ok, "application/x-ndjson",
                                 audit::format_events(shown, audit::output_format::json), v);
        }
        return make_response(http::status::ok, "text/html; charset=utf-8",
                             audit::render_review_page(shown, q, h.node_name), v);
    }
    if (path == "/reload") {
        if (req.method() != http::verb::post) {
            auto r = make_response(http::status::method_not_allowed, "text/plain",
                                   "use POST /reload\n", v);
            r.set(http::field::allow, "POST");
            return r;
        }
        std::string message;
        bool ok = h.reload && h.reload(message);
        return make_response(ok ? http::status::ok : http::status::conflict, "text/plain",
                             message + "\n", v);
    }
    return make_response(http::status::not_found, "text/plain",
                         "not found; try /healthz /readyz /metrics /review /api/events\n", v);
}

asio::awaitable<void> serve_session(tcp::socket socket, std::shared_ptr<admin_handlers> h) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer(8192);
    for (;;) {
        stream.expires_after(std::chrono::seconds(30));
        http::request_parser<http::string_body> parser;
        parser.header_limit(16 * 1024);
        parser.body_limit(64 * 1024);
        auto [ec, n] = co_await http::async_read(stream, buffer, parser, use_nothrow);
        if (ec) break;  // EOF, timeout, or a malformed request: close
        auto res = handle(parser.get(), *h);
        res.keep_alive(parser.get().keep_alive());
        if (parser.get().method() == http::verb::head) {
            res.prepare_payload();
            res.body().clear();
        } else {
            res.prepare_payload();
        }
        stream.expires_after(std::chrono::seconds(30));
        auto [wec, wn] = co_await http::async_write(stream, res, use_nothrow);
        if (wec || !res.keep_alive()) break;
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, std::shared_ptr<admin_handlers> h) {
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(use_nothrow);
        if (ec == asio::error::operation_aborted) co_return;
        if (ec) continue;  // EMFILE and friends: keep accepting
        asio::co_spawn(acceptor.get_executor(), serve_session(std::move(socket), h),
                       asio::detached);
    }
}

}  // namespace

struct admin_server::impl {
    impl(asio::io_context& ioc, tcp::endpoint ep, admin_handlers h)
        : ioc(ioc),
          endpoint(ep),
          handlers(std::make_shared<admin_handlers>(std::move(h))),
          acceptor(ioc) {}
    asio::io_context& ioc;
    tcp::endpoint endpoint;
    std::shared_ptr<admin_handlers> handlers;
    tcp::acceptor acceptor;
};

admin_server::admin_server(asio::io_context& ioc, core::ip_address address, std::uint16_t port,
                           admin_handlers handlers) {
    asio::ip::address a;
    if (address.is_v4()) {
        a = asio::ip::address_v4(address.v4());
    } else {
        a = asio::ip::address_v6(address.bytes());
    }
    impl_ = std::make_unique<impl>(ioc, tcp::endpoint(a, port), std::move(handlers));
}

admin_server::~admin_server() = default;

void admin_server::start() {
    auto& acc = impl_->acceptor;
    acc.open(impl_->endpoint.protocol());
    acc.set_option(asio::socket_base::reuse_address(true));
    acc.bind(impl_->endpoint);
    acc.listen();
    asio::co_spawn(impl_->ioc, accept_loop(acc, impl_->handlers), asio::detached);
}

void admin_server::stop() {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
}

std::uint16_t admin_server::port() const {
    return impl_->acceptor.local_endpoint().port();
}

}  // namespace consolegate::app
