// TEAM window semantics (core/elevation.cpp), table-driven: the skew at the start only, no grace
// at the end, endTime, every status, overlapping requests, UTC-millisecond and offset start
// times, recently expired elevations, and malformed items skipped and counted.
#include <gtest/gtest.h>

#include "consolegate/core/elevation.hpp"
#include "consolegate/core/policy.hpp"
#include "consolegate/core/time.hpp"

namespace {

namespace cc = consolegate::core;
using namespace std::chrono_literals;
using state = cc::elevation_match::state;

const char* account = "333333333333";

std::string item(const std::string& id, const std::string& start, const std::string& hours,
                 const std::string& status, const std::string& extra = "") {
    return R"({"id":")" + id + R"(","username":"idc_alice","accountId":")" + account +
           R"(","role":"Admin","startTime":")" + start + R"(","duration":")" + hours +
           R"(","status":")" + status + R"(","ticketNo":"T-)" + id + "\"" + extra + "}";
}

struct window_case {
    const char* name;
    std::vector<std::string> items;
    const char* now;
    state expect;
    const char* id = "";   // the deciding request
    const char* end = "";  // its end time
};

class elevation_window : public ::testing::TestWithParam<window_case> {};

TEST_P(elevation_window, decides) {
    const auto& c = GetParam();
    std::string json = "[";
    for (std::size_t i = 0; i < c.items.size(); ++i) json += (i ? "," : "") + c.items[i];
    json += "]";
    auto snap = cc::parse_team_snapshot(json, "t.json");
    ASSERT_TRUE(snap.document_ok);
    ASSERT_EQ(snap.skipped, 0u) << snap.diagnostics.front().message;
    cc::elevation_set set(snap.records, {60s, 2h});
    auto now = *cc::parse_rfc3339(c.now);
    auto m = set.match("alice", *cc::account_id::parse(account), "Admin", now);
    EXPECT_EQ(static_cast<int>(m.what), static_cast<int>(c.expect)) << c.name;
    EXPECT_EQ(m.id, c.id) << c.name;
    if (*c.id) {
        EXPECT_EQ(m.ticket, std::string("T-") + c.id);
        EXPECT_EQ(m.end,
                  *c.end ? *cc::parse_rfc3339(c.end) : std::chrono::system_clock::time_point{})
            << c.name;
    }
    EXPECT_EQ(set.active("alice", *cc::account_id::parse(account), "Admin", now),
              c.expect == state::active);
}

const std::string start = "2026-12-04T10:00:00.000Z";

INSTANTIATE_TEST_SUITE_P(
    cases, elevation_window,
    ::testing::Values(
        window_case{"inside the window",
                    {item("a", start, "2", "in progress")},
                    "2026-12-04T11:00:00Z",
                    state::active,
                    "a",
                    "2026-12-04T12:00:00Z"},
        window_case{"60 s before the start: within the skew",
                    {item("a", start, "2", "in progress")},
                    "2026-12-04T09:59:00Z",
                    state::active,
                    "a",
                    "2026-12-04T12:00:00Z"},
        window_case{"61 s before the start: not yet",
                    {item("a", start, "2", "in progress")},
                    "2026-12-04T09:58:59Z",
                    state::none},
        window_case{"last millisecond of the window",
                    {item("a", start, "2", "in progress")},
                    "2026-12-04T11:59:59.999Z",
                    state::active,
                    "a",
                    "2026-12-04T12:00:00Z"},
        window_case{"at the end: no grace, expired",
                    {item("a", start, "2", "in progress")},
                    "2026-12-04T12:00:00Z",
                    state::expired,
                    "a",
                    "2026-12-04T12:00:00Z"},
        window_case{"ended within the look-back",
                    {item("a", start, "2", "in progress")},
                    "2026-12-04T14:00:00Z",
                    state::expired,
                    "a",
                    "2026-12-04T12:00:00Z"},
        window_case{"ended before the look-back",
                    {item("a", start, "2", "in progress")},
                    "2026-12-04T14:00:00.001Z",
                    state::none},
        window_case{"+02:00 offset start",
                    {item("a", "2026-12-04T12:00:00+02:00", "1", "in progress")},
                    "2026-12-04T10:30:00Z",
                    state::active,
                    "a",
                    "2026-12-04T11:00:00Z"},
        window_case{"-05:00 offset start, not yet",
                    {item("a", "2026-12-04T06:00:00-05:00", "1", "in progress")},
                    "2026-12-04T10:58:00Z",
                    state::none},
        window_case{"fractional hours",
                    {item("a", start, "0.5", "in progress")},
                    "2026-12-04T10:29:59Z",
                    state::active,
                    "a",
                    "2026-12-04T10:30:00Z"},
        window_case{"endTime set: inactive whatever the status",
                    {item("a", start, "8", "in progress", R"(,"endTime":"2026-12-04T10:15:00Z")")},
                    "2026-12-04T10:20:00Z",
                    state::expired,
                    "a",
                    "2026-12-04T10:15:00Z"},
        // TEAM writes endTime when the revoke runs, so one in the gateway's future is TEAM's
        // clock ahead: the grant has ended (it read "missing", as if never requested).
        window_case{"endTime in the future still ends it",
                    {item("a", start, "8", "in progress", R"(,"endTime":"2026-12-04T11:00:00Z")")},
                    "2026-12-04T10:20:00Z",
                    state::expired,
                    "a",
                    "2026-12-04T11:00:00Z"},
        window_case{"revoked",
                    {item("a", start, "8", "revoked", R"(,"endTime":"2026-12-04T10:40:00.500Z")")},
                    "2026-12-04T11:00:00Z",
                    state::expired,
                    "a",
                    "2026-12-04T10:40:00.500Z"},
        // "ended" / "revoked" with no endTime inside the window: TEAM's revoke sets the status
        // first and endTime once the assignment is deleted (never, when that fails). The grant
        // ran out; it read "missing" (never requested). No end time is named: TEAM gave none.
        window_case{"ended without endTime, inside its window",
                    {item("a", start, "1", "ended")},
                    "2026-12-04T10:30:00Z",
                    state::expired,
                    "a",
                    ""},
        window_case{"revoked without endTime, inside its window",
                    {item("a", start, "8", "revoked")},
                    "2026-12-04T10:00:00Z",
                    state::expired,
                    "a",
                    ""},
        window_case{"revoked without endTime, within the skew of its start",
                    {item("a", start, "8", "revoked")},
                    "2026-12-04T09:59:00Z",
                    state::expired,
                    "a",
                    ""},
        window_case{"revoked without endTime before its window: never began",
                    {item("a", start, "8", "revoked")},
                    "2026-12-04T09:58:59Z",
                    state::none},
        window_case{"ended without endTime, look-back after its window's end",
                    {item("a", start, "1", "ended")},
                    "2026-12-04T13:00:00Z",
                    state::expired,
                    "a",
                    ""},
        window_case{"ended without endTime, past the look-back",
                    {item("a", start, "1", "ended")},
                    "2026-12-04T13:00:00.001Z",
                    state::none},
        window_case{"revoked without endTime beside an active one: active",
                    {item("a", start, "8", "revoked"), item("b", start, "2", "in progress")},
                    "2026-12-04T10:30:00Z",
                    state::active,
                    "b",
                    "2026-12-04T12:00:00Z"},
        // TEAM's statuses only move forward (in progress, then ended or revoked): a request
        // listed twice (a snapshot pasted from two exports, a stale copy) is as far as its
        // furthest copy says. The in-progress copy granted after the revoke.
        window_case{"the same request in progress and revoked: revoked",
                    {item("a", start, "8", "in progress"),
                     item("a", start, "8", "revoked", R"(,"endTime":"2026-12-04T10:05:00Z")")},
                    "2026-12-04T10:30:00Z",
                    state::expired,
                    "a",
                    "2026-12-04T10:05:00Z"},
        window_case{"the same request in progress and ended without endTime: ended",
                    {item("a", start, "8", "ended"), item("a", start, "8", "in progress")},
                    "2026-12-04T10:30:00Z",
                    state::expired,
                    "a",
                    ""},
        window_case{"an endTime before the start: never granted",
                    {item("a", start, "8", "revoked", R"(,"endTime":"2026-12-04T09:00:00Z")")},
                    "2026-12-04T10:30:00Z",
                    state::none},
        window_case{"pending never counts",
                    {item("a", start, "8", "pending")},
                    "2026-12-04T11:00:00Z",
                    state::none},
        window_case{"approved never counts",
                    {item("a", start, "8", "approved")},
                    "2026-12-04T11:00:00Z",
                    state::none},
        window_case{"scheduled never counts",
                    {item("a", start, "8", "scheduled")},
                    "2026-12-04T11:00:00Z",
                    state::none},
        window_case{"rejected never counts",
                    {item("a", start, "8", "rejected")},
                    "2026-12-04T11:00:00Z",
                    state::none},
        window_case{"cancelled never counts",
                    {item("a", start, "8", "cancelled")},
                    "2026-12-04T11:00:00Z",
                    state::none},
        window_case{"expired (never approved) never counts",
                    {item("a", start, "1", "expired")},
                    "2026-12-04T11:30:00Z",
                    state::none},
        window_case{"error never counts",
                    {item("a", start, "8", "error")},
                    "2026-12-04T11:00:00Z",
                    state::none},
        window_case{"overlapping: the one ending last decides",
                    {item("a", start, "2", "in progress"),
                     item("b", "2026-12-04T11:00:00Z", "4", "in progress")},
                    "2026-12-04T11:30:00Z",
                    state::active,
                    "b",
                    "2026-12-04T15:00:00Z"},
        window_case{"overlapping: a revoked one does not hide an active one",
                    {item("a", start, "8", "revoked", R"(,"endTime":"2026-12-04T10:05:00Z")"),
                     item("b", start, "1", "in progress")},
                    "2026-12-04T10:30:00Z",
                    state::active,
                    "b",
                    "2026-12-04T11:00:00Z"},
        window_case{"overlapping expired: the latest end is reported",
                    {item("a", start, "1", "in progress"),
                     item("b", start, "8", "revoked", R"(,"endTime":"2026-12-04T11:30:00Z")")},
                    "2026-12-04T12:00:00Z",
                    state::expired,
                    "b",
                    "2026-12-04T11:30:00Z"}),
    [](const ::testing::TestParamInfo<window_case>& p) {
        std::string n;
        for (const char* c = p.param.name; *c; ++c)
            n += (std::isalnum(static_cast<unsigned char>(*c)) ? *c : '_');
        return n;
    });

TEST(elevation_window_items, malformed_items_are_skipped_and_counted) {
    std::string json = "[" + item("ok", start, "1", "in progress") + "," +
                       item("badend", start, "1", "in progress", R"(,"endTime":"yesterday")") +
                       "," + item("badstart", "2026-12-04 10:00", "1", "in progress") + "," +
                       item("baddur", start, "-1", "in progress") + R"(,{"id":"x"},42])";
    auto snap = cc::parse_team_snapshot(json, "t.json");
    ASSERT_TRUE(snap.document_ok);
    EXPECT_EQ(snap.records.size(), 1u);
    EXPECT_EQ(snap.skipped, 5u);
    std::string many = "[";
    for (int i = 0; i < 150; ++i) many += std::string(i ? "," : "") + R"({"id":"x"})";
    auto big = cc::parse_team_snapshot(many + "]", "t.json");
    EXPECT_EQ(big.skipped, 150u);  // every one counted, though diagnostics stop at a cap
}

TEST(elevation_window_items, the_policy_carries_the_request_and_says_expired) {
    auto snap =
        cc::parse_team_snapshot("[" + item("REQ-7", start, "1", "in progress") + "]", "t.json");
    cc::elevation_set set(snap.records, {60s, 1h});
    cc::policy_config pc;
    cc::rule_config r;
    r.name = "gated";
    r.effect = cc::rule_effect::allow_with_elevation;
    r.accounts = {*cc::account_id::parse(account)};
    pc.rules = {r};
    cc::compiled_policy policy(pc);
    cc::sign_in_attempt a;
    a.flow = cc::sign_in_flow::console_session;
    a.phase = cc::auth_phase::post_auth;
    a.account = cc::account_id::parse(account);
    a.permission_set = "Admin";
    a.user = "alice";
    auto at = [&](const char* t) {
        return cc::evaluate(a, policy, cc::elevation_view::of(set), *cc::parse_rfc3339(t));
    };
    auto active = at("2026-12-04T10:30:00Z");
    EXPECT_EQ(active.why, cc::reason::elevation_active);
    EXPECT_EQ(active.elevation_id, "REQ-7");
    EXPECT_EQ(active.elevation_ticket, "T-REQ-7");
    EXPECT_EQ(active.elevation_end, *cc::parse_rfc3339("2026-12-04T11:00:00Z"));
    auto expired = at("2026-12-04T11:10:00Z");
    EXPECT_EQ(expired.verdict, cc::effect::deny);
    EXPECT_EQ(expired.why, cc::reason::elevation_expired);
    EXPECT_EQ(expired.elevation_id, "REQ-7");
    EXPECT_EQ(cc::to_string(expired.why), "elevation-expired");
    auto later = at("2026-12-04T12:00:01Z");
    EXPECT_EQ(later.why, cc::reason::elevation_missing);
    EXPECT_EQ(later.elevation_id, "");
    EXPECT_FALSE(later.elevation_end);
}

// A request revoked in TEAM before its endTime is written is denied as elevation-expired, with
// the request named and no end time (TEAM gave none), through the policy as explain shows it.
TEST(elevation_window_items, revoked_without_end_time_reads_expired_through_the_policy) {
    auto snap = cc::parse_team_snapshot("[" + item("REQ-9", start, "8", "revoked") + "]", "t.json");
    cc::elevation_set set(snap.records, {60s, 1h});
    cc::policy_config pc;
    cc::rule_config r;
    r.name = "gated";
    r.effect = cc::rule_effect::allow_with_elevation;
    r.accounts = {*cc::account_id::parse(account)};
    pc.rules = {r};
    cc::compiled_policy policy(pc);
    cc::sign_in_attempt a;
    a.flow = cc::sign_in_flow::console_session;
    a.phase = cc::auth_phase::post_auth;
    a.account = cc::account_id::parse(account);
    a.permission_set = "Admin";
    a.user = "alice";
    auto d = cc::evaluate(a, policy, cc::elevation_view::of(set),
                          *cc::parse_rfc3339("2026-12-04T11:00:00Z"));
    EXPECT_EQ(d.verdict, cc::effect::deny);
    EXPECT_EQ(d.why, cc::reason::elevation_expired);
    EXPECT_EQ(d.elevation_id, "REQ-9");
    EXPECT_FALSE(d.elevation_end);
}

}  // namespace

namespace {

// The IAM Identity Center portal names no user: gated /federation/credentials is denied with its
// own reason even while someone else is elevated; /federation/console follows the policy's choice.
TEST(elevation_window_items, the_portal_without_a_user) {
    auto snap = cc::parse_team_snapshot("[" + item("REQ-1", start, "8", "in progress") + "]",
                                        "t.json");  // alice is elevated
    cc::elevation_set set(snap.records);
    auto decide = [&](bool credentials, bool anyone) {
        cc::policy_config pc;
        cc::rule_config r;
        r.name = "gated";
        r.effect = cc::rule_effect::allow_with_elevation;
        r.accounts = {*cc::account_id::parse(account)};
        pc.rules = {r};
        pc.portal_console_if_anyone_elevated = anyone;
        cc::compiled_policy policy(pc);
        cc::sign_in_attempt a;
        a.flow = cc::sign_in_flow::identity_center;
        a.phase = cc::auth_phase::pre_auth;
        a.account = cc::account_id::parse(account);
        a.permission_set = a.role_name = "Admin";
        a.portal_credentials = credentials;
        return cc::evaluate(a, policy, cc::elevation_view::of(set),
                            *cc::parse_rfc3339("2026-12-04T11:00:00Z"));
    };
    auto creds = decide(true, true);
    EXPECT_EQ(creds.verdict, cc::effect::deny);
    EXPECT_EQ(creds.why, cc::reason::elevation_user_unknown);
    EXPECT_EQ(cc::to_string(creds.why), "elevation-user-unknown");
    EXPECT_EQ(cc::describe(creds.why).find("you hold"), std::string_view::npos);
    auto console = decide(false, true);
    EXPECT_EQ(console.verdict, cc::effect::allow);
    EXPECT_EQ(console.why, cc::reason::elevation_active);
    EXPECT_EQ(console.elevation_id, "");  // nobody's request is named for an unknown user
    auto strict = decide(false, false);
    EXPECT_EQ(strict.verdict, cc::effect::deny);
    EXPECT_EQ(strict.why, cc::reason::elevation_user_unknown);
}

}  // namespace
