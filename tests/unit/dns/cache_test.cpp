#include "cache.hpp"

#include <gtest/gtest.h>

namespace consolegate::dns {
namespace {

cached_answer answer(std::uint32_t lifetime) {
    cached_answer a;
    a.wire.assign(20, 0);
    a.lifetime = lifetime;
    return a;
}

TEST(cache, expires_and_serves_stale_within_bound) {
    cache c(10);
    c.insert("k", answer(10), 1000, 0);
    ASSERT_NE(c.find("k", 5000), nullptr);
    EXPECT_TRUE(c.find("k", 5000)->fresh(5000));
    EXPECT_EQ(c.find("k", 5000)->age_s(5000), 4u);
    EXPECT_EQ(c.find("k", 11000), nullptr);
    EXPECT_EQ(c.size(), 0u);
    c.insert("s", answer(10), 0, 5);
    const auto* e = c.find("s", 12000);
    ASSERT_NE(e, nullptr);
    EXPECT_FALSE(e->fresh(12000));
    EXPECT_EQ(c.find("s", 15000), nullptr);
}

TEST(cache, zero_lifetime_is_not_stored) {
    cache c(10);
    c.insert("k", answer(0), 0, 100);
    EXPECT_EQ(c.size(), 0u);
}

TEST(cache, evicts_least_recently_used) {
    cache c(2);
    c.insert("a", answer(100), 0, 0);
    c.insert("b", answer(100), 0, 0);
    ASSERT_NE(c.find("a", 1), nullptr);  // a is now the most recent
    c.insert("c", answer(100), 0, 0);
    EXPECT_NE(c.find("a", 1), nullptr);
    EXPECT_EQ(c.find("b", 1), nullptr);
    EXPECT_NE(c.find("c", 1), nullptr);
    c.set_max_entries(1);
    EXPECT_EQ(c.size(), 1u);
}

TEST(rate_limiter, token_bucket) {
    rate_limiter r;
    const std::array<std::uint8_t, 16> a{1}, b{2};
    int allowed = 0;
    for (int i = 0; i < 20; ++i) allowed += r.allow(a, 0, 5, 10);
    EXPECT_EQ(allowed, 10);
    EXPECT_TRUE(r.allow(b, 0, 5, 10));
    EXPECT_FALSE(r.allow(a, 100, 5, 10));
    EXPECT_TRUE(r.allow(a, 1000, 5, 10));
}

}  // namespace
}  // namespace consolegate::dns
