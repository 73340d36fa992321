#include "consolegate/inspect/user_info_cookie.hpp"

#include <gtest/gtest.h>

namespace ci = consolegate::inspect;

namespace {
// As the console sets it (encodeURIComponent of the JSON).
constexpr const char* assumed =
    "%7B%22alias%22%3A%22acme-prod%22%2C%22arn%22%3A%22arn%3Aaws%3Asts%3A%3A111122223333%3Aassumed-"
    "role%2FAWSReservedSSO_Admin_0123456789abcdef%2Falice%40example.com%22%2C%22bn%22%3A%22x%22%2C"
    "%22issuer%22%3A%22https%3A%2F%2Fd-1234567890.awsapps.com%2Fstart%2F%22%2C%22signinType%22%3A%"
    "22PUBLIC%22%2C%22username%22%3A%22assumed-role%2FAWSReservedSSO_Admin_0123456789abcdef%2Falice"
    "%40example.com%22%7D";
}  // namespace

TEST(user_info_cookie, assumed_role_session) {
    std::string why;
    auto u = ci::parse_user_info_cookie(assumed, &why);
    ASSERT_TRUE(u) << why;
    EXPECT_EQ(u->principal.account.str(), "111122223333");
    EXPECT_EQ(u->principal.role_name, "AWSReservedSSO_Admin_0123456789abcdef");
    EXPECT_EQ(u->principal.permission_set, "Admin");
    EXPECT_EQ(u->principal.session_name, "alice@example.com");
    EXPECT_EQ(u->alias, "acme-prod");
    EXPECT_EQ(u->signin_type, "PUBLIC");
}

TEST(user_info_cookie, iam_user_quoted_and_plain_json) {
    std::string why;
    auto u = ci::parse_user_info_cookie(
        "\"%7B%22arn%22%3A%22arn%3Aaws%3Aiam%3A%3A444455556666%3Auser%2Fbob%22%7D\"", &why);
    ASSERT_TRUE(u) << why;
    EXPECT_EQ(u->principal.user_name, "bob");
    u = ci::parse_user_info_cookie(R"({"arn":"arn:aws:iam::444455556666:root"})", &why);
    ASSERT_TRUE(u) << why;
    EXPECT_EQ(u->principal.kind, consolegate::core::principal_kind::root);
}

TEST(user_info_cookie, refuses_what_it_cannot_read) {
    for (std::string bad :
         {std::string(""), std::string("%7B"), std::string("%zz"), std::string("[1,2]"),
          std::string("%7B%22arn%22%3A5%7D"), std::string(R"({"arn":"arn:aws:s3:::bucket"})"),
          std::string(R"({"alias":"x"})"), std::string(9000, 'a')}) {
        std::string why;
        EXPECT_FALSE(ci::parse_user_info_cookie(bad, &why)) << bad;
        EXPECT_FALSE(why.empty());
    }
}

// Names as a lenient server reads them (session 9; before, exactly): in any case, and without
// what a reader's trim drops (JavaScript's trim() in Node's `cookie` takes VT and NBSP).
TEST(user_info_cookie, cookie_values_from_headers) {
    std::vector<std::string_view> headers{"a=1; aws-userInfo=X; b=2",
                                          "aws-userInfo=Y;aws-userinfo=Z",
                                          "noequals; aws-userInfo =W; aws-userInfo-signed=S",
                                          "AWS-USERINFO\v=V; \xC2\xA0"
                                          "aws-userInfo=N; xaws-userInfo=O"};
    auto v = ci::cookie_values(headers, "aws-userInfo");
    EXPECT_EQ(v, (std::vector<std::string_view>{"X", "Y", "Z", "W", "V", "N"}));
}

// Issue 20: a repeated key is two readings of who the session is (Boost.JSON keeps the last,
// other readers the first), at the top level or nested, whatever the key.
TEST(user_info_cookie, a_repeated_key_is_ambiguous_and_refused) {
    for (std::string twice :
         {std::string(R"({"arn":"arn:aws:sts::111122223333:assumed-role/A/x",)"
                      R"("arn":"arn:aws:sts::444455556666:assumed-role/A/x"})"),
          std::string(R"({"arn":"arn:aws:iam::111122223333:root","alias":"a","alias":"b"})"),
          std::string(R"({"arn":"arn:aws:iam::111122223333:root","x":{"k":1,"k":2}})"),
          std::string("%7B%22arn%22%3A%22arn%3Aaws%3Aiam%3A%3A111122223333%3Aroot%22%2C%22arn%22"
                      "%3A%22arn%3Aaws%3Aiam%3A%3A111122223333%3Aroot%22%7D")}) {
        std::string why;
        bool ambiguous = false;
        EXPECT_FALSE(ci::parse_user_info_cookie(twice, &why, &ambiguous)) << twice;
        EXPECT_TRUE(ambiguous) << twice;
        EXPECT_NE(why.find("read two ways"), std::string::npos) << why;
    }
    bool ambiguous = false;
    std::string why;
    EXPECT_TRUE(ci::parse_user_info_cookie(assumed, &why, &ambiguous));
    EXPECT_FALSE(ambiguous);
    EXPECT_FALSE(ci::parse_user_info_cookie("%7B", &why, &ambiguous));
    EXPECT_FALSE(ambiguous);  // unreadable is not ambiguous
}

// The console's principal is a root, an IAM user, an assumed-role session or a federated user.
// A role or SAML provider ARN names a resource, never who the session is: AWS's reading of
// such a cookie is unknown, so it names no identity (before, its account was taken, role-less).
TEST(user_info_cookie, names_only_a_console_principal) {
    for (std::string bad :
         {std::string(R"({"arn":"arn:aws:iam::111122223333:role/Admin"})"),
          std::string(R"({"arn":"arn:aws:iam::111122223333:role/p/Admin"})"),
          std::string(R"({"arn":"arn:aws:iam::111122223333:saml-provider/Okta"})"),
          std::string(R"({"arn":"arn:aws:sts::111122223333:federated-user/a/b"})")}) {
        std::string why;
        EXPECT_FALSE(ci::parse_user_info_cookie(bad, &why)) << bad;
        EXPECT_NE(why.find("not a console principal"), std::string::npos) << bad << ": " << why;
    }
    for (std::string good :
         {std::string(R"({"arn":"arn:aws:iam::111122223333:root"})"),
          std::string(R"({"arn":"arn:aws:iam::111122223333:user/p/q/bob"})"),
          std::string(R"({"arn":"arn:aws:sts::111122223333:federated-user/bob"})"),
          std::string(R"({"arn":"arn:aws:sts::111122223333:assumed-role/A/s"})")}) {
        std::string why;
        EXPECT_TRUE(ci::parse_user_info_cookie(good, &why)) << good << ": " << why;
    }
}

// A key repeated in another case ("arn" and "Arn"): a reader that matches names
// case-insensitively (Jackson's ACCEPT_CASE_INSENSITIVE_PROPERTIES) may take either value.
TEST(user_info_cookie, a_key_repeated_in_another_case_is_ambiguous) {
    for (std::string twice :
         {std::string(R"({"arn":"arn:aws:iam::111122223333:root",)"
                      R"("Arn":"arn:aws:iam::444455556666:root"})"),
          std::string(R"({"ARN":"arn:aws:iam::444455556666:root",)"
                      R"("arn":"arn:aws:iam::111122223333:root"})"),
          std::string(R"({"arn":"arn:aws:iam::111122223333:root","alias":"a","ALIAS":"b"})")}) {
        std::string why;
        bool ambiguous = false;
        EXPECT_FALSE(ci::parse_user_info_cookie(twice, &why, &ambiguous)) << twice;
        EXPECT_TRUE(ambiguous) << twice;
        EXPECT_NE(why.find("read two ways"), std::string::npos) << why;
    }
    // Distinct names, and the same name in two objects, are one reading each.
    std::string why;
    EXPECT_TRUE(ci::parse_user_info_cookie(
        R"({"arn":"arn:aws:iam::111122223333:root","x":{"Arn":1},"y":{"arn":2}})", &why))
        << why;
}

// A key a lenient reader takes for a field beside that field ("arn " or "\u00A0arn", which a
// trimming reader reads as arn; "signin_type" is not one): two readings of the session, refused
// as ambiguous. Before session 10 only the case was compared, and the first was read alone.
TEST(user_info_cookie, a_key_a_lenient_reader_takes_for_a_field_is_ambiguous) {
    for (std::string twice :
         {std::string(R"({"arn":"arn:aws:iam::111122223333:root",)"
                      R"("arn ":"arn:aws:iam::444455556666:root"})"),
          std::string(R"({"\u00a0arn":"arn:aws:iam::444455556666:root",)"
                      R"("arn":"arn:aws:iam::111122223333:root"})"),
          std::string(R"({"arn":"arn:aws:iam::111122223333:root","alias":"a","\u000balias":"b"})"),
          std::string(R"({"arn":"arn:aws:iam::111122223333:root","arn\u0000x":"y"})")}) {
        std::string why;
        bool ambiguous = false;
        EXPECT_FALSE(ci::parse_user_info_cookie(twice, &why, &ambiguous)) << twice;
        EXPECT_TRUE(ambiguous) << twice;
        EXPECT_NE(why.find("read two ways"), std::string::npos) << why;
    }
    std::string why;
    EXPECT_TRUE(ci::parse_user_info_cookie(
        R"({"arn":"arn:aws:iam::111122223333:root","arns":"x","signin_type":"PUBLIC"})", &why))
        << why;
}
