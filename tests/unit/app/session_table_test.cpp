// The session table's lineage rule, bounds and expiry, as scripts of responses and requests run
// against an injected clock.
#include "session_table.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace consolegate::app {
namespace {

using namespace std::chrono_literals;
using state = session_table::binding_state;
using time_point = std::chrono::system_clock::time_point;

const std::string tok_a = "AAAAAAAAAAAAAAAAAAAAAAAA";  // session-cookie-like values
const std::string tok_b = "BBBBBBBBBBBBBBBBBBBBBBBB";
const std::string tok_c = "CCCCCCCCCCCCCCCCCCCCCCCC";
const std::string tok_d = "DDDDDDDDDDDDDDDDDDDDDDDD";

session_identity identity(std::string_view account, std::string_view role) {
    session_identity id;
    id.account = core::account_id::parse(account);
    id.principal_arn =
        "arn:aws:sts::" + std::string(account) + ":assumed-role/" + std::string(role) + "/alice";
    id.role_name = std::string(role);
    id.aws_user = "alice";
    return id;
}

using cookies = std::vector<std::pair<std::string, std::string>>;

// One step of a script: after `advance`, either AWS answers a request presenting `sent` by
// setting `set`, naming `named_account` (empty: names nobody), or a request presents `sent` and
// is looked up.
struct step {
    bool response = false;
    std::chrono::seconds advance{};
    cookies sent, set;
    std::string named_account;
    std::size_t want_learned = 0;  // response: cookies bound
    state want = state::unbound;   // request: the expected binding
    std::string want_account;      // request, bound: its account
    binding_source want_by = binding_source::user_info_set_cookie;
};

// AWS answers a request presenting `sent`, setting `set` and naming `account` ("" = nobody).
step answer(std::chrono::seconds advance, cookies sent, cookies set, std::string account,
            std::size_t learned) {
    step s;
    s.response = true;
    s.advance = advance;
    s.sent = std::move(sent);
    s.set = std::move(set);
    s.named_account = std::move(account);
    s.want_learned = learned;
    return s;
}
// A request presenting `sent` is looked up.
step ask(std::chrono::seconds advance, cookies sent, state want, std::string account = {},
         binding_source by = binding_source::user_info_set_cookie) {
    step s;
    s.advance = advance;
    s.sent = std::move(sent);
    s.want = want;
    s.want_account = std::move(account);
    s.want_by = by;
    return s;
}

struct script {
    std::string name;
    session_table_limits limits;
    std::vector<step> steps;
};

std::vector<cookie_pair> pairs(const cookies& v) {
    std::vector<cookie_pair> out;
    for (const auto& [n, val] : v) out.emplace_back(n, val);
    return out;
}

const session_table_limits defaults{};
const session_table_limits two_entries{2, std::chrono::hours(12)};
const std::string acct1 = "111111111111", acct2 = "222222222222", acct3 = "333333333333";

const std::vector<script> scripts = {
    {"a_request_presenting_a_cookie_aws_set_on_a_named_response_is_bound",
     defaults,
     {answer(0s, {}, {{"aws-creds", tok_a}}, acct1, 1),
      ask(1s, {{"aws-creds", tok_a}}, state::bound, acct1)}},
    {"a_cookie_the_gateway_never_saw_aws_set_is_unbound",
     defaults,
     {answer(0s, {}, {{"aws-creds", tok_a}}, acct1, 1),
      ask(1s, {{"aws-creds", tok_b}}, state::unbound)}},
    {"the_same_value_under_another_name_is_unbound",
     defaults,
     {answer(0s, {}, {{"aws-creds", tok_a}}, acct1, 1),
      ask(1s, {{"JSESSIONID", tok_a}}, state::unbound)}},
    {"short_values_are_never_keys",
     defaults,
     {answer(0s, {}, {{"regStatus", "pre-register"}}, acct1, 0),
      ask(1s, {{"regStatus", "pre-register"}}, state::unbound)}},
    {"an_unnamed_response_to_an_unbound_request_binds_nothing",
     defaults,
     {answer(0s, {{"x", tok_c}}, {{"aws-creds", tok_a}}, "", 0),
      ask(1s, {{"aws-creds", tok_a}}, state::unbound)}},
    {"cookies_set_on_a_response_to_a_bound_request_inherit_its_binding",
     defaults,
     {answer(0s, {}, {{"aws-creds", tok_a}}, acct1, 1),
      answer(60s, {{"aws-creds", tok_a}}, {{"aws-creds", tok_b}}, "", 1),
      ask(1s, {{"aws-creds", tok_b}}, state::bound, acct1, binding_source::lineage)}},
    {"a_switch_role_answer_binds_its_cookies_to_the_identity_it_names",
     defaults,
     {answer(0s, {}, {{"aws-creds", tok_a}}, acct1, 1),
      answer(60s, {{"aws-creds", tok_a}}, {{"aws-creds", tok_b}}, acct2, 1),
      ask(1s, {{"aws-creds", tok_b}}, state::bound, acct2)}},
    {"cookies_bound_to_two_principals_conflict",
     defaults,
     {answer(0s, {}, {{"aws-creds", tok_a}}, acct1, 1),
      answer(0s, {}, {{"aws-creds", tok_b}}, acct2, 1),
      ask(1s, {{"aws-creds", tok_a}, {"aws-creds", tok_b}}, state::conflicting)}},
    {"a_conflicting_request_passes_no_binding_on",
     defaults,
     {answer(0s, {}, {{"a", tok_a}}, acct1, 1), answer(0s, {}, {{"b", tok_b}}, acct2, 1),
      answer(0s, {{"a", tok_a}, {"b", tok_b}}, {{"c", tok_c}}, "", 0),
      ask(1s, {{"c", tok_c}}, state::unbound)}},
    {"an_entry_expires_with_the_longest_console_session",
     defaults,
     {answer(0s, {}, {{"aws-creds", tok_a}}, acct1, 1),
      ask(12h - 1s, {{"aws-creds", tok_a}}, state::bound, acct1),
      ask(1s, {{"aws-creds", tok_a}}, state::unbound)}},
    {"a_lineage_expires_with_the_sign_in_it_descends_from",
     defaults,
     {answer(0s, {}, {{"aws-creds", tok_a}}, acct1, 1),
      answer(11h, {{"aws-creds", tok_a}}, {{"aws-creds", tok_b}}, "", 1),
      ask(1h, {{"aws-creds", tok_b}}, state::unbound)}},
    {"over_the_bound_the_soonest_to_expire_go_first",
     two_entries,
     {answer(0s, {}, {{"a", tok_a}}, acct1, 1), answer(1s, {}, {{"b", tok_b}}, acct2, 1),
      answer(1s, {}, {{"c", tok_c}}, acct3, 1), ask(1s, {{"a", tok_a}}, state::unbound),
      ask(0s, {{"b", tok_b}}, state::bound, acct2), ask(0s, {{"c", tok_c}}, state::bound, acct3)}},
    {"aws_setting_a_cookie_again_rebinds_it",
     defaults,
     {answer(0s, {}, {{"a", tok_a}}, acct1, 1), answer(1s, {}, {{"a", tok_a}}, acct2, 1),
      ask(1s, {{"a", tok_a}}, state::bound, acct2)}},
    {"a_bound_cookie_beside_unknown_ones_binds_the_request",
     defaults,
     {answer(0s, {}, {{"a", tok_a}}, acct1, 1),
      ask(1s, {{"x", tok_d}, {"a", tok_a}, {"lang", "en"}}, state::bound, acct1)}},
};

class session_table_script : public testing::TestWithParam<script> {};

TEST_P(session_table_script, binds_as_the_script_says) {
    const auto& sc = GetParam();
    session_table table(sc.limits, session_table::key_type{1, 2, 3});
    time_point now = time_point{} + std::chrono::hours(24 * 365 * 50);
    for (std::size_t i = 0; i < sc.steps.size(); ++i) {
        const auto& s = sc.steps[i];
        SCOPED_TRACE("step " + std::to_string(i));
        now += s.advance;
        auto sent = pairs(s.sent);
        if (s.response) {
            auto binding = table.lookup(sent, now);
            std::optional<session_identity> named;
            if (!s.named_account.empty()) named = identity(s.named_account, "Admin");
            auto set = pairs(s.set);
            EXPECT_EQ(table.learn(set, named, binding, "signin.aws.amazon.com/oauth", now),
                      s.want_learned);
            continue;
        }
        auto r = table.lookup(sent, now);
        EXPECT_EQ(r.state, s.want);
        if (s.want != state::bound) continue;
        ASSERT_TRUE(r.identity.account);
        EXPECT_EQ(r.identity.account->str(), s.want_account);
        EXPECT_EQ(r.identity.learned_by, s.want_by);
        EXPECT_EQ(r.identity.learned_on, "signin.aws.amazon.com/oauth");
    }
}

INSTANTIATE_TEST_SUITE_P(session_table, session_table_script, testing::ValuesIn(scripts),
                         [](const auto& p) { return p.param.name; });

TEST(session_table, keys_are_keyed_digests_so_another_key_knows_no_session) {
    auto now = std::chrono::system_clock::time_point{} + std::chrono::hours(1);
    session_table one({}, session_table::key_type{1});
    std::vector<cookie_pair> c{{"aws-creds", tok_a}};
    one.learn(c, identity("111111111111", "Admin"), {}, "signin.aws.amazon.com/oauth", now);
    EXPECT_EQ(one.lookup(c, now).state, state::bound);
    session_table other({}, session_table::key_type{2});
    other.learn(std::vector<cookie_pair>{{"aws-creds", tok_b}}, identity("111111111111", "Admin"),
                {}, "x", now);
    EXPECT_EQ(other.lookup(c, now).state, state::unbound);
}

TEST(session_table, unknown_and_entries_serve_a_shared_store) {
    auto now = std::chrono::system_clock::time_point{} + std::chrono::hours(1);
    session_table t({}, session_table::key_type{1});
    std::vector<cookie_pair> bound{{"aws-creds", tok_a}};
    t.learn(bound, identity("111111111111", "Admin"), {}, "signin.aws.amazon.com/oauth", now);
    // What a lookup would ask for: keyable cookies the table does not know, never aws-userInfo
    // or short values.
    std::vector<cookie_pair> presented{
        {"aws-creds", tok_a}, {"JSESSIONID", tok_b}, {"aws-userInfo", tok_b}, {"locale", "en"}};
    auto missing = t.unknown(presented, now);
    ASSERT_EQ(missing.size(), 1u);
    EXPECT_EQ(missing[0], t.digest_of("JSESSIONID", tok_b));
    // Expired entries are unknown again.
    EXPECT_EQ(t.unknown(bound, now + std::chrono::hours(13)).size(), 1u);
    // What a response bound, by digest, for a write-through.
    std::vector<session_table::digest> keys{t.digest_of("aws-creds", tok_a), missing[0]};
    auto e = t.entries(keys, now);
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].key, keys[0]);
    EXPECT_EQ(e[0].identity.account->str(), "111111111111");
    EXPECT_EQ(e[0].expires, now + std::chrono::hours(12));
}

// Pending entries (set within a sign-in AWS has not named) are keys that bind nobody: a request
// presenting one is not bound by it, is seen to continue the sign-in, and such a cookie beside a
// bound one is not "known" (app/session_binding.cpp then judges the request conflicting). A mark
// another replica made reaches an entry this one already holds through restore.
TEST(session_table, pending_entries_bind_nobody_and_marks_merge_on_restore) {
    auto now = std::chrono::system_clock::time_point{} + std::chrono::hours(1);
    session_table t({}, session_table::key_type{1});
    std::vector<cookie_pair> old_session{{"aws-creds", tok_a}};
    t.learn(old_session, identity("111111111111", "Admin"), {}, "signin.aws.amazon.com/x", now);
    session_table::lookup_result continuing;
    continuing.continues_sign_in = true;
    std::vector<cookie_pair> next{{"aws-creds", tok_b}};
    EXPECT_EQ(t.learn(next, std::nullopt, continuing, "console.aws.amazon.com/oauth", now), 1u);
    auto r = t.lookup(next, now);
    EXPECT_EQ(r.state, state::unbound);
    EXPECT_TRUE(r.continues_sign_in);
    EXPECT_FALSE(t.knows("aws-creds", tok_b, now));
    EXPECT_EQ(t.size(), 2u);
    EXPECT_EQ(t.pending_count(), 1u);  // consolegate_sessions_pending; the other is bound
    // A pending cookie beside a bound one: the bound identity, continuing a sign-in.
    std::vector<cookie_pair> mixed{{"aws-creds", tok_a}, {"aws-creds", tok_b}};
    r = t.lookup(mixed, now);
    EXPECT_EQ(r.state, state::bound);
    EXPECT_TRUE(r.continues_sign_in);
    // Pending entries live the session lifetime from the answer that set them.
    EXPECT_TRUE(t.lookup(next, now + 11h).continues_sign_in);
    EXPECT_FALSE(t.lookup(next, now + 12h).continues_sign_in);
    // Named again, the cookie is no longer pending.
    t.learn(next, identity("111111111111", "Admin"), {}, "x", now + 1s);
    EXPECT_EQ(t.pending_count(), 0u);
    t.learn(next, std::nullopt, continuing, "x", now + 2s);
    EXPECT_EQ(t.pending_count(), 1u);
    // Another replica marked the old session: restore takes the mark into the entry held here.
    EXPECT_FALSE(t.lookup(old_session, now).continues_sign_in);
    session_table other({}, session_table::key_type{1});
    other.learn(old_session, identity("111111111111", "Admin"), {}, "x", now);
    ASSERT_EQ(other.sign_in_started(old_session, now + 1s), 1u);
    EXPECT_EQ(other.take_marked().size(), 1u);
    EXPECT_TRUE(other.take_marked().empty());
    EXPECT_EQ(t.restore(other.snapshot(now + 2s), now + 2s), 0u);  // no entry added
    r = t.lookup(old_session, now + 2s);
    EXPECT_EQ(r.state, state::bound);
    EXPECT_TRUE(r.continues_sign_in);
}

TEST(session_table, a_smaller_bound_on_reload_keeps_the_latest_entries) {
    auto now = std::chrono::system_clock::time_point{} + std::chrono::hours(1);
    session_table table({}, session_table::random_key());
    const std::vector<std::string> toks{tok_a, tok_b, tok_c, tok_d};
    for (const auto& t : toks) {
        now += 1s;
        table.learn(std::vector<cookie_pair>{{"k", t}}, identity("111111111111", "Admin"), {}, "x",
                    now);
    }
    EXPECT_EQ(table.size(), 4u);
    EXPECT_EQ(table.evictions(), 0u);
    table.set_limits({2, std::chrono::hours(12)});
    EXPECT_EQ(table.size(), 2u);
    EXPECT_EQ(table.evictions(), 2u);
    EXPECT_EQ(table.lookup(std::vector<cookie_pair>{{"k", tok_d}}, now).state, state::bound);
    EXPECT_EQ(table.lookup(std::vector<cookie_pair>{{"k", tok_a}}, now).state, state::unbound);
}

TEST(session_table, a_full_table_drops_the_session_expiring_soonest_and_counts_it) {
    auto now = std::chrono::system_clock::time_point{} + std::chrono::hours(1);
    session_table table({2, std::chrono::hours(12)}, session_table::random_key());
    for (const auto& t : {tok_a, tok_b, tok_c}) {
        now += 1s;
        table.learn(std::vector<cookie_pair>{{"k", t}}, identity("111111111111", "Admin"), {}, "x",
                    now);
    }
    EXPECT_EQ(table.size(), 2u);
    EXPECT_EQ(table.evictions(), 1u);
    EXPECT_EQ(table.lookup(std::vector<cookie_pair>{{"k", tok_a}}, now).state, state::unbound);
    EXPECT_EQ(table.lookup(std::vector<cookie_pair>{{"k", tok_c}}, now).state, state::bound);
    // Expired entries make room without counting as evictions.
    now += std::chrono::hours(13);
    table.learn(std::vector<cookie_pair>{{"k", tok_d}}, identity("111111111111", "Admin"), {}, "x",
                now);
    EXPECT_EQ(table.size(), 1u);
    EXPECT_EQ(table.evictions(), 1u);
}

}  // namespace
}  // namespace consolegate::app
