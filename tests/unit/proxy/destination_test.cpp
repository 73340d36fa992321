#include "destination.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace consolegate::proxy {
namespace {

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

// An IPv6 spelling of an internal IPv4 address reaches it (IPv4-compatible, NAT64 through the
// well-known or the site's prefix, 6to4 where a relay serves it): refused like the address.
TEST(destination, ipv6_spellings_of_an_internal_ipv4_address_are_internal) {
    auto ip = [](const char* s) { return *core::ip_address::parse(s); };
    const std::vector<core::cidr> nat64{*core::cidr::parse("2001:db8:64::/96")};
    for (const char* s : {"::10.1.2.3", "64:ff9b::a01:203", "64:ff9b::7f00:1", "2002:a01:203::1",
                          "2001:db8:64::a9fe:a9fe"}) {
        EXPECT_FALSE(destination_allowed(ip(s), {}, nat64)) << s;
    }
    EXPECT_TRUE(destination_allowed(ip("2001:db8:64::a9fe:a9fe"), {}));  // not the site's
    EXPECT_TRUE(destination_allowed(ip("64:ff9b::3418:1"), {}, nat64));  // 52.24.0.1
    // Allowed in either spelling.
    std::vector<core::cidr> allow{*core::cidr::parse("10.0.0.0/8")};
    EXPECT_TRUE(destination_allowed(ip("64:ff9b::a01:203"), allow, nat64));
}

}  // namespace
}  // namespace consolegate::proxy
