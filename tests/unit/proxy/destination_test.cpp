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

}  // namespace
}  // namespace consolegate::proxy
