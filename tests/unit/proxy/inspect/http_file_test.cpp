#include "consolegate/inspect/http_file.hpp"

#include <gtest/gtest.h>

namespace ci = consolegate::inspect;

namespace {
std::optional<ci::http_file> parse(std::string_view text, std::string* why = nullptr) {
    return ci::http_file::parse(text, "", ci::http_file_limits{}, why);
}
}  // namespace

TEST(http_file, lf_with_body_to_end) {
    std::string why;
    auto f = parse(
        "POST /authenticate HTTP/1.1\nHost: signin.aws.amazon.com\n"
        "Content-Type: application/x-www-form-urlencoded\n\naccount=1&x=2\n\n",
        &why);
    ASSERT_TRUE(f) << why;
    auto& v = f->view();
    EXPECT_EQ(v.method, "POST");
    EXPECT_EQ(v.target, "/authenticate");
    EXPECT_EQ(v.host, "signin.aws.amazon.com");
    EXPECT_EQ(v.body, "account=1&x=2");
    EXPECT_EQ(v.headers.size(), 2u);
}

TEST(http_file, crlf_content_length_and_move_keeps_views) {
    std::string why;
    auto f = parse("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcdef", &why);
    ASSERT_TRUE(f) << why;
    auto moved = std::move(*f);
    EXPECT_EQ(moved.view().body, "abc");
    EXPECT_EQ(moved.view().host, "a");
}

TEST(http_file, chunked_body_is_decoded) {
    std::string why;
    auto f = parse(
        "POST /saml HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        "4\r\nabcd\r\n3;ext=1\r\nefg\r\n0\r\nTrailer: x\r\n\r\n",
        &why);
    ASSERT_TRUE(f) << why;
    EXPECT_EQ(f->view().body, "abcdefg");
}

TEST(http_file, absolute_form_is_reduced_and_gives_the_host) {
    auto f = parse("GET https://Signin.AWS.amazon.com./switchrole?account=1 HTTP/1.1\n\n");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->view().target, "/switchrole?account=1");
    EXPECT_EQ(f->view().host, "Signin.AWS.amazon.com.");
    f = parse("GET https://h.example?q=1 HTTP/1.1\nHost: other\n\n");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->view().target, "/?q=1");
    EXPECT_EQ(f->view().host, "h.example");
}

TEST(http_file, body_over_the_cap_is_truncated_and_flagged) {
    ci::http_file_limits l;
    l.max_body = 4;
    auto f = ci::http_file::parse("POST / HTTP/1.1\nHost: a\nContent-Length: 6\n\nabcdef", "sni", l,
                                  nullptr);
    ASSERT_TRUE(f);
    EXPECT_TRUE(f->view().body_truncated);
    EXPECT_EQ(f->view().body, "abcd");
    EXPECT_EQ(f->view().sni, "sni");
}

// Issue 17: a second Host (in the head or as a chunked trailer) is not a file error any more but
// kept, so explain and the proxy (whose parser keeps both) deny it alike with the inspector's
// reason (inspector_test: several_host_headers_are_denied_with_their_own_reason).
TEST(http_file, a_second_host_and_trailer_fields_are_kept_as_headers) {
    std::string why;
    auto f = parse("GET / HTTP/1.1\nHost: a\nHost: b\n\n", &why);
    ASSERT_TRUE(f) << why;
    EXPECT_EQ(f->view().host, "a");
    EXPECT_EQ(f->view().headers.size(), 2u);
    f = parse(
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n"
        "Host: b\r\nX-T:  v \r\n\r\n",
        &why);
    ASSERT_TRUE(f) << why;
    auto& v = f->view();
    EXPECT_EQ(v.host, "a");
    EXPECT_EQ(v.body, "abc");
    ASSERT_EQ(v.headers.size(), 4u);
    EXPECT_EQ(v.headers[2].first, "Host");
    EXPECT_EQ(v.headers[2].second, "b");
    EXPECT_EQ(v.headers[3].second, "v");
    EXPECT_FALSE(parse("POST / HTTP/1.1\nTransfer-Encoding: chunked\n\n0\nnocolon\n\n", &why));
    EXPECT_NE(why.find("trailer"), std::string::npos) << why;
}

TEST(http_file, malformed_inputs_say_why) {
    for (std::string_view bad :
         {"", "GET\n\n", "GET / FTP/1.0\n\n", "G(T / HTTP/1.1\n\n", "GET / HTTP/1.1\nnocolon\n\n",
          "GET / HTTP/1.1\nHost: a\n folded\n\n", "POST / HTTP/1.1\nContent-Length: 10\n\nabc",
          "POST / HTTP/1.1\nContent-Length: x\n\n",
          "POST / HTTP/1.1\nTransfer-Encoding: chunked\nContent-Length: 3\n\n0\n\n",
          "POST / HTTP/1.1\nTransfer-Encoding: gzip\n\n",
          "POST / HTTP/1.1\nTransfer-Encoding: chunked\n\nzz\n",
          "POST / HTTP/1.1\nTransfer-Encoding: chunked\n\n5\nab\n"}) {
        std::string why;
        EXPECT_FALSE(parse(bad, &why)) << bad;
        EXPECT_FALSE(why.empty()) << bad;
    }
}
