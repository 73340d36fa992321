// nghttp2's server session (Debian's libnghttp2, 1.52 with its security fixes): HTTP messaging
// checks on (nghttp2 refuses malformed pseudo-headers, connection-specific fields, a
// Content-Length the DATA does not match, with a stream error), memory-send (no socket here),
// window updates by hand.
#include "h2_framing.hpp"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <unordered_map>

namespace consolegate::proxy {

namespace {

using clock = std::chrono::steady_clock;

// Frames of one kind counted per second; over `limit` in one second is a flood.
struct per_second {
    clock::time_point start{};
    std::uint32_t n = 0;
    bool over(std::uint32_t limit, clock::time_point now) {
        if (now - start >= std::chrono::seconds(1)) start = now, n = 0;
        return ++n > limit;
    }
};

struct session_free {
    void operator()(nghttp2_session* s) const noexcept { nghttp2_session_del(s); }
};

}  // namespace

struct h2_framing::impl {
    h2_limits limits;
    events& ev;
    std::unique_ptr<nghttp2_session, session_free> session;
    std::unordered_map<std::int32_t, std::shared_ptr<h2_stream>> streams;
    std::uint64_t buffered = 0;  // body bytes in every stream's `body`
    per_second settings, pings, resets;
    flood flooded = flood::none;

    impl(const h2_limits& l, events& e) : limits(l), ev(e) {}

    h2_stream* find(std::int32_t id) {
        auto it = streams.find(id);
        return it == streams.end() ? nullptr : it->second.get();
    }

    // Gives the window of `n` received bytes back (WINDOW_UPDATE when due).
    void consume(h2_stream& s, std::size_t n) {
        n = std::min(n, s.unconsumed);
        if (n == 0) return;
        s.unconsumed -= n;
        nghttp2_session_consume(session.get(), s.id, n);
    }

    void count_flood(const nghttp2_frame& f) {
        const auto now = clock::now();
        const bool ack = (f.hd.flags & NGHTTP2_FLAG_ACK) != 0;
        if (f.hd.type == NGHTTP2_SETTINGS && !ack && settings.over(limits.settings_per_second, now))
            flooded = flood::settings;
        if (f.hd.type == NGHTTP2_PING && !ack && pings.over(limits.pings_per_second, now))
            flooded = flood::ping;
        if (f.hd.type == NGHTTP2_RST_STREAM && resets.over(limits.resets_per_second, now))
            flooded = flood::reset;
    }
};

namespace {

h2_framing::impl& self(void* user) {
    return *static_cast<h2_framing::impl*>(user);
}

int on_begin_headers(nghttp2_session* session, const nghttp2_frame* frame, void* user) {
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    auto& m = self(user);
    auto s = std::make_shared<h2_stream>();
    s->id = frame->hd.stream_id;
    m.streams.emplace(s->id, s);
    nghttp2_session_set_stream_user_data(session, s->id, s.get());
    return 0;
}

int on_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name,
              std::size_t namelen, const std::uint8_t* value, std::size_t valuelen, std::uint8_t,
              void* user) {
    auto& m = self(user);
    auto* s = m.find(frame->hd.stream_id);
    // Trailers (a second header block, RFC 9113 §8.1) count against the same limit: the
    // session adds them to the request as Beast adds chunked trailers on HTTP/1.1.
    if (!s || s->header_too_large) return 0;
    const bool trailer = frame->headers.cat != NGHTTP2_HCAT_REQUEST;
    s->header_bytes += namelen + valuelen + 32;
    if (s->header_bytes > m.limits.max_header_list_size) {
        s->header_too_large = true;  // answered 431 as on HTTP/1.1
        h2_fields().swap(s->fields);
        h2_fields().swap(s->trailers);
        return 0;
    }
    (trailer ? s->trailers : s->fields)
        .emplace_back(std::string(reinterpret_cast<const char*>(name), namelen),
                      std::string(reinterpret_cast<const char*>(value), valuelen));
    return 0;
}

// RFC 9113 §8.2.1: a field name that is not a lowercase token, or a value with CR, LF or NUL,
// makes the request malformed. nghttp2 drops such a regular field and serves the rest unless
// told otherwise: failing here resets the stream (PROTOCOL_ERROR), so a request is never served
// minus a field the client sent (fail closed, DESIGN.md).
int on_invalid_header(nghttp2_session*, const nghttp2_frame*, const std::uint8_t*, std::size_t,
                      const std::uint8_t*, std::size_t, std::uint8_t, void*) {
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
}

// Every stream error nghttp2's messaging checks raise ends in a RST_STREAM PROTOCOL_ERROR we did
// not ask for (some without on_invalid_frame_recv: DATA beyond Content-Length): its owner
// records the malformed request. The stream is still known here; it closes after the send.
int on_frame_send(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    if (frame->hd.type != NGHTTP2_RST_STREAM ||
        frame->rst_stream.error_code != NGHTTP2_PROTOCOL_ERROR)
        return 0;
    auto& m = self(user);
    if (auto* s = m.find(frame->hd.stream_id); s && !s->reset_by_owner) m.ev.on_malformed(*s);
    return 0;
}

int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    auto& m = self(user);
    m.count_flood(*frame);
    if (m.flooded != h2_framing::flood::none) return 0;
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
    auto it = m.streams.find(frame->hd.stream_id);
    if (it == m.streams.end()) return 0;
    auto& s = *it->second;
    const bool end = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    if (end) s.end_stream = true;
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
        m.ev.on_request(it->second);
    } else if (end) {
        m.ev.on_body(s);
    }
    return 0;
}

int on_data_chunk(nghttp2_session* session, std::uint8_t, std::int32_t id, const std::uint8_t* data,
                  std::size_t len, void* user) {
    auto& m = self(user);
    auto* s = m.find(id);
    if (!s || s->discard) {
        nghttp2_session_consume(session, id, len);
        return 0;
    }
    s->body.append(reinterpret_cast<const char*>(data), len);
    s->body_received += len;
    m.buffered += len;
    s->unconsumed += len;
    if (s->body_received <= m.limits.stream_prefix && m.buffered <= m.limits.body_budget)
        m.consume(*s, len);
    m.ev.on_body(*s);
    return 0;
}

int on_stream_close(nghttp2_session* session, std::int32_t id, std::uint32_t code, void* user) {
    auto& m = self(user);
    auto it = m.streams.find(id);
    if (it == m.streams.end()) return 0;
    auto keep = std::move(it->second);
    m.streams.erase(it);
    // Bytes held back count against the connection's window until given back.
    if (keep->unconsumed > 0) nghttp2_session_consume_connection(session, keep->unconsumed);
    keep->unconsumed = 0;
    keep->closed = true;
    keep->close_code = code;
    m.buffered -= keep->body.size();
    m.ev.on_close(*keep);
    return 0;
}

ssize_t read_body(nghttp2_session*, std::int32_t, std::uint8_t* buf, std::size_t length,
                  std::uint32_t* flags, nghttp2_data_source* source, void* user) {
    auto& s = *static_cast<h2_stream*>(source->ptr);
    const std::size_t avail = s.out.size() - s.out_pos;
    if (avail == 0 && !s.out_eof) {
        s.deferred = true;  // queue_body resumes it
        return NGHTTP2_ERR_DEFERRED;
    }
    const std::size_t n = std::min(length, avail);
    if (n > 0) std::memcpy(buf, s.out.data() + s.out_pos, n);
    s.out_pos += n;
    if (s.out_pos == s.out.size()) {
        s.out.clear();
        s.out_pos = 0;
        if (s.out_eof) *flags |= NGHTTP2_DATA_FLAG_EOF;
    }
    self(user).ev.on_drained(s);
    return static_cast<ssize_t>(n);
}

struct callbacks_free {
    void operator()(nghttp2_session_callbacks* c) const noexcept {
        nghttp2_session_callbacks_del(c);
    }
};
struct option_free {
    void operator()(nghttp2_option* o) const noexcept { nghttp2_option_del(o); }
};

}  // namespace

h2_framing::h2_framing(const h2_limits& limits, events& ev)
    : impl_(std::make_unique<impl>(limits, ev)) {
    nghttp2_session_callbacks* raw_cb = nullptr;
    if (nghttp2_session_callbacks_new(&raw_cb) != 0) throw std::bad_alloc();
    std::unique_ptr<nghttp2_session_callbacks, callbacks_free> cb(raw_cb);
    nghttp2_session_callbacks_set_on_begin_headers_callback(cb.get(), on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cb.get(), on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb.get(), on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb.get(), on_data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb.get(), on_stream_close);
    nghttp2_session_callbacks_set_on_invalid_header_callback(cb.get(), on_invalid_header);
    nghttp2_session_callbacks_set_on_frame_send_callback(cb.get(), on_frame_send);
    nghttp2_option* raw_opt = nullptr;
    if (nghttp2_option_new(&raw_opt) != 0) throw std::bad_alloc();
    std::unique_ptr<nghttp2_option, option_free> opt(raw_opt);
    nghttp2_option_set_no_auto_window_update(opt.get(), 1);
    nghttp2_option_set_no_closed_streams(opt.get(), 1);
    // Acknowledgements (SETTINGS, PING) queued and not yet sent: a peer that does not read is
    // flooding (nghttp2's own check; the per-second counts are ours).
    nghttp2_option_set_max_outbound_ack(opt.get(), 100);
    // nghttp2's token bucket (the Debian security fix for CVE-2023-44487) as a backstop with
    // twice our burst; our per-second count (count_flood) is the documented limit.
    nghttp2_option_set_stream_reset_rate_limit(opt.get(), 2ull * limits.resets_per_second,
                                               limits.resets_per_second);
    nghttp2_option_set_max_send_header_block_length(opt.get(), limits.max_send_header_block);
    nghttp2_session* raw = nullptr;
    if (nghttp2_session_server_new2(&raw, cb.get(), impl_.get(), opt.get()) != 0)
        throw std::bad_alloc();
    impl_->session.reset(raw);
    const nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, limits.max_concurrent_streams},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<std::uint32_t>(std::min<std::uint64_t>(
                                                    limits.max_header_list_size, UINT32_MAX))},
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
    };
    nghttp2_submit_settings(raw, NGHTTP2_FLAG_NONE, settings, std::size(settings));
    // The connection window: room for a few streams' bodies at once (streams keep 64 KiB each).
    nghttp2_session_set_local_window_size(raw, NGHTTP2_FLAG_NONE, 0, 1 << 20);
}

h2_framing::~h2_framing() = default;

bool h2_framing::receive(const char* data, std::size_t n) {
    auto* session = impl_->session.get();
    auto rv = nghttp2_session_mem_recv(session, reinterpret_cast<const std::uint8_t*>(data), n);
    if (impl_->flooded != flood::none) {
        nghttp2_session_terminate_session(session, NGHTTP2_ENHANCE_YOUR_CALM);
        return false;
    }
    if (rv < 0) {
        // A connection error (bad preface, a flood nghttp2 caught): GOAWAY, unless nghttp2
        // queued its own.
        if (rv != NGHTTP2_ERR_NOMEM)
            nghttp2_session_terminate_session(session, NGHTTP2_PROTOCOL_ERROR);
        return false;
    }
    return wants_read();
}

void h2_framing::take_output(std::string& out, std::size_t max) {
    auto* session = impl_->session.get();
    const std::size_t start = out.size();
    while (out.size() - start < max) {
        const std::uint8_t* data = nullptr;
        auto n = nghttp2_session_mem_send(session, &data);
        if (n <= 0) break;
        out.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
    }
}

bool h2_framing::wants_write() const {
    return nghttp2_session_want_write(impl_->session.get()) != 0;
}

bool h2_framing::wants_read() const {
    return nghttp2_session_want_read(impl_->session.get()) != 0;
}

h2_framing::flood h2_framing::flooded() const noexcept {
    return impl_->flooded;
}

std::size_t h2_framing::open_streams() const noexcept {
    return impl_->streams.size();
}

void h2_framing::respond(h2_stream& s, unsigned status,
                         const std::vector<std::pair<std::string, std::string>>& fields,
                         bool has_body) {
    if (s.closed || s.responded) return;
    s.responded = true;
    const std::string code = std::to_string(status);
    std::vector<nghttp2_nv> nv;
    nv.reserve(fields.size() + 1);
    auto add = [&nv](std::string_view name, std::string_view value) {
        nv.push_back({reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
                      reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(),
                      value.size(), NGHTTP2_NV_FLAG_NONE});
    };
    add(":status", code);
    for (const auto& [name, value] : fields) add(name, value);
    nghttp2_data_provider provider{};
    provider.source.ptr = &s;
    provider.read_callback = read_body;
    if (nghttp2_submit_response(impl_->session.get(), s.id, nv.data(), nv.size(),
                                has_body ? &provider : nullptr) != 0) {
        reset(s, internal_error);
    }
}

void h2_framing::queue_body(h2_stream& s, std::string_view data, bool eof) {
    if (s.closed) return;
    s.out.append(data);
    s.out_eof = s.out_eof || eof;
    if (s.deferred) {
        s.deferred = false;
        nghttp2_session_resume_data(impl_->session.get(), s.id);
    }
}

void h2_framing::reset(h2_stream& s, std::uint32_t code) {
    if (s.closed) return;
    s.reset_by_owner = true;
    nghttp2_submit_rst_stream(impl_->session.get(), NGHTTP2_FLAG_NONE, s.id, code);
}

void h2_framing::take_body(h2_stream& s, std::string& into) {
    into.append(s.body);
    impl_->buffered -= s.body.size();
    s.body.clear();
    if (!s.closed) impl_->consume(s, s.unconsumed);
}

void h2_framing::shutdown() {
    nghttp2_submit_shutdown_notice(impl_->session.get());
}

}  // namespace consolegate::proxy
