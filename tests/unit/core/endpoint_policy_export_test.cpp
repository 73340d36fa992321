// core/endpoint_policy_export.cpp: the gateway's policy as a Console Private Access endpoint
// policy, checked by importing the document back (core/endpoint_policy.cpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <tuple>

#include "consolegate/core/endpoint_policy.hpp"
#include "consolegate/core/principal.hpp"

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
    auto out = cc::export_endpoint_policy(p);
    EXPECT_EQ(out.json.find("777788889999"), std::string::npos) << out.json;
    EXPECT_NE(out.json.find("111122223333"), std::string::npos) << out.json;
    auto back = cc::import_endpoint_policy(out.json, "export.json");
    ASSERT_TRUE(back.ok());
    ASSERT_EQ(back.rules.size(), 1u);
    EXPECT_EQ(gist_of(back.rules[0]), gist_of(both));
    EXPECT_TRUE(std::any_of(out.notes.begin(), out.notes.end(), [](const std::string& n) {
        return n.find("rule \"gov\": selects only another partition") != std::string::npos;
    }));
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
