// [policy]: rules and their selectors, aliases, the org export, includes.

#include <gtest/gtest.h>

#include <algorithm>

#include "config_test_support.hpp"
#include "consolegate/core/policy.hpp"

namespace consolegate::core {
namespace {

using cgtest::all;
using cgtest::has;
using cgtest::load;
using cgtest::minimal;

TEST(config_policy, rule_selectors_are_pre_parsed) {
    // Org and OU selectors need the org export they are matched against.
    auto dir = cgtest::scratch();
    cgtest::write(dir / "org.json", R"({"organization_id": "o-a1b2c3d4e5", "accounts": []})");
    cgtest::write(dir / "main.toml", minimal + R"(
[policy]
mode = "report-only"
unknown_account_pre_auth = "deny"
org_export = "org.json"
[[policy.rule]]
name = "sandbox"
description = "d"
effect = "allow-with-elevation"
report_only = true
accounts = ["012345678901"]
org_ids = ["o-a1b2c3d4e5"]
ou_paths = ["o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*"]
roles = ["AWSReservedSSO_Admin*"]
users = ["*@example.com"]
flows = ["iam-user", "identity-center"]
client_networks = ["10.66.0.0/16", "fd00::/8"]
)");
    auto r = load_config(dir / "main.toml");
    ASSERT_TRUE(r.cfg) << all(r);
    const auto& p = r.cfg->policy;
    EXPECT_TRUE(p.report_only);
    EXPECT_FALSE(p.allow_unknown_account_pre_auth);
    ASSERT_EQ(p.rules.size(), 1u);
    const auto& rule = p.rules[0];
    EXPECT_EQ(rule.name, "sandbox");
    EXPECT_EQ(rule.where.line, 14);
    EXPECT_EQ(rule.effect, rule_effect::allow_with_elevation);
    EXPECT_TRUE(rule.report_only);
    ASSERT_EQ(rule.accounts.size(), 1u);
    EXPECT_EQ(rule.accounts[0].str(), "012345678901");  // leading zero kept
    EXPECT_EQ(rule.flows,
              (std::vector<sign_in_flow>{sign_in_flow::iam_user, sign_in_flow::identity_center}));
    EXPECT_EQ(rule.client_networks.size(), 2u);
}

TEST(config_policy, integer_account_id_says_to_quote_it) {
    auto r = load(minimal +
                  "[[policy.rule]]\nname = \"x\"\neffect = \"deny\"\naccounts = [12345678901]\n");
    EXPECT_TRUE(has(r, 12,
                    "must be a quoted string (an integer loses leading zeros); write "
                    "\"012345678901\""))
        << all(r);
    r = load(minimal +
             "[[policy.rule]]\nname = \"x\"\neffect = \"deny\"\naccounts = [\"12345678901\", "
             "\"1234567890123\", \" 123456789012\"]\n");
    EXPECT_EQ(r.diagnostics.size(), 3u) << all(r);
    EXPECT_TRUE(has(r, 12, "is not an account ID (exactly 12 digits")) << all(r);
}

TEST(config_policy, bad_selectors_each_reported) {
    auto r = load(minimal + R"(
[[policy.rule]]
name = "bad"
effect = "allow"
org_ids = ["o-short"]
ou_paths = ["o-a1b2c3d4e5/r-ab12/ou-ab12-1111111/", "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111"]
roles = [""]
users = ["[admin]"]
flows = ["iam_user"]
client_networks = ["10.66.1.0/16"]
)");
    EXPECT_TRUE(has(r, 13, "not an organization ID")) << all(r);
    EXPECT_TRUE(has(r, 14, "ou_paths[0]: OU path")) << all(r);
    EXPECT_TRUE(has(r, 14, "not an OU ID")) << all(r);
    EXPECT_TRUE(has(r, 14, "ou_paths[1]: OU path")) << all(r);
    EXPECT_TRUE(has(r, 15, "must not be empty")) << all(r);
    EXPECT_TRUE(has(r, 16, "only '*' and '?' are wildcards")) << all(r);
    EXPECT_TRUE(has(r, 17, "unknown flow \"iam_user\"; did you mean \"iam-user\"?")) << all(r);
    EXPECT_TRUE(has(r, 18, "host bits set")) << all(r);
    EXPECT_EQ(r.diagnostics.size(), 7u) << all(r);
}

TEST(config_policy, duplicate_rule_names_point_at_both) {
    auto r = load(minimal + R"(
[[policy.rule]]
name = "same"
effect = "allow"
match_all = true
[[policy.rule]]
name = "same"
effect = "deny"
match_all = true
)");
    ASSERT_EQ(r.diagnostics.size(), 2u) << all(r);
    EXPECT_TRUE(has(r, 15, "duplicate rule name (first defined at /nonexistent-cg/test.toml:11:"))
        << all(r);
    EXPECT_TRUE(has(r, 11, "rule name defined again at /nonexistent-cg/test.toml:15:")) << all(r);
}

TEST(config_policy, required_keys_point_at_the_rule) {
    auto r = load(minimal + "[[policy.rule]]\ndescription = \"nameless\"\n");
    EXPECT_TRUE(has(r, 9, "`name` is required")) << all(r);
    EXPECT_TRUE(has(r, 9, "`effect` is required")) << all(r);
    EXPECT_TRUE(has(r, 9, "has no selector")) << all(r);
    r = load(
        minimal +
        "[[policy.rule]]\nname = \"a\"\neffect = \"allow\"\nmatch_all = true\nusers = [\"x\"]\n");
    EXPECT_TRUE(has(r, 12, "cannot be combined")) << all(r);
    r = load(minimal + "[policy.rule]\nname = \"a\"\n");
    EXPECT_TRUE(has(r, 0, "write each rule as [[policy.rule]]")) << all(r);
}

TEST(config_policy, ams_guardrails) {
    auto r = load(minimal + R"(
[policy.ams]
change_types = "block-unless-elevated"
reserved_roles = "off"
change_type_ids = ["ct-1opjmhuddw194", "CT-bad"]
reserved_role_prefixes = ["ams-"]
)");
    EXPECT_TRUE(has(r, 13, "change_type_ids[1]: expected an AMS change type ID")) << all(r);
    EXPECT_EQ(r.diagnostics.size(), 1u) << all(r);
}

TEST(config_policy, aliases_lowercased_and_conflicts_reported) {
    auto r = load(minimal + R"(
[policy.aliases]
Acme-Prod = "222222222222"
acme-prod2 = 222222222222
"bad alias" = "111111111111"
)");
    EXPECT_TRUE(has(r, 12, "must be a quoted string")) << all(r);
    EXPECT_TRUE(has(r, 13, "invalid character")) << all(r);
    EXPECT_EQ(r.diagnostics.size(), 2u) << all(r);

    auto dir = cgtest::scratch();
    cgtest::write(dir / "aliases.toml",
                  "acme-prod = \"333333333333\"\nacme-dev = \"444444444444\"\n");
    cgtest::write(dir / "main.toml", minimal + R"(
[policy]
alias_files = ["aliases.toml"]
[policy.aliases]
ACME-PROD = "222222222222"
)");
    auto lr = load_config(dir / "main.toml");
    EXPECT_TRUE(has(lr, 1, "alias \"acme-prod\" already maps to 222222222222")) << all(lr);
    EXPECT_EQ(lr.diagnostics.size(), 1u) << all(lr);
    EXPECT_EQ(lr.diagnostics.at(0).file, (dir / "aliases.toml").string());

    cgtest::write(dir / "aliases.toml",
                  "acme-prod = \"222222222222\"\nacme-dev = \"444444444444\"\n");
    lr = load_config(dir / "main.toml");
    ASSERT_TRUE(lr.cfg) << all(lr);
    EXPECT_EQ(lr.cfg->policy.aliases.size(), 2u);
    EXPECT_EQ(lr.cfg->policy.aliases.at("acme-prod").str(), "222222222222");
    EXPECT_TRUE(lr.notes.empty());  // one alias twice, for one account: the same alias
}

// An alias of digits that is not an ID is refused where it is written, in the table and in an
// alias file, with the fix: the inspector refuses such an account value, so it would map nothing.
TEST(config_policy, an_all_digit_alias_is_refused_where_written) {
    auto r = load(minimal + R"(
[policy.aliases]
11112222333 = "222222222222"
acme-prod = "333333333333"
  "0111122223333" = "444444444444"
1111-2222-3333 = "555555555555"
)");
    EXPECT_TRUE(has(r, 11,
                    "policy.aliases.11112222333: alias \"11112222333\" is digits but not "
                    "a 12-digit account ID"))
        << all(r);
    EXPECT_TRUE(has(r, 13, "name the account by its 12-digit ID")) << all(r);
    EXPECT_EQ(r.diagnostics.size(), 2u) << all(r);
    bool col3 = false;
    for (const auto& d : r.diagnostics) col3 = col3 || (d.line == 13 && d.column == 3);
    EXPECT_TRUE(col3) << all(r);

    auto dir = cgtest::scratch();
    cgtest::write(dir / "aliases.toml",
                  "acme-dev = \"444444444444\"\n1111-22223333 = \"666666666666\"\n");
    cgtest::write(dir / "main.toml", minimal + "[policy]\nalias_files = [\"aliases.toml\"]\n");
    auto lr = load_config(dir / "main.toml");
    ASSERT_EQ(lr.diagnostics.size(), 1u) << all(lr);
    EXPECT_EQ(lr.diagnostics.at(0).file, (dir / "aliases.toml").string());
    EXPECT_EQ(lr.diagnostics.at(0).line, 2);
    EXPECT_EQ(lr.diagnostics.at(0).column, 1);
    EXPECT_NE(lr.diagnostics.at(0).message.find("\"1111-22223333\" is digits but not"),
              std::string::npos)
        << all(lr);
}

// An AWS account has one alias: a second one for the same account is stale (given up, and
// maybe taken by another account since), noted at the second read with the first's place.
TEST(config_policy, a_second_alias_of_one_account_is_noted) {
    auto dir = cgtest::scratch();
    cgtest::write(dir / "aliases.toml", "acme-prod-old = \"222222222222\"\n");
    cgtest::write(dir / "main.toml", minimal + R"(
[policy]
alias_files = ["aliases.toml"]
[policy.aliases]
acme-prod = "222222222222"
acme-dev = "444444444444"
)");
    auto lr = load_config(dir / "main.toml");
    ASSERT_TRUE(lr.cfg) << all(lr);
    ASSERT_EQ(lr.notes.size(), 1u);
    const auto& n = lr.notes[0];
    // [policy.aliases] is read before alias_files.
    EXPECT_EQ(n.file, (dir / "aliases.toml").string());
    EXPECT_EQ(n.line, 1);
    EXPECT_NE(n.message.find("aliases.toml.acme-prod-old: 222222222222 already has the alias "
                             "\"acme-prod\" (at " +
                             (dir / "main.toml").string() + ":13:1)"),
              std::string::npos)
        << n.message;
    EXPECT_NE(n.message.find("an AWS account has one alias"), std::string::npos) << n.message;
}

TEST(config_policy, missing_files_name_path_and_errno) {
    auto r = load(minimal + R"(
[policy]
org_export = "org.json"
alias_files = ["nope.toml"]
endpoint_policies = ["vpce.json"]
)");
    EXPECT_TRUE(has(
        r, 11, "cannot read org export \"/nonexistent-cg/org.json\": No such file or directory"))
        << all(r);
    EXPECT_TRUE(has(r, 12, "cannot read alias file \"/nonexistent-cg/nope.toml\"")) << all(r);
    EXPECT_TRUE(has(r, 13, "cannot read endpoint policy \"/nonexistent-cg/vpce.json\"")) << all(r);
    auto dir = cgtest::scratch();
    std::filesystem::create_directories(dir / "adir");
    cgtest::write(dir / "main.toml", minimal + "[policy]\nendpoint_policies = [\"adir\"]\n");
    auto lr = load_config(dir / "main.toml");
    EXPECT_TRUE(has(lr, 10, "Is a directory")) << all(lr);
    lr = load_config(dir / "missing.toml");
    ASSERT_EQ(lr.diagnostics.size(), 1u);
    EXPECT_NE(cgtest::all(lr).find("missing.toml: cannot read configuration file"),
              std::string::npos)
        << all(lr);
}

TEST(config_policy, endpoint_policies_imported_after_the_rules) {
    auto dir = cgtest::scratch();
    cgtest::write(dir / "vpce.json", R"({"Version": "2012-10-17", "Statement": [
  {"Sid": "OrgOnly", "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
   "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}]})");
    cgtest::write(dir / "main.toml", minimal + R"(
[policy]
endpoint_policies = ["vpce.json"]
[[policy.rule]]
name = "first"
effect = "deny"
accounts = ["222222222222"]
)");
    auto r = load_config(dir / "main.toml");
    ASSERT_TRUE(r.cfg) << all(r);
    ASSERT_EQ(r.cfg->policy.rules.size(), 2u);
    EXPECT_EQ(r.cfg->policy.rules[0].name, "first");
    EXPECT_EQ(r.cfg->policy.rules[1].name, "vpce:OrgOnly");
    EXPECT_EQ(r.cfg->policy.rules[1].org_ids, std::vector<std::string>{"o-a1b2c3d4e5"});
    EXPECT_EQ(r.cfg->policy_files.endpoint_policies.at(0), dir / "vpce.json");

    // A TOML rule may not take an imported rule's name; a policy the importer refuses is
    // reported in its own file.
    cgtest::write(dir / "main.toml", minimal + R"(
[policy]
endpoint_policies = ["vpce.json", "bad.json"]
[[policy.rule]]
name = "vpce:OrgOnly"
effect = "deny"
accounts = ["222222222222"]
)");
    cgtest::write(dir / "bad.json", R"({"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
   "Condition": {"ArnNotEquals": {"aws:PrincipalAccount": "111111111111"}}}]})");
    r = load_config(dir / "main.toml");
    EXPECT_FALSE(r.cfg);
    EXPECT_TRUE(has(r, 0, "imported rule \"vpce:OrgOnly\" has the name of the rule at")) << all(r);
    bool in_bad = false;
    for (auto& d : r.diagnostics) {
        if (d.file != (dir / "bad.json").string()) continue;
        in_bad = true;
        EXPECT_EQ(d.line, 3) << d.message;  // at the ArnNotEquals it refuses
        EXPECT_EQ(d.column, 18) << d.message;
    }
    EXPECT_TRUE(in_bad) << all(r);
}

// Each Console Private Access endpoint's policy judges the requests that reach that endpoint
// (AWS Management Console, "Trusted identities"): a console endpoint policy allowing the
// organization beside a Sign-In endpoint policy allowing one account refuses sign-in to the
// organization's other accounts, and lets their sessions' console requests through. Imported as
// one union, the console policy's "*" allowed sign-in to all of them.
TEST(config_policy, each_endpoint_policy_judges_its_own_endpoints_requests) {
    namespace cc = ::consolegate::core;
    auto dir = cgtest::scratch();
    cgtest::write(dir / "org.json", R"({"organization_id": "o-a1b2c3d4e5", "accounts": [
  {"id": "111111111111", "name": "x", "path": "o-a1b2c3d4e5/r-ab12/"},
  {"id": "222222222222", "name": "y", "path": "o-a1b2c3d4e5/r-ab12/"}]})");
    cgtest::write(dir / "console.json", R"({"Version": "2012-10-17", "Statement": [
  {"Sid": "Org", "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
   "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}]})");
    cgtest::write(dir / "signin.json", R"({"Version": "2012-10-17", "Statement": [
  {"Sid": "X", "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
   "Condition": {"StringEquals": {"aws:ResourceAccount": "111111111111"}}}]})");
    cgtest::write(dir / "signin-actions.json", R"({"Version": "2012-10-17", "Statement": [
  {"Sid": "X", "Effect": "Allow", "Principal": "*", "Action": ["signin:Authenticate",
   "signin:AuthorizeOAuth2Access", "signin:CreateOAuth2Token"], "Resource": "*",
   "Condition": {"StringEquals": {"aws:ResourceAccount": "111111111111"}}}]})");
    auto decide = [](const cc::policy_config& policy, const char* account, cc::sign_in_flow f) {
        cc::compiled_policy p(policy);
        cc::sign_in_attempt a;
        a.account = *cc::account_id::parse(account);
        a.flow = f;
        a.phase = f == cc::sign_in_flow::console_session ? cc::auth_phase::post_auth
                                                         : cc::auth_phase::pre_auth;
        return cc::evaluate(a, p, cc::elevation_view::unavailable(), {}).verdict ==
                       cc::effect::allow
                   ? 'A'
                   : '-';
    };
    // x and y: SAML sign-in, IAM user sign-in, aws login, a session's console request.
    auto verdicts = [&](const cc::policy_config& policy) {
        std::string out;
        for (const char* account : {"111111111111", "222222222222"}) {
            for (auto f : {cc::sign_in_flow::saml, cc::sign_in_flow::iam_user,
                           cc::sign_in_flow::cli_sign_in, cc::sign_in_flow::console_session})
                out += decide(policy, account, f);
            out += ' ';
        }
        return out;
    };
    auto load_with = [&](const std::string& keys) {
        cgtest::write(dir / "main.toml", minimal + "[policy]\norg_export = \"org.json\"\n" + keys);
        return load_config(dir / "main.toml");
    };
    // Said by the keys.
    auto r = load_with(
        "console_endpoint_policies = [\"console.json\"]\n"
        "sign_in_endpoint_policies = [\"signin.json\"]\n");
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_EQ(verdicts(r.cfg->policy), "AAAA ---A ");
    ASSERT_EQ(r.cfg->policy_files.endpoint_policy_endpoints.size(), 2u);
    EXPECT_EQ(r.cfg->policy_files.endpoint_policy_endpoints[0].second,
              cc::policy_endpoint::sign_in);
    EXPECT_EQ(r.cfg->policy_files.endpoint_policy_endpoints[1].second,
              cc::policy_endpoint::console);
    // Read from the actions: a document of AWS Sign-In actions only is the Sign-In endpoint's,
    // and the other one beside it the console endpoint's.
    r = load_with("endpoint_policies = [\"console.json\", \"signin-actions.json\"]\n");
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_EQ(verdicts(r.cfg->policy), "AAAA ---A ");
    EXPECT_EQ(r.cfg->policy_files.endpoint_policy_endpoints[0].second,
              cc::policy_endpoint::console);
    EXPECT_EQ(r.cfg->policy_files.endpoint_policy_endpoints[1].second,
              cc::policy_endpoint::sign_in);
    // Alone and not said, a document of "*" judges every flow, as it always did
    // (config/README.md: "the rule selects every flow").
    r = load_with("endpoint_policies = [\"console.json\"]\n");
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_EQ(verdicts(r.cfg->policy), "AAAA AAAA ");
    EXPECT_EQ(r.cfg->policy_files.endpoint_policy_endpoints.at(0).second,
              cc::policy_endpoint::both);
    // A statement of AWS Sign-In actions in the console endpoint's policy never matches there.
    r = load_with("console_endpoint_policies = [\"signin-actions.json\"]\n");
    EXPECT_FALSE(r.cfg);
    EXPECT_NE(all(r).find("which the console endpoint never evaluates"), std::string::npos)
        << all(r);
    // aws:ResourceAccount under "*" is the account signed in to in the Sign-In endpoint's
    // policy, and a resource a console session reaches in any other.
    r = load_with("endpoint_policies = [\"signin.json\"]\n");
    EXPECT_FALSE(r.cfg);
    EXPECT_NE(all(r).find("under Action \"*\" this key names the resources"), std::string::npos)
        << all(r);
}

// On AWS a VPC endpoint has exactly one policy document, whose statements are decided together:
// a console sign-in needs signin:Authenticate and both OAuth 2.0 actions allowed in it. Two files
// for one endpoint were imported each on its own, so a statement allowing signin:Authenticate
// and another allowing the OAuth 2.0 pair, split across files, allowed no console sign-in, which
// one document of both allows. Two files for one endpoint are refused at the second one's
// element of the key, with the fix; merged, they decide as AWS does.
TEST(config_policy, an_endpoint_has_one_policy_file) {
    namespace cc = ::consolegate::core;
    auto dir = cgtest::scratch();
    cgtest::write(dir / "org.json", R"({"organization_id": "o-a1b2c3d4e5", "accounts": [
  {"id": "111111111111", "name": "x", "path": "o-a1b2c3d4e5/r-ab12/"},
  {"id": "222222222222", "name": "y", "path": "o-a1b2c3d4e5/r-ab12/"}]})");
    const std::string authenticate =
        R"({"Sid": "Open", "Effect": "Allow", "Principal": "*", "Action": "signin:Authenticate",
            "Resource": "*"})";
    const std::string oauth =
        R"({"Sid": "Ours", "Effect": "Allow", "Principal": "*", "Action":
            ["signin:AuthorizeOAuth2Access", "signin:CreateOAuth2Token"], "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalAccount": "111111111111"}}})";
    auto doc = [](const std::string& statements) {
        return R"({"Version": "2012-10-17", "Statement": [)" + statements + "]}";
    };
    cgtest::write(dir / "auth.json", doc(authenticate));
    cgtest::write(dir / "oauth.json", doc(oauth));
    cgtest::write(dir / "one.json", doc(authenticate + ", " + oauth));
    cgtest::write(dir / "console.json", doc(R"({"Effect": "Allow", "Principal": "*",
        "Action": "*", "Resource": "*"})"));
    cgtest::write(dir / "console2.json", doc(R"({"Effect": "Deny", "Principal": "*",
        "Action": "*", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalAccount":
        "222222222222"}}})"));
    auto load_with = [&](const std::string& keys) {
        cgtest::write(dir / "main.toml", minimal + "[policy]\norg_export = \"org.json\"\n" + keys);
        return load_config(dir / "main.toml");
    };
    // The second file is refused at its element of the key, naming the first.
    auto refused = [&](const std::string& keys, const std::string& second, const char* endpoint,
                       const std::string& first) {
        SCOPED_TRACE(keys);
        auto r = load_with(keys);
        EXPECT_FALSE(r.cfg);
        bool found = false;
        for (const auto& d : r.diagnostics) {
            if (d.message.find((dir / second).string() + " is a second policy for the " + endpoint +
                               " endpoint beside " + (dir / first).string()) == std::string::npos)
                continue;
            found = true;
            EXPECT_EQ(d.file, (dir / "main.toml").string());
            // keys begin at line 11; the column is the element's.
            auto at = keys.find("\"" + second + "\"");
            auto line_start = keys.rfind('\n', at);
            line_start = line_start == std::string::npos ? 0 : line_start + 1;
            EXPECT_EQ(d.line, 11 + std::count(keys.begin(), keys.begin() + at, '\n'));
            EXPECT_EQ(d.column, static_cast<int>(at - line_start) + 1);
            EXPECT_NE(d.message.find("on AWS an endpoint has exactly one policy document: merge "
                                     "their statements into one file"),
                      std::string::npos)
                << d.message;
        }
        EXPECT_TRUE(found) << all(r);
    };
    refused("sign_in_endpoint_policies = [\"auth.json\", \"oauth.json\"]\n", "oauth.json",
            "Sign-In", "auth.json");
    refused("endpoint_policies = [\"auth.json\", \"oauth.json\"]\n", "oauth.json", "Sign-In",
            "auth.json");
    refused("console_endpoint_policies = [\"console.json\", \"console2.json\"]\n", "console2.json",
            "console", "console.json");
    // Said for no endpoint and none to tell from: every flow's, both endpoints' policy.
    refused(
        "endpoint_policies = [\"console.json\"]\nconsole_endpoint_policies = "
        "[\"console2.json\"]\n",
        "console2.json", "console", "console.json");
    refused(
        "console_endpoint_policies = [\"console2.json\"]\nendpoint_policies = "
        "[\"console.json\"]\n",
        "console2.json", "console", "console.json");

    // One file per endpoint loads; one document of both statements allows console sign-in to
    // the account the OAuth 2.0 statement allows, as AWS does.
    auto r = load_with(
        "sign_in_endpoint_policies = [\"one.json\"]\nconsole_endpoint_policies = "
        "[\"console2.json\"]\nendpoint_policies = []\n");
    ASSERT_TRUE(r.cfg) << all(r);
    r = load_with("endpoint_policies = [\"one.json\", \"console.json\"]\n");
    ASSERT_TRUE(r.cfg) << all(r);
    cc::compiled_policy p(r.cfg->policy);
    std::string verdicts;
    for (const char* account : {"111111111111", "222222222222"}) {
        cc::sign_in_attempt a;
        a.account = *cc::account_id::parse(account);
        a.flow = cc::sign_in_flow::saml;
        a.phase = cc::auth_phase::pre_auth;
        verdicts +=
            cc::evaluate(a, p, cc::elevation_view::unavailable(), {}).verdict == cc::effect::allow
                ? 'A'
                : '-';
    }
    EXPECT_EQ(verdicts, "A-");
}

TEST(config_policy, org_export_fills_accounts) {
    auto dir = cgtest::scratch();
    cgtest::write(dir / "org.json", R"({"organization_id": "o-a1b2c3d4e5", "accounts": [
  {"id": "012345678901", "name": "sandbox", "path": "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"},
  {"id": "222222222222", "name": "mgmt", "path": "o-a1b2c3d4e5/r-ab12/"}]})");
    cgtest::write(dir / "main.toml", minimal + "[policy]\norg_export = \"org.json\"\n");
    auto r = load_config(dir / "main.toml");
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_EQ(r.cfg->policy.org_id, "o-a1b2c3d4e5");
    ASSERT_EQ(r.cfg->policy.accounts.size(), 2u);
    EXPECT_EQ(r.cfg->policy.accounts[0].id.str(), "012345678901");
    EXPECT_EQ(r.cfg->policy.accounts[0].path, "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/");
    EXPECT_EQ(r.cfg->policy_files.org_export, dir / "org.json");
    EXPECT_EQ(r.cfg->files.size(), 2u);
}

TEST(config_policy, org_export_errors_name_the_account) {
    auto dir = cgtest::scratch();
    cgtest::write(dir / "main.toml", minimal + "[policy]\norg_export = \"org.json\"\n");
    cgtest::write(dir / "org.json", "{\"organization_id\": \"o-a1b2c3d4e5\",\n \"accounts\": [,]}");
    auto r = load_config(dir / "main.toml");
    ASSERT_EQ(r.diagnostics.size(), 1u) << all(r);
    EXPECT_EQ(r.diagnostics[0].line, 2);
    EXPECT_NE(r.diagnostics[0].message.find("not valid JSON"), std::string::npos);

    cgtest::write(dir / "org.json", R"({"organization_id": "o-a1b2c3d4e5", "accounts": [
  {"id": 12345678901, "path": "o-a1b2c3d4e5/r-ab12/"},
  {"id": "222222222222", "path": "o-a1b2c3d4e5/r-ab12/ou-ab12-1111111/"},
  {"id": "333333333333", "path": "o-zzzzzzzzzz/r-ab12/"},
  {"id": "444444444444", "path": "o-a1b2c3d4e5/r-ab12/*"},
  {"id": "555555555555", "path": "o-a1b2c3d4e5/r-ab12/"},
  {"id": "555555555555", "path": "o-a1b2c3d4e5/r-ab12/"}]})");
    r = load_config(dir / "main.toml");
    // Each at its place (file:line:col, as check-config prints every problem): the member's
    // value.
    EXPECT_TRUE(has(r, 2, "accounts[0].id must be a string")) << all(r);
    EXPECT_TRUE(has(r, 3, "accounts[1].path: OU path")) << all(r);
    EXPECT_TRUE(has(r, 4, "accounts[2].path must start with the organization")) << all(r);
    EXPECT_TRUE(has(r, 5, "accounts[3].path must name the account's parent exactly")) << all(r);
    EXPECT_TRUE(has(r, 7, "accounts[5].id 555555555555 appears more than once")) << all(r);
    ASSERT_EQ(r.diagnostics.size(), 5u) << all(r);
    EXPECT_EQ(r.diagnostics[0].file, (dir / "org.json").string());
    EXPECT_EQ(r.diagnostics[0].column, 10);  // {"id": 12345678901
    EXPECT_EQ(r.diagnostics[1].column, 34);  // {"id": "222222222222", "path": "o-…

    // The organization's own members, an account that is no object, unknown keys, a string
    // holding a quote and a bracket before them: each at its line.
    cgtest::write(dir / "org.json", R"({
  "organization_id": "o-A1B2C3D4E5",
  "exported_by": "me",
  "accounts": [
    {"id": "111111111111", "name": "a \"[x]\", {y}", "path": "o-A1B2C3D4E5/r-ab12/"},
    "222222222222",
    {"id": "333333333333",
     "path": "o-a1b2c3d4e5/r-ab12/", "owner": "bob"}
  ]
})");
    r = load_config(dir / "main.toml");
    EXPECT_TRUE(has(r, 3, "unknown key \"exported_by\" in the org export")) << all(r);
    EXPECT_TRUE(has(r, 2, "organization_id \"o-A1B2C3D4E5\" is not an organization ID")) << all(r);
    cgtest::write(dir / "org.json", R"({
  "organization_id": "o-a1b2c3d4e5",
  "accounts": [
    {"id": "111111111111", "name": "a \"[x]\", {y}", "path": "o-a1b2c3d4e5/r-ab12/", "x": 1},
    "222222222222",
    {"id": "333333333333",
     "path": "o-a1b2c3d4e5/r-ab12/", "owner": {"name": "bob"}}
  ]
})");
    r = load_config(dir / "main.toml");
    EXPECT_TRUE(has(r, 4, "accounts[0]: unknown key \"x\"")) << all(r);
    EXPECT_TRUE(has(r, 5, "accounts[1] must be an object")) << all(r);
    EXPECT_TRUE(has(r, 7, "accounts[2]: unknown key \"owner\"")) << all(r);
    EXPECT_EQ(r.diagnostics.size(), 3u) << all(r);
    for (const auto& d : r.diagnostics) EXPECT_GT(d.column, 0) << d.message;
}

// An organization has one root. An export placing an account under another root (corrupt, or
// two exports pasted together) put it out of reach of every OU selector written on the real
// root: a deny by OU missed it while an org_ids allow still matched.
TEST(config_policy, org_export_accounts_under_another_root_are_refused) {
    auto dir = cgtest::scratch();
    cgtest::write(dir / "main.toml", minimal + "[policy]\norg_export = \"org.json\"\n");
    cgtest::write(dir / "org.json", R"({"organization_id": "o-a1b2c3d4e5", "accounts": [
  {"id": "111111111111", "path": "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"},
  {"id": "222222222222", "path": "o-a1b2c3d4e5/r-zz99/ou-zz99-11111111/"}]})");
    auto r = load_config(dir / "main.toml");
    EXPECT_FALSE(r.cfg);
    EXPECT_TRUE(has(r, 0,
                    "accounts[1].path \"o-a1b2c3d4e5/r-zz99/ou-zz99-11111111/\" is under root "
                    "\"r-zz99\", and the organization's root is \"r-ab12\" (the first account's "
                    "path)"))
        << all(r);
    EXPECT_EQ(r.diagnostics.size(), 1u) << all(r);

    // root_id, when the export names it, is the root every account must be under.
    cgtest::write(dir / "org.json", R"({"organization_id": "o-a1b2c3d4e5", "root_id": "r-zz99",
  "accounts": [{"id": "111111111111", "path": "o-a1b2c3d4e5/r-ab12/"}]})");
    r = load_config(dir / "main.toml");
    EXPECT_TRUE(has(r, 0,
                    "accounts[0].path \"o-a1b2c3d4e5/r-ab12/\" is under root \"r-ab12\", "
                    "and the organization's root is \"r-zz99\" (root_id)"))
        << all(r);
    cgtest::write(dir / "org.json", R"({"organization_id": "o-a1b2c3d4e5", "root_id": "ab12",
  "accounts": []})");
    r = load_config(dir / "main.toml");
    EXPECT_TRUE(has(r, 0, "root_id must be the organization's root ID")) << all(r);

    // An OU ID carries its root's ID: ou-zz99-… is no OU under r-ab12, in the export or in a
    // selector (a deny on it validated and never matched).
    cgtest::write(dir / "org.json", R"({"organization_id": "o-a1b2c3d4e5", "root_id": "r-ab12",
  "accounts": [{"id": "111111111111", "path": "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"},
               {"id": "222222222222", "path": "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-zz99-22222222/"}]})");
    cgtest::write(dir / "main.toml", minimal + R"([policy]
org_export = "org.json"
[[policy.rule]]
name = "prod"
effect = "deny"
ou_paths = ["o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*", "o-a1b2c3d4e5/r-ab12/ou-zz99-11111111/*",
            "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-ab123-22222222/"]
)");
    r = load_config(dir / "main.toml");
    EXPECT_TRUE(has(r, 0,
                    "accounts[1].path \"o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-zz99-22222222/\" "
                    "names OU \"ou-zz99-22222222\", and every OU under root \"r-ab12\" is named "
                    "\"ou-ab12-…\""))
        << all(r);
    // Lines in main.toml: minimal's 9, [policy] and org_export, then the rule.
    EXPECT_TRUE(has(r, 14,
                    "ou_paths[1]: \"o-a1b2c3d4e5/r-ab12/ou-zz99-11111111/*\" names OU "
                    "\"ou-zz99-11111111\""))
        << all(r);
    EXPECT_TRUE(has(r, 15, "ou_paths[2]")) << all(r);
    EXPECT_TRUE(has(r, 15, "names OU \"ou-ab123-22222222\"")) << all(r);
    EXPECT_EQ(r.diagnostics.size(), 3u) << all(r);
}

TEST(config_policy, corporate_selectors_and_unknown_corp_user) {
    auto r = load(minimal + R"(
[policy]
unknown_corp_user = "deny"
[[policy.rule]]
name = "contractors"
effect = "deny"
corp_users = ["*@CONTRACTORS.EXAMPLE"]
corp_groups = ["contractors", "temp-*"]
)");
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_TRUE(r.cfg->policy.deny_unknown_corp_user);
    ASSERT_EQ(r.cfg->policy.rules.size(), 1u);
    EXPECT_EQ(r.cfg->policy.rules[0].corp_users, std::vector<std::string>{"*@CONTRACTORS.EXAMPLE"});
    EXPECT_EQ(r.cfg->policy.rules[0].corp_groups,
              (std::vector<std::string>{"contractors", "temp-*"}));

    auto d = load(minimal + R"(
[policy]
unknown_corp_user = "allow"
[[policy.rule]]
name = "x"
effect = "allow"
corp_groups = ["[eng]"]
)");
    EXPECT_FALSE(d.cfg);
    EXPECT_TRUE(has(d, 11, "unknown_corp_user")) << all(d);
    EXPECT_TRUE(has(d, 15, "only '*' and '?' are wildcards")) << all(d);
    auto def = load(minimal);
    ASSERT_TRUE(def.cfg) << all(def);
    EXPECT_FALSE(def.cfg->policy.deny_unknown_corp_user);
}

// A Windows domain's user is named DOMAIN\user by the trusted header and the address map, and
// another domain's user has no other spelling: corp_users takes '\' literally, where every other
// glob (roles, users, groups) refuses it as an escape that escapes nothing.
TEST(config_policy, a_corporate_user_glob_names_a_domain_user) {
    auto r = load(minimal + R"(
[[policy.rule]]
name = "no-mallory"
effect = "deny"
corp_users = ["PARTNER\\mallory", "mallory@PARTNER.EXAMPLE", 'CONTRACTORS\*']
)");
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_EQ(r.cfg->policy.rules[0].corp_users,
              (std::vector<std::string>{"PARTNER\\mallory", "mallory@PARTNER.EXAMPLE",
                                        "CONTRACTORS\\*"}));
    auto d = load(minimal + R"(
[[policy.rule]]
name = "x"
effect = "deny"
roles = ['CORP\admin']
users = ['CORP\alice']
corp_groups = ['CORP\admins']
)");
    EXPECT_FALSE(d.cfg);
    EXPECT_TRUE(has(d, 13, "roles[0]")) << all(d);
    EXPECT_TRUE(has(d, 14, "only '*' and '?' are wildcards")) << all(d);
    EXPECT_TRUE(has(d, 15, "only '*' and '?' are wildcards")) << all(d);
    EXPECT_EQ(d.diagnostics.size(), 3u) << all(d);
}

TEST(config_policy, account_sign_up_denies_by_default_and_rules_cannot_name_it) {
    auto r = load(minimal + "[policy]\n");
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_EQ(r.cfg->policy.account_sign_up, sign_up_action::deny);
    r = load(minimal + "[policy]\naccount_sign_up = \"report-only\"\n");
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_EQ(r.cfg->policy.account_sign_up, sign_up_action::report_only);
    r = load(minimal + "[policy]\naccount_sign_up = \"allow\"\n");
    EXPECT_FALSE(r.cfg);
    EXPECT_TRUE(has(r, 0, "account_sign_up")) << all(r);
    r = load(minimal + R"(
[[policy.rule]]
name = "r"
effect = "allow"
flows = ["cli-sign-in", "account-sign-up"]
)");
    EXPECT_FALSE(r.cfg);
    EXPECT_TRUE(has(r, 0, "decided by policy.account_sign_up")) << all(r);
}

TEST(config_policy, identity_center_instances_are_labels_kept_lowercase) {
    auto r = load(minimal + R"(
[[policy.rule]]
name = "our-idc"
effect = "allow"
identity_center_instances = ["d-1234567890", "ExampleCorp"]
)");
    ASSERT_TRUE(r.cfg) << all(r);
    ASSERT_EQ(r.cfg->policy.rules.size(), 1u);
    EXPECT_EQ(r.cfg->policy.rules[0].identity_center_instances,
              (std::vector<std::string>{"d-1234567890", "examplecorp"}));
    // A whole start URL, a dotted name or an empty label: refused, saying what to write.
    for (const char* bad : {"https://examplecorp.awsapps.com/start", "examplecorp.awsapps.com", "",
                            "-corp", "corp_1"}) {
        r = load(minimal +
                 "[[policy.rule]]\nname = \"x\"\neffect = \"allow\"\n"
                 "identity_center_instances = [\"" +
                 std::string(bad) + "\"]\n");
        EXPECT_FALSE(r.cfg) << bad;
        EXPECT_TRUE(has(r, 0, "first label")) << bad << ": " << all(r);
    }
}

TEST(config_policy, unbound_sessions_deny_by_default_or_judge_on_the_cookie) {
    auto r = load(minimal + "[policy]\n");
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_EQ(r.cfg->policy.unbound_sessions, unbound_session_action::deny);
    r = load(minimal + "[policy]\nunbound_sessions = \"cookie\"\n");
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_EQ(r.cfg->policy.unbound_sessions, unbound_session_action::cookie);
    r = load(minimal + "[policy]\nunbound_sessions = \"allow\"\n");
    EXPECT_FALSE(r.cfg);
    EXPECT_TRUE(has(r, 0, "unbound_sessions")) << all(r);
}

TEST(config_policy, partitions_commercial_by_default_others_when_listed) {
    auto r = load(minimal + "[policy]\n");
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_EQ(r.cfg->policy.partitions, partition_bit(partition::aws));
    r = load(minimal + R"([policy]
partitions = ["aws", "aws-us-gov", "aws-cn"]

[[policy.rule]]
name = "gov-accounts"
effect = "allow"
accounts = ["111122223333"]
partitions = ["aws-us-gov"]

[[policy.rule]]
name = "commercial"
effect = "allow"
accounts = ["111122223333"]
)");
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_EQ(r.cfg->policy.partitions, partition_bit(partition::aws) |
                                            partition_bit(partition::aws_us_gov) |
                                            partition_bit(partition::aws_cn));
    ASSERT_EQ(r.cfg->policy.rules.size(), 2u);
    EXPECT_EQ(r.cfg->policy.rules[0].partitions, partition_bit(partition::aws_us_gov));
    EXPECT_EQ(r.cfg->policy.rules[1].partitions, partition_bit(partition::aws));
}

TEST(config_policy, partition_names_are_checked_where_written) {
    // Unknown name: at its element, with the known ones.
    auto r = load(minimal + "[policy]\npartitions = [\"aws\", \"aws-iso-z\"]\n");
    EXPECT_FALSE(r.cfg);
    EXPECT_TRUE(has(r, 10,
                    "unknown partition \"aws-iso-z\" (one of aws, aws-us-gov, aws-cn, aws-iso, "
                    "aws-iso-b, aws-iso-e, aws-iso-f, aws-eusc)"))
        << all(r);
    // The commercial partition cannot be left out.
    r = load(minimal + "[policy]\npartitions = [\"aws-us-gov\"]\n");
    EXPECT_FALSE(r.cfg);
    EXPECT_TRUE(has(r, 10, "list \"aws\"")) << all(r);
    // A rule naming a partition the policy does not enable, an unknown one, or none.
    r = load(minimal + R"([[policy.rule]]
name = "gov"
effect = "allow"
partitions = ["aws-us-gov"]
)");
    EXPECT_FALSE(r.cfg);
    EXPECT_TRUE(has(r, 0, "which policy.partitions does not enable")) << all(r);
    r = load(minimal +
             "[[policy.rule]]\nname = \"x\"\neffect = \"allow\"\npartitions = "
             "[\"gov\"]\n");
    EXPECT_FALSE(r.cfg);
    EXPECT_TRUE(has(r, 0, "unknown partition \"gov\"")) << all(r);
    r = load(minimal + "[[policy.rule]]\nname = \"x\"\neffect = \"allow\"\npartitions = []\n");
    EXPECT_FALSE(r.cfg);
    EXPECT_TRUE(has(r, 0, "selects nothing")) << all(r);
}

TEST(config_policy, an_enabled_partition_must_be_inspected) {
    // The default inspect_hosts covers every partition's names.
    auto r = load(minimal + "[policy]\npartitions = [\"aws\", \"aws-cn\"]\n");
    ASSERT_TRUE(r.cfg) << all(r);
    // A written list without them leaves the partition's sign-in unjudged: refused.
    r = load(minimal + R"([proxy]
inspect_hosts = ["signin.aws.amazon.com", "*.signin.aws.amazon.com", "console.aws.amazon.com",
                 "*.console.aws.amazon.com"]
[policy]
partitions = ["aws", "aws-cn"]
)");
    EXPECT_FALSE(r.cfg);
    EXPECT_TRUE(has(r, 0, "\"signin.amazonaws.cn\" is not covered by proxy.inspect_hosts"))
        << all(r);
}

TEST(config_policy, aws_side_names_public_egress_endpoints_and_break_glass_principals) {
    auto r = load(minimal + R"([policy.aws_side]
egress_networks = ["203.0.113.0/24", "2001:db8:100::/48"]
vpc_endpoints = ["vpce-0123456789abcdef0"]
excluded_principals = ["arn:aws:iam::111122223333:role/BreakGlass", "arn:aws:iam::111122223333:root"]
)");
    ASSERT_TRUE(r.cfg) << all(r);
    const auto& side = r.cfg->policy.aws_side;
    ASSERT_EQ(side.egress_networks.size(), 2u);
    EXPECT_EQ(side.egress_networks[0].str(), "203.0.113.0/24");
    EXPECT_EQ(side.vpc_endpoints, std::vector<std::string>{"vpce-0123456789abcdef0"});
    EXPECT_EQ(side.excluded_principals.size(), 2u);
    // Each bad element at its own line, saying why.
    r = load(minimal + R"([policy.aws_side]
egress_networks = ["10.0.0.0/8",
                   "0.0.0.0/0",
                   "203.0.113.7/24"]
vpc_endpoints = ["vpc-0123456789abcdef0"]
excluded_principals = ["arn:aws:sts::111122223333:assumed-role/Admin/alice",
                       "arn:aws-us-gov:iam::111122223333:role/BreakGlass"]
egress = []
)");
    EXPECT_FALSE(r.cfg);
    EXPECT_TRUE(has(r, 10, "10.0.0.0/8 is not a public address")) << all(r);
    EXPECT_TRUE(has(r, 11, "0.0.0.0/0 is not a public address")) << all(r);
    EXPECT_TRUE(has(r, 12, "egress_networks[2]")) << all(r);  // host bits set
    EXPECT_TRUE(has(r, 13, "is not a VPC endpoint ID")) << all(r);
    EXPECT_TRUE(has(r, 14, "is not an IAM role, user or root ARN")) << all(r);
    EXPECT_TRUE(has(r, 15, "is not an IAM role, user or root ARN")) << all(r);
    EXPECT_TRUE(has(r, 16, "egress")) << all(r);  // unknown key
}

}  // namespace
}  // namespace consolegate::core

namespace consolegate::core {
namespace {

// Issue 13 point 7: what "elevated" means for a block-unless-elevated guard.
TEST(config_policy, ams_elevation_scope) {
    auto def = cgtest::load(cgtest::minimal);
    ASSERT_TRUE(def.cfg) << cgtest::all(def);
    EXPECT_EQ(def.cfg->policy.ams_elevation, ams_elevation_scope::same_permission_set);
    auto any = cgtest::load(cgtest::minimal + R"(
[policy.ams]
reserved_roles = "block-unless-elevated"
elevation = "any-for-account"
)");
    ASSERT_TRUE(any.cfg) << cgtest::all(any);
    EXPECT_EQ(any.cfg->policy.ams_elevation, ams_elevation_scope::any_for_account);
    auto bad = cgtest::load(cgtest::minimal + R"(
[policy.ams]
change_types = "block-unless-elevated"
elevation = "any_permission_set"
)");
    EXPECT_FALSE(bad.cfg);
    EXPECT_TRUE(cgtest::has(bad, 12, "same-permission-set")) << cgtest::all(bad);
    // Without a block-unless-elevated guard the key would do nothing: refused.
    auto idle = cgtest::load(cgtest::minimal + R"(
[policy.ams]
change_types = "block"
elevation = "same-permission-set"
)");
    EXPECT_FALSE(idle.cfg);
    EXPECT_TRUE(cgtest::has(idle, 12, "neither change_types nor reserved_roles"))
        << cgtest::all(idle);
}

// A selector that can never match validates and does nothing; a deny written so lets everything
// through. Each is refused at its element with the fix.
TEST(config_policy, org_and_ou_selectors_the_export_cannot_match_are_refused) {
    auto dir = cgtest::scratch();
    cgtest::write(dir / "org.json", R"({"organization_id": "o-a1b2c3d4e5", "accounts": [
        {"id": "111122223333", "path": "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"}]})");
    const std::string rules = R"(
[[policy.rule]]
name = "good"
effect = "deny"
org_ids = ["o-a1b2c3d4e5"]
ou_paths = ["o-a1b2c3d4e5/r-ab12/ou-ab12-22222222/*", "o-a1b2c3d4e5/*", "o-a1b2c3d4e5/r-ab12/"]
[[policy.rule]]
name = "other-org"
effect = "deny"
org_ids = ["o-zzzzzzzzzz"]
[[policy.rule]]
name = "other-org-path"
effect = "deny"
ou_paths = ["o-zzzzzzzzzz/r-ab12/*"]
[[policy.rule]]
name = "other-root"
effect = "deny"
ou_paths = ["o-a1b2c3d4e5/r-zz99/ou-zz99-11111111/*"]
[[policy.rule]]
name = "gov-only"
effect = "deny"
partitions = ["aws-us-gov"]
org_ids = ["o-a1b2c3d4e5"]
)";
    cgtest::write(dir / "main.toml", minimal +
                                         "[policy]\norg_export = \"org.json\"\n"
                                         "partitions = [\"aws\", \"aws-us-gov\"]\n" +
                                         rules);
    auto r = load_config(dir / "main.toml");
    EXPECT_FALSE(r.cfg);
    // Lines in main.toml: minimal's 9, then [policy] and its two keys, then the rules.
    EXPECT_FALSE(has(r, 17, "")) << all(r);
    EXPECT_TRUE(has(r, 21, "names another organization than the org export's (o-a1b2c3d4e5)"))
        << all(r);
    EXPECT_TRUE(has(r, 25, "names another organization")) << all(r);
    EXPECT_TRUE(has(r, 29, "names root \"r-zz99\", and the org export's root is \"r-ab12\""))
        << all(r);
    EXPECT_TRUE(has(r, 34, "the rule's partitions do not name \"aws\"")) << all(r);
    EXPECT_EQ(r.diagnostics.size(), 4u) << all(r);

    // Without an export, no org or OU selector can match.
    auto none =
        load(minimal + rules.substr(0, rules.find("[[policy.rule]]\nname = \"other-org\"")));
    EXPECT_TRUE(has(none, 0, "policy.org_export is not set")) << all(none);
}

// A rule's selectors all must match (accounts AND OUs, not OR): an account the org export places
// outside the rule's org_ids / ou_paths, or leaves out, can never match, nor can corp_users
// without an identity source or corp_groups without a groups source. Valid (a policy may be
// written ahead of the export, and explain simulates the person whatever identifies them), so
// notes for check-config at the selector, not errors.
TEST(config_policy, selectors_the_other_sections_leave_unable_to_match_are_noted) {
    auto dir = cgtest::scratch();
    cgtest::write(dir / "org.json", R"({"organization_id": "o-a1b2c3d4e5", "accounts": [
        {"id": "111122223333", "path": "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"},
        {"id": "444455556666", "path": "o-a1b2c3d4e5/r-ab12/ou-ab12-22222222/ou-ab12-33333333/"}]})");
    const std::string rules = R"(
[[policy.rule]]
name = "sandbox-admins"
effect = "deny"
accounts = ["111122223333", "444455556666", "777788889999"]
ou_paths = ["o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"]
[[policy.rule]]
name = "nested"
effect = "deny"
accounts = ["444455556666"]
org_ids = ["o-a1b2c3d4e5"]
ou_paths = ["o-a1b2c3d4e5/r-ab12/ou-ab12-22222222/*"]
[[policy.rule]]
name = "accounts-alone"
effect = "deny"
accounts = ["777788889999"]
[[policy.rule]]
name = "contractors"
effect = "deny"
corp_users = ["*@CORP.EXAMPLE"]
corp_groups = ["contractors"]
)";
    const std::string head = minimal + "[policy]\norg_export = \"org.json\"\n";
    cgtest::write(dir / "main.toml", head + rules);
    auto r = load_config(dir / "main.toml");
    ASSERT_TRUE(r.cfg) << all(r);
    auto noted = [&](int line, int column, std::string_view text) {
        for (auto& n : r.notes) {
            if (n.line == line && n.column == column && n.message.find(text) != std::string::npos)
                return true;
        }
        return false;
    };
    std::string shown;
    for (auto& n : r.notes) shown += format_diagnostic(n) + "\n";
    // Lines: minimal's 9, [policy] and org_export, then the rules.
    EXPECT_TRUE(noted(15, 29,
                      "the org export places 444455556666 at "
                      "o-a1b2c3d4e5/r-ab12/ou-ab12-22222222/ou-ab12-33333333/, outside "
                      "the rule's ou_paths"))
        << shown;
    EXPECT_TRUE(noted(15, 45, "777788889999 is not in the org export")) << shown;
    EXPECT_TRUE(noted(30, 14, "policy.rule \"contractors\".corp_users: no identity source"))
        << shown;
    EXPECT_TRUE(noted(31, 15, "policy.rule \"contractors\".corp_groups: no identity source"))
        << shown;
    EXPECT_EQ(r.notes.size(), 4u) << shown;

    // With an identity source, corp_users can match; corp_groups still needs groups.
    cgtest::write(dir / "main.toml", head + rules + "[identity]\naddress_map_file = \"map.txt\"\n");
    r = load_config(dir / "main.toml");
    ASSERT_TRUE(r.cfg) << all(r);
    shown.clear();
    for (auto& n : r.notes) shown += format_diagnostic(n) + "\n";
    EXPECT_TRUE(noted(31, 15, "corp_groups: no groups source")) << shown;
    EXPECT_FALSE(noted(30, 14, "")) << shown;
    EXPECT_EQ(r.notes.size(), 3u) << shown;
    cgtest::write(dir / "main.toml", head + rules +
                                         "[identity]\naddress_map_file = \"map.txt\"\n"
                                         "groups_file = \"groups.json\"\n");
    r = load_config(dir / "main.toml");
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_EQ(r.notes.size(), 2u);
}

TEST(config_policy, role_and_user_globs_that_cannot_name_anything_are_refused) {
    auto r = load(minimal + R"(
[[policy.rule]]
name = "x"
effect = "deny"
roles = ["arn:aws:iam::111122223333:role/Admin", "Admin ", "AWSReservedSSO_*", "a+b=c,d.e@f_g-h?"]
users = ["bob smith", "josé@example.com", "*"]
)");
    EXPECT_TRUE(has(r, 13, "can never match a role or permission-set name")) << all(r);
    EXPECT_TRUE(has(r, 13, "write the name alone, e.g. \"Admin\"")) << all(r);
    EXPECT_TRUE(has(r, 14, "\"bob smith\" can never match a user name")) << all(r);
    EXPECT_EQ(r.diagnostics.size(), 3u) << all(r);
}

// Selectors no attempt carries together (core::names_of): root and IAM users sign in as
// themselves, a multi-session host and an access key name the account alone, the access portal
// its instance alone. Each rule validated and never matched; a deny written so let every such
// sign-in through. Refused at the selector with the fix.
TEST(config_policy, selectors_no_flow_carries_together_are_refused) {
    auto r = load(minimal + R"(
[[policy.rule]]
name = "root-admin"
effect = "deny"
flows = ["root"]
roles = ["Admin*"]
[[policy.rule]]
name = "keys-and-hosts"
effect = "deny"
flows = ["iam-user", "multi-session", "api-credentials"]
roles = ["Admin"]
[[policy.rule]]
name = "portal-account"
effect = "deny"
flows = ["identity-center-portal"]
accounts = ["111122223333"]
[[policy.rule]]
name = "instance-not-portal"
effect = "deny"
flows = ["identity-center"]
identity_center_instances = ["d-1234567890"]
[[policy.rule]]
name = "instance-and-account"
effect = "deny"
identity_center_instances = ["d-1234567890"]
accounts = ["111122223333"]
[[policy.rule]]
name = "instance-and-role"
effect = "deny"
identity_center_instances = ["d-1234567890"]
roles = ["Admin"]
)");
    EXPECT_FALSE(r.cfg);
    EXPECT_TRUE(has(r, 14, "policy.rule \"root-admin\".roles: flows [\"root\"] never name a role"))
        << all(r);
    EXPECT_TRUE(has(r, 14, "list a flow that names one (saml, identity-center")) << all(r);
    EXPECT_TRUE(has(
        r, 19, "flows [\"iam-user\", \"multi-session\", \"api-credentials\"] never name a role"))
        << all(r);
    EXPECT_TRUE(has(r, 24, ".accounts: flows [\"identity-center-portal\"] never name an account"))
        << all(r);
    EXPECT_TRUE(has(r, 29, "add \"identity-center-portal\" to flows")) << all(r);
    EXPECT_TRUE(has(r, 33, "name their Identity Center instance and no account (accounts)"))
        << all(r);
    EXPECT_TRUE(has(r, 38, "and no role (roles)")) << all(r);
    EXPECT_EQ(r.diagnostics.size(), 6u) << all(r);
}

// What can occur together is still accepted: one flow of the list names it, a root sign-in's
// answer names the account (judged under the root flow), a user can stand in for any flow.
TEST(config_policy, selectors_some_flow_carries_are_accepted) {
    auto r = load(minimal + R"(
[[policy.rule]]
name = "root-in-prod"
effect = "deny"
flows = ["root"]
accounts = ["111122223333"]
[[policy.rule]]
name = "some-flow-has-a-role"
effect = "deny"
flows = ["root", "saml"]
roles = ["Admin"]
[[policy.rule]]
name = "keys-of-a-user"
effect = "deny"
flows = ["api-credentials"]
users = ["bob"]
[[policy.rule]]
name = "portal"
effect = "allow"
flows = ["identity-center-portal"]
identity_center_instances = ["d-1234567890"]
[[policy.rule]]
name = "portal-any-flow"
effect = "allow"
identity_center_instances = ["mycompany"]
)");
    EXPECT_TRUE(r.cfg) << all(r);
}

// An OU has one parent: an export that places one OU under two parents (two exports merged
// across an OU move), or makes an OU its own ancestor, is two trees, and a deny on the OU's
// real path would miss the accounts of the other. Refused, naming both places.
TEST(config_policy, org_export_with_an_ou_under_two_parents_is_refused) {
    auto dir = cgtest::scratch();
    cgtest::write(dir / "main.toml", minimal + "[policy]\norg_export = \"org.json\"\n");
    cgtest::write(dir / "org.json", R"({"organization_id": "o-a1b2c3d4e5", "accounts": [
  {"id": "111111111111", "path": "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-ab12-22222222/"},
  {"id": "222222222222", "path": "o-a1b2c3d4e5/r-ab12/ou-ab12-33333333/ou-ab12-22222222/"}]})");
    auto r = load_config(dir / "main.toml");
    EXPECT_FALSE(r.cfg);
    EXPECT_TRUE(has(r, 0,
                    "accounts[1].path \"o-a1b2c3d4e5/r-ab12/ou-ab12-33333333/ou-ab12-22222222/\" "
                    "places OU \"ou-ab12-22222222\" at "
                    "\"o-a1b2c3d4e5/r-ab12/ou-ab12-33333333/ou-ab12-22222222/\", and accounts[0] "
                    "at \"o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-ab12-22222222/\""))
        << all(r);
    EXPECT_EQ(r.diagnostics.size(), 1u) << all(r);
    // An OU directly under the root in one account's path and nested in another's.
    cgtest::write(dir / "org.json", R"({"organization_id": "o-a1b2c3d4e5", "accounts": [
  {"id": "111111111111", "path": "o-a1b2c3d4e5/r-ab12/ou-ab12-22222222/"},
  {"id": "222222222222", "path": "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-ab12-22222222/"}]})");
    r = load_config(dir / "main.toml");
    EXPECT_FALSE(r.cfg);
    EXPECT_TRUE(has(r, 0, "an OU has one parent")) << all(r);
    // Its own ancestor.
    cgtest::write(dir / "org.json", R"({"organization_id": "o-a1b2c3d4e5", "accounts": [
  {"id": "111111111111", "path": "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-ab12-11111111/"}]})");
    r = load_config(dir / "main.toml");
    EXPECT_FALSE(r.cfg);
    EXPECT_TRUE(has(r, 0, "accounts[0].path")) << all(r);
    // One tree, accounts at every depth of it: fine.
    cgtest::write(dir / "org.json", R"({"organization_id": "o-a1b2c3d4e5", "accounts": [
  {"id": "111111111111", "path": "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-ab12-22222222/"},
  {"id": "222222222222", "path": "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"},
  {"id": "333333333333", "path": "o-a1b2c3d4e5/r-ab12/"},
  {"id": "444444444444", "path": "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-ab12-22222222/"}]})");
    r = load_config(dir / "main.toml");
    EXPECT_TRUE(r.cfg) << all(r);
}

// The fix in the message: a flow spelled in another case or with '_' (or a prefix naming one
// flow) names the flow meant; the rule's report_only written on the whole policy names the
// global switch (as an unknown key it would have enforced a roll-out meant to only report).
TEST(config_policy, misspelt_flows_and_a_global_report_only_name_the_fix) {
    auto r = load(minimal + R"([policy]
report_only = true
[[policy.rule]]
name = "r"
effect = "allow"
flows = ["SAML", "console_session", "console", "identity-center-p", "identity", "bogus"]
)");
    EXPECT_FALSE(r.cfg);
    EXPECT_TRUE(has(r, 10,
                    "policy.report_only is a rule's key; the whole policy is switched with "
                    "mode = \"report-only\""))
        << all(r);
    EXPECT_TRUE(has(r, 14, "flows[0]: unknown flow \"SAML\"; did you mean \"saml\"?")) << all(r);
    EXPECT_TRUE(has(r, 14,
                    "flows[1]: unknown flow \"console_session\"; did you mean "
                    "\"console-session\"?"))
        << all(r);
    EXPECT_TRUE(has(r, 14, "flows[2]: unknown flow \"console\"; did you mean \"console-session\"?"))
        << all(r);
    EXPECT_TRUE(has(r, 14,
                    "flows[3]: unknown flow \"identity-center-p\"; did you mean "
                    "\"identity-center-portal\"?"))
        << all(r);
    // Two flows start so: the list, no guess.
    EXPECT_TRUE(has(r, 14, "flows[4]: unknown flow \"identity\" (one of iam-user")) << all(r);
    EXPECT_TRUE(has(r, 14, "flows[5]: unknown flow \"bogus\" (one of iam-user")) << all(r);
}

}  // namespace
}  // namespace consolegate::core
