// proxy/h2_framing.cpp: nghttp2's server session as the proxy drives it, fed by frames written
// here byte by byte (HPACK by nghttp2's deflater) the way a misbehaving client would send them:
// requests and bodies reach the session, and the limits hold (header list size, concurrent
// streams, SETTINGS/PING/RST_STREAM floods closing with GOAWAY ENHANCE_YOUR_CALM).
#include "h2_framing.hpp"

#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include <map>
#include <string>
#include <vector>

namespace {

using consolegate::proxy::h2_fields;
using consolegate::proxy::h2_framing;
using consolegate::proxy::h2_limits;
using consolegate::proxy::h2_stream;

std::string frame(std::uint8_t type, std::uint8_t flags, std::uint32_t stream,
                  const std::string& payload) {
    std::string f;
    const auto n = payload.size();
    f += static_cast<char>(n >> 16), f += static_cast<char>(n >> 8), f += static_cast<char>(n);
    f += static_cast<char>(type), f += static_cast<char>(flags);
    for (int shift = 24; shift >= 0; shift -= 8) f += static_cast<char>(stream >> shift);
    return f + payload;
}

const std::string preface = std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") + frame(4, 0, 0, "");

struct hpack {
    nghttp2_hd_deflater* d = nullptr;
    hpack() { nghttp2_hd_deflate_new(&d, 4096); }
    ~hpack() { nghttp2_hd_deflate_del(d); }
    std::string block(const h2_fields& fields) {
        std::vector<nghttp2_nv> nv;
        for (const auto& [n, v] : fields) {
            nv.push_back({(std::uint8_t*)n.data(), (std::uint8_t*)v.data(), n.size(), v.size(),
                          NGHTTP2_NV_FLAG_NONE});
        }
        std::string out(nghttp2_hd_deflate_bound(d, nv.data(), nv.size()), '\0');
        auto n =
            nghttp2_hd_deflate_hd(d, (std::uint8_t*)out.data(), out.size(), nv.data(), nv.size());
        out.resize(n < 0 ? 0 : static_cast<std::size_t>(n));
        return out;
    }
};

h2_fields get(std::string path = "/") {
    return {{":method", "GET"},
            {":scheme", "https"},
            {":authority", "signin.aws.amazon.com"},
            {":path", path}};
}

std::string rst(std::uint32_t stream) {
    return frame(3, 0, stream, std::string("\0\0\0\x08", 4));
}

struct recorder : h2_framing::events {
    std::vector<std::shared_ptr<h2_stream>> requests;
    std::map<std::int32_t, int> bodies, closes;
    void on_request(std::shared_ptr<h2_stream> s) override { requests.push_back(std::move(s)); }
    void on_body(h2_stream& s) override { ++bodies[s.id]; }
    void on_close(h2_stream& s) override { closes[s.id] = static_cast<int>(s.close_code); }
    void on_drained(h2_stream&) override {}
    std::vector<std::string> malformed;  // the :path of each, "" when none came
    void on_malformed(h2_stream& s) override {
        std::string path;
        for (const auto& [n, v] : s.fields)
            if (n == ":path") path = v;
        malformed.push_back(path);
    }
};

// The frames the server sent: type and, for RST_STREAM and GOAWAY, the error code.
struct sent_frame {
    int type;
    std::uint32_t stream, code;
};
std::vector<sent_frame> parse(const std::string& out) {
    std::vector<sent_frame> frames;
    std::size_t at = 0;
    auto u32 = [&out](std::size_t i) {
        return (std::uint32_t(std::uint8_t(out[i])) << 24) |
               (std::uint32_t(std::uint8_t(out[i + 1])) << 16) |
               (std::uint32_t(std::uint8_t(out[i + 2])) << 8) | std::uint8_t(out[i + 3]);
    };
    while (at + 9 <= out.size()) {
        std::size_t len = (std::size_t(std::uint8_t(out[at])) << 16) |
                          (std::size_t(std::uint8_t(out[at + 1])) << 8) | std::uint8_t(out[at + 2]);
        sent_frame f{std::uint8_t(out[at + 3]), u32(at + 5) & 0x7fffffff, 0};
        if (f.type == 3 && len >= 4) f.code = u32(at + 9);
        if (f.type == 7 && len >= 8) f.code = u32(at + 13);
        frames.push_back(f);
        at += 9 + len;
    }
    return frames;
}

struct server {
    recorder ev;
    h2_framing frames;
    explicit server(h2_limits l = {}) : frames(l, ev) {}
    bool feed(const std::string& bytes) { return frames.receive(bytes.data(), bytes.size()); }
    std::vector<sent_frame> output() {
        std::string out;
        frames.take_output(out, 1 << 20);
        return parse(out);
    }
};

bool has(const std::vector<sent_frame>& f, int type, std::uint32_t code) {
    for (const auto& x : f) {
        if (x.type == type && x.code == code) return true;
    }
    return false;
}

TEST(h2_framing, a_request_and_its_body_reach_the_session) {
    server s;
    hpack h;
    auto fields = get("/authenticate");
    fields[0].second = "POST";
    fields.emplace_back("cookie", "a=1");
    fields.emplace_back("cookie", "b=2");
    fields.emplace_back("content-length", "5");
    ASSERT_TRUE(s.feed(preface + frame(1, 4, 1, h.block(fields)) + frame(0, 0, 1, "he")));
    ASSERT_EQ(s.ev.requests.size(), 1u);
    auto& st = *s.ev.requests[0];
    EXPECT_EQ(st.fields.size(), 7u);
    EXPECT_FALSE(st.end_stream);
    EXPECT_EQ(st.body, "he");
    ASSERT_TRUE(s.feed(frame(0, 1, 1, "llo")));
    EXPECT_TRUE(st.end_stream);
    std::string body;
    s.frames.take_body(st, body);
    EXPECT_EQ(body, "hello");
    s.frames.respond(st, 200, {{"content-type", "text/plain"}}, true);
    s.frames.queue_body(st, "ok", true);
    auto out = s.output();
    EXPECT_TRUE(has(out, 1, 0));  // HEADERS
    EXPECT_TRUE(has(out, 0, 0));  // DATA
    EXPECT_TRUE(st.closed);       // both sides ended
}

TEST(h2_framing, content_length_the_data_does_not_match_resets_the_stream) {
    server s;
    hpack h;
    auto fields = get("/authenticate");
    fields[0].second = "POST";
    fields.emplace_back("content-length", "10");
    s.feed(preface + frame(1, 4, 1, h.block(fields)) + frame(0, 1, 1, "short"));
    EXPECT_TRUE(has(s.output(), 3, NGHTTP2_PROTOCOL_ERROR));
    EXPECT_EQ(s.ev.closes[1], NGHTTP2_PROTOCOL_ERROR);
    EXPECT_EQ(s.ev.malformed, std::vector<std::string>{"/authenticate"});
    // DATA beyond the length (the rest a second request): reset and told as well.
    server l;
    hpack lh;
    fields.back().second = "3";
    l.feed(preface + frame(1, 4, 3, lh.block(fields)) + frame(0, 1, 3, "abcPOST /x HTTP/1.1"));
    EXPECT_TRUE(has(l.output(), 3, NGHTTP2_PROTOCOL_ERROR));
    EXPECT_EQ(l.ev.malformed.size(), 1u);
    // A reset the owner asks for is its own business: not told.
    server o;
    hpack oh;
    o.feed(preface + frame(1, 4, 5, oh.block(fields)));
    ASSERT_EQ(o.ev.requests.size(), 1u);
    o.frames.reset(*o.ev.requests[0], NGHTTP2_PROTOCOL_ERROR);
    EXPECT_TRUE(has(o.output(), 3, NGHTTP2_PROTOCOL_ERROR));
    EXPECT_TRUE(o.ev.malformed.empty());
}

// RFC 9113 §8.2.1: a field whose name is not a lowercase token, or whose value holds CR, LF or
// NUL, makes the request malformed. nghttp2 drops such a regular field and serves the rest by
// default; here the stream is reset as malformed, and its owner hears of it to record it. A
// value like "1\r\nhost: evil" never becomes a request the proxy serves minus what it said.
TEST(h2_framing, a_field_nghttp2_would_drop_makes_the_request_malformed) {
    const std::vector<std::pair<std::string, std::string>> bad = {{"x-a", "1\r\nhost: evil"},
                                                                  {"x-a", std::string("1\0", 2)},
                                                                  {"x a", "1"},
                                                                  {"x:a", "1"},
                                                                  {"x-a\r\nhost", "evil"},
                                                                  {"x-\x80", "1"}};
    for (const auto& [name, value] : bad) {
        server s;
        hpack h;
        auto fields = get("/switchrole");
        fields.emplace_back(name, value);
        s.feed(preface + frame(1, 5, 1, h.block(fields)));
        EXPECT_TRUE(s.ev.requests.empty()) << name;
        EXPECT_TRUE(has(s.output(), 3, NGHTTP2_PROTOCOL_ERROR)) << name;
        EXPECT_EQ(s.ev.malformed, std::vector<std::string>{"/switchrole"}) << name;
    }
    // The same in trailers: the stream is reset before its end is served.
    server s;
    hpack h;
    auto fields = get("/switchrole");
    fields[0].second = "POST";
    s.feed(preface + frame(1, 4, 1, h.block(fields)) + frame(0, 0, 1, "a=1"));
    ASSERT_EQ(s.ev.requests.size(), 1u);
    s.feed(frame(1, 5, 1, h.block({{"x-a", "1\nhost: evil"}})));
    EXPECT_FALSE(s.ev.requests[0]->end_stream);
    EXPECT_TRUE(has(s.output(), 3, NGHTTP2_PROTOCOL_ERROR));
    EXPECT_EQ(s.ev.closes[1], NGHTTP2_PROTOCOL_ERROR);
}

TEST(h2_framing, a_header_list_over_the_limit_is_marked_not_kept) {
    h2_limits l;
    l.max_header_list_size = 1024;
    server s(l);
    hpack h;
    auto fields = get();
    fields.emplace_back("cookie", std::string(2000, 'c'));
    s.feed(preface + frame(1, 5, 1, h.block(fields)));
    ASSERT_EQ(s.ev.requests.size(), 1u);
    EXPECT_TRUE(s.ev.requests[0]->header_too_large);
    EXPECT_TRUE(s.ev.requests[0]->fields.empty());
}

TEST(h2_framing, streams_over_the_concurrency_limit_are_refused) {
    h2_limits l;
    l.max_concurrent_streams = 2;
    hpack h;
    std::string streams;
    for (std::uint32_t id = 1; id <= 7; id += 2) streams += frame(1, 4, id, h.block(get()));
    {
        // Before the client acknowledged our SETTINGS (RFC 9113 §5.1.2): REFUSED_STREAM, which
        // a client may retry.
        server s(l);
        EXPECT_TRUE(s.feed(preface + streams));
        EXPECT_EQ(s.ev.requests.size(), 2u);
        EXPECT_TRUE(has(s.output(), 3, NGHTTP2_REFUSED_STREAM));
    }
    {
        // After: the client broke the limit it knew, a connection error.
        server s(l);
        hpack h2;
        std::string after;
        for (std::uint32_t id = 1; id <= 7; id += 2) after += frame(1, 4, id, h2.block(get()));
        s.feed(preface + frame(4, 1, 0, "") + after);
        EXPECT_EQ(s.ev.requests.size(), 2u);
        EXPECT_TRUE(has(s.output(), 7, NGHTTP2_PROTOCOL_ERROR));
        EXPECT_FALSE(s.frames.wants_read());  // the GOAWAY is out: the connection ends
    }
}

TEST(h2_framing, rapid_reset_closes_the_connection) {
    h2_limits l;
    l.resets_per_second = 10;
    server s(l);
    hpack h;
    std::string bytes = preface;
    for (std::uint32_t id = 1; id <= 2 * 15; id += 2)
        bytes += frame(1, 5, id, h.block(get())) + rst(id);
    EXPECT_FALSE(s.feed(bytes));
    EXPECT_EQ(s.frames.flooded(), h2_framing::flood::reset);
    EXPECT_TRUE(has(s.output(), 7, NGHTTP2_ENHANCE_YOUR_CALM));
    EXPECT_FALSE(s.frames.wants_read());
}

TEST(h2_framing, resets_under_the_limit_are_a_browser_cancelling) {
    h2_limits l;
    l.resets_per_second = 10;
    server s(l);
    hpack h;
    std::string bytes = preface;
    for (std::uint32_t id = 1; id <= 2 * 10; id += 2)
        bytes += frame(1, 5, id, h.block(get())) + rst(id);
    EXPECT_TRUE(s.feed(bytes));
    EXPECT_EQ(s.frames.flooded(), h2_framing::flood::none);
    EXPECT_EQ(s.ev.closes.size(), 10u);
}

TEST(h2_framing, ping_and_settings_floods_close_the_connection) {
    h2_limits l;
    l.pings_per_second = 5;
    l.settings_per_second = 5;
    {
        server s(l);
        std::string bytes = preface;
        for (int i = 0; i < 6; ++i) bytes += frame(6, 0, 0, std::string(8, char(i)));
        EXPECT_FALSE(s.feed(bytes));
        EXPECT_EQ(s.frames.flooded(), h2_framing::flood::ping);
        EXPECT_TRUE(has(s.output(), 7, NGHTTP2_ENHANCE_YOUR_CALM));
    }
    {
        server s(l);
        std::string bytes = preface;  // its SETTINGS is the first of six
        for (int i = 0; i < 5; ++i) bytes += frame(4, 0, 0, "");
        EXPECT_FALSE(s.feed(bytes));
        EXPECT_EQ(s.frames.flooded(), h2_framing::flood::settings);
        EXPECT_TRUE(has(s.output(), 7, NGHTTP2_ENHANCE_YOUR_CALM));
    }
}

TEST(h2_framing, garbage_instead_of_the_preface_ends_the_connection) {
    server s;
    EXPECT_FALSE(s.feed("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
}

}  // namespace
