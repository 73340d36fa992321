#include "consolegate/inspect/unrecognised.hpp"

#include <gtest/gtest.h>

namespace ci = consolegate::inspect;
namespace core = consolegate::core;

namespace {

bool unrecognised(std::string_view method, std::string_view host, std::string_view target) {
    core::http_request_view v;
    v.method = method;
    v.host = host;
    v.target = target;
    return ci::unrecognised_sign_in_request(v);
}

}  // namespace

TEST(unrecognised, data_to_an_unknown_sign_in_path_is_counted) {
    EXPECT_TRUE(unrecognised("POST", "signin.aws.amazon.com", "/v9/brand-new"));
    EXPECT_TRUE(unrecognised("GET", "signin.aws.amazon.com", "/v9/brand-new?x=1"));
    EXPECT_TRUE(unrecognised("PUT", "us-east-1.signin.aws.amazon.com", "/v1/tokens"));
    EXPECT_TRUE(unrecognised("POST", "signin.eu-west-1.amazonaws.com", "/v2/token"));
    EXPECT_TRUE(unrecognised("POST", "signin.aws.amazon.com", "/v2/saml-post"));
}

TEST(unrecognised, known_endpoints_pages_and_other_hosts_are_not) {
    for (auto target : {"/authenticate", "/signin?action=resolveAccountType", "/saml/acs/x",
                        "/federation?Action=login", "/switchrole?x=1", "/v1/token",
                        "/v1/authorize?a=b", "/signup?request_type=register", "/console?x=1",
                        "/oauth?x=1", "/sessions/1/v1/switchrole", "/?x=1", "/x/../authenticate"}) {
        EXPECT_FALSE(unrecognised("POST", "signin.aws.amazon.com", target)) << target;
    }
    // Static pages and assets: no data.
    EXPECT_FALSE(unrecognised("GET", "signin.aws.amazon.com", "/static/app.js"));
    EXPECT_FALSE(unrecognised("HEAD", "signin.aws.amazon.com", "/v9/x"));
    EXPECT_FALSE(unrecognised("OPTIONS", "signin.aws.amazon.com", "/v9/x"));
    // Not a sign-in host.
    EXPECT_FALSE(unrecognised("POST", "console.aws.amazon.com", "/v9/x"));
    EXPECT_FALSE(unrecognised("POST", "portal.sso.us-east-1.amazonaws.com", "/v9/x"));
    EXPECT_FALSE(unrecognised("POST", "notsignin.aws.amazon.com", "/v9/x"));
}

// GovCloud's and China's sign-in hosts are counted like the commercial one (issue 19); their
// consoles, like the commercial console, are not sign-in hosts.
TEST(unrecognised, other_partitions_sign_in_hosts_are_counted_too) {
    EXPECT_TRUE(unrecognised("POST", "signin.amazonaws-us-gov.com", "/v9/brand-new"));
    EXPECT_TRUE(unrecognised("POST", "us-gov-east-1.signin.amazonaws-us-gov.com", "/v9/x"));
    EXPECT_TRUE(unrecognised("POST", "signin.amazonaws.cn", "/v9/brand-new"));
    EXPECT_FALSE(unrecognised("POST", "signin.amazonaws-us-gov.com", "/authenticate"));
    EXPECT_FALSE(unrecognised("POST", "signin.amazonaws.cn", "/saml"));
    EXPECT_FALSE(unrecognised("POST", "console.amazonaws-us-gov.com", "/v9/x"));
    EXPECT_FALSE(unrecognised("POST", "console.amazonaws.cn", "/v9/x"));
}

// GovCloud's FIPS sign-in and Sign-In's OAuth endpoints (issue 19) are sign-in hosts: data to a
// path the inspector does not know there is counted, as on the others.
TEST(unrecognised, fips_and_oauth_sign_in_hosts_are_counted_too) {
    EXPECT_TRUE(unrecognised("POST", "signin-fips.amazonaws-us-gov.com", "/v9/brand-new"));
    EXPECT_TRUE(unrecognised("POST", "us-gov-west-1.signin-fips.amazonaws-us-gov.com", "/v9/x"));
    EXPECT_TRUE(unrecognised("POST", "us-east-1.oauth.signin.aws", "/v9/x"));
    EXPECT_TRUE(unrecognised("POST", "signin-fips.us-east-1.amazonaws.com", "/v9/x"));
    EXPECT_FALSE(unrecognised("POST", "us-gov-west-1.signin-fips.amazonaws-us-gov.com", "/saml"));
    EXPECT_FALSE(unrecognised("POST", "us-east-1.oauth.signin.aws", "/v1/token"));
    EXPECT_FALSE(unrecognised("POST", "evilsignin-fips.amazonaws-us-gov.com", "/v9/x"));
    EXPECT_FALSE(unrecognised("POST", "a.b.oauth.signin.aws", "/v9/x"));
}

// A body carries data whatever the method: a GET, HEAD or OPTIONS with a body to an unknown
// sign-in path is counted (before, only the method and the query were looked at).
TEST(unrecognised, a_body_carries_data_whatever_the_method) {
    for (auto method : {"GET", "HEAD", "OPTIONS"}) {
        core::http_request_view v;
        v.method = method;
        v.host = "signin.aws.amazon.com";
        v.target = "/v9/brand-new";
        v.body = "account=444455556666";
        EXPECT_TRUE(ci::unrecognised_sign_in_request(v)) << method;
        v.body = {};
        v.body_truncated = true;
        EXPECT_TRUE(ci::unrecognised_sign_in_request(v)) << method;
        v.body_truncated = false;
        EXPECT_FALSE(ci::unrecognised_sign_in_request(v)) << method;
    }
}
