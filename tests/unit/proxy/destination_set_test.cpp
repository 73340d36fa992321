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
