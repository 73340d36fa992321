#include "consolegate/net/proxy_protocol.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "consolegate/core/address.hpp"

namespace cc = consolegate::core;
namespace net = consolegate::net;

namespace {

cc::ip_address peer(const char* text) {
    auto a = cc::ip_address::parse(text);
    EXPECT_TRUE(a) << text;
    return a.value_or(cc::ip_address{});
}

}  // namespace

// A socket's peer is read by the rule a PROXY header's source and an address map's entry are read
// by (core::parse_client_address): the allow-lists and the balancers' networks, which the proxy's
// and the DNS resolver's allow_clients ask through net::in_networks, take the IPv4-compatible
// ::a.b.c.d (a distinct IPv6 peer to the kernel) as no client, not even under "::/0", where they
// took it as an IPv6 client; the IPv4-mapped spelling in any case is the IPv4 client.
TEST(in_networks, a_peer_is_read_as_a_client_by_the_rule_every_source_uses) {
    const std::vector<cc::cidr> contractors{*cc::cidr::parse("10.20.0.0/16")};
    const std::vector<cc::cidr> everyone{*cc::cidr::parse("0.0.0.0/0"), *cc::cidr::parse("::/0")};
    for (const char* t :
         {"10.20.0.5", "::ffff:10.20.0.5", "::FFFF:0A14:0005", "0:0:0:0:0:ffff:a14:5"}) {
        EXPECT_TRUE(net::in_networks(peer(t), contractors)) << t;
        EXPECT_TRUE(net::in_networks(peer(t), everyone)) << t;
        EXPECT_EQ(cc::parse_client_address(t), peer("10.20.0.5")) << t;
    }
    for (const char* t : {"::10.20.0.5", "::a14:5", "0:0:0:0:0:0:A14:5", "::0.0.0.2"}) {
        EXPECT_FALSE(net::in_networks(peer(t), contractors)) << t;
        EXPECT_FALSE(net::in_networks(peer(t), everyone)) << t;
        std::string why;  // the text source refuses it by the same rule
        EXPECT_FALSE(cc::parse_client_address(t, &why)) << t;
        EXPECT_NE(why.find("IPv4-compatible"), std::string::npos) << why;
    }
    // IPv6 clients stay IPv6 ones, :: and ::1 (no IPv4-compatible addresses) included.
    for (const char* t : {"::1", "::", "2001:db8::5", "fe80::1"}) {
        EXPECT_TRUE(cc::parse_client_address(t)) << t;
        EXPECT_TRUE(net::in_networks(peer(t), everyone)) << t;
        EXPECT_FALSE(net::in_networks(peer(t), contractors)) << t;
    }
    EXPECT_FALSE(net::in_networks(peer("10.20.0.5"), {}));
}
