#include <gtest/gtest.h>

#include "consolegate/audit/review_page.hpp"

namespace au = consolegate::audit;
namespace cc = consolegate::core;
using namespace std::chrono_literals;

TEST(review_request, ranges_filters_and_junk) {
    auto now = *cc::parse_rfc3339("2026-11-23T12:00:00Z");
    auto r = au::parse_review_request({}, now);
    EXPECT_EQ(r.range, "24h");
    EXPECT_EQ(r.q.since, now - 24h);
    EXPECT_FALSE(r.q.until);

    r = au::parse_review_request({{"range", "7d"},
                                  {"decision", "deny"},
                                  {"mode", "report-only"},
                                  {"account", "acme"},
                                  {"ou", "ou-abcd-11111111"},
                                  {"reason", "rule-deny"},
                                  {"client", "10.0.0.1"},
                                  {"rule", "no-prod"},
                                  {"corp_user", "*@CORP.EXAMPLE"},
                                  {"page", "3"}},
                                 now);
    EXPECT_EQ(r.q.since, now - 7 * 24h);
    EXPECT_EQ(r.q.decision, "deny");
    EXPECT_EQ(r.q.mode, "report-only");
    EXPECT_EQ(r.q.account, "acme");
    EXPECT_EQ(r.q.ou, "ou-abcd-11111111");
    EXPECT_EQ(r.q.reason, "rule-deny");
    EXPECT_EQ(r.q.client, "10.0.0.1");
    EXPECT_EQ(r.q.rule, "no-prod");
    EXPECT_EQ(r.q.corp_user, "*@CORP.EXAMPLE");
    EXPECT_EQ(r.page, 3u);

    // A custom range as datetime-local inputs send it (UTC).
    r = au::parse_review_request(
        {{"range", "custom"}, {"since", "2026-11-20T08:00"}, {"until", "2026-11-21T08:00"}}, now);
    EXPECT_EQ(r.q.since, cc::parse_rfc3339("2026-11-20T08:00:00Z"));
    EXPECT_EQ(r.q.until, cc::parse_rfc3339("2026-11-21T08:00:00Z"));

    // Junk turns the filter off instead of failing or matching nothing by accident.
    r = au::parse_review_request(
        {{"range", "forever"}, {"decision", "maybe"}, {"mode", "x"}, {"page", "-1"}}, now);
    EXPECT_EQ(r.range, "24h");
    EXPECT_FALSE(r.q.decision);
    EXPECT_FALSE(r.q.mode);
    EXPECT_EQ(r.page, 0u);
}

// The client filter finds the events of a client however the reviewer spells its address.
TEST(review_request, the_client_filter_is_read_as_events_name_the_client) {
    auto now = *cc::parse_rfc3339("2026-11-23T12:00:00Z");
    for (const char* typed : {"10.20.0.5", "::ffff:10.20.0.5", "::FFFF:0A14:0005"})
        EXPECT_EQ(au::parse_review_request({{"client", typed}}, now).q.client, "10.20.0.5")
            << typed;
    EXPECT_EQ(au::parse_review_request({{"client", "2001:DB8:0::A"}}, now).q.client, "2001:db8::a");
    EXPECT_EQ(au::parse_review_request({{"client", "10.20.0"}}, now).q.client, "10.20.0");
}

TEST(review_request, chart_step_keeps_about_sixty_bars_or_fewer) {
    auto t = *cc::parse_rfc3339("2026-11-23T00:00:00Z");
    EXPECT_EQ(au::chart_step(t, t + 1h), 60s);
    EXPECT_EQ(au::chart_step(t, t + 24h), 1800s);
    EXPECT_EQ(au::chart_step(t, t + 7 * 24h), 10800s);
    EXPECT_EQ(au::chart_step(t, t + 30 * 24h), 43200s);
}
