// One HTTP/2 client connection: a reader feeding the framing, a writer sending what it queues,
// and one coroutine per stream (h2_exchange.cpp). The connection ends when the client closes,
// times out, breaks the protocol or floods; its streams' work ends with it.
#include "h2_session.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include "consolegate/log/log.hpp"
#include "h2_connection.hpp"
#include "stream_io.hpp"

namespace consolegate::proxy {

namespace asio = boost::asio;

namespace {

h2_limits limits_of(const core::proxy_config& o) {
    h2_limits l;
    l.max_concurrent_streams = o.http2_max_concurrent_streams;
    l.max_header_list_size = o.http2_max_header_list_size;
    l.settings_per_second = o.http2_settings_per_second;
    l.pings_per_second = o.http2_pings_per_second;
    l.resets_per_second = o.http2_resets_per_second;
    // A stream buffers its inspected prefix (one byte more shows it is longer); the connection
    // at most four such prefixes before the windows wait for the exchanges.
    l.stream_prefix = o.max_inspect_body + 1;
    l.body_budget = std::max<std::uint64_t>(4 * o.max_inspect_body, 1024 * 1024);
    l.max_send_header_block = std::max<std::uint64_t>(64 * 1024, 2 * o.max_header_bytes);
    return l;
}

// Ends when the connection closes; counted in c.running like an exchange.
asio::awaitable<void> write_frames(h2_connection& c) {
    std::string wire;
    for (;;) {
        wire.clear();
        c.frames.take_output(wire, 64 * 1024);
        if (!wire.empty()) {
            if (!c.closing) c.client.expires_after(c.o.idle_timeout);
            c.writing = true;
            auto ec = co_await c.client.write(asio::buffer(wire));
            c.writing = false;
            if (ec) break;
            continue;
        }
        if (c.closing || (!c.frames.wants_read() && !c.frames.wants_write())) break;
        if (wire.capacity() > 16 * 1024) std::string().swap(wire);  // an idle connection's memory
        if (c.frames.open_streams() == 0 && c.exchanges.empty()) {
            // Nothing open and all sent: idle between requests, marked here as well as before
            // the reader's next read. The read pending since before the last response (or
            // since our SETTINGS) would otherwise keep the TLS and read buffers (~50 KiB) until
            // the client sends another frame; parked, it gives them back after a second. The
            // reader marks the connection busy again as its read returns.
            c.guard.set_idle(true);
            c.client.set_idle(true);
        }
        c.write_signal.expires_at(asio::steady_timer::time_point::max());
        co_await c.write_signal.async_wait(tok);
    }
    // A writer that stops first (a failed write) ends the connection: the reader is woken by
    // the close.
    if (!c.closing) c.client.close();
    --c.running;
    c.done_signal.cancel();
}

void start_writer(h2_connection& c) {
    ++c.running;
    asio::co_spawn(c.client.socket().get_executor(), write_frames(c), asio::detached);
}

// Client bytes into the framing until the connection ends.
asio::awaitable<void> read_frames(h2_connection& c) {
    boost::beast::flat_buffer buf;
    bool first = true, shutdown_sent = false;
    for (;;) {
        const bool idle = c.frames.open_streams() == 0 && c.exchanges.empty() && !c.writing &&
                          !c.frames.wants_write();
        c.guard.set_idle(idle);
        if (c.svc->draining && !shutdown_sent) {
            c.frames.shutdown();  // GOAWAY: the open streams finish, no new ones
            shutdown_sent = true;
            c.kick();
            if (idle) co_return;
        }
        c.client.expires_after(first ? c.o.header_timeout : c.o.idle_timeout);
        if (idle) c.client.set_idle(true);  // parked: the TLS buffers go back (tls_socket.hpp)
        auto [ec, n] = co_await c.client.read_some(buf, 16 * 1024);
        c.client.set_idle(false);
        c.guard.set_idle(false);
        if (ec) {
            if (c.client.timed_out()) count(c.st.timeouts);
            co_return;
        }
        first = false;
        buf.commit(n);
        auto data = buf.data();
        const bool more = c.frames.receive(static_cast<const char*>(data.data()), data.size());
        buf.consume(data.size());
        c.kick();
        if (!more) {
            if (c.frames.flooded() != h2_framing::flood::none) {
                count(c.st.http2_flood_closes);
                log::write(log::level::warn, "proxy", "HTTP/2 flood: connection closed",
                           {{"host", c.host}, {"client", c.client_ip.str()}});
            }
            co_return;
        }
    }
}

}  // namespace

h2_connection::h2_connection(std::shared_ptr<service::impl> s, tls_socket& cl, connection_guard& g,
                             std::string h, std::uint16_t p, std::string n, core::ip_address ip,
                             shared_identity who, bump_terms terms)
    : bumped_client(std::move(s), cl, g, std::move(h), p, std::move(n), ip, std::move(who), terms),
      frames(limits_of(o), *this),
      write_signal(cl.socket().get_executor()),
      done_signal(cl.socket().get_executor()) {}

void h2_connection::wake(std::int32_t id) {
    auto it = exchanges.find(id);
    if (it != exchanges.end()) wake_exchange(*it->second, false);
}

void h2_connection::on_request(std::shared_ptr<h2_stream> s) {
    if (closing) {
        frames.reset(*s, h2_framing::refused_stream);
        return;
    }
    ++running;
    asio::co_spawn(client.socket().get_executor(), run_exchange(*this, std::move(s)),
                   asio::detached);
}

void h2_connection::on_close(h2_stream& s) {
    // A stream reset (by either side) or ended before its response was whole: its upstream
    // connection is closed, so the exchange stops at once.
    auto it = exchanges.find(s.id);
    if (it != exchanges.end()) wake_exchange(*it->second, s.close_code != 0 || !s.out_eof);
}

void h2_connection::on_malformed(h2_stream& s) {
    // Reset by nghttp2 before (or while) it was judged: counted and recorded as a refusal, as a
    // request Beast cannot parse is on HTTP/1.1. What its header block named, when it got so far.
    count(st.bad_requests);
    refusal_view v{.reason = "h2-malformed", .host = host, .sni = sni};
    for (const auto& [name, value] : s.fields) {
        if (name == ":method") v.method = value;
        if (name == ":path") v.target = value;
    }
    v.client = client_ip;
    v.corp = corp.get();
    report_refusal(*svc, v);
}

bool negotiated_h2(tls_socket& tls) noexcept {
    const unsigned char* alpn = nullptr;
    unsigned int len = 0;
    SSL_get0_alpn_selected(tls.native_handle(), &alpn, &len);
    return len == 2 && alpn[0] == 'h' && alpn[1] == '2';
}

asio::awaitable<void> serve_h2(std::shared_ptr<service::impl> svc, tls_socket& client,
                               connection_guard& guard, std::string host, std::uint16_t port,
                               std::string sni, core::ip_address client_ip, shared_identity corp,
                               bump_terms terms) {
    count(svc->counters().http2_connections);
    auto c = std::make_unique<h2_connection>(std::move(svc), client, guard, std::move(host), port,
                                             std::move(sni), client_ip, std::move(corp), terms);
    start_writer(*c);
    co_await read_frames(*c);
    // The end: exchanges stop (their upstream connections closed), the writer sends what is
    // queued (a GOAWAY) within two seconds, then every coroutine of the connection is waited for:
    // they refer to it and to the client socket.
    c->closing = true;
    for (auto& [id, x] : c->exchanges) wake_exchange(*x, true);
    c->client.expires_after(std::chrono::seconds(2));
    c->kick();
    while (c->running > 0) {
        c->done_signal.expires_at(asio::steady_timer::time_point::max());
        co_await c->done_signal.async_wait(tok);
    }
    c->client.shutdown_now();
}

}  // namespace consolegate::proxy
