#include "cache.hpp"

#include <gtest/gtest.h>

#include <list>
#include <map>
#include <random>
#include <string>

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
    // Served through its last second (TTL 0), as unbound serves it; gone in the next.
    ASSERT_NE(c.find("k", 11999), nullptr);
    EXPECT_EQ(c.find("k", 11999)->age_s(11999), 10u);
    EXPECT_EQ(c.find("k", 12000), nullptr);
    EXPECT_EQ(c.size(), 0u);
    c.insert("s", answer(10), 0, 5);
    const auto* e = c.find("s", 12000);
    ASSERT_NE(e, nullptr);
    EXPECT_FALSE(e->fresh(12000));
    EXPECT_NE(c.find("s", 15999), nullptr);
    EXPECT_EQ(c.find("s", 16000), nullptr);
}

// Ages count whole seconds of the clock, as unbound's time(0) counts them: an answer stored late
// in a second is a second old at the next one, not a full second after it was stored.
TEST(cache, ages_turn_at_the_clock_s_second_boundaries) {
    cache c(10);
    c.insert("k", answer(300), 41'900, 0);
    EXPECT_EQ(c.find("k", 41'999)->age_s(41'999), 0u);
    EXPECT_EQ(c.find("k", 42'000)->age_s(42'000), 1u);
    EXPECT_EQ(c.find("k", 43'899)->age_s(43'899), 2u);
    EXPECT_TRUE(c.find("k", 341'999)->fresh(341'999));  // second 41 + 300: TTL 0
    EXPECT_EQ(c.find("k", 342'000), nullptr);
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

// The index (open addressing, backward-shift deletion) against a plain model of the same rules:
// hits, misses, expiry on lookup, overwrite, LRU eviction, over many collisions and wrap-arounds.
TEST(cache, agrees_with_a_model_through_inserts_hits_expiry_and_eviction) {
    struct model_entry {
        std::string key;
        std::uint32_t id;
        std::uint64_t keep_until;
    };
    std::list<model_entry> model;  // front = most recently used
    auto model_find = [&](const std::string& k) {
        return std::find_if(model.begin(), model.end(), [&](const auto& e) { return e.key == k; });
    };
    std::mt19937 rng(18);
    constexpr std::size_t max_entries = 100;
    cache c(max_entries);
    std::uint64_t now = 0;
    for (std::uint32_t op = 1; op <= 20000; ++op) {
        now += rng() % 50;
        const std::string key = "k" + std::to_string(rng() % 300);
        if (rng() % 2 == 0) {
            const std::uint32_t lifetime = rng() % 4;  // 0: not stored
            const std::uint32_t stale = rng() % 2;
            auto a = answer(lifetime);
            a.wire.assign({std::uint8_t(op), std::uint8_t(op >> 8), std::uint8_t(op >> 16), 0});
            c.insert(key, std::move(a), now, stale);
            if (lifetime != 0) {
                const std::uint64_t keep = (now / 1000 + lifetime + 1 + stale) * 1000ull;
                if (auto it = model_find(key); it != model.end())
                    model.erase(it);
                else if (model.size() == max_entries)
                    model.pop_back();
                model.push_front({key, op, keep});
            }
        } else {
            const auto* got = c.find(key, now);
            auto it = model_find(key);
            if (it != model.end() && now >= it->keep_until) {
                model.erase(it);
                it = model.end();
            }
            ASSERT_EQ(got != nullptr, it != model.end()) << "op " << op << " key " << key;
            if (got) {
                const std::uint32_t id =
                    got->answer.wire[0] | (got->answer.wire[1] << 8) | (got->answer.wire[2] << 16);
                ASSERT_EQ(id, it->id & 0xFFFFFF) << "op " << op;
                model.splice(model.begin(), model, it);
            }
        }
        ASSERT_EQ(c.size(), model.size()) << "op " << op;
    }
    c.clear();
    EXPECT_EQ(c.size(), 0u);
    EXPECT_EQ(c.find("k1", now), nullptr);
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
