// The value parsers behind the loader: durations, sizes, endpoints, CIDRs, globs, OU paths.

#include "config_values.hpp"

#include <gtest/gtest.h>

#include "consolegate/core/host_pattern.hpp"

namespace consolegate::core::config_detail {
namespace {

using namespace std::chrono_literals;

struct duration_case {
    const char* text;
    bool ok;
    duration value;
};

class config_values_duration : public ::testing::TestWithParam<duration_case> {};

TEST_P(config_values_duration, parses) {
    auto& c = GetParam();
    duration d{-1};
    std::string err = parse_duration(c.text, d);
    EXPECT_EQ(err.empty(), c.ok) << c.text << ": " << err;
    if (c.ok) {
        EXPECT_EQ(d, c.value) << c.text;
    }
}

INSTANTIATE_TEST_SUITE_P(
    Config, config_values_duration,
    ::testing::Values(duration_case{"500ms", true, 500ms}, duration_case{"30s", true, 30s},
                      duration_case{"5m", true, 5min}, duration_case{"12h", true, 12h},
                      duration_case{"7d", true, 168h}, duration_case{"0s", true, 0ms},
                      duration_case{"5", false, {}}, duration_case{"s", false, {}},
                      duration_case{"", false, {}}, duration_case{"-5s", false, {}},
                      duration_case{"5w", false, {}}, duration_case{"1h30m", false, {}},
                      duration_case{" 5s", false, {}}, duration_case{"5S", false, {}},
                      duration_case{"99999999999999999999d", false, {}},
                      duration_case{"36500d", true, 36500 * 24h},
                      duration_case{"36501d", false, {}}));

TEST(config_values, size_units) {
    std::uint64_t v = 0;
    EXPECT_EQ(parse_size("64KiB", v), "");
    EXPECT_EQ(v, 65536u);
    EXPECT_EQ(parse_size("1MiB", v), "");
    EXPECT_EQ(v, 1u << 20);
    EXPECT_EQ(parse_size("2GiB", v), "");
    EXPECT_EQ(v, 2ull << 30);
    EXPECT_EQ(parse_size("512B", v), "");
    EXPECT_EQ(v, 512u);
    EXPECT_EQ(parse_size("4096", v), "");
    EXPECT_EQ(v, 4096u);
    EXPECT_NE(parse_size("1MB", v).find("KiB, MiB or GiB"), std::string::npos);
    EXPECT_NE(parse_size("1TiB", v), "");
    EXPECT_NE(parse_size("", v), "");
    EXPECT_NE(parse_size("99999999999999999GiB", v).find("too large"), std::string::npos);
}

TEST(config_values, endpoints) {
    endpoint e;
    EXPECT_EQ(parse_endpoint("127.0.0.1:53", 0, e), "");
    EXPECT_EQ(e.str(), "127.0.0.1:53");
    EXPECT_EQ(parse_endpoint("[::1]:5353", 0, e), "");
    EXPECT_EQ(e.str(), "[::1]:5353");
    EXPECT_EQ(e.port, 5353);
    EXPECT_EQ(parse_endpoint("192.0.2.1", 53, e), "");
    EXPECT_EQ(e.port, 53);
    EXPECT_EQ(parse_endpoint("2001:db8::1", 53, e), "");
    EXPECT_EQ(e.str(), "[2001:db8::1]:53");
    EXPECT_EQ(parse_endpoint("[2001:db8::1]", 53, e), "");
    // Listeners need a port; IPv6 with a port needs brackets.
    EXPECT_NE(parse_endpoint("127.0.0.1", 0, e).find("port is missing"), std::string::npos);
    EXPECT_NE(parse_endpoint("::1:53", 0, e).find("[addr]:port"), std::string::npos);
    EXPECT_NE(parse_endpoint("127.0.0.1:0", 0, e).find("1 to 65535"), std::string::npos);
    EXPECT_NE(parse_endpoint("127.0.0.1:65536", 0, e).find("1 to 65535"), std::string::npos);
    EXPECT_NE(parse_endpoint("127.0.0.1:", 0, e), "");
    EXPECT_NE(parse_endpoint("dns.google:53", 0, e).find("not resolved"), std::string::npos);
    EXPECT_NE(parse_endpoint("[127.0.0.1]:53", 0, e), "");
    EXPECT_NE(parse_endpoint("[::1", 0, e).find("missing ']'"), std::string::npos);
    EXPECT_NE(parse_endpoint("", 53, e), "");
}

TEST(config_values, cidr_host_bits_named) {
    cidr c;
    EXPECT_EQ(parse_cidr("10.0.0.0/8", c), "");
    EXPECT_EQ(parse_cidr("2001:db8::/32", c), "");
    std::string err = parse_cidr("10.1.2.3/8", c);
    EXPECT_NE(err.find("host bits set"), std::string::npos) << err;
    EXPECT_NE(err.find("10.0.0.0/8"), std::string::npos) << err;
    err = parse_cidr("2001:db8::1/64", c);
    EXPECT_NE(err.find("2001:db8::/64"), std::string::npos) << err;
    EXPECT_NE(parse_cidr("10.0.0.0/33", c).find("expected a CIDR"), std::string::npos);
    EXPECT_NE(parse_cidr("ten/8", c), "");
}

// An IPv4-mapped IPv6 network is refused with its IPv4 spelling, which matches IPv4 clients
// however they connect (every IPv4 client is held as ::ffff:a.b.c.d).
TEST(config_values, cidr_ipv4_mapped_names_the_ipv4_network) {
    struct row {
        const char* written;
        const char* meant;
        const char* client;  // an IPv4-mapped client the suggested network matches
    };
    for (auto r : {row{"::ffff:10.0.0.0/104", "10.0.0.0/8", "::ffff:10.9.8.7"},
                   row{"::FFFF:10.1.2.3/104", "10.0.0.0/8", "10.1.2.3"},
                   row{"::ffff:192.0.2.7/128", "192.0.2.7/32", "::ffff:192.0.2.7"},
                   row{"::ffff:0.0.0.0/96", "0.0.0.0/0", "203.0.113.9"}}) {
        cidr c;
        auto err = parse_cidr(r.written, c);
        EXPECT_NE(err.find("IPv4-mapped IPv6 network; write it as IPv4: \"" + std::string(r.meant) +
                           "\""),
                  std::string::npos)
            << r.written << ": " << err;
        ASSERT_EQ(parse_cidr(r.meant, c), "");
        EXPECT_TRUE(c.contains(*ip_address::parse(r.client))) << r.written;
    }
    cidr c;
    // Below /96 it is no IPv4 network: an IPv6 one with host bits set, whose length counts 128
    // bits ("/8" there was once read as 10.0.0.0/8).
    EXPECT_NE(parse_cidr("::ffff:10.0.0.0/95", c), "");
    EXPECT_EQ(parse_cidr("::ffff:10.0.0.0/8", c),
              "CIDR \"::ffff:10.0.0.0/8\" has host bits set; did you mean \"::/8\"?");
}

// An IPv4-compatible network (::a.b.c.d/N, N >= 96) matches nobody: every source refuses a client
// held that way (core::parse_client_address, the PROXY protocol). It is refused with the IPv4
// network it spells; shorter IPv6 networks that cover it stay IPv6 networks.
TEST(config_values, cidr_ipv4_compatible_names_the_ipv4_network) {
    cidr c;
    EXPECT_EQ(parse_cidr("::10.20.0.0/112", c),
              "CIDR \"::10.20.0.0/112\" is an IPv4-compatible IPv6 network, which no client is "
              "held as; write it as IPv4: \"10.20.0.0/16\"");
    EXPECT_NE(parse_cidr("::10.20.0.5", c).find("\"10.20.0.5/32\""), std::string::npos);
    EXPECT_EQ(parse_cidr("::/96", c), "");
    EXPECT_EQ(parse_cidr("::1", c), "");
    EXPECT_EQ(parse_cidr("::/0", c), "");
}

TEST(config_values, ou_paths) {
    EXPECT_EQ(check_ou_path("o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"), "");
    EXPECT_EQ(check_ou_path("o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*"), "");
    EXPECT_EQ(check_ou_path("o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-ab12-22222222/"), "");
    EXPECT_EQ(check_ou_path("o-a1b2c3d4e5/*"), "");
    EXPECT_EQ(check_ou_path("o-a1b2c3d4e5/r-ab12/"), "");
    EXPECT_NE(check_ou_path("o-a1b2c3d4e5/r-ab12/ou-ab12-11111111").find("must end with"),
              std::string::npos);
    // 7 characters after the second dash: not an OU ID.
    EXPECT_NE(check_ou_path("o-a1b2c3d4e5/r-ab12/ou-ab12-1111111/").find("not an OU ID"),
              std::string::npos);
    EXPECT_NE(check_ou_path("o-a1b2c3d4e5/ou-ab12-11111111/").find("not a root ID"),
              std::string::npos);
    EXPECT_NE(check_ou_path("o-short/r-ab12/").find("not an organization ID"), std::string::npos);
    EXPECT_NE(check_ou_path("o-a1b2c3d4e5//"), "");
    EXPECT_NE(check_ou_path("/*"), "");
    EXPECT_NE(check_ou_path(""), "");
    EXPECT_NE(check_ou_path("*"), "");
    EXPECT_NE(check_ou_path("o-a1b2c3d4e5/r-ab12/ou-AB12-11111111/"), "");
}

TEST(config_values, globs) {
    EXPECT_EQ(check_glob("AWSReservedSSO_Admin*_????"), "");
    EXPECT_EQ(check_glob("alice@example.com"), "");
    EXPECT_NE(check_glob("").find("must not be empty"), std::string::npos);
    EXPECT_NE(check_glob("[ab]c").find("only '*' and '?'"), std::string::npos);
    EXPECT_NE(check_glob("a\tb").find("control"), std::string::npos);
    // Host patterns are core/host_pattern's (the loader calls it): see host_pattern_test.cpp.
    EXPECT_EQ(host_pattern_error("Portal.SSO.*.AmazonAWS.com."), "");
    EXPECT_EQ(host_pattern::parse("Portal.SSO.*.AmazonAWS.com.")->str(),
              "portal.sso.*.amazonaws.com");
    EXPECT_NE(host_pattern_error("a..b").find("empty label"), std::string::npos);
    EXPECT_NE(host_pattern_error(""), "");
    EXPECT_NE(host_pattern_error("a b.com"), "");
}

TEST(config_values, aliases_and_env_names) {
    std::string a;
    EXPECT_EQ(parse_alias("Acme-Prod", a), "");
    EXPECT_EQ(a, "acme-prod");
    EXPECT_NE(parse_alias("ab", a), "");
    EXPECT_NE(parse_alias("-acme", a), "");
    EXPECT_NE(parse_alias("acme--prod", a), "");
    EXPECT_NE(parse_alias("acme_prod", a), "");
    EXPECT_NE(parse_alias("123456789012", a).find("looks like an account ID"), std::string::npos);
    // Digits and dashes the inspector refuses as an account value (no sign-in could match them).
    for (const char* digits :
         {"11112222333", "0111122223333", "1111-22223333", "1111-2222-3-33", "111-222-333", "123",
          "1-2", "0000000000000000000000000000000000000000000000001"}) {
        a = "unchanged";
        EXPECT_NE(parse_alias(digits, a).find("is digits but not a 12-digit account ID"),
                  std::string::npos)
            << digits;
        EXPECT_EQ(a, "unchanged") << digits;
    }
    // The console's spelling is an alias too (the inspector judges both readings); a letter
    // anywhere makes an alias.
    for (const char* ok : {"1111-2222-3333", "11112222333a", "a11112222333", "1111-2222-333x"}) {
        EXPECT_EQ(parse_alias(ok, a), "") << ok;
        EXPECT_EQ(a, ok);
    }
    EXPECT_EQ(check_env_name("TEAM_AWS_ACCESS_KEY_ID"), "");
    EXPECT_NE(check_env_name("AKIAIOSFODNN7EXAMPLE/x"), "");
    EXPECT_NE(check_env_name("1ABC"), "");
    EXPECT_NE(check_env_name(""), "");
}

TEST(config_values, nearest_key) {
    std::string_view known[] = {"upstreams", "upstream_timeout", "listen", "steer_ipv4"};
    EXPECT_EQ(nearest_key("upstream", known), "upstreams");
    EXPECT_EQ(nearest_key("Listen", known), "listen");
    EXPECT_EQ(nearest_key("steer_ip4", known), "steer_ipv4");
    EXPECT_EQ(nearest_key("completely_different", known), "");
}

TEST(config_values, format_diagnostic) {
    EXPECT_EQ(format_diagnostic({"a.toml", 3, 7, "bad"}), "a.toml:3:7: bad");
    EXPECT_EQ(format_diagnostic({"a.json", 0, 0, "bad"}), "a.json: bad");
}

}  // namespace
}  // namespace consolegate::core::config_detail
