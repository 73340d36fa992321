#include "host_routes.hpp"

#include <gtest/gtest.h>

namespace consolegate::proxy {
namespace {

// Numbers that resolvers and HTTP clients read as an IPv4 address while the name matcher reads a
// name (issue 17, class 2): refused on every path, like any name that is not a host.
TEST(host_routes, an_ipv4_address_is_routed_only_as_a_dotted_quad) {
    for (const char* s : {"198.51.100.1", "0.0.0.0", "255.255.255.255", "signin.aws.amazon.com",
                          "1.2.3.example", "a.0xg", "2001:db8::1", "123abc", "a1"}) {
        EXPECT_TRUE(host_routes::acceptable(s)) << s;
    }
    for (const char* s :
         {"3325256705", "0xc6336401", "0xC6336401", "0300.0063.0144.01", "198.51.100.01",
          "198.51.25601", "198.6507521", "127.1", "1.2.3.4.5", "256.1.1.1", "0x7f.0.0.1",
          "127.0.0.0x1", "0", "0x", "x.0x", "a.b.1", "signin.aws.amazon.com.0x10", "", "a..b"}) {
        EXPECT_FALSE(host_routes::acceptable(s)) << s;
    }
    const host_routes routes(core::proxy_config{});
    for (const char* s : {"3325256705", "0xc6336401", "127.1"}) {
        EXPECT_EQ(routes.connect_target(s), route::refuse) << s;
        EXPECT_EQ(routes.plain_http(s), route::refuse) << s;
        EXPECT_EQ(routes.tls(s, ""), route::refuse) << s;
        EXPECT_EQ(routes.tls("", s), route::refuse) << s;
        EXPECT_EQ(routes.tls("www.example.org", s), route::refuse) << s;
    }
}

// The names an ECH ClientHello's outer name may not be spliced under: AWS's own zones, whole
// labels only; the retail amazon.com and look-alikes are no AWS front.
TEST(host_routes, aws_fronts_are_the_names_under_aws_zones) {
    for (const char* s :
         {"d111111abcdef8.cloudfront.net", "cloudfront.net", "aws.amazon.com",
          "public.signin.aws.amazon.com", "s3.eu-west-1.amazonaws.com", "x.oauth.signin.aws", "aws",
          "ech.amazonaws.com.cn", "a.awsapps.com", "b.amazonaws-us-gov.com",
          "c.awsglobalaccelerator.com",
          // The ISO partitions' and the European Sovereign Cloud's domains
          // (session 11: they were none, so an ECH hello there was spliced).
          "front.amazonaws-eusc.eu", "s3.eusc-de-east-1.amazonaws.eu", "x.api.amazonwebservices.eu",
          "console.c2shome.ic.gov", "s3.us-isob-east-1.sc2s.sgov.gov", "y.api.cloud-aws.adc-e.uk",
          "z.csp.hci.ic.gov"}) {
        EXPECT_TRUE(host_routes::aws_front(s)) << s;
    }
    for (const char* s : {"www.amazon.com", "amazon.com", "evilcloudfront.net", "notaws",
                          "cloudfront.net.evil.test", "amazonaws.com.evil.test", "example.org",
                          "xaws.amazon.com", "ic.gov", "adc-e.uk", "amazonaws.eu.evil.test"}) {
        EXPECT_FALSE(host_routes::aws_front(s)) << s;
    }
}

// not_inspected = "refuse": only inspected and pass-through names get through, on the CONNECT
// target and the plain-HTTP URL as on the TLS names.
TEST(host_routes, refuse_mode_refuses_unlisted_names_on_every_path) {
    core::proxy_config p;
    p.not_inspected = core::not_inspected_action::refuse;
    p.pass_through_hosts = {"*.example.com"};
    const host_routes routes(p);
    EXPECT_EQ(routes.connect_target("signin.aws.amazon.com"), route::inspect);
    EXPECT_EQ(routes.connect_target("a.example.com"), route::splice);
    EXPECT_EQ(routes.connect_target("other.test"), route::refuse);
    EXPECT_EQ(routes.connect_target("198.51.100.1"), route::refuse);
    EXPECT_EQ(routes.plain_http("other.test"), route::refuse);
    EXPECT_EQ(routes.plain_http("a.example.com"), route::splice);
    EXPECT_EQ(routes.plain_http("console.aws.amazon.com"), route::inspect);
    core::proxy_config splice_mode;
    const host_routes open(splice_mode);
    EXPECT_EQ(open.connect_target("other.test"), route::splice);
    EXPECT_EQ(open.plain_http("198.51.100.1"), route::splice);
}

// A connection that goes to an inspected name's address (destination_set.hpp): bumped under a
// proper server name, refused without one or when the names disagree; pass-through names are
// the operator's to splice.
TEST(host_routes, a_connection_to_an_inspected_address_needs_one_server_name) {
    core::proxy_config p;
    p.pass_through_hosts = {"*.example.com"};
    const host_routes routes(p);
    // The SNI listener (no CONNECT name).
    EXPECT_EQ(routes.to_inspected_address("", "login.evil.test"), route::inspect);
    EXPECT_EQ(routes.to_inspected_address("", ""), route::refuse);
    EXPECT_EQ(routes.to_inspected_address("", "198.51.100.1"), route::refuse);
    EXPECT_EQ(routes.to_inspected_address("", "3325256705"), route::refuse);
    EXPECT_EQ(routes.to_inspected_address("", "a.example.com"), route::splice);
    // CONNECT.
    EXPECT_EQ(routes.to_inspected_address("login.evil.test", "login.evil.test"), route::inspect);
    EXPECT_EQ(routes.to_inspected_address("login.evil.test", ""), route::refuse);
    EXPECT_EQ(routes.to_inspected_address("login.evil.test", "other.evil.test"), route::refuse);
    EXPECT_EQ(routes.to_inspected_address("198.51.100.1", "login.evil.test"), route::refuse);
    EXPECT_EQ(routes.to_inspected_address("198.51.100.1", ""), route::refuse);
    EXPECT_EQ(routes.to_inspected_address("a.example.com", "a.example.com"), route::splice);
    EXPECT_EQ(routes.to_inspected_address("a.example.com", ""), route::splice);
    EXPECT_EQ(routes.to_inspected_address("a.example.com", "login.evil.test"), route::refuse);
    EXPECT_EQ(routes.to_inspected_address("198.51.100.1", "a.example.com"), route::refuse);
}

}  // namespace
}  // namespace consolegate::proxy
