// The session table shared by a fleet (app/session_sharing.hpp) against an in-memory store that
// can fail, stall or hold another key: lookups on a miss, the absent cache, write-through, the
// backlog, deadlines, the queue bound and stop. Every wait is bounded; the store's stalls are
// released by the test, never timed.
#include "session_sharing.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <list>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "portal_users.hpp"
#include "session_learning.hpp"
#include "session_store.hpp"

namespace consolegate::app {
namespace {

using namespace std::chrono_literals;
using digest = session_table::digest;

const std::string user_info =
    "%7B%22arn%22%3A%22arn%3Aaws%3Asts%3A%3A111111111111%3Aassumed-role%2FAdmin%2Falice%22%7D";
const std::string creds = "CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC";
const session_table::key_type fleet_key{42};
// What AWS's sign-in answer sets (the views of a response_view point into these).
const std::string set_user_info = "aws-userInfo=" + user_info + "; Secure";
const std::string set_creds = "aws-creds=" + creds + "; Secure";

// The fleet's store in memory: rows by digest; it can fail, stall until released, or refuse the
// key. Shared by every "connection" the sharing object opens.
struct fake_store {
    std::mutex mu;
    std::condition_variable cv;
    std::map<digest, audit::session_row> rows;
    bool fail = false, stall = false, mismatch = false;
    int opens = 0, lookups = 0, writes = 0, stalled = 0;

    void wait_while_stalled(std::unique_lock<std::mutex>& lock) {
        ++stalled;
        cv.notify_all();
        cv.wait_for(lock, 10s, [&] { return !stall; });
    }
    void release() {
        std::lock_guard lock(mu);
        stall = false;
        cv.notify_all();
    }
    bool wait_for(const std::function<bool()>& pred) {
        std::unique_lock lock(mu);
        return cv.wait_for(lock, 10s, pred);
    }
};

class fake_rows final : public audit::session_rows {
  public:
    explicit fake_rows(fake_store& s) : s_(s) {}
    std::vector<audit::session_row> lookup(std::span<const digest> digests, std::int64_t now_ms,
                                           deadline) override {
        std::unique_lock lock(s_.mu);
        if (s_.stall) s_.wait_while_stalled(lock);
        ++s_.lookups;
        s_.cv.notify_all();
        if (s_.fail) throw std::runtime_error("server closed the connection unexpectedly");
        std::vector<audit::session_row> out;
        for (const auto& d : digests) {
            auto it = s_.rows.find(d);
            if (it != s_.rows.end() && it->second.expires_ms > now_ms) out.push_back(it->second);
        }
        return out;
    }
    void write(std::span<const audit::session_row> rows, deadline) override {
        std::unique_lock lock(s_.mu);
        if (s_.stall) s_.wait_while_stalled(lock);
        ++s_.writes;
        s_.cv.notify_all();
        if (s_.fail) throw std::runtime_error("server closed the connection unexpectedly");
        for (const auto& r : rows) s_.rows[r.digest] = r;
    }
    std::int64_t purge(std::int64_t, deadline) override { return 0; }

  private:
    fake_store& s_;
};

session_sharing::open_rows opener(fake_store& s) {
    return [&s](audit::session_rows::deadline) -> std::unique_ptr<audit::session_rows> {
        std::lock_guard lock(s.mu);
        ++s.opens;
        if (s.mismatch) throw audit::session_key_mismatch("another key");
        if (s.fail) throw std::runtime_error("could not connect");
        return std::make_unique<fake_rows>(s);
    };
}

// A request presenting `cookies` (kept alive for the test's length: views point into them).
core::http_request_view request(const std::string& cookies) {
    static std::mutex mu;
    static std::list<std::string> kept;
    std::lock_guard lock(mu);
    const auto& value = kept.emplace_back(cookies);
    core::http_request_view req;
    req.host = "console.aws.amazon.com";
    req.target = "/console/home";
    req.time = std::chrono::system_clock::now();
    req.headers.emplace_back("Cookie", value);
    return req;
}

// Waits (bounded) for a pending the proxy would wait for; true when it was resumed.
bool run(const proxy::pending& p) {
    auto done = std::make_shared<std::promise<void>>();
    auto f = done->get_future();
    p([done] { done->set_value(); });
    return f.wait_for(10s) == std::future_status::ready;
}

std::uint64_t metric(const session_sharing& s, const std::string& series) {
    std::string out;
    s.write_prometheus(out);
    auto at = out.find("\n" + series + " ");
    if (at == std::string::npos) return ~std::uint64_t{0};
    return std::stoull(out.substr(at + series.size() + 2));
}

// Replica A binds a session as AWS answered it; its rows go to the store as write-through would.
void bind_on_replica_a(fake_store& store) {
    session_table a({}, fleet_key);
    session_learner learner(a);
    auto req = request("");
    req.host = "signin.aws.amazon.com";
    proxy::response_view resp;
    resp.headers.emplace_back("Set-Cookie", set_user_info);
    resp.headers.emplace_back("Set-Cookie", set_creds);
    ASSERT_EQ(learner.learn(req, resp), 1u);
    std::vector<digest> keys{a.digest_of("aws-creds", creds)};
    for (const auto& e : a.entries(keys, req.time)) {
        store.rows[e.key] = {
            e.key,
            std::chrono::duration_cast<std::chrono::milliseconds>(e.expires.time_since_epoch())
                .count(),
            session_entry_text(e)};
    }
    ASSERT_EQ(store.rows.size(), 1u);
}

session_sharing_options options(std::chrono::milliseconds timeout = 2s) {
    session_sharing_options o;
    o.connections = 2;
    o.queue = 8;
    o.timeout = timeout;
    return o;
}

TEST(session_sharing, a_miss_is_looked_up_and_the_binding_kept_here) {
    fake_store store;
    bind_on_replica_a(store);
    session_table b({}, fleet_key);
    session_sharing sharing(b, opener(store), options());
    auto req = request("aws-userInfo=" + user_info + "; aws-creds=" + creds);
    auto wait = sharing.before_judgement(req);
    ASSERT_TRUE(wait);
    ASSERT_TRUE(run(wait));
    auto found = b.lookup(request_cookies(req), req.time);
    ASSERT_EQ(found.state, session_table::binding_state::bound);
    EXPECT_EQ(found.identity.account->str(), "111111111111");
    EXPECT_EQ(found.identity.aws_user, "alice");
    // Known now: the next request waits for nothing.
    EXPECT_FALSE(sharing.before_judgement(request("aws-creds=" + creds)));
    EXPECT_EQ(metric(sharing, "consolegate_sessions_store_lookup_digests_total{result=\"hit\"}"),
              1u);
    EXPECT_EQ(metric(sharing, "consolegate_sessions_store_lookup_seconds_count"), 1u);
}

// The corporate user who opened a session (the connection AWS's answer came on) travels with
// its row: a replica that finds it judges another person's request as the one that bound it.
TEST(session_sharing, the_sessions_opener_travels_with_its_row) {
    fake_store store;
    {
        session_table a({}, fleet_key);
        auto req = request("");
        req.host = "signin.aws.amazon.com";
        core::corp_identity alice;
        alice.user = "alice";
        alice.source = core::corp_source::kerberos;
        req.corp = &alice;
        proxy::response_view resp;
        resp.headers.emplace_back("Set-Cookie", set_user_info);
        resp.headers.emplace_back("Set-Cookie", set_creds);
        ASSERT_EQ(session_learner(a).learn(req, resp), 1u);
        std::vector<digest> keys{a.digest_of("aws-creds", creds)};
        for (const auto& e : a.entries(keys, req.time)) {
            store.rows[e.key] = {
                e.key,
                std::chrono::duration_cast<std::chrono::milliseconds>(e.expires.time_since_epoch())
                    .count(),
                session_entry_text(e)};
        }
    }
    ASSERT_EQ(store.rows.size(), 1u);
    session_table b({}, fleet_key);
    session_sharing sharing(b, opener(store), options());
    auto req = request("aws-creds=" + creds);
    auto wait = sharing.before_judgement(req);
    ASSERT_TRUE(wait);
    ASSERT_TRUE(run(wait));
    auto found = b.lookup(request_cookies(req), req.time);
    ASSERT_EQ(found.state, session_table::binding_state::bound);
    EXPECT_EQ(found.identity.corporate_user, "alice");
}

TEST(session_sharing, requests_without_keyable_cookies_wait_for_nothing) {
    fake_store store;
    session_table b({}, fleet_key);
    session_sharing sharing(b, opener(store), options());
    EXPECT_FALSE(sharing.before_judgement(request("")));
    // aws-userInfo is never a key; short values are never keys.
    EXPECT_FALSE(sharing.before_judgement(request("aws-userInfo=" + user_info + "; locale=en")));
    EXPECT_EQ(metric(sharing, "consolegate_sessions_store_lookups_total"), 0u);
}

TEST(session_sharing, an_absent_digest_is_not_looked_up_again_within_the_ttl) {
    fake_store store;
    session_table b({}, fleet_key);
    auto o = options();
    o.negative_ttl = 1h;
    session_sharing sharing(b, opener(store), o);
    auto req = request("tracking=ABCDEFGHIJKLMNOPQRSTUVWXYZ");
    ASSERT_TRUE(run(sharing.before_judgement(req)));
    EXPECT_FALSE(sharing.before_judgement(req));
    EXPECT_EQ(metric(sharing, "consolegate_sessions_store_lookup_digests_total{result=\"miss\"}"),
              1u);
    EXPECT_EQ(metric(sharing, "consolegate_sessions_store_absent_cache_hits_total"), 1u);
    EXPECT_EQ(metric(sharing, "consolegate_sessions_store_absent_entries"), 1u);
}

TEST(session_sharing, the_absent_cache_is_bounded) {
    fake_store store;
    session_table b({}, fleet_key);
    auto o = options();
    o.negative_entries = 2;
    o.negative_ttl = 1h;
    session_sharing sharing(b, opener(store), o);
    for (char c : std::string("abc")) {
        ASSERT_TRUE(run(sharing.before_judgement(request("t=" + std::string(20, c)))));
    }
    EXPECT_EQ(metric(sharing, "consolegate_sessions_store_absent_entries"), 2u);
    // The oldest went first: looked up again.
    EXPECT_TRUE(sharing.before_judgement(request("t=" + std::string(20, 'a'))));
    EXPECT_FALSE(sharing.before_judgement(request("t=" + std::string(20, 'c'))));
}

TEST(session_sharing, a_failing_store_resumes_the_request_and_is_counted) {
    fake_store store;
    bind_on_replica_a(store);
    store.fail = true;
    session_table b({}, fleet_key);
    session_sharing sharing(b, opener(store), options());
    auto req = request("aws-creds=" + creds);
    ASSERT_TRUE(run(sharing.before_judgement(req)));
    // Judged on this replica's table alone: unbound (the policy's unbound_sessions decides).
    EXPECT_EQ(b.lookup(request_cookies(req), req.time).state,
              session_table::binding_state::unbound);
    EXPECT_EQ(
        metric(sharing,
               "consolegate_sessions_store_failures_total{operation=\"lookup\",why=\"error\"}"),
        1u);
    // A failure is not remembered as absent: the next request asks again.
    EXPECT_TRUE(sharing.before_judgement(req));
}

TEST(session_sharing, a_silent_store_is_given_up_at_the_deadline) {
    fake_store store;
    bind_on_replica_a(store);
    store.stall = true;
    session_table b({}, fleet_key);
    session_sharing sharing(b, opener(store), options(50ms));
    auto req = request("aws-creds=" + creds);
    ASSERT_TRUE(run(sharing.before_judgement(req)));  // resumed while the store still stalls
    EXPECT_TRUE(store.wait_for([&] { return store.stalled == 1; }));
    EXPECT_EQ(metric(sharing,
                     "consolegate_sessions_store_failures_total{operation=\"lookup\","
                     "why=\"timeout\"}"),
              1u);
    store.release();
    // The late answer is still kept: once the store thread is done (stop joins it), the session
    // is known here.
    EXPECT_TRUE(store.wait_for([&] { return store.lookups == 1; }));
    sharing.stop();
    EXPECT_EQ(b.lookup(request_cookies(req), req.time).state, session_table::binding_state::bound);
}

TEST(session_sharing, a_full_queue_fails_at_once) {
    fake_store store;
    store.stall = true;
    session_table b({}, fleet_key);
    auto o = options();
    o.connections = 1;
    o.queue = 1;
    session_sharing sharing(b, opener(store), o);
    auto first = sharing.before_judgement(request("a=" + std::string(20, 'a')));
    auto done = std::make_shared<std::promise<void>>();
    first([done] { done->set_value(); });
    ASSERT_TRUE(store.wait_for([&] { return store.stalled == 1; }));  // the one thread is busy
    auto second = sharing.before_judgement(request("b=" + std::string(20, 'b')));
    auto done2 = std::make_shared<std::promise<void>>();
    second([done2] { done2->set_value(); });  // queued
    // The third finds the queue full: resumed before the call returns.
    bool resumed = false;
    sharing.before_judgement(request("c=" + std::string(20, 'c')))([&] { resumed = true; });
    EXPECT_TRUE(resumed);
    EXPECT_EQ(metric(sharing,
                     "consolegate_sessions_store_failures_total{operation=\"lookup\","
                     "why=\"queue_full\"}"),
              1u);
    store.release();
    EXPECT_EQ(done->get_future().wait_for(10s), std::future_status::ready);
    EXPECT_EQ(done2->get_future().wait_for(10s), std::future_status::ready);
}

TEST(session_sharing, write_through_commits_what_the_response_bound_and_never_a_cookie) {
    fake_store store;
    session_table a({}, fleet_key);
    session_sharing sharing(a, opener(store), options());
    auto req = request("");
    req.host = "signin.aws.amazon.com";
    proxy::response_view resp;
    resp.headers.emplace_back("Set-Cookie", set_user_info);
    resp.headers.emplace_back("Set-Cookie", set_creds);
    // Nothing bound yet (the observer refused, or has not learned): nothing to write.
    EXPECT_FALSE(sharing.before_release(req, resp));
    session_learner(a).learn(req, resp);
    auto wait = sharing.before_release(req, resp);
    ASSERT_TRUE(wait);
    ASSERT_TRUE(run(wait));
    std::lock_guard lock(store.mu);
    ASSERT_EQ(store.rows.size(), 1u);
    const auto& row = store.rows.begin()->second;
    EXPECT_EQ(row.digest, a.digest_of("aws-creds", creds));
    EXPECT_EQ(row.entry.find(creds), std::string::npos);
    auto e = parse_session_entry(row.entry);
    EXPECT_EQ(e.identity.principal_arn, "arn:aws:sts::111111111111:assumed-role/Admin/alice");
}

// The access portal's token -> user table, shared the same way (app/portal_users.hpp): replica
// A learns the user from AWS's GET /user answer and commits it before that answer is released;
// replica B, asked to judge a federation request presenting the token, looks it up first.
const std::string portal_token = "portal-token-0123456789abcdef";
const std::string portal_answer = R"({"subject":"carol","userName":"carol"})";

core::http_request_view portal_request(std::string_view target) {  // a literal: views into it
    auto req = request("");
    req.host = "portal.sso.eu-west-1.amazonaws.com";
    req.target = target;
    req.method = "GET";
    req.headers.emplace_back("x-amz-sso_bearer_token", portal_token);
    return req;
}

TEST(session_sharing, a_portal_user_learned_on_one_replica_names_the_token_on_the_other) {
    fake_store store;
    auto portal_key = portal_user_table::for_sessions(fleet_key);
    session_table a({}, fleet_key), b({}, fleet_key);
    portal_user_table portal_a(portal_key, {}), portal_b(portal_key, {});
    session_sharing on_a(a, opener(store), options(), &portal_a);
    session_sharing on_b(b, opener(store), options(), &portal_b);

    auto user = portal_request("/user");
    proxy::response_view answer;
    answer.status = 200;
    answer.body_complete = true;
    answer.body = portal_answer;
    // Nothing learned yet (the observer refused or could not read it): nothing to write.
    EXPECT_FALSE(on_a.before_release(user, answer));
    // GET /user of a token not known here looks it up too (its opener may be kept elsewhere);
    // found nowhere, it is learned from the answer.
    auto first = on_a.before_judgement(user);
    ASSERT_TRUE(first);
    ASSERT_TRUE(run(first));
    core::corp_identity alice;  // the token's opener travels with it (portal_users.hpp)
    alice.user = "alice";
    alice.source = core::corp_source::address_map;
    user.corp = &alice;
    ASSERT_TRUE(portal_a.observe(user, answer, {}));
    auto write = on_a.before_release(user, answer);
    ASSERT_TRUE(write);
    ASSERT_TRUE(run(write));
    {
        std::lock_guard lock(store.mu);
        ASSERT_EQ(store.rows.size(), 1u);
        const auto& row = store.rows.begin()->second;
        EXPECT_EQ(row.digest, portal_a.digest_of(portal_token));
        EXPECT_EQ(row.entry.find(portal_token), std::string::npos);  // never the token
    }

    auto federation = portal_request("/federation/credentials?account_id=222222222222&role_name=A");
    EXPECT_EQ(portal_b.user_of(portal_token, federation.time), std::nullopt);
    auto lookup = on_b.before_judgement(federation);
    ASSERT_TRUE(lookup);
    ASSERT_TRUE(run(lookup));
    EXPECT_EQ(portal_b.user_of(portal_token, federation.time), "carol");
    EXPECT_EQ(portal_b.entry_of(portal_token, federation.time).value().corp_user, "alice");
    // Known now: the next request waits for nothing.
    EXPECT_FALSE(on_b.before_judgement(federation));
    EXPECT_EQ(metric(on_b, "consolegate_sessions_store_lookup_digests_total{result=\"hit\"}"), 1u);
}

// bob's browser loading the portal on replica B with alice's token, copied after she loaded it
// on A: B restores the row before it learns from the answer, so the token stays alice's there
// and in the row B writes back.
TEST(session_sharing, a_copied_portal_token_stays_its_opener_s_on_another_replica) {
    fake_store store;
    auto portal_key = portal_user_table::for_sessions(fleet_key);
    session_table a({}, fleet_key), b({}, fleet_key);
    portal_user_table portal_a(portal_key, {}), portal_b(portal_key, {});
    session_sharing on_a(a, opener(store), options(), &portal_a);
    session_sharing on_b(b, opener(store), options(), &portal_b);
    proxy::response_view answer;
    answer.status = 200;
    answer.body_complete = true;
    answer.body = portal_answer;
    core::corp_identity alice, bob;
    alice.user = "alice";
    alice.source = bob.source = core::corp_source::address_map;
    bob.user = "bob";

    auto on_alices = portal_request("/user");
    on_alices.corp = &alice;
    ASSERT_TRUE(run(on_a.before_judgement(on_alices)));
    ASSERT_TRUE(portal_a.observe(on_alices, answer, {}));
    ASSERT_TRUE(run(on_a.before_release(on_alices, answer)));

    auto on_bobs = portal_request("/user");
    on_bobs.corp = &bob;
    auto lookup = on_b.before_judgement(on_bobs);
    ASSERT_TRUE(lookup);
    ASSERT_TRUE(run(lookup));
    ASSERT_TRUE(portal_b.observe(on_bobs, answer, {}));
    EXPECT_EQ(portal_b.entry_of(portal_token, on_bobs.time).value().corp_user, "alice");
    ASSERT_TRUE(run(on_b.before_release(on_bobs, answer)));
    std::lock_guard lock(store.mu);
    ASSERT_EQ(store.rows.size(), 1u);
    EXPECT_EQ(portal_user_table::parse_entry(store.rows.begin()->second.entry).second.corp_user,
              "alice");
}

TEST(session_sharing, a_portal_token_found_absent_is_looked_up_again_at_the_next_request) {
    // The federation click may follow, within negative_ttl, an earlier portal call that found
    // nothing: another replica may have learned the token in between.
    fake_store store;
    auto portal_key = portal_user_table::for_sessions(fleet_key);
    session_table b({}, fleet_key);
    portal_user_table portal_b(portal_key, {});
    auto o = options();
    o.negative_ttl = 1h;
    session_sharing on_b(b, opener(store), o, &portal_b);
    auto apps = portal_request("/instance/appinstances");
    ASSERT_TRUE(run(on_b.before_judgement(apps)));
    EXPECT_EQ(portal_b.user_of(portal_token, apps.time), std::nullopt);
    // Replica A learns it meanwhile.
    portal_user_table portal_a(portal_key, {});
    portal_a.learn(portal_token, "carol", apps.time, {});
    auto d = portal_a.digest_of(portal_token);
    auto e = portal_a.live_entry(d, apps.time);
    ASSERT_TRUE(e);
    {
        std::lock_guard lock(store.mu);
        store.rows[d] = {
            d,
            std::chrono::duration_cast<std::chrono::milliseconds>(e->expires.time_since_epoch())
                .count(),
            portal_user_table::entry_text(d, *e)};
    }
    auto federation = portal_request("/federation/console?account_id=222222222222&role_name=A");
    auto again = on_b.before_judgement(federation);
    ASSERT_TRUE(again);
    ASSERT_TRUE(run(again));
    EXPECT_EQ(portal_b.user_of(portal_token, federation.time), "carol");
}

TEST(session_sharing, a_portal_row_that_is_not_what_it_says_teaches_nothing) {
    fake_store store;
    auto portal_key = portal_user_table::for_sessions(fleet_key);
    session_table b({}, fleet_key);
    portal_user_table portal_b(portal_key, {});
    session_sharing on_b(b, opener(store), options(), &portal_b);
    auto federation = portal_request("/federation/console?account_id=222222222222&role_name=A");
    auto d = portal_b.digest_of(portal_token);
    auto other = portal_b.digest_of("another-token-0123456789abcdef");
    auto later = std::chrono::system_clock::now() + 1h;
    auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(later.time_since_epoch()).count();
    {
        std::lock_guard lock(store.mu);
        // Under the token's digest, a row naming another digest; and one a session row.
        store.rows[d] = {d, ms, portal_user_table::entry_text(other, {"mallory", later, ""})};
    }
    ASSERT_TRUE(run(on_b.before_judgement(federation)));
    EXPECT_EQ(portal_b.user_of(portal_token, federation.time), std::nullopt);
    {
        std::lock_guard lock(store.mu);
        store.rows[d] = {d, ms, R"({"d":"00","exp":1,"user":"mallory"})"};
    }
    ASSERT_TRUE(run(on_b.before_judgement(federation)));
    EXPECT_EQ(portal_b.user_of(portal_token, federation.time), std::nullopt);
    EXPECT_EQ(metric(on_b, "consolegate_sessions_store_lookup_digests_total{result=\"miss\"}"), 2u);
}

// A sign-in let through on replica A (session_table::sign_in_started) whose answer sets no
// cookie: the mark still goes to the store before that answer is released, so the replica that
// takes the sign-in's next step (the console's /oauth callback, the load balancer's choice) looks
// the old session up with its mark and keeps what AWS sets there pending, never the old identity.
TEST(session_sharing, a_sign_in_started_on_one_replica_is_continued_on_another) {
    fake_store store;
    session_table a({}, fleet_key);
    session_sharing sharing_a(a, opener(store), options());
    auto signed_in = request("");
    signed_in.host = "signin.aws.amazon.com";
    proxy::response_view named;
    named.headers.emplace_back("Set-Cookie", set_user_info);
    named.headers.emplace_back("Set-Cookie", set_creds);
    session_learner(a).learn(signed_in, named);
    ASSERT_TRUE(run(sharing_a.before_release(signed_in, named)));
    // Replica K already knows the old session (the browser used it there): it never looks those
    // cookies up again while they live.
    session_table k({}, fleet_key);
    session_sharing sharing_k(k, opener(store), options());
    ASSERT_TRUE(run(sharing_k.before_judgement(request("aws-creds=" + creds))));
    ASSERT_EQ(k.lookup(request_cookies(request("aws-creds=" + creds)), signed_in.time).state,
              session_table::binding_state::bound);
    // The browser signs in again (a SigninToken) with the old session's cookies.
    auto sign_in = request("aws-creds=" + creds);
    sign_in.host = "signin.aws.amazon.com";
    sign_in.target = "/federation?Action=login&SigninToken=opaque-token-0123456789";
    ASSERT_EQ(a.sign_in_started(request_cookies(sign_in), sign_in.time), 1u);
    proxy::response_view bare;  // a redirect to the console, no cookie
    bare.status = 302;
    auto wait = sharing_a.before_release(sign_in, bare);
    ASSERT_TRUE(wait);
    ASSERT_TRUE(run(wait));
    {
        std::lock_guard lock(store.mu);
        auto row = store.rows.at(a.digest_of("aws-creds", creds));
        EXPECT_NE(parse_session_entry(row.entry).identity.sign_in_at,
                  std::chrono::system_clock::time_point{});
    }
    EXPECT_FALSE(sharing_a.before_release(sign_in, bare));  // written once
    // Replica B takes the callback: the old session is found, marked.
    session_table b({}, fleet_key);
    session_sharing sharing_b(b, opener(store), options());
    auto callback = request("aws-creds=" + creds);
    callback.target = "/oauth?code=abc";
    ASSERT_TRUE(run(sharing_b.before_judgement(callback)));
    auto found = b.lookup(request_cookies(callback), callback.time);
    EXPECT_EQ(found.state, session_table::binding_state::bound);  // still the old session
    EXPECT_TRUE(found.continues_sign_in);
    const std::string next = "aws-creds=NNNNNNNNNNNNNNNNNNNNNNNNNNNN; Secure";
    proxy::response_view opens;
    opens.headers.emplace_back("Set-Cookie", next);
    EXPECT_EQ(session_learner(b).learn(callback, opens), 1u);
    auto after =
        b.lookup(request_cookies(request("aws-creds=NNNNNNNNNNNNNNNNNNNNNNNNNNNN")), callback.time);
    EXPECT_EQ(after.state, session_table::binding_state::unbound);
    EXPECT_TRUE(after.continues_sign_in);
    // Replica K takes the callback instead: it knows the old session unmarked, so its observer
    // inherits; the write-through looks the cookies the binding came from up first, finds the
    // mark, and the answer's cookies are pending there and in the store before the browser has
    // them.
    EXPECT_FALSE(sharing_k.before_judgement(callback));  // nothing unknown to look up
    EXPECT_EQ(session_learner(k).learn(callback, opens), 1u);
    auto inherited = request("aws-creds=NNNNNNNNNNNNNNNNNNNNNNNNNNNN");
    ASSERT_EQ(k.lookup(request_cookies(inherited), callback.time).state,
              session_table::binding_state::bound);
    auto wait_k = sharing_k.before_release(callback, opens);
    ASSERT_TRUE(wait_k);
    ASSERT_TRUE(run(wait_k));
    after = k.lookup(request_cookies(inherited), callback.time);
    EXPECT_EQ(after.state, session_table::binding_state::unbound);
    EXPECT_TRUE(after.continues_sign_in);
    EXPECT_TRUE(k.lookup(request_cookies(callback), callback.time).continues_sign_in);
    std::lock_guard lock(store.mu);
    auto row = store.rows.at(k.digest_of("aws-creds", "NNNNNNNNNNNNNNNNNNNNNNNNNNNN"));
    EXPECT_TRUE(parse_session_entry(row.entry).identity.pending());
}

TEST(session_sharing, a_failed_write_is_kept_and_written_when_the_store_answers) {
    fake_store store;
    store.fail = true;
    session_table a({}, fleet_key);
    session_sharing sharing(a, opener(store), options());
    auto req = request("");
    req.host = "signin.aws.amazon.com";
    proxy::response_view resp;
    resp.headers.emplace_back("Set-Cookie", set_user_info);
    resp.headers.emplace_back("Set-Cookie", set_creds);
    session_learner(a).learn(req, resp);
    ASSERT_TRUE(run(sharing.before_release(req, resp)));  // released despite the failure
    EXPECT_EQ(metric(sharing, "consolegate_sessions_store_backlog"), 1u);
    EXPECT_EQ(a.lookup(request_cookies(request("aws-creds=" + creds)), req.time).state,
              session_table::binding_state::bound);  // the local binding holds
    {
        std::lock_guard lock(store.mu);
        store.fail = false;
    }
    EXPECT_TRUE(store.wait_for([&] { return store.rows.size() == 1; }));  // within a second or so
}

TEST(session_sharing, another_key_fails_every_job_without_reconnecting) {
    fake_store store;
    store.mismatch = true;
    session_table b({}, fleet_key);
    auto o = options();
    o.connections = 1;
    session_sharing sharing(b, opener(store), o);
    ASSERT_TRUE(run(sharing.before_judgement(request("a=" + std::string(20, 'a')))));
    ASSERT_TRUE(run(sharing.before_judgement(request("b=" + std::string(20, 'b')))));
    EXPECT_TRUE(store.wait_for([&] { return store.opens == 1; }));
    EXPECT_EQ(metric(sharing,
                     "consolegate_sessions_store_failures_total{operation=\"lookup\","
                     "why=\"key_mismatch\"}"),
              2u);
    EXPECT_EQ(metric(sharing, "consolegate_sessions_store_key_mismatch"), 1u);
}

TEST(session_sharing, stop_resumes_what_waits_and_later_hooks_wait_for_nothing) {
    fake_store store;
    store.stall = true;
    session_table b({}, fleet_key);
    auto o = options(5s);
    o.connections = 1;
    session_sharing sharing(b, opener(store), o);
    auto done = std::make_shared<std::promise<void>>();
    sharing.before_judgement(request("a=" + std::string(20, 'a')))([done] { done->set_value(); });
    ASSERT_TRUE(store.wait_for([&] { return store.stalled == 1; }));
    auto queued = std::make_shared<std::promise<void>>();
    sharing.before_judgement(request("b=" + std::string(20, 'b')))(
        [queued] { queued->set_value(); });
    std::thread releaser([&] {
        EXPECT_EQ(queued->get_future().wait_for(10s), std::future_status::ready);
        store.release();  // the busy thread's operation ends; stop() joins it
    });
    sharing.stop();
    releaser.join();
    EXPECT_EQ(done->get_future().wait_for(10s), std::future_status::ready);
    EXPECT_FALSE(sharing.before_judgement(request("c=" + std::string(20, 'c'))));
}

}  // namespace
}  // namespace consolegate::app
