#include "consolegate/net/http_client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <charconv>

namespace consolegate::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto tok = asio::as_tuple(asio::use_awaitable);

char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

bool allowed_plain(const asio::ip::address& a, const http_client_options& o) {
    if (a.is_loopback()) return true;
    if (a.is_v6() && a.to_v6().is_v4_mapped() &&
        asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).is_loopback())
        return true;
    for (const auto& s : o.plain_http_addresses) {
        boost::system::error_code ec;
        auto allowed = asio::ip::make_address(s, ec);
        if (!ec && allowed == a) return true;
    }
    return false;
}

struct exchange {
    const http_request& req;
    const http_url& url;
    const http_client_options& opt;
    std::chrono::steady_clock::time_point deadline;
    http_result& out;

    std::string where() const { return url.host + ":" + std::to_string(url.port); }

    void fail(http_error e, std::string_view what, const boost::system::error_code& ec = {}) {
        out.error = e;
        out.message = std::string(what) + " " + where();
        if (ec) out.message += ": " + ec.message();
    }

    void fail_io(std::string_view what, const boost::system::error_code& ec, http_error kind) {
        if (ec == beast::error::timeout || ec == asio::error::operation_aborted) {
            fail(http_error::timeout, std::string(what) + " timed out for");
        } else if (ec == http::error::body_limit || ec == http::error::header_limit ||
                   ec == http::error::buffer_overflow) {
            fail(http_error::too_large, "response too large from");
        } else {
            fail(kind, what, ec);
        }
    }
};

http::request<http::string_body> build(const exchange& x) {
    http::request<http::string_body> r;
    r.method_string(x.req.method);
    r.target(x.url.target);
    r.version(11);
    bool has_host = false;
    for (const auto& [name, value] : x.req.headers) {
        if (iequal(name, "host")) has_host = true;
        r.insert(name, value);
    }
    if (!has_host) r.set(http::field::host, x.url.host_header());
    if (r.find(http::field::user_agent) == r.end()) r.set(http::field::user_agent, "consolegate");
    r.set(http::field::connection, "close");
    r.body() = x.req.body;
    r.prepare_payload();
    return r;
}

template <class Stream>
asio::awaitable<void> send_and_read(Stream& stream, exchange& x) {
    auto req = build(x);
    beast::get_lowest_layer(stream).expires_at(x.deadline);
    if (auto [ec, n] = co_await http::async_write(stream, req, tok); ec) {
        x.fail_io("sending the request to", ec, http_error::connect);
        co_return;
    }
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(x.opt.max_header_bytes));
    parser.body_limit(x.opt.max_body_bytes);
    beast::get_lowest_layer(stream).expires_at(x.deadline);
    if (auto [ec, n] = co_await http::async_read(stream, buffer, parser, tok); ec) {
        x.fail_io("reading the response from", ec, http_error::protocol);
        co_return;
    }
    auto res = parser.release();
    x.out.response.status = res.result_int();
    for (const auto& f : res) {
        x.out.response.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    }
    x.out.response.body = std::move(res.body());
}

asio::awaitable<void> run(exchange x) {
    auto ex = co_await asio::this_coro::executor;
    tcp::resolver resolver(ex);
    asio::steady_timer guard(ex);
    guard.expires_at(x.deadline);
    guard.async_wait([&resolver](boost::system::error_code ec) {
        if (!ec) resolver.cancel();
    });
    auto [rec, results] =
        co_await resolver.async_resolve(x.url.host, std::to_string(x.url.port), tok);
    guard.cancel();
    if (rec) {
        x.fail_io("resolving", rec, http_error::resolve);
        co_return;
    }
    if (!x.url.tls) {
        for (const auto& e : results) {
            if (!allowed_plain(e.endpoint().address(), x.opt)) {
                x.fail(http_error::plain_http_refused,
                       "plain http refused (not loopback, use https) for");
                co_return;
            }
        }
    }
    beast::tcp_stream tcp_stream(ex);
    tcp_stream.expires_at(x.deadline);
    if (auto [ec, ep] = co_await tcp_stream.async_connect(results, tok); ec) {
        x.fail_io("connecting to", ec, http_error::connect);
        co_return;
    }
    if (!x.url.tls) {
        co_await send_and_read(tcp_stream, x);
        co_return;
    }
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    ctx.set_verify_mode(asio::ssl::verify_peer);
    boost::system::error_code cec;
    if (x.opt.ca_file.empty()) {
        ctx.set_default_verify_paths(cec);
    } else {
        ctx.load_verify_file(x.opt.ca_file, cec);
    }
    if (cec) {
        x.fail(http_error::tls, "cannot load the trust store for", cec);
        co_return;
    }
    beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), ctx);
    SSL* ssl = stream.native_handle();
    boost::system::error_code aec;
    auto literal = asio::ip::make_address(x.url.host, aec);
    if (aec) {
        SSL_set_tlsext_host_name(ssl, x.url.host.c_str());  // SNI for names only (RFC 6066 §3)
        SSL_set1_host(ssl, x.url.host.c_str());
    } else {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), literal.to_string().c_str());
    }
    beast::get_lowest_layer(stream).expires_at(x.deadline);
    if (auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::client, tok); ec) {
        if (ec == beast::error::timeout) {
            x.fail(http_error::timeout, "TLS handshake timed out with");
        } else {
            x.fail(http_error::tls, "TLS handshake failed with", ec);
        }
        co_return;
    }
    co_await send_and_read(stream, x);
}

}  // namespace

std::string http_url::host_header() const {
    std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    if (port != (tls ? 443 : 80)) h += ":" + std::to_string(port);
    return h;
}

std::optional<http_url> parse_http_url(std::string_view s) {
    http_url u;
    if (s.starts_with("https://")) {
        s.remove_prefix(8);
    } else if (s.starts_with("http://")) {
        s.remove_prefix(7);
        u.tls = false;
        u.port = 80;
    } else {
        return std::nullopt;
    }
    auto end = s.find_first_of("/?#");
    auto authority = s.substr(0, end);
    auto rest = end == std::string_view::npos ? std::string_view{} : s.substr(end);
    if (authority.empty() || authority.find('@') != std::string_view::npos ||
        rest.find('#') != std::string_view::npos)
        return std::nullopt;
    std::string_view port;
    if (authority.front() == '[') {
        auto close = authority.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        u.host = std::string(authority.substr(1, close - 1));
        auto after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return std::nullopt;
            port = after.substr(1);
        }
    } else {
        auto colon = authority.rfind(':');
        u.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    }
    if (u.host.empty()) return std::nullopt;
    for (char c : u.host) {
        if (static_cast<unsigned char>(c) <= ' ' || c == '/' || c == '\\') return std::nullopt;
    }
    if (port.data() != nullptr) {  // a ':' was there: a number must follow
        unsigned p = 0;
        auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
        if (ec != std::errc{} || ptr != port.data() + port.size() || p == 0 || p > 65535)
            return std::nullopt;
        u.port = static_cast<std::uint16_t>(p);
    }
    for (char c : rest) {
        if (static_cast<unsigned char>(c) <= ' ' || static_cast<unsigned char>(c) >= 0x7f)
            return std::nullopt;
    }
    u.target =
        rest.empty() ? "/" : (rest.front() == '?' ? "/" + std::string(rest) : std::string(rest));
    return u;
}

bool is_loopback_host(std::string_view host) {
    if (iequal(host, "localhost")) return true;
    boost::system::error_code ec;
    auto a = asio::ip::make_address(std::string(host), ec);
    return !ec && a.is_loopback();
}

std::string_view http_response::header(std::string_view name) const {
    for (const auto& [n, v] : headers) {
        if (iequal(n, name)) return v;
    }
    return {};
}

std::string_view to_string(http_error e) {
    switch (e) {
        case http_error::none: return "none";
        case http_error::bad_url: return "bad_url";
        case http_error::plain_http_refused: return "plain_http_refused";
        case http_error::resolve: return "resolve";
        case http_error::connect: return "connect";
        case http_error::tls: return "tls";
        case http_error::timeout: return "timeout";
        case http_error::too_large: return "too_large";
        case http_error::protocol: return "protocol";
    }
    return "unknown";
}

http_result http_fetch(const http_request& request, const http_client_options& options) {
    http_result out;
    auto url = parse_http_url(request.url);
    if (!url) {
        out.error = http_error::bad_url;
        out.message = "not an http(s) URL";
        return out;
    }
    asio::io_context ioc(1);
    exchange x{request, *url, options, std::chrono::steady_clock::now() + options.timeout, out};
    asio::co_spawn(ioc, run(x), asio::detached);
    ioc.run();
    if (out.ok() && out.response.status == 0) {
        out.error = http_error::protocol;
        out.message = "no response from " + url->host;
    }
    return out;
}

}  // namespace consolegate::net
