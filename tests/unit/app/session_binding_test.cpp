// app/session_binding.cpp through the pipeline (enforce): post-auth requests judged on what AWS
// said about their session (issue 20). One table: which session AWS signed in (learned from its
// Set-Cookie, as the gateway's response observer learns it), what the request presents, the
// setting for unbound sessions, and the decision, reason and identity source expected.
#include "session_binding.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <list>
#include <string>
#include <vector>

#include "consolegate/core/time.hpp"
#include "enforcement.hpp"
#include "session_learning.hpp"
#include "session_store.hpp"
#include "session_table.hpp"

namespace consolegate::app {
namespace {

using core::effect;
using core::reason;
using core::sign_in_flow;

const auto now = *core::parse_rfc3339("2026-11-23T09:00:00Z");
constexpr const char* allowed = "111111111111";
constexpr const char* forbidden = "222222222222";
constexpr const char* gated = "333333333333";
constexpr const char* also_allowed = "444444444444";

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

std::shared_ptr<const policy_snapshot> snapshot(core::unbound_session_action unbound) {
    auto cfg = std::make_shared<core::config>();
    auto& p = cfg->policy;
    p.unbound_sessions = unbound;
    core::rule_config allow;
    allow.name = "allowed";
    allow.effect = core::rule_effect::allow;
    allow.accounts = {*core::account_id::parse(allowed), *core::account_id::parse(also_allowed)};
    core::rule_config elevated;
    elevated.name = "gated";
    elevated.effect = core::rule_effect::allow_with_elevation;
    elevated.accounts = {*core::account_id::parse(gated)};
    // CLI credentials (aws login) for the allowed account are refused: the console is not.
    core::rule_config no_cli;
    no_cli.name = "no-cli";
    no_cli.effect = core::rule_effect::deny;
    no_cli.accounts = {*core::account_id::parse(allowed)};
    no_cli.flows = {sign_in_flow::cli_sign_in};
    p.rules = {allow, elevated, no_cli};
    return make_policy_snapshot(std::move(cfg));
}

const core::elevation_set& alice_elevated() {
    static const core::elevation_set set([] {
        core::elevation_record r;
        r.id = "req-1";
        r.user = "alice";
        r.account = *core::account_id::parse(gated);
        r.permission_set = "Admin";
        r.status = "in progress";
        r.start = now - std::chrono::hours(1);
        r.duration_hours = 2;
        return std::vector<core::elevation_record>{r};
    }());
    return set;
}

const std::string creds_one = "aws-creds=ONEONEONEONEONEONEONEONE";
const std::string creds_two = "aws-creds=TWOTWOTWOTWOTWOTWOTWOTWO";
const std::string signed_one = "aws-userInfo-signed=SIGNEDONESIGNEDONESIGNED";
const std::string signed_other = "aws-userInfo-signed=NEVERSEENNEVERSEENNEVER";

struct signed_in {
    std::string account, role, session;
    std::vector<std::string> cookies;  // name=value AWS set beside aws-userInfo
};

struct binding_case {
    const char* name;
    std::vector<signed_in> sessions;  // what the gateway saw AWS sign in
    std::string host;
    std::string target;
    std::vector<std::string> cookies;  // the request's Cookie header, one pair each
    core::unbound_session_action unbound;
    effect want;
    reason why;
    const char* identity_source;  // of the deciding attempt (the first on allow)
    const char* account = "";     // of the deciding attempt
    const char* user = "";
    std::string body = {};
};

const std::string console = "us-east-1.console.aws.amazon.com";
using ua = core::unbound_session_action;

std::vector<binding_case> cases() {
    signed_in one{allowed, "Admin", "alice", {creds_one, signed_one}};
    signed_in two{forbidden, "Admin", "mallory", {creds_two}};
    signed_in gated_alice{gated, "AWSReservedSSO_Admin_0123456789abcdef", "alice", {creds_one}};
    auto ui = [](const signed_in& s) {
        return "aws-userInfo=" + user_info(s.account, s.role, s.session);
    };
    return {
        {"a_bound_session_is_judged_on_its_binding",
         {one},
         console,
         "/console/home",
         {ui(one), creds_one},
         ua::deny,
         effect::allow,
         reason::rule_allow,
         "bound",
         allowed,
         "alice"},
        {"aws_user_info_removed_is_judged_on_the_binding",
         {two},
         console,
         "/console/home",
         {creds_two},
         ua::deny,
         effect::deny,
         reason::default_deny,
         "bound",
         forbidden,
         "mallory"},
        {"aws_user_info_removed_of_an_allowed_session_passes",
         {one},
         console,
         "/console/home",
         {creds_one},
         ua::cookie,
         effect::allow,
         reason::rule_allow,
         "bound",
         allowed,
         "alice"},
        {"forged_to_another_account_is_forged",
         {two},
         console,
         "/console/home",
         {"aws-userInfo=" + user_info(allowed, "Admin", "mallory"), creds_two},
         ua::deny,
         effect::deny,
         reason::session_identity_forged,
         "cookie",
         allowed,
         "mallory"},
        {"forged_to_another_user_is_forged",
         {one},
         console,
         "/console/home",
         {"aws-userInfo=" + user_info(allowed, "Admin", "bob"), creds_one},
         ua::deny,
         effect::deny,
         reason::session_identity_forged,
         "cookie",
         allowed,
         "bob"},
        {"forged_to_another_role_is_forged",
         {one},
         console,
         "/console/home",
         {"aws-userInfo=" + user_info(allowed, "ReadOnly", "alice"), creds_one},
         ua::cookie,
         effect::deny,
         reason::session_identity_forged,
         "cookie",
         allowed,
         "alice"},
        {"a_repeated_key_is_ambiguous",
         {one},
         console,
         "/console/home",
         {"aws-userInfo=%7B%22arn%22%3A%22arn%3Aaws%3Aiam%3A%3A111111111111%3Aroot%22%2C%22arn%22"
          "%3A%22arn%3Aaws%3Aiam%3A%3A222222222222%3Aroot%22%7D",
          creds_one},
         ua::deny,
         effect::deny,
         reason::ambiguous_identity,
         "cookie"},
        {"a_repeated_key_is_ambiguous_unbound_too",
         {},
         console,
         "/console/home",
         {"aws-userInfo=%7B%22arn%22%3A%22arn%3Aaws%3Aiam%3A%3A111111111111%3Aroot%22%2C%22arn%22"
          "%3A%22arn%3Aaws%3Aiam%3A%3A111111111111%3Aroot%22%7D"},
         ua::cookie,
         effect::deny,
         reason::ambiguous_identity,
         "cookie"},
        {"an_unbound_session_is_denied_by_default",
         {},
         console,
         "/console/home",
         {ui(one), creds_one},
         ua::deny,
         effect::deny,
         reason::session_unbound,
         "cookie",
         allowed,
         "alice"},
        {"an_unbound_session_is_judged_on_its_cookie_in_migration",
         {},
         console,
         "/console/home",
         {ui(one), creds_one},
         ua::cookie,
         effect::allow,
         reason::rule_allow,
         "cookie",
         allowed,
         "alice"},
        {"an_unbound_forbidden_session_in_migration_is_denied_on_its_cookie",
         {},
         console,
         "/console/home",
         {ui(two)},
         ua::cookie,
         effect::deny,
         reason::default_deny,
         "cookie",
         forbidden,
         "mallory"},
        {"session_cookies_alone_unbound_are_denied",
         {},
         console,
         "/console/home",
         {creds_one},
         ua::deny,
         effect::deny,
         reason::session_unbound,
         "unknown"},
        {"session_cookies_alone_unbound_pass_in_migration_as_before",
         {},
         console,
         "/console/home",
         {creds_one},
         ua::cookie,
         effect::allow,
         reason::rule_allow,
         ""},
        {"a_static_asset_without_a_session_passes",
         {one},
         console,
         "/assets/app.js",
         {"noflush_locale=en-US-en-US-en-US"},
         ua::deny,
         effect::allow,
         reason::rule_allow,
         ""},
        {"cookies_of_two_sessions_conflict",
         {one, two},
         console,
         "/console/home",
         {ui(one), creds_one, creds_two},
         ua::deny,
         effect::deny,
         reason::session_conflicting,
         "cookie"},
        {"a_forbidden_sessions_unseen_cookie_beside_one_bound_cookie_conflicts",
         {one},
         console,
         "/console/home",
         {ui(one), creds_one, signed_other},
         ua::deny,
         effect::deny,
         reason::session_conflicting,
         "cookie"},
        {"the_same_beside_an_unseen_aws_creds_without_user_info_conflicts",
         {one},
         console,
         "/console/home",
         {signed_one, creds_two},
         ua::cookie,
         effect::deny,
         reason::session_conflicting,
         "unknown"},
        {"team_gating_uses_the_bound_user",
         {gated_alice},
         console,
         "/console/home",
         {creds_one},
         ua::deny,
         effect::allow,
         reason::elevation_active,
         "bound",
         gated,
         "alice"},
        {"a_new_sign_in_with_stale_cookies_is_judged_on_what_it_asks",
         {},
         "signin.aws.amazon.com",
         "/authenticate",
         {creds_two},
         ua::deny,
         effect::allow,
         reason::rule_allow,
         "",
         allowed,
         "bob",
         "action=iam-user-authentication&account=111111111111&username=bob"},
        // aws login's browser step hands the CLI credentials for the session's identity: a
        // request that drops aws-userInfo is still the bound session's (before: a pre-auth
        // attempt with no account, allowed as unknown-account, around a cli-sign-in deny).
        {"cli_authorize_is_judged_on_the_session_it_authorizes",
         {one},
         "us-east-1.signin.aws.amazon.com",
         "/v1/authorize?response_type=code&code_challenge_method=SHA-256",
         {ui(one), creds_one},
         ua::deny,
         effect::deny,
         reason::rule_deny,
         "bound",
         allowed,
         "alice"},
        {"cli_authorize_without_user_info_is_judged_on_the_binding",
         {one},
         "us-east-1.signin.aws.amazon.com",
         "/v1/authorize?response_type=code&code_challenge_method=SHA-256",
         {creds_one, signed_one},
         ua::deny,
         effect::deny,
         reason::rule_deny,
         "bound",
         allowed,
         "alice"},
        {"cli_authorize_without_user_info_in_migration_is_judged_on_the_binding",
         {one},
         "signin.aws.amazon.com",
         "/v1/authorize?response_type=code",
         {creds_one},
         ua::cookie,
         effect::deny,
         reason::rule_deny,
         "bound",
         allowed,
         "alice"},
        // A multi-session host names the account of the session it serves: cookies bound to
        // another account are not that session's, so what AWS serves there is unknown, though
        // both accounts are allowed (a session's host cookies spliced beside an allowed jar).
        {"a_multi_session_host_of_another_account_is_conflicting",
         {one},
         "444444444444-abcdefgh.us-east-1.console.aws.amazon.com",
         "/console/home",
         {ui(one), creds_one},
         ua::deny,
         effect::deny,
         reason::session_conflicting,
         "cookie",
         allowed,
         "alice"},
        {"a_multi_session_host_of_another_account_without_user_info_is_conflicting",
         {one},
         "444444444444-abcdefgh.us-east-1.console.aws.amazon.com",
         "/console/home",
         {creds_one},
         ua::cookie,
         effect::deny,
         reason::session_conflicting,
         "unknown"},
        {"a_multi_session_host_of_the_bound_account_is_judged_on_the_binding",
         {one},
         "111111111111-abcdefgh.us-east-1.console.aws.amazon.com",
         "/console/home",
         {ui(one), creds_one},
         ua::deny,
         effect::allow,
         reason::rule_allow,
         "unknown",  // the host's attempt decides first

         allowed},
        // Judged on the cookie (unbound, "cookie"): a cookie naming another account than the
        // multi-session host is refused as a bound session's is, though both are allowed
        // (session 11; before, each was judged alone and the request passed).
        {"on_the_cookie_a_multi_session_host_of_another_account_is_ambiguous",
         {},
         "444444444444-abcdefgh.us-east-1.console.aws.amazon.com",
         "/console/home",
         {ui(one), creds_one},
         ua::cookie,
         effect::deny,
         reason::ambiguous_identity,
         "cookie",
         allowed,
         "alice"},
        {"on_the_cookie_a_multi_session_host_of_the_cookies_account_is_judged_on_both",
         {},
         "111111111111-abcdefgh.us-east-1.console.aws.amazon.com",
         "/console/home",
         {ui(one), creds_one},
         ua::cookie,
         effect::allow,
         reason::rule_allow,
         "unknown",  // the host's attempt decides first
         allowed},
        // A session cookie's name in another case beside a bound jar: a server that reads
        // names case-insensitively may take it for the session's (AWS's reading is unknown).
        {"a_session_cookie_name_in_another_case_beside_a_bound_one_is_conflicting",
         {one},
         console,
         "/console/home",
         {ui(one), creds_one, "AWS-Creds=NEVERSEENNEVERSEENNEVER"},
         ua::deny,
         effect::deny,
         reason::session_conflicting,
         "cookie",
         allowed,
         "alice"},
        {"a_session_cookie_name_in_another_case_alone_is_unbound",
         {},
         console,
         "/console/home",
         {"AWS-USERINFO-SIGNED=NEVERSEENNEVERSEENNEVER"},
         ua::deny,
         effect::deny,
         reason::session_unbound,
         "unknown"},
        // The same for a name behind what a reader's trim drops (Node's `cookie` trims names
        // with JavaScript's trim(): NBSP, a byte-order mark; Java's trim() every byte up to
        // U+0020, VT included): before, only the case was ignored, and such a cookie was no
        // session cookie at all, so the request passed on the bound jar beside it.
        {"a_session_cookie_name_behind_nbsp_beside_a_bound_one_is_conflicting",
         {one},
         console,
         "/console/home",
         {ui(one), creds_one,
          "\xC2\xA0"
          "aws-creds=NEVERSEENNEVERSEENNEVER"},
         ua::deny,
         effect::deny,
         reason::session_conflicting,
         "cookie",
         allowed,
         "alice"},
        {"a_session_cookie_name_behind_a_vertical_tab_beside_a_bound_one_is_conflicting",
         {one},
         console,
         "/console/home",
         {ui(one), creds_one, "aws-creds\v=NEVERSEENNEVERSEENNEVER"},
         ua::deny,
         effect::deny,
         reason::session_conflicting,
         "cookie",
         allowed,
         "alice"},
        {"a_session_cookie_name_behind_a_byte_order_mark_alone_is_unbound",
         {},
         console,
         "/console/home",
         {"\xEF\xBB\xBF"
          "aws-userInfo-signed=NEVERSEENNEVERSEENNEVER"},
         ua::deny,
         effect::deny,
         reason::session_unbound,
         "unknown"},
        // A session cookie inside another cookie's value, which a reader that decodes the
        // Cookie header before it splits it finds: beside a bound jar it is one the binding
        // does not know; before session 10 it was no cookie at all.
        {"a_session_cookie_a_decode_first_reader_finds_beside_a_bound_one_is_conflicting",
         {one},
         console,
         "/console/home",
         {ui(one), creds_one, "noflush=x%3B%20aws-creds%3DNEVERSEENNEVERSEENNEVER"},
         ua::deny,
         effect::deny,
         reason::session_conflicting,
         "cookie",
         allowed,
         "alice"},
        {"a_session_cookie_a_decode_first_reader_finds_alone_is_unbound",
         {},
         console,
         "/console/home",
         {"noflush=x%3B%20aws-creds%3DNEVERSEENNEVERSEENNEVER"},
         ua::deny,
         effect::deny,
         reason::session_unbound,
         "unknown"},
        {"a_session_cookie_behind_a_comma_beside_a_bound_one_is_conflicting",
         {one},
         console,
         "/console/home",
         {ui(one), creds_one, "noflush=x, aws-creds=NEVERSEENNEVERSEENNEVER"},
         ua::deny,
         effect::deny,
         reason::session_conflicting,
         "cookie",
         allowed,
         "alice"},
        {"switch_role_from_an_unbound_session_is_denied",
         {},
         "signin.aws.amazon.com",
         "/switchrole?account=111111111111&roleName=Admin",
         {ui(one), creds_one},
         ua::deny,
         effect::deny,
         reason::session_unbound,
         "cookie",
         allowed,
         "alice"},
    };
}

class session_binding_cases : public ::testing::TestWithParam<binding_case> {};

TEST_P(session_binding_cases, judged_on_what_aws_said) {
    const auto& c = GetParam();
    session_table table({}, session_table::key_type{3});
    session_learner learner(table);
    for (const auto& s : c.sessions) {
        // AWS's answer to the sign-in, as the gateway's response observer sees it.
        core::http_request_view req;
        req.host = "signin.aws.amazon.com";
        req.target = "/federation?Action=login";
        req.time = now - std::chrono::minutes(5);
        proxy::response_view resp;
        std::vector<std::string> set{"aws-userInfo=" + user_info(s.account, s.role, s.session)};
        for (const auto& ck : s.cookies) set.push_back(ck + "; Secure");
        for (const auto& h : set) resp.headers.emplace_back("Set-Cookie", h);
        ASSERT_EQ(learner.learn(req, resp), set.size() - 1);  // aws-userInfo is never a key
    }
    auto snap = snapshot(c.unbound);
    core::http_request_view req;
    req.method = c.body.empty() ? "GET" : "POST";
    req.host = c.host;
    req.target = c.target;
    req.time = now;
    std::string cookie_header;
    for (const auto& ck : c.cookies) cookie_header += (cookie_header.empty() ? "" : "; ") + ck;
    if (!cookie_header.empty()) req.headers.emplace_back("Cookie", cookie_header);
    if (!c.body.empty()) {
        req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
        req.body = c.body;
    }
    enforcement_inputs in;
    in.policy = snap.get();
    in.sessions = &table;
    in.elevations = core::elevation_view::of(alice_elevated());
    auto r = enforce(req, in);
    EXPECT_EQ(r.outcome.effect, c.want);
    if (r.attempts.empty()) {
        EXPECT_EQ(c.want, effect::allow);
        EXPECT_STREQ(c.identity_source, "") << "no attempt: nothing to judge";
        return;
    }
    auto i = std::size_t(r.outcome.deciding >= 0 ? r.outcome.deciding : 0);
    const auto& ja = r.attempts[i];
    EXPECT_EQ(ja.decision.why, c.why) << core::to_string(ja.decision.why);
    EXPECT_EQ(r.events[i].identity_source, c.identity_source);
    EXPECT_EQ(r.events[i].reason, core::to_string(c.why));
    if (*c.account) {
        EXPECT_EQ(r.events[i].account, c.account);
    }
    if (*c.user) {
        EXPECT_EQ(r.events[i].user, c.user);
    }
    EXPECT_EQ(r.verdict.expire_console_cookies,
              c.want == effect::deny && ja.attempt.phase != core::auth_phase::pre_auth);
}

INSTANTIATE_TEST_SUITE_P(session_binding, session_binding_cases, ::testing::ValuesIn(cases()),
                         [](const auto& p) { return std::string(p.param.name); });

// Without a table (explain) nothing is checked: the cookie decides, and says so.
TEST(session_binding, without_a_table_the_cookie_decides_and_says_so) {
    auto snap = snapshot(ua::deny);
    core::http_request_view req;
    req.method = "GET";
    req.host = console;
    req.target = "/console/home";
    req.time = now;
    std::string cookie = "aws-userInfo=" + user_info(allowed, "Admin", "alice");
    req.headers.emplace_back("Cookie", cookie);
    enforcement_inputs in;
    in.policy = snap.get();
    auto r = enforce(req, in);
    ASSERT_EQ(r.attempts.size(), 1u);
    EXPECT_EQ(r.outcome.effect, effect::allow);
    EXPECT_EQ(r.events[0].identity_source, "cookie");
    EXPECT_EQ(r.attempts[0].attempt.binding, core::session_binding::not_checked);
    // A multi-session host of another account than the cookie's: both allowed, but which
    // session AWS serves there is unknown (session 11; before, allowed).
    req.host = "444444444444-abcdefgh.us-east-1.console.aws.amazon.com";
    r = enforce(req, in);
    ASSERT_EQ(r.attempts.size(), 2u);
    EXPECT_EQ(r.outcome.effect, effect::deny);
    EXPECT_EQ(r.attempts[std::size_t(r.outcome.deciding)].decision.why, reason::ambiguous_identity);
    req.host = "111111111111-abcdefgh.us-east-1.console.aws.amazon.com";
    EXPECT_EQ(enforce(req, in).outcome.effect, effect::allow);
}

// The response step: a root or federation sign-in AWS answers with a forbidden account is
// refused on AWS's answer, recorded with the account AWS named.
TEST(session_binding, a_response_naming_a_forbidden_account_is_refused_and_recorded) {
    auto snap = snapshot(ua::deny);
    core::http_request_view req;
    req.method = "POST";
    req.host = "signin.aws.amazon.com";
    req.target = "/signin";
    req.time = now;
    req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    req.body = "action=authenticateRoot&email=root%40example.com&password=x";
    enforcement_inputs in;
    in.policy = snap.get();
    session_identity named;
    named.account = core::account_id::parse(forbidden);
    named.principal_arn = std::string("arn:aws:iam::") + forbidden + ":root";
    named.aws_user = "root@example.com";
    auto r = enforce_response(req, named, in);
    EXPECT_FALSE(r.verdict.allows());
    EXPECT_EQ(r.verdict.flow, sign_in_flow::root);
    EXPECT_TRUE(r.verdict.expire_console_cookies);
    ASSERT_EQ(r.events.size(), 1u);
    EXPECT_EQ(r.events[0].account, forbidden);
    EXPECT_EQ(r.events[0].source, "response:aws-userInfo");
    EXPECT_EQ(r.events[0].identity_source, "bound");
    EXPECT_EQ(r.events[0].phase, "post-auth");
    // An allowed account is let through, and recorded since the request named no account.
    named.account = core::account_id::parse(allowed);
    auto ok = enforce_response(req, named, in);
    EXPECT_TRUE(ok.verdict.allows());
    EXPECT_EQ(ok.events.size(), 1u);
    // A switch-role answer naming the account the request asked for adds no second event.
    core::http_request_view sw;
    sw.method = "GET";
    sw.host = "signin.aws.amazon.com";
    sw.target = "/switchrole?account=111111111111&roleName=Admin";
    sw.time = now;
    named.role_name = "Admin";
    auto again = enforce_response(sw, named, in);
    EXPECT_TRUE(again.verdict.allows());
    EXPECT_TRUE(again.events.empty());
}

// What a security team writing `flows = [...]` expects: a session's console requests are judged
// as the sign-in that established it (core/policy.hpp, "Flows"). The pipeline as the gateway
// runs it: AWS's answer naming the session judged (enforce_response), its flows kept with the
// binding (session_flows), the cookies learned, then the console request judged on the binding.
struct flows_world {
    session_table table{{}, session_table::key_type{5}};
    std::shared_ptr<const policy_snapshot> snap;
    explicit flows_world(std::vector<core::rule_config> rules) { reload(std::move(rules)); }
    void reload(std::vector<core::rule_config> rules) {
        auto cfg = std::make_shared<core::config>();
        cfg->policy.rules = std::move(rules);
        snap = make_policy_snapshot(std::move(cfg));
    }
    enforcement_inputs inputs() {
        enforcement_inputs in;
        in.policy = snap.get();
        in.sessions = &table;
        in.elevations = core::elevation_view::of(alice_elevated());
        return in;
    }
    // A view: what it names must outlive it (literals, the test's strings).
    static core::http_request_view request(std::string_view host, std::string_view target,
                                           std::string_view cookies = {}) {
        core::http_request_view req;
        req.method = "GET";
        req.host = host;
        req.target = target;
        req.time = now;
        if (!cookies.empty()) req.headers.emplace_back("Cookie", cookies);
        return req;
    }
    // AWS answers `req` with `set` (Set-Cookie values); as sign_in_hook::observe handles it.
    bool answer(const core::http_request_view& req, const std::vector<std::string>& set) {
        std::vector<std::string> headers;  // the response's views name them
        for (const auto& h : set) headers.push_back(h + "; Secure");
        proxy::response_view resp;
        for (const auto& h : headers) resp.headers.emplace_back("Set-Cookie", h);
        auto reading = read_response(req, resp);
        auto in = inputs();
        if (reading.named) {
            auto r = enforce_response(req, *reading.named, in);
            if (!r.verdict.allows()) return false;
            reading.named->flows = session_flows(r);
            reading.named->flows_either = session_flows_either(r);
        }
        session_learner(table).learn(req, reading);
        return true;
    }
    enforcement_result console(const std::string& cookies) {
        return enforce(request(console_host, "/console/home", cookies), inputs());
    }
    static inline const std::string console_host = "us-east-1.console.aws.amazon.com";
};

core::rule_config flow_rule(const char* name, core::rule_effect e, const char* account,
                            std::vector<sign_in_flow> flows) {
    core::rule_config r;
    r.name = name;
    r.effect = e;
    r.accounts = {*core::account_id::parse(account)};
    r.flows = std::move(flows);
    return r;
}

TEST(session_flows, a_sessions_console_requests_are_judged_as_the_sign_in_that_opened_it) {
    using E = core::rule_effect;
    flows_world w({flow_rule("broker-only", E::allow, allowed, {sign_in_flow::custom_broker}),
                   flow_rule("idc-only", E::allow, also_allowed, {sign_in_flow::identity_center})});
    const std::string login = "/federation?Action=login&SigninToken=opaque";
    // A broker sign-in to the broker-only account: its answer, then the session's console.
    ASSERT_TRUE(w.answer(w.request("signin.aws.amazon.com", login),
                         {"aws-userInfo=" + user_info(allowed, "Admin", "alice"), creds_one}));
    auto r = w.console(creds_one);
    ASSERT_EQ(r.attempts.size(), 1u);
    EXPECT_EQ(r.outcome.effect, effect::allow) << core::to_string(r.attempts[0].decision.why);
    EXPECT_EQ(r.attempts[0].attempt.flow, sign_in_flow::console_session);
    EXPECT_EQ(r.attempts[0].decision.rule, "broker-only");
    // The audit event says why a console request was judged under a sign-in flow.
    auto events = audit_events(w.request(flows_world::console_host, "/console/home", creds_one),
                               r.attempts, {});
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].flow, "console-session");
    EXPECT_EQ(events[0].also_flows, "custom-broker");
    EXPECT_FALSE(events[0].also_flows_either);
    // The same account's multi-session console host serves that session: judged so too.
    auto ms = enforce(w.request("111111111111-abcdefgh.us-east-1.console.aws.amazon.com",
                                "/console/home", creds_one),
                      w.inputs());
    EXPECT_EQ(ms.outcome.effect, effect::allow);
    // The console's own API calls, signed with a key of the session's account (ASIA… of
    // 111111111111): judged so too; a key of another account is api-credentials alone.
    for (auto [key, want] : {std::pair{"ASIABTXV5AHDQAISEM2E", effect::allow},
                             std::pair{"ASIAY34FZKBOKMUTVV7A", effect::deny}}) {
        auto api = w.request("monitoring.us-east-1.console.aws.amazon.com", "/", creds_one);
        auto auth = std::string("AWS4-HMAC-SHA256 Credential=") + key +
                    "/20261123/us-east-1/monitoring/aws4_request, SignedHeaders=host, "
                    "Signature=00";
        api.headers.emplace_back("Authorization", auth);
        auto j = enforce(api, w.inputs());
        EXPECT_EQ(j.outcome.effect, want) << key;
        EXPECT_TRUE(std::any_of(j.attempts.begin(), j.attempts.end(), [](const auto& x) {
            return x.attempt.flow == sign_in_flow::api_credentials;
        })) << key;
    }
    // The Identity Center portal's sign-in (a federation login AWS answers with an
    // AWSReservedSSO_ role) under flows = ["identity-center"] alone, and its console.
    ASSERT_TRUE(w.answer(
        w.request("signin.aws.amazon.com", login),
        {"aws-userInfo=" + user_info(also_allowed, "AWSReservedSSO_Admin_0123456789abcdef", "bob"),
         creds_two}));
    r = w.console(creds_two);
    EXPECT_EQ(r.outcome.effect, effect::allow);
    EXPECT_EQ(r.attempts[0].decision.rule, "idc-only");
    // A deny of the flow added later reaches the sessions it opened: explicit deny wins.
    w.reload({flow_rule("broker-only", E::allow, allowed, {sign_in_flow::custom_broker}),
              flow_rule("no-broker", E::deny, allowed, {sign_in_flow::custom_broker})});
    r = w.console(creds_one);
    EXPECT_EQ(r.outcome.effect, effect::deny);
    EXPECT_EQ(r.attempts[0].decision.why, reason::rule_deny);
    EXPECT_EQ(r.attempts[0].decision.rule, "no-broker");
}

// AWS names the session on a later step (the console's /oauth callback) than the sign-in: the
// pending cookies carry the sign-in's flows to it.
TEST(session_flows, a_session_named_on_a_later_step_keeps_its_sign_ins_flows) {
    using E = core::rule_effect;
    flows_world w({flow_rule("broker-only", E::allow, allowed, {sign_in_flow::custom_broker})});
    const std::string pending = "aws-signin-state=PENDINGPENDINGPENDING";
    ASSERT_TRUE(
        w.answer(w.request("signin.aws.amazon.com", "/federation?Action=login&SigninToken=opaque"),
                 {pending}));
    EXPECT_EQ(w.table.pending_count(), 1u);
    auto callback = w.request(flows_world::console_host, "/oauth?code=c0de", pending);
    ASSERT_TRUE(
        w.answer(callback, {"aws-userInfo=" + user_info(allowed, "Admin", "alice"), creds_one}));
    auto r = w.console(creds_one);
    EXPECT_EQ(r.outcome.effect, effect::allow);
    EXPECT_EQ(r.attempts[0].decision.rule, "broker-only");
    // Without the pending cookie the same callback is a session of unknown origin: its answer
    // is judged as console-session alone and refused.
    flows_world fresh({flow_rule("broker-only", E::allow, allowed, {sign_in_flow::custom_broker})});
    EXPECT_FALSE(fresh.answer(fresh.request(flows_world::console_host, "/oauth?code=c0de"),
                              {"aws-userInfo=" + user_info(allowed, "Admin", "alice"), creds_one}));
}

// A step naming the session that presents the pending cookies of two sign-ins (a broker login
// and an Identity Center one, started in one browser) belongs to one of them, and which one is not
// known: a grant must hold for each (it took the union, so a rule for either flow let the other
// sign-in's session through), a deny for either reaches it, and the session keeps that.
TEST(session_flows, a_session_named_after_two_sign_ins_is_granted_only_what_each_may_reach) {
    using E = core::rule_effect;
    const std::vector<core::rule_config> idc_only{
        flow_rule("idc-only", E::allow, allowed, {sign_in_flow::identity_center})};
    const std::string broker = "aws-signin-state=BROKERBROKERBROKERBROKER";
    const std::string portal = "aws-signin-csrf=PORTALPORTALPORTALPORTAL";
    const std::string both = broker + "; " + portal;
    const std::string named = "aws-userInfo=" + user_info(allowed, "Admin", "alice");
    auto start_two = [&](flows_world& w) {
        ASSERT_TRUE(w.answer(
            w.request("signin.aws.amazon.com", "/federation?Action=login&SigninToken=opaque"),
            {broker}));
        ASSERT_TRUE(
            w.answer(w.request("portal.sso.us-east-1.amazonaws.com",
                               "/federation/console?account_id=111111111111&role_name=Admin"),
                     {portal}));
        ASSERT_EQ(w.table.pending_count(), 2u);
    };
    auto callback = [&](const std::string& cookies) {
        return flows_world::request(flows_world::console_host, "/oauth?code=c0de", cookies);
    };
    {
        flows_world w(idc_only);
        start_two(w);
        EXPECT_FALSE(w.answer(callback(both), {named, creds_one}));
        // Each sign-in alone is what it is: the portal's is let through, the broker's is not.
        EXPECT_TRUE(w.answer(callback(portal), {named, creds_one}));
        EXPECT_FALSE(w.answer(callback(broker), {named, creds_two}));
    }
    {
        // A step between that names nobody carries the two sign-ins on to what it sets: the
        // cookie it sets is not the portal's sign-in alone.
        flows_world w(idc_only);
        start_two(w);
        const std::string next = "aws-signin-next=NEXTNEXTNEXTNEXTNEXTNEXT";
        ASSERT_TRUE(w.answer(callback(both), {next}));
        EXPECT_FALSE(w.answer(callback(next), {named, creds_one}));
    }
    {
        // Allowed for both flows, the session is let through, and its console requests are
        // judged so: a rule for one of the two flows does not reach them, a deny of either does.
        flows_world w({flow_rule("idc-and-broker", E::allow, allowed,
                                 {sign_in_flow::identity_center, sign_in_flow::custom_broker})});
        start_two(w);
        ASSERT_TRUE(w.answer(callback(both), {named, creds_one}));
        auto allowed_both = w.console(creds_one);
        EXPECT_EQ(allowed_both.outcome.effect, effect::allow);
        // The record says the session's sign-in was one of the two (alternatives), not each.
        auto events = audit_events(
            flows_world::request(flows_world::console_host, "/console/home", creds_one),
            allowed_both.attempts, {});
        ASSERT_EQ(events.size(), 1u);
        EXPECT_NE(events[0].also_flows.find("identity-center"), std::string::npos);
        EXPECT_NE(events[0].also_flows.find("custom-broker"), std::string::npos);
        EXPECT_TRUE(events[0].also_flows_either);
        w.reload(idc_only);
        auto r = w.console(creds_one);
        EXPECT_EQ(r.outcome.effect, effect::deny);
        EXPECT_EQ(r.attempts[0].decision.why, reason::default_deny);
        w.reload({flow_rule("console", E::allow, allowed, {sign_in_flow::console_session}),
                  flow_rule("no-broker", E::deny, allowed, {sign_in_flow::custom_broker})});
        r = w.console(creds_one);
        EXPECT_EQ(r.outcome.effect, effect::deny);
        EXPECT_EQ(r.attempts[0].decision.rule, "no-broker");
        // A pending cookie whose sign-in's flows are not known (0: a step that continued a
        // sign-in by a marked cookie alone) beside the portal's: one of them is a session of
        // unknown origin, which only console-session rules reach.
        flows_world u(idc_only);
        ASSERT_TRUE(
            u.answer(u.request("portal.sso.us-east-1.amazonaws.com",
                               "/federation/console?account_id=111111111111&role_name=Admin"),
                     {portal}));
        session_table::lookup_result continuing;
        continuing.continues_sign_in = true;
        const std::string unknown = "aws-signin-unknown=UNKNOWNUNKNOWNUNKNOWN";
        const std::vector<cookie_pair> set{{"aws-signin-unknown", "UNKNOWNUNKNOWNUNKNOWN"}};
        ASSERT_EQ(u.table.learn(set, std::nullopt, continuing, "x", now), 1u);
        EXPECT_FALSE(u.answer(callback(unknown + "; " + portal), {named, creds_one}));
        u.reload({flow_rule("idc-only", E::allow, allowed, {sign_in_flow::identity_center}),
                  flow_rule("console", E::allow, allowed, {sign_in_flow::console_session})});
        ASSERT_TRUE(u.answer(callback(unknown + "; " + portal), {named, creds_one}));
        u.reload(idc_only);  // the session keeps it: its console is refused again
        EXPECT_EQ(u.console(creds_one).outcome.effect, effect::deny);
        // The unknown one alone is console-session alone, as before.
        EXPECT_FALSE(u.answer(callback(unknown), {named, creds_two}));
        // The session file and a fleet's store keep it (session_entry_text).
        session_table::saved_entry e;
        e.identity.flows = core::flow_bit(sign_in_flow::identity_center) |
                           core::flow_bit(sign_in_flow::custom_broker);
        e.identity.flows_either = true;
        EXPECT_TRUE(parse_session_entry(session_entry_text(e)).identity.flows_either);
        e.identity.flows_either = false;
        EXPECT_FALSE(parse_session_entry(session_entry_text(e)).identity.flows_either);
    }
}

// The person behind a session (docs/inspection.md "Session binding"): a session is its opener's,
// the corporate user whose connection AWS's answer naming it came on. alice holds the TEAM
// elevation for `gated`; her cookies presented by bob (or by a connection naming nobody) are
// judged as nobody's session, never on her elevation.
struct person_world {
    session_table table{{}, session_table::key_type{6}};
    std::shared_ptr<const policy_snapshot> snap = [] {
        auto cfg = std::make_shared<core::config>();
        core::rule_config gate;
        gate.name = "gated";
        gate.effect = core::rule_effect::allow_with_elevation;
        gate.accounts = {*core::account_id::parse(gated)};
        cfg->policy.rules = {gate};
        cfg->identity.realms = {"CORP.EXAMPLE", "CORP"};
        return make_policy_snapshot(std::move(cfg));
    }();
    std::list<core::corp_identity> people;  // what the requests' corp point to

    const core::corp_identity* person(const char* user) {
        if (!user) return nullptr;
        auto& p = people.emplace_back();
        p.user = user;
        p.source = core::corp_source::header;
        return &p;
    }
    enforcement_inputs inputs() {
        enforcement_inputs in;
        in.policy = snap.get();
        in.sessions = &table;
        in.elevations = core::elevation_view::of(alice_elevated());
        return in;
    }
    core::http_request_view request(std::string_view host, std::string_view target,
                                    std::string_view cookies, const char* corp) {
        auto req = flows_world::request(host, target, cookies);
        req.corp = person(corp);
        return req;
    }
    bool answer(const core::http_request_view& req, const std::vector<std::string>& set) {
        std::vector<std::string> headers;
        for (const auto& h : set) headers.push_back(h + "; Secure");
        proxy::response_view resp;
        for (const auto& h : headers) resp.headers.emplace_back("Set-Cookie", h);
        auto reading = read_response(req, resp);
        if (reading.named && !enforce_response(req, *reading.named, inputs()).verdict.allows()) {
            return false;
        }
        session_learner(table).learn(req, reading);
        return true;
    }
    // AWS signs `corp` in to `gated` as the Identity Center user alice.
    void sign_in(const char* corp, const std::string& cookie) {
        ASSERT_TRUE(answer(request("signin.aws.amazon.com",
                                   "/federation?Action=login&SigninToken=opaque", "", corp),
                           {"aws-userInfo=" + user_info(gated, sso_role, "alice"), cookie}));
    }
    enforcement_result console(const std::string& cookies, const char* corp) {
        return enforce(request(flows_world::console_host, "/console/home", cookies, corp),
                       inputs());
    }
    static inline const std::string sso_role = "AWSReservedSSO_Admin_0123456789abcdef";
};

TEST(session_person, another_persons_session_is_refused_and_recorded_with_both) {
    person_world w;
    w.sign_in("alice", creds_one);
    EXPECT_EQ(w.table.lookup(std::vector<cookie_pair>{{"aws-creds", creds_one.substr(10)}}, now)
                  .identity.corporate_user,
              "alice");
    struct row {
        const char* presenter;
        bool with_user_info;
        effect want;
        reason why;
    };
    for (auto r : {row{"alice", true, effect::allow, reason::elevation_active},
                   // alice on another machine, spelt another way: the same person.
                   row{"ALICE", false, effect::allow, reason::elevation_active},
                   row{"alice@CORP.EXAMPLE", true, effect::allow, reason::elevation_active},
                   row{"CORP\\alice", true, effect::allow, reason::elevation_active},
                   // Another person, another realm's alice, nobody established: not hers.
                   row{"bob", true, effect::deny, reason::session_user_mismatch},
                   row{"bob", false, effect::deny, reason::session_user_mismatch},
                   row{"alice@PARTNER.EXAMPLE", true, effect::deny, reason::session_user_mismatch},
                   row{nullptr, true, effect::deny, reason::session_user_mismatch}}) {
        auto cookies = creds_one;
        if (r.with_user_info) {
            cookies += "; aws-userInfo=" + user_info(gated, person_world::sso_role, "alice");
        }
        auto j = w.console(cookies, r.presenter);
        std::string who = r.presenter ? r.presenter : "(nobody)";
        ASSERT_EQ(j.attempts.size(), 1u) << who;
        EXPECT_EQ(j.outcome.effect, r.want) << who;
        EXPECT_EQ(j.attempts[0].decision.why, r.why) << who;
        EXPECT_EQ(j.events[0].corp_user, r.presenter ? r.presenter : "") << who;
        EXPECT_EQ(j.events[0].session_corp_user, "alice") << who;
        EXPECT_EQ(j.events[0].user, "alice") << who;  // the session AWS named, as before
        EXPECT_EQ(j.events[0].identity_source, "bound") << who;
        EXPECT_EQ(j.verdict.expire_console_cookies, r.want == effect::deny) << who;
    }
    EXPECT_NE(core::describe(reason::session_user_mismatch).find("opened by another person"),
              std::string_view::npos);
}

TEST(session_person, the_opener_is_carried_through_lineage_and_pending_entries) {
    person_world w;
    w.sign_in("alice", creds_one);
    // A refresh answered on a connection that names nobody inherits the opener: never filled
    // in, never taken from whoever refreshed.
    ASSERT_TRUE(w.answer(w.request(flows_world::console_host, "/console/home", creds_one, nullptr),
                         {creds_two}));
    EXPECT_EQ(w.console(creds_two, "bob").attempts[0].decision.why, reason::session_user_mismatch);
    EXPECT_EQ(w.console(creds_two, "alice").outcome.effect, effect::allow);
    // A sign-in alice starts (its answer names nobody yet: pending), named on a later step
    // whose connection names nobody: still hers.
    person_world p;
    const std::string pending = "aws-signin-state=PENDINGPENDINGPENDING";
    ASSERT_TRUE(p.answer(p.request("signin.aws.amazon.com",
                                   "/federation?Action=login&SigninToken=opaque", "", "alice"),
                         {pending}));
    ASSERT_TRUE(
        p.answer(p.request(flows_world::console_host, "/oauth?code=c0de", pending, nullptr),
                 {"aws-userInfo=" + user_info(gated, person_world::sso_role, "alice"), creds_one}));
    EXPECT_EQ(p.console(creds_one, "bob").attempts[0].decision.why, reason::session_user_mismatch);
    auto mine = p.console(creds_one, "alice");
    EXPECT_EQ(mine.outcome.effect, effect::allow);
    EXPECT_EQ(mine.events[0].session_corp_user, "alice");
}

TEST(session_person, a_session_whose_opener_is_not_known_is_judged_as_before) {
    person_world w;
    w.sign_in(nullptr, creds_one);
    for (const char* presenter : {"bob", static_cast<const char*>(nullptr)}) {
        auto j = w.console(creds_one, presenter);
        EXPECT_EQ(j.outcome.effect, effect::allow);
        EXPECT_EQ(j.attempts[0].decision.why, reason::elevation_active);
        EXPECT_EQ(j.events[0].session_corp_user, "");
    }
}

}  // namespace
}  // namespace consolegate::app
