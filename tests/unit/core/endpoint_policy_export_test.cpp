// core/endpoint_policy_export.cpp: the gateway's policy as a Console Private Access endpoint
// policy, checked by importing the document back (core/endpoint_policy.cpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <tuple>

#include "consolegate/core/endpoint_policy.hpp"

namespace cc = consolegate::core;

namespace {

cc::rule_config rule(const char* name, cc::rule_effect e) {
    cc::rule_config r;
    r.name = name;
    r.effect = e;
    return r;
}

// What an endpoint policy can say of a rule: effect, accounts, organizations, OU paths, flows.
using gist = std::tuple<cc::rule_effect, std::vector<std::string>, std::vector<std::string>,
                        std::vector<std::string>, bool>;
gist gist_of(const cc::rule_config& r) {
    std::vector<std::string> accounts;
    for (auto a : r.accounts) accounts.push_back(a.str());
    auto effect =
        r.effect == cc::rule_effect::deny ? cc::rule_effect::deny : cc::rule_effect::allow;
    return {effect, accounts, r.org_ids, r.ou_paths, r.flows.empty()};
}

}  // namespace

TEST(endpoint_policy_export, importing_the_export_gives_back_the_same_accounts_orgs_and_paths) {
    using E = cc::rule_effect;
    cc::policy_config p;
    auto sandbox = rule("sandbox-ou", E::allow);
    sandbox.ou_paths = {"o-a1b2c3d4e5/r-ab12/ou-ab12-33333333/*"};
    auto org = rule("whole org", E::allow);
    org.org_ids = {"o-a1b2c3d4e5"};
    auto prod = rule("no-prod", E::deny);
    prod.accounts = {*cc::account_id::parse("012345678901"),
                     *cc::account_id::parse("111122223333")};
    auto cli = rule("no-cli-in-shared", E::deny);
    cli.accounts = {*cc::account_id::parse("222233334444")};
    cli.flows = {cc::sign_in_flow::cli_sign_in};
    auto elevated = rule("break-glass", E::allow_with_elevation);
    elevated.accounts = {*cc::account_id::parse("666677778888")};
    p.rules = {sandbox, org, prod, cli, elevated};

    auto out = cc::export_endpoint_policy(p);
    auto back = cc::import_endpoint_policy(out.json, "exported.json");
    ASSERT_TRUE(back.ok()) << out.json;
    EXPECT_TRUE(back.denies_account_sign_up);
    std::vector<gist> want, got;
    for (const auto& r : p.rules) want.push_back(gist_of(r));
    for (const auto& r : back.rules) got.push_back(gist_of(r));
    std::sort(want.begin(), want.end());
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, want) << out.json;
    // The CLI-only deny names the CLI actions only; the elevation rule is an Allow, with a note.
    auto doc = boost::json::parse(out.json).as_object();
    bool cli_actions = false;
    for (auto& s : doc.at("Statement").as_array()) {
        if (s.at("Sid") == "nocliinshared") {
            cli_actions = s.at("Action") == boost::json::array{"signin:AuthorizeOAuth2Access",
                                                               "signin:CreateOAuth2Token"};
        }
    }
    EXPECT_TRUE(cli_actions) << out.json;
    ASSERT_EQ(out.notes.size(), 1u);
    EXPECT_NE(out.notes[0].find("break-glass"), std::string::npos);
}

TEST(endpoint_policy_export, what_the_grammar_cannot_say_is_noted_and_never_narrows_aws_side) {
    using E = cc::rule_effect;
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
    portal.flows = {cc::sign_in_flow::identity_center_portal};
    p.rules = {admins, contractors, trial, portal};

    auto out = cc::export_endpoint_policy(p);
    auto back = cc::import_endpoint_policy(out.json, "exported.json");
    ASSERT_TRUE(back.ok()) << out.json;
    EXPECT_FALSE(back.denies_account_sign_up);  // report-only sign-up: nothing to deny
    // Only the allow survives, wider (every role): the narrowed deny, the report-only rule and
    // the portal rule are left out rather than refusing more than the gateway does.
    ASSERT_EQ(back.rules.size(), 1u) << out.json;
    EXPECT_EQ(back.rules[0].effect, E::allow);
    EXPECT_TRUE(back.rules[0].roles.empty());
    ASSERT_EQ(out.notes.size(), 4u);
    for (const char* name : {"admins-only-in-prod", "contractors-no-prod", "trial", "our-idc"}) {
        EXPECT_TRUE(std::any_of(out.notes.begin(), out.notes.end(), [&](const std::string& n) {
            return n.find(name) != std::string::npos;
        })) << name;
    }
}

TEST(endpoint_policy_export, sids_are_alphanumeric_and_unique) {
    cc::policy_config p;
    for (const char* name : {"a-b", "a_b", "---"}) {
        auto r = rule(name, cc::rule_effect::allow);
        r.accounts = {*cc::account_id::parse("012345678901")};
        p.rules.push_back(r);
    }
    auto doc = boost::json::parse(cc::export_endpoint_policy(p).json).as_object();
    std::vector<std::string> sids;
    for (auto& s : doc.at("Statement").as_array()) sids.emplace_back(s.at("Sid").as_string());
    EXPECT_EQ(sids, (std::vector<std::string>{"ab", "ab2", "Rule", "NoAccountSignUp"}));
}
