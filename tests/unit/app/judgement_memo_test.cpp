// app/judgement_memo.cpp through the sign-in hook, as the proxy calls it for the requests of one
// connection: an identical request in an unchanged world is replayed (with its own events), and
// nothing that could change the judgement is ever replayed over: a policy reload, a TEAM feed
// update, an elevation window opening or ending, the feed going stale, a session AWS signs in or
// that expires, another corporate identity on the connection, any other request byte, a clock
// that goes back.
#include "judgement_memo.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cctype>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "consolegate/audit/sink.hpp"
#include "consolegate/core/time.hpp"
#include "session_learning.hpp"
#include "session_table.hpp"
#include "sign_in_hook.hpp"

namespace consolegate::app {
namespace {

using core::effect;
using core::reason;
using namespace std::chrono_literals;

const auto now = *core::parse_rfc3339("2026-11-23T09:00:00Z");
constexpr const char* allowed = "111111111111";
constexpr const char* gated = "333333333333";

// aws-userInfo as the console writes it (encodeURIComponent of the JSON).
std::string user_info(const std::string& account, const std::string& role,
                      const std::string& session) {
    std::string arn = "arn:aws:sts::" + account + ":assumed-role/" + role + "/" + session;
    std::string json = R"({"arn":")" + arn + R"(","alias":"","username":"assumed-role/)" + role +
                       "/" + session + R"(","signinType":"PUBLIC"})";
    std::string out;
    for (unsigned char c : json) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
            out += static_cast<char>(c);
        } else {
            char b[4];
            std::snprintf(b, sizeof b, "%%%02X", c);
            out += b;
        }
    }
    return out;
}

// `allowed` for everyone (or only for corp_user), `gated` with a TEAM elevation.
std::shared_ptr<const policy_snapshot> policy(
    core::rule_effect for_allowed,
    core::unbound_session_action unbound = core::unbound_session_action::cookie,
    std::string corp_user = "", core::audit_repeats repeats = core::audit_repeats::count,
    std::chrono::milliseconds window = 10s) {
    auto cfg = std::make_shared<core::config>();
    cfg->audit.repeats = repeats;
    cfg->audit.repeat_window = window;
    auto& p = cfg->policy;
    p.unbound_sessions = unbound;
    core::rule_config a;
    a.name = "allowed";
    a.effect = for_allowed;
    a.accounts = {*core::account_id::parse(allowed)};
    if (!corp_user.empty()) a.corp_users = {corp_user};
    core::rule_config g;
    g.name = "gated";
    g.effect = core::rule_effect::allow_with_elevation;
    g.accounts = {*core::account_id::parse(gated)};
    p.rules = {a, g};
    return make_policy_snapshot(std::move(cfg));
}

// alice elevated for `gated` (permission set Admin) over [start, end).
std::shared_ptr<const team::feed_status> elevation(std::chrono::system_clock::time_point start,
                                                   std::chrono::system_clock::time_point end,
                                                   std::chrono::system_clock::time_point data) {
    core::elevation_record r;
    r.id = "req-1";
    r.user = "alice";
    r.account = *core::account_id::parse(gated);
    r.permission_set = "Admin";
    r.status = "in progress";
    r.start = start;
    r.duration_hours = std::chrono::duration<double, std::ratio<3600>>(end - start).count();
    auto s = std::make_shared<team::feed_status>();
    s->set = std::make_shared<const core::elevation_set>(std::vector<core::elevation_record>{r});
    s->data_time = data;
    return s;
}

// A feed whose status the test replaces (a poll that changed something), stale after 10 min.
class test_feed final : public team::feed {
  public:
    explicit test_feed(std::shared_ptr<const team::feed_status> s) : status_(std::move(s)) {}
    void update(std::shared_ptr<const team::feed_status> s) { status_ = std::move(s); }
    std::string poll() override { return ""; }
    std::shared_ptr<const team::feed_status> status() const override { return status_; }
    core::elevation_view view(std::chrono::system_clock::time_point t,
                              std::shared_ptr<const team::feed_status>& keep) const override {
        keep = status_;
        if (!keep->set || t - keep->data_time > std::chrono::minutes(10)) {
            return core::elevation_view::unavailable();
        }
        return core::elevation_view::of(*keep->set);
    }

  private:
    std::shared_ptr<const team::feed_status> status_;
};

class capture_sink final : public audit::sink {
  public:
    void record(audit::event e) override { events.push_back(std::move(e)); }
    void flush() override {}
    std::vector<audit::event> events;
};

// The gateway's side of one inspected connection.
struct connection {
    std::atomic<std::shared_ptr<const policy_snapshot>> policy{
        app::policy(core::rule_effect::allow)};
    std::atomic<std::shared_ptr<team::feed>> feed;
    capture_sink sink;
    sign_in_metrics metrics;
    session_table table{{}, session_table::key_type{7}};
    sign_in_hook hook{policy, feed, sink, metrics, "gw-1", &table};
    std::unique_ptr<core::connection_memo> slot;
    std::string cookie = "aws-userInfo=" + user_info(allowed, "Admin", "alice");
    core::corp_identity corp{"alice", core::corp_source::kerberos, {}};

    core::http_request_view request(std::chrono::system_clock::time_point t) {
        core::http_request_view r;
        r.method = "GET";
        r.host = "us-east-1.console.aws.amazon.com";
        r.target = "/console/home?region=us-east-1";
        r.headers.emplace_back("Cookie", cookie);
        r.client = *core::ip_address::parse("10.1.2.3");
        r.corp = &corp;
        r.time = t;
        r.memo = &slot;
        return r;
    }
    proxy::verdict judge(const core::http_request_view& r) { return hook(r); }
    proxy::verdict judge(std::chrono::system_clock::time_point t) { return judge(request(t)); }
    std::uint64_t replays() const {
        auto* m = dynamic_cast<const judgement_memo*>(slot.get());
        return m ? m->replays() : 0;
    }
};

// audit.repeats = "each": every replay writes its own events.
std::shared_ptr<const policy_snapshot> each_policy() {
    return policy(core::rule_effect::allow, core::unbound_session_action::cookie, "",
                  core::audit_repeats::each);
}

TEST(judgement_memo, an_identical_request_is_replayed_with_events_of_its_own) {
    connection c;
    c.policy.store(each_policy());
    auto first = c.judge(now);
    auto second = c.judge(now + 1234ms);
    EXPECT_EQ(c.replays(), 1u);
    EXPECT_TRUE(first.allows());
    EXPECT_TRUE(second.allows());
    ASSERT_EQ(c.sink.events.size(), 2u);
    const auto& a = c.sink.events[0];
    const auto& b = c.sink.events[1];
    EXPECT_NE(a.id, b.id);
    EXPECT_EQ(first.event_id, a.id);
    EXPECT_EQ(second.event_id, b.id);
    EXPECT_EQ(a.time, "2026-11-23T09:00:00.000Z");
    EXPECT_EQ(b.time, "2026-11-23T09:00:01.234Z");
    // Apart from its ID and time, the replayed event is the event enforce() writes.
    auto again = b;
    again.id = a.id;
    again.time = a.time;
    EXPECT_EQ(again, a);
    EXPECT_EQ(c.metrics.events(), 2u);
}

TEST(judgement_memo, the_replayed_time_is_format_rfc3339_across_seconds) {
    connection c;
    c.policy.store(each_policy());
    c.judge(now);
    for (auto t : {now + 999ms, now + 1000ms, now + 1001ms, now + 61'007ms, now + 3'600'999ms}) {
        c.judge(t);
        EXPECT_EQ(c.sink.events.back().time, core::format_rfc3339(t));
    }
    EXPECT_EQ(c.replays(), 5u);
}

TEST(judgement_memo, a_policy_reload_is_never_replayed_over) {
    connection c;
    EXPECT_TRUE(c.judge(now).allows());
    c.policy.store(policy(core::rule_effect::deny));
    auto v = c.judge(now + 1s);
    EXPECT_FALSE(v.allows());
    EXPECT_EQ(v.why, reason::rule_deny);
    EXPECT_EQ(c.replays(), 0u);
    EXPECT_EQ(c.sink.events.back().reason, "rule-deny");
    // The same policy again: a new snapshot is a new world too.
    c.policy.store(policy(core::rule_effect::allow));
    EXPECT_TRUE(c.judge(now + 2s).allows());
    EXPECT_EQ(c.replays(), 0u);
}

TEST(judgement_memo, a_feed_update_is_never_replayed_over) {
    connection c;
    c.cookie = "aws-userInfo=" + user_info(gated, "AWSReservedSSO_Admin_0123456789abcdef", "alice");
    auto feed = std::make_shared<test_feed>(elevation(now - 3h, now - 2h, now));  // long over
    c.feed.store(feed);
    EXPECT_FALSE(c.judge(now).allows());
    EXPECT_FALSE(c.judge(now + 1s).allows());
    EXPECT_EQ(c.replays(), 1u);
    feed->update(elevation(now - 1h, now + 1h, now + 2s));  // TEAM approved one
    auto v = c.judge(now + 3s);
    EXPECT_TRUE(v.allows());
    EXPECT_EQ(v.why, reason::elevation_active);
    EXPECT_EQ(c.replays(), 1u);
}

TEST(judgement_memo, an_elevation_that_ends_is_never_replayed_past_its_end) {
    connection c;
    c.cookie = "aws-userInfo=" + user_info(gated, "AWSReservedSSO_Admin_0123456789abcdef", "alice");
    auto end = now + 30s;
    c.feed.store(std::make_shared<test_feed>(elevation(now - 1h, end, now)));
    EXPECT_TRUE(c.judge(now).allows());
    EXPECT_TRUE(c.judge(end - 1ms).allows());
    EXPECT_EQ(c.replays(), 1u);
    auto v = c.judge(end);
    EXPECT_FALSE(v.allows());
    EXPECT_EQ(v.why, reason::elevation_expired);
    EXPECT_EQ(c.sink.events.back().reason, "elevation-expired");
}

TEST(judgement_memo, an_elevation_that_starts_is_never_missed) {
    connection c;
    c.cookie = "aws-userInfo=" + user_info(gated, "AWSReservedSSO_Admin_0123456789abcdef", "alice");
    auto start = now + 5min;  // active from start - 60 s of skew
    c.feed.store(std::make_shared<test_feed>(elevation(start, start + 1h, now)));
    EXPECT_FALSE(c.judge(now).allows());
    EXPECT_FALSE(c.judge(start - 60s - 1ms).allows());
    EXPECT_EQ(c.replays(), 1u);
    EXPECT_TRUE(c.judge(start - 60s).allows());
}

TEST(judgement_memo, a_feed_that_goes_stale_is_never_replayed_over) {
    connection c;
    c.cookie = "aws-userInfo=" + user_info(gated, "AWSReservedSSO_Admin_0123456789abcdef", "alice");
    c.feed.store(std::make_shared<test_feed>(elevation(now - 1h, now + 2h, now)));
    EXPECT_TRUE(c.judge(now).allows());
    auto v = c.judge(now + 10min + 1s);  // same status, older than the staleness limit
    EXPECT_FALSE(v.allows());
    EXPECT_EQ(v.why, reason::elevation_feed_stale);
    EXPECT_EQ(c.replays(), 0u);
}

TEST(judgement_memo, another_identity_on_the_connection_is_judged_anew) {
    connection c;
    c.policy.store(policy(core::rule_effect::allow, core::unbound_session_action::cookie, "alice"));
    EXPECT_TRUE(c.judge(now).allows());
    // The same connection, now carrying bob (a trusted proxy's header on this request).
    core::corp_identity bob{"bob", core::corp_source::header, {}};
    auto r = c.request(now + 1s);
    r.corp = &bob;
    EXPECT_FALSE(c.judge(r).allows());
    EXPECT_EQ(c.replays(), 0u);
    EXPECT_EQ(c.sink.events.back().corp_user, "bob");
    // alice's groups changed: a different identity too.
    c.corp.groups = {"admins"};
    EXPECT_TRUE(c.judge(now + 2s).allows());
    EXPECT_EQ(c.replays(), 0u);
    // No identity at all.
    auto anon = c.request(now + 3s);
    anon.corp = nullptr;
    EXPECT_FALSE(c.judge(anon).allows());
    EXPECT_EQ(c.replays(), 0u);
}

TEST(judgement_memo, any_other_request_byte_is_judged_anew) {
    connection c;
    c.judge(now);
    std::string other = "aws-userInfo=" + user_info("444455556666", "Admin", "alice");
    auto mutate = std::vector<void (*)(core::http_request_view&, const std::string&)>{
        [](core::http_request_view& r, const std::string&) { r.method = "POST"; },
        [](core::http_request_view& r, const std::string&) { r.target = "/console/home"; },
        [](core::http_request_view& r, const std::string&) { r.host = "console.aws.amazon.com"; },
        [](core::http_request_view& r, const std::string&) { r.sni = "console.aws.amazon.com"; },
        [](core::http_request_view& r, const std::string& o) { r.headers[0].second = o; },
        [](core::http_request_view& r, const std::string& o) {
            r.headers.emplace_back("Cookie", o);
        },
        [](core::http_request_view& r, const std::string&) { r.headers[0].first = "cookie"; },
        [](core::http_request_view& r, const std::string&) { r.body = "x"; },
        [](core::http_request_view& r, const std::string&) { r.body_truncated = true; },
        [](core::http_request_view& r, const std::string&) {
            r.client = *core::ip_address::parse("10.1.2.4");
        },
    };
    auto t = now;
    for (std::size_t i = 0; i < mutate.size(); ++i) {
        auto r = c.request(t += 1s);
        mutate[i](r, other);
        c.judge(r);
        EXPECT_EQ(c.replays(), 0u) << "change " << i;
        c.judge(c.request(t += 1s));  // back to the first request: judged anew, kept again
        EXPECT_EQ(c.replays(), 0u) << "change " << i;
    }
    c.judge(c.request(t += 1s));
    EXPECT_EQ(c.replays(), 1u);
    // The account named by the other cookie was judged, not the kept one's.
    auto r = c.request(t += 1s);
    r.headers[0].second = other;
    c.judge(r);
    EXPECT_EQ(c.sink.events.back().account, "444455556666");
}

TEST(judgement_memo, a_clock_that_goes_back_is_judged_anew) {
    connection c;
    c.judge(now);
    c.judge(now - 1ms);
    EXPECT_EQ(c.replays(), 0u);
    EXPECT_EQ(c.sink.events.back().time, "2026-11-23T08:59:59.999Z");
}

// Session binding: a session AWS signs in while a request was kept, and one that expires.
TEST(judgement_memo, a_session_aws_signs_in_or_that_expires_is_never_replayed_over) {
    connection c;
    c.policy.store(policy(core::rule_effect::allow, core::unbound_session_action::deny));
    const std::string creds = "aws-creds=ONEONEONEONEONEONEONEONE";
    c.cookie += "; " + creds;
    auto v = c.judge(now);
    EXPECT_FALSE(v.allows());
    EXPECT_EQ(v.why, reason::session_unbound);
    // AWS signs the session in (the response observer learns it) on another connection.
    core::http_request_view answer;
    answer.host = "signin.aws.amazon.com";
    answer.target = "/federation?Action=login";
    answer.time = now + 1s;
    proxy::response_view resp;
    std::string set_ui = "aws-userInfo=" + user_info(allowed, "Admin", "alice");
    std::string set_creds = creds + "; Secure";
    resp.headers = {{"Set-Cookie", set_ui}, {"Set-Cookie", set_creds}};
    ASSERT_EQ(session_learner(c.table).learn(answer, resp), 1u);
    v = c.judge(now + 2s);
    EXPECT_TRUE(v.allows());
    EXPECT_EQ(c.replays(), 0u);
    EXPECT_EQ(c.sink.events.back().identity_source, "bound");
    EXPECT_TRUE(c.judge(now + 3s).allows());
    EXPECT_EQ(c.replays(), 1u);
    // The binding lives session_table_limits::lifetime (12 h) from the sign-in.
    auto expiry = now + 1s + std::chrono::hours(12);
    EXPECT_TRUE(c.judge(expiry - 1ms).allows());
    EXPECT_EQ(c.replays(), 2u);
    v = c.judge(expiry);
    EXPECT_FALSE(v.allows());
    EXPECT_EQ(v.why, reason::session_unbound);
    EXPECT_EQ(c.replays(), 2u);
}

// A sign-in the hook lets through ends the lineage of the session it was started from
// (session_table::sign_in_started); one it refuses, and a request within the session, mark
// nothing. Without the mark a later step of the sign-in inherits the old session's identity.
TEST(judgement_memo, a_sign_in_let_through_marks_the_session_it_was_started_from) {
    connection c;
    const std::string creds = "aws-creds=ONEONEONEONEONEONEONEONE";
    core::http_request_view answer;
    answer.host = "signin.aws.amazon.com";
    answer.time = now;
    proxy::response_view resp;
    std::string set_ui = "aws-userInfo=" + user_info(allowed, "Admin", "alice");
    std::string set_creds = creds + "; Secure";
    resp.headers = {{"Set-Cookie", set_ui}, {"Set-Cookie", set_creds}};
    ASSERT_EQ(session_learner(c.table).learn(answer, resp), 1u);
    c.cookie += "; " + creds;
    auto marked = [&] {
        core::http_request_view r;
        r.headers.emplace_back("Cookie", c.cookie);
        return c.table.lookup(request_cookies(r), now).continues_sign_in;
    };
    // Within the session: judged as bound, marks nothing.
    EXPECT_TRUE(c.judge(now + 1s).allows());
    EXPECT_FALSE(marked());
    // A sign-in (IAM user) to an account the policy refuses: never reaches AWS, marks nothing.
    std::string host;  // the request's views point into it
    auto sign_in = [&](const std::string& account, std::chrono::system_clock::time_point t) {
        auto r = c.request(t);
        host = account + ".signin.aws.amazon.com";
        r.host = host;
        r.target = "/console";
        return c.judge(r);
    };
    EXPECT_FALSE(sign_in("999999999999", now + 2s).allows());
    EXPECT_FALSE(marked());
    // One the policy allows goes to AWS: the session it was started from is marked.
    auto ok = sign_in(allowed, now + 3s);
    EXPECT_TRUE(ok.allows()) << core::to_string(ok.why);
    EXPECT_TRUE(marked());
    // The old session itself is still judged as AWS named it.
    EXPECT_TRUE(c.judge(now + 4s).allows());
    EXPECT_EQ(c.sink.events.back().identity_source, "bound");
}

TEST(judgement_memo, requests_without_a_connection_are_judged_each_time) {
    connection c;
    auto r = c.request(now);
    r.memo = nullptr;  // consolegate explain, or a caller without a slot
    c.judge(r);
    c.judge(r);
    EXPECT_EQ(c.slot, nullptr);
    EXPECT_EQ(c.sink.events.size(), 2u);
}

TEST(judgement_memo, an_unrecognised_endpoint_is_counted_on_every_replay) {
    connection c;
    auto r = c.request(now);
    r.host = "signin.aws.amazon.com";
    r.target = "/v9/brand-new-endpoint?x=1";
    r.headers.clear();
    c.judge(r);
    r.time = now + 1s;
    c.judge(r);
    EXPECT_EQ(c.replays(), 1u);
    std::string page;
    c.metrics.write_prometheus(page);
    EXPECT_NE(page.find("consolegate_signin_unrecognised_requests_total 2"), std::string::npos)
        << page;
}

// audit.repeats = "count" (the default): the repeats of an allowed request are counted on one
// event, written when another request comes; the verdicts name that event.
TEST(judgement_memo, identical_allowed_requests_are_counted_on_one_event) {
    connection c;
    auto first = c.judge(now);
    std::vector<proxy::verdict> repeats;
    for (auto t : {now + 1s, now + 2s, now + 3'500ms}) repeats.push_back(c.judge(t));
    EXPECT_EQ(c.replays(), 3u);
    ASSERT_EQ(c.sink.events.size(), 1u);  // the repeats are held
    EXPECT_EQ(c.sink.events[0].count, 1u);
    EXPECT_EQ(c.sink.events[0].time_last, "");
    for (auto& v : repeats) {
        EXPECT_TRUE(v.allows());
        EXPECT_EQ(v.event_id, repeats[0].event_id);
    }
    EXPECT_NE(repeats[0].event_id, first.event_id);
    EXPECT_EQ(c.metrics.events(), 4u);  // every request in the metrics

    auto other = c.request(now + 4s);
    other.target = "/console/home?region=eu-west-1";
    c.judge(other);
    ASSERT_EQ(c.sink.events.size(), 3u);
    const auto& counted = c.sink.events[1];
    EXPECT_EQ(counted.id, repeats[0].event_id);
    EXPECT_EQ(counted.count, 3u);
    EXPECT_EQ(counted.time, "2026-11-23T09:00:01.000Z");
    EXPECT_EQ(counted.time_last, "2026-11-23T09:00:03.500Z");
    // Apart from its ID, times and count, the counted event is the first request's.
    auto same = counted;
    same.id = c.sink.events[0].id;
    same.time = c.sink.events[0].time;
    same.time_last.clear();
    same.count = 1;
    EXPECT_EQ(same, c.sink.events[0]);
    EXPECT_EQ(c.sink.events[2].count, 1u);  // the other request, after the count
    EXPECT_EQ(c.sink.events[2].path, "/console/home");
}

TEST(judgement_memo, counted_repeats_are_written_when_the_connection_ends) {
    connection c;
    c.judge(now);
    c.judge(now + 1s);
    c.judge(now + 2s);
    ASSERT_EQ(c.sink.events.size(), 1u);
    c.slot.reset();  // the connection's end
    ASSERT_EQ(c.sink.events.size(), 2u);
    EXPECT_EQ(c.sink.events[1].count, 2u);
    EXPECT_EQ(c.sink.events[1].time_last, "2026-11-23T09:00:02.000Z");
}

TEST(judgement_memo, a_count_is_held_no_longer_than_the_repeat_window) {
    connection c;
    c.policy.store(policy(core::rule_effect::allow, core::unbound_session_action::cookie, "",
                          core::audit_repeats::count, 5s));
    c.judge(now);
    c.judge(now + 1s);
    c.judge(now + 4s);
    EXPECT_EQ(c.sink.events.size(), 1u);
    c.judge(now + 6s);  // 5 s after the first counted repeat: written with this one
    ASSERT_EQ(c.sink.events.size(), 2u);
    EXPECT_EQ(c.sink.events[1].count, 3u);
    EXPECT_EQ(c.sink.events[1].time_last, "2026-11-23T09:00:06.000Z");
    c.judge(now + 7s);  // a new count begins
    EXPECT_EQ(c.sink.events.size(), 2u);
    c.slot.reset();
    ASSERT_EQ(c.sink.events.size(), 3u);
    EXPECT_EQ(c.sink.events[2].count, 1u);
    EXPECT_EQ(c.sink.events[2].time, "2026-11-23T09:00:07.000Z");
    EXPECT_EQ(c.sink.events[2].time_last, "2026-11-23T09:00:07.000Z");
    EXPECT_NE(c.sink.events[1].id, c.sink.events[2].id);
}

TEST(judgement_memo, denials_and_report_only_denials_are_never_counted) {
    for (bool report_only : {false, true}) {
        connection c;
        auto cfg = std::make_shared<core::config>(*policy(core::rule_effect::deny)->cfg);
        if (report_only) {  // a report-only denial is one of a request the policy allows
            cfg->policy.rules[0].report_only = true;
            auto allow = cfg->policy.rules[0];
            allow.name = "allow-all";
            allow.effect = core::rule_effect::allow;
            allow.report_only = false;
            cfg->policy.rules.push_back(allow);
        }
        c.policy.store(make_policy_snapshot(std::move(cfg)));
        std::set<std::string> ids;
        for (int i = 0; i < 4; ++i) ids.insert(c.judge(now + i * 1s).event_id);
        EXPECT_EQ(c.replays(), 3u);
        ASSERT_EQ(c.sink.events.size(), 4u);
        EXPECT_EQ(ids.size(), 4u);
        EXPECT_EQ(c.sink.events[0].report_only, report_only);
        for (auto& e : c.sink.events) {
            EXPECT_EQ(e.effect, "deny");
            EXPECT_EQ(e.count, 1u);
            EXPECT_TRUE(ids.count(e.id)) << e.id;
        }
        c.slot.reset();
        EXPECT_EQ(c.sink.events.size(), 4u);
    }
}

TEST(judgement_memo, a_reload_writes_the_count_before_the_new_judgement) {
    connection c;
    c.judge(now);
    c.judge(now + 1s);
    c.policy.store(policy(core::rule_effect::deny));
    EXPECT_FALSE(c.judge(now + 2s).allows());
    ASSERT_EQ(c.sink.events.size(), 3u);
    EXPECT_EQ(c.sink.events[1].effect, "allow");  // judged under the old policy
    EXPECT_EQ(c.sink.events[1].count, 1u);
    EXPECT_EQ(c.sink.events[1].time, "2026-11-23T09:00:01.000Z");
    EXPECT_EQ(c.sink.events[1].time_last, "2026-11-23T09:00:01.000Z");
    EXPECT_EQ(c.sink.events[2].reason, "rule-deny");
}

TEST(judgement_memo, a_reload_to_each_writes_the_count_then_every_request) {
    connection c;
    c.judge(now);
    c.judge(now + 1s);
    c.policy.store(each_policy());
    c.judge(now + 2s);  // a new snapshot: judged anew, the count written first
    c.judge(now + 3s);
    ASSERT_EQ(c.sink.events.size(), 4u);
    EXPECT_EQ(c.sink.events[1].count, 1u);
    EXPECT_EQ(c.sink.events[1].time_last, "2026-11-23T09:00:01.000Z");
    EXPECT_EQ(c.sink.events[3].time, "2026-11-23T09:00:03.000Z");
    EXPECT_EQ(c.sink.events[3].count, 1u);
    EXPECT_EQ(c.sink.events[3].time_last, "");
}

// Issue 13: the portal's federation request is judged for the user AWS named for its token,
// which the hook learns from the portal's GET /user answer between two identical requests: never
// replayed over.
TEST(judgement_memo, a_portal_user_learned_between_two_identical_requests_decides_the_second) {
    connection c;
    c.feed.store(std::make_shared<test_feed>(elevation(now - 1h, now + 1h, now)));
    const std::string token = "portal-session-token-0123456789abcdef";
    auto federation = [&](std::chrono::system_clock::time_point t) {
        auto r = c.request(t);
        r.host = "portal.sso.eu-west-1.amazonaws.com";
        r.target = "/federation/credentials?account_id=333333333333&role_name=Admin";
        r.headers.clear();
        r.headers.emplace_back("x-amz-sso_bearer_token", token);
        r.corp = nullptr;
        return r;
    };
    auto first = c.judge(federation(now));
    EXPECT_FALSE(first.allows());
    EXPECT_EQ(first.why, reason::elevation_user_unknown);

    auto profile = federation(now + 1s);
    profile.target = "/user";
    profile.memo = nullptr;
    proxy::response_view answer;
    answer.status = 200;
    answer.body = R"({"subject":"alice","userId":"9067-a","preferredUsername":"Alice"})";
    answer.body_complete = true;
    EXPECT_FALSE(c.hook.observe(profile, answer));  // learned, nothing refused

    auto second = c.judge(federation(now + 2s));
    EXPECT_TRUE(second.allows());
    EXPECT_EQ(second.why, reason::elevation_active);
    EXPECT_EQ(c.replays(), 0u);
    EXPECT_EQ(c.sink.events.back().user, "alice");
    EXPECT_EQ(c.sink.events.back().identity_source, "portal-token");
    EXPECT_EQ(c.sink.events.back().team_request_id, "req-1");
    std::string page;
    c.metrics.write_prometheus(page);
    EXPECT_NE(page.find("consolegate_signin_portal_users_learned_total 1\n"), std::string::npos)
        << page;
}

}  // namespace
}  // namespace consolegate::app
