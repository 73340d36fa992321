#include "destination_set.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace consolegate::proxy {
namespace {

using namespace std::chrono_literals;
using clock = inspected_addresses::clock;

core::ip_address ip(const char* s) {
    return *core::ip_address::parse(s);
}

TEST(destination_set, every_spelling_of_an_ipv4_address_is_that_address) {
    inspected_addresses set(16);
    const auto now = clock::now();
    set.add(ip("198.51.100.7"), 60s, now);
    for (const char* s : {"198.51.100.7", "::ffff:198.51.100.7", "::198.51.100.7",
                          "64:ff9b::c633:6407", "2002:c633:6407::1", "2002:c633:6407:1234::"}) {
        EXPECT_TRUE(set.contains(ip(s), now)) << s;
    }
    for (const char* s : {"198.51.100.8", "::1", "::", "2001:db8::c633:6407",
                          "64:ff9b:1::c633:6407", "2003:c633:6407::1"}) {
        EXPECT_FALSE(set.contains(ip(s), now)) << s;
    }
    // The other way round: an address learned as NAT64 or 6to4 matches its IPv4 form.
    set.add(ip("64:ff9b::cb00:7101"), 60s, now);
    EXPECT_TRUE(set.contains(ip("203.0.113.1"), now));
    set.add(ip("2001:db8::5"), 60s, now);
    EXPECT_TRUE(set.contains(ip("2001:db8::5"), now));
    EXPECT_FALSE(set.contains(ip("2001:db8::6"), now));
}

// A site's own NAT64 prefix (RFC 6052 §2.2: /32, /40, /48, /56, /64 or /96, bits 64..71 left
// zero) reaches the IPv4 host it embeds like 64:ff9b::/96 does: a CONNECT to
// [2001:db8:64::c633:6407] through the site's NAT64 is a connection to 198.51.100.7.
TEST(destination_set, the_sites_nat64_prefixes_are_that_ipv4_address_in_every_rfc6052_layout) {
    const std::vector<core::cidr> nat64{
        *core::cidr::parse("2001:db8:64::/96"),  *core::cidr::parse("2001:db8:6400::/64"),
        *core::cidr::parse("2001:db8:1::/56"),   *core::cidr::parse("2001:db8:2::/48"),
        *core::cidr::parse("2001:db8:300::/40"), *core::cidr::parse("2001:db9::/32")};
    inspected_addresses set(16, nat64);
    const auto now = clock::now();
    set.add(ip("198.51.100.7"), 60s, now);
    for (const char* s :
         {"2001:db8:64::c633:6407", "2001:db8:6400:0:c6:3364:700:0", "2001:db8:1:c6:33:6407::",
          "2001:db8:2:c633:64:700::", "2001:db8:3c6:3364:7::", "2001:db9:c633:6407::"}) {
        EXPECT_TRUE(set.contains(ip(s), now)) << s;
        EXPECT_EQ(embedded_v4(ip(s), nat64), ip("198.51.100.7")) << s;
    }
    // Outside the prefixes, and without them, an IPv6 address is itself.
    EXPECT_FALSE(set.contains(ip("2001:db8:65::c633:6407"), now));
    EXPECT_EQ(embedded_v4(ip("2001:db8:64::c633:6407")), ip("2001:db8:64::c633:6407"));
    inspected_addresses plain(16);
    plain.add(ip("198.51.100.7"), 60s, now);
    EXPECT_FALSE(plain.contains(ip("2001:db8:64::c633:6407"), now));
    // Learned in the NAT64 form (a DNS64 resolver), asked as IPv4.
    set.add(ip("2001:db8:64::cb00:7101"), 60s, now);
    EXPECT_TRUE(set.contains(ip("203.0.113.1"), now));
}

TEST(destination_set, addresses_stay_their_ttl_and_at_least_the_minimum_hold) {
    inspected_addresses set(16);
    const auto t0 = clock::now();
    set.add(ip("192.0.2.1"), 5s, t0);  // a short TTL is held min_hold
    set.add(ip("192.0.2.2"), 7200s, t0);
    EXPECT_TRUE(set.contains(ip("192.0.2.1"), t0 + inspected_addresses::min_hold - 1s));
    EXPECT_FALSE(set.contains(ip("192.0.2.1"), t0 + inspected_addresses::min_hold + 1s));
    EXPECT_TRUE(set.contains(ip("192.0.2.2"), t0 + 7199s));
    EXPECT_FALSE(set.contains(ip("192.0.2.2"), t0 + 7201s));
    // Seen again: extended, never shortened.
    set.add(ip("192.0.2.1"), 5s, t0 + 500s);
    EXPECT_TRUE(set.contains(ip("192.0.2.1"), t0 + 500s + inspected_addresses::min_hold - 1s));
    set.add(ip("192.0.2.2"), 0s, t0 + 10s);
    EXPECT_TRUE(set.contains(ip("192.0.2.2"), t0 + 7199s));
}

TEST(destination_set, a_full_set_drops_what_expires_first_and_counts_it) {
    inspected_addresses set(3);
    const auto t0 = clock::now();
    set.add(ip("192.0.2.1"), 3000s, t0);
    set.add(ip("192.0.2.2"), 1000s, t0);
    set.add(ip("192.0.2.3"), 2000s, t0);
    set.add(ip("192.0.2.4"), 4000s, t0);
    EXPECT_EQ(set.size(), 3u);
    EXPECT_FALSE(set.contains(ip("192.0.2.2"), t0));
    for (const char* s : {"192.0.2.1", "192.0.2.3", "192.0.2.4"}) {
        EXPECT_TRUE(set.contains(ip(s), t0)) << s;
    }
    EXPECT_EQ(set.evictions(), 1u);
    // An expired entry makes room without counting as an eviction.
    set.add(ip("192.0.2.5"), 600s, t0 + 2500s);
    EXPECT_EQ(set.evictions(), 1u);
    EXPECT_TRUE(set.contains(ip("192.0.2.5"), t0 + 2500s));
}

TEST(destination_set, workers_add_and_ask_at_once) {
    inspected_addresses set(64);
    const auto now = clock::now();
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&set, now, t] {
            for (std::uint32_t i = 0; i < 2000; ++i) {
                set.add(core::ip_address::from_v4(0xc0000200u +
                                                  (i + static_cast<std::uint32_t>(t)) % 100),
                        60s, now);
                (void)set.contains(core::ip_address::from_v4(0xc0000200u + i % 100), now);
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(set.size(), 64u);
}

}  // namespace
}  // namespace consolegate::proxy
