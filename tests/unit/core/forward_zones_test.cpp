#include "consolegate/core/forward_zones.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "config_test_support.hpp"

namespace cg = consolegate;
using cg::core::forward_zones;
using cg::core::host_pattern;

namespace {

std::string zone_of(std::string_view pattern) {
    return cg::core::pattern_zone(*host_pattern::parse(pattern));
}

std::vector<std::string> zone_names(const cg::core::dns_config& d) {
    std::vector<std::string> out;
    for (const auto& z : forward_zones(d)) out.push_back(z.zone);
    return out;
}

bool in_a_documented_zone(std::string_view pattern) {
    auto zone = zone_of(pattern);
    return std::ranges::any_of(cg::core::documented_forward_zones,
                               [&](auto z) { return cg::core::in_zone(zone, z); });
}

}  // namespace

TEST(forward_zones, a_patterns_zone_is_what_lies_right_of_its_last_wildcard) {
    EXPECT_EQ(zone_of("signin.aws.amazon.com"), "signin.aws.amazon.com");
    EXPECT_EQ(zone_of("*.console.aws.amazon.com"), "console.aws.amazon.com");
    EXPECT_EQ(zone_of("portal.sso.*.amazonaws.com"), "amazonaws.com");
    EXPECT_EQ(zone_of("*.portal.*.app.amazonwebservices.com.cn"), "app.amazonwebservices.com.cn");
    EXPECT_EQ(zone_of("signin.*.api.aws"), "api.aws");
    EXPECT_EQ(zone_of("*.*.example"), "example");
    EXPECT_EQ(zone_of("signin.*"), ".");
}

TEST(forward_zones, in_zone_is_on_label_boundaries) {
    EXPECT_TRUE(cg::core::in_zone("amazonaws.com", "amazonaws.com"));
    EXPECT_TRUE(cg::core::in_zone("portal.amazonaws.com", "amazonaws.com"));
    EXPECT_FALSE(cg::core::in_zone("notamazonaws.com", "amazonaws.com"));
    EXPECT_FALSE(cg::core::in_zone("amazonaws.com.cn", "amazonaws.com"));
    EXPECT_TRUE(cg::core::in_zone("anything.example", "."));
}

// The class of the evasion route: a name the gateway steers or inspects by default in a zone the
// resolver snippets do not forward is resolved around the gateway. Every default inspected name
// (what DNS steers unless written), every built-in default steer name and the canaries lie in a
// documented zone, and the loaded default configuration needs exactly the documented zones.
TEST(forward_zones, every_default_steered_or_inspected_name_lies_in_a_documented_zone) {
    const cg::core::config defaults;
    for (const auto& n : defaults.proxy.inspect_hosts) EXPECT_TRUE(in_a_documented_zone(n)) << n;
    for (const auto& n : defaults.dns.steer_names) EXPECT_TRUE(in_a_documented_zone(n)) << n;
    EXPECT_TRUE(in_a_documented_zone(cg::core::identity_center_portals));

    auto loaded = cgtest::load(cgtest::minimal);
    ASSERT_TRUE(loaded.cfg);
    EXPECT_EQ(loaded.cfg->dns.steer_names, defaults.proxy.inspect_hosts);
    const std::vector<std::string> documented(cg::core::documented_forward_zones.begin(),
                                              cg::core::documented_forward_zones.end());
    EXPECT_EQ(zone_names(loaded.cfg->dns), documented);
    for (const auto& z : forward_zones(loaded.cfg->dns)) EXPECT_TRUE(z.documented) << z.zone;
}

TEST(forward_zones, a_narrowed_site_needs_fewer_zones_and_its_own_names_their_own) {
    cg::core::dns_config d;
    d.steer_identity_center = false;
    d.steer_names = {"signin.aws.amazon.com", "*.sso.corp.example", "x.sso.corp.example",
                     "a.b.c.example", "*.c.example"};
    d.block_names = {"*.bad.example.org"};
    EXPECT_EQ(zone_names(d),
              (std::vector<std::string>{"aws.amazon.com", "use-application-dns.net",
                                        "mask.icloud.com", "mask-h2.icloud.com", "bad.example.org",
                                        "c.example", "sso.corp.example"}));
    auto zones = forward_zones(d);
    auto c = std::ranges::find(zones, "c.example", &cg::core::forward_zone::zone);
    ASSERT_NE(c, zones.end());
    EXPECT_FALSE(c->documented);
    ASSERT_EQ(c->names.size(), 2u);  // a.b.c.example is forwarded with c.example
    EXPECT_EQ(c->names[0].name, "*.c.example");
    EXPECT_EQ(c->names[1].name, "a.b.c.example");
    EXPECT_EQ(c->names[1].key, "dns.steer_names");
}

TEST(forward_zones, a_wider_zone_of_the_site_takes_the_documented_ones_inside_it) {
    cg::core::dns_config d;
    d.steer_names = {"*.com"};
    auto zones = zone_names(d);
    EXPECT_EQ(std::ranges::count(zones, "com"), 1);
    EXPECT_EQ(std::ranges::count(zones, "amazonaws.com"), 0);  // the portal, inside com
    EXPECT_EQ(std::ranges::count(zones, "mask.icloud.com"), 0);
}
