#include "plain_forward.hpp"

#include <algorithm>
#include <boost/beast/http/write.hpp>

#include "destination_watch.hpp"
#include "host_routes.hpp"
#include "http_wire.hpp"

namespace consolegate::proxy {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

// Where an absolute-form request goes: its origin-form path and the origin's checked addresses.
struct plain_destination {
    std::string authority;  // what the Host header becomes
    std::string path;
    std::vector<tcp::endpoint> endpoints;
};

// Inspected hosts are only ever reached over TLS: the browser is sent there.
asio::awaitable<void> redirect_to_https(beast::tcp_stream& client, const std::string& host,
                                        const std::string& path, std::chrono::milliseconds t) {
    http::response<http::empty_body> res{http::status::permanent_redirect, 11};
    res.set(http::field::location, "https://" + core::authority_host(host) + path);
    res.keep_alive(false);
    client.expires_after(t);
    co_await http::async_write(client, res, tok);
}

// A refused request: its answer, and the refusal reported.
asio::awaitable<void> refuse_plain(service::impl& svc, beast::tcp_stream& client,
                                   http::status status, refusal_code reason, std::string_view host,
                                   std::string_view target, core::ip_address client_ip,
                                   std::string_view text) {
    report_refusal(svc, {.reason = reason,
                         .host = host,
                         .status = static_cast<unsigned>(status),
                         .target = target,
                         .client = client_ip});
    co_await write_simple(client, status, text, svc.opts->idle_timeout);
}

// The target of `GET http://host[:port]/path`, answered here (400, 308 to https for inspected
// hosts and names resolving to their addresses, 403, 502) when it is not to be forwarded.
asio::awaitable<std::optional<plain_destination>> plain_target(std::shared_ptr<service::impl> svc,
                                                               beast::tcp_stream& client,
                                                               std::string_view target,
                                                               core::ip_address client_ip) {
    auto& st = svc->counters();
    const auto& o = *svc->opts;
    auto rest = target.substr(7);  // after "http://"
    auto slash = rest.find('/');
    auto parsed = core::parse_authority(rest.substr(0, slash), 80);
    if (!parsed || !host_routes::acceptable(parsed->host)) {
        count(st.bad_requests);
        co_await refuse_plain(*svc, client, http::status::bad_request, "not-a-host",
                              rest.substr(0, slash), target, client_ip, "Bad request target");
        co_return std::nullopt;
    }
    auto& a = *parsed;
    const auto way = svc->shared.routes.plain_http(a.host);
    if (way == route::refuse) {
        count(st.refused_host);
        co_await refuse_plain(*svc, client, http::status::forbidden, "not-inspected-refused",
                              a.host, target, client_ip, "This host is not allowed");
        co_return std::nullopt;
    }
    plain_destination out;
    out.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    out.authority = core::authority_host(a.host);
    if (a.port != 80) out.authority += ":" + std::to_string(a.port);
    if (way == route::inspect) {
        co_await redirect_to_https(client, a.host, out.path, o.idle_timeout);
        co_return std::nullopt;
    }
    bool port_ok = a.port == 80 || std::find(o.connect_ports.begin(), o.connect_ports.end(),
                                             a.port) != o.connect_ports.end();
    if (!port_ok) {
        count(st.refused_port);
        co_await write_simple(client, http::status::forbidden, "Port not allowed", o.idle_timeout);
        co_return std::nullopt;
    }
    co_await wait_until_warm(svc);
    const auto literal = core::ip_address::parse(a.host);
    if (literal && inspected_address(*svc, *literal)) {
        // `GET http://<sign-in address>/` names no host to judge by: refused.
        count(st.refused_host);
        co_await refuse_plain(*svc, client, http::status::forbidden, "inspected-address-literal",
                              a.host, target, client_ip,
                              "This address serves AWS sign-in: use its name over https");
        co_return std::nullopt;
    }
    if (refused_while_unknown(*svc, a.host)) {
        count(st.refused_host);
        co_await refuse_plain(*svc, client, http::status::service_unavailable,
                              "inspected-addresses-unknown", a.host, target, client_ip,
                              "The gateway cannot tell whether this destination serves AWS "
                              "sign-in (its resolver is failing for the sign-in names)");
        co_return std::nullopt;
    }
    auto dest = co_await resolve_destination(svc, a.host, a.port);
    if (dest.failure != upstream_failure::none) {
        bool forbidden = dest.failure == upstream_failure::forbidden;
        count(forbidden ? st.refused_destination : st.upstream_connect_failures);
        co_await write_simple(client,
                              forbidden ? http::status::forbidden : http::status::bad_gateway,
                              dest.reason, o.idle_timeout);
        co_return std::nullopt;
    }
    if (inspected_address(*svc, dest.endpoints) &&
        svc->shared.routes.to_inspected_address(a.host, a.host) == route::inspect) {
        // A name that resolves to an inspected name's address (a CNAME of sign-in, a shared
        // front end) is reached over TLS too, where it is inspected.
        co_await redirect_to_https(client, a.host, out.path, o.idle_timeout);
        co_return std::nullopt;
    }
    out.endpoints = std::move(dest.endpoints);
    co_return out;
}

}  // namespace

asio::awaitable<void> forward_plain(std::shared_ptr<service::impl> svc, beast::tcp_stream& client,
                                    beast::flat_buffer& buf,
                                    http::request_parser<http::empty_body>& hp,
                                    core::ip_address client_ip) {
    auto& st = svc->counters();
    const auto& o = *svc->opts;
    count(st.plain_http);
    if (!only_chunked(hp.get().base())) {
        // RFC 9112 §6.1: a coding we do not read leaves the body's end unknown. One 501.
        co_await refuse_plain(*svc, client, http::status::not_implemented, "transfer-coding", "",
                              hp.get().target(), client_ip,
                              "Transfer-Encoding other than chunked is not supported");
        co_return;
    }
    if (auto why = framing_refusal(hp.get().base()); !why.empty()) {
        // Framing the origin could read otherwise (http_wire.hpp): this path streams the body
        // under the client's Content-Length.
        co_await refuse_plain(*svc, client, http::status::bad_request, why, "", hp.get().target(),
                              client_ip, "Bad request: its framing could be read two ways");
        co_return;
    }
    auto dest = co_await plain_target(svc, client, hp.get().target(), client_ip);
    if (!dest) co_return;
    // The request body (if any) is streamed to the origin as it arrives, never buffered whole.
    http::request_parser<http::buffer_body> p(std::move(hp));
    p.body_limit(o.max_request_body);
    auto& req = p.get();
    bool chunked = p.chunked();
    strip_hop_by_hop(req.base(), false);  // Content-Length stays; Transfer-Encoding is re-set
    add_via(req.base());
    req.target(dest->path);
    // RFC 9112 §3.2.2: the target's authority, not the client's Host, names the origin. The
    // request was routed (inspected or not) by that authority, so that is the Host it carries:
    // `GET http://<IP>/` with `Host: signin.aws.amazon.com` reaches the origin as a request for
    // the IP, never as one for the sign-in host.
    req.set(http::field::host, dest->authority);
    req.keep_alive(false);
    req.version(11);
    if (chunked) req.chunked(true);
    if (!p.is_done() && iequals(header_value(req.base(), http::field::expect), "100-continue")) {
        // Answered here, so no origin's interim 100 ever has to be relayed.
        client.expires_after(o.idle_timeout);
        if (co_await send(client, asio::buffer(continue_100))) co_return;
    }
    req.erase(http::field::expect);
    auto up = co_await connect_tcp(svc, std::move(dest->endpoints));
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

}  // namespace consolegate::proxy
