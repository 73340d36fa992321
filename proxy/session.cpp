// One coroutine per client connection: SNI or CONNECT front, then bump (TLS terminated, HTTP/1.1
// inspected and forwarded) or splice (plain byte relay, no OpenSSL object).
#include <openssl/x509_vfy.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffered_read_stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "block_page.hpp"
#include "client_hello.hpp"
#include "consolegate/net/log.hpp"
#include "service_impl.hpp"

namespace consolegate::proxy {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr auto tok = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view via_token = "1.1 consolegate";
constexpr std::uint64_t small_body = 256 * 1024;  // buffered whole; larger bodies stream

// The bytes read while parsing the ClientHello are replayed into the TLS engine first; asio's
// ssl::stream also wants lowest_layer(), which buffered_read_stream lacks.
class prefixed_stream : public beast::buffered_read_stream<beast::tcp_stream, beast::flat_buffer> {
  public:
    using buffered_read_stream::buffered_read_stream;
    using lowest_layer_type = tcp::socket;
    lowest_layer_type& lowest_layer() noexcept { return next_layer().socket(); }
    const lowest_layer_type& lowest_layer() const noexcept { return next_layer().socket(); }
};
// beast::ssl_stream rather than asio's: it flattens buffer sequences so a serialized HTTP message
// becomes one SSL_write (one TLS record, one syscall) instead of one per buffer.
using client_tls = beast::ssl_stream<prefixed_stream>;
using upstream_tls = beast::ssl_stream<beast::tcp_stream>;

beast::tcp_stream& tcp_of(client_tls& s) {
    return s.next_layer().next_layer();
}
beast::tcp_stream& tcp_of(upstream_tls& s) {
    return s.next_layer();
}
beast::tcp_stream& tcp_of(beast::tcp_stream& s) {
    return s;
}

void count(std::atomic<std::uint64_t>& c) {
    c.fetch_add(1, std::memory_order_relaxed);
}

// A fatal TLS alert without any OpenSSL object (RFC 8446 §6): tells a browser why, cheaply.
asio::awaitable<void> send_alert(beast::tcp_stream& s, std::uint8_t description) {
    std::array<std::uint8_t, 7> alert{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, description};
    s.expires_after(std::chrono::seconds(2));
    co_await asio::async_write(s, asio::buffer(alert), tok);
}
constexpr std::uint8_t alert_handshake_failure = 40;
constexpr std::uint8_t alert_access_denied = 49;
constexpr std::uint8_t alert_internal_error = 80;
constexpr std::uint8_t alert_unrecognized_name = 112;

struct hello_read {
    hello_status status = hello_status::malformed;
    client_hello_info info;
    bool timed_out = false;
};

asio::awaitable<hello_read> read_hello(beast::tcp_stream& s, beast::flat_buffer& buf,
                                       std::chrono::milliseconds timeout) {
    hello_read out;
    s.expires_after(timeout);
    for (int i = 0; i < 1024; ++i) {  // at most max ClientHello / 16 bytes per read
        auto data = buf.data();
        auto r = parse_client_hello({static_cast<const std::uint8_t*>(data.data()), data.size()},
                                    default_max_client_hello);
        if (r.status != hello_status::need_more) {
            out.status = r.status;
            out.info = std::move(r.info);
            co_return out;
        }
        auto [ec, n] = co_await s.async_read_some(buf.prepare(4096), tok);
        if (ec) {
            out.timed_out = ec == beast::error::timeout;
            co_return out;
        }
        buf.commit(n);
    }
    co_return out;
}

// --- splice ------------------------------------------------------------------------------------

struct activity {
    std::chrono::steady_clock::time_point last = std::chrono::steady_clock::now();
};

template <class From, class To>
asio::awaitable<void> pump(From& from, To& to, activity& act, bool half_close) {
    std::array<char, 16384> buf;
    for (;;) {
        auto [ec, n] = co_await from.async_read_some(asio::buffer(buf), tok);
        if (n > 0) {
            act.last = std::chrono::steady_clock::now();
            auto [wec, m] = co_await asio::async_write(to, asio::buffer(buf.data(), n), tok);
            if (wec) {
                boost::system::error_code ignored;
                beast::get_lowest_layer(from).socket().close(ignored);
                beast::get_lowest_layer(to).socket().close(ignored);
                co_return;
            }
        }
        if (ec) {
            boost::system::error_code ignored;
            if (ec == asio::error::eof && half_close) {
                // RFC 9293 half-close: the other direction may still be sending.
                beast::get_lowest_layer(to).socket().shutdown(tcp::socket::shutdown_send, ignored);
            } else {
                beast::get_lowest_layer(from).socket().close(ignored);
                beast::get_lowest_layer(to).socket().close(ignored);
            }
            co_return;
        }
    }
}

asio::awaitable<void> watchdog(activity& act, std::chrono::milliseconds idle, tcp::socket& a,
                               tcp::socket& b, stats& st) {
    asio::steady_timer t(a.get_executor());
    for (;;) {
        t.expires_after(
            std::max<std::chrono::milliseconds>(idle / 4, std::chrono::milliseconds(50)));
        auto [ec] = co_await t.async_wait(tok);
        if (ec) co_return;
        if (std::chrono::steady_clock::now() - act.last >= idle) {
            count(st.timeouts);
            boost::system::error_code ignored;
            a.close(ignored);
            b.close(ignored);
            co_return;
        }
    }
}

template <class A, class B>
asio::awaitable<void> splice(A& a, B& b, std::chrono::milliseconds idle, stats& st,
                             bool half_close) {
    activity act;
    a.expires_never();
    b.expires_never();
    co_await ((pump(a, b, act, half_close) && pump(b, a, act, half_close)) ||
              watchdog(act, idle, a.socket(), b.socket(), st));
}

// TLS on both sides (after a 101): no half-close in TLS without close_notify games.
asio::awaitable<void> splice_tls(client_tls& c, upstream_tls& u, std::chrono::milliseconds idle,
                                 stats& st) {
    activity act;
    tcp_of(c).expires_never();
    tcp_of(u).expires_never();
    co_await ((pump(c, u, act, false) && pump(u, c, act, false)) ||
              watchdog(act, idle, tcp_of(c).socket(), tcp_of(u).socket(), st));
}

// --- HTTP helpers -------------------------------------------------------------------------------

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// RFC 9110 §7.6.1: Connection, the fields it names, and the classic hop-by-hop set are removed
// by every intermediary. Upgrade survives only on an upgrade exchange.
template <class Fields>
void strip_hop_by_hop(Fields& f, bool keep_upgrade) {
    std::vector<std::string> named;
    for (auto it = f.find(http::field::connection);
         it != f.end() && it->name() == http::field::connection; ++it) {
        std::string_view v = it->value();
        while (!v.empty() && named.size() < 32) {
            auto comma = v.find(',');
            auto token = trim(v.substr(0, comma));
            if (!token.empty()) named.emplace_back(token);
            v = comma == std::string_view::npos ? std::string_view() : v.substr(comma + 1);
        }
    }
    for (const auto& n : named) {
        if (keep_upgrade && iequals(n, "upgrade")) continue;
        f.erase(n);
    }
    f.erase(http::field::connection);
    f.erase(http::field::keep_alive);
    f.erase("Proxy-Connection");
    f.erase(http::field::te);
    f.erase(http::field::trailer);
    f.erase(http::field::transfer_encoding);
    f.erase(http::field::proxy_authorization);
    f.erase(http::field::proxy_authenticate);
    if (!keep_upgrade) f.erase(http::field::upgrade);
}

template <class Fields>
void add_via(Fields& f) {
    auto it = f.find(http::field::via);
    if (it == f.end()) {
        f.set(http::field::via, via_token);
    } else {
        std::string v(it->value());
        v += ", ";
        v += via_token;
        f.set(http::field::via, v);
    }
}

template <class Stream>
asio::awaitable<void> write_rendered(Stream& s, const rendered_response& r, bool keep_alive,
                                     std::chrono::milliseconds timeout) {
    http::response<http::string_body> res{static_cast<http::status>(r.status), 11};
    res.set(http::field::content_type, r.content_type);
    res.set(http::field::cache_control, "no-store");
    res.set("X-Content-Type-Options", "nosniff");
    for (const auto& c : r.set_cookies) res.insert(http::field::set_cookie, c);
    res.body() = r.body;
    res.keep_alive(keep_alive);
    res.prepare_payload();
    tcp_of(s).expires_after(timeout);
    co_await http::async_write(s, res, tok);
}

template <class Stream>
asio::awaitable<void> write_simple(Stream& s, http::status status, std::string_view text,
                                   std::chrono::milliseconds timeout) {
    rendered_response r;
    r.status = static_cast<unsigned>(status);
    r.content_type = "text/plain; charset=utf-8";
    r.body = std::string(text) + "\n";
    co_await write_rendered(s, r, false, timeout);
}

// Streams the upstream response (header already read into `p`) to the client.
template <class Client, class Upstream>
asio::awaitable<bool> relay_body(Client& client, Upstream& up, beast::flat_buffer& ubuf,
                                 http::response_parser<http::buffer_body>& p,
                                 std::chrono::milliseconds idle) {
    http::response_serializer<http::buffer_body> sr{p.get()};
    std::array<char, 16384> buf;
    tcp_of(client).expires_after(idle);
    auto [hec, hn] = co_await http::async_write_header(client, sr, tok);
    if (hec) co_return false;
    do {
        if (!p.is_done()) {
            p.get().body().data = buf.data();
            p.get().body().size = buf.size();
            tcp_of(up).expires_after(idle);
            auto [ec, n] = co_await http::async_read(up, ubuf, p, tok);
            if (ec == http::error::need_buffer) ec = {};
            if (ec) co_return false;
            p.get().body().size = buf.size() - p.get().body().size;
            p.get().body().data = buf.data();
            p.get().body().more = !p.is_done();
        } else {
            p.get().body().data = nullptr;
            p.get().body().size = 0;
        }
        tcp_of(client).expires_after(idle);
        auto [wec, wn] = co_await http::async_write(client, sr, tok);
        if (wec == http::error::need_buffer) wec = {};
        if (wec) co_return false;
    } while (!p.is_done() && !sr.is_done());
    if (!sr.is_done()) {
        p.get().body().data = nullptr;
        p.get().body().size = 0;
        p.get().body().more = false;
        auto [wec, wn] = co_await http::async_write(client, sr, tok);
        if (wec && wec != http::error::need_buffer) co_return false;
    }
    co_return true;
}

// Prepares an upstream response header for the client: hop-by-hop gone, Via added, framing
// chosen for the client leg.
void fix_response_header(http::response_parser<http::buffer_body>& p, bool keep_alive,
                         bool upgrade) {
    auto& res = p.get();
    bool has_length = p.content_length().has_value();
    strip_hop_by_hop(res.base(), upgrade);
    add_via(res.base());
    if (!upgrade) res.keep_alive(keep_alive);
    if (!p.is_done() && !has_length && !upgrade) res.chunked(true);
}

// --- upstream TLS -------------------------------------------------------------------------------

struct upstream_leg {
    std::shared_ptr<upstream_tls> tls;
    beast::flat_buffer buf;
    bool reused = false;
};

// Connects and verifies the real host; on failure returns the operator-facing reason.
asio::awaitable<std::string> open_upstream(std::shared_ptr<service::impl> svc, upstream_leg& leg,
                                           std::string host, std::uint16_t port,
                                           bool& cert_failure) {
    auto& st = svc->counters();
    cert_failure = false;
    auto dest = co_await resolve_destination(svc, host, port);
    if (dest.failure != upstream_failure::none) {
        count(dest.failure == upstream_failure::forbidden ? st.refused_destination
                                                          : st.upstream_connect_failures);
        co_return dest.reason;
    }
    auto tcp_res = co_await connect_tcp(svc, dest.endpoints);
    if (!tcp_res.stream) {
        count(st.upstream_connect_failures);
        co_return tcp_res.reason;
    }
    leg.tls = std::make_shared<upstream_tls>(std::move(*tcp_res.stream),
                                             svc->shared.upstream_context_for(host));
    leg.buf.clear();
    leg.reused = false;
    SSL* ssl = leg.tls->native_handle();
    bool is_ip = core::ip_address::parse(host).has_value();
    if (is_ip) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str());
    } else {
        SSL_set_tlsext_host_name(ssl, host.c_str());
        SSL_set1_host(ssl, host.c_str());  // RFC 6125 name check by OpenSSL
        if (SSL_SESSION* s = svc->shared.sessions.get1(host)) {
            SSL_set_session(ssl, s);
            SSL_SESSION_free(s);
        }
    }
    tcp_of(*leg.tls).expires_after(svc->opts->upstream_timeout);
    auto [ec] = co_await leg.tls->async_handshake(asio::ssl::stream_base::client, tok);
    if (ec) {
        long vr = SSL_get_verify_result(ssl);
        leg.tls.reset();
        if (vr != X509_V_OK) {
            cert_failure = true;
            count(st.upstream_cert_failures);
            std::string why = std::string("the certificate of ") + host +
                              " failed verification: " + X509_verify_cert_error_string(vr);
            // A refused upstream certificate is what an operator must see at once (an
            // interception upstream of the gateway, a broken trust bundle): logged, rate-limited.
            static log::rate_limit limit(std::chrono::seconds(10));
            if (auto suppressed = limit.allow(std::chrono::steady_clock::now())) {
                log::write(log::level::warn, "proxy", "upstream certificate refused",
                           {{"host", host},
                            {"error", X509_verify_cert_error_string(vr)},
                            {"suppressed", std::to_string(*suppressed)}});
            }
            co_return why;
        }
        count(st.upstream_connect_failures);
        co_return "TLS handshake with " + host + " failed: " + ec.message();
    }
    if (SSL_session_reused(ssl)) count(st.upstream_resumed);
    co_return std::string();
}

std::string_view header_value(const http::fields& f, http::field name) {
    auto it = f.find(name);
    return it == f.end() ? std::string_view() : std::string_view(it->value());
}

// Host header minus port, for the connection-host check.
std::string host_without_port(std::string_view h) {
    authority a;
    if (parse_authority(h, a, 443)) return a.host;
    return {};
}

// --- upstream keep-alive pool (per worker) ------------------------------------------------------

std::shared_ptr<upstream_tls> take_pooled(service::impl& svc, const std::string& key) {
    auto it = svc.upstream_pool.find(key);
    if (it == svc.upstream_pool.end()) return nullptr;
    auto now = std::chrono::steady_clock::now();
    while (!it->second.empty()) {
        auto p = std::move(it->second.back());
        it->second.pop_back();
        // Origins close idle connections; older than our own idle timeout is not worth a try.
        if (now - p.since < svc.opts->idle_timeout) {
            return std::static_pointer_cast<upstream_tls>(p.conn);
        }
    }
    return nullptr;
}

// Returns a clean upstream connection (last response complete, keep-alive) to the pool when the
// client connection ends, whatever path it ends by.
struct pool_return {
    service::impl& svc;
    std::string key;
    upstream_leg& leg;
    bool clean = false;
    ~pool_return() {
        if (!clean || !leg.tls || svc.draining) return;
        auto& v = svc.upstream_pool[key];
        if (v.size() < service::impl::pool_per_host) {
            tcp_of(*leg.tls).expires_never();
            v.push_back({std::chrono::steady_clock::now(), std::move(leg.tls)});
        }
    }
};

// --- bumped connections -------------------------------------------------------------------------

asio::awaitable<void> serve_http(std::shared_ptr<service::impl> svc, client_tls& client,
                                 connection_guard& guard, std::string host, std::uint16_t port,
                                 std::string sni, core::ip_address client_ip) {
    auto& st = svc->counters();
    const auto& o = *svc->opts;
    beast::flat_buffer cbuf;
    upstream_leg up;
    pool_return to_pool{*svc, host + ":" + std::to_string(port), up};
    for (int served = 0;; ++served) {
        // Idle wait for the next request: the only point where drain may close us.
        if (cbuf.size() == 0) {
            // A large upload must not pin its buffer for the life of an idle keep-alive.
            if (cbuf.capacity() > 64 * 1024) cbuf.shrink_to_fit();
            if (up.buf.size() == 0 && up.buf.capacity() > 64 * 1024) up.buf.shrink_to_fit();
            guard.set_idle(true);
            if (svc->draining) co_return;
            tcp_of(client).expires_after(served == 0 ? o.header_timeout : o.idle_timeout);
            auto [ec, n] = co_await client.async_read_some(cbuf.prepare(4096), tok);
            guard.set_idle(false);
            if (ec) {
                if (ec == beast::error::timeout) count(st.timeouts);
                co_return;
            }
            cbuf.commit(n);
        }
        http::request_parser<http::string_body> p;
        p.header_limit(
            static_cast<std::uint32_t>(std::min<std::size_t>(o.max_header_bytes, UINT32_MAX)));
        p.body_limit(o.max_request_body);
        tcp_of(client).expires_after(o.header_timeout);  // slowloris: the whole header in time
        auto [hec, hn] = co_await http::async_read_header(client, cbuf, p, tok);
        if (!hec && !p.is_done() &&
            iequals(header_value(p.get().base(), http::field::expect), "100-continue")) {
            // RFC 9110 §10.1.1: the body is read here before inspection, so we say continue.
            static constexpr std::string_view cont = "HTTP/1.1 100 Continue\r\n\r\n";
            tcp_of(client).expires_after(o.idle_timeout);
            auto [cec, cn] = co_await asio::async_write(client, asio::buffer(cont), tok);
            if (cec) co_return;
        }
        if (!hec && !p.is_done()) {
            tcp_of(client).expires_after(o.idle_timeout);
            auto [bec, bn] = co_await http::async_read(client, cbuf, p, tok);
            hec = bec;
        }
        if (hec) {
            // beast's timeout has closed the socket: a slow client gets no answer at all.
            if (hec == beast::error::timeout) {
                count(st.timeouts);
            } else if (hec == http::error::header_limit) {
                count(st.bad_requests);
                co_await write_simple(client, http::status::request_header_fields_too_large,
                                      "Request header fields too large", std::chrono::seconds(2));
            } else if (hec == http::error::body_limit) {
                count(st.bad_requests);
                co_await write_simple(client, http::status::payload_too_large, "Payload too large",
                                      std::chrono::seconds(2));
            } else if (hec != http::error::end_of_stream && hec != asio::error::eof &&
                       hec != asio::ssl::error::stream_truncated) {
                count(st.bad_requests);
                co_await write_simple(client, http::status::bad_request, "Bad request",
                                      std::chrono::seconds(2));
            }
            co_return;
        }
        count(st.requests);
        auto req = p.release();
        bool navigation = false;
        {
            auto it = req.base().find("Sec-Fetch-Mode");
            std::string_view mode;
            if (it != req.base().end()) mode = it->value();
            navigation = is_navigation(mode, header_value(req.base(), http::field::accept));
        }
        bool keep_alive = req.keep_alive() && !svc->draining;
        // Absolute-form inside a tunnel is reduced to origin-form, and its authority replaces
        // the Host header (RFC 9112 §3.2.2: the server MUST ignore Host then), so the name
        // checked against the SNI below, inspected and sent upstream is the one requested.
        std::string target(req.target());
        if (target.starts_with("https://") || target.starts_with("http://")) {
            auto start = target.find("//") + 2;
            auto slash = target.find('/', start);
            auto authority = target.substr(
                start, slash == std::string::npos ? std::string::npos : slash - start);
            if (auto at = authority.rfind('@'); at != std::string::npos) {
                authority.erase(0, at + 1);  // userinfo is never forwarded
            }
            req.set(http::field::host, authority);
            target = slash == std::string::npos ? "/" : target.substr(slash);
            req.target(target);
        }
        // A request for another host on this connection would be inspected under one name and
        // answered by another: RFC 9110 §15.5.20 421 Misdirected Request.
        auto host_hdr = header_value(req.base(), http::field::host);
        if (host_without_port(host_hdr) != host) {
            count(st.bad_requests);
            co_await write_simple(client, http::status::misdirected_request,
                                  "Misdirected request: Host does not match the TLS server name",
                                  std::chrono::seconds(2));
            co_return;
        }
        core::http_request_view view;
        view.method = req.method_string();
        view.target = req.target();
        view.host = host_hdr;
        view.sni = sni;
        for (const auto& f : req.base()) view.headers.emplace_back(f.name_string(), f.value());
        std::string_view body = req.body();
        view.body = body.substr(0, o.max_inspect_body);
        view.body_truncated = body.size() > o.max_inspect_body;
        view.client = client_ip;
        view.time = std::chrono::system_clock::now();
        verdict v;
        try {
            v = svc->inspect(view);
        } catch (const std::exception& e) {
            // Fail closed (DESIGN.md): an inspector that cannot decide denies.
            log::write(log::level::error, "proxy", "inspection failed; request denied",
                       {{"host", std::string(view.host)}, {"error", e.what()}});
            v.allow = false;
            v.reason_code = "inspector_error";
            v.reason_text = "The request could not be inspected.";
        }
        if (!v.allow) {
            count(st.requests_denied);
            auto page = render_block_page(v, navigation, host, o.block_page);
            co_await write_rendered(client, page, keep_alive, o.idle_timeout);
            if (!keep_alive) co_return;
            continue;
        }
        bool upgrade = req.count(http::field::upgrade) > 0 &&
                       header_value(req.base(), http::field::connection).find("pgrade") !=
                           std::string_view::npos;
        strip_hop_by_hop(req.base(), upgrade);
        req.erase(http::field::expect);  // answered above; the whole body goes out at once
        if (upgrade) req.set(http::field::connection, "upgrade");
        add_via(req.base());
        req.version(11);
        req.prepare_payload();

        // Forward; one retry on a reused keep-alive connection the origin closed meanwhile.
        std::optional<http::response_parser<http::buffer_body>> rpo;
        bool got_header = false;
        std::string failure;
        bool cert_failure = false;
        for (int attempt = 0; attempt < 2 && !got_header; ++attempt) {
            if (!up.tls) {
                // The retry after a stale reused connection always opens a fresh one.
                auto pooled = attempt == 0 ? take_pooled(*svc, to_pool.key) : nullptr;
                if (pooled) {
                    up.tls = std::move(pooled);
                    up.buf.clear();
                    up.reused = true;
                } else {
                    failure = co_await open_upstream(svc, up, host, port, cert_failure);
                    if (!failure.empty()) break;
                }
            }
            to_pool.clean = false;
            bool was_reused = up.reused;
            tcp_of(*up.tls).expires_after(o.upstream_timeout);
            auto [wec, wn] = co_await http::async_write(*up.tls, req, tok);
            if (!wec) {
                auto& rp = rpo.emplace();
                rp.header_limit(static_cast<std::uint32_t>(
                    std::min<std::size_t>(o.max_header_bytes, UINT32_MAX)));
                rp.body_limit(boost::none);
                if (req.method() == http::verb::head) rp.skip(true);
                tcp_of(*up.tls).expires_after(o.idle_timeout);
                auto [rec, rn] = co_await http::async_read_header(*up.tls, up.buf, rp, tok);
                // Interim 1xx answers (100, 103) are dropped: the body was already sent and the
                // final response follows on the same connection. 101 is final for us.
                for (int interim = 0; !rec && interim < 8 && rpo->get().result_int() / 100 == 1 &&
                                      rpo->get().result() != http::status::switching_protocols;
                     ++interim) {
                    auto& next = rpo.emplace();
                    next.header_limit(static_cast<std::uint32_t>(
                        std::min<std::size_t>(o.max_header_bytes, UINT32_MAX)));
                    next.body_limit(boost::none);
                    if (req.method() == http::verb::head) next.skip(true);
                    auto [r2, n2] = co_await http::async_read_header(*up.tls, up.buf, next, tok);
                    rec = r2;
                }
                if (!rec) {
                    got_header = true;
                    break;
                }
                failure = "reading the response of " + host + " failed: " + rec.message();
                wec = rec;
            } else {
                failure = "sending the request to " + host + " failed: " + wec.message();
            }
            up.tls.reset();
            if (!was_reused) break;
        }
        if (!got_header) {
            auto page = render_upstream_error(host, failure, navigation);
            co_await write_rendered(client, page, false, std::chrono::seconds(5));
            co_return;
        }
        up.reused = true;
        auto& rp = *rpo;
        bool upstream_keep = rp.keep_alive();
        if (upgrade && rp.get().result() == http::status::switching_protocols) {
            count(st.upgrades);
            fix_response_header(rp, false, true);
            http::response_serializer<http::buffer_body> sr{rp.get()};
            tcp_of(client).expires_after(o.idle_timeout);
            auto [wec, wn] = co_await http::async_write_header(client, sr, tok);
            if (wec) co_return;
            // Bytes the upstream sent right after the 101 must reach the client first.
            if (up.buf.size() > 0) {
                auto [pec, pn] = co_await asio::async_write(client, up.buf.data(), tok);
                if (pec) co_return;
                up.buf.clear();
            }
            if (cbuf.size() > 0) {
                auto [pec, pn] = co_await asio::async_write(*up.tls, cbuf.data(), tok);
                if (pec) co_return;
                cbuf.clear();
            }
            co_await splice_tls(client, *up.tls, o.idle_timeout, st);
            co_return;
        }
        auto length = rp.content_length();
        if (!rp.is_done() && length && *length <= small_body) {
            // Small bodies (the console's API answers) go out with their header in one write.
            http::response_parser<http::string_body> sp(std::move(rp));
            sp.body_limit(small_body);
            tcp_of(*up.tls).expires_after(o.idle_timeout);
            auto [bec, bn] = co_await http::async_read(*up.tls, up.buf, sp, tok);
            if (bec) co_return;
            auto res = sp.release();
            strip_hop_by_hop(res.base(), false);
            add_via(res.base());
            res.keep_alive(keep_alive);
            tcp_of(client).expires_after(o.idle_timeout);
            auto [wec, wn] = co_await http::async_write(client, res, tok);
            if (wec) co_return;
        } else {
            fix_response_header(rp, keep_alive, false);
            if (!co_await relay_body(client, *up.tls, up.buf, rp, o.idle_timeout)) co_return;
        }
        if (!upstream_keep) up.tls.reset();
        to_pool.clean = up.tls != nullptr && up.buf.size() == 0;
        if (!keep_alive) {
            tcp_of(client).expires_after(std::chrono::seconds(2));
            co_await client.async_shutdown(tok);
            co_return;
        }
    }
}

asio::awaitable<void> bump(std::shared_ptr<service::impl> svc, beast::tcp_stream stream,
                           beast::flat_buffer hello_bytes, std::string host, std::uint16_t port,
                           std::string sni, core::ip_address client_ip) {
    auto& st = svc->counters();
    auto& minter = *svc->shared.minter;
    auto leaf = minter.get(host);
    if (!leaf) {
        co_await send_alert(stream, alert_internal_error);
        co_return;
    }
    client_tls tls(std::move(stream), *svc->shared.server_ctx);
    connection_guard guard(*svc, [&tls] {
        boost::system::error_code ec;
        tcp_of(tls).socket().close(ec);
    });
    SSL* ssl = tls.native_handle();
    if (SSL_use_certificate(ssl, leaf.get()) != 1 ||
        SSL_use_PrivateKey(ssl, minter.leaf_key()) != 1 ||
        SSL_add1_chain_cert(ssl, minter.ca_cert()) != 1) {
        co_return;
    }
    auto& pre = tls.next_layer().buffer();
    pre.commit(asio::buffer_copy(pre.prepare(hello_bytes.size()), hello_bytes.data()));
    tcp_of(tls).expires_after(svc->opts->handshake_timeout);
    auto [ec] = co_await tls.async_handshake(asio::ssl::stream_base::server, tok);
    if (ec) {
        count(ec == beast::error::timeout ? st.timeouts : st.client_handshake_failures);
        co_return;
    }
    count(st.bumped);
    co_await serve_http(svc, tls, guard, std::move(host), port, std::move(sni), client_ip);
}

asio::awaitable<void> splice_to(std::shared_ptr<service::impl> svc, beast::tcp_stream client,
                                beast::flat_buffer hello_bytes,
                                std::vector<tcp::endpoint> endpoints) {
    auto& st = svc->counters();
    connection_guard guard(*svc, [&client] {
        boost::system::error_code ec;
        client.socket().close(ec);
    });
    auto up = co_await connect_tcp(svc, std::move(endpoints));
    if (!up.stream) {
        count(st.upstream_connect_failures);
        co_await send_alert(client, alert_internal_error);
        co_return;
    }
    up.stream->expires_after(svc->opts->upstream_timeout);
    auto [wec, wn] = co_await asio::async_write(*up.stream, hello_bytes.data(), tok);
    if (wec) co_return;
    count(st.spliced);
    co_await splice(client, *up.stream, svc->opts->idle_timeout, st, true);
}

// Bump, splice or refuse once the ClientHello is known. `connect_host` empty on the SNI path.
asio::awaitable<void> dispatch(std::shared_ptr<service::impl> svc, beast::tcp_stream client,
                               beast::flat_buffer buf, hello_read hello, std::string connect_host,
                               std::uint16_t port, std::vector<tcp::endpoint> splice_eps,
                               core::ip_address client_ip) {
    auto& st = svc->counters();
    if (hello.status != hello_status::complete) {
        count(hello.timed_out ? st.timeouts : st.bad_client_hello);
        if (!hello.timed_out) co_await send_alert(client, alert_handshake_failure);
        co_return;
    }
    const auto& inspect = svc->shared.inspect;
    std::string sni = hello.info.has_sni ? hello.info.sni : std::string();
    std::string host = connect_host.empty() ? sni : connect_host;
    if (host.empty()) {
        count(st.refused_host);
        co_await send_alert(client, alert_unrecognized_name);
        co_return;
    }
    bool inspected = inspect.matches(host) || (!sni.empty() && inspect.matches(sni));
    if (inspected) {
        // CONNECT 52.x.x.x with SNI signin.aws.amazon.com (or the reverse) must never become a
        // splice around inspection: both names must agree.
        if (!sni.empty() && sni != host) {
            count(st.refused_host);
            co_await send_alert(client, alert_access_denied);
            co_return;
        }
        co_await bump(svc, std::move(client), std::move(buf), host, port, sni, client_ip);
        co_return;
    }
    if (svc->opts->not_inspected == not_inspected_action::refuse) {
        count(st.refused_host);
        co_await send_alert(client, alert_access_denied);
        co_return;
    }
    if (splice_eps.empty()) {
        auto dest = co_await resolve_destination(svc, host, port);
        if (dest.failure != upstream_failure::none) {
            count(dest.failure == upstream_failure::forbidden ? st.refused_destination
                                                              : st.upstream_connect_failures);
            co_await send_alert(client, alert_access_denied);
            co_return;
        }
        splice_eps = std::move(dest.endpoints);
    }
    co_await splice_to(svc, std::move(client), std::move(buf), std::move(splice_eps));
}

// --- plain GET http://... on the CONNECT listener (PAC setups) -----------------------------------

asio::awaitable<void> forward_plain(std::shared_ptr<service::impl> svc, beast::tcp_stream& client,
                                    beast::flat_buffer& buf,
                                    http::request_parser<http::empty_body>& hp) {
    auto& st = svc->counters();
    const auto& o = *svc->opts;
    count(st.plain_http);
    std::string_view target = hp.get().target();
    auto rest = target.substr(7);  // after "http://"
    auto slash = rest.find('/');
    authority a;
    if (!parse_authority(rest.substr(0, slash), a, 80)) {
        co_await write_simple(client, http::status::bad_request, "Bad request target",
                              o.idle_timeout);
        co_return;
    }
    std::string path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    if (svc->shared.inspect.matches(a.host)) {
        // Inspected hosts are only ever reached over TLS: send the browser there.
        http::response<http::empty_body> res{http::status::permanent_redirect, 11};
        res.set(http::field::location, "https://" + a.host + path);
        res.keep_alive(false);
        client.expires_after(o.idle_timeout);
        co_await http::async_write(client, res, tok);
        co_return;
    }
    bool port_ok = a.port == 80 || std::find(o.connect_ports.begin(), o.connect_ports.end(),
                                             a.port) != o.connect_ports.end();
    if (!port_ok) {
        count(st.refused_port);
        co_await write_simple(client, http::status::forbidden, "Port not allowed", o.idle_timeout);
        co_return;
    }
    auto dest = co_await resolve_destination(svc, a.host, a.port);
    if (dest.failure != upstream_failure::none) {
        bool forbidden = dest.failure == upstream_failure::forbidden;
        count(forbidden ? st.refused_destination : st.upstream_connect_failures);
        co_await write_simple(client,
                              forbidden ? http::status::forbidden : http::status::bad_gateway,
                              dest.reason, o.idle_timeout);
        co_return;
    }
    // The request body (if any) is streamed through the request parser.
    http::request_parser<http::string_body> p(std::move(hp));
    p.body_limit(o.max_request_body);
    if (!p.is_done()) {
        client.expires_after(o.idle_timeout);
        auto [bec, bn] = co_await http::async_read(client, buf, p, tok);
        if (bec) co_return;
    }
    auto req = p.release();
    strip_hop_by_hop(req.base(), false);
    add_via(req.base());
    req.target(path);
    req.keep_alive(false);
    req.version(11);
    req.prepare_payload();
    auto up = co_await connect_tcp(svc, dest.endpoints);
    if (!up.stream) {
        count(st.upstream_connect_failures);
        co_await write_simple(client, http::status::bad_gateway, up.reason, o.idle_timeout);
        co_return;
    }
    up.stream->expires_after(o.upstream_timeout);
    auto [wec, wn] = co_await http::async_write(*up.stream, req, tok);
    if (wec) co_return;
    beast::flat_buffer ubuf;
    http::response_parser<http::buffer_body> rp;
    rp.header_limit(
        static_cast<std::uint32_t>(std::min<std::size_t>(o.max_header_bytes, UINT32_MAX)));
    rp.body_limit(boost::none);
    if (req.method() == http::verb::head) rp.skip(true);
    up.stream->expires_after(o.idle_timeout);
    auto [rec, rn] = co_await http::async_read_header(*up.stream, ubuf, rp, tok);
    if (rec) {
        co_await write_simple(client, http::status::bad_gateway, "Bad upstream response",
                              o.idle_timeout);
        co_return;
    }
    fix_response_header(rp, false, false);
    co_await relay_body(client, *up.stream, ubuf, rp, o.idle_timeout);
}

}  // namespace

asio::awaitable<void> run_sni_session(std::shared_ptr<service::impl> svc, tcp::socket sock) {
    try {
        boost::system::error_code ec;
        auto client_ip = to_core(sock.remote_endpoint(ec).address());
        beast::tcp_stream client(std::move(sock));
        beast::flat_buffer buf;
        hello_read hello;
        {
            connection_guard guard(*svc, [&client] {
                boost::system::error_code ignored;
                client.socket().close(ignored);
            });
            hello = co_await read_hello(client, buf, svc->opts->handshake_timeout);
        }
        co_await dispatch(svc, std::move(client), std::move(buf), std::move(hello), {}, 443, {},
                          client_ip);
    } catch (const std::exception& e) {
        // Exhaustion or a bug: this connection alone is dropped (STYLE.md rule 8).
        static log::rate_limit limit(std::chrono::seconds(10));
        if (auto suppressed = limit.allow(std::chrono::steady_clock::now())) {
            log::write(log::level::error, "proxy", "session dropped on an exception",
                       {{"error", e.what()}, {"suppressed", std::to_string(*suppressed)}});
        }
    }
}

asio::awaitable<void> run_connect_session(std::shared_ptr<service::impl> svc, tcp::socket sock) {
    try {
        auto& st = svc->counters();
        const auto& o = *svc->opts;
        boost::system::error_code ec;
        auto client_ip = to_core(sock.remote_endpoint(ec).address());
        beast::tcp_stream client(std::move(sock));
        beast::flat_buffer buf;
        hello_read hello;
        authority a;
        std::vector<tcp::endpoint> eps;
        {
            connection_guard guard(*svc, [&client] {
                boost::system::error_code ignored;
                client.socket().close(ignored);
            });
            http::request_parser<http::empty_body> p;
            p.header_limit(
                static_cast<std::uint32_t>(std::min<std::size_t>(o.max_header_bytes, UINT32_MAX)));
            client.expires_after(o.header_timeout);
            auto [hec, hn] = co_await http::async_read_header(client, buf, p, tok);
            if (hec) {
                // beast's timeout has closed the socket: a slow client gets no answer at all.
                if (hec == beast::error::timeout) {
                    count(st.timeouts);
                } else if (hec == http::error::header_limit) {
                    count(st.bad_requests);
                    co_await write_simple(client, http::status::request_header_fields_too_large,
                                          "Request header fields too large",
                                          std::chrono::seconds(2));
                } else if (hec != http::error::end_of_stream) {
                    count(st.bad_requests);
                    co_await write_simple(client, http::status::bad_request, "Bad request",
                                          std::chrono::seconds(2));
                }
                co_return;
            }
            if (p.get().method() != http::verb::connect) {
                if (p.get().target().starts_with("http://")) {
                    co_await forward_plain(svc, client, buf, p);
                } else {
                    count(st.bad_requests);
                    co_await write_simple(client, http::status::bad_request,
                                          "This is a proxy: use CONNECT or an absolute URL",
                                          o.idle_timeout);
                }
                co_return;
            }
            if (!parse_authority(p.get().target(), a)) {
                count(st.bad_requests);
                co_await write_simple(client, http::status::bad_request, "Bad CONNECT target",
                                      o.idle_timeout);
                co_return;
            }
            if (std::find(o.connect_ports.begin(), o.connect_ports.end(), a.port) ==
                o.connect_ports.end()) {
                count(st.refused_port);
                co_await write_simple(client, http::status::forbidden,
                                      "CONNECT to this port is not allowed", o.idle_timeout);
                co_return;
            }
            // Inspected hosts are resolved when the first request is forwarded; others now, so
            // a forbidden or unknown destination gets an HTTP answer rather than a dead tunnel.
            if (!svc->shared.inspect.matches(a.host)) {
                auto dest = co_await resolve_destination(svc, a.host, a.port);
                if (dest.failure != upstream_failure::none) {
                    bool forbidden = dest.failure == upstream_failure::forbidden;
                    count(forbidden ? st.refused_destination : st.upstream_connect_failures);
                    co_await write_simple(
                        client, forbidden ? http::status::forbidden : http::status::bad_gateway,
                        dest.reason, o.idle_timeout);
                    co_return;
                }
                eps = std::move(dest.endpoints);
            }
            static constexpr std::string_view established =
                "HTTP/1.1 200 Connection established\r\n\r\n";
            client.expires_after(o.idle_timeout);
            auto [wec, wn] = co_await asio::async_write(client, asio::buffer(established), tok);
            if (wec) co_return;
            hello = co_await read_hello(client, buf, o.handshake_timeout);
        }
        co_await dispatch(svc, std::move(client), std::move(buf), std::move(hello), a.host, a.port,
                          std::move(eps), client_ip);
    } catch (const std::exception& e) {
        // Exhaustion or a bug: this connection alone is dropped (STYLE.md rule 8).
        static log::rate_limit limit(std::chrono::seconds(10));
        if (auto suppressed = limit.allow(std::chrono::steady_clock::now())) {
            log::write(log::level::error, "proxy", "session dropped on an exception",
                       {{"error", e.what()}, {"suppressed", std::to_string(*suppressed)}});
        }
    }
}

}  // namespace consolegate::proxy
