// One coroutine per client connection: SNI or CONNECT front, then bump (TLS terminated, HTTP/1.1
// inspected and forwarded) or splice (plain byte relay, no OpenSSL object).
#include "front_door.hpp"

#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <cstring>
#include <optional>

#include "bumped_session.hpp"
#include "client_hello.hpp"
#include "consolegate/log/log.hpp"
#include "consolegate/net/proxy_protocol.hpp"
#include "destination_watch.hpp"
#include "host_routes.hpp"
#include "http_wire.hpp"
#include "plain_forward.hpp"
#include "splice.hpp"

namespace consolegate::proxy {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

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

// Why host_routes::tls refused a tunnel (the refusal's audit reason).
refusal_code tls_refusal(std::string_view connect_host, std::string_view sni) {
    if (!host_routes::acceptable(connect_host.empty() ? sni : connect_host) ||
        (!sni.empty() && !host_routes::acceptable(sni))) {
        return "not-a-host";
    }
    if (!connect_host.empty() && !sni.empty() && connect_host != sni) return "names-disagree";
    return "not-inspected-refused";
}

// The TLS alert for a refused tunnel, and the refusal reported.
asio::awaitable<void> refuse_tunnel(service::impl& svc, beast::tcp_stream& client,
                                    refusal_code reason, std::string_view host,
                                    std::string_view sni, core::ip_address client_ip,
                                    const shared_identity& corp,
                                    std::uint8_t alert = alert_access_denied) {
    count(svc.counters().refused_host);
    report_refusal(
        svc, {.reason = reason, .host = host, .sni = sni, .client = client_ip, .corp = corp.get()});
    co_await send_alert(client, alert);
}

// What bump() is called with, once dispatch decided to bump.
struct bump_order {
    beast::flat_buffer hello_bytes;
    std::string host;
    std::uint16_t port = 0;
    std::string sni;
    core::ip_address client_ip;
    shared_identity corp;
    bump_terms terms;
};

// Bump, splice or refuse once the ClientHello is known. `connect_host` empty on the SNI path.
// A splice is decided on the name first (host_routes::tls), then on where it goes: a
// destination among the inspected names' addresses (destination_set.hpp) is bumped under its
// SNI or refused (host_routes::to_inspected_address), whatever the names said. A bump is
// returned, not run here: the caller runs it after this frame (1.4 KiB) is gone, so an idle
// bumped connection does not keep it (bench/proxy/idle_rss.sh).
asio::awaitable<std::optional<bump_order>> dispatch(
    std::shared_ptr<service::impl> svc, beast::tcp_stream& client, beast::flat_buffer buf,
    hello_read hello, std::string connect_host, std::uint16_t port,
    std::vector<tcp::endpoint> splice_eps, core::ip_address client_ip, shared_identity corp) {
    auto& st = svc->counters();
    if (hello.status != hello_status::complete) {
        count(hello.timed_out ? st.timeouts : st.bad_client_hello);
        if (!hello.timed_out) co_await send_alert(client, alert_handshake_failure);
        co_return std::nullopt;
    }
    std::string sni = hello.info.has_sni ? hello.info.sni : std::string();
    std::string host = connect_host.empty() ? sni : connect_host;
    bump_terms terms{.user_header = !connect_host.empty()};  // bump_terms.hpp
    if (host.empty()) {
        co_await refuse_tunnel(*svc, client, "no-server-name", host, sni, client_ip, corp,
                               alert_unrecognized_name);
        co_return std::nullopt;
    }
    switch (svc->shared.routes.tls(connect_host, sni)) {
        case route::inspect:
            co_return bump_order{std::move(buf),  host, port, sni, client_ip,
                                 std::move(corp), terms};
        case route::refuse:
            co_await refuse_tunnel(*svc, client, tls_refusal(connect_host, sni), host, sni,
                                   client_ip, corp);
            co_return std::nullopt;
        case route::splice: break;
    }
    co_await wait_until_warm(svc);
    if (refused_while_unknown(*svc, host) || (!sni.empty() && refused_while_unknown(*svc, sni))) {
        co_await refuse_tunnel(*svc, client, "inspected-addresses-unknown", host, sni, client_ip,
                               corp, alert_internal_error);
        co_return std::nullopt;
    }
    if (splice_eps.empty()) {
        auto dest = co_await resolve_destination(svc, host, port);
        if (dest.failure != upstream_failure::none) {
            count(dest.failure == upstream_failure::forbidden ? st.refused_destination
                                                              : st.upstream_connect_failures);
            co_await send_alert(client, alert_access_denied);
            co_return std::nullopt;
        }
        splice_eps = std::move(dest.endpoints);
    }
    // ECH under an AWS name (host_routes::aws_front): inspected under its outer name, as a
    // connection to an inspected address is, never spliced to a front end that may serve the
    // sign-in name inside.
    const bool ech_front =
        hello.info.offers_ech && (host_routes::aws_front(host) || host_routes::aws_front(sni));
    const bool at_sign_in = inspected_address(*svc, splice_eps);
    if (ech_front || at_sign_in) {
        switch (svc->shared.routes.to_inspected_address(connect_host, sni)) {
            case route::inspect:
                count(at_sign_in ? st.bumped_by_address : st.bumped_ech);
                terms.at_sign_in_address = at_sign_in;
                co_return bump_order{std::move(buf),  sni,  port, sni, client_ip,
                                     std::move(corp), terms};
            case route::refuse:
                co_await refuse_tunnel(*svc, client,
                                       sni.empty() ? refusal_code("inspected-address-unnamed")
                                                   : refusal_code("names-disagree"),
                                       host, sni, client_ip, corp);
                co_return std::nullopt;
            case route::splice: break;
        }
    }
    co_await splice_to(svc, std::move(client), std::move(buf), std::move(splice_eps));
    co_return std::nullopt;
}

// A tunnel the CONNECT listener agreed to open.
struct tunnel {
    core::authority target;
    std::vector<tcp::endpoint> endpoints;  // empty for inspected hosts (resolved when forwarded)
    shared_identity corp;                  // who is behind it (identification.hpp); may be null
};

// The CONNECT target, once it is known to be a host the proxy routes by, refused (403) when
// not_inspected = "refuse" does not list it, or when it is an address that an inspected name
// resolves to (a tunnel by IP literal has no name to judge by). True when it may open.
asio::awaitable<bool> connect_allowed(std::shared_ptr<service::impl> svc, beast::tcp_stream& client,
                                      const core::authority& target, route way,
                                      core::ip_address client_ip, const shared_identity& corp) {
    auto& st = svc->counters();
    const auto& o = *svc->opts;
    refusal_code reason;
    std::string_view text;
    auto status = http::status::forbidden;
    if (way == route::refuse) {
        reason = "not-inspected-refused";
        text = "CONNECT to this host is not allowed";
    } else if (way != route::inspect) {
        co_await wait_until_warm(svc);
        const auto lit = core::ip_address::parse(target.host);
        if (lit && inspected_address(*svc, *lit)) {
            reason = "inspected-address-literal";
            text = "CONNECT to this address is not allowed: it serves AWS sign-in; connect by name";
        } else if (refused_while_unknown(*svc, target.host)) {
            reason = "inspected-addresses-unknown";
            text =
                "CONNECT is unavailable: the gateway cannot tell whether this destination "
                "serves AWS sign-in (its resolver is failing for the sign-in names)";
            status = http::status::service_unavailable;
        }
    }
    if (reason.empty()) co_return true;
    count(st.refused_host);
    report_refusal(*svc, {.reason = reason,
                          .host = target.host,
                          .status = static_cast<unsigned>(status),
                          .method = "CONNECT",
                          .client = client_ip,
                          .corp = corp.get()});
    co_await write_simple(client, status, text, o.idle_timeout);
    co_return false;
}

// The connection's identity when no header established one: the address map's.
shared_identity identity_by_address(const service::impl& svc, const core::ip_address& client) {
    return svc.who.by_address ? svc.who.by_address(client) : nullptr;
}

using head_parser = http::request_parser<http::empty_body>;

// Reads one request head on the CONNECT listener into `p` within header_timeout (else 408: the
// deadline cancels the read instead of closing the socket, as the stream's own timer would, so
// the answer can still be sent). False when no request was read (answered and recorded).
asio::awaitable<bool> read_head(service::impl& svc, beast::tcp_stream& client,
                                beast::flat_buffer& buf, head_parser& p,
                                const core::ip_address& client_ip) {
    const auto& o = *svc.opts;
    p.header_limit(
        static_cast<std::uint32_t>(std::min<std::size_t>(o.max_header_bytes, UINT32_MAX)));
    // A plain-HTTP upload's Content-Length is checked here, as the header completes (Beast's
    // default would refuse anything over 1 MiB).
    p.body_limit(o.max_request_body);
    struct head_deadline {
        explicit head_deadline(const asio::any_io_executor& ex) : timer(ex) {}
        asio::steady_timer timer;
        bool armed = true, fired = false;
    };
    auto deadline = std::make_shared<head_deadline>(client.get_executor());
    deadline->timer.expires_after(o.header_timeout);
    deadline->timer.async_wait([deadline, &sock = client.socket()](boost::system::error_code ec) {
        if (ec || !deadline->armed) return;  // disarmed: the session may be gone
        deadline->fired = true;
        sock.cancel(ec);
    });
    client.expires_never();
    auto [hec, hn] = co_await http::async_read_header(client, buf, p, tok);
    deadline->armed = false;
    deadline->timer.cancel();
    if (!hec) co_return true;
    const bool timed_out = deadline->fired || hec == beast::error::timeout;
    if (auto status = co_await answer_read_error(client, hec, timed_out, svc.counters())) {
        report_refusal(svc,
                       {.reason = "unreadable-request", .status = status, .client = client_ip});
    }
    co_return false;
}

// At most this many 407s on one connection before it is closed.
constexpr int max_challenges = 3;

// Kerberos on the CONNECT listener (identification.hpp negotiate): the identity the request's
// Proxy-Authorization establishes, or a 407 asking for one. `again` is set when the client may
// send its next attempt on this connection (the request had no body and keeps the connection).
asio::awaitable<identification::negotiate_answer> negotiate(service::impl& svc,
                                                            beast::tcp_stream& client,
                                                            head_parser& p,
                                                            const core::ip_address& client_ip,
                                                            int challenges, bool& again) {
    auto& req = p.get();
    std::vector<std::string_view> values;
    auto [first, last] = req.base().equal_range(http::field::proxy_authorization);
    for (auto it = first; it != last; ++it) values.push_back(it->value());
    auto answer = svc.who.negotiate(client_ip, values);
    req.base().erase(http::field::proxy_authorization);  // `values` are not used past here
    if (!answer.challenge) co_return answer;
    if (answer.refused) {
        report_refusal(svc, {.reason = "proxy-auth-refused",
                             .host = req.target(),
                             .status = 407,
                             .method = req.method_string(),
                             .client = client_ip});
    }
    again = p.is_done() && req.keep_alive() && challenges + 1 < max_challenges;
    static constexpr std::string_view text = "Proxy authentication required (Kerberos)\n";
    std::string wire =
        "HTTP/1.1 407 Proxy Authentication Required\r\n"
        "Proxy-Authenticate: Negotiate\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Cache-Control: no-store\r\n"
        "Content-Length: " +
        std::to_string(text.size()) + "\r\nConnection: " + (again ? "keep-alive" : "close") +
        "\r\n\r\n" + std::string(text);
    client.expires_after(svc.opts->idle_timeout);
    auto [wec, wn] = co_await asio::async_write(client, asio::buffer(wire), tok);
    if (wec) again = false;
    co_return answer;
}

// Reads the first request on the CONNECT listener and answers it: a permitted CONNECT gets
// "200 Connection established" and a tunnel; an absolute-form plain HTTP request is forwarded
// (forward_plain); anything else gets its error answer. nullopt when no tunnel opens. Where
// Kerberos asks the client to authenticate, the request is answered 407 and the client's next
// attempt read on the same connection (up to max_challenges).
asio::awaitable<std::optional<tunnel>> open_tunnel(std::shared_ptr<service::impl> svc,
                                                   beast::tcp_stream& client,
                                                   beast::flat_buffer& buf,
                                                   core::ip_address client_ip) {
    auto& st = svc->counters();
    const auto& o = *svc->opts;
    std::optional<head_parser> parser;
    shared_identity header_identity;
    for (int challenges = 0;; ++challenges) {
        parser.emplace();
        if (!co_await read_head(*svc, client, buf, *parser, client_ip)) co_return std::nullopt;
        // The trusted user header rides on the CONNECT from a chaining proxy; never forwarded.
        header_identity = take_user_header(svc->who, parser->get().base(), client_ip);
        if (header_identity || !svc->who.negotiate) break;
        bool again = false;
        auto answer = co_await negotiate(*svc, client, *parser, client_ip, challenges, again);
        if (!answer.challenge) {
            header_identity = std::move(answer.who);
            break;
        }
        if (!again) co_return std::nullopt;
    }
    auto& p = *parser;
    if (p.get().method() != http::verb::connect) {
        if (p.get().target().starts_with("http://")) {
            co_await forward_plain(svc, client, buf, p, client_ip);
        } else {
            count(st.bad_requests);
            co_await write_simple(client, http::status::bad_request,
                                  "This is a proxy: use CONNECT or an absolute URL",
                                  o.idle_timeout);
        }
        co_return std::nullopt;
    }
    tunnel t;
    t.corp = header_identity ? std::move(header_identity) : identity_by_address(*svc, client_ip);
    auto target = core::parse_authority(p.get().target());
    if (!target || !host_routes::acceptable(target->host)) {
        count(st.bad_requests);
        report_refusal(*svc, {.reason = "not-a-host",
                              .host = p.get().target(),
                              .status = 400,
                              .method = "CONNECT",
                              .client = client_ip,
                              .corp = t.corp.get()});
        co_await write_simple(client, http::status::bad_request, "Bad CONNECT target",
                              o.idle_timeout);
        co_return std::nullopt;
    }
    t.target = std::move(*target);
    if (std::find(o.connect_ports.begin(), o.connect_ports.end(), t.target.port) ==
        o.connect_ports.end()) {
        count(st.refused_port);
        co_await write_simple(client, http::status::forbidden,
                              "CONNECT to this port is not allowed", o.idle_timeout);
        co_return std::nullopt;
    }
    const auto way = svc->shared.routes.connect_target(t.target.host);
    if (!co_await connect_allowed(svc, client, t.target, way, client_ip, t.corp))
        co_return std::nullopt;
    // Inspected hosts are resolved when the first request is forwarded; others now, so a
    // forbidden or unknown destination gets an HTTP answer rather than a dead tunnel.
    if (way != route::inspect) {
        co_await wait_until_warm(svc);
        auto dest = co_await resolve_destination(svc, t.target.host, t.target.port);
        if (dest.failure != upstream_failure::none) {
            bool forbidden = dest.failure == upstream_failure::forbidden;
            count(forbidden ? st.refused_destination : st.upstream_connect_failures);
            co_await write_simple(client,
                                  forbidden ? http::status::forbidden : http::status::bad_gateway,
                                  dest.reason, o.idle_timeout);
            co_return std::nullopt;
        }
        t.endpoints = std::move(dest.endpoints);
    }
    static constexpr std::string_view established = "HTTP/1.1 200 Connection established\r\n\r\n";
    client.expires_after(o.idle_timeout);
    auto [wec, wn] = co_await asio::async_write(client, asio::buffer(established), tok);
    if (wec) co_return std::nullopt;
    co_return t;
}

// Who the client is (PROXY protocol, include/consolegate/net/proxy_protocol.hpp), with the bytes
// read past a header put back in `buf`. nullopt: close the connection. A client relayed by a
// balancer is checked against allow_clients here (the accept loop saw only the balancer).
asio::awaitable<std::optional<core::ip_address>> identify_client(
    std::shared_ptr<service::impl> svc, beast::tcp_stream& client, beast::flat_buffer& buf,
    core::proxy_protocol_mode mode, std::chrono::milliseconds timeout) {
    auto& st = svc->counters();
    auto who = co_await net::accept_proxied(client.socket(), mode, svc->opts->proxy_protocol_from,
                                            timeout);
    switch (who.outcome) {
        case net::proxied_outcome::serve: break;
        case net::proxied_outcome::closed: co_return std::nullopt;
        case net::proxied_outcome::timeout:
            count(net::in_networks(who.peer, svc->opts->proxy_protocol_from) ? st.proxy_protocol_bad
                                                                             : st.timeouts);
            co_return std::nullopt;
        case net::proxied_outcome::refused_stranger:
            count(st.proxy_protocol_refused);
            co_return std::nullopt;
        case net::proxied_outcome::bad_header: {
            count(st.proxy_protocol_bad);
            static log::rate_limit limit(std::chrono::seconds(10));
            if (auto suppressed = limit.allow(std::chrono::steady_clock::now())) {
                log::write(log::level::warn, "proxy", "PROXY header refused",
                           {{"peer", who.peer.str()},
                            {"error", std::string(who.error)},
                            {"suppressed", std::to_string(*suppressed)}});
            }
            co_return std::nullopt;
        }
    }
    if (who.relayed) {
        count(st.proxy_protocol_relayed);
        if (!net::in_networks(who.address, svc->opts->allow_clients)) {
            count(st.refused_client);
            co_return std::nullopt;
        }
    }
    if (!who.early.empty()) {
        auto space = buf.prepare(who.early.size());
        std::memcpy(space.data(), who.early.data(), who.early.size());
        buf.commit(who.early.size());
    }
    co_return who.address;
}

// Exhaustion or a bug: this connection alone is dropped (STYLE.md rule 8). One `limit` per
// listener kind.
void log_dropped(log::rate_limit& limit, const std::exception& e) {
    if (auto suppressed = limit.allow(std::chrono::steady_clock::now())) {
        log::write(log::level::error, "proxy", "session dropped on an exception",
                   {{"error", e.what()}, {"suppressed", std::to_string(*suppressed)}});
    }
}

asio::awaitable<void> run_bump(std::shared_ptr<service::impl> svc,
                               std::optional<beast::tcp_stream>& client, bump_order& o) {
    return bump(std::move(svc), client, std::move(o.hello_bytes), std::move(o.host), o.port,
                std::move(o.sni), o.client_ip, std::move(o.corp), o.terms);
}

}  // namespace

asio::awaitable<void> run_sni_session(std::shared_ptr<service::impl> svc, tcp::socket sock) {
    try {
        // Optional: bump drops it (and its timers) once TLS has the socket.
        std::optional<beast::tcp_stream> stream(std::in_place, std::move(sock));
        auto& client = *stream;
        beast::flat_buffer buf;
        hello_read hello;
        core::ip_address client_ip;
        {
            connection_guard guard(*svc, [&client] {
                boost::system::error_code ignored;
                client.socket().close(ignored);
            });
            auto who = co_await identify_client(svc, client, buf, svc->opts->sni_proxy_protocol,
                                                svc->opts->handshake_timeout);
            if (!who) co_return;
            client_ip = *who;
            hello = co_await read_hello(client, buf, svc->opts->handshake_timeout);
        }
        auto order = co_await dispatch(svc, client, std::move(buf), std::move(hello), {}, 443, {},
                                       client_ip, identity_by_address(*svc, client_ip));
        if (order) co_await run_bump(svc, stream, *order);
    } catch (const std::exception& e) {
        static log::rate_limit limit(std::chrono::seconds(10));
        log_dropped(limit, e);
    }
}

asio::awaitable<void> run_connect_session(std::shared_ptr<service::impl> svc, tcp::socket sock) {
    try {
        // Optional: bump drops it (and its timers) once TLS has the socket.
        std::optional<beast::tcp_stream> stream(std::in_place, std::move(sock));
        auto& client = *stream;
        beast::flat_buffer buf;
        hello_read hello;
        std::optional<tunnel> t;
        core::ip_address client_ip;
        {
            connection_guard guard(*svc, [&client] {
                boost::system::error_code ignored;
                client.socket().close(ignored);
            });
            auto who = co_await identify_client(svc, client, buf, svc->opts->connect_proxy_protocol,
                                                svc->opts->header_timeout);
            if (!who) co_return;
            client_ip = *who;
            t = co_await open_tunnel(svc, client, buf, client_ip);
            if (!t) co_return;
            hello = co_await read_hello(client, buf, svc->opts->handshake_timeout);
        }
        auto order = co_await dispatch(svc, client, std::move(buf), std::move(hello),
                                       t->target.host, t->target.port, std::move(t->endpoints),
                                       client_ip, std::move(t->corp));
        t.reset();
        if (order) co_await run_bump(svc, stream, *order);
    } catch (const std::exception& e) {
        static log::rate_limit limit(std::chrono::seconds(10));
        log_dropped(limit, e);
    }
}

}  // namespace consolegate::proxy
