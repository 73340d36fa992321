#include "host_pattern.hpp"

#include <gtest/gtest.h>

#include "consolegate/core/config.hpp"
#include "destination.hpp"

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

TEST(destination, internal_ranges_need_configuration) {
    auto ip = [](const char* s) { return *core::ip_address::parse(s); };
    for (const char* s :
         {"127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "0.0.0.0",
          "100.64.0.1", "::1", "fe80::1", "fd00::1", "::ffff:127.0.0.1", "224.0.0.1", "::"}) {
        EXPECT_FALSE(destination_allowed(ip(s), {})) << s;
    }
    for (const char* s : {"52.94.236.248", "8.8.8.8", "2600:9000::1"}) {
        EXPECT_TRUE(destination_allowed(ip(s), {})) << s;
    }
    std::vector<core::cidr> allow{*core::cidr::parse("127.0.0.0/8")};
    EXPECT_TRUE(destination_allowed(ip("127.0.0.5"), allow));
    EXPECT_FALSE(destination_allowed(ip("10.0.0.1"), allow));
}

}  // namespace
}  // namespace consolegate::proxy
