#include "cache.hpp"

#include <gtest/gtest.h>

#include <cstring>
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
    for (int i = 0; i < 20; ++i) allowed += r.allow(a, 0, 5, 10, 65536).allowed;
    EXPECT_EQ(allowed, 10);
    EXPECT_TRUE(r.allow(b, 0, 5, 10, 65536).allowed);
    EXPECT_FALSE(r.allow(a, 100, 5, 10, 65536).allowed);
    EXPECT_TRUE(r.allow(a, 1000, 5, 10, 65536).allowed);
}

std::array<std::uint8_t, 16> client_n(std::uint32_t n) {
    std::array<std::uint8_t, 16> a{};
    a[0] = 0xfd;
    std::memcpy(a.data() + 12, &n, 4);
    return a;
}

// A limited client stays limited however many other clients fill the table: the table used to
// start over when full, handing it (and every limited client) a fresh burst.
TEST(rate_limiter, a_full_table_never_resets_a_limited_client) {
    rate_limiter r;
    const auto limited = client_n(0);
    for (int i = 0; i < 4; ++i) EXPECT_TRUE(r.allow(limited, 0, 1, 4, 8).allowed);
    EXPECT_FALSE(r.allow(limited, 0, 1, 4, 8).allowed);
    // Others each query at once (none idle), twice as many as the table holds, over 0.5 s:
    // less than the second the limited client needs to earn one token back.
    std::uint64_t overflow = 0, evicted = 0;
    for (std::uint32_t n = 1; n <= 16; ++n) {
        const auto o = r.allow(client_n(n), n * 30, 1, 4, 8);
        overflow += o.overflow;
        evicted += o.evicted;
        EXPECT_FALSE(r.allow(limited, n * 30, 1, 4, 8).allowed) << "after client " << n;
    }
    EXPECT_EQ(r.size(), 8u);
    EXPECT_EQ(evicted, 0u);   // nobody was back at full tokens
    EXPECT_EQ(overflow, 9u);  // the 8th to 16th new client found the table full
    // Those share one bucket of one client's burst (4) and rate: the 5th within it is refused,
    // not given a burst of its own.
    int shared = 0;
    for (std::uint32_t n = 100; n < 110; ++n) shared += r.allow(client_n(n), 500, 1, 4, 8).allowed;
    EXPECT_EQ(shared, 0);  // the 9 overflow queries above already spent it (refill 1/s)
    // 1.1 s on the limited client has earned one token, no burst.
    EXPECT_TRUE(r.allow(limited, 1100, 1, 4, 8).allowed);
    EXPECT_FALSE(r.allow(limited, 1100, 1, 4, 8).allowed);
}

// Full of idle clients (back at full tokens), the table makes room by evicting them, counted,
// and a new client gets its own bucket; a limited one still keeps its own.
TEST(rate_limiter, a_full_table_evicts_only_idle_clients) {
    rate_limiter r;
    const auto limited = client_n(0);
    for (int i = 0; i < 3; ++i) r.allow(limited, 0, 1, 2, 4);
    for (std::uint32_t n = 1; n <= 3; ++n) EXPECT_FALSE(r.allow(client_n(n), 0, 1, 2, 4).overflow);
    EXPECT_EQ(r.size(), 4u);
    // At 1.5 s the three others are full again (one query each, 1 token/s); the limited one,
    // empty at 0, has 1.5 of its 2.
    const auto o = r.allow(client_n(10), 1500, 1, 2, 4);
    EXPECT_TRUE(o.allowed);
    EXPECT_FALSE(o.overflow);
    EXPECT_EQ(o.evicted, 3u);
    EXPECT_EQ(r.size(), 2u);
    EXPECT_TRUE(r.allow(limited, 1500, 1, 2, 4).allowed);
    EXPECT_FALSE(r.allow(limited, 1500, 1, 2, 4).allowed);  // 0.5 left: still its own bucket
    // The new client has its own burst of 2.
    EXPECT_TRUE(r.allow(client_n(10), 1500, 1, 2, 4).allowed);
    EXPECT_FALSE(r.allow(client_n(10), 1500, 1, 2, 4).allowed);
}

// No sweep of the table more often than sweep_interval_ms, and none before a bucket can be
// full, so a flood of new sources against a full table of limited ones costs no scan each.
TEST(rate_limiter, a_table_of_limited_clients_is_not_swept_per_query) {
    rate_limiter r;
    for (std::uint32_t n = 0; n < 2; ++n)
        for (int i = 0; i < 3; ++i) r.allow(client_n(n), 0, 1, 2, 2);
    // Both empty at 0 are full at 2000; until then every new client overflows.
    for (std::uint64_t t = 0; t < 2000; t += 10) {
        const auto o = r.allow(client_n(1000 + t), t, 1, 2, 2);
        EXPECT_TRUE(o.overflow) << t;
        EXPECT_EQ(o.evicted, 0u) << t;
    }
    EXPECT_EQ(r.sweeps(), 1u);  // the first, at 0, found none full before 2000
    const auto o = r.allow(client_n(99), 2000, 1, 2, 2);
    EXPECT_FALSE(o.overflow);
    EXPECT_EQ(o.evicted, 2u);
    EXPECT_EQ(r.sweeps(), 2u);
}

}  // namespace
}  // namespace consolegate::dns
