#include "consolegate/inspect/portal_user.hpp"

#include <gtest/gtest.h>

#include "request_view.hpp"

namespace ci = consolegate::inspect;
using ci::testing::request;

namespace {

const std::string token = "eyJlbmMiOiJBMjU2R0NNIiwidGFnIjoi.portal-session-0123456789";

struct answer_row {
    const char* label;
    std::string body;
    const char* user;  // nullptr = nobody learned
};

std::ostream& operator<<(std::ostream& os, const answer_row& r) {
    return os << r.label;
}

class portal_user_answer : public ::testing::TestWithParam<answer_row> {};

}  // namespace

TEST(portal_user, the_profile_call_is_get_user_on_a_portal_api_host) {
    EXPECT_TRUE(
        ci::is_portal_user_request(request("GET", "portal.sso.eu-west-1.amazonaws.com", "/user")));
    EXPECT_TRUE(ci::is_portal_user_request(
        request("GET", "Portal.SSO.us-east-1.amazonaws.com:443", "/user/?x=1")));
    EXPECT_FALSE(
        ci::is_portal_user_request(request("POST", "portal.sso.eu-west-1.amazonaws.com", "/user")));
    EXPECT_FALSE(
        ci::is_portal_user_request(request("GET", "portal.sso.eu-west-1.amazonaws.com", "/users")));
    EXPECT_FALSE(ci::is_portal_user_request(
        request("GET", "portal.sso.eu-west-1.amazonaws.com", "/token/whoAmI")));
    EXPECT_FALSE(
        ci::is_portal_user_request(request("GET", "portal.sso.a.b.amazonaws.com", "/user")));
    EXPECT_FALSE(ci::is_portal_user_request(request("GET", "portal.sso.amazonaws.com", "/user")));
    EXPECT_FALSE(ci::is_portal_user_request(
        request("GET", "portal.sso.eu-west-1.amazonaws.com.evil", "/user")));
    EXPECT_FALSE(ci::is_portal_user_request(request("GET", "evil.example", "/user")));
    // The portal API's FIPS, dual-stack and China names, where a portal's web app asks too.
    for (const char* host :
         {"portal.sso-fips.us-gov-west-1.amazonaws.com", "portal.sso.eu-west-1.api.aws",
          "portal.sso-fips.us-east-1.api.aws", "portal.sso.cn-north-1.amazonaws.com.cn",
          "portal.sso.cn-north-1.api.amazonwebservices.com.cn"}) {
        EXPECT_TRUE(ci::is_portal_user_request(request("GET", host, "/user"))) << host;
    }
    EXPECT_FALSE(ci::is_portal_user_request(request("GET", "portal.sso.a.b.api.aws", "/user")));
    EXPECT_FALSE(ci::is_portal_user_request(request("GET", "portal.sso-fips.api.aws", "/user")));
}

TEST(portal_user, the_bearer_token_is_read_once_and_only_when_unambiguous) {
    auto r = request("GET", "portal.sso.eu-west-1.amazonaws.com", "/federation/credentials");
    EXPECT_FALSE(ci::portal_bearer_token(r));
    const std::string padded = " " + token + " ";
    r.headers = {{"X-Amz-Sso_Bearer_Token", padded}};
    ASSERT_TRUE(ci::portal_bearer_token(r));
    EXPECT_EQ(*ci::portal_bearer_token(r), token);
    // The dashed spelling, and the same token twice, are one token.
    r.headers = {{"x-amz-sso-bearer-token", token}, {"x-amz-sso_bearer_token", token}};
    EXPECT_EQ(ci::portal_bearer_token(r).value_or(""), token);
    // Two different tokens: which one AWS reads is open, so nobody.
    std::string other = token + "x";
    r.headers = {{"x-amz-sso_bearer_token", token}, {"x-amz-sso_bearer_token", other}};
    EXPECT_FALSE(ci::portal_bearer_token(r));
    // Too short, too long, or with characters a token never has.
    for (std::string bad :
         {std::string("short"), std::string(9000, 'a'), token + " x", token + "\"", token + ","}) {
        r.headers = {{"x-amz-sso_bearer_token", bad}};
        EXPECT_FALSE(ci::portal_bearer_token(r)) << bad.substr(0, 40);
    }
    // Other headers are never read as the token.
    const std::string bearer = "Bearer " + token, cookie = "x-amz-sso_authn=" + token;
    r.headers = {{"Authorization", bearer}, {"Cookie", cookie}};
    EXPECT_FALSE(ci::portal_bearer_token(r));
}

TEST_P(portal_user_answer, names_the_user_or_nobody) {
    const auto& r = GetParam();
    auto user = ci::portal_user_from_answer(r.body);
    if (!r.user) {
        EXPECT_FALSE(user) << *user;
    } else {
        ASSERT_TRUE(user);
        EXPECT_EQ(*user, r.user);
    }
}

INSTANTIATE_TEST_SUITE_P(
    shapes, portal_user_answer,
    ::testing::Values(
        // The shape the portal's web app reads (WTFender/aws-sso-extender, src/types.d.ts).
        answer_row{"profile",
                   R"({"accountId":"111122223333","userId":"9067-aa","subject":"alice",)"
                   R"("preferredUsername":"Alice A","directoryType":"UserPool",)"
                   R"("ssoInstanceId":"ssoins-1","email":"alice@corp.example","groups":[]})",
                   "alice"},
        answer_row{"e-mail user name", R"({"subject":"Alice@Corp.Example"})", "Alice@Corp.Example"},
        answer_row{"no subject", R"({"userId":"9067-aa","preferredUsername":"alice"})", nullptr},
        answer_row{"subject not a string", R"({"subject":7})", nullptr},
        answer_row{"empty subject", R"({"subject":""})", nullptr},
        answer_row{"subject with a space", R"({"subject":"alice smith"})", nullptr},
        answer_row{"subject with a control character", "{\"subject\":\"al\\u0001ice\"}", nullptr},
        answer_row{"subject over 128 characters",
                   R"({"subject":")" + std::string(129, 'a') + R"("})", nullptr},
        // Read two ways by two readers: nobody.
        answer_row{"repeated subject", R"({"subject":"alice","subject":"bob"})", nullptr},
        answer_row{"repeated key elsewhere", R"({"subject":"alice","x":{"a":1,"a":2}})", nullptr},
        answer_row{"only nested", R"({"user":{"subject":"alice"}})", nullptr},
        answer_row{"not an object", R"(["subject","alice"])", nullptr},
        answer_row{"not JSON", "subject=alice", nullptr}, answer_row{"empty", "", nullptr},
        answer_row{"an error answer", R"({"message":"Session token not found or invalid"})",
                   nullptr}));
