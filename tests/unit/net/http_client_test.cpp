// net::http_fetch against in-process loopback servers: plain http to loopback only, verified TLS
// (trust anchor, host name, IP literal), the one deadline, and the response size cap.
#include "consolegate/net/http_client.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "fake_http.hpp"

namespace {

using namespace consolegate;
using test::fake_http_server;
using test::fake_request;
using test::fake_response;
using namespace std::chrono_literals;

fake_response echo(const fake_request& r) {
    return {200, "text/plain",
            r.method + " " + r.target + " host=" + r.header("host") + " " + r.body};
}

struct url_case {
    const char* text;
    bool ok;
    bool tls;
    const char* host;
    std::uint16_t port;
    const char* target;
};

TEST(http_client, parses_urls) {
    const url_case cases[] = {
        {"https://dynamodb.eu-west-1.amazonaws.com", true, true, "dynamodb.eu-west-1.amazonaws.com",
         443, "/"},
        {"http://127.0.0.1:8000/", true, false, "127.0.0.1", 8000, "/"},
        {"http://[::1]:9/a?b=c", true, false, "::1", 9, "/a?b=c"},
        {"https://h?x=1", true, true, "h", 443, "/?x=1"},
        {"ftp://h/", false, false, "", 0, ""},
        {"https://user@h/", false, false, "", 0, ""},
        {"https://h:/", false, false, "", 0, ""},
        {"https://h:70000/", false, false, "", 0, ""},
        {"https:///", false, false, "", 0, ""},
        {"https://h/#frag", false, false, "", 0, ""},
        {"https://h/a b", false, false, "", 0, ""},
        {"https://[::1/", false, false, "", 0, ""},
    };
    for (const auto& c : cases) {
        auto u = net::parse_http_url(c.text);
        ASSERT_EQ(u.has_value(), c.ok) << c.text;
        if (!u) continue;
        EXPECT_EQ(u->tls, c.tls) << c.text;
        EXPECT_EQ(u->host, c.host) << c.text;
        EXPECT_EQ(u->port, c.port) << c.text;
        EXPECT_EQ(u->target, c.target) << c.text;
    }
    EXPECT_EQ(net::parse_http_url("http://[::1]:9/")->host_header(), "[::1]:9");
    EXPECT_EQ(net::parse_http_url("https://h:443/")->host_header(), "h");
}

TEST(http_client, plain_http_to_loopback_round_trips) {
    fake_http_server server(echo);
    net::http_request req{"POST", server.url() + "/path?q=1", {{"X-Test", "1"}}, "body"};
    auto res = net::http_fetch(req, {});
    ASSERT_TRUE(res.ok()) << res.message;
    EXPECT_EQ(res.response.status, 200u);
    EXPECT_EQ(res.response.body,
              "POST /path?q=1 host=127.0.0.1:" + std::to_string(server.port()) + " body");
    EXPECT_EQ(res.response.header("content-type"), "text/plain");
    EXPECT_EQ(server.requests().at(0).header("x-test"), "1");
}

TEST(http_client, plain_http_elsewhere_is_refused_before_connecting) {
    // 192.0.2.1 (TEST-NET-1) is never loopback: refused without a packet sent.
    auto res = net::http_fetch({"GET", "http://192.0.2.1:80/", {}, ""}, {});
    EXPECT_EQ(res.error, net::http_error::plain_http_refused);
    net::http_client_options allowed;
    allowed.plain_http_addresses = {"192.0.2.1"};
    allowed.timeout = 200ms;
    auto res2 = net::http_fetch({"GET", "http://192.0.2.1:80/", {}, ""}, allowed);
    EXPECT_NE(res2.error, net::http_error::plain_http_refused);
}

TEST(http_client, a_silent_server_hits_the_deadline) {
    fake_http_server server([](const fake_request&) {
        fake_response r;
        r.never_answer = true;
        return r;
    });
    net::http_client_options o;
    o.timeout = 300ms;
    auto t0 = std::chrono::steady_clock::now();
    auto res = net::http_fetch({"GET", server.url() + "/", {}, ""}, o);
    EXPECT_EQ(res.error, net::http_error::timeout) << res.message;
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
}

TEST(http_client, a_body_over_the_cap_is_refused) {
    fake_http_server server([](const fake_request&) {
        return fake_response{200, "text/plain", std::string(10000, 'x')};
    });
    net::http_client_options o;
    o.max_body_bytes = 1000;
    auto res = net::http_fetch({"GET", server.url() + "/", {}, ""}, o);
    EXPECT_EQ(res.error, net::http_error::too_large) << res.message;
}

TEST(http_client, bad_url_and_refused_connection_are_errors) {
    EXPECT_EQ(net::http_fetch({"GET", "nope", {}, ""}, {}).error, net::http_error::bad_url);
    std::uint16_t closed_port = 0;
    {
        fake_http_server s(echo);
        closed_port = s.port();
    }
    auto res = net::http_fetch(
        {"GET", "http://127.0.0.1:" + std::to_string(closed_port) + "/", {}, ""}, {});
    EXPECT_FALSE(res.ok());
}

class http_client_tls : public ::testing::Test {
  protected:
    void SetUp() override {
        dir =
            std::filesystem::temp_directory_path() / ("cg_http_tls_" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir);
        good = test::make_self_signed(dir, "good", "DNS:localhost,IP:127.0.0.1");
        other = test::make_self_signed(dir, "other", "DNS:other.test");
    }
    void TearDown() override { std::filesystem::remove_all(dir); }
    std::filesystem::path dir;
    std::pair<std::string, std::string> good, other;
};

TEST_F(http_client_tls, verified_by_name_and_by_ip_literal) {
    fake_http_server server(echo, good.first, good.second);
    net::http_client_options o;
    o.ca_file = good.first;
    auto by_name = net::http_fetch({"GET", server.url("localhost") + "/x", {}, ""}, o);
    ASSERT_TRUE(by_name.ok()) << by_name.message;
    EXPECT_EQ(by_name.response.body.substr(0, 6), "GET /x");
    auto by_ip = net::http_fetch({"GET", server.url("127.0.0.1") + "/", {}, ""}, o);
    EXPECT_TRUE(by_ip.ok()) << by_ip.message;
}

TEST_F(http_client_tls, wrong_name_and_untrusted_chain_fail) {
    fake_http_server server(echo, other.first, other.second);
    net::http_client_options trusting;
    trusting.ca_file = other.first;
    // Trusted issuer, but the certificate names other.test, not localhost.
    auto wrong_name = net::http_fetch({"GET", server.url("localhost") + "/", {}, ""}, trusting);
    EXPECT_EQ(wrong_name.error, net::http_error::tls) << wrong_name.message;
    // The system trust store does not know the self-signed issuer.
    fake_http_server server2(echo, good.first, good.second);
    auto untrusted = net::http_fetch({"GET", server2.url("localhost") + "/", {}, ""}, {});
    EXPECT_EQ(untrusted.error, net::http_error::tls) << untrusted.message;
    EXPECT_TRUE(server.requests().empty());
}

}  // namespace
