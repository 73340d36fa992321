// upstream_response: what an origin's head becomes on the client leg, and the body it hands over.
#include "upstream_response.hpp"

#include <gtest/gtest.h>

#include <boost/beast/http/error.hpp>
#include <string>
#include <string_view>

namespace consolegate::proxy {
namespace {

namespace http = boost::beast::http;

struct parsed {
    std::string head;  // append_head's output
    std::string body;  // every body byte the parser handed over
    bool done = false;
    bool keep_alive = false;
    bool has_length = false;
    boost::system::error_code ec;
};

struct flags {
    bool keep_alive = true, chunked = false, upgrade = false, inspected = false;
};

// Feeds `wire` whole (header) and then in body buffers of `chunk` bytes.
parsed parse(std::string_view wire, flags f = {}, std::size_t chunk = 4) {
    response_head_store store;
    upstream_response p(store);
    p.eager(true);
    parsed r;
    std::string buf(chunk, '\0');
    p.body_buffer(buf.data(), buf.size());
    std::size_t at = 0;
    for (int i = 0; i < 1000 && !p.is_done(); ++i) {
        at += p.put(boost::asio::buffer(wire.data() + at, wire.size() - at), r.ec);
        r.body.append(buf.data(), buf.size() - p.body_space());
        p.body_buffer(buf.data(), buf.size());
        if (r.ec == http::error::need_buffer) {
            r.ec = {};
            continue;
        }
        if (r.ec) break;
        if (at == wire.size()) break;
    }
    r.done = p.is_done();
    if (p.is_header_done()) {
        r.keep_alive = p.keep_alive();
        r.has_length = p.content_length().has_value();
        p.append_head(r.head, f.keep_alive, f.chunked, f.upgrade, f.inspected);
    }
    return r;
}

TEST(upstream_response, hop_by_hop_fields_and_the_ones_connection_names_are_removed) {
    auto r = parse(
        "HTTP/1.1 200 OK\r\n"
        "Content-Length: 5\r\n"
        "Keep-Alive: timeout=5\r\n"
        "Connection: keep-alive, X-Foo\r\n"
        "Connection: x-other\r\n"
        "X-Foo: a\r\n"
        "x-foo: b\r\n"
        "X-Other: c\r\n"
        "Proxy-Authenticate: Basic\r\n"
        "Trailer: X-T\r\n"
        "Server: origin\r\n"
        "Set-Cookie: a=1\r\n"
        "Set-Cookie: b=2\r\n"
        "\r\n"
        "hello");
    ASSERT_FALSE(r.ec) << r.ec.message();
    EXPECT_TRUE(r.done);
    EXPECT_TRUE(r.keep_alive);
    EXPECT_EQ(r.body, "hello");
    EXPECT_EQ(r.head,
              "HTTP/1.1 200 OK\r\n"
              "Content-Length: 5\r\n"
              "Server: origin\r\n"
              "Set-Cookie: a=1\r\n"
              "Set-Cookie: b=2\r\n"
              "Via: 1.1 consolegate\r\n"
              "\r\n");
}

// RFC 7838: Alt-Svc would send the browser to HTTP/3 (UDP) or another authority, around the
// proxy; an inspected host's answer never carries it. Other hosts' answers are untouched.
TEST(upstream_response, alt_svc_is_dropped_from_inspected_hosts_answers) {
    constexpr std::string_view wire =
        "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nAlt-Svc: h3=\":443\"; ma=86400\r\n"
        "alt-svc: h2=\"alt.example.net:443\"\r\nX-A: 1\r\n\r\n";
    flags inspected;
    inspected.inspected = true;
    auto r = parse(wire, inspected);
    ASSERT_FALSE(r.ec) << r.ec.message();
    EXPECT_EQ(r.head.find("lt-", 0), std::string::npos) << r.head;
    EXPECT_NE(r.head.find("X-A: 1"), std::string::npos) << r.head;
    r = parse(wire);
    EXPECT_NE(r.head.find("Alt-Svc: h3"), std::string::npos) << r.head;
    EXPECT_NE(r.head.find("alt-svc: h2"), std::string::npos) << r.head;
}

TEST(upstream_response, connection_cannot_remove_the_body_framing) {
    auto r = parse(
        "HTTP/1.1 200 OK\r\nConnection: Content-Length, X-A\r\nContent-Length: 2\r\n"
        "X-A: 1\r\n\r\nok");
    ASSERT_FALSE(r.ec) << r.ec.message();
    EXPECT_EQ(r.head, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nVia: 1.1 consolegate\r\n\r\n");
}

TEST(upstream_response, our_keep_alive_choice_and_chunking_are_written) {
    auto r = parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                   {.keep_alive = false, .chunked = true});
    ASSERT_FALSE(r.ec) << r.ec.message();
    EXPECT_TRUE(r.done);
    EXPECT_FALSE(r.has_length);
    EXPECT_EQ(r.body, "hello");  // de-chunked: the session re-chunks what it forwards
    EXPECT_EQ(r.head,
              "HTTP/1.1 200 OK\r\n"
              "Via: 1.1 consolegate\r\n"
              "Connection: close\r\n"
              "Transfer-Encoding: chunked\r\n"
              "\r\n");
}

TEST(upstream_response, a_rechunked_head_never_carries_a_length_too) {
    auto r = parse("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", {.chunked = true});
    ASSERT_FALSE(r.ec) << r.ec.message();
    EXPECT_EQ(r.head.find("Content-Length"), std::string::npos) << r.head;
}

TEST(upstream_response, via_values_are_joined_with_ours_last) {
    auto r =
        parse("HTTP/1.1 204 No Content\r\nVia: 1.0 first\r\nDate: x\r\nvia: 1.1 second\r\n\r\n");
    ASSERT_FALSE(r.ec) << r.ec.message();
    EXPECT_EQ(r.head,
              "HTTP/1.1 204 No Content\r\n"
              "Date: x\r\n"
              "Via: 1.0 first, 1.1 second, 1.1 consolegate\r\n"
              "\r\n");
}

TEST(upstream_response, a_101_keeps_upgrade_and_says_connection_upgrade) {
    auto r = parse(
        "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
        {.upgrade = true});
    ASSERT_FALSE(r.ec) << r.ec.message();
    EXPECT_EQ(r.head,
              "HTTP/1.1 101 Switching Protocols\r\n"
              "Upgrade: websocket\r\n"
              "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
              "Via: 1.1 consolegate\r\n"
              "Connection: upgrade\r\n"
              "\r\n");
    // Without an upgrade exchange Upgrade is hop-by-hop like the rest.
    auto plain = parse("HTTP/1.1 200 OK\r\nUpgrade: h2c\r\nContent-Length: 0\r\n\r\n");
    EXPECT_EQ(plain.head.find("Upgrade"), std::string::npos) << plain.head;
}

TEST(upstream_response, an_http_1_0_answer_goes_out_as_1_1_with_its_default_reason) {
    auto r = parse("HTTP/1.0 404 \r\nContent-Length: 2\r\n\r\nno", {.keep_alive = false});
    ASSERT_FALSE(r.ec) << r.ec.message();
    EXPECT_FALSE(r.keep_alive);  // what the session reads to drop the upstream connection
    EXPECT_EQ(r.body, "no");
    EXPECT_EQ(r.head.substr(0, r.head.find("\r\n")), "HTTP/1.1 404 Not Found");
}

TEST(upstream_response, a_full_body_buffer_stops_the_parser_until_the_next_one) {
    auto r =
        parse("HTTP/1.1 200 OK\r\nContent-Length: 26\r\n\r\nabcdefghijklmnopqrstuvwxyz", {}, 3);
    ASSERT_FALSE(r.ec) << r.ec.message();
    EXPECT_TRUE(r.done);
    EXPECT_EQ(r.body, "abcdefghijklmnopqrstuvwxyz");
}

TEST(upstream_response, malformed_heads_are_errors_not_output) {
    for (std::string_view bad :
         {"HTTP/1.1 2000 OK\r\n\r\n", "HTTP/1.1 200 OK\r\nBad Field: x\r\n\r\n",
          "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
          "HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n"}) {
        auto r = parse(bad);
        EXPECT_TRUE(r.ec) << bad;
        EXPECT_EQ(r.head, "") << bad;
    }
}

}  // namespace
}  // namespace consolegate::proxy
