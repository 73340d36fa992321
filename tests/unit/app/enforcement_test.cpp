// app/enforcement.cpp: the sign-in pipeline. Table-driven tests of the combine step alone and
// of evaluate + combine under a real policy, and the sign-in corpus through the proxy's hook and
// through `explain`, which must agree with each other and with the reviewed decisions.
#include "enforcement.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <set>

#include "consolegate/core/time.hpp"
#include "consolegate/inspect/http_file.hpp"
#include "explain.hpp"
#include "sign_in_hook.hpp"

namespace consolegate::app {
namespace {

namespace fs = std::filesystem;
using core::auth_phase;
using core::effect;
using core::reason;
using core::sign_in_flow;

// ---- combine, on hand-made decisions ------------------------------------------------------

struct made {
    sign_in_flow flow = sign_in_flow::iam_user;
    auth_phase phase = auth_phase::pre_auth;
    const char* source = "form:account";
    effect verdict = effect::allow;
    bool report_only = false;
};

struct combine_case {
    const char* name;
    std::vector<made> attempts;
    effect want;
    int deciding;
    bool expire_cookies;
};

constexpr made allowed{};
constexpr made denied{sign_in_flow::iam_user, auth_phase::pre_auth, "form:account", effect::deny};
constexpr made report_only_deny{sign_in_flow::iam_user, auth_phase::pre_auth, "form:account",
                                effect::deny, true};
constexpr made cookie_denied{sign_in_flow::console_session, auth_phase::post_auth,
                             "cookie:aws-userInfo", effect::deny};
constexpr made host_denied{sign_in_flow::multi_session, auth_phase::session, "host", effect::deny};
constexpr made role_allowed{sign_in_flow::saml, auth_phase::pre_auth, "saml:Role", effect::allow};
constexpr made role_denied{sign_in_flow::saml, auth_phase::pre_auth, "saml:Role", effect::deny};
constexpr made role_report_only{sign_in_flow::saml, auth_phase::pre_auth, "saml:Role", effect::deny,
                                true};
constexpr made chosen_role_denied{sign_in_flow::saml, auth_phase::pre_auth, "form:roleIndex",
                                  effect::deny};

const combine_case combine_cases[] = {
    {"no_attempts_is_no_sign_in_and_passes", {}, effect::allow, -1, false},
    {"one_allowed", {allowed}, effect::allow, -1, false},
    {"one_denied_pre_auth_keeps_the_cookies", {denied}, effect::deny, 0, false},
    {"a_post_auth_deny_expires_the_console_cookies", {cookie_denied}, effect::deny, 0, true},
    {"a_session_deny_expires_the_console_cookies", {host_denied}, effect::deny, 0, true},
    {"report_only_never_blocks", {report_only_deny}, effect::allow, -1, false},
    {"one_deny_among_several_denies", {allowed, denied, allowed}, effect::deny, 1, false},
    {"the_first_blocking_attempt_decides", {allowed, cookie_denied, denied}, effect::deny, 1, true},
    {"a_report_only_deny_is_passed_over_for_the_enforced_one",
     {report_only_deny, denied},
     effect::deny,
     1,
     false},
    {"one_allowed_saml_role_passes", {role_denied, role_allowed}, effect::allow, -1, false},
    {"no_allowed_saml_role_denies_with_the_first_blocked",
     {role_denied, role_denied},
     effect::deny,
     0,
     false},
    {"a_report_only_saml_role_counts_as_allowed",
     {role_denied, role_report_only},
     effect::allow,
     -1,
     false},
    {"allowed_roles_do_not_excuse_another_attempt",
     {role_allowed, cookie_denied},
     effect::deny,
     1,
     true},
    {"a_blocking_attempt_outranks_blocked_roles", {role_denied, denied}, effect::deny, 1, false},
    {"the_chosen_role_is_no_alternative",
     {role_allowed, chosen_role_denied},
     effect::deny,
     1,
     false},
};

class combine_table : public testing::TestWithParam<combine_case> {};

TEST_P(combine_table, decides_as_the_table_says) {
    const auto& c = GetParam();
    std::vector<judged_attempt> attempts;
    for (const auto& m : c.attempts) {
        judged_attempt j;
        j.attempt.flow = m.flow;
        j.attempt.phase = m.phase;
        j.attempt.source = m.source;
        j.decision.verdict = m.verdict;
        j.decision.report_only = m.report_only;
        attempts.push_back(std::move(j));
    }
    auto got = combine(attempts);
    EXPECT_EQ(got.effect, c.want) << c.name;
    EXPECT_EQ(got.deciding, c.deciding) << c.name;
    EXPECT_EQ(got.expire_console_cookies, c.expire_cookies) << c.name;
    auto v = make_verdict(attempts, got);
    EXPECT_EQ(v.effect, c.want) << c.name;
    EXPECT_EQ(v.expire_console_cookies, c.expire_cookies) << c.name;
    EXPECT_EQ(v.basis,
              attempts.empty() ? proxy::verdict_basis::no_sign_in : proxy::verdict_basis::policy)
        << c.name;
}

INSTANTIATE_TEST_SUITE_P(enforcement, combine_table, testing::ValuesIn(combine_cases),
                         [](const testing::TestParamInfo<combine_case>& p) {
                             return std::string(p.param.name);
                         });

// ---- evaluate + combine under a policy ----------------------------------------------------

constexpr const char* org = "o-a1b2c3d4e5";
constexpr const char* sandbox = "o-a1b2c3d4e5/r-ab12/ou-ab12-33333333/";
constexpr const char* prod = "o-a1b2c3d4e5/r-ab12/ou-ab12-22222222/";
constexpr const char* sandbox_account = "444455556666";
constexpr const char* prod_account = "111122223333";
constexpr const char* unknown_account = "999999999999";

core::account_id aid(const char* s) {
    return *core::account_id::parse(s);
}
const auto now = *core::parse_rfc3339("2026-11-23T09:00:00Z");

std::shared_ptr<const policy_snapshot> snapshot(bool global_report_only) {
    auto cfg = std::make_shared<core::config>();
    auto& p = cfg->policy;
    p.report_only = global_report_only;
    p.org_id = org;
    p.accounts = {{aid(sandbox_account), "sandbox", sandbox}, {aid(prod_account), "prod", prod}};
    core::rule_config sandbox_rule;
    sandbox_rule.name = "sandbox-ou";
    sandbox_rule.effect = core::rule_effect::allow;
    sandbox_rule.ou_paths = {sandbox};
    core::rule_config prod_admin;
    prod_admin.name = "prod-admin-elevated";
    prod_admin.effect = core::rule_effect::allow_with_elevation;
    prod_admin.ou_paths = {prod};
    prod_admin.roles = {"Admin"};
    core::rule_config contractors;  // per-rule report-only: watched, never blocked
    contractors.name = "watch-contractors";
    contractors.effect = core::rule_effect::deny;
    contractors.report_only = true;
    contractors.users = {"contractor*"};
    p.rules = {sandbox_rule, prod_admin, contractors};
    return make_policy_snapshot(std::move(cfg));
}

const core::elevation_set& alice_elevated() {
    static const core::elevation_set set([] {
        core::elevation_record r;
        r.id = "req-1";
        r.user = "alice";
        r.account = aid(prod_account);
        r.permission_set = "Admin";
        r.status = "in progress";
        r.start = now - std::chrono::hours(1);
        r.duration_hours = 2;
        return std::vector<core::elevation_record>{r};
    }());
    return set;
}

struct attempt_spec {
    const char* account;
    const char* role = "";
    const char* user = "";
    sign_in_flow flow = sign_in_flow::switch_role;
    auth_phase phase = auth_phase::pre_auth;
    const char* source = "form:account";
};

enum class feed { none, alice_elevated };

struct policy_case {
    const char* name;
    bool global_report_only;
    feed elevations;
    std::vector<attempt_spec> attempts;
    effect want;
    reason why;  // of the verdict's attempt (the deciding one, or the first on an allow)
    const char* rule;
    bool report_only;  // of that attempt's decision
    bool expire_cookies;
};

const policy_case policy_cases[] = {
    {"allowed_by_a_rule",
     false,
     feed::none,
     {{sandbox_account}},
     effect::allow,
     reason::rule_allow,
     "sandbox-ou",
     false,
     false},
    {"no_rule_is_a_default_deny",
     false,
     feed::none,
     {{unknown_account}},
     effect::deny,
     reason::default_deny,
     "",
     false,
     false},
    {"per_rule_report_only_logs_but_lets_through",
     false,
     feed::none,
     {{sandbox_account, "Dev", "contractor-joe"}},
     effect::allow,
     reason::rule_deny,
     "watch-contractors",
     true,
     false},
    {"global_report_only_blocks_nothing",
     true,
     feed::none,
     {{unknown_account}},
     effect::allow,
     reason::default_deny,
     "",
     true,
     false},
    {"elevation_active",
     false,
     feed::alice_elevated,
     {{prod_account, "Admin", "alice"}},
     effect::allow,
     reason::elevation_active,
     "prod-admin-elevated",
     false,
     false},
    {"elevation_missing",
     false,
     feed::alice_elevated,
     {{prod_account, "Admin", "bob"}},
     effect::deny,
     reason::elevation_missing,
     "prod-admin-elevated",
     false,
     false},
    {"elevation_feed_unavailable",
     false,
     feed::none,
     {{prod_account, "Admin", "alice"}},
     effect::deny,
     reason::elevation_feed_stale,
     "prod-admin-elevated",
     false,
     false},
    {"one_denied_attempt_among_several_denies",
     false,
     feed::none,
     {{sandbox_account}, {unknown_account}, {sandbox_account}},
     effect::deny,
     reason::default_deny,
     "",
     false,
     false},
    {"post_auth_deny_expires_the_console_cookies",
     false,
     feed::alice_elevated,
     {{prod_account, "Admin", "bob", sign_in_flow::console_session, auth_phase::post_auth,
       "cookie:aws-userInfo"}},
     effect::deny,
     reason::elevation_missing,
     "prod-admin-elevated",
     false,
     true},
    {"one_allowed_saml_role_passes",
     false,
     feed::none,
     {{unknown_account, "Dev", "", sign_in_flow::saml, auth_phase::pre_auth, "saml:Role"},
      {sandbox_account, "Dev", "", sign_in_flow::saml, auth_phase::pre_auth, "saml:Role"}},
     effect::allow,
     reason::default_deny,  // the first attempt is named on an allow
     "",
     false,
     false},
    {"no_allowed_saml_role_denies_with_the_first_blocked",
     false,
     feed::alice_elevated,
     {{prod_account, "Admin", "bob", sign_in_flow::saml, auth_phase::pre_auth, "saml:Role"},
      {unknown_account, "Dev", "bob", sign_in_flow::saml, auth_phase::pre_auth, "saml:Role"}},
     effect::deny,
     reason::elevation_missing,
     "prod-admin-elevated",
     false,
     false},
};

class policy_table : public testing::TestWithParam<policy_case> {};

TEST_P(policy_table, decides_as_the_table_says) {
    const auto& c = GetParam();
    auto snap = snapshot(c.global_report_only);
    enforcement_inputs in;
    in.policy = snap.get();
    if (c.elevations == feed::alice_elevated) {
        in.elevations = core::elevation_view::of(alice_elevated());
    }
    std::vector<core::sign_in_attempt> attempts;
    for (const auto& s : c.attempts) {
        core::sign_in_attempt a;
        a.flow = s.flow;
        a.phase = s.phase;
        a.source = s.source;
        a.host = "signin.aws.amazon.com";
        a.account = aid(s.account);
        a.role_name = s.role;
        a.permission_set = s.role;
        a.user = s.user;
        a.time = now;
        attempts.push_back(std::move(a));
    }
    auto judged = evaluate_attempts(std::move(attempts), in);
    auto outcome = combine(judged);
    auto v = make_verdict(judged, outcome);
    EXPECT_EQ(v.effect, c.want) << c.name;
    EXPECT_EQ(v.basis, proxy::verdict_basis::policy) << c.name;
    EXPECT_EQ(core::to_string(v.why), core::to_string(c.why)) << c.name;
    EXPECT_EQ(v.rule, c.rule) << c.name;
    EXPECT_EQ(v.expire_console_cookies, c.expire_cookies) << c.name;
    const auto& named = judged[std::size_t(outcome.deciding >= 0 ? outcome.deciding : 0)];
    EXPECT_EQ(named.decision.report_only, c.report_only) << c.name;
    EXPECT_EQ(v.event_id, named.event_id) << c.name;
    EXPECT_EQ(v.account, named.attempt.account) << c.name;
}

INSTANTIATE_TEST_SUITE_P(enforcement, policy_table, testing::ValuesIn(policy_cases),
                         [](const testing::TestParamInfo<policy_case>& p) {
                             return std::string(p.param.name);
                         });

// ---- the whole pipeline ---------------------------------------------------------------------

core::http_request_view switch_role_request(std::string_view body) {
    core::http_request_view r;
    r.method = "POST";
    r.target = "/switchrole?redirect_uri=secret";
    r.host = "signin.aws.amazon.com";
    r.body = body;
    r.client = *core::ip_address::parse("10.1.2.3");
    r.time = now;
    return r;
}

std::string counting_id() {
    static thread_local int n = 0;
    return "evt-" + std::to_string(++n);
}

TEST(enforcement, one_event_per_attempt_built_from_the_typed_attempt_and_decision) {
    auto snap = snapshot(false);
    enforcement_inputs in;
    in.policy = snap.get();
    in.new_event_id = counting_id;
    std::vector<std::pair<std::string_view, std::string_view>> headers{
        {"Content-Type", "application/x-www-form-urlencoded"}};
    auto req = switch_role_request("account=999999999999&roleName=Dev");
    req.headers = headers;
    auto r = enforce(req, in);
    ASSERT_EQ(r.attempts.size(), 1u);
    ASSERT_EQ(r.events.size(), 1u);
    const auto& e = r.events[0];
    EXPECT_EQ(e.id, r.attempts[0].event_id);
    EXPECT_EQ(e.id, r.verdict.event_id);
    EXPECT_EQ(e.path, "/switchrole");  // never the query string
    EXPECT_EQ(e.client, "10.1.2.3");
    EXPECT_EQ(e.time, "2026-11-23T09:00:00.000Z");
    EXPECT_EQ(e.account, "999999999999");
    EXPECT_EQ(e.reason, "default-deny");
    EXPECT_EQ(e.enforced, "deny");
    EXPECT_FALSE(r.verdict.allows());
    EXPECT_EQ(r.verdict.account, aid("999999999999"));
    EXPECT_EQ(r.verdict.flow, sign_in_flow::switch_role);
    EXPECT_FALSE(r.attempts[0].trace);  // the proxy never pays for explain's working
}

TEST(enforcement, default_user_and_trace_come_from_the_one_evaluation) {
    auto snap = snapshot(false);
    enforcement_inputs in;
    in.policy = snap.get();
    in.elevations = core::elevation_view::of(alice_elevated());
    std::vector<std::pair<std::string_view, std::string_view>> headers{
        {"Content-Type", "application/x-www-form-urlencoded"}};
    auto req =
        switch_role_request("account=111122223333&roleName=AWSReservedSSO_Admin_0123456789abcdef");
    req.headers = headers;
    in.default_user = "bob";  // explain --user bob: not elevated
    auto bob = enforce(req, in);
    ASSERT_EQ(bob.attempts.size(), 1u);
    EXPECT_EQ(bob.attempts[0].attempt.user, "bob");
    EXPECT_FALSE(bob.verdict.allows());
    EXPECT_EQ(bob.verdict.why, reason::elevation_missing);
    in.default_user = "alice";
    in.trace = true;
    auto with = enforce(req, in);
    ASSERT_EQ(with.attempts.size(), 1u);
    EXPECT_EQ(with.attempts[0].attempt.user, "alice");
    EXPECT_TRUE(with.verdict.allows());
    EXPECT_EQ(with.verdict.why, reason::elevation_active);
    ASSERT_TRUE(with.attempts[0].trace);
    const auto& t = *with.attempts[0].trace;
    EXPECT_EQ(t.result.why, with.attempts[0].decision.why);
    EXPECT_EQ(t.result.rule, with.attempts[0].decision.rule);
    EXPECT_NE(std::find(t.considered.begin(), t.considered.end(), "prod-admin-elevated"),
              t.considered.end());
    EXPECT_NE(std::find(t.matched.begin(), t.matched.end(), "prod-admin-elevated"),
              t.matched.end());
}

TEST(enforcement, a_request_without_sign_in_is_forwarded_and_leaves_no_event) {
    auto snap = snapshot(false);
    enforcement_inputs in;
    in.policy = snap.get();
    core::http_request_view req;
    req.method = "GET";
    req.target = "/static/app.js";
    req.host = "console.aws.amazon.com";
    req.time = now;
    auto r = enforce(req, in);
    EXPECT_TRUE(r.attempts.empty());
    EXPECT_TRUE(r.events.empty());
    EXPECT_TRUE(r.verdict.allows());
    EXPECT_EQ(r.verdict.basis, proxy::verdict_basis::no_sign_in);
}

// ---- the sign-in corpus: the proxy's hook and explain agree ---------------------------------

class recording_sink final : public audit::sink {
  public:
    void record(audit::event e) override {
        std::lock_guard lock(m_);
        events_.push_back(std::move(e));
    }
    void flush() override {}
    std::vector<audit::event> take() {
        std::lock_guard lock(m_);
        return std::exchange(events_, {});
    }

  private:
    std::mutex m_;
    std::vector<audit::event> events_;
};

const fs::path corpus_dir = fs::path(CG_SOURCE_DIR) / "tests/corpus/signin";
const fs::path corpus_policy = fs::path(CG_SOURCE_DIR) / "tests/corpus/policy";

std::vector<std::string> corpus_names() {
    std::vector<std::string> out;
    for (auto& e : fs::directory_iterator(corpus_dir)) {
        if (e.path().extension() == ".http") out.push_back(e.path().filename().string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

class signin_corpus : public testing::TestWithParam<std::string> {
  protected:
    static void SetUpTestSuite() {
        auto loaded = core::load_config(corpus_policy / "policy.toml");
        ASSERT_TRUE(loaded.cfg);
        cfg = std::make_shared<const core::config>(std::move(*loaded.cfg));
        reviewed = boost::json::parse(slurp(corpus_policy / "decisions.json")).as_object();
    }
    static inline std::shared_ptr<const core::config> cfg;
    static inline boost::json::object reviewed;
};

TEST_P(signin_corpus, the_proxy_hook_and_explain_make_the_same_decision) {
    auto text = slurp(corpus_dir / GetParam());
    inspect::http_file_limits limits;  // as explain reads a request file
    limits.max_header_bytes = cfg->proxy.max_header_bytes;
    limits.max_body = cfg->proxy.max_inspect_body;
    std::string why;
    auto file = inspect::http_file::parse(text, "", limits, &why);
    ASSERT_TRUE(file) << why;
    auto view = file->view();
    view.client = *core::ip_address::parse("127.0.0.1");
    view.time = now;

    // The proxy's side: the hook as the gateway installs it.
    std::atomic<std::shared_ptr<const policy_snapshot>> policy{make_policy_snapshot(cfg)};
    std::atomic<std::shared_ptr<team::feed>> no_feed;
    recording_sink sink;
    sign_in_metrics metrics;
    sign_in_hook hook(policy, no_feed, sink, metrics);
    auto v = hook(view);
    auto events = sink.take();

    // explain's side.
    enforcement_inputs in;
    in.policy = policy.load().get();
    auto out = explain_request(view, in);

    auto s = [](const boost::json::value& j) { return std::string(j.as_string()); };
    EXPECT_EQ(std::string(core::to_string(v.effect)), s(out.at("effect")));
    const auto& attempts = out.at("attempts").as_array();
    ASSERT_EQ(events.size(), attempts.size());
    EXPECT_EQ(metrics.events(), attempts.size());
    if (attempts.empty()) {
        EXPECT_EQ(v.basis, proxy::verdict_basis::no_sign_in);
        EXPECT_EQ(s(out.at("reason")), "no-sign-in");
    } else {
        EXPECT_EQ(v.basis, proxy::verdict_basis::policy);
        EXPECT_EQ(std::string(core::to_string(v.why)), s(out.at("reason")));
        EXPECT_EQ(v.rule, s(out.at("rule")));
        EXPECT_EQ(std::string(core::to_string(*v.flow)), s(out.at("flow")));
    }
    for (std::size_t i = 0; i < events.size(); ++i) {
        const auto& a = attempts[i].as_object();
        EXPECT_EQ(events[i].effect, s(a.at("effect"))) << i;
        EXPECT_EQ(events[i].enforced, s(a.at("enforced"))) << i;
        EXPECT_EQ(events[i].reason, s(a.at("reason"))) << i;
        EXPECT_EQ(events[i].rule, s(a.at("rule"))) << i;
        EXPECT_EQ(events[i].flow, s(a.at("flow"))) << i;
    }

    // Both agree with the reviewed decision.
    const auto& want = reviewed.at(GetParam()).as_object();
    EXPECT_EQ(s(out.at("effect")), s(want.at("effect")));
    EXPECT_EQ(s(out.at("reason")), s(want.at("reason")));
}

INSTANTIATE_TEST_SUITE_P(enforcement, signin_corpus, testing::ValuesIn(corpus_names()),
                         [](const testing::TestParamInfo<std::string>& p) {
                             std::string n = p.param.substr(0, p.param.find('.'));
                             std::replace(n.begin(), n.end(), '-', '_');
                             return n;
                         });

TEST(enforcement, the_corporate_identity_beside_the_client_reaches_attempt_and_event) {
    auto snap = snapshot(false);
    enforcement_inputs in;
    in.policy = snap.get();
    std::vector<std::pair<std::string_view, std::string_view>> headers{
        {"Content-Type", "application/x-www-form-urlencoded"}};
    auto req = switch_role_request("account=999999999999&roleName=Dev");
    req.headers = headers;
    auto unidentified = enforce(req, in);
    ASSERT_EQ(unidentified.events.size(), 1u);
    EXPECT_EQ(unidentified.events[0].corp_user, "");
    EXPECT_EQ(unidentified.events[0].corp_source, "none");

    core::corp_identity who;
    who.user = "alice@CORP.EXAMPLE";
    who.source = core::corp_source::address_map;
    who.groups = {"eng"};
    req.corp = &who;
    auto r = enforce(req, in);
    ASSERT_EQ(r.attempts.size(), 1u);
    EXPECT_EQ(r.attempts[0].attempt.corp.user, "alice@CORP.EXAMPLE");
    EXPECT_EQ(r.attempts[0].attempt.corp.groups, std::vector<std::string>{"eng"});
    ASSERT_EQ(r.events.size(), 1u);
    EXPECT_EQ(r.events[0].corp_user, "alice@CORP.EXAMPLE");
    EXPECT_EQ(r.events[0].corp_source, "address-map");
}

// Event IDs: 32 hex digits, the first 12 the time in milliseconds (so a store's ID index grows at
// its end), the other 80 bits random (so they never collide).
TEST(enforcement, event_ids_lead_with_the_time_and_never_repeat) {
    auto ms_now = [] {
        return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                              std::chrono::system_clock::now().time_since_epoch())
                                              .count());
    };
    std::set<std::string> seen;
    for (int i = 0; i < 2000; ++i) {
        auto before = ms_now();
        auto id = random_event_id();
        auto after = ms_now();
        ASSERT_EQ(id.size(), 32u);
        ASSERT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
        auto prefix = std::stoull(id.substr(0, 12), nullptr, 16);
        EXPECT_LE(before, prefix);
        EXPECT_LE(prefix, after);
        EXPECT_TRUE(seen.insert(id).second) << id;
    }
}

}  // namespace
}  // namespace consolegate::app
