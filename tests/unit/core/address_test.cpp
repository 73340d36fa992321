#include "consolegate/core/address.hpp"

#include <gtest/gtest.h>

namespace cc = consolegate::core;

TEST(cidr, matching_and_host_bits) {
    auto c = cc::cidr::parse("10.20.0.0/16");
    ASSERT_TRUE(c);
    EXPECT_TRUE(c->contains(*cc::ip_address::parse("10.20.255.1")));
    EXPECT_FALSE(c->contains(*cc::ip_address::parse("10.21.0.1")));
    EXPECT_FALSE(c->contains(*cc::ip_address::parse("::1")));
    EXPECT_FALSE(cc::cidr::parse("10.20.1.0/16"));  // host bits set
    EXPECT_FALSE(cc::cidr::parse("10.0.0.0/33"));
    auto v6 = cc::cidr::parse("2001:db8::/32");
    ASSERT_TRUE(v6);
    EXPECT_TRUE(v6->contains(*cc::ip_address::parse("2001:db8:1::5")));
    EXPECT_EQ(v6->str(), "2001:db8::/32");
    EXPECT_EQ(cc::cidr::parse("0.0.0.0/0")->str(), "0.0.0.0/0");
    EXPECT_TRUE(cc::cidr::parse("0.0.0.0/0")->contains(*cc::ip_address::parse("192.0.2.1")));
}
