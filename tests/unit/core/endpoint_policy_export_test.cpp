// core/endpoint_policy_export.cpp: the gateway's policy as a Console Private Access endpoint
// policy, checked by importing the document back (core/endpoint_policy.cpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <tuple>

#include "consolegate/core/config.hpp"
#include "consolegate/core/endpoint_policy.hpp"
#include "consolegate/core/policy.hpp"
#include "consolegate/core/principal.hpp"

namespace cc = consolegate::core;
namespace bj = boost::json;

namespace {

cc::rule_config rule(const char* name, cc::rule_effect e) {
    cc::rule_config r;
    r.name = name;
    r.effect = e;
    return r;
}

// What an endpoint policy can say of a rule: effect, accounts, organizations.
using gist = std::tuple<cc::rule_effect, std::vector<std::string>, std::vector<std::string>>;
gist gist_of(const cc::rule_config& r) {
    std::vector<std::string> accounts;
    for (auto a : r.accounts) accounts.push_back(a.str());
    auto effect =
        r.effect == cc::rule_effect::deny ? cc::rule_effect::deny : cc::rule_effect::allow;
    return {effect, accounts, r.org_ids};
}

using F = cc::sign_in_flow;
// What each document judges: the flows through AWS Sign-In, and the console's.
const std::vector<F> sign_in_flows{F::iam_user,        F::root,          F::saml,
                                   F::identity_center, F::custom_broker, F::switch_role,
                                   F::cli_sign_in};
const std::vector<F> console_flows{
    F::iam_user,       F::root,        F::saml,          F::identity_center,
    F::custom_broker,  F::switch_role, F::multi_session, F::console_session,
    F::api_credentials};

// The verdict `rules` give (with `base`'s org export and settings) to a sign-in to each account
// the policy or its org export names, and to one neither does, in each of `flows`: what a
// document must give back when imported, whatever rules it is imported as.
std::vector<std::string> decisions(const cc::policy_config& base,
                                   const std::vector<cc::rule_config>& rules,
                                   const std::vector<F>& flows) {
    std::vector<cc::account_id> accounts{*cc::account_id::parse("999988887777")};
    for (const auto& a : base.accounts) accounts.push_back(a.id);
    for (const auto& r : base.rules)
        accounts.insert(accounts.end(), r.accounts.begin(), r.accounts.end());
    std::sort(accounts.begin(), accounts.end(),
              [](const auto& a, const auto& b) { return a.str() < b.str(); });
    accounts.erase(std::unique(accounts.begin(), accounts.end()), accounts.end());
    auto c = base;
    c.rules = rules;
    cc::compiled_policy p(c);
    std::vector<std::string> out;
    for (auto a : accounts) {
        for (auto f : flows) {
            cc::sign_in_attempt t;
            t.account = a;
            t.flow = f;
            t.phase = f == F::iam_user || f == F::saml || f == F::identity_center ||
                              f == F::custom_broker || f == F::switch_role
                          ? cc::auth_phase::pre_auth
                          : cc::auth_phase::post_auth;
            auto d = cc::evaluate(t, p, cc::elevation_view::unavailable(), {});
            out.push_back(a.str() + " " + std::to_string(static_cast<int>(f)) +
                          (d.verdict == cc::effect::allow ? " allow" : " deny"));
        }
    }
    return out;
}

// The rules as the document says them: effect (allow-with-elevation as Allow), accounts and
// organizations (OU paths as theirs), every flow; those the notes say were left out, not at all.
std::vector<cc::rule_config> as_exported(const cc::policy_config& policy,
                                         const std::vector<std::string>& notes);

bool noted(const std::vector<std::string>& notes, std::string_view what) {
    return std::any_of(notes.begin(), notes.end(),
                       [&](const std::string& n) { return n.find(what) != std::string::npos; });
}

std::vector<std::string> actions_of(const bj::value& statement) {
    std::vector<std::string> out;
    const auto& a = statement.at("Action");
    if (a.is_string()) return {std::string(a.as_string())};
    for (const auto& x : a.as_array()) out.emplace_back(x.as_string());
    return out;
}

std::vector<std::string> condition_keys(const bj::value& statement) {
    std::vector<std::string> keys;
    const auto* cond = statement.as_object().if_contains("Condition");
    if (!cond) return keys;
    for (const auto& [op, ks] : cond->as_object()) {
        EXPECT_EQ(op, "StringEquals");
        for (const auto& [k, v] : ks.as_object()) keys.emplace_back(k);
    }
    return keys;
}

// The rules every test exports: an organization, two accounts denied, an elevation rule, an
// OU-path allow, and a deny of `aws login` alone.
cc::policy_config mixed_policy() {
    using E = cc::rule_effect;
    cc::policy_config p;
    auto sandbox = rule("sandbox-ou", E::allow);
    sandbox.ou_paths = {"o-a1b2c3d4e5/r-ab12/ou-ab12-33333333/*"};
    auto org = rule("whole org", E::allow);
    org.org_ids = {"o-f6g7h8i9j0"};
    auto prod = rule("no-prod", E::deny);
    prod.accounts = {*cc::account_id::parse("012345678901"),
                     *cc::account_id::parse("111122223333")};
    auto cli = rule("no-cli-in-shared", E::deny);
    cli.accounts = {*cc::account_id::parse("222233334444")};
    cli.flows = {cc::sign_in_flow::cli_sign_in};
    auto elevated = rule("break-glass", E::allow_with_elevation);
    elevated.accounts = {*cc::account_id::parse("666677778888")};
    p.rules = {sandbox, org, prod, cli, elevated};
    return p;
}

}  // namespace

// AWS Management Console, "Trusted identities", AWS Sign-In VPC endpoint examples: before
// authentication only aws:ResourceAccount / aws:ResourceOrgID are available (the account signed
// in to), after it aws:Principal*. The export before this wrote aws:PrincipalAccount in its
// signin:Authenticate statements, which AWS would never match there.
TEST(endpoint_policy_export, sign_in_endpoint_uses_resource_keys_before_authentication) {
    auto out = cc::export_endpoint_policy(mixed_policy(), cc::endpoint_document::sign_in);
    auto doc = bj::parse(out.json);
    int pre = 0, post = 0;
    for (const auto& s : doc.at("Statement").as_array()) {
        auto actions = actions_of(s);
        auto keys = condition_keys(s);
        if (actions == std::vector<std::string>{"signin:Authenticate"}) {
            ++pre;
            for (const auto& k : keys) EXPECT_TRUE(k.starts_with("aws:Resource")) << k;
        } else if (actions == std::vector<std::string>{"signin:AuthorizeOAuth2Access",
                                                       "signin:CreateOAuth2Token"}) {
            ++post;
            for (const auto& k : keys) EXPECT_TRUE(k.starts_with("aws:Principal")) << k;
        } else {
            EXPECT_EQ(actions, std::vector<std::string>{"signin:CreateAccount"}) << out.json;
            EXPECT_EQ(s.at("Effect"), "Deny");
            EXPECT_TRUE(keys.empty());  // sign-up has no condition keys
        }
    }
    EXPECT_EQ(pre, 4) << out.json;  // the `aws login`-only deny is left out
    EXPECT_EQ(post, 4) << out.json;
}

// The same accounts as AWS's own example ("Allow sign-in only for specific accounts") give
// AWS's document, Sids apart.
TEST(endpoint_policy_export, an_account_allow_list_is_aws_documented_sign_in_policy) {
    cc::policy_config p;
    auto r = rule("ours", cc::rule_effect::allow);
    r.accounts = {*cc::account_id::parse("123456789012"), *cc::account_id::parse("210987654321")};
    p.rules = {r};
    auto doc = bj::parse(cc::export_endpoint_policy(p, cc::endpoint_document::sign_in).json);
    auto accounts = bj::array{"123456789012", "210987654321"};
    auto want = bj::parse(R"({"Version":"2012-10-17","Statement":[
      {"Sid":"oursPreAuth","Effect":"Allow","Principal":"*","Action":["signin:Authenticate"],
       "Resource":"*","Condition":{"StringEquals":{"aws:ResourceAccount":[]}}},
      {"Sid":"oursPostAuth","Effect":"Allow","Principal":"*",
       "Action":["signin:AuthorizeOAuth2Access","signin:CreateOAuth2Token"],"Resource":"*",
       "Condition":{"StringEquals":{"aws:PrincipalAccount":[]}}},
      {"Sid":"NoAccountSignUp","Effect":"Deny","Principal":"*","Action":"signin:CreateAccount",
       "Resource":"*"}]})");
    auto& st = want.at("Statement").as_array();
    st[0].at("Condition").at("StringEquals").at("aws:ResourceAccount") = accounts;
    st[1].at("Condition").at("StringEquals").at("aws:PrincipalAccount") = accounts;
    EXPECT_EQ(doc, want) << bj::serialize(doc);
}

TEST(endpoint_policy_export, importing_the_sign_in_export_gives_back_the_same_decisions) {
    auto p = mixed_policy();
    auto out = cc::export_endpoint_policy(p, cc::endpoint_document::sign_in);
    auto back = cc::import_endpoint_policy(out.json, "exported.json");
    ASSERT_TRUE(back.ok()) << out.json;
    EXPECT_TRUE(back.denies_account_sign_up);
    // Imported back, the document decides every sign-in through AWS Sign-In as the exported
    // rules say: effect, accounts and organizations (the OU-path allow as its organization),
    // every flow.
    p.org_id = "o-a1b2c3d4e5";
    p.accounts = {{*cc::account_id::parse("444455556666"), "sandbox",
                   "o-a1b2c3d4e5/r-ab12/ou-ab12-33333333/"},
                  {*cc::account_id::parse("111122223333"), "prod", "o-a1b2c3d4e5/r-ab12/"}};
    auto want = decisions(p, as_exported(p, out.notes), sign_in_flows);
    EXPECT_EQ(decisions(p, back.rules, sign_in_flows), want) << out.json;
    EXPECT_NE(std::find(want.begin(), want.end(), "444455556666 2 allow"), want.end());
    EXPECT_NE(std::find(want.begin(), want.end(), "666677778888 10 allow"), want.end());
    EXPECT_NE(std::find(want.begin(), want.end(), "111122223333 0 deny"), want.end());
    EXPECT_NE(std::find(want.begin(), want.end(), "999988887777 0 deny"), want.end());
    EXPECT_EQ(out.json.find("222233334444"), std::string::npos) << out.json;
    EXPECT_TRUE(noted(out.notes, "rule \"no-cli-in-shared\": a deny narrowed by flows"));
    EXPECT_TRUE(noted(out.notes, "rule \"break-glass\": allow-with-elevation"));
    EXPECT_TRUE(noted(out.notes, "rule \"sandbox-ou\": ou_paths exported as their organization"));
    EXPECT_EQ(out.notes.size(), 3u);
}

TEST(endpoint_policy_export, importing_the_console_export_gives_back_the_same_rules) {
    using E = cc::rule_effect;
    auto p = mixed_policy();
    auto out = cc::export_endpoint_policy(p, cc::endpoint_document::console);
    auto doc = bj::parse(out.json);
    for (const auto& s : doc.at("Statement").as_array()) {
        EXPECT_EQ(s.at("Action"), "*");
        for (const auto& k : condition_keys(s)) EXPECT_TRUE(k.starts_with("aws:Principal")) << k;
    }
    auto back = cc::import_endpoint_policy(out.json, "console.json");
    ASSERT_TRUE(back.ok()) << out.json;
    EXPECT_FALSE(back.denies_account_sign_up);  // sign-up is the Sign-In endpoint's
    std::vector<gist> got;
    for (const auto& r : back.rules) {
        EXPECT_TRUE(r.flows.empty()) << r.name;
        got.push_back(gist_of(r));
    }
    EXPECT_EQ(got, (std::vector<gist>{{E::allow, {}, {"o-a1b2c3d4e5"}},
                                      {E::allow, {}, {"o-f6g7h8i9j0"}},
                                      {E::deny, {"012345678901", "111122223333"}, {}},
                                      {E::allow, {"666677778888"}, {}}}))
        << out.json;
    EXPECT_TRUE(noted(out.notes, "rule \"no-cli-in-shared\": selects no console flow"));
}

TEST(endpoint_policy_export, what_the_grammar_cannot_say_is_noted_and_never_narrows_aws_side) {
    using E = cc::rule_effect;
    using F = cc::sign_in_flow;
    cc::policy_config p;
    p.account_sign_up = cc::sign_up_action::report_only;
    auto admins = rule("admins-only-in-prod", E::allow);
    admins.accounts = {*cc::account_id::parse("012345678901")};
    admins.roles = {"Admin*"};
    auto contractors = rule("contractors-no-prod", E::deny);
    contractors.accounts = {*cc::account_id::parse("012345678901")};
    contractors.corp_groups = {"contractors"};
    auto trial = rule("trial", E::deny);
    trial.accounts = {*cc::account_id::parse("111122223333")};
    trial.report_only = true;
    auto portal = rule("our-idc", E::allow);
    portal.identity_center_instances = {"d-1234567890"};
    portal.flows = {F::identity_center_portal};
    auto no_root = rule("no-root-in-prod", E::deny);
    no_root.accounts = {*cc::account_id::parse("012345678901")};
    no_root.flows = {F::root};
    auto ou_deny = rule("no-suspended", E::deny);
    ou_deny.ou_paths = {"o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"};
    auto saml = rule("saml-only", E::allow);
    saml.accounts = {*cc::account_id::parse("444455556666")};
    saml.flows = {F::saml};
    // Conditions an imported policy kept (StringNotEquals and the like): never written back.
    auto outside = rule("deny-outside-our-org", E::deny);
    outside.conditions = {cc::key_condition{.key = cc::condition_key::org_id,
                                            .negated = true,
                                            .values = {"o-a1b2c3d4e5"},
                                            .text = "StringNotEquals aws:PrincipalOrgID"}};
    auto all_but = rule("all-but-one", E::allow);
    all_but.conditions = {cc::key_condition{.key = cc::condition_key::account,
                                            .negated = true,
                                            .values = {"222233334444"},
                                            .text = "StringNotEquals aws:PrincipalAccount"}};
    p.rules = {admins, contractors, trial, portal, no_root, ou_deny, saml, outside, all_but};

    for (auto which : {cc::endpoint_document::sign_in, cc::endpoint_document::console}) {
        auto out = cc::export_endpoint_policy(p, which);
        auto back = cc::import_endpoint_policy(out.json, "exported.json");
        ASSERT_TRUE(back.ok()) << out.json;
        EXPECT_FALSE(back.denies_account_sign_up);  // report-only sign-up: nothing to deny
        // Only the allows survive, wider (every role, every flow): the narrowed denies, the
        // report-only rule and the portal rule are left out rather than refusing more than the
        // gateway does.
        for (const auto& r : back.rules) {
            EXPECT_EQ(r.effect, E::allow) << r.name;
            EXPECT_TRUE(r.roles.empty());
        }
        EXPECT_EQ(out.json.find("Deny"), std::string::npos) << out.json;
        for (const char* note :
             {"rule \"admins-only-in-prod\": exported without roles",
              "rule \"contractors-no-prod\": a deny narrowed by corp_groups", "rule \"trial\"",
              "rule \"our-idc\": selects no", "rule \"no-root-in-prod\": a deny narrowed by flows",
              "rule \"no-suspended\": a deny narrowed by ou_paths",
              "rule \"saml-only\": exported without flows",
              "rule \"deny-outside-our-org\": a deny narrowed by conditions",
              "rule \"all-but-one\": exported without conditions"}) {
            EXPECT_TRUE(noted(out.notes, note)) << note;
        }
        EXPECT_EQ(noted(out.notes, "policy.account_sign_up is report-only"),
                  which == cc::endpoint_document::sign_in);
    }
}

// Nothing exportable: still a document IAM accepts (a Statement list may not be empty), which
// allows nothing, as the endpoint would with no Allow; the note says so.
TEST(endpoint_policy_export, a_policy_of_denies_only_is_noted_and_still_valid) {
    cc::policy_config p;
    auto r = rule("trial", cc::rule_effect::deny);
    r.report_only = true;
    p.rules = {r};
    auto out = cc::export_endpoint_policy(p, cc::endpoint_document::console);
    auto doc = bj::parse(out.json);
    ASSERT_EQ(doc.at("Statement").as_array().size(), 1u) << out.json;
    EXPECT_EQ(doc.at("Statement").at(0).at("Effect"), "Deny");
    EXPECT_TRUE(noted(out.notes, "without an Allow refuses every sign-in"));
    auto back = cc::import_endpoint_policy(out.json, "none.json");
    ASSERT_TRUE(back.ok());
    ASSERT_EQ(back.rules.size(), 1u);
    EXPECT_EQ(back.rules[0].effect, cc::rule_effect::deny);
    EXPECT_TRUE(back.rules[0].accounts.empty());
}

TEST(endpoint_policy_export, sids_are_alphanumeric_and_unique) {
    cc::policy_config p;
    for (const char* name : {"a-b", "a_b", "---"}) {
        auto r = rule(name, cc::rule_effect::allow);
        r.accounts = {*cc::account_id::parse("012345678901")};
        p.rules.push_back(r);
    }
    auto sids_of = [&](cc::endpoint_document which) {
        auto doc = bj::parse(cc::export_endpoint_policy(p, which).json).as_object();
        std::vector<std::string> sids;
        for (auto& s : doc.at("Statement").as_array()) sids.emplace_back(s.at("Sid").as_string());
        return sids;
    };
    EXPECT_EQ(sids_of(cc::endpoint_document::console),
              (std::vector<std::string>{"ab", "ab2", "Rule"}));
    EXPECT_EQ(sids_of(cc::endpoint_document::sign_in),
              (std::vector<std::string>{"abPreAuth", "abPostAuth", "abPreAuth2", "abPostAuth2",
                                        "PreAuth", "PostAuth", "NoAccountSignUp"}));
}

// Rules of another partition never reach the commercial endpoint policy (the same account ID
// there is another account); a rule of both partitions is exported for the commercial one.
TEST(endpoint_policy_export, rules_of_other_partitions_stay_out) {
    using E = cc::rule_effect;
    cc::policy_config p;
    p.partitions =
        cc::partition_bit(cc::partition::aws) | cc::partition_bit(cc::partition::aws_us_gov);
    auto gov = rule("gov", E::allow);
    gov.accounts = {*cc::account_id::parse("777788889999")};
    gov.partitions = cc::partition_bit(cc::partition::aws_us_gov);
    auto both = rule("both", E::allow);
    both.accounts = {*cc::account_id::parse("111122223333")};
    both.partitions = p.partitions;
    p.rules = {gov, both};
    for (auto which : {cc::endpoint_document::sign_in, cc::endpoint_document::console}) {
        auto out = cc::export_endpoint_policy(p, which);
        EXPECT_EQ(out.json.find("777788889999"), std::string::npos) << out.json;
        EXPECT_NE(out.json.find("111122223333"), std::string::npos) << out.json;
        auto back = cc::import_endpoint_policy(out.json, "export.json");
        ASSERT_TRUE(back.ok());
        ASSERT_FALSE(back.rules.empty());
        for (const auto& r : back.rules) EXPECT_EQ(gist_of(r), gist_of(both));
        EXPECT_TRUE(noted(out.notes, "rule \"gov\": selects only another partition"));
    }
}

namespace {

// The configurations the project ships (config/*.toml that configure something, and the corpus
// policy).
std::vector<std::filesystem::path> shipped_configs() {
    std::vector<std::filesystem::path> out;
    for (const auto& e :
         std::filesystem::directory_iterator(std::string(CG_SOURCE_DIR) + "/config")) {
        if (e.path().extension() != ".toml") continue;
        std::ifstream in(e.path());
        std::stringstream text;
        text << in.rdbuf();
        auto t = "\n" + text.str();
        if (t.find("\n[dns]") != std::string::npos || t.find("\n[proxy]") != std::string::npos ||
            t.find("\n[policy]") != std::string::npos) {
            out.push_back(e.path());
        }
    }
    std::sort(out.begin(), out.end());
    out.emplace_back(std::string(CG_SOURCE_DIR) + "/tests/corpus/policy/policy.toml");
    return out;
}

std::vector<std::string> organizations_expected(const cc::rule_config& r) {
    if (!r.org_ids.empty() || r.ou_paths.empty()) return r.org_ids;
    std::vector<std::string> orgs;
    for (const auto& p : r.ou_paths) {
        auto org = p.substr(0, p.find('/'));
        if (std::find(orgs.begin(), orgs.end(), org) == orgs.end()) orgs.push_back(org);
    }
    return orgs;
}

std::vector<cc::rule_config> as_exported(const cc::policy_config& policy,
                                         const std::vector<std::string>& notes) {
    std::vector<cc::rule_config> out;
    for (const auto& r : policy.rules) {
        auto left_out = std::any_of(notes.begin(), notes.end(), [&](const std::string& n) {
            return n.starts_with("rule \"" + r.name + "\": ") &&
                   n.find("not exported") != std::string::npos;
        });
        if (left_out) continue;
        cc::rule_config x;
        x.name = r.name;
        x.effect =
            r.effect == cc::rule_effect::deny ? cc::rule_effect::deny : cc::rule_effect::allow;
        x.accounts = r.accounts;
        x.org_ids = organizations_expected(r);
        out.push_back(std::move(x));
    }
    return out;
}

}  // namespace

// Issue 19's test: for every shipped configuration and both documents, re-importing the export
// decides every sign-in the document judges as the enforcing rules the notes do not say were
// left out, taken with their effect, accounts and organizations alone (an OU-path allow as its
// organization), over the configuration's org export: decisions, not the rules' shapes, since
// the Sign-In document's phases come back as rules per choice of statements.
TEST(endpoint_policy_export, every_shipped_config_round_trips_its_accounts_and_organizations) {
    auto configs = shipped_configs();
    ASSERT_GE(configs.size(), 3u);
    for (const auto& file : configs) {
        auto loaded = cc::load_config(file);
        ASSERT_TRUE(loaded.cfg) << file;
        const auto& policy = loaded.cfg->policy;
        for (auto which : {cc::endpoint_document::sign_in, cc::endpoint_document::console}) {
            SCOPED_TRACE(file.string() +
                         (which == cc::endpoint_document::sign_in ? " sign-in" : " console"));
            auto out = cc::export_endpoint_policy(policy, which);
            auto back = cc::import_endpoint_policy(out.json, "exported.json");
            ASSERT_TRUE(back.ok()) << out.json;
            EXPECT_EQ(back.denies_account_sign_up,
                      which == cc::endpoint_document::sign_in &&
                          policy.account_sign_up == cc::sign_up_action::deny);
            const auto& flows =
                which == cc::endpoint_document::sign_in ? sign_in_flows : console_flows;
            auto exported = as_exported(policy, out.notes);
            EXPECT_EQ(decisions(policy, back.rules, flows), decisions(policy, exported, flows))
                << out.json;
            EXPECT_GT(exported.size(), 0u);
        }
    }
}

namespace {

// The IAM policy grammar of a resource control policy statement, as far as this export uses
// it: every element known, Effect Deny, Principal and Resource "*", Sign-In actions only, and
// each condition value of the type its operator compares.
void expect_rcp_grammar(const boost::json::value& doc) {
    const auto& top = doc.as_object();
    EXPECT_EQ(top.size(), 2u);
    EXPECT_EQ(top.at("Version").as_string(), "2012-10-17");
    for (const auto& sv : top.at("Statement").as_array()) {
        const auto& s = sv.as_object();
        for (const auto& [k, v] : s) {
            EXPECT_TRUE(k == "Sid" || k == "Effect" || k == "Principal" || k == "Action" ||
                        k == "Resource" || k == "Condition")
                << k;
        }
        EXPECT_EQ(s.at("Effect").as_string(), "Deny");
        EXPECT_EQ(s.at("Principal").as_string(), "*");
        EXPECT_EQ(s.at("Resource").as_string(), "*");
        for (const auto& a : s.at("Action").as_array()) {
            auto name = std::string(a.as_string());
            EXPECT_TRUE(name == "signin:Authenticate" || name == "signin:AuthorizeOAuth2Access" ||
                        name == "signin:CreateOAuth2Token")
                << name;
        }
        for (const auto& [op, keys] : s.at("Condition").as_object()) {
            for (const auto& [key, values] : keys.as_object()) {
                for (const auto& v : values.as_array()) {
                    auto text = std::string(v.as_string());
                    if (op.starts_with("NotIpAddress")) {
                        EXPECT_EQ(key, "aws:SourceIp");
                        EXPECT_TRUE(cc::cidr::parse(text)) << text;
                    } else if (op.starts_with("StringNotEquals")) {
                        EXPECT_EQ(key, "aws:SourceVpce");
                        EXPECT_TRUE(text.starts_with("vpce-")) << text;
                    } else {
                        EXPECT_EQ(op, "ArnNotEquals");
                        EXPECT_TRUE(cc::parse_arn(text)) << text;
                    }
                }
            }
        }
    }
}

}  // namespace

TEST(endpoint_policy_export, sign_in_rcp_allows_console_sign_in_from_the_egress_networks_only) {
    cc::aws_side_config side;
    auto none = cc::export_sign_in_network_policy(side);
    EXPECT_NE(none.error, "");
    EXPECT_EQ(none.json, "");

    side.egress_networks = {*cc::cidr::parse("203.0.113.0/24"),
                            *cc::cidr::parse("2001:db8:100::/48")};
    auto out = cc::export_sign_in_network_policy(side);
    ASSERT_EQ(out.error, "");
    auto doc = boost::json::parse(out.json);
    expect_rcp_grammar(doc);
    const auto& st = doc.at("Statement").as_array();
    ASSERT_EQ(st.size(), 2u);
    // Before authentication: the console sign-in itself; after: `aws login` and the session.
    EXPECT_EQ(st[0].at("Action").as_array(), boost::json::array{"signin:Authenticate"});
    EXPECT_EQ(st[1].at("Action").as_array(),
              (boost::json::array{"signin:AuthorizeOAuth2Access", "signin:CreateOAuth2Token"}));
    for (const auto& s : st) {
        // One network only: its absence denies too (a VPC endpoint request has no SourceIp).
        EXPECT_EQ(s.at("Condition").at("NotIpAddress").at("aws:SourceIp"),
                  (boost::json::array{"203.0.113.0/24", "2001:db8:100::/48"}));
        EXPECT_FALSE(s.at("Condition").as_object().contains("ArnNotEquals"));
    }
    EXPECT_TRUE(std::any_of(out.notes.begin(), out.notes.end(), [](const std::string& n) {
        return n.find("break-glass") != std::string::npos;
    }));

    // Both networks: each test IfExists, so a request passes on the one it carries. Break-glass
    // principals by signin:PrincipalArn before authentication, aws:PrincipalArn after.
    side.vpc_endpoints = {"vpce-0123456789abcdef0"};
    side.excluded_principals = {"arn:aws:iam::111122223333:role/BreakGlass"};
    out = cc::export_sign_in_network_policy(side);
    doc = boost::json::parse(out.json);
    expect_rcp_grammar(doc);
    const auto& pre = doc.at("Statement").at(0).at("Condition");
    const auto& post = doc.at("Statement").at(1).at("Condition");
    EXPECT_TRUE(pre.as_object().contains("NotIpAddressIfExists"));
    EXPECT_EQ(pre.at("StringNotEqualsIfExists").at("aws:SourceVpce"),
              boost::json::array{"vpce-0123456789abcdef0"});
    EXPECT_EQ(pre.at("ArnNotEquals").at("signin:PrincipalArn"),
              boost::json::array{"arn:aws:iam::111122223333:role/BreakGlass"});
    EXPECT_EQ(post.at("ArnNotEquals").at("aws:PrincipalArn"),
              boost::json::array{"arn:aws:iam::111122223333:role/BreakGlass"});

    // The endpoint policy import refuses the RCP: it says where from, not which account.
    auto back = cc::import_endpoint_policy(out.json, "rcp.json");
    EXPECT_FALSE(back.ok());
}

// The other way round, over the endpoint policy corpus (the unit tests' policies, the shipped
// sample, the fuzz corpus): a policy imported, exported and imported again decides every sign-in
// each document judges as the imported rules do, taken as the document says them.
TEST(endpoint_policy_export, every_importable_corpus_policy_round_trips_its_decisions) {
    std::vector<std::filesystem::path> files{std::string(CG_SOURCE_DIR) +
                                             "/config/vpce-policy.json"};
    for (const auto* dir : {"/tests/unit/core/data", "/tests/fuzz/policy/corpus/endpoint_policy"}) {
        for (const auto& e :
             std::filesystem::directory_iterator(std::string(CG_SOURCE_DIR) + dir)) {
            if (e.path().filename().string().find("endpoint") != std::string::npos ||
                std::string(dir).ends_with("endpoint_policy"))
                files.push_back(e.path());
        }
    }
    std::sort(files.begin(), files.end());
    cc::policy_config base;
    base.org_id = "o-a1b2c3d4e5";
    base.accounts = {
        {*cc::account_id::parse("012345678901"), "a", "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"},
        {*cc::account_id::parse("111122223333"), "b", "o-a1b2c3d4e5/r-ab12/"},
        {*cc::account_id::parse("555566667777"), "c", "o-a1b2c3d4e5/r-ab12/ou-ab12-111111111/"}};
    std::size_t imported = 0;
    for (const auto& file : files) {
        std::ifstream in(file, std::ios::binary);
        std::stringstream text;
        text << in.rdbuf();
        auto first = cc::import_endpoint_policy(text.str(), "corpus.json");
        if (!first.ok()) continue;
        ++imported;
        auto policy = base;
        policy.rules = first.rules;
        for (auto which : {cc::endpoint_document::sign_in, cc::endpoint_document::console}) {
            SCOPED_TRACE(file.string() +
                         (which == cc::endpoint_document::sign_in ? " sign-in" : " console"));
            const auto& flows =
                which == cc::endpoint_document::sign_in ? sign_in_flows : console_flows;
            auto out = cc::export_endpoint_policy(policy, which);
            auto back = cc::import_endpoint_policy(out.json, "exported.json");
            ASSERT_TRUE(back.ok()) << out.json;
            EXPECT_EQ(decisions(policy, back.rules, flows),
                      decisions(policy, as_exported(policy, out.notes), flows))
                << out.json;
        }
    }
    EXPECT_GE(imported, 5u);
}
