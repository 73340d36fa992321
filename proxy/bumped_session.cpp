// The request path of a bumped connection reads in serve_http: each step is a named call below
// it, in the order a request takes them.
#include "bumped_session.hpp"

#include <openssl/evp.h>

#include <optional>
#include <utility>
#include <vector>

#include "block_page.hpp"
#include "bumped_client.hpp"
#include "consolegate/core/partition.hpp"
#include "consolegate/log/log.hpp"
#include "h2_session.hpp"
#include "hook_wait.hpp"
#include "http_wire.hpp"
#include "splice.hpp"
#include "upstream_leg.hpp"

namespace consolegate::proxy {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

constexpr std::uint64_t small_body = 256 * 1024;      // buffered whole; larger bodies stream
constexpr std::size_t keep_buffer_bytes = 64 * 1024;  // more is given back while idle

using header_list = std::vector<std::pair<std::string_view, std::string_view>>;

// One bumped client connection, kept across its keep-alive requests. Not movable: to_pool refers
// to up.
struct bumped_connection : bumped_client {
    template <class... Args>
    explicit bumped_connection(Args&&... args)
        : bumped_client(std::forward<Args>(args)...),
          header_limit(
              static_cast<std::uint32_t>(std::min<std::size_t>(o.max_header_bytes, UINT32_MAX))),
          to_pool{*svc, host + ":" + std::to_string(port), up} {}

    std::uint32_t header_limit;
    beast::flat_buffer cbuf;  // client bytes read and not yet parsed
    upstream_leg up;
    pool_return to_pool;     // declared after up: gives it back first
    std::string wire, body;  // reused across requests: the keep-alive path allocates little
    response_head_store head_store;
    header_list headers;
    std::unique_ptr<core::connection_memo> memo;  // the inspection hook's (judgement_memo.hpp)
};

// One request and its response.
struct exchange {
    http::request_parser<http::buffer_body> p;
    bool streaming = false;  // body longer than the inspection cap: sent as it comes
    bool had_length = false, had_chunked = false;
    bool navigation = false;
    bool keep_alive = false;  // with the client, after this exchange
    bool upgrade = false;
    bool chunk_up = false;  // the body is re-chunked upstream
    bool trailers = false;  // the chunked body ended with trailer fields
    std::optional<upstream_response> rpo;
    bool upstream_keep = false;
    shared_identity corp;  // from this request's trusted user header; null: the connection's
};

// A request refused before it was judged (421, 400, 413, 431, 501): reported (inspection.hpp).
void report_refused(bumped_connection& c, refusal_code reason, unsigned status,
                    const http::request_header<>* head) {
    refusal_view v{.reason = reason, .host = c.host, .sni = c.sni, .status = status};
    if (head) {
        if (auto h = header_value(*head, http::field::host); !h.empty()) v.host = h;
        v.method = head->method_string();
        v.target = head->target();
    }
    v.client = c.client_ip;
    v.corp = c.corp.get();
    report_refusal(*c.svc, v);
}

// Idle wait for the next request when no byte of it is buffered: the only point where drain may
// close us. False when the connection ends.
asio::awaitable<bool> wait_for_request(bumped_connection& c, int served) {
    if (c.cbuf.size() > 0) co_return true;
    // A large upload must not pin its buffers for the life of an idle keep-alive.
    if (c.cbuf.capacity() > keep_buffer_bytes) c.cbuf.shrink_to_fit();
    if (c.up.buf.size() == 0 && c.up.buf.capacity() > keep_buffer_bytes) c.up.buf.shrink_to_fit();
    if (c.body.capacity() > keep_buffer_bytes) std::string().swap(c.body);
    if (c.wire.capacity() > keep_buffer_bytes) std::string().swap(c.wire);
    c.guard.set_idle(true);
    if (c.svc->draining) co_return false;
    c.client.expires_after(served == 0 ? c.o.header_timeout : c.o.idle_timeout);
    c.client.set_idle(true);  // a long wait gives the TLS buffers back (tls_socket.hpp), cbuf's too
    if (c.up.tls) c.up.tls->set_idle(true, false);  // and the kept upstream leg's (~50 KiB)
    auto [ec, n] = co_await c.client.read_some(c.cbuf, 4096);
    c.client.set_idle(false);
    if (c.up.tls) c.up.tls->set_idle(false);
    c.guard.set_idle(false);
    if (ec) {
        if (c.client.timed_out()) count(c.st.timeouts);
        co_return false;
    }
    c.cbuf.commit(n);
    co_return true;
}

// A request refused before it is judged: counted, reported, answered; false (the connection
// ends after the answer).
asio::awaitable<bool> refuse_request(bumped_connection& c, const http::request_header<>& head,
                                     refusal_code reason, http::status status,
                                     std::string_view text) {
    count(c.st.bad_requests);
    report_refused(c, reason, static_cast<unsigned>(status), &head);
    co_await write_simple(c.client, status, text, std::chrono::seconds(2));
    co_return false;
}

// The request head, and its body up to the inspection cap. A request that cannot be read gets
// its documented answer (answer_read_error); false then.
asio::awaitable<bool> read_request(bumped_connection& c, exchange& r) {
    auto& p = r.p;
    p.header_limit(c.header_limit);
    p.body_limit(c.o.max_request_body);
    c.client.answer_by(c.o.header_timeout);  // slowloris: the whole header in time, or 408
    std::size_t header_bytes = 0;
    auto hec = co_await parse_from(c.client, c.cbuf, p, true, &header_bytes);
    if (!hec) c.st.observe_header_bytes(header_bytes);
    if (!hec && !only_chunked(p.get().base())) {
        // RFC 9112 §6.1: a coding we do not implement ("gzip", "chunked, chunked") leaves the
        // body's end unknown; reading on would parse the body as the next request, or answer a
        // framing error for it. One 501 before any body byte is read, then close.
        count(c.st.bad_requests);
        report_refused(c, "transfer-coding", 501, &p.get().base());
        co_await write_simple(c.client, http::status::not_implemented,
                              "Transfer-Encoding other than chunked is not supported",
                              std::chrono::seconds(2));
        co_return false;
    }
    if (!hec) {
        // Framing another server could read otherwise (http_wire.hpp): one 400 before any body
        // byte is read, then close; what follows is never read as a next request.
        auto why = framing_refusal(p.get().base());
        const bool body = p.chunked() || p.content_length().value_or(0) > 0;
        if (why.empty() && body_an_origin_may_ignore(p.get().method(), body))
            why = "ambiguous-framing";
        if (!why.empty()) {
            co_return co_await refuse_request(c, p.get().base(), why, http::status::bad_request,
                                              "Bad request: its framing could be read two ways");
        }
    }
    if (!hec && !p.is_done() &&
        iequals(header_value(p.get().base(), http::field::expect), "100-continue")) {
        // The body is read here before inspection, so we say continue.
        c.client.expires_after(c.o.idle_timeout);
        if (co_await c.client.write(asio::buffer(continue_100))) co_return false;
    }
    c.body.clear();
    if (!hec && !p.is_done()) {
        // Beast appends a chunked body's trailers to the head's fields. The user header is
        // believed from the head alone (check_request), as on HTTP/2: a trusted proxy in front
        // sets or strips it there and passes trailers on untouched.
        const bool trailers = p.chunked() && !c.svc->who.header.empty();
        const auto head_user =
            trailers ? user_header_fields(c.svc->who, p.get().base()) : field_list();
        const auto head_fields = std::distance(p.get().base().begin(), p.get().base().end());
        c.client.expires_after(c.o.idle_timeout);
        hec = co_await read_body_prefix(c.client, c.cbuf, p, c.body, c.o.max_inspect_body);
        r.trailers = p.chunked() &&
                     std::distance(p.get().base().begin(), p.get().base().end()) > head_fields;
        if (trailers) strip_user_header(c.svc->who, p.get().base(), head_user);
    }
    if (hec) {
        if (auto status = co_await answer_read_error(c.client, hec, c.client.timed_out(), c.st)) {
            report_refused(c, "unreadable-request", status,
                           p.is_header_done() ? &p.get().base() : nullptr);
        }
        co_return false;
    }
    co_return true;
}

// Absolute-form inside a tunnel is reduced to origin-form, and its authority replaces the Host
// header (RFC 9112 §3.2.2: the server MUST ignore Host then), so the name checked against the
// SNI, inspected and sent upstream is the one requested.
void to_origin_form(http::request<http::buffer_body>& req) {
    std::string_view raw_target = req.target();
    if (!raw_target.starts_with("https://") && !raw_target.starts_with("http://")) return;
    std::string target(raw_target);
    auto start = target.find("//") + 2;
    auto slash = target.find('/', start);
    auto authority =
        target.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (auto at = authority.rfind('@'); at != std::string::npos) {
        authority.erase(0, at + 1);  // userinfo is never forwarded
    }
    req.set(http::field::host, authority);
    req.target(slash == std::string::npos ? "/" : target.substr(slash));
}

// What the request is (streamed, navigation, keep-alive), and whether it is for this
// connection's host. False (after a 421) when it is not.
asio::awaitable<bool> check_request(bumped_connection& c, exchange& r) {
    count(c.st.requests);
    auto& req = r.p.get();
    r.streaming = !r.p.is_done();
    if (!r.streaming) c.client.message_done();  // its next request follows our answer
    r.had_length = r.p.content_length().has_value();
    r.had_chunked = r.p.chunked();
    {
        auto it = req.base().find("Sec-Fetch-Mode");
        std::string_view mode;
        if (it != req.base().end()) mode = it->value();
        r.navigation = is_navigation(mode, header_value(req.base(), http::field::accept));
    }
    r.keep_alive = req.keep_alive() && !c.svc->draining;
    to_origin_form(req);
    // Inside a tunnel only origin-form is a request for this host's resources: CONNECT (a tunnel
    // in a tunnel), OPTIONS * and authority-form would be forwarded to a sign-in origin that
    // the inspector cannot read them for. Refused here, not left to the origin.
    if (req.method() == http::verb::connect || !req.target().starts_with('/')) {
        co_return co_await refuse_request(c, req.base(), "bad-request-target",
                                          http::status::bad_request,
                                          "Bad request target: inside this tunnel only /path is "
                                          "served");
    }
    // An upgrade request (Connection names upgrade). After a 101 the proxy only relays bytes: an
    // upgrade to anything but WebSocket (h2c, TLS, whatever an origin might accept) would carry
    // requests on an inspected host that the inspector never reads; browsers upgrade these hosts
    // only to WebSocket (RFC 6455).
    r.upgrade =
        req.count(http::field::upgrade) > 0 &&
        header_value(req.base(), http::field::connection).find("pgrade") != std::string_view::npos;
    if (r.upgrade &&
        (req.count(http::field::upgrade) > 1 ||
         !iequals(trim(header_value(req.base(), http::field::upgrade)), "websocket"))) {
        co_return co_await refuse_request(c, req.base(), "upgrade-refused",
                                          http::status::bad_request,
                                          "Bad request: on this inspected host only WebSocket "
                                          "upgrades are relayed");
    }
    // RFC 6455 §4.1: a client sends nothing after its opening handshake until the 101. Bytes
    // already behind it (a request pipelined in the same write) would go to the origin raw
    // after a 101, unread and unjudged, to be read as HTTP by a front end that did not switch.
    if (r.upgrade && (r.streaming || c.cbuf.size() > 0)) {
        co_return co_await refuse_request(c, req.base(), "upgrade-refused",
                                          http::status::bad_request,
                                          "Bad request: bytes were sent behind an upgrade "
                                          "request before its answer");
    }
    // A request for another host on this connection would be inspected under one name and
    // answered by another: RFC 9110 §15.5.20 421 Misdirected Request.
    if (!names_connection(header_value(req.base(), http::field::host), c.host, c.port)) {
        co_return co_await refuse_request(
            c, req.base(), "misdirected", http::status::misdirected_request,
            "Misdirected request: Host does not match the TLS server name and port");
    }
    // Hop-by-hop fields go before inspection, so the request judged is the request forwarded
    // (a field Connection names cannot vanish after the inspector read it).
    strip_hop_by_hop(req.base(), r.upgrade);
    req.erase(http::field::expect);  // answered in read_request
    auto user = request_user(c.svc->who, req.base(), c.client_ip, c.corp, c.user_header);
    if (user.ignored) count(c.st.user_header_ignored);
    if (user.conflict) {
        co_return co_await refuse_request(c, req.base(), "identity-conflict",
                                          http::status::forbidden,
                                          "Forbidden: the request names another user than the "
                                          "one its tunnel was opened for");
    }
    r.corp = std::move(user.who);
    // The access portal's GET /user answer names its user (app/portal_users.hpp): asked for
    // unencoded, so the response observer can read it whatever encodings the browser accepts.
    if (req.method() == http::verb::get && core::is_access_portal_api_host(c.host) &&
        req.target().starts_with("/user"))
        req.erase(http::field::accept_encoding);
    if (r.upgrade) req.set(http::field::connection, "upgrade");
    co_return true;
}

// The hooks' view of the request as read (inspection.hpp). Its header list is c.headers's
// (capacity kept across requests): the caller swaps it back after the hook's call.
core::http_request_view request_view(bumped_connection& c, exchange& r) {
    auto& req = r.p.get();
    core::http_request_view view;
    view.method = req.method_string();
    view.target = req.target();
    view.host = header_value(req.base(), http::field::host);
    view.sni = c.sni;
    view.by_address = c.by_address;
    c.headers.clear();
    for (const auto& f : req.base()) c.headers.emplace_back(f.name_string(), f.value());
    view.headers.swap(c.headers);
    view.body = std::string_view(c.body).substr(0, c.o.max_inspect_body);
    view.body_truncated = r.streaming || c.body.size() > c.o.max_inspect_body;
    view.trailers = r.trailers;
    view.client = c.client_ip;
    view.corp = r.corp ? r.corp.get() : c.corp.get();
    view.time = std::chrono::system_clock::now();
    return view;
}

// The gateway's off-thread work before the request is judged (a fleet's session lookup,
// inspection.hpp waiting_hooks), waited for without blocking the worker. A hook that throws is
// logged and the request judged on what the gateway knows without it.
asio::awaitable<void> prepare_judgement(bumped_connection& c, exchange& r) {
    if (!c.svc->waits.before_judgement) co_return;
    pending work;
    {
        auto view = request_view(c, r);
        try {
            work = c.svc->waits.before_judgement(view);
        } catch (const std::exception& e) {
            log::write(log::level::error, "proxy", "pre-judgement hook failed",
                       {{"host", std::string(view.host)}, {"error", e.what()}});
        }
        view.headers.swap(c.headers);
    }
    if (work) co_await wait_for(std::move(work));
}

// The inspection hook's verdict on the request as read. An inspector that throws denies.
verdict judge(bumped_connection& c, exchange& r) {
    auto view = request_view(c, r);
    view.memo = &c.memo;
    verdict v;
    try {
        struct give_back {  // the header vector returns to `headers` however inspect ends
            header_list& from;
            header_list& to;
            ~give_back() { from.swap(to); }
        } back{view.headers, c.headers};
        v = c.svc->inspect(view);
    } catch (const std::exception& e) {
        // Fail closed (DESIGN.md): an inspector that cannot decide denies.
        log::write(log::level::error, "proxy", "inspection failed; request denied",
                   {{"host", std::string(view.host)}, {"error", e.what()}});
        v = verdict{};
        v.basis = verdict_basis::inspector_error;
    }
    return v;
}

// The block page for a denied request. True when the connection serves the next request.
asio::awaitable<bool> answer_deny(bumped_connection& c, exchange& r, const verdict& v) {
    count(c.st.requests_denied);
    // The unread rest of a streamed body would be parsed as the next request: close.
    bool keep = r.keep_alive && !r.streaming;
    const auto* who = r.corp ? r.corp.get() : c.corp.get();
    auto page = render_block_page(v, r.navigation, c.host, c.svc->shared.block_page,
                                  who ? std::string_view(who->user) : std::string_view());
    co_await write_rendered(c.client, page, keep, c.o.idle_timeout);
    if (!keep) {
        c.client.shutdown_now();
        co_return false;
    }
    co_return true;
}

// The request head (and the body read so far) as it goes upstream, into c.wire.
void prepare_upstream_request(bumped_connection& c, exchange& r) {
    auto& req = r.p.get();
    add_via(req.base());
    // Framing upstream: a complete body goes with its length; a streamed one keeps the client's
    // length, or is re-chunked (RFC 9112 §6.1: Transfer-Encoding is hop-by-hop).
    r.chunk_up = r.streaming && !r.had_length;
    if (r.chunk_up) {
        req.set(http::field::transfer_encoding, "chunked");
    } else if (!r.streaming && (r.had_length || r.had_chunked || !c.body.empty())) {
        req.content_length(c.body.size());
    } else if (r.had_length) {
        req.content_length(r.p.content_length());  // as read ("007" goes as "7")
    }
    c.wire.clear();
    append_head(c.wire, req);
    if (r.chunk_up) {
        if (!c.body.empty()) append_chunk(c.wire, c.body.data(), c.body.size());
    } else {
        c.wire.append(c.body);
    }
}

// An upstream connection in c.up: the one kept from this client's last request, a pooled one
// (first attempt only), or a fresh one. False with `failure` set when none could be opened.
asio::awaitable<bool> ensure_upstream(bumped_connection& c, int attempt, std::string& failure) {
    // Bytes the origin sent since its last response answer nothing we asked (finish_exchange).
    if (c.up.tls && !c.up.tls->quiet()) c.up.tls.reset();
    if (c.up.tls) co_return true;
    // The retry after a stale reused connection always opens a fresh one.
    failure =
        co_await take_or_open_upstream(c.svc, c.up, c.to_pool.key, c.host, c.port, attempt == 0);
    co_return failure.empty();
}

// Sends the request (streaming the rest of a long body) and reads the final response head into
// r.rpo. One retry on a reused keep-alive connection the origin closed meanwhile (never for a
// streamed body, which cannot be sent twice). False when the connection ends: after a 502 page,
// or when the client or origin went away mid-body.
asio::awaitable<bool> forward_request(bumped_connection& c, exchange& r) {
    std::string failure;
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (!co_await ensure_upstream(c, attempt, failure)) break;
        c.to_pool.clean = false;
        bool was_reused = c.up.reused;
        bool interim = false;  // the origin answered: never sent twice
        c.up.tls->expires_after(c.o.upstream_timeout);
        auto wec = co_await c.up.tls->write(asio::buffer(c.wire));
        if (!wec && r.streaming) {
            if (!co_await stream_body(c.client, c.cbuf, r.p, *c.up.tls, r.chunk_up,
                                      c.o.idle_timeout, c.wire)) {
                co_return false;  // the client or the origin went away mid-body
            }
        }
        if (!wec) {
            auto rec = co_await read_final_header(
                *c.up.tls, c.up.buf, r.rpo, c.head_store, c.header_limit,
                r.p.get().method() == http::verb::head, c.o.idle_timeout);
            // A 1xx is never the final answer (read_final_header skips eight interim ones): 101
            // only to an upgrade request, no other after them. Relayed as final, it would leave
            // the real answer to be read as the next request's.
            interim = !rec && r.rpo->status() / 100 == 1 && !(r.upgrade && r.rpo->status() == 101);
            if (!rec && !interim) {
                c.up.reused = true;
                co_return true;
            }
            failure = "reading the response of " + c.host + " failed: " +
                      (c.up.tls->timed_out() ? std::string("timed out")
                       : rec                 ? rec.message()
                                             : std::string("an interim response"));
        } else {
            failure = "sending the request to " + c.host + " failed: " + wec.message();
        }
        c.up.tls.reset();
        if (!was_reused || r.streaming || interim) break;
    }
    auto page = render_upstream_error(c.host, failure, r.navigation);
    co_await write_rendered(c.client, page, false, std::chrono::seconds(5));
    co_return false;
}

// A 101 to an upgrade request: the head, then both directions spliced until either side ends.
asio::awaitable<void> relay_upgrade(bumped_connection& c, exchange& r) {
    count(c.st.upgrades);
    c.wire.clear();
    r.rpo->append_head(c.wire, true, false, true, true);
    // Bytes the upstream sent right after the 101 must reach the client first.
    auto early = c.up.buf.data();
    c.wire.append(static_cast<const char*>(early.data()), early.size());
    c.up.buf.clear();
    c.client.expires_after(c.o.idle_timeout);
    if (co_await c.client.write(asio::buffer(c.wire))) co_return;
    if (c.cbuf.size() > 0) {
        c.up.tls->expires_after(c.o.idle_timeout);
        if (co_await c.up.tls->write(c.cbuf.data())) co_return;
        c.cbuf.clear();
    }
    // TLS on both sides: no half-close without close_notify games.
    co_await splice(c.client, *c.up.tls, c.o.idle_timeout, c.st, false);
}

// The service's response observer (when it has one) on the response head and, when it was
// buffered, its body; before the client sees a byte of it. An observer that throws is logged.
// A verdict that does not allow: the response is replaced by its block page (answer_blocked).
// `release`: the gateway's work before a response let through goes out (waiting_hooks), or empty.
std::optional<verdict> observe_response(bumped_connection& c, exchange& r, std::string_view body,
                                        bool complete, pending& release) {
    if (!c.svc->observe && !c.svc->waits.before_release) return std::nullopt;
    auto view = request_view(c, r);  // the request as judged: what sign-in the answer is to
    auto v = observe_upstream_response(*c.svc, view, r.rpo->status(), c.head_store, body, complete,
                                       release);
    view.headers.swap(c.headers);
    return v;
}

// The block page instead of the origin's response. The upstream connection serves again only
// when the response was read to its end. A failed write shows at the client's next read;
// finish_exchange closes a connection that is not kept alive.
asio::awaitable<bool> answer_blocked(bumped_connection& c, exchange& r, const verdict& v,
                                     bool response_read) {
    count(c.st.requests_denied);
    if (!response_read) r.upstream_keep = false;
    const auto* who = r.corp ? r.corp.get() : c.corp.get();
    auto page = render_block_page(v, r.navigation, c.host, c.svc->shared.block_page,
                                  who ? std::string_view(who->user) : std::string_view());
    co_await write_rendered(c.client, page, r.keep_alive, c.o.idle_timeout);
    co_return true;
}

// The response head and body to the client. False when either side failed.
asio::awaitable<bool> relay_response(bumped_connection& c, exchange& r) {
    auto& rp = *r.rpo;
    r.upstream_keep = rp.keep_alive();
    auto length = rp.content_length();
    c.wire.clear();
    bool chunk_down = append_response_head(c.wire, rp, r.keep_alive, true);
    if (!rp.is_done() && length && *length <= small_body) {
        // Small bodies (the console's API answers) go out with their header in one write.
        std::size_t at = c.wire.size();
        c.wire.resize(at + static_cast<std::size_t>(*length));
        rp.body_buffer(c.wire.data() + at, static_cast<std::size_t>(*length));
        c.up.tls->expires_after(c.o.idle_timeout);
        auto bec = co_await parse_from(*c.up.tls, c.up.buf, rp, false);
        if (bec == http::error::need_buffer) bec = {};
        if (bec || !rp.is_done()) {
            // Nothing has reached the client yet: it gets the upstream error (502), never an
            // empty close, when the origin resets or falls silent in the body.
            count(c.st.upstream_body_failures);
            const auto why = "reading the response of " + c.host + " failed: " +
                             (c.up.tls->timed_out() ? std::string("timed out")
                              : bec                 ? bec.message()
                                                    : std::string("the body ended early"));
            c.up.tls.reset();
            auto page = render_upstream_error(c.host, why, r.navigation);
            co_await write_rendered(c.client, page, false, std::chrono::seconds(5));
            co_return false;
        }
        pending release;
        if (auto v = observe_response(c, r, std::string_view(c.wire).substr(at), true, release)) {
            co_return co_await answer_blocked(c, r, *v, true);
        }
        if (release) co_await wait_for(std::move(release));
        c.client.expires_after(c.o.idle_timeout);
        co_return !co_await c.client.write(asio::buffer(c.wire));
    }
    pending release;
    if (auto v = observe_response(c, r, {}, rp.is_done(), release)) {
        co_return co_await answer_blocked(c, r, *v, rp.is_done());
    }
    if (release) co_await wait_for(std::move(release));
    c.client.expires_after(c.o.idle_timeout);
    if (co_await c.client.write(asio::buffer(c.wire))) co_return false;
    // An upstream failing mid-body cuts the client's connection short of the length or the last
    // chunk (finish_exchange is not reached): never a complete-looking response.
    bool upstream_failed = false;
    const bool ok = co_await stream_body(*c.up.tls, c.up.buf, rp, c.client, chunk_down,
                                         c.o.idle_timeout, c.wire, &upstream_failed);
    if (upstream_failed) count(c.st.upstream_body_failures);
    co_return ok;
}

// After a complete exchange: the upstream connection is kept for the next request (and the pool)
// or dropped, and the client connection stays open or is shut. True when it stays open.
bool finish_exchange(bumped_connection& c, const exchange& r) {
    // Responses pair with requests by order alone: bytes beyond this response (a body sent to a
    // HEAD or with a 204, a second response) would be read as the answer to the next request,
    // which was judged as another. Such a connection serves no further request.
    if (!r.upstream_keep || c.up.buf.size() > 0) {
        c.up.tls.reset();
    } else {
        c.up.tls->message_done();  // its next bytes answer our next request
    }
    c.to_pool.clean = c.up.tls != nullptr;
    if (!r.keep_alive) {
        c.client.shutdown_now();
        return false;
    }
    return true;
}

// RFC 6066 §3: a server "MUST NOT accept the request to resume the session if the server_name
// extension contains a different name". Every leaf shares one session cache and ticket key, so
// a session (or ticket) from a connection to one host resumed on another's without a
// certificate for it. The session ID context (OpenSSL compares it before resuming, session ID
// and ticket alike) is the host's digest: another host's session is a full handshake.
bool bind_sessions_to(tls_socket& tls, std::string_view host) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    static_assert(SSL_MAX_SID_CTX_LENGTH >= 32);
    return EVP_Digest(host.data(), host.size(), digest, &n, EVP_sha256(), nullptr) == 1 &&
           SSL_set_session_id_context(tls.native_handle(), digest, n) == 1;
}

asio::awaitable<void> serve_http(std::shared_ptr<service::impl> svc, tls_socket& client,
                                 connection_guard& guard, std::string host, std::uint16_t port,
                                 std::string sni, core::ip_address client_ip, shared_identity corp,
                                 bump_terms terms) {
    bumped_connection c(std::move(svc), client, guard, std::move(host), port, std::move(sni),
                        client_ip, std::move(corp), terms);
    std::unique_ptr<std::optional<exchange>> slot;  // not in this frame: 456 B less idle
    for (int served = 0;; ++served) {
        if (slot) slot->reset();  // the last request's parser and response, before the wait
        if (!co_await wait_for_request(c, served)) co_return;
        exchange& r = (slot ? slot : slot = std::make_unique<std::optional<exchange>>())->emplace();
        if (!co_await read_request(c, r)) co_return;
        if (!co_await check_request(c, r)) co_return;
        co_await prepare_judgement(c, r);
        verdict v = judge(c, r);
        if (!v.allows()) {
            if (co_await answer_deny(c, r, v)) continue;
            co_return;
        }
        // RFC 9112 §3.2: more than one Host is a 400. Servers differ in the one they read (a
        // front end could route to another name than the one judged), so such a request is
        // never forwarded; it is judged first, as read with both, so a sign-in request naming
        // two hosts is recorded as the attempt it is (the inspector denies it as unparsable).
        if (r.p.get().count(http::field::host) > 1) {
            co_await refuse_request(c, r.p.get().base(), "duplicate-host",
                                    http::status::bad_request,
                                    "Bad request: more than one Host field");
            co_return;
        }
        prepare_upstream_request(c, r);
        if (!co_await forward_request(c, r)) co_return;
        if (r.upgrade && r.rpo->status() == 101) {
            co_await relay_upgrade(c, r);
            co_return;
        }
        if (!co_await relay_response(c, r)) co_return;
        if (!finish_exchange(c, r)) co_return;
    }
}

}  // namespace

asio::awaitable<void> bump(std::shared_ptr<service::impl> svc, client_stream& stream,
                           beast::flat_buffer hello_bytes, std::string host, std::uint16_t port,
                           std::string sni, core::ip_address client_ip, shared_identity corp,
                           bump_terms terms) {
    auto& st = svc->counters();
    auto& minter = *svc->shared.minter;
    auto leaf = minter.get(host);
    if (!leaf) {
        co_await send_alert(*stream, alert_internal_error);
        co_return;
    }
    tls_socket tls(stream->release_socket(), svc->shared.server_ctx->native_handle(), svc->sweeper);
    stream.reset();
    connection_guard guard(*svc, [&tls] { tls.close(); });
    if (!tls.use_certificate(leaf.get(), minter.leaf_key(), minter.ca_cert())) co_return;
    if (!bind_sessions_to(tls, host)) co_return;
    tls.replay(hello_bytes.data());
    hello_bytes = beast::flat_buffer();  // this frame lives as long as the connection: 4 KiB
    tls.expires_after(svc->opts->handshake_timeout);
    auto ec = co_await tls.handshake(true);
    if (ec) {
        count(tls.timed_out() ? st.timeouts : st.client_handshake_failures);
        co_return;
    }
    count(st.bumped);
    co_await (negotiated_h2(tls) ? serve_h2 : serve_http)(
        svc, tls, guard, std::move(host), port, std::move(sni), client_ip, std::move(corp), terms);
}

}  // namespace consolegate::proxy
