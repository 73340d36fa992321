#include "host_pattern.hpp"

#include <gtest/gtest.h>

#include "consolegate/core/config.hpp"

namespace consolegate::proxy {
namespace {

struct match_case {
    const char* host;
    bool inspected;
};

class default_inspect_set : public ::testing::TestWithParam<match_case> {};

TEST_P(default_inspect_set, matches_on_label_boundaries) {
    host_set set(core::proxy_config{}.inspect_hosts);
    auto c = GetParam();
    EXPECT_EQ(set.matches(normalise_host(c.host)), c.inspected) << c.host;
}

INSTANTIATE_TEST_SUITE_P(
    hosts, default_inspect_set,
    ::testing::Values(match_case{"signin.aws.amazon.com", true},
                      match_case{"SIGNIN.aws.amazon.com.", true},
                      match_case{"us-east-1.signin.aws.amazon.com", true},
                      match_case{"123456789012.signin.aws.amazon.com", true},
                      match_case{"a.b.signin.aws.amazon.com", true},
                      match_case{"evilsignin.aws.amazon.com", false},
                      match_case{"signin.aws.amazon.com.evil.com", false},
                      match_case{"console.aws.amazon.com", true},
                      match_case{"123456789012-abcdefgh.us-east-1.console.aws.amazon.com", true},
                      match_case{"aws.amazon.com", false},
                      match_case{"portal.sso.eu-west-1.amazonaws.com", true},
                      match_case{"portal.sso.amazonaws.com", false},
                      match_case{"portal.sso.a.b.amazonaws.com", false},
                      match_case{"x.portal.sso.eu-west-1.amazonaws.com", false},
                      match_case{"s3.amazonaws.com", false}, match_case{"", false}));

TEST(authority, forms) {
    authority a;
    ASSERT_TRUE(parse_authority("Signin.AWS.amazon.com:443", a));
    EXPECT_EQ(a.host, "signin.aws.amazon.com");
    EXPECT_EQ(a.port, 443);
    ASSERT_TRUE(parse_authority("[::1]:8443", a));
    EXPECT_EQ(a.host, "::1");
    EXPECT_EQ(a.port, 8443);
    ASSERT_TRUE(parse_authority("example.com", a, 80));
    EXPECT_EQ(a.port, 80);
    EXPECT_FALSE(parse_authority("example.com", a));  // CONNECT needs a port
    EXPECT_FALSE(parse_authority("example.com:", a));
    EXPECT_FALSE(parse_authority("example.com:0", a));
    EXPECT_FALSE(parse_authority("example.com:65536", a));
    EXPECT_FALSE(parse_authority("example.com:44x", a));
    EXPECT_FALSE(parse_authority("exa mple.com:443", a));
    EXPECT_FALSE(parse_authority("::1:443", a));
    EXPECT_FALSE(parse_authority(":443", a));
}

}  // namespace
}  // namespace consolegate::proxy
