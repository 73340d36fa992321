// One HTTP/2 stream's request, in the steps bumped_session.cpp's serve_http takes for an
// HTTP/1.1 one: read (the header block and the body up to the inspection cap), check, judge,
// answer a denial with the block page, or forward it upstream as HTTP/1.1 and relay the answer.
#include <boost/asio/steady_timer.hpp>

#include "block_page.hpp"
#include "consolegate/core/partition.hpp"
#include "consolegate/log/log.hpp"
#include "h2_connection.hpp"
#include "hook_wait.hpp"
#include "http_wire.hpp"

namespace consolegate::proxy {

namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

using clock = std::chrono::steady_clock;
using h2_header_list = std::vector<std::pair<std::string, std::string>>;
constexpr std::uint64_t small_body = 256 * 1024;    // buffered whole, as on HTTP/1.1
constexpr std::size_t queued_response = 64 * 1024;  // response bytes waiting for the client

}  // namespace

struct h2_exchange {
    h2_exchange(h2_connection& conn, std::shared_ptr<h2_stream> st)
        : c(conn),
          s(std::move(st)),
          signal(conn.client.socket().get_executor()),
          to_pool{*conn.svc, conn.host + ":" + std::to_string(conn.port), up} {
        c.exchanges[s->id] = this;
    }
    ~h2_exchange() {
        c.exchanges.erase(s->id);
        --c.running;
        c.done_signal.cancel();
        c.kick();
    }
    h2_exchange(const h2_exchange&) = delete;
    h2_exchange& operator=(const h2_exchange&) = delete;

    h2_connection& c;
    std::shared_ptr<h2_stream> s;
    asio::steady_timer signal;  // cancelled by wake_exchange
    http::request_header<> req;
    std::optional<std::uint64_t> content_length;
    std::string body;  // the inspected prefix (all of it unless streaming)
    bool streaming = false, navigation = false, head_request = false;
    bool trailers = false;  // the request ended with a trailing HEADERS block
    shared_identity corp;   // from the trusted user header; null: the connection's
    upstream_leg up;
    pool_return to_pool;  // after up: gives it back first
    std::string wire;
    response_head_store head_store;
    std::optional<upstream_response> rpo;
};

void wake_exchange(h2_exchange& x, bool abort) {
    if (abort && x.up.tls) x.up.tls->close();
    x.signal.cancel();
}

namespace {

// Waits for wake_exchange or the deadline; false when the deadline passed or the stream or the
// connection is gone.
asio::awaitable<bool> wait_woken(h2_exchange& x, clock::time_point deadline) {
    if (x.c.closing || x.s->closed) co_return false;
    x.signal.expires_at(deadline);
    co_await x.signal.async_wait(tok);
    co_return !x.c.closing && !x.s->closed && clock::now() < deadline;
}

const core::corp_identity* who(h2_exchange& x) {
    return x.corp ? x.corp.get() : x.c.corp.get();
}

// A rendered page (block page, error, refusal) as this stream's whole response.
void respond_rendered(h2_exchange& x, const rendered_response& r) {
    h2_header_list fields{{"content-type", r.content_type},
                          {"cache-control", "no-store"},
                          {"x-content-type-options", "nosniff"}};
    for (const auto& cookie : r.set_cookies) fields.emplace_back("set-cookie", cookie);
    fields.emplace_back("content-length", std::to_string(r.body.size()));
    // RFC 9110 §9.3.2: an answer to HEAD carries no content (a client takes DATA on it as a
    // malformed response and drops the stream): its length, but not its page.
    const bool head = x.req.method() == http::verb::head;
    x.c.frames.respond(*x.s, r.status, fields, !head);
    if (!head) x.c.frames.queue_body(*x.s, r.body, true);
    // The rest of the request body is not wanted: read and dropped, its window given back.
    x.s->discard = true;
    std::string dropped;
    x.c.frames.take_body(*x.s, dropped);
    x.c.kick();
}

// A request refused before it was judged: counted, reported (inspection.hpp), answered.
void refuse(h2_exchange& x, refusal_code reason, http::status status, std::string_view text) {
    count(x.c.st.bad_requests);
    refusal_view v{.reason = reason,
                   .host = x.c.host,
                   .sni = x.c.sni,
                   .status = static_cast<unsigned>(status)};
    if (auto h = header_value(x.req, http::field::host); !h.empty()) v.host = h;
    v.method = x.req.method_string();
    v.target = x.req.target();
    v.client = x.c.client_ip;
    v.corp = x.c.corp.get();
    report_refusal(*x.c.svc, v);
    rendered_response r;
    r.status = static_cast<unsigned>(status);
    r.content_type = "text/plain; charset=utf-8";
    r.body = std::string(text) + "\n";
    respond_rendered(x, r);
}

// The header block as the HTTP/1.1 request head, checked as check_request checks one on
// HTTP/1.1. False (after the refusal) when it is not served.
bool check_request(h2_exchange& x) {
    auto& c = x.c;
    count(c.st.requests);
    c.st.observe_header_bytes(x.s->header_bytes);
    if (x.s->header_too_large) {
        refuse(x, "unreadable-request", http::status::request_header_fields_too_large,
               "Request header fields too large");
        return false;
    }
    auto head = h2_to_http1(x.s->fields, x.req);
    h2_fields().swap(x.s->fields);
    if (!head.refusal.empty()) {
        refuse(x, head.refusal, http::status::bad_request,
               head.refusal == "bad-request-target"
                   ? "Bad request target: inside this tunnel only /path is served"
                   : "Malformed HTTP/2 request");
        return false;
    }
    x.content_length = head.content_length;
    if (!names_connection(header_value(x.req, http::field::host), c.host, c.port)) {
        refuse(x, "misdirected", http::status::misdirected_request,
               "Misdirected request: Host does not match the TLS server name and port");
        return false;
    }
    if (x.content_length && *x.content_length > c.o.max_request_body) {
        refuse(x, "unreadable-request", http::status::payload_too_large, "Payload too large");
        return false;
    }
    {
        auto it = x.req.find("Sec-Fetch-Mode");
        std::string_view mode;
        if (it != x.req.end()) mode = it->value();
        x.navigation = is_navigation(mode, header_value(x.req, http::field::accept));
    }
    x.head_request = x.req.method() == http::verb::head;
    strip_hop_by_hop(x.req, false);  // h2_to_http1 refused the connection-specific ones; TE
    x.req.erase(http::field::expect);
    auto user = request_user(c.svc->who, x.req, c.client_ip, c.corp, c.user_header);
    if (user.ignored) count(c.st.user_header_ignored);
    if (user.conflict) {
        refuse(x, "identity-conflict", http::status::forbidden,
               "Forbidden: the request names another user than the one its tunnel was opened for");
        return false;
    }
    x.corp = std::move(user.who);
    if (x.req.method() == http::verb::get && core::is_access_portal_api_host(c.host) &&
        x.req.target().starts_with("/user"))
        x.req.erase(http::field::accept_encoding);  // as bumped_session.cpp: the portal's user
    return true;
}

// The body up to the inspection cap: all of it when it ends before. False (after a refusal or
// with the stream gone) when the request is not served.
asio::awaitable<bool> read_prefix(h2_exchange& x) {
    auto& c = x.c;
    const auto deadline = clock::now() + c.o.idle_timeout;
    while (!x.s->end_stream && x.body.size() + x.s->body.size() <= c.o.max_inspect_body) {
        if (!co_await wait_woken(x, deadline)) {
            if (!x.s->closed && !c.closing) c.frames.reset(*x.s, h2_framing::cancel), c.kick();
            co_return false;
        }
    }
    c.frames.take_body(*x.s, x.body);
    c.kick();
    x.streaming = !x.s->end_stream;
    if (x.s->body_received > c.o.max_request_body) {
        refuse(x, "unreadable-request", http::status::payload_too_large, "Payload too large");
        co_return false;
    }
    if (x.s->header_too_large) {  // by its trailers
        refuse(x, "unreadable-request", http::status::request_header_fields_too_large,
               "Request header fields too large");
        co_return false;
    }
    // Trailers read before judgement join the fields, as Beast's parser adds chunked trailers
    // on HTTP/1.1: a field hidden there is judged too (corpus: hostile-host-in-trailer).
    // They go through what the head went through (prepare_head) before anything reads them: a
    // hop-by-hop field (Proxy-Authorization, TE), Expect or the trusted user header sent as a
    // trailer reached the origin. The user header is never believed from a trailer (as on
    // HTTP/1.1, where it is read with the head alone); nghttp2 refused pseudo-fields and the
    // connection-specific ones there already.
    if (!x.s->trailers.empty()) {
        x.trailers = true;
        for (const auto& [name, value] : x.s->trailers) x.req.insert(name, value);
        strip_hop_by_hop(x.req, false);
        x.req.erase(http::field::expect);
        strip_user_header(c.svc->who, x.req);
    }
    h2_fields().swap(x.s->trailers);
    if (!x.streaming && x.content_length && *x.content_length != x.s->body_received) {
        // RFC 9113 §8.1.1 (nghttp2 resets such a stream first; this is the check of record).
        refuse(x, "h2-content-length", http::status::bad_request, "Malformed HTTP/2 request");
        co_return false;
    }
    // Sent on over HTTP/1.1 with its length, a body an origin may end the request without
    // would be read there as the next request (http_wire.hpp).
    if (body_an_origin_may_ignore(x.req.method(),
                                  x.s->body_received > 0 || x.content_length.value_or(0) > 0)) {
        refuse(x, "ambiguous-framing", http::status::bad_request,
               "Bad request: its framing could be read two ways");
        co_return false;
    }
    co_return true;
}

// The hooks' view of the request, as request_view builds it on HTTP/1.1.
core::http_request_view request_view(h2_exchange& x) {
    core::http_request_view view;
    view.method = x.req.method_string();
    view.target = x.req.target();
    view.host = header_value(x.req, http::field::host);
    view.sni = x.c.sni;
    view.by_address = x.c.by_address;
    for (const auto& f : x.req) view.headers.emplace_back(f.name_string(), f.value());
    view.body = std::string_view(x.body).substr(0, x.c.o.max_inspect_body);
    view.body_truncated = x.streaming || x.body.size() > x.c.o.max_inspect_body;
    view.trailers = x.trailers;
    view.client = x.c.client_ip;
    view.corp = who(x);
    view.time = std::chrono::system_clock::now();
    return view;
}

// The gateway's off-thread work before the judgement (waiting_hooks), as on HTTP/1.1.
asio::awaitable<void> prepare_judgement(h2_exchange& x) {
    if (!x.c.svc->waits.before_judgement) co_return;
    pending work;
    {
        auto view = request_view(x);
        try {
            work = x.c.svc->waits.before_judgement(view);
        } catch (const std::exception& e) {
            log::write(log::level::error, "proxy", "pre-judgement hook failed",
                       {{"host", std::string(view.host)}, {"error", e.what()}});
        }
    }
    if (work) co_await wait_for(std::move(work));
}

// The inspection hook's verdict. An inspector that throws denies (fail closed, DESIGN.md).
verdict judge(h2_exchange& x) {
    auto view = request_view(x);
    view.memo = &x.c.memo;
    try {
        return x.c.svc->inspect(view);
    } catch (const std::exception& e) {
        log::write(log::level::error, "proxy", "inspection failed; request denied",
                   {{"host", std::string(view.host)}, {"error", e.what()}});
        verdict v;
        v.basis = verdict_basis::inspector_error;
        return v;
    }
}

void answer_blocked(h2_exchange& x, const verdict& v) {
    count(x.c.st.requests_denied);
    const auto* user = who(x);
    respond_rendered(x,
                     render_block_page(v, x.navigation, x.c.host, x.c.svc->shared.block_page,
                                       user ? std::string_view(user->user) : std::string_view()));
}

// The request head and the body read so far as they go upstream, into x.wire. A streamed body
// keeps the client's length, or is chunked upstream (RFC 9112 §6.1).
bool prepare_upstream_request(h2_exchange& x) {
    add_via(x.req);
    const bool chunk_up = x.streaming && !x.content_length;
    if (chunk_up) {
        x.req.set(http::field::transfer_encoding, "chunked");
    } else if (!x.streaming && (x.content_length || !x.body.empty() || x.s->body_received > 0)) {
        x.req.set(http::field::content_length, std::to_string(x.body.size()));
    } else if (x.content_length) {
        x.req.set(http::field::content_length, std::to_string(*x.content_length));  // as read
    }
    x.wire.clear();
    append_head(x.wire, x.req);
    if (chunk_up) {
        if (!x.body.empty()) append_chunk(x.wire, x.body.data(), x.body.size());
    } else {
        x.wire.append(x.body);
    }
    return chunk_up;
}

// The rest of a streamed body, as the client sends it. False when either side failed or the
// body broke its bounds (the stream is reset then).
asio::awaitable<bool> stream_request_body(h2_exchange& x, bool chunk_up) {
    auto& c = x.c;
    std::string piece;
    for (;;) {
        auto deadline = clock::now() + c.o.idle_timeout;
        while (x.s->body.empty() && !x.s->end_stream) {
            if (!co_await wait_woken(x, deadline)) co_return false;
        }
        piece.clear();
        c.frames.take_body(*x.s, piece);
        c.kick();
        if (x.s->body_received > c.o.max_request_body ||
            (x.content_length && x.s->body_received > *x.content_length) ||
            (x.s->end_stream && x.content_length && x.s->body_received != *x.content_length)) {
            c.frames.reset(*x.s, h2_framing::protocol_error);
            count(c.st.bad_requests);
            co_return false;
        }
        x.wire.clear();
        if (chunk_up) {
            if (!piece.empty()) append_chunk(x.wire, piece.data(), piece.size());
            if (x.s->end_stream) x.wire.append(last_chunk);
        } else {
            x.wire = piece;
        }
        x.up.tls->expires_after(c.o.idle_timeout);
        if (co_await x.up.tls->write(asio::buffer(x.wire))) co_return false;
        if (x.s->end_stream) co_return true;
    }
}

// An upstream connection in x.up: pooled (first attempt only) or fresh. False with `failure`
// set when none could be opened.
asio::awaitable<bool> ensure_upstream(h2_exchange& x, int attempt, std::string& failure) {
    failure = co_await take_or_open_upstream(x.c.svc, x.up, x.to_pool.key, x.c.host, x.c.port,
                                             attempt == 0);
    co_return failure.empty() && !x.s->closed && !x.c.closing;
}

void answer_upstream_error(h2_exchange& x, std::string_view failure) {
    respond_rendered(x, render_upstream_error(x.c.host, failure, x.navigation));
}

// Sends the request and reads the final response head into x.rpo, with forward_request's one
// retry on a reused connection the origin closed (never for a streamed body). False when the
// exchange ends (after a 502, or with the stream or a side gone).
asio::awaitable<bool> forward_request(h2_exchange& x) {
    auto& c = x.c;
    const bool chunk_up = prepare_upstream_request(x);
    std::string failure;
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (!co_await ensure_upstream(x, attempt, failure)) break;
        const bool was_reused = x.up.reused;
        bool interim = false;  // the origin answered: never sent twice
        x.up.tls->expires_after(c.o.upstream_timeout);
        auto wec = co_await x.up.tls->write(asio::buffer(x.wire));
        if (!wec && x.streaming && !co_await stream_request_body(x, chunk_up)) {
            x.up.tls.reset();
            co_return false;
        }
        if (!wec) {
            auto rec =
                co_await read_final_header(*x.up.tls, x.up.buf, x.rpo, x.head_store,
                                           static_cast<std::uint32_t>(std::min<std::uint64_t>(
                                               c.o.max_header_bytes, UINT32_MAX)),
                                           x.head_request, c.o.idle_timeout);
            interim = !rec && x.rpo->status() / 100 == 1;
            if (!rec && !interim) co_return true;
            failure = "reading the response of " + c.host + " failed: " +
                      (x.up.tls->timed_out() ? std::string("timed out")
                       : rec                 ? rec.message()
                                             : std::string("an interim response"));
        } else {
            failure = "sending the request to " + c.host + " failed: " + wec.message();
        }
        x.up.tls.reset();
        if (!was_reused || x.streaming || interim || x.s->closed || c.closing) break;
    }
    if (!x.s->closed && !c.closing) answer_upstream_error(x, failure);
    co_return false;
}

// The response head for the client as HTTP/2 fields (RFC 9113 §8.2.2): what
// upstream_response::append_head forwards on HTTP/1.1, names in lower case, without the
// connection-specific fields, the fields Connection names, and Alt-Svc (this host is inspected).
h2_header_list response_fields(const h2_exchange& x) {
    const auto& st = x.head_store;
    auto text = [&st](std::uint32_t at, std::uint32_t len) {
        return std::string_view(st.bytes).substr(at, len);
    };
    connection_options named(false);
    for (const auto& f : st.fields) {
        if (f.name == http::field::connection) named.add(text(f.value_at, f.value_len));
    }
    h2_header_list out;
    std::string via;
    for (const auto& f : st.fields) {
        auto name = text(f.name_at, f.name_len);
        if (f.name == http::field::via) {
            via.append(text(f.value_at, f.value_len)).append(", ");
            continue;
        }
        if (always_hop_by_hop(f.name, false) || named.names(f.name, name) ||
            f.name == http::field::alt_svc || f.name == http::field::keep_alive)
            continue;
        std::string lower(name);
        for (auto& ch : lower)
            ch = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
        out.emplace_back(std::move(lower), std::string(text(f.value_at, f.value_len)));
    }
    out.emplace_back("via", via.append(via_token));
    return out;
}

// The service's response observer and pre-release hook, as observe_response on HTTP/1.1. A
// verdict that does not allow replaces the response (answer_blocked).
std::optional<verdict> observe_response(h2_exchange& x, std::string_view body, bool complete,
                                        pending& release) {
    auto& svc = *x.c.svc;
    if (!svc.observe && !svc.waits.before_release) return std::nullopt;
    return observe_upstream_response(svc, request_view(x), x.rpo->status(), x.head_store, body,
                                     complete, release);
}

// Reads the rest of the response body into the stream as the client takes it (at most
// queued_response bytes wait). False when either side failed.
asio::awaitable<bool> relay_body(h2_exchange& x) {
    auto& c = x.c;
    auto& rp = *x.rpo;
    std::array<char, 16 * 1024> buf;
    while (!rp.is_done()) {
        auto deadline = clock::now() + c.o.idle_timeout;
        while (x.s->out.size() - x.s->out_pos >= queued_response) {
            if (!co_await wait_woken(x, deadline)) co_return false;
        }
        rp.body_buffer(buf.data(), buf.size());
        x.up.tls->expires_after(c.o.idle_timeout);
        auto ec = co_await parse_from(*x.up.tls, x.up.buf, rp, false);
        if (ec == http::error::need_buffer) ec = {};
        if (x.s->closed || c.closing) co_return false;
        if (ec) {
            // Cut short: the client sees a reset stream, never a complete-looking response.
            count(c.st.upstream_body_failures);
            c.frames.reset(*x.s, h2_framing::internal_error);
            c.kick();
            co_return false;
        }
        c.frames.queue_body(*x.s, std::string_view(buf.data(), buf.size() - rp.body_space()),
                            rp.is_done());
        c.kick();
    }
    co_return true;
}

// The response to the client: small bodies read whole first (the observer sees them), larger
// ones streamed. False when the upstream connection cannot serve again.
asio::awaitable<bool> relay_response(h2_exchange& x) {
    auto& c = x.c;
    auto& rp = *x.rpo;
    auto length = rp.content_length();
    std::string_view body;
    bool whole = rp.is_done();
    if (!rp.is_done() && length && *length <= small_body) {
        x.wire.resize(static_cast<std::size_t>(*length));
        rp.body_buffer(x.wire.data(), x.wire.size());
        x.up.tls->expires_after(c.o.idle_timeout);
        auto bec = co_await parse_from(*x.up.tls, x.up.buf, rp, false);
        if (bec == http::error::need_buffer) bec = {};
        if (x.s->closed || c.closing) co_return false;
        if (bec || !rp.is_done()) {
            count(c.st.upstream_body_failures);
            answer_upstream_error(x, "reading the response of " + c.host + " failed: " +
                                         (x.up.tls->timed_out() ? std::string("timed out")
                                          : bec                 ? bec.message()
                                                : std::string("the body ended early")));
            co_return false;
        }
        body = x.wire;
        whole = true;
    }
    pending release;
    if (auto v = observe_response(x, body, whole, release)) {
        answer_blocked(x, *v);
        co_return rp.is_done();
    }
    if (release) co_await wait_for(std::move(release));
    if (x.s->closed || c.closing) co_return false;
    const bool has_body = !x.head_request && (!rp.is_done() || !body.empty());
    c.frames.respond(*x.s, rp.status(), response_fields(x), has_body);
    if (has_body) c.frames.queue_body(*x.s, body, rp.is_done());
    c.kick();
    if (rp.is_done()) co_return true;
    co_return co_await relay_body(x);
}

asio::awaitable<void> serve_exchange(h2_exchange& x) {
    auto& c = x.c;
    if (!check_request(x)) co_return;
    if (!co_await read_prefix(x)) co_return;
    co_await prepare_judgement(x);
    if (x.s->closed || c.closing) co_return;
    verdict v = judge(x);
    if (!v.allows()) {
        answer_blocked(x, v);
        co_return;
    }
    if (!co_await forward_request(x)) co_return;
    const bool complete = co_await relay_response(x);
    // The upstream connection serves again (the pool) only after a complete exchange.
    x.to_pool.clean = complete && x.rpo->keep_alive() && x.up.tls && x.up.buf.size() == 0;
    if (x.to_pool.clean) x.up.tls->message_done();
}

}  // namespace

asio::awaitable<void> run_exchange(h2_connection& c, std::shared_ptr<h2_stream> s) {
    h2_exchange x(c, std::move(s));
    try {
        co_await serve_exchange(x);
    } catch (const std::exception& e) {
        // Exhaustion or a bug: this stream alone ends (STYLE.md point 8).
        log::write(log::level::error, "proxy", "HTTP/2 stream failed",
                   {{"host", c.host}, {"error", e.what()}});
        c.frames.reset(*x.s, h2_framing::internal_error);
    }
}

}  // namespace consolegate::proxy
