#include "admin_server.hpp"

#include <boost/algorithm/string/predicate.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include "consolegate/audit/query.hpp"
#include "consolegate/audit/review_page.hpp"
#include "consolegate/audit/store.hpp"

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
    r.set("Content-Security-Policy",
          "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors "
          "'none'");
    r.body() = std::move(body);
    return r;
}

std::vector<std::pair<std::string, std::string>> params_of(const boost::urls::url_view& u) {
    std::vector<std::pair<std::string, std::string>> out;
    for (auto p : u.params()) out.emplace_back(p.key, p.value);
    return out;
}

// Constant time in the token's length, so a timing probe learns nothing about its prefix.
bool same_token(std::string_view given, const std::string& token) {
    if (token.empty() || given.size() != token.size()) return false;
    unsigned char diff = 0;
    for (std::size_t i = 0; i < token.size(); ++i) {
        diff |= static_cast<unsigned char>(given[i] ^ token[i]);
    }
    return diff == 0;
}

std::string_view bearer_of(const http::request<http::string_body>& req) {
    auto h = req[http::field::authorization];
    constexpr std::string_view prefix = "Bearer ";
    if (h.size() <= prefix.size() || !boost::algorithm::iequals(h.substr(0, 7), prefix)) return {};
    return {h.data() + prefix.size(), h.size() - prefix.size()};
}

constexpr std::string_view session_cookie = "cg_review";

std::string_view cookie_of(const http::request<http::string_body>& req) {
    auto h = req[http::field::cookie];
    std::string_view c(h.data(), h.size());
    while (!c.empty()) {
        auto semi = c.find(';');
        auto part = c.substr(0, semi);
        while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
        if (part.substr(0, session_cookie.size() + 1) == std::string(session_cookie) + "=") {
            return part.substr(session_cookie.size() + 1);
        }
        c = semi == std::string_view::npos ? std::string_view{} : c.substr(semi + 1);
    }
    return {};
}

enum class access { granted, missing, wrong, not_configured };

access reviewer_access(const http::request<http::string_body>& req, const admin_handlers& h) {
    if (h.reviewer_token.empty() && h.operator_token.empty()) return access::not_configured;
    auto given = bearer_of(req);
    if (given.empty()) given = cookie_of(req);
    if (given.empty()) return access::missing;
    return same_token(given, h.reviewer_token) || same_token(given, h.operator_token)
               ? access::granted
               : access::wrong;
}

response refuse(access a, bool browser, const char* role, unsigned v) {
    if (a == access::not_configured) {
        return make_response(http::status::forbidden, "text/plain",
                             std::string("refused: no ") + role + " token is configured (admin." +
                                 role + "_token_file)\n",
                             v);
    }
    auto r = browser
                 ? make_response(http::status::unauthorized, "text/html; charset=utf-8",
                                 audit::render_login_page(a == access::wrong
                                                              ? "That token is not valid."
                                                              : "The review page needs a token."),
                                 v)
                 : make_response(http::status::unauthorized, "text/plain",
                                 "a bearer token is required\n", v);
    r.set(http::field::www_authenticate, "Bearer realm=\"consolegate-admin\"");
    return r;
}

std::unique_ptr<audit::event_store> open_store(const admin_handlers& h) {
    if (h.open_store) return h.open_store();
    std::vector<audit::event> events;
    if (h.recent) events = h.recent->snapshot();
    std::reverse(events.begin(), events.end());  // the memory store wants oldest first
    return audit::make_memory_store(std::move(events));
}

response login(const http::request<http::string_body>& req, const admin_handlers& h, unsigned v) {
    const std::string target = "/?" + req.body();  // the url_view below points into it
    auto form = boost::urls::parse_origin_form(target);
    std::string token;
    if (form) {
        for (auto p : form->params()) {
            if (p.key == "token") token = p.value;
        }
    }
    if (h.reviewer_token.empty() && h.operator_token.empty()) {
        return refuse(access::not_configured, true, "reviewer", v);
    }
    if (!same_token(token, h.reviewer_token) && !same_token(token, h.operator_token)) {
        return refuse(access::wrong, true, "reviewer", v);
    }
    auto r = make_response(http::status::see_other, "text/plain", "signed in\n", v);
    r.set(http::field::location, "/review");
    r.set(http::field::set_cookie, std::string(session_cookie) + "=" + token +
                                       "; Path=/; HttpOnly; SameSite=Strict" +
                                       (h.secure ? "; Secure" : ""));
    return r;
}

response review(const http::request<http::string_body>& req, const boost::urls::url_view& u,
                const admin_handlers& h, unsigned v) {
    auto path = u.path();
    auto store = open_store(h);
    auto params = params_of(u);
    auto rq = audit::parse_review_request(params, h.now());
    constexpr std::string_view event_page = "/review/event/", event_api = "/api/events/";
    if (path.starts_with(event_page) || path.starts_with(event_api)) {
        auto id = path.substr(path.starts_with(event_page) ? event_page.size() : event_api.size());
        auto e = store->get(id);
        if (!e) return make_response(http::status::not_found, "text/plain", "no such event\n", v);
        if (path.starts_with(event_api)) {
            return make_response(http::status::ok, "application/json",
                                 audit::to_json_line(*e) + "\n", v);
        }
        return make_response(http::status::ok, "text/html; charset=utf-8",
                             audit::render_event_page(*e, h.node_name), v);
    }
    if (path == "/api/events") {
        // The API is not bound to the page's default range: all matching events unless asked.
        bool ranged = std::any_of(params.begin(), params.end(), [](auto& p) {
            return p.first == "range" || p.first == "since" || p.first == "until";
        });
        if (!ranged) rq.q.since.reset();
        auto shown = store->find(rq.q, rq.page * max_events_shown, max_events_shown);
        return make_response(http::status::ok, "application/x-ndjson",
                             audit::format_events(shown, audit::output_format::json), v);
    }
    (void)req;
    return make_response(
        http::status::ok, "text/html; charset=utf-8",
        audit::render_review_page(audit::load_review(*store, rq, h.now(), h.node_name)), v);
}

// /api/address-map: the listing for reviewers, changes for the operator (header token only).
response address_map_route(const http::request<http::string_body>& req,
                           const boost::urls::url_view& u, const admin_handlers& h, unsigned v) {
    constexpr std::string_view base = "/api/address-map";
    auto path = u.path();
    std::string address = path.size() > base.size() ? path.substr(base.size() + 1) : "";
    const auto m = req.method();
    const bool listing = (m == http::verb::get || m == http::verb::head) && address.empty();
    const bool change = (m == http::verb::post && address.empty()) ||
                        (m == http::verb::delete_ && !address.empty());
    if (!listing && !change) {
        auto r = make_response(
            http::status::method_not_allowed, "text/plain",
            "use GET or POST /api/address-map, DELETE /api/address-map/<address>\n", v);
        r.set(http::field::allow, address.empty() ? "GET, POST" : "DELETE");
        return r;
    }
    if (listing) {
        auto a = reviewer_access(req, h);
        if (a != access::granted) return refuse(a, false, "reviewer", v);
    } else {
        if (h.operator_token.empty()) return refuse(access::not_configured, false, "operator", v);
        auto given = bearer_of(req);
        if (!same_token(given, h.operator_token))
            return refuse(given.empty() ? access::missing : access::wrong, false, "operator", v);
    }
    std::optional<std::string> user;
    for (auto p : u.params()) {
        if (p.key == "user") user = p.value;
    }
    auto answer = h.address_map(listing ? "GET" : std::string_view(req.method_string()), address,
                                user, req.body());
    return make_response(static_cast<http::status>(answer.status), answer.content_type,
                         std::move(answer.body), v);
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
    if (path == "/login") {
        if (req.method() == http::verb::post) return login(req, h, v);
        if (get) {
            return make_response(http::status::ok, "text/html; charset=utf-8",
                                 audit::render_login_page("Enter a reviewer or operator token."),
                                 v);
        }
    }
    if (path == "/api/elevations" && get && h.elevations) {
        // Who is elevated where: reviewer material, like the events.
        auto a = reviewer_access(req, h);
        if (a != access::granted) return refuse(a, false, "reviewer", v);
        std::string user, account;
        for (auto p : parsed->params()) {
            if (p.key == "user") user = p.value;
            if (p.key == "account") account = p.value;
        }
        auto body = h.elevations(user, account);
        if (body.empty())
            return make_response(http::status::bad_request, "text/plain",
                                 "account must be a 12-digit ID\n", v);
        return make_response(http::status::ok, "application/json", body, v);
    }
    if ((path == "/api/address-map" || path.starts_with("/api/address-map/")) && h.address_map)
        return address_map_route(req, *parsed, h, v);
    bool review_path = path == "/review" || path == "/" || path == "/api/events" ||
                       path.starts_with("/review/event/") || path.starts_with("/api/events/");
    if (review_path && get) {
        auto a = reviewer_access(req, h);
        if (a != access::granted) return refuse(a, !path.starts_with("/api/"), "reviewer", v);
        try {
            return review(req, *parsed, h, v);
        } catch (const std::exception& e) {
            return make_response(http::status::service_unavailable, "text/plain",
                                 std::string("audit store unavailable: ") + e.what() + "\n", v);
        }
    }
    if (path == "/reload") {
        if (req.method() != http::verb::post) {
            auto r = make_response(http::status::method_not_allowed, "text/plain",
                                   "use POST /reload\n", v);
            r.set(http::field::allow, "POST");
            return r;
        }
        // The header only: a cookie would let another site's form reload the gateway.
        if (h.operator_token.empty()) return refuse(access::not_configured, false, "operator", v);
        auto given = bearer_of(req);
        if (!same_token(given, h.operator_token)) {
            return refuse(given.empty() ? access::missing : access::wrong, false, "operator", v);
        }
        std::string message;
        bool ok = h.reload && h.reload(message);
        return make_response(ok ? http::status::ok : http::status::conflict, "text/plain",
                             message + "\n", v);
    }
    return make_response(http::status::not_found, "text/plain",
                         "not found; try /healthz /readyz /metrics /review /api/events "
                         "/api/elevations /api/address-map\n",
                         v);
}

// One connection's requests, over plain TCP or TLS; `lowest` is the TCP layer the deadlines
// are set on.
template <class Stream>
asio::awaitable<void> serve_requests(Stream& stream, beast::tcp_stream& lowest,
                                     std::shared_ptr<admin_handlers> h) {
    beast::flat_buffer buffer(8192);
    for (;;) {
        lowest.expires_after(std::chrono::seconds(30));
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
        lowest.expires_after(std::chrono::seconds(30));
        auto [wec, wn] = co_await http::async_write(stream, res, use_nothrow);
        if (wec || !res.keep_alive()) break;
    }
}

asio::awaitable<void> serve_session(tcp::socket socket, std::shared_ptr<admin_handlers> h) {
    beast::tcp_stream stream(std::move(socket));
    co_await serve_requests(stream, stream, h);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

asio::awaitable<void> serve_tls_session(tcp::socket socket, std::shared_ptr<asio::ssl::context> tls,
                                        std::shared_ptr<admin_handlers> h) {
    beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *tls);
    auto& lowest = beast::get_lowest_layer(stream);
    lowest.expires_after(std::chrono::seconds(10));
    auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, use_nothrow);
    if (ec) co_return;  // plain HTTP, a scanner, a client that does not trust us: close
    co_await serve_requests(stream, lowest, h);
    lowest.expires_after(std::chrono::seconds(5));
    co_await stream.async_shutdown(use_nothrow);
}

// The listener's TLS context: TLS 1.2 or later, the certificate chain and key from PEM files.
std::shared_ptr<asio::ssl::context> make_tls_context(const admin_handlers& h) {
    auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
    SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
    ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_compression);
    boost::system::error_code ec;
    ctx->use_certificate_chain_file(h.tls_cert_file.string(), ec);
    if (ec)
        throw std::runtime_error("admin.tls_cert_file " + h.tls_cert_file.string() + ": " +
                                 ec.message());
    ctx->use_private_key_file(h.tls_key_file.string(), asio::ssl::context::pem, ec);
    if (ec || SSL_CTX_check_private_key(ctx->native_handle()) != 1)
        throw std::runtime_error("admin.tls_key_file " + h.tls_key_file.string() +
                                 ": cannot load it, or it does not match admin.tls_cert_file");
    return ctx;
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, std::shared_ptr<asio::ssl::context> tls,
                                  std::shared_ptr<admin_handlers> h) {
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(use_nothrow);
        if (ec == asio::error::operation_aborted) co_return;
        if (ec) continue;  // EMFILE and friends: keep accepting
        if (tls) {
            asio::co_spawn(acceptor.get_executor(), serve_tls_session(std::move(socket), tls, h),
                           asio::detached);
        } else {
            asio::co_spawn(acceptor.get_executor(), serve_session(std::move(socket), h),
                           asio::detached);
        }
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
    std::shared_ptr<asio::ssl::context> tls;
    auto& h = *impl_->handlers;
    if (!h.tls_cert_file.empty() || !h.tls_key_file.empty()) {
        tls = make_tls_context(h);  // throws: a startup error
        h.secure = true;
    }
    auto& acc = impl_->acceptor;
    acc.open(impl_->endpoint.protocol());
    acc.set_option(asio::socket_base::reuse_address(true));
    acc.bind(impl_->endpoint);
    acc.listen();
    asio::co_spawn(impl_->ioc, accept_loop(acc, tls, impl_->handlers), asio::detached);
}

void admin_server::stop() {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
}

std::uint16_t admin_server::port() const {
    return impl_->acceptor.local_endpoint().port();
}

}  // namespace consolegate::app
