// One coroutine per client connection: SNI or CONNECT front, then bump (TLS terminated, HTTP/1.1
// inspected and forwarded) or splice (plain byte relay, no OpenSSL object).
#include <openssl/x509_vfy.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>

#include "block_page.hpp"
#include "client_hello.hpp"
#include "consolegate/log/log.hpp"
#include "hop_by_hop.hpp"
#include "service_impl.hpp"
#include "tls_socket.hpp"
#include "upstream_response.hpp"

namespace consolegate::proxy {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr auto tok = asio::as_tuple(asio::use_awaitable);
constexpr std::uint64_t small_body = 256 * 1024;  // buffered whole; larger bodies stream

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

// --- the two kinds of stream, behind one set of calls ------------------------------------------
// A plain TCP stream (spliced and plain-HTTP connections) or a tls_socket (bumped connections).

asio::awaitable<io_result> read_some(beast::tcp_stream& s, asio::mutable_buffer b) {
    auto [ec, n] = co_await s.async_read_some(b, tok);
    co_return io_result{ec, n};
}
asio::awaitable<io_result> read_some(tls_socket& s, asio::mutable_buffer b) {
    return s.read_some(b);
}
asio::awaitable<boost::system::error_code> send(beast::tcp_stream& s, asio::const_buffer b) {
    auto [ec, n] = co_await asio::async_write(s, b, tok);
    co_return ec;
}
asio::awaitable<boost::system::error_code> send(tls_socket& s, asio::const_buffer b) {
    return s.write(b);
}

// --- splice ------------------------------------------------------------------------------------

struct activity {
    std::chrono::steady_clock::time_point last = std::chrono::steady_clock::now();
};

template <class From, class To>
asio::awaitable<void> pump(From& from, To& to, activity& act, bool half_close) {
    std::array<char, 16384> buf;
    for (;;) {
        auto [ec, n] = co_await read_some(from, asio::buffer(buf));
        if (n > 0) {
            act.last = std::chrono::steady_clock::now();
            if (co_await send(to, asio::buffer(buf.data(), n))) {
                boost::system::error_code ignored;
                from.socket().close(ignored);
                to.socket().close(ignored);
                co_return;
            }
        }
        if (ec) {
            boost::system::error_code ignored;
            if (ec == asio::error::eof && half_close) {
                // RFC 9293 half-close: the other direction may still be sending.
                to.socket().shutdown(tcp::socket::shutdown_send, ignored);
            } else {
                from.socket().close(ignored);
                to.socket().close(ignored);
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

// Both directions until either side closes (with `half_close`, a FIN is passed on instead) or
// nothing moves for `idle`.
template <class A, class B>
asio::awaitable<void> splice(A& a, B& b, std::chrono::milliseconds idle, stats& st,
                             bool half_close) {
    activity act;
    a.expires_never();
    b.expires_never();
    co_await ((pump(a, b, act, half_close) && pump(b, a, act, half_close)) ||
              watchdog(act, idle, a.socket(), b.socket(), st));
}

// --- HTTP helpers -------------------------------------------------------------------------------

// RFC 9110 §7.6.1: Connection, the fields it names, and the classic hop-by-hop set are removed
// by every intermediary (hop_by_hop.hpp). One pass over the fields: this runs twice per
// forwarded request.
template <class Fields>
void strip_hop_by_hop(Fields& f, bool keep_upgrade) {
    connection_options named(keep_upgrade);  // views into the Connection values, erased last
    for (auto it = f.find(http::field::connection);
         it != f.end() && it->name() == http::field::connection; ++it) {
        named.add(it->value());
    }
    bool had_connection = false;
    for (auto it = f.begin(); it != f.end();) {
        if (it->name() == http::field::connection) {
            had_connection = true;  // its values are the views above: erased after the loop
            ++it;
            continue;
        }
        bool hop = always_hop_by_hop(it->name(), keep_upgrade) ||
                   named.names(it->name(), it->name_string());
        it = hop ? f.erase(it) : std::next(it);
    }
    if (had_connection) f.erase(http::field::connection);
}

// The client's Via values in order, then ours, in one field (RFC 9110 §7.6.3): what
// upstream_response::append_head does on the way back. By list order, not equal_range, which
// spans every field between the first and the last Via.
template <class Fields>
void add_via(Fields& f) {
    std::string v;
    for (const auto& field : f) {
        if (field.name() != http::field::via) continue;
        v.append(field.value());
        v.append(", ");
    }
    v.append(via_token);
    f.set(http::field::via, v);
}

// --- HTTP/1.1 on either kind of stream ----------------------------------------------------------
// Beast's parsers and field containers, fed and serialized here rather than through Beast's
// composed operations: one SSL_read per socket wake-up, one SSL_write per message head (plus its
// small body). The plain-HTTP path uses the same calls on its TCP streams.

constexpr std::size_t read_chunk = 16 * 1024;

// Beast's read_some_op loop, inline: feeds `p` from `buf`, reading more while it needs more.
// Stops when the header is parsed (`header_only`) or the message is done; with a buffer_body,
// also when the body buffer is full (http::error::need_buffer).
template <class Stream, class Parser>
asio::awaitable<boost::system::error_code> parse_from(Stream& s, beast::flat_buffer& buf, Parser& p,
                                                      bool header_only,
                                                      std::size_t* consumed = nullptr) {
    boost::system::error_code ec;
    p.eager(!header_only);
    for (;;) {
        if (buf.size() > 0) {
            auto used = p.put(buf.data(), ec);
            buf.consume(used);
            if (consumed) *consumed += used;
            if (ec == http::error::need_more) {
                ec = {};
            } else if (ec) {
                co_return ec;
            } else if (header_only ? p.is_header_done() : p.is_done()) {
                co_return ec;
            } else if (used > 0 && buf.size() > 0) {
                continue;
            }
        }
        auto [rec, n] = co_await read_some(s, buf.prepare(read_chunk));
        if (rec == asio::error::eof || rec == asio::ssl::error::stream_truncated) {
            if (!p.got_some()) co_return http::error::end_of_stream;
            p.put_eof(ec);
            co_return ec;
        }
        if (rec) co_return rec;
        buf.commit(n);
    }
}

void append_fields(std::string& out, const http::fields& f) {
    for (const auto& field : f) {
        out.append(field.name_string());
        out.append(": ");
        out.append(field.value());
        out.append("\r\n");
    }
    out.append("\r\n");
}

// We speak HTTP/1.1 on both legs whatever the peer's version (RFC 9110 §2.5).
void append_head(std::string& out, const http::request_header<>& h) {
    out.append(h.method_string());
    out.push_back(' ');
    out.append(h.target());
    out.append(" HTTP/1.1\r\n");
    append_fields(out, h);
}

void append_head(std::string& out, const http::response_header<>& h) {
    char status[16];
    int n = std::snprintf(status, sizeof status, "HTTP/1.1 %03u ", h.result_int() % 1000);
    out.append(status, static_cast<std::size_t>(n));
    out.append(h.reason());
    out.append("\r\n");
    append_fields(out, h);
}

// Chunked framing (RFC 9112 §7.1) for bodies of unknown length.
void append_chunk(std::string& out, const char* data, std::size_t n) {
    char size[24];
    int len = std::snprintf(size, sizeof size, "%zx\r\n", n);
    out.append(size, static_cast<std::size_t>(len));
    out.append(data, n);
    out.append("\r\n");
}
constexpr std::string_view last_chunk = "0\r\n\r\n";

// A rendered page (block page, error) as one buffer: the same bytes on every path.
std::string serialize(const rendered_response& r, bool keep_alive) {
    http::response<http::empty_body> res;
    res.result(r.status);
    res.version(11);
    res.set(http::field::content_type, r.content_type);
    res.set(http::field::cache_control, "no-store");
    res.set("X-Content-Type-Options", "nosniff");
    for (const auto& c : r.set_cookies) res.insert(http::field::set_cookie, c);
    res.content_length(r.body.size());
    res.keep_alive(keep_alive);
    std::string wire;
    append_head(wire, res);
    wire.append(r.body);
    return wire;
}

template <class Stream>
asio::awaitable<void> write_rendered(Stream& s, const rendered_response& r, bool keep_alive,
                                     std::chrono::milliseconds timeout) {
    auto wire = serialize(r, keep_alive);
    s.expires_after(timeout);
    co_await send(s, asio::buffer(wire));
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

// The documented answer to a request that could not be read: none after a timeout (the socket is
// already closed: a slow client gets no answer) or when the client went away; 431, 413 or 400
// otherwise.
template <class Stream>
asio::awaitable<void> answer_read_error(Stream& s, boost::system::error_code ec, bool timed_out,
                                        stats& st) {
    if (timed_out) {
        count(st.timeouts);
        co_return;
    }
    if (ec == http::error::end_of_stream || ec == http::error::partial_message ||
        ec == asio::error::eof || ec == asio::ssl::error::stream_truncated ||
        ec == asio::error::connection_reset) {
        co_return;
    }
    count(st.bad_requests);
    if (ec == http::error::header_limit) {
        co_await write_simple(s, http::status::request_header_fields_too_large,
                              "Request header fields too large", std::chrono::seconds(2));
    } else if (ec == http::error::body_limit) {
        co_await write_simple(s, http::status::payload_too_large, "Payload too large",
                              std::chrono::seconds(2));
    } else {
        co_await write_simple(s, http::status::bad_request, "Bad request", std::chrono::seconds(2));
    }
}

// Where a parser puts the body bytes it reads next: a buffer_body request or an upstream_response.
template <bool isRequest>
void body_into(http::parser<isRequest, http::buffer_body>& p, char* data, std::size_t size) {
    p.get().body().data = data;
    p.get().body().size = size;
}
template <bool isRequest>
std::size_t body_space(const http::parser<isRequest, http::buffer_body>& p) {
    return p.get().body().size;
}
void body_into(upstream_response& p, char* data, std::size_t size) {
    p.body_buffer(data, size);
}
std::size_t body_space(const upstream_response& p) {
    return p.body_space();
}

// Streams the rest of a message body from `from` (parser `p`, header done) to `to`, chunk-framed
// when `chunked`. Returns false when either side fails.
template <class From, class To, class Parser>
asio::awaitable<bool> stream_body(From& from, beast::flat_buffer& fbuf, Parser& p, To& to,
                                  bool chunked, std::chrono::milliseconds idle, std::string& wire) {
    std::array<char, read_chunk> buf;
    while (!p.is_done()) {
        body_into(p, buf.data(), buf.size());
        from.expires_after(idle);
        auto ec = co_await parse_from(from, fbuf, p, false);
        if (ec == http::error::need_buffer) ec = {};
        if (ec) co_return false;
        std::size_t n = buf.size() - body_space(p);
        wire.clear();
        if (chunked) {
            if (n > 0) append_chunk(wire, buf.data(), n);
            if (p.is_done()) wire.append(last_chunk);
        } else {
            wire.append(buf.data(), n);
        }
        to.expires_after(idle);
        if (co_await send(to, asio::buffer(wire))) co_return false;
    }
    co_return true;
}

// Reads response headers until a final one: interim 1xx answers (100, 103) are dropped, as the
// request went out whole; 101 is final for us. At most 8 interim ones are skipped.
template <class Stream>
asio::awaitable<boost::system::error_code> read_final_header(Stream& s, beast::flat_buffer& buf,
                                                             std::optional<upstream_response>& rpo,
                                                             response_head_store& store,
                                                             std::uint32_t header_limit,
                                                             bool head_request,
                                                             std::chrono::milliseconds timeout) {
    boost::system::error_code ec;
    for (int interim = 0; interim < 9; ++interim) {
        auto& p = rpo.emplace(store);
        p.header_limit(header_limit);
        p.body_limit(boost::none);
        if (head_request) p.skip(true);
        s.expires_after(timeout);
        ec = co_await parse_from(s, buf, p, true);
        if (ec || p.status() / 100 != 1 || p.status() == 101) {
            break;
        }
    }
    co_return ec;
}

// Writes an upstream response's head for the client (upstream_response::append_head) with our
// keep-alive choice, chunked when the body's length is unknown. Returns whether the body must be
// chunked on the client leg.
bool append_response_head(std::string& wire, const upstream_response& rp, bool keep_alive) {
    bool chunk_down = !rp.is_done() && !rp.content_length();
    rp.append_head(wire, keep_alive, chunk_down, false);
    return chunk_down;
}

// RFC 9110 §10.1.1: the proxy answers 100-continue itself, before reading the body.
constexpr std::string_view continue_100 = "HTTP/1.1 100 Continue\r\n\r\n";

// --- upstream TLS -------------------------------------------------------------------------------

struct upstream_leg {
    std::shared_ptr<tls_socket> tls;
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
    leg.tls = std::make_shared<tls_socket>(tcp_res.stream->release_socket(),
                                           svc->shared.upstream_context_for(host).native_handle(),
                                           svc->sweeper);
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
    leg.tls->expires_after(svc->opts->upstream_timeout);
    auto ec = co_await leg.tls->handshake(false);
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
        count(ec == asio::error::timed_out ? st.timeouts : st.upstream_connect_failures);
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

std::shared_ptr<tls_socket> take_pooled(service::impl& svc, const std::string& key) {
    auto it = svc.upstream_pool.find(key);
    if (it == svc.upstream_pool.end()) return nullptr;
    auto now = std::chrono::steady_clock::now();
    while (!it->second.empty()) {
        auto p = std::move(it->second.back());
        it->second.pop_back();
        // Origins close idle connections; older than our own idle timeout is not worth a try.
        if (now - p.since < svc.opts->idle_timeout) {
            return std::static_pointer_cast<tls_socket>(p.conn);
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
        if (!clean || !leg.tls || svc.draining || !leg.tls->socket().is_open()) return;
        auto& v = svc.upstream_pool[key];
        if (v.size() < service::impl::pool_per_host) {
            leg.tls->expires_never();
            v.push_back({std::chrono::steady_clock::now(), std::move(leg.tls)});
        }
    }
};

// --- bumped connections -------------------------------------------------------------------------

// Reads the body into `body` until it is complete or longer than `cap` (the inspection cap).
asio::awaitable<boost::system::error_code> read_body_prefix(
    tls_socket& s, beast::flat_buffer& buf, http::request_parser<http::buffer_body>& p,
    std::string& body, std::size_t cap) {
    while (!p.is_done() && body.size() <= cap) {
        std::size_t old = body.size();
        std::size_t room = std::min<std::size_t>(read_chunk, cap + 1 - old);
        body.resize(old + room);
        p.get().body().data = body.data() + old;
        p.get().body().size = room;
        auto ec = co_await parse_from(s, buf, p, false);
        body.resize(old + room - p.get().body().size);
        if (ec == http::error::need_buffer) ec = {};
        if (ec) co_return ec;
    }
    co_return boost::system::error_code();
}

asio::awaitable<void> serve_http(std::shared_ptr<service::impl> svc, tls_socket& client,
                                 connection_guard& guard, std::string host, std::uint16_t port,
                                 std::string sni, core::ip_address client_ip) {
    auto& st = svc->counters();
    const auto& o = *svc->opts;
    const auto header_limit =
        static_cast<std::uint32_t>(std::min<std::size_t>(o.max_header_bytes, UINT32_MAX));
    beast::flat_buffer cbuf;
    upstream_leg up;
    pool_return to_pool{*svc, host + ":" + std::to_string(port), up};
    std::string wire, body;  // reused across requests: the keep-alive path allocates little
    response_head_store head_store;
    std::vector<std::pair<std::string_view, std::string_view>> headers;
    for (int served = 0;; ++served) {
        // Idle wait for the next request: the only point where drain may close us.
        if (cbuf.size() == 0) {
            // A large upload must not pin its buffers for the life of an idle keep-alive.
            if (cbuf.capacity() > 64 * 1024) cbuf.shrink_to_fit();
            if (up.buf.size() == 0 && up.buf.capacity() > 64 * 1024) up.buf.shrink_to_fit();
            if (body.capacity() > 64 * 1024) std::string().swap(body);
            if (wire.capacity() > 64 * 1024) std::string().swap(wire);
            guard.set_idle(true);
            if (svc->draining) co_return;
            client.expires_after(served == 0 ? o.header_timeout : o.idle_timeout);
            client.set_idle(true);  // a long wait gives the TLS buffers back (tls_socket.hpp)
            auto [ec, n] = co_await client.read_some(cbuf.prepare(4096));
            client.set_idle(false);
            guard.set_idle(false);
            if (ec) {
                if (client.timed_out()) count(st.timeouts);
                co_return;
            }
            cbuf.commit(n);
        }
        http::request_parser<http::buffer_body> p;
        p.header_limit(header_limit);
        p.body_limit(o.max_request_body);
        client.expires_after(o.header_timeout);  // slowloris: the whole header in time
        std::size_t header_bytes = 0;
        auto hec = co_await parse_from(client, cbuf, p, true, &header_bytes);
        if (!hec) st.observe_header_bytes(header_bytes);
        if (!hec && !p.is_done() &&
            iequals(header_value(p.get().base(), http::field::expect), "100-continue")) {
            // The body is read here before inspection, so we say continue.
            client.expires_after(o.idle_timeout);
            if (co_await send(client, asio::buffer(continue_100))) co_return;
        }
        body.clear();
        if (!hec && !p.is_done()) {
            client.expires_after(o.idle_timeout);
            hec = co_await read_body_prefix(client, cbuf, p, body, o.max_inspect_body);
        }
        if (hec) {
            co_await answer_read_error(client, hec, client.timed_out(), st);
            co_return;
        }
        count(st.requests);
        auto& req = p.get();
        bool streaming = !p.is_done();  // body longer than the inspection cap: sent as it comes
        if (!streaming) client.message_done();  // its next request follows our answer
        bool had_length = p.content_length().has_value();
        bool had_chunked = p.chunked();
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
        std::string_view raw_target = req.target();
        if (raw_target.starts_with("https://") || raw_target.starts_with("http://")) {
            std::string target(raw_target);
            auto start = target.find("//") + 2;
            auto slash = target.find('/', start);
            auto authority = target.substr(
                start, slash == std::string::npos ? std::string::npos : slash - start);
            if (auto at = authority.rfind('@'); at != std::string::npos) {
                authority.erase(0, at + 1);  // userinfo is never forwarded
            }
            req.set(http::field::host, authority);
            req.target(slash == std::string::npos ? "/" : target.substr(slash));
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
        headers.clear();  // capacity kept across requests
        for (const auto& f : req.base()) headers.emplace_back(f.name_string(), f.value());
        view.headers.swap(headers);
        view.body = std::string_view(body).substr(0, o.max_inspect_body);
        view.body_truncated = streaming || body.size() > o.max_inspect_body;
        view.client = client_ip;
        view.time = std::chrono::system_clock::now();
        verdict v;
        try {
            struct give_back {  // the header vector returns to `headers` however inspect ends
                std::vector<std::pair<std::string_view, std::string_view>>& from;
                std::vector<std::pair<std::string_view, std::string_view>>& to;
                ~give_back() { from.swap(to); }
            } back{view.headers, headers};
            v = svc->inspect(view);
        } catch (const std::exception& e) {
            // Fail closed (DESIGN.md): an inspector that cannot decide denies.
            log::write(log::level::error, "proxy", "inspection failed; request denied",
                       {{"host", std::string(view.host)}, {"error", e.what()}});
            v = verdict{};
            v.basis = verdict_basis::inspector_error;
        }
        if (!v.allows()) {
            count(st.requests_denied);
            // The unread rest of a streamed body would be parsed as the next request: close.
            bool keep = keep_alive && !streaming;
            auto page = render_block_page(v, navigation, host, o.block_page);
            co_await write_rendered(client, page, keep, o.idle_timeout);
            if (!keep) {
                client.shutdown_now();
                co_return;
            }
            continue;
        }
        bool upgrade = req.count(http::field::upgrade) > 0 &&
                       header_value(req.base(), http::field::connection).find("pgrade") !=
                           std::string_view::npos;
        strip_hop_by_hop(req.base(), upgrade);
        req.erase(http::field::expect);  // answered above
        if (upgrade) req.set(http::field::connection, "upgrade");
        add_via(req.base());
        // Framing upstream: a complete body goes with its length; a streamed one keeps the
        // client's length, or is re-chunked (RFC 9112 §6.1: Transfer-Encoding is hop-by-hop).
        bool chunk_up = streaming && !had_length;
        if (chunk_up) {
            req.set(http::field::transfer_encoding, "chunked");
        } else if (!streaming && (had_length || had_chunked || !body.empty())) {
            req.content_length(body.size());
        }
        wire.clear();
        append_head(wire, req);
        if (chunk_up) {
            if (!body.empty()) append_chunk(wire, body.data(), body.size());
        } else {
            wire.append(body);
        }

        // Forward; one retry on a reused keep-alive connection the origin closed meanwhile
        // (never for a streamed body, which cannot be sent twice).
        std::optional<upstream_response> rpo;
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
            up.tls->expires_after(o.upstream_timeout);
            auto wec = co_await up.tls->write(asio::buffer(wire));
            if (!wec && streaming) {
                if (!co_await stream_body(client, cbuf, p, *up.tls, chunk_up, o.idle_timeout,
                                          wire)) {
                    co_return;  // the client or the origin went away mid-body
                }
            }
            if (!wec) {
                auto rec =
                    co_await read_final_header(*up.tls, up.buf, rpo, head_store, header_limit,
                                               req.method() == http::verb::head, o.idle_timeout);
                if (!rec) {
                    got_header = true;
                    break;
                }
                failure = "reading the response of " + host + " failed: " +
                          (up.tls->timed_out() ? std::string("timed out") : rec.message());
                wec = rec;
            } else {
                failure = "sending the request to " + host + " failed: " + wec.message();
            }
            up.tls.reset();
            if (!was_reused || streaming) break;
        }
        if (!got_header) {
            auto page = render_upstream_error(host, failure, navigation);
            co_await write_rendered(client, page, false, std::chrono::seconds(5));
            co_return;
        }
        up.reused = true;
        auto& rp = *rpo;
        bool upstream_keep = rp.keep_alive();
        if (upgrade && rp.status() == 101) {
            count(st.upgrades);
            wire.clear();
            rp.append_head(wire, true, false, true);
            // Bytes the upstream sent right after the 101 must reach the client first.
            auto early = up.buf.data();
            wire.append(static_cast<const char*>(early.data()), early.size());
            up.buf.clear();
            client.expires_after(o.idle_timeout);
            if (co_await client.write(asio::buffer(wire))) co_return;
            if (cbuf.size() > 0) {
                up.tls->expires_after(o.idle_timeout);
                if (co_await up.tls->write(cbuf.data())) co_return;
                cbuf.clear();
            }
            // TLS on both sides: no half-close without close_notify games.
            co_await splice(client, *up.tls, o.idle_timeout, st, false);
            co_return;
        }
        auto length = rp.content_length();
        wire.clear();
        bool chunk_down = append_response_head(wire, rp, keep_alive);
        if (!rp.is_done() && length && *length <= small_body) {
            // Small bodies (the console's API answers) go out with their header in one write.
            std::size_t at = wire.size();
            wire.resize(at + static_cast<std::size_t>(*length));
            rp.body_buffer(wire.data() + at, static_cast<std::size_t>(*length));
            up.tls->expires_after(o.idle_timeout);
            auto bec = co_await parse_from(*up.tls, up.buf, rp, false);
            if (bec == http::error::need_buffer) bec = {};
            if (bec || !rp.is_done()) co_return;
            client.expires_after(o.idle_timeout);
            if (co_await client.write(asio::buffer(wire))) co_return;
        } else {
            client.expires_after(o.idle_timeout);
            if (co_await client.write(asio::buffer(wire))) co_return;
            if (!co_await stream_body(*up.tls, up.buf, rp, client, chunk_down, o.idle_timeout,
                                      wire)) {
                co_return;
            }
        }
        if (!upstream_keep) {
            up.tls.reset();
        } else {
            up.tls->message_done();  // its next bytes answer our next request
        }
        to_pool.clean = up.tls != nullptr && up.buf.size() == 0;
        if (!keep_alive) {
            client.shutdown_now();
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
    tls_socket tls(stream.release_socket(), svc->shared.server_ctx->native_handle(), svc->sweeper);
    connection_guard guard(*svc, [&tls] { tls.close(); });
    SSL* ssl = tls.native_handle();
    if (SSL_use_certificate(ssl, leaf.get()) != 1 ||
        SSL_use_PrivateKey(ssl, minter.leaf_key()) != 1 ||
        SSL_add1_chain_cert(ssl, minter.ca_cert()) != 1) {
        co_return;
    }
    auto hello = hello_bytes.data();
    tls.replay(std::string(static_cast<const char*>(hello.data()), hello.size()));
    tls.expires_after(svc->opts->handshake_timeout);
    auto ec = co_await tls.handshake(true);
    if (ec) {
        count(tls.timed_out() ? st.timeouts : st.client_handshake_failures);
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
    // The request body (if any) is streamed to the origin as it arrives, never buffered whole.
    http::request_parser<http::buffer_body> p(std::move(hp));
    p.body_limit(o.max_request_body);
    auto& req = p.get();
    bool chunked = p.chunked();
    strip_hop_by_hop(req.base(), false);  // Content-Length stays; Transfer-Encoding is re-set
    add_via(req.base());
    req.target(path);
    req.keep_alive(false);
    req.version(11);
    if (chunked) req.chunked(true);
    if (!p.is_done() && iequals(header_value(req.base(), http::field::expect), "100-continue")) {
        // Answered here, so no origin's interim 100 ever has to be relayed.
        client.expires_after(o.idle_timeout);
        if (co_await send(client, asio::buffer(continue_100))) co_return;
    }
    req.erase(http::field::expect);
    auto up = co_await connect_tcp(svc, dest.endpoints);
    if (!up.stream) {
        count(st.upstream_connect_failures);
        co_await write_simple(client, http::status::bad_gateway, up.reason, o.idle_timeout);
        co_return;
    }
    std::string wire;
    append_head(wire, req);
    up.stream->expires_after(o.upstream_timeout);
    if (co_await send(*up.stream, asio::buffer(wire))) co_return;
    if (!co_await stream_body(client, buf, p, *up.stream, chunked, o.idle_timeout, wire)) {
        co_return;
    }
    beast::flat_buffer ubuf;
    response_head_store head_store;
    std::optional<upstream_response> rpo;
    auto rec = co_await read_final_header(
        *up.stream, ubuf, rpo, head_store,
        static_cast<std::uint32_t>(std::min<std::size_t>(o.max_header_bytes, UINT32_MAX)),
        req.method() == http::verb::head, o.idle_timeout);
    if (rec || rpo->status() / 100 == 1) {
        co_await write_simple(client, http::status::bad_gateway, "Bad upstream response",
                              o.idle_timeout);
        co_return;
    }
    auto& rp = *rpo;
    wire.clear();
    bool chunk_down = append_response_head(wire, rp, false);
    client.expires_after(o.idle_timeout);
    if (co_await send(client, asio::buffer(wire))) co_return;
    co_await stream_body(*up.stream, ubuf, rp, client, chunk_down, o.idle_timeout, wire);
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
            // A plain-HTTP upload's Content-Length is checked here, as the header completes
            // (Beast's default would refuse anything over 1 MiB).
            p.body_limit(o.max_request_body);
            client.expires_after(o.header_timeout);
            auto [hec, hn] = co_await http::async_read_header(client, buf, p, tok);
            if (hec) {
                co_await answer_read_error(client, hec, hec == beast::error::timeout, st);
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
