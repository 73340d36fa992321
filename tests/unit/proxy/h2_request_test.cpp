// proxy/h2_request.cpp: an HTTP/2 header block becomes the HTTP/1.1 request head the inspector
// reads on the HTTP/1.1 path, or a refusal (RFC 9113 §8.2, §8.3).
#include "h2_request.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using consolegate::proxy::h2_fields;
using consolegate::proxy::h2_to_http1;
namespace http = boost::beast::http;

h2_fields base(std::string method = "GET", std::string path = "/oauth?x=1") {
    return {{":method", method},
            {":scheme", "https"},
            {":authority", "signin.aws.amazon.com"},
            {":path", path}};
}

std::string head_text(const http::request_header<>& h) {
    std::string out(h.method_string());
    out += " " + std::string(h.target()) + "\n";
    for (const auto& f : h)
        out += std::string(f.name_string()) + ": " + std::string(f.value()) + "\n";
    return out;
}

TEST(h2_request, pseudo_fields_become_method_target_and_host) {
    auto f = base("POST", "/authenticate");
    f.emplace_back("content-type", "application/x-www-form-urlencoded");
    f.emplace_back("content-length", "12");
    http::request_header<> h;
    auto r = h2_to_http1(f, h);
    ASSERT_EQ(r.refusal.str(), "");
    EXPECT_EQ(head_text(h),
              "POST /authenticate\nHost: signin.aws.amazon.com\n"
              "content-type: application/x-www-form-urlencoded\ncontent-length: 12\n");
    EXPECT_EQ(h.version(), 11);
    EXPECT_EQ(h.method(), http::verb::post);
    ASSERT_TRUE(r.content_length);
    EXPECT_EQ(*r.content_length, 12u);
}

TEST(h2_request, cookies_in_several_fields_are_joined_at_the_first_ones_place) {
    auto f = base();
    f.emplace_back("accept", "text/html");
    f.emplace_back("cookie", "aws-userInfo=abc");
    f.emplace_back("user-agent", "test");
    f.emplace_back("cookie", "noflush_awsccs_sid=x");
    f.emplace_back("cookie", "a=b");
    http::request_header<> h;
    ASSERT_EQ(h2_to_http1(f, h).refusal.str(), "");
    EXPECT_EQ(head_text(h),
              "GET /oauth?x=1\nHost: signin.aws.amazon.com\naccept: text/html\n"
              "Cookie: aws-userInfo=abc; noflush_awsccs_sid=x; a=b\nuser-agent: test\n");
    EXPECT_EQ(h.count(http::field::cookie), 1u);
}

TEST(h2_request, host_field_stands_in_for_a_missing_authority) {
    h2_fields f{{":method", "GET"},
                {":scheme", "https"},
                {":path", "/"},
                {"host", "console.aws.amazon.com"}};
    http::request_header<> h;
    ASSERT_EQ(h2_to_http1(f, h).refusal.str(), "");
    EXPECT_EQ(h[http::field::host], "console.aws.amazon.com");
    EXPECT_EQ(h.count(http::field::host), 1u);
}

TEST(h2_request, authority_and_host_must_agree) {
    auto f = base();
    f.emplace_back("host", "evil.example");
    http::request_header<> h;
    EXPECT_EQ(h2_to_http1(f, h).refusal.str(), "h2-authority-conflict");
    f.back().second = "SIGNIN.aws.amazon.com";  // the same name in another case is the same
    EXPECT_EQ(h2_to_http1(f, h).refusal.str(), "");
    EXPECT_EQ(h[http::field::host], "signin.aws.amazon.com");
}

TEST(h2_request, connection_specific_fields_are_refused) {
    for (auto [name, value] :
         std::vector<std::pair<std::string, std::string>>{{"connection", "close"},
                                                          {"keep-alive", "5"},
                                                          {"proxy-connection", "keep-alive"},
                                                          {"transfer-encoding", "chunked"},
                                                          {"upgrade", "websocket"},
                                                          {"te", "gzip"}}) {
        auto f = base();
        f.emplace_back(name, value);
        http::request_header<> h;
        EXPECT_EQ(h2_to_http1(f, h).refusal.str(), "h2-connection-field") << name;
    }
    auto f = base();
    f.emplace_back("te", "trailers");  // the one TE allowed
    http::request_header<> h;
    EXPECT_EQ(h2_to_http1(f, h).refusal.str(), "");
}

TEST(h2_request, malformed_blocks_are_refused) {
    http::request_header<> h;
    auto missing_method = base();
    missing_method.erase(missing_method.begin());
    EXPECT_EQ(h2_to_http1(missing_method, h).refusal.str(), "h2-malformed");
    auto repeated = base();
    repeated.emplace_back(":path", "/other");
    EXPECT_EQ(h2_to_http1(repeated, h).refusal.str(), "h2-malformed");
    auto late_pseudo = base();
    late_pseudo.insert(late_pseudo.begin() + 2, {"accept", "*/*"});
    EXPECT_EQ(h2_to_http1(late_pseudo, h).refusal.str(), "h2-malformed");
    auto unknown = base();
    unknown.emplace(unknown.begin(), ":protocol", "websocket");
    EXPECT_EQ(h2_to_http1(unknown, h).refusal.str(), "h2-malformed");
    auto upper = base();
    upper.emplace_back("Cookie", "a=b");
    EXPECT_EQ(h2_to_http1(upper, h).refusal.str(), "h2-malformed");
    auto plain = base();
    plain[1].second = "http";
    EXPECT_EQ(h2_to_http1(plain, h).refusal.str(), "h2-malformed");
    h2_fields no_host{{":method", "GET"}, {":scheme", "https"}, {":path", "/"}};
    EXPECT_EQ(h2_to_http1(no_host, h).refusal.str(), "h2-malformed");
}

TEST(h2_request, only_origin_form_targets_are_served_as_on_http1) {
    http::request_header<> h;
    EXPECT_EQ(h2_to_http1(base("OPTIONS", "*"), h).refusal.str(), "bad-request-target");
    EXPECT_EQ(h2_to_http1(base("GET", "https://signin.aws.amazon.com/"), h).refusal.str(),
              "bad-request-target");
    h2_fields connect{{":method", "CONNECT"}, {":authority", "evil.example:443"}};
    EXPECT_EQ(h2_to_http1(connect, h).refusal.str(), "bad-request-target");
}

TEST(h2_request, content_length_must_be_one_number) {
    http::request_header<> h;
    auto bad = base("POST");
    bad.emplace_back("content-length", "12x");
    EXPECT_EQ(h2_to_http1(bad, h).refusal.str(), "h2-content-length");
    auto two = base("POST");
    two.emplace_back("content-length", "12");
    two.emplace_back("content-length", "13");
    EXPECT_EQ(h2_to_http1(two, h).refusal.str(), "h2-content-length");
    auto same = base("POST");
    same.emplace_back("content-length", "12");
    same.emplace_back("content-length", "12");
    auto r = h2_to_http1(same, h);
    EXPECT_EQ(r.refusal.str(), "");
    EXPECT_EQ(r.content_length.value_or(0), 12u);
}

}  // namespace
