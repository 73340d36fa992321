// The HTTP/1.1 wire helpers without sockets: beast::test::stream forces partial reads (read_size)
// and fails the n-th operation (test::fail_count), so framing is proven at every split point.
#include "http_wire.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/_experimental/test/fail_count.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http/string_body.hpp>
#include <exception>
#include <iterator>
#include <memory>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "consolegate/core/corp_identity.hpp"
#include "consolegate/proxy/identification.hpp"

namespace consolegate::proxy {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using beast::test::fail_count;
using beast::test::stream;

// Runs one coroutine to completion on `ioc`; rethrows what it threw.
template <class T>
T run(asio::io_context& ioc, asio::awaitable<T> a) {
    T out{};
    std::exception_ptr failed;
    asio::co_spawn(ioc, std::move(a), [&](std::exception_ptr e, T v) {
        failed = e;
        out = std::move(v);
    });
    ioc.restart();
    ioc.run();
    if (failed) std::rethrow_exception(failed);
    return out;
}
void run(asio::io_context& ioc, asio::awaitable<void> a) {
    std::exception_ptr failed;
    asio::co_spawn(ioc, std::move(a), [&](std::exception_ptr e) { failed = e; });
    ioc.restart();
    ioc.run();
    if (failed) std::rethrow_exception(failed);
}

constexpr std::string_view head =
    "POST /authenticate HTTP/1.1\r\nHost: signin.aws.amazon.com\r\n"
    "Content-Length: 11\r\n\r\n";
constexpr std::string_view body = "account=123";
constexpr std::string_view next_request = "GET /next HTTP/1.1\r\nHost: x\r\n\r\n";

struct parsed_request {
    boost::system::error_code ec;
    std::size_t header_bytes = 0;
    std::string target, host, body, left_over;
    bool done = false;
};

// What the bumped session does with a request: the head, then the body up to the cap.
asio::awaitable<parsed_request> read_request(stream& s, std::size_t cap) {
    parsed_request out;
    beast::flat_buffer buf;
    http::request_parser<http::buffer_body> p;
    out.ec = co_await parse_from(s, buf, p, true, &out.header_bytes);
    if (out.ec) co_return out;
    out.target = std::string(p.get().target());
    out.host = std::string(header_value(p.get().base(), http::field::host));
    out.ec = co_await read_body_prefix(s, buf, p, out.body, cap);
    out.done = p.is_done();
    out.left_over = beast::buffers_to_string(buf.data());
    co_return out;
}

TEST(http_wire, a_request_splits_anywhere_and_parses_the_same) {
    std::string wire = std::string(head) + std::string(body) + std::string(next_request);
    for (std::size_t read_size = 1; read_size <= wire.size(); ++read_size) {
        asio::io_context ioc;
        stream s(ioc, wire);
        s.read_size(read_size);
        s.close_remote();
        auto r = run(ioc, read_request(s, 1024));
        ASSERT_FALSE(r.ec) << read_size << ": " << r.ec.message();
        EXPECT_EQ(r.header_bytes, head.size()) << read_size;
        EXPECT_EQ(r.target, "/authenticate");
        EXPECT_EQ(r.host, "signin.aws.amazon.com");
        EXPECT_EQ(r.body, body) << read_size;
        EXPECT_TRUE(r.done);
        // Whatever was read past this request stays buffered for the next one: a prefix of it.
        EXPECT_TRUE(std::string(next_request).starts_with(r.left_over)) << read_size;
    }
}

TEST(http_wire, the_nth_read_failing_is_an_error_at_every_n) {
    std::string wire = std::string(head) + std::string(body);
    for (std::size_t read_size : {std::size_t(1), std::size_t(7), std::size_t(4096)}) {
        bool succeeded = false;
        for (std::size_t n = 1; n < 1000 && !succeeded; ++n) {
            asio::io_context ioc;
            fail_count fc(n);
            stream s(ioc, fc, wire);
            s.read_size(read_size);
            s.close_remote();
            auto r = run(ioc, read_request(s, 1024));
            if (!r.ec) {
                succeeded = true;
                EXPECT_EQ(r.body, body);
                break;
            }
            EXPECT_EQ(r.ec, beast::test::error::test_failure) << n << " " << r.ec.message();
        }
        EXPECT_TRUE(succeeded) << read_size;
    }
}

TEST(http_wire, a_body_longer_than_the_cap_stops_one_byte_past_it) {
    asio::io_context ioc;
    stream s(ioc, std::string(head) + std::string(body));
    s.read_size(3);
    s.close_remote();
    auto r = run(ioc, read_request(s, 4));
    ASSERT_FALSE(r.ec) << r.ec.message();
    EXPECT_EQ(r.body, "accou");  // cap + 1: the caller sees it is longer than the cap
    EXPECT_FALSE(r.done);
}

TEST(http_wire, a_body_cut_short_is_a_partial_message) {
    std::string wire = std::string(head) + "acc";
    for (std::size_t read_size = 1; read_size <= wire.size(); ++read_size) {
        asio::io_context ioc;
        stream s(ioc, wire);
        s.read_size(read_size);
        s.close_remote();
        auto r = run(ioc, read_request(s, 1024));
        EXPECT_EQ(r.ec, http::error::partial_message) << read_size << ": " << r.ec.message();
    }
}

TEST(http_wire, a_head_cut_short_or_absent_is_told_apart) {
    for (std::string wire : {std::string(), std::string("GET / HTTP/1.1\r\nHost: a\r\n")}) {
        asio::io_context ioc;
        stream s(ioc, wire);
        s.close_remote();
        auto r = run(ioc, read_request(s, 1024));
        EXPECT_EQ(r.ec, wire.empty() ? http::error::end_of_stream : http::error::partial_message)
            << wire;
    }
}

// The client's stream and what it receives: writes on `client` land in `peer`.
struct client_pair {
    asio::io_context ioc;
    stream client{ioc};
    stream peer{ioc};
    client_pair() { client.connect(peer); }
};

asio::awaitable<boost::system::error_code> read_and_answer(stream& s, std::uint32_t header_limit,
                                                           std::uint64_t body_limit, stats& st) {
    beast::flat_buffer buf;
    http::request_parser<http::buffer_body> p;
    p.header_limit(header_limit);
    p.body_limit(body_limit);
    auto ec = co_await parse_from(s, buf, p, true);
    if (ec) co_await answer_read_error(s, ec, false, st);
    co_return ec;
}

TEST(http_wire, an_oversized_head_gets_431_at_any_read_size) {
    std::string wire = "GET / HTTP/1.1\r\nHost: a\r\nCookie: " + std::string(300, 'c') + "\r\n\r\n";
    for (std::size_t read_size : {std::size_t(1), std::size_t(64), std::size_t(4096)}) {
        client_pair c;
        c.client.append(wire);
        c.client.read_size(read_size);
        stats st;
        auto ec = run(c.ioc, read_and_answer(c.client, 128, 1024, st));
        EXPECT_EQ(ec, http::error::header_limit) << read_size;
        EXPECT_TRUE(c.peer.str().starts_with("HTTP/1.1 431 ")) << c.peer.str();
        EXPECT_NE(c.peer.str().find("Connection: close\r\n"), std::string::npos);
        EXPECT_EQ(st.bad_requests.load(), 1u);
    }
}

TEST(http_wire, an_oversized_body_gets_413_and_garbage_400) {
    {
        client_pair c;
        c.client.append("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n");
        stats st;
        EXPECT_EQ(run(c.ioc, read_and_answer(c.client, 8192, 1024, st)), http::error::body_limit);
        EXPECT_TRUE(c.peer.str().starts_with("HTTP/1.1 413 ")) << c.peer.str();
    }
    {
        client_pair c;
        c.client.append("\x16\x03\x01 not http\r\n\r\n");
        stats st;
        EXPECT_TRUE(run(c.ioc, read_and_answer(c.client, 8192, 1024, st)));
        EXPECT_TRUE(c.peer.str().starts_with("HTTP/1.1 400 ")) << c.peer.str();
        EXPECT_EQ(st.bad_requests.load(), 1u);
    }
}

TEST(http_wire, a_client_that_went_away_gets_no_answer_and_one_that_timed_out_gets_408) {
    client_pair c;
    stats st;
    run(c.ioc, answer_read_error(c.client, http::error::end_of_stream, false, st));
    run(c.ioc, answer_read_error(c.client, http::error::partial_message, false, st));
    run(c.ioc, answer_read_error(c.client, asio::error::connection_reset, false, st));
    EXPECT_EQ(st.bad_requests.load(), 0u);
    EXPECT_EQ(c.peer.str(), "");
    // Issue 17: a head that did not complete in time is told so (RFC 9110 §15.5.9), whatever
    // error the cancelled read ended with; counted as a timeout, not a bad request.
    run(c.ioc, answer_read_error(c.client, http::error::header_limit, true, st));
    EXPECT_EQ(st.timeouts.load(), 1u);
    EXPECT_EQ(st.bad_requests.load(), 0u);
    EXPECT_TRUE(c.peer.str().starts_with("HTTP/1.1 408 Request Timeout\r\n")) << c.peer.str();
    EXPECT_NE(c.peer.str().find("Connection: close\r\n"), std::string::npos) << c.peer.str();
}

TEST(http_wire, serialize_writes_one_head_and_the_page) {
    rendered_response r;
    r.status = 403;
    r.content_type = "text/html; charset=utf-8";
    r.body = "<p>no</p>";
    r.set_cookies = {"a=; Max-Age=0", "b=; Max-Age=0"};
    EXPECT_EQ(serialize(r, true),
              "HTTP/1.1 403 Forbidden\r\nContent-Type: text/html; charset=utf-8\r\n"
              "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
              "Set-Cookie: a=; Max-Age=0\r\nSet-Cookie: b=; Max-Age=0\r\n"
              "Content-Length: 9\r\n\r\n<p>no</p>");
    EXPECT_NE(serialize(r, false).find("Connection: close\r\n"), std::string::npos);
}

TEST(http_wire, a_failing_write_of_a_page_ends_quietly) {
    for (std::size_t n = 1; n <= 2; ++n) {
        asio::io_context ioc;
        fail_count fc(n);
        stream client(ioc, fc);
        stream peer(ioc);
        client.connect(peer);
        client.write_size(16);
        run(ioc, write_simple(client, http::status::forbidden, "Port not allowed",
                              std::chrono::seconds(1)));
        // Nothing after the failed write: at most the pieces written before it.
        EXPECT_TRUE(serialize({403, "text/plain; charset=utf-8", "Port not allowed\n", {}}, false)
                        .starts_with(peer.str()));
    }
}

// The request leg of a streamed body: `from` the client, `to` the origin.
asio::awaitable<bool> relay_body(stream& from, stream& to, bool chunked, std::string& out) {
    beast::flat_buffer buf;
    http::request_parser<http::buffer_body> p;
    auto ec = co_await parse_from(from, buf, p, true);
    if (ec) co_return false;
    std::string wire;
    bool ok = co_await stream_body(from, buf, p, to, chunked, std::chrono::seconds(1), wire);
    out = std::string(p.get().target());
    co_return ok;
}

TEST(http_wire, stream_body_dechunks_and_rechunks_at_any_read_size) {
    std::string chunked_in =
        "POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5\r\nhello\r\n1;ext=1\r\n \r\n5\r\nworld\r\n0\r\nTrailer: x\r\n\r\n";
    for (std::size_t read_size = 1; read_size <= chunked_in.size(); read_size += 3) {
        client_pair c;
        stream origin(c.ioc);
        stream origin_peer(c.ioc);
        origin.connect(origin_peer);
        c.client.append(chunked_in);
        c.client.read_size(read_size);
        std::string target;
        ASSERT_TRUE(run(c.ioc, relay_body(c.client, origin, false, target))) << read_size;
        EXPECT_EQ(origin_peer.str(), "hello world") << read_size;
        EXPECT_EQ(target, "/up");
    }
    client_pair c;
    stream origin(c.ioc);
    stream origin_peer(c.ioc);
    origin.connect(origin_peer);
    c.client.append("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nabcd");
    c.client.read_size(1);
    std::string target;
    ASSERT_TRUE(run(c.ioc, relay_body(c.client, origin, true, target)));
    // parse_from fills the body buffer (or ends the message) before a chunk goes out, however
    // the bytes trickle in: one chunk, then the last chunk.
    EXPECT_EQ(origin_peer.str(), "4\r\nabcd\r\n0\r\n\r\n");
}

TEST(http_wire, stream_body_reports_a_body_cut_short_or_a_failing_side) {
    {
        asio::io_context ioc;
        stream client(ioc, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc");
        client.close_remote();
        stream origin(ioc);
        stream origin_peer(ioc);
        origin.connect(origin_peer);
        std::string target;
        EXPECT_FALSE(run(ioc, relay_body(client, origin, false, target)));
        // Never more than what arrived, and never a framing that says the body was complete.
        EXPECT_TRUE(std::string("abc").starts_with(origin_peer.str())) << origin_peer.str();
    }
    for (std::size_t n = 1; n <= 3; ++n) {
        asio::io_context ioc;
        stream client(ioc, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n\r\nabcdef");
        client.read_size(50);
        fail_count fc(n);
        stream origin(ioc, fc);
        stream origin_peer(ioc);
        origin.connect(origin_peer);
        origin.write_size(2);
        std::string target;
        EXPECT_FALSE(run(ioc, relay_body(client, origin, false, target))) << n;
    }
}

asio::awaitable<std::pair<boost::system::error_code, unsigned>> final_status(stream& s,
                                                                             bool head_request) {
    beast::flat_buffer buf;
    response_head_store store;
    std::optional<upstream_response> rpo;
    auto ec =
        co_await read_final_header(s, buf, rpo, store, 8192, head_request, std::chrono::seconds(1));
    co_return std::pair{ec, rpo ? rpo->status() : 0u};
}

TEST(http_wire, interim_responses_are_skipped_up_to_eight) {
    std::string interim =
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n";
    std::string final_head = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    for (std::size_t read_size : {std::size_t(1), std::size_t(5), std::size_t(4096)}) {
        asio::io_context ioc;
        stream s(ioc, interim + final_head);
        s.read_size(read_size);
        s.close_remote();
        auto [ec, status] = run(ioc, final_status(s, false));
        EXPECT_FALSE(ec) << ec.message();
        EXPECT_EQ(status, 200u) << read_size;
    }
    {
        asio::io_context ioc;
        stream s(ioc, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n");
        auto [ec, status] = run(ioc, final_status(s, false));
        EXPECT_FALSE(ec);
        EXPECT_EQ(status, 101u);  // final for us
    }
    std::string nine;
    for (int i = 0; i < 9; ++i) nine += "HTTP/1.1 100 Continue\r\n\r\n";
    asio::io_context ioc;
    stream s(ioc, nine + final_head);
    auto [ec, status] = run(ioc, final_status(s, false));
    EXPECT_FALSE(ec);
    EXPECT_EQ(status, 100u);  // the caller refuses a ninth interim answer
}

TEST(http_wire, a_response_head_cut_short_is_an_error) {
    asio::io_context ioc;
    stream s(ioc, "HTTP/1.1 200 OK\r\nContent-Le");
    s.close_remote();
    auto [ec, status] = run(ioc, final_status(s, false));
    EXPECT_EQ(ec, http::error::partial_message) << ec.message();
}

TEST(http_wire, hop_by_hop_fields_go_and_via_is_joined) {
    http::fields f;
    f.insert(http::field::connection, "close, X-Secret");
    f.insert("X-Secret", "1");
    f.insert(http::field::keep_alive, "timeout=5");
    f.insert(http::field::via, "1.0 a");
    f.insert(http::field::host, "h");
    f.insert(http::field::via, "1.1 b");
    strip_hop_by_hop(f, false);
    add_via(f);
    EXPECT_EQ(f.count(http::field::connection), 0u);
    EXPECT_EQ(f.count("X-Secret"), 0u);
    EXPECT_EQ(f.count(http::field::keep_alive), 0u);
    EXPECT_EQ(header_value(f, http::field::host), "h");
    EXPECT_EQ(header_value(f, http::field::via), "1.0 a, 1.1 b, 1.1 consolegate");
}

// Issue 17: what says how the body is read stays, whatever Connection names; the body judged is
// the body forwarded.
TEST(http_wire, connection_cannot_remove_what_says_how_the_body_is_read) {
    http::fields f;
    f.insert(http::field::connection, "Content-Type, content-encoding, Content-Length, Host, X-A");
    f.insert(http::field::content_type, "application/json");
    f.insert(http::field::content_encoding, "identity");
    f.insert(http::field::content_length, "2");
    f.insert(http::field::host, "h");
    f.insert("X-A", "1");
    strip_hop_by_hop(f, false);
    EXPECT_EQ(header_value(f, http::field::content_type), "application/json");
    EXPECT_EQ(header_value(f, http::field::content_encoding), "identity");
    EXPECT_EQ(header_value(f, http::field::content_length), "2");
    EXPECT_EQ(header_value(f, http::field::host), "h");
    EXPECT_EQ(f.count("X-A"), 0u);
}

// RFC 9112 §6.1: chunked is the one coding read; anything else is answered 501.
TEST(http_wire, only_chunked_is_a_transfer_coding_we_read) {
    for (auto [te, ok] : {std::pair{"", true},
                          {"chunked", true},
                          {" Chunked ", true},
                          {"gzip", false},
                          {"gzip, chunked", false},
                          {"chunked, chunked", false},
                          {"identity", false},
                          {"chunked;x=1", false}}) {
        http::fields f;
        if (*te) f.insert(http::field::transfer_encoding, te);
        EXPECT_EQ(only_chunked(f), ok) << te;
    }
    http::fields two;
    two.insert(http::field::transfer_encoding, "chunked");
    two.insert(http::field::transfer_encoding, "chunked");
    EXPECT_FALSE(only_chunked(two));
}

// Round 2 of the evasion hunt: the trusted user header is believed under its configured name only
// and erased under every spelling a CGI-style server reads as that name ('_' for '-', any case),
// so no client can speak for someone further on; a client outside trusted_header_from is never
// believed under any spelling.
TEST(http_wire, the_user_header_goes_under_every_spelling_and_counts_under_its_own) {
    identification who;
    who.header = "X-Authenticated-User";
    std::vector<std::string> seen;
    who.by_header = [&](const core::ip_address&, std::span<const std::string_view> values) {
        for (auto v : values) seen.emplace_back(v);
        auto id = std::make_shared<core::corp_identity>();
        id->user = std::string(values.front());
        return shared_identity(std::move(id));
    };
    http::fields f;
    f.insert("x-authenticated-user", "alice");
    f.insert("X_Authenticated_User", "bob");
    f.insert("x-AUTHENTICATED_user", "carol");
    f.insert("X-Authenticated-Users", "kept");
    f.insert("X-Authenticated", "kept");
    auto id = take_user_header(who, f, core::ip_address{});
    ASSERT_TRUE(id);
    EXPECT_EQ(id->user, "alice");
    EXPECT_EQ(seen, std::vector<std::string>{"alice"});
    EXPECT_EQ(f.count("X-Authenticated-User"), 0u);
    EXPECT_EQ(f.count("X_Authenticated_User"), 0u);
    EXPECT_EQ(f.count("x-AUTHENTICATED_user"), 0u);
    EXPECT_EQ(f.count("X-Authenticated-Users"), 1u);
    EXPECT_EQ(f.count("X-Authenticated"), 1u);

    // Only other spellings: nobody asked, every one erased.
    seen.clear();
    http::fields g;
    g.insert("X_AUTHENTICATED_USER", "mallory");
    EXPECT_FALSE(take_user_header(who, g, core::ip_address{}));
    EXPECT_TRUE(seen.empty());
    EXPECT_EQ(g.count("X_AUTHENTICATED_USER"), 0u);

    // Trailers: erased, never believed.
    http::fields t;
    t.insert("x_authenticated-user", "mallory");
    strip_user_header(who, t);
    EXPECT_TRUE(seen.empty());
    EXPECT_EQ(std::distance(t.begin(), t.end()), 0);

    // A chunked request's trailers, which Beast inserts beside the head's field of the same
    // name: only the head's stays.
    http::request_parser<http::string_body> p;
    p.eager(true);
    const std::string head =
        "POST / HTTP/1.1\r\nX-Authenticated-User: alice\r\nX-Other: 1\r\n"
        "Transfer-Encoding: chunked\r\n\r\n";
    boost::system::error_code ec;
    p.put(boost::asio::buffer(head), ec);
    ASSERT_TRUE(p.is_header_done()) << ec.message();
    auto keep = user_header_fields(who, p.get().base());
    ASSERT_EQ(keep.size(), 1u);
    const std::string body =
        "1\r\nx\r\n0\r\nx-authenticated-user: mallory\r\nX_Authenticated_User: "
        "eve\r\n\r\n";
    p.put(boost::asio::buffer(body), ec);
    ASSERT_TRUE(p.is_done()) << ec.message();
    ASSERT_EQ(p.get().count("X-Authenticated-User"), 2u);
    strip_user_header(who, p.get().base(), keep);
    EXPECT_EQ(p.get().count("X_Authenticated_User"), 0u);
    auto [first, last] = p.get().equal_range("X-Authenticated-User");
    ASSERT_EQ(std::distance(first, last), 1);
    EXPECT_EQ(first->value(), "alice");
    EXPECT_TRUE(seen.empty());
}

// A request is judged under the connection's name, so its Host must name that host and port.
TEST(http_wire, the_host_field_names_the_connection_or_the_request_is_misdirected) {
    for (auto [field, host, port, ok] :
         {std::tuple{"signin.aws.amazon.com", "signin.aws.amazon.com", 443, true},
          {"SIGNIN.aws.amazon.com:443", "signin.aws.amazon.com", 443, true},
          {"signin.aws.amazon.com.", "signin.aws.amazon.com", 443, true},
          {"signin.aws.amazon.com:8443", "signin.aws.amazon.com", 8443, true},
          {"signin.aws.amazon.com", "signin.aws.amazon.com", 8443, true},  // the default port
          {"[::1]:8443", "::1", 8443, true},
          {"signin.aws.amazon.com:8443", "signin.aws.amazon.com", 443, false},
          {"signin.aws.amazon.com:443", "signin.aws.amazon.com", 8443, false},
          {"signin.aws.amazon.com:0443x", "signin.aws.amazon.com", 443, false},
          {"user@signin.aws.amazon.com", "signin.aws.amazon.com", 443, false},
          {"user:pw@signin.aws.amazon.com:443", "signin.aws.amazon.com", 443, false},
          {"console.aws.amazon.com", "signin.aws.amazon.com", 443, false},
          {"signin.aws.amazon.com, console.aws.amazon.com", "signin.aws.amazon.com", 443, false},
          {"bad host", "signin.aws.amazon.com", 443, false},
          {"", "signin.aws.amazon.com", 443, false}}) {
        EXPECT_EQ(names_connection(field, host, static_cast<std::uint16_t>(port)), ok)
            << field << " on " << host << ":" << port;
    }
}

// RFC 9110 §9.3.1-2: an origin may end a GET or HEAD at its head, so a body there is refused.
TEST(http_wire, a_body_on_get_or_head_is_one_an_origin_may_ignore) {
    EXPECT_TRUE(body_an_origin_may_ignore(http::verb::get, true));
    EXPECT_TRUE(body_an_origin_may_ignore(http::verb::head, true));
    EXPECT_FALSE(body_an_origin_may_ignore(http::verb::get, false));
    EXPECT_FALSE(body_an_origin_may_ignore(http::verb::post, true));
    EXPECT_FALSE(body_an_origin_may_ignore(http::verb::delete_, true));
    EXPECT_FALSE(body_an_origin_may_ignore(http::verb::options, true));
}

// Heads Beast reads one way that another server could read otherwise (RFC 9112 §2.3, §3.2, §6.1,
// §6.3), parsed from the wire as the bumped session parses them; the ones it reads one way pass.
TEST(http_wire, framing_another_server_could_read_otherwise_is_named) {
    const std::string host = "Host: signin.aws.amazon.com\r\n";
    for (auto [head, why] : {
             std::pair<std::string, std::string_view>{
                 "POST / HTTP/1.1\r\n" + host + "Content-Length: 5\r\n\r\n", ""},
             {"POST / HTTP/1.1\r\n" + host + "Content-Length: 005\r\n\r\n", ""},
             {"POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n", ""},
             {"GET / HTTP/1.0\r\n" + host + "\r\n", ""},
             {"POST / HTTP/1.0\r\n" + host + "Content-Length: 5\r\n\r\n", ""},
             {"POST / HTTP/1.1\r\n" + host + "Content-Length: 5\r\nContent-Length: 5\r\n\r\n",
              "ambiguous-framing"},
             {"POST / HTTP/1.1\r\n" + host + "Content-Length: 5, 5\r\n\r\n", "ambiguous-framing"},
             {"POST / HTTP/1.1\r\n" + host + "Content-Length: 5,5\r\n\r\n", "ambiguous-framing"},
             {"POST / HTTP/1.0\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n",
              "ambiguous-framing"},
             // Versions other than 1.0 and 1.1 the parser refuses itself (answered 400).
             {"GET / HTTP/2.0\r\n" + host + "\r\n", "bad version"},
             {"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "bad version"},
             {"GET / HTTP/1.2\r\n" + host + "\r\n", "bad version"},
             {"GET / HTTP/0.9\r\n" + host + "\r\n", "bad version"},
         }) {
        http::request_parser<http::empty_body> p;
        p.eager(false);
        boost::system::error_code ec;
        p.put(asio::buffer(head), ec);
        if (why == "bad version") {
            EXPECT_EQ(ec, http::error::bad_version) << head;
            continue;
        }
        ASSERT_FALSE(ec) << head << ": " << ec.message();
        ASSERT_TRUE(p.is_header_done()) << head;
        EXPECT_EQ(framing_refusal(p.get().base()).str(), why) << head;
    }
}

// Round 3: a tunnel whose CONNECT named its user (the trusted header there, or Kerberos) is that
// user's: the chaining proxy cannot read or strip what the browser sends inside the TLS it
// relays, so a request's own header naming someone else conflicts; the same user (any case) is
// no conflict, and where the connection's user came from nowhere the CONNECT vouched for (the
// address map, nobody) the request's header is believed as before.
TEST(http_wire, a_request_inside_a_tunnel_the_connect_named_cannot_name_another_user) {
    identification who;
    who.header = "X-Authenticated-User";
    who.by_header = [](const core::ip_address&, std::span<const std::string_view> values) {
        auto id = std::make_shared<core::corp_identity>();
        id->user = std::string(values.front());
        id->source = core::corp_source::header;
        return shared_identity(std::move(id));
    };
    auto tunnel = [](core::corp_source source) {
        auto id = std::make_shared<core::corp_identity>();
        id->user = "bob@CORP.EXAMPLE";
        id->source = source;
        return shared_identity(std::move(id));
    };
    auto ask = [&](const shared_identity& t, std::string_view value, bool believed = true) {
        http::fields f;
        if (!value.empty()) f.insert("X-Authenticated-User", value);
        auto r = request_user(who, f, core::ip_address{}, t, believed);
        EXPECT_EQ(f.count("X-Authenticated-User"), 0u);  // never forwarded, whatever came of it
        return r;
    };
    for (auto pinned : {core::corp_source::header, core::corp_source::kerberos}) {
        auto other = ask(tunnel(pinned), "alice@CORP.EXAMPLE");
        EXPECT_TRUE(other.conflict);
        EXPECT_FALSE(other.who);
        auto same = ask(tunnel(pinned), "BOB@corp.example");
        EXPECT_FALSE(same.conflict);
        EXPECT_FALSE(same.who);  // the tunnel's identity stands
        auto none = ask(tunnel(pinned), "");
        EXPECT_FALSE(none.conflict);
        EXPECT_FALSE(none.who);
    }
    for (const auto& t : {tunnel(core::corp_source::address_map), shared_identity()}) {
        auto r = ask(t, "alice@CORP.EXAMPLE");
        EXPECT_FALSE(r.conflict);
        ASSERT_TRUE(r.who);
        EXPECT_EQ(r.who->user, "alice@CORP.EXAMPLE");
    }
    // Where the header is not believed at all (the SNI listener) it names nobody and conflicts
    // with nobody, whatever the connection's identity: the connection's stands.
    for (const auto& t : {tunnel(core::corp_source::header), tunnel(core::corp_source::address_map),
                          shared_identity()}) {
        auto r = ask(t, "alice@CORP.EXAMPLE", false);
        EXPECT_FALSE(r.conflict);
        EXPECT_FALSE(r.who);
    }
}
}  // namespace
}  // namespace consolegate::proxy
