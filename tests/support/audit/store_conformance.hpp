#pragma once
// One store against the in-memory store (the reference, audit::matches()) on one query: every
// read the review page, the event API and `logs` make must give the same answer. Shared by the
// SQLite (unit) and PostgreSQL (integration) store tests.

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "consolegate/audit/store.hpp"

namespace consolegate::test {

inline std::vector<std::string> ids(const std::vector<audit::event>& v) {
    std::vector<std::string> out;
    for (auto& e : v) out.push_back(e.id);
    return out;
}

// `q` must match some events of `mem` (so the comparison says something); the histogram covers
// the seven days before `end` in six-hour buckets.
inline void expect_same_answers(audit::event_store& db, audit::event_store& mem,
                                const audit::query& q, core::time_point end) {
    using namespace std::chrono_literals;
    using audit::summary_key;
    EXPECT_EQ(db.count(q), mem.count(q));
    EXPECT_GT(mem.count(q), 0u);
    EXPECT_EQ(ids(db.find(q, 0, 50)), ids(mem.find(q, 0, 50)));
    EXPECT_EQ(ids(db.find(q, 30, 25)), ids(mem.find(q, 30, 25)));
    for (auto k : {summary_key::account, summary_key::user, summary_key::client, summary_key::rule,
                   summary_key::corp_user}) {
        auto a = db.top_denied(q, k, 3), b = mem.top_denied(q, k, 3);
        ASSERT_EQ(a.size(), b.size());
        for (std::size_t j = 0; j < a.size(); ++j) EXPECT_EQ(a[j].count, b[j].count);
    }
    // The review page's one pass over every key: the same ranking, keys and counts.
    const summary_key keys[] = {summary_key::corp_user, summary_key::account, summary_key::rule,
                                summary_key::client, summary_key::user};
    auto each = db.top_denied_each(q, keys, 3);
    ASSERT_EQ(each.size(), 5u);
    for (std::size_t k = 0; k < 5; ++k) {
        auto want = db.top_denied(q, keys[k], 3);
        ASSERT_EQ(each[k].size(), want.size());
        for (std::size_t j = 0; j < want.size(); ++j) {
            EXPECT_EQ(each[k][j].key, want[j].key);
            EXPECT_EQ(each[k][j].count, want[j].count);
        }
    }
    auto ha = db.histogram(q, end - 7 * 24h, end, 6h);
    auto hb = mem.histogram(q, end - 7 * 24h, end, 6h);
    ASSERT_EQ(ha.size(), 28u);
    ASSERT_EQ(ha.size(), hb.size());
    for (std::size_t j = 0; j < ha.size(); ++j) {
        EXPECT_EQ(ha[j].blocked, hb[j].blocked);
        EXPECT_EQ(ha[j].report_only, hb[j].report_only);
        EXPECT_EQ(ha[j].allowed, hb[j].allowed);
    }
}

}  // namespace consolegate::test
