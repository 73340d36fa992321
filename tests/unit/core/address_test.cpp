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

// IPv4 clients are held IPv4-mapped (::ffff:a.b.c.d), inside the bits of "::/0" and of every
// IPv6 network of /80 or shorter starting with zeros; a network matches its own family only.
TEST(cidr, a_network_matches_only_clients_of_the_family_it_is_written_in) {
    const auto v4_client = *cc::ip_address::parse("192.0.2.1");
    const auto v6_client = *cc::ip_address::parse("2001:db8::1");
    for (const char* v6 : {"::/0", "::/1", "::/64", "::/80", "0:0:0:0:0:0::/80"}) {
        auto c = cc::cidr::parse(v6);
        ASSERT_TRUE(c) << v6;
        EXPECT_FALSE(c->contains(v4_client)) << v6;
        EXPECT_FALSE(c->contains(*cc::ip_address::parse("::ffff:192.0.2.1"))) << v6;
    }
    EXPECT_TRUE(cc::cidr::parse("::/0")->contains(v6_client));
    EXPECT_TRUE(cc::cidr::parse("::/1")->contains(v6_client));
    EXPECT_TRUE(cc::cidr::parse("::/64")->contains(*cc::ip_address::parse("::1")));
    // And an IPv4 network never matches a native IPv6 client, however its bits fall.
    for (const char* v6 : {"::", "::1", "::c000:201", "2001:db8::1"}) {
        EXPECT_FALSE(cc::cidr::parse("0.0.0.0/0")->contains(*cc::ip_address::parse(v6))) << v6;
    }
    EXPECT_TRUE(cc::cidr::parse("0.0.0.0/0")->contains(v4_client));
}

// A length after an IPv6-written address counts 128 bits: "::ffff:0:0/16" is an IPv6 network
// with host bits set, never the IPv4 0.0.0.0/16 its last 32 bits would make.
TEST(cidr, an_ipv6_written_ipv4_mapped_network_is_no_ipv4_network) {
    for (const char* bad :
         {"::ffff:0:0/16", "::ffff:10.0.0.0/8", "::ffff:0:0/0", "::ffff:10.0.0.0/104"})
        EXPECT_FALSE(cc::cidr::parse(bad)) << bad;
    // A bare IPv4-mapped address is that IPv4 host.
    auto host = cc::cidr::parse("::ffff:192.0.2.7");
    ASSERT_TRUE(host);
    EXPECT_EQ(host->str(), "192.0.2.7/32");
    EXPECT_TRUE(host->contains(*cc::ip_address::parse("192.0.2.7")));
}

// One client, every spelling a source may hand over, is one value; the spellings that could be
// read as another address are refused with a reason rather than guessed.
TEST(parse_client_address, every_spelling_of_one_client_is_one_address) {
    const auto want = *cc::ip_address::parse("10.20.0.5");
    for (const char* s : {"10.20.0.5", "::ffff:10.20.0.5", "::FFFF:10.20.0.5", "::ffff:a14:5",
                          "::FFFF:0A14:0005", "0:0:0:0:0:ffff:10.20.0.5"}) {
        auto a = cc::parse_client_address(s);
        ASSERT_TRUE(a) << s;
        EXPECT_EQ(*a, want) << s;
        EXPECT_EQ(a->str(), "10.20.0.5") << s;
        EXPECT_TRUE(cc::cidr::parse("10.20.0.0/16")->contains(*a)) << s;
    }
    EXPECT_EQ(*cc::parse_client_address("2001:DB8::A"), *cc::parse_client_address("2001:db8::a"));
    EXPECT_EQ(*cc::parse_client_address("2001:db8:0:0:0:0:0:a"),
              *cc::parse_client_address("2001:db8::a"));
}

TEST(parse_client_address, ambiguous_spellings_are_refused_with_why) {
    struct bad {
        const char* text;
        const char* why;
    };
    for (auto [text, why] :
         {bad{"010.020.000.005", "leading zero"}, bad{"10.20.0.05", "leading zero"},
          bad{"::ffff:010.20.0.5", "leading zero"}, bad{"fe80::1%eth0", "zone id"},
          bad{"10.20.0.5%1", "zone id"}, bad{"::10.20.0.5", "IPv4-compatible"},
          bad{"::a14:5", "IPv4-compatible"}, bad{"0x0a.20.0.5", "not an IP address"},
          bad{"10.20.5", "not an IP address"}, bad{"10.20.0.5/32", "not an IP address"},
          bad{"", "not an IP address"}}) {
        std::string got;
        EXPECT_FALSE(cc::parse_client_address(text, &got)) << text;
        EXPECT_NE(got.find(why), std::string::npos) << text << ": " << got;
    }
    // :: and ::1 are no IPv4-compatible addresses (RFC 4291 §2.5.5.1): they stay IPv6.
    EXPECT_TRUE(cc::parse_client_address("::1"));
    EXPECT_TRUE(cc::parse_client_address("::"));
    EXPECT_FALSE(cc::ip_address::parse("::1")->is_v4_compatible());
    EXPECT_TRUE(cc::ip_address::parse("::10.20.0.5")->is_v4_compatible());
    EXPECT_FALSE(cc::ip_address::parse("::ffff:10.20.0.5")->is_v4_compatible());
}
