#include "consolegate/core/endpoint_policy.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "consolegate/core/policy.hpp"

namespace cc = consolegate::core;

namespace {

std::string read(const std::string& name) {
    std::ifstream in(std::string(CG_SOURCE_DIR) + "/tests/unit/core/data/" + name,
                     std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

cc::account_id aid(const char* s) {
    return *cc::account_id::parse(s);
}

std::string all(const cc::endpoint_policy_import& r) {
    std::string out;
    for (const auto& d : r.diagnostics) out += d.message + "\n";
    return out;
}

}  // namespace

TEST(endpoint_policy, allow_listed_accounts) {
    auto r = cc::import_endpoint_policy(read("endpoint_allow_accounts.json"),
                                        "policies/endpoint_allow_accounts.json");
    ASSERT_TRUE(r.ok()) << all(r);
    ASSERT_EQ(r.rules.size(), 1u);
    const auto& rule = r.rules[0];
    EXPECT_EQ(rule.name, "endpoint_allow_accounts:AllowConsoleForOurAccounts");
    EXPECT_EQ(rule.effect, cc::rule_effect::allow);
    EXPECT_EQ(rule.where.file, "policies/endpoint_allow_accounts.json");
    ASSERT_EQ(rule.accounts.size(), 3u);
    EXPECT_EQ(rule.accounts[0].str(), "012345678901");  // leading zero kept
    EXPECT_TRUE(rule.org_ids.empty());
    EXPECT_TRUE(rule.ou_paths.empty());
    EXPECT_TRUE(rule.roles.empty());
    EXPECT_TRUE(rule.flows.empty());
}

TEST(endpoint_policy, org_id_and_org_paths) {
    auto r = cc::import_endpoint_policy(read("endpoint_org_paths.json"), "endpoint_org_paths.json");
    ASSERT_TRUE(r.ok()) << all(r);
    ASSERT_EQ(r.rules.size(), 3u);
    EXPECT_EQ(r.rules[0].org_ids, std::vector<std::string>{"o-a1b2c3d4e5"});  // "OrgId" spelling
    EXPECT_EQ(r.rules[1].ou_paths.size(), 2u);
    EXPECT_EQ(r.rules[2].effect, cc::rule_effect::deny);
    EXPECT_EQ(r.rules[2].org_ids.size(), 1u);  // both conditions kept: they AND
    EXPECT_EQ(r.rules[2].ou_paths.size(), 1u);
}

TEST(endpoint_policy, single_statement_object_and_unnamed_statement) {
    auto r = cc::import_endpoint_policy(read("endpoint_single_statement.json"), "single.json");
    ASSERT_TRUE(r.ok()) << all(r);
    ASSERT_EQ(r.rules.size(), 1u);
    EXPECT_EQ(r.rules[0].name, "single:statement-1");
    EXPECT_EQ(r.rules[0].accounts, std::vector<cc::account_id>{aid("000011112222")});
}

TEST(endpoint_policy, imported_rules_evaluate_like_the_endpoint) {
    auto r = cc::import_endpoint_policy(read("endpoint_org_paths.json"), "ep.json");
    ASSERT_TRUE(r.ok()) << all(r);
    cc::policy_config c;
    c.org_id = "o-a1b2c3d4e5";
    c.accounts = {{aid("012345678901"), "prod", "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"},
                  {aid("555566667777"), "suspended", "o-a1b2c3d4e5/r-ab12/ou-ab12-111111111/"}};
    c.rules = r.rules;
    cc::compiled_policy p(c);
    auto decide = [&](const char* account) {
        cc::sign_in_attempt a;
        a.account = aid(account);
        return cc::evaluate(a, p, cc::elevation_view::unavailable(), {});
    };
    EXPECT_EQ(decide("012345678901").verdict, cc::effect::allow);
    auto suspended = decide("555566667777");
    EXPECT_EQ(suspended.verdict, cc::effect::deny);
    EXPECT_EQ(suspended.rule, "ep:DenySuspendedInOurOrg");
    EXPECT_EQ(decide("999999999999").why, cc::reason::default_deny);
}

TEST(endpoint_policy, one_unsupported_statement_refuses_the_whole_policy) {
    // Importing only the Allow would drop the Deny: nothing is imported.
    auto r = cc::import_endpoint_policy(read("endpoint_unsupported.json"), "ep.json");
    EXPECT_FALSE(r.ok());
    EXPECT_TRUE(r.rules.empty());
    ASSERT_EQ(r.diagnostics.size(), 1u);
    EXPECT_NE(r.diagnostics[0].message.find("Statement[1].Condition.ArnNotLike"), std::string::npos)
        << r.diagnostics[0].message;
}

namespace {

struct bad_row {
    const char* label;
    const char* json;
    const char* expect;  // substring of a diagnostic
};

std::ostream& operator<<(std::ostream& os, const bad_row& r) {
    return os << r.label;
}

class endpoint_policy_bad : public ::testing::TestWithParam<bad_row> {};

#define STMT(body)                                                                          \
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\"," \
    "\"Action\":\"*\",\"Resource\":\"*\"," body "}]}"

}  // namespace

TEST_P(endpoint_policy_bad, is_a_diagnostic_never_a_wider_rule) {
    const auto& r = GetParam();
    auto out = cc::import_endpoint_policy(r.json, "bad.json");
    EXPECT_FALSE(out.ok());
    EXPECT_TRUE(out.rules.empty());
    EXPECT_NE(all(out).find(r.expect), std::string::npos) << all(out);
    for (const auto& d : out.diagnostics) {
        EXPECT_EQ(d.where.file, "bad.json");
        // Every problem is placed in the file, not only the syntax errors.
        EXPECT_EQ(d.where.line, 1) << d.message;
        EXPECT_GT(d.where.column, 0) << d.message;
    }
}

INSTANTIATE_TEST_SUITE_P(
    samples, endpoint_policy_bad,
    ::testing::Values(
        bad_row{"not JSON", "{\"Statement\": [", "invalid JSON"},
        bad_row{"not an object", "[]", "must be a JSON object"},
        bad_row{"no statement", "{\"Version\":\"2012-10-17\"}", "missing \"Statement\""},
        bad_row{"empty statement list", "{\"Statement\":[]}", "allow nothing"},
        bad_row{"bad version", "{\"Version\":\"2020-01-01\",\"Statement\":[]}", "Version"},
        bad_row{"unknown top-level element", "{\"Statment\":[]}", "unknown policy element"},
        bad_row{"effect spelling", "{\"Statement\":[{\"Effect\":\"allow\",\"Principal\":\"*\"}]}",
                "must be \"Allow\" or \"Deny\""},
        bad_row{"missing effect", "{\"Statement\":[{\"Principal\":\"*\"}]}", "missing \"Effect\""},
        bad_row{"principal restricted",
                "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":"
                "\"arn:aws:iam::111122223333:root\"}}]}",
                "only \"*\" can be imported"},
        bad_row{"account principal",
                "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":["
                "\"*\",\"111122223333\"]}}]}",
                "\"111122223333\"; write \"Principal\": \"*\" and name the account under "
                "Condition, StringEquals aws:PrincipalAccount"},
        bad_row{"service principal",
                "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"x\"}}]}",
                "{\"AWS\": \"*\"}"},
        bad_row{"action of another service",
                "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\","
                "\"Action\":\"s3:*\"}]}",
                "action not supported: \"s3:*\""},
        // IAM matches "<service>:<action>" with '*' and '?' (IAM JSON policy elements:
        // Action): "s*" names s3's actions too, which a Deny on the console endpoint refuses.
        bad_row{"deny of other services' actions by a prefix wildcard",
                "{\"Statement\":[{\"Sid\":\"NoS\",\"Effect\":\"Deny\",\"Principal\":\"*\","
                "\"Action\":[\"signin:CreateOAuth2Token\",\"s*\"]}]}",
                "statement \"NoS\": \"s*\" matches other services' actions too"},
        bad_row{"deny of every service's Authenticate",
                "{\"Statement\":[{\"Effect\":\"Deny\",\"Principal\":\"*\","
                "\"Action\":\"*:Authenticate\"}]}",
                "\"*:Authenticate\" matches other services' actions too"},
        // Console sign-in needs each step allowed: the two statements' paths must meet.
        bad_row{"paths of two steps that cannot be intersected",
                "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":"
                "\"signin:Authenticate\"},{\"Effect\":\"Allow\",\"Principal\":\"*\","
                "\"Action\":\"signin:AuthorizeOAuth2Access\",\"Condition\":{\"StringLike\":{"
                "\"aws:PrincipalOrgPaths\":\"o-a1b2c3d4e5/*/ou-ab12-11111111/\"}}},"
                "{\"Sid\":\"Tok\",\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":"
                "\"signin:CreateOAuth2Token\",\"Condition\":{\"StringLike\":{"
                "\"aws:PrincipalOrgPaths\":\"o-a1b2c3d4e5/r-ab12/*\"}}}]}",
                "statement \"Tok\" allows a step of console sign-in"},
        bad_row{"unknown sign-in action",
                "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\","
                "\"Action\":[\"signin:Authenticate\",\"signin:FederateRoot\"]}]}",
                "action not supported: \"signin:FederateRoot\""},
        bad_row{"account sign-up allowed",
                "{\"Statement\":[{\"Sid\":\"Signup\",\"Effect\":\"Allow\",\"Principal\":\"*\","
                "\"Action\":[\"signin:Authenticate\",\"signin:CreateAccount\"]}]}",
                "statement \"Signup\": signin:CreateAccount cannot be allowed"},
        // NotAction of another service leaves out actions no rule can leave out one by one.
        bad_row{"NotAction of another service",
                "{\"Statement\":[{\"Effect\":\"Deny\",\"Principal\":\"*\","
                "\"NotAction\":[\"signin:CreateAccount\",\"s3:*\"]}]}",
                "\"s3:*\" leaves out actions of other services"},
        bad_row{"NotAction of an unknown sign-in action",
                "{\"Statement\":[{\"Effect\":\"Deny\",\"Principal\":\"*\","
                "\"NotAction\":\"signin:FederateRoot\"}]}",
                "action not supported: \"signin:FederateRoot\" (NotAction"},
        bad_row{"NotPrincipal naming a principal",
                "{\"Statement\":[{\"Effect\":\"Deny\",\"NotPrincipal\":{\"AWS\":"
                "\"arn:aws:iam::111122223333:root\"},\"Action\":\"*\"}]}",
                "StringNotEquals aws:PrincipalAccount (a Deny of every account but those)"},
        bad_row{"NotResource naming a resource", STMT("\"NotResource\":\"arn:aws:s3:::b/*\""),
                "the gateway does not judge the resource a request names"},
        // No key the gateway judges holds an ARN.
        bad_row{"ARN operator",
                STMT("\"Condition\":{\"ArnNotEquals\":{\"aws:PrincipalAccount\":"
                     "\"111122223333\"}}"),
                "ARN operators compare ARNs"},
        bad_row{"ARN operator after a qualifier",
                STMT("\"Condition\":{\"ForAnyValue:ArnLike\":{\"aws:PrincipalOrgPaths\":"
                     "\"o-a1b2c3d4e5/*\"}}"),
                "ARN operators compare ARNs"},
        bad_row{"numeric operator",
                STMT("\"Condition\":{\"NumericNotEquals\":{\"aws:PrincipalAccount\":"
                     "\"111122223333\"}}"),
                "the keys the gateway judges are strings"},
        bad_row{"Null after a qualifier",
                STMT("\"Condition\":{\"ForAllValues:Null\":{\"aws:PrincipalOrgID\":"
                     "\"true\"}}"),
                "Null takes no set qualifier"},
        bad_row{"Null of something else than true or false",
                STMT("\"Condition\":{\"Null\":{\"aws:PrincipalOrgID\":\"yes\"}}"),
                "Null takes \"true\""},
        bad_row{"negated operator on a key not supported",
                STMT("\"Condition\":{\"StringNotEquals\":{\"aws:SourceVpce\":"
                     "\"vpce-1\"}}"),
                "condition key not supported"},
        bad_row{"negated operator on a value no account has",
                STMT("\"Condition\":{\"StringNotEquals\":{\"aws:PrincipalAccount\":"
                     "\"1234\"}}"),
                "not a 12-digit account ID"},
        bad_row{"negated operator with a policy variable",
                STMT("\"Condition\":{\"StringNotLike\":{\"aws:PrincipalOrgPaths\":"
                     "\"${aws:PrincipalOrgID}/*\"}}"),
                "policy variables cannot be imported"},
        bad_row{"other key",
                STMT("\"Condition\":{\"StringLike\":{\"aws:PrincipalArn\":"
                     "\"arn:aws:iam::*:role/Admin\"}}"),
                "condition key not supported"},
        bad_row{"wildcard account",
                STMT("\"Condition\":{\"StringLike\":{\"aws:PrincipalAccount\":\"1111*\"}}"),
                "wildcards in account IDs"},
        bad_row{"short account",
                STMT("\"Condition\":{\"StringEquals\":{\"aws:PrincipalAccount\":"
                     "\"12345678901\"}}"),
                "not a 12-digit account ID"},
        bad_row{"numeric account",
                STMT("\"Condition\":{\"StringEquals\":{\"aws:PrincipalAccount\":123456789012}}"),
                "must be a string or a list of strings"},
        bad_row{"wildcard org",
                STMT("\"Condition\":{\"StringLike\":{\"aws:PrincipalOrgID\":\"o-*\"}}"),
                "wildcards in organization IDs"},
        bad_row{"star under StringEquals on paths",
                STMT("\"Condition\":{\"StringEquals\":{\"aws:PrincipalOrgPaths\":"
                     "\"o-a1b2c3d4e5/*\"}}"),
                "use StringLike"},
        bad_row{"malformed path",
                STMT("\"Condition\":{\"StringEquals\":{\"aws:PrincipalOrgPaths\":"
                     "\"o-a1b2c3d4e5/r-ab12/ou-ab12-1111111/\"}}"),
                "not an organization path"},
        bad_row{"empty list",
                STMT("\"Condition\":{\"StringEquals\":{\"aws:PrincipalAccount\":[]}}"),
                "empty list"},
        bad_row{"duplicate operator key",
                STMT("\"Condition\":{\"StringEquals\":{\"aws:PrincipalAccount\":"
                     "\"111122223333\"},\"StringEquals\":{\"aws:PrincipalOrgID\":"
                     "\"o-a1b2c3d4e5\"}}"),
                "duplicate key \"StringEquals\""},
        bad_row{"policy variable",
                STMT("\"Condition\":{\"StringLike\":{\"aws:PrincipalOrgPaths\":"
                     "\"${aws:PrincipalOrgID}/*\"}}"),
                "policy variables"},
        bad_row{"duplicate Sid",
                "{\"Statement\":[{\"Sid\":\"A\",\"Effect\":\"Allow\",\"Principal\":\"*\"},"
                "{\"Sid\":\"A\",\"Effect\":\"Allow\",\"Principal\":\"*\"}]}",
                "duplicate Sid"},
        bad_row{"statement not an object", "{\"Statement\":[\"Allow\"]}", "must be an object"},
        // Under Action "*" (the console endpoint) aws:ResourceAccount names the resources a
        // session reaches, not the account signed in to.
        bad_row{"resource account under every action",
                STMT("\"Condition\":{\"StringEquals\":{\"aws:ResourceAccount\":"
                     "\"111122223333\"}}"),
                "names the resources a console session reaches"},
        // Before authentication only aws:Resource* keys exist ("Trusted identities").
        bad_row{"principal account before authentication",
                "{\"Statement\":[{\"Sid\":\"PreAuth\",\"Effect\":\"Allow\",\"Principal\":\"*\","
                "\"Action\":\"signin:Authenticate\",\"Condition\":{\"StringEquals\":{"
                "\"aws:PrincipalAccount\":\"111122223333\"}}}]}",
                "statement \"PreAuth\": aws:PrincipalAccount is not available before "
                "authentication"},
        bad_row{"principal org by an action glob",
                "{\"Statement\":[{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":"
                "\"signin:*\",\"Condition\":{\"StringLike\":{\"aws:PrincipalOrgPaths\":"
                "\"o-a1b2c3d4e5/*\"}}}]}",
                "statement \"statement-1\": aws:PrincipalOrgPaths is not available before"},
        bad_row{"sign-up under a condition",
                "{\"Statement\":[{\"Sid\":\"NoSignUp\",\"Effect\":\"Deny\",\"Principal\":\"*\","
                "\"Action\":\"signin:CreateAccount\",\"Condition\":{\"StringEquals\":{"
                "\"aws:ResourceAccount\":\"111122223333\"}}}]}",
                "statement \"NoSignUp\": signin:CreateAccount takes no condition keys"},
        bad_row{"source address",
                "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":"
                "\"signin:Authenticate\",\"Condition\":{\"StringEquals\":{"
                "\"aws:SourceVpce\":\"vpce-0123456789abcdef0\"}}}]}",
                "condition key not supported"}));

// config/README.md: imported rules are appended after every [[policy.rule]] and ranked with them
// by effect (core/policy.hpp): an explicit Deny wins over any Allow, whichever file or policy
// either comes from; an Allow of either allows; what nothing allows is denied.
TEST(endpoint_policy, imported_rules_combine_with_the_rules_and_each_other_deny_first) {
    auto console = cc::import_endpoint_policy(R"({"Statement":[
      {"Sid":"Ours","Effect":"Allow","Principal":"*","Action":"*","Resource":"*",
       "Condition":{"StringEquals":{"aws:PrincipalAccount":["111122223333","222233334444"]}}},
      {"Sid":"NotThat","Effect":"Deny","Principal":"*","Action":"*","Resource":"*",
       "Condition":{"StringEquals":{"aws:PrincipalAccount":"222233334444"}}}]})",
                                              "console.json");
    auto sign_in = cc::import_endpoint_policy(R"({"Statement":{"Sid":"NoSandbox",
      "Effect":"Deny","Principal":"*","Action":"signin:Authenticate",
      "Condition":{"StringEquals":{"aws:ResourceAccount":"333344445555"}}}})",
                                              "signin.json");
    ASSERT_TRUE(console.ok()) << all(console);
    ASSERT_TRUE(sign_in.ok()) << all(sign_in);
    cc::policy_config c;
    cc::rule_config toml_allow;
    toml_allow.name = "sandbox";
    toml_allow.effect = cc::rule_effect::allow;
    toml_allow.accounts = {aid("333344445555"), aid("444455556666")};
    cc::rule_config toml_deny;
    toml_deny.name = "no-444";
    toml_deny.effect = cc::rule_effect::deny;
    toml_deny.accounts = {aid("111122223333")};
    toml_deny.flows = {cc::sign_in_flow::switch_role};
    c.rules = {toml_allow, toml_deny};
    for (const auto* r : {&console, &sign_in})
        c.rules.insert(c.rules.end(), r->rules.begin(), r->rules.end());
    cc::compiled_policy p(c);
    auto decide = [&](const char* account, cc::sign_in_flow flow) {
        cc::sign_in_attempt a;
        a.account = aid(account);
        a.flow = flow;
        auto d = cc::evaluate(a, p, cc::elevation_view::unavailable(), {});
        return std::string(d.verdict == cc::effect::allow ? "allow " : "deny ") + d.rule;
    };
    using F = cc::sign_in_flow;
    EXPECT_EQ(decide("111122223333", F::saml), "allow console:Ours");
    EXPECT_EQ(decide("111122223333", F::switch_role), "deny no-444");     // a TOML deny wins
    EXPECT_EQ(decide("222233334444", F::saml), "deny console:NotThat");   // over its own Allow
    EXPECT_EQ(decide("333344445555", F::saml), "deny signin:NoSandbox");  // over a TOML allow
    EXPECT_EQ(decide("333344445555", F::console_session), "allow sandbox");
    EXPECT_EQ(decide("444455556666", F::iam_user), "allow sandbox");
    EXPECT_EQ(decide("555566667777", F::iam_user), "deny ");  // nothing allows it
}

// StringEqualsIgnoreCase is StringEquals ignoring case (IAM JSON policy elements: Condition
// operators): "O-A1B2C3D4E5" names the organization o-a1b2c3d4e5, which StringEquals would
// never match (organization IDs are lowercase), and is refused under it.
TEST(endpoint_policy, string_equals_ignore_case_matches_ids_whatever_their_case) {
    auto r = cc::import_endpoint_policy(
        STMT("\"Condition\":{\"StringEqualsIgnoreCase\":{\"aws:PrincipalOrgID\":"
             "\"O-A1B2C3D4E5\"},\"ForAnyValue:StringEqualsIgnoreCase\":{"
             "\"aws:PrincipalOrgPaths\":\"O-A1B2C3D4E5/R-AB12/OU-AB12-11111111/\","
             "\"aws:PrincipalAccount\":[\"111122223333\"]}}"),
        "p.json");
    ASSERT_TRUE(r.ok()) << all(r);
    ASSERT_EQ(r.rules.size(), 1u);
    EXPECT_EQ(r.rules[0].org_ids, std::vector<std::string>{"o-a1b2c3d4e5"});
    EXPECT_EQ(r.rules[0].ou_paths,
              std::vector<std::string>{"o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"});
    EXPECT_EQ(r.rules[0].accounts, std::vector<cc::account_id>{aid("111122223333")});
    r = cc::import_endpoint_policy(
        STMT("\"Condition\":{\"StringEquals\":{\"aws:PrincipalOrgID\":\"O-A1B2C3D4E5\"}}"),
        "p.json");
    EXPECT_NE(all(r).find("not an organization ID"), std::string::npos) << all(r);
    // A '*' is literal under it as under StringEquals.
    r = cc::import_endpoint_policy(
        STMT("\"Condition\":{\"StringEqualsIgnoreCase\":{\"aws:PrincipalOrgPaths\":"
             "\"o-a1b2c3d4e5/*\"}}"),
        "p.json");
    EXPECT_NE(all(r).find("use StringLike"), std::string::npos) << all(r);
}

// IAM requires every test of a Condition: a key written under two operators, or
// aws:ResourceAccount beside aws:PrincipalAccount in a statement of the OAuth 2.0 actions,
// selects what both lists select; lists with nothing in common match nothing, so the statement
// gives no rule (an Allow allows nothing, a Deny refuses nothing, as on AWS).
TEST(endpoint_policy, a_key_written_twice_selects_what_both_select) {
    auto r = cc::import_endpoint_policy(R"({"Statement":[
      {"Sid":"Both","Effect":"Allow","Principal":"*","Action":"*",
       "Condition":{"StringEquals":{"aws:PrincipalAccount":["111122223333","222233334444"],
                                    "aws:PrincipalOrgPaths":"o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"},
                    "StringLike":{"aws:principalaccount":["222233334444","333344445555"],
                                  "aws:PrincipalOrgPaths":"o-a1b2c3d4e5/r-ab12/*"}}},
      {"Sid":"Phases","Effect":"Deny","Principal":"*","Action":"signin:CreateOAuth2Token",
       "Condition":{"StringEquals":{"aws:ResourceAccount":"444455556666",
                                    "aws:PrincipalAccount":["444455556666","555566667777"]}}},
      {"Sid":"Never","Effect":"Deny","Principal":"*","Action":"*",
       "Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"},
                    "ForAnyValue:StringEquals":{"aws:PrincipalOrgID":"o-f6g7h8i9j0"}}}]})",
                                        "twice.json");
    ASSERT_TRUE(r.ok()) << all(r);
    ASSERT_EQ(r.rules.size(), 2u);
    EXPECT_EQ(r.rules[0].name, "twice:Both");
    EXPECT_EQ(r.rules[0].accounts, std::vector<cc::account_id>{aid("222233334444")});
    EXPECT_EQ(r.rules[0].ou_paths,
              std::vector<std::string>{"o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"});
    EXPECT_EQ(r.rules[1].name, "twice:Phases");
    EXPECT_EQ(r.rules[1].accounts, std::vector<cc::account_id>{aid("444455556666")});
    // Paths whose shapes cannot be intersected are refused, never one of them dropped.
    auto bad = cc::import_endpoint_policy(
        STMT("\"Condition\":{\"StringLike\":{\"aws:PrincipalOrgPaths\":"
             "\"o-a1b2c3d4e5/*/ou-ab12-11111111/\"},\"ForAnyValue:StringLike\":{"
             "\"aws:PrincipalOrgPaths\":\"o-a1b2c3d4e5/r-ab12/*\"}}"),
        "p.json");
    EXPECT_NE(all(bad).find("cannot be intersected"), std::string::npos) << all(bad);
}

TEST(endpoint_policy, parse_errors_carry_line_and_column) {
    auto r = cc::import_endpoint_policy("{\n  \"Statement\": [\n    {\"Effect\": }\n]}", "p.json");
    ASSERT_EQ(r.diagnostics.size(), 1u);
    EXPECT_EQ(r.diagnostics[0].where.line, 3);
    EXPECT_GT(r.diagnostics[0].where.column, 1);
}

// What is refused after parsing is reported where it is written, as check-config's
// FILE:LINE:COL: an object member at its key, a list element at its first character, a
// statement's missing element at the statement.
TEST(endpoint_policy, every_diagnostic_is_placed_at_its_element) {
    auto r = cc::import_endpoint_policy(R"({
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
     "Condition": {
       "ArnNotEquals":    {"aws:PrincipalAccount": "111122223333"},
       "StringEquals": {"aws:PrincipalAccount": ["111122223333",
                                                "1234"],
                        "aws:Source\u0049p": "10.0.0.0/8"}}},
    {"Effect": "allow", "Principal": "*"},
      {"Principal": "*"}
  ],
  "Statment": []
})",
                                        "p.json");
    auto at = [&](std::string_view needle) {
        for (const auto& d : r.diagnostics) {
            if (d.message.find(needle) != std::string::npos) {
                return std::to_string(d.where.line) + ":" + std::to_string(d.where.column);
            }
        }
        return std::string("not found");
    };
    EXPECT_EQ(at("Condition.ArnNotEquals: condition operator"), "6:8") << all(r);
    EXPECT_EQ(at("aws:PrincipalAccount[1]: not a 12-digit"), "8:49") << all(r);
    // A key written with an escape is found by the name it decodes to.
    EXPECT_EQ(at("aws:SourceIp: condition key not supported"), "9:25") << all(r);
    EXPECT_EQ(at("Statement[1].Effect: must be"), "10:6") << all(r);
    EXPECT_EQ(at("Statement[2]: missing \"Effect\""), "11:7") << all(r);
    EXPECT_EQ(at("Statment: unknown policy element"), "13:3") << all(r);
    EXPECT_EQ(r.diagnostics.size(), 6u) << all(r);
    // Missing "Statement": the document itself, at its first character.
    r = cc::import_endpoint_policy("\n  {\"Version\": \"2012-10-17\"}", "p.json");
    ASSERT_EQ(r.diagnostics.size(), 1u) << all(r);
    EXPECT_EQ(r.diagnostics[0].where.line, 2);
    EXPECT_EQ(r.diagnostics[0].where.column, 3);
}

TEST(endpoint_policy, size_cap) {
    std::string big(cc::endpoint_policy_max_bytes + 1, ' ');
    auto r = cc::import_endpoint_policy(big, "p.json");
    ASSERT_EQ(r.diagnostics.size(), 1u);
    EXPECT_NE(r.diagnostics[0].message.find("larger than"), std::string::npos);
}

TEST(endpoint_policy, all_problems_in_one_run) {
    auto r = cc::import_endpoint_policy(
        STMT("\"Condition\":{\"StringLike\":{\"aws:PrincipalAccount\":[\"1*\",\"x\"],"
             "\"aws:SourceIp\":\"10.0.0.0/8\"}}"),
        "p.json");
    EXPECT_EQ(r.diagnostics.size(), 3u) << all(r);
}

// Before authentication (signin:Authenticate) AWS has only aws:ResourceAccount /
// aws:ResourceOrgID (AWS Management Console, "Trusted identities"); this test wrote
// aws:PrincipalAccount there, which AWS never matches and the importer now refuses.
TEST(endpoint_policy, sign_in_actions_select_their_flows) {
    using F = cc::sign_in_flow;
    auto r = cc::import_endpoint_policy(R"({"Statement":[
      {"Sid":"Console","Effect":"Allow","Principal":"*","Action":"signin:Authenticate",
       "Resource":"*","Condition":{"StringEquals":{"aws:ResourceAccount":"111122223333"}}},
      {"Sid":"Cli","Effect":"Allow","Principal":"*",
       "Action":["signin:CreateOAuth2Token","SIGNIN:authorizeoauth2access"],
       "Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}},
      {"Sid":"NoProd","Effect":"Deny","Principal":"*","Action":"signin:*",
       "Condition":{"StringEquals":{"aws:ResourceAccount":"444455556666"}}}]})",
                                        "signin.json");
    ASSERT_TRUE(r.ok()) << all(r);
    // "Console" alone allows no console sign-in (the OAuth 2.0 pair must be allowed too): it
    // comes back as the console sign-in flows of what it and "Cli" both select.
    ASSERT_EQ(r.rules.size(), 3u);
    EXPECT_EQ(r.rules[0].name, "signin:Cli");
    EXPECT_EQ(r.rules[0].flows, std::vector<F>{F::cli_sign_in});
    // signin:* is every sign-in action, not every flow: console use is the console endpoint's.
    EXPECT_EQ(r.rules[1].name, "signin:NoProd");
    EXPECT_EQ(r.rules[1].flows, (std::vector<F>{F::iam_user, F::root, F::saml, F::identity_center,
                                                F::custom_broker, F::switch_role, F::cli_sign_in}));
    EXPECT_EQ(r.rules[2].name, "signin:Console+Cli");
    EXPECT_EQ(r.rules[2].flows, (std::vector<F>{F::iam_user, F::root, F::saml, F::identity_center,
                                                F::custom_broker, F::switch_role}));
    EXPECT_EQ(r.rules[2].accounts, std::vector<cc::account_id>{aid("111122223333")});
    EXPECT_EQ(r.rules[2].org_ids, std::vector<std::string>{"o-a1b2c3d4e5"});
    // Its Condition never matches sign-up, which has no condition keys (an anonymous
    // principal, "Trusted identities"): signin:CreateAccount is not denied by it.
    EXPECT_FALSE(r.denies_account_sign_up);
    auto unconditioned = cc::import_endpoint_policy(
        R"({"Statement":{"Effect":"Deny","Principal":"*","Action":"signin:*"}})", "all.json");
    ASSERT_TRUE(unconditioned.ok()) << all(unconditioned);
    EXPECT_TRUE(unconditioned.denies_account_sign_up);

    // Allowed to get CLI credentials for an account of the organization is not allowed to sign
    // in to its console, which signin:Authenticate allows for 111122223333 alone.
    cc::policy_config c;
    c.org_id = "o-a1b2c3d4e5";
    c.accounts = {{aid("111122223333"), "ours", "o-a1b2c3d4e5/r-ab12/"},
                  {aid("222233334444"), "shared", "o-a1b2c3d4e5/r-ab12/"}};
    c.rules = r.rules;
    cc::compiled_policy p(c);
    auto verdict = [&](const char* account, F flow) {
        cc::sign_in_attempt a;
        a.account = aid(account);
        a.flow = flow;
        a.phase = flow == F::cli_sign_in ? cc::auth_phase::post_auth : cc::auth_phase::pre_auth;
        return cc::evaluate(a, p, cc::elevation_view::unavailable(), {}).verdict;
    };
    EXPECT_EQ(verdict("111122223333", F::iam_user), cc::effect::allow);
    EXPECT_EQ(verdict("111122223333", F::cli_sign_in), cc::effect::allow);
    EXPECT_EQ(verdict("222233334444", F::cli_sign_in), cc::effect::allow);
    EXPECT_EQ(verdict("222233334444", F::iam_user), cc::effect::deny);
}

// AWS evaluates a console sign-in through the Sign-In endpoint before authentication
// (signin:Authenticate) and after it (signin:AuthorizeOAuth2Access, signin:CreateOAuth2Token),
// separately ("Trusted identities"; "console sign-in uses OAuth 2.0, which flows through all
// three actions", AWS Sign-In User Guide): it succeeds only where each of the three is allowed,
// by any statement. Before, an Allow of signin:Authenticate alone was taken for the console
// sign-in flows, so a policy opening the sign-in page to everyone and the OAuth 2.0 pair to one
// account let a console sign-in to any account through.
TEST(endpoint_policy, a_console_sign_in_needs_each_of_its_three_actions_allowed) {
    using F = cc::sign_in_flow;
    cc::policy_config c;
    c.org_id = "o-a1b2c3d4e5";
    c.accounts = {
        {aid("111122223333"), "a", "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"},
        {aid("222233334444"), "b", "o-a1b2c3d4e5/r-ab12/ou-ab12-22222222/"},
        {aid("333344445555"), "c", "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-ab12-33333333/"}};
    auto verdicts = [&](const char* policy) {
        auto r = cc::import_endpoint_policy(policy, "p.json");
        EXPECT_TRUE(r.ok()) << all(r);
        c.rules = r.rules;
        cc::compiled_policy p(c);
        std::string out;
        for (const char* account :
             {"111122223333", "222233334444", "333344445555", "999988887777"}) {
            // A console sign-in, then `aws login`'s two steps (each its own action).
            for (auto step : {cc::oauth2_action::none, cc::oauth2_action::authorize,
                              cc::oauth2_action::token}) {
                cc::sign_in_attempt a;
                a.account = aid(account);
                bool cli = step != cc::oauth2_action::none;
                a.flow = cli ? F::cli_sign_in : F::saml;
                a.phase = cli ? cc::auth_phase::post_auth : cc::auth_phase::pre_auth;
                a.oauth_action = step;
                auto d = cc::evaluate(a, p, cc::elevation_view::unavailable(), {});
                out += d.verdict == cc::effect::allow ? 'A' : '-';
            }
            out += ' ';
        }
        return out;
    };
    // The sign-in page for anyone, tokens for one account: console sign-in to that one only.
    EXPECT_EQ(verdicts(R"({"Statement":[
      {"Sid":"Page","Effect":"Allow","Principal":"*","Action":"signin:Authenticate"},
      {"Sid":"Tokens","Effect":"Allow","Principal":"*",
       "Action":["signin:AuthorizeOAuth2Access","signin:CreateOAuth2Token"],
       "Condition":{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}}]})"),
              "AAA --- --- --- ");
    // One OAuth 2.0 action allowed, the other not: no console sign-in; `aws login` at the step
    // allowed only.
    EXPECT_EQ(verdicts(R"({"Statement":[
      {"Effect":"Allow","Principal":"*","Action":"signin:Authenticate"},
      {"Effect":"Allow","Principal":"*","Action":"signin:CreateOAuth2Token"}]})"),
              "--A --A --A --A ");
    // Each action by its own statement: what all three select (an OU and its subtree meet in
    // the OU's accounts below it; accounts and organizations meet in both).
    EXPECT_EQ(verdicts(R"({"Statement":[
      {"Effect":"Allow","Principal":"*","Action":"signin:Authenticate",
       "Condition":{"StringEquals":{"aws:ResourceOrgID":"o-a1b2c3d4e5"}}},
      {"Effect":"Allow","Principal":"*","Action":"signin:AuthorizeOAuth2Access",
       "Condition":{"StringLike":{"aws:PrincipalOrgPaths":"o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*"}}},
      {"Effect":"Allow","Principal":"*","Action":"signin:CreateOAuth2Token",
       "Condition":{"ForAnyValue:StringLike":{"aws:PrincipalOrgPaths":
         "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-ab12-33333333/*"}}}]})"),
              "-A- --- AAA --- ");
    // Two ways to allow a step: either will do (statements OR, the steps AND).
    EXPECT_EQ(verdicts(R"({"Statement":[
      {"Effect":"Allow","Principal":"*","Action":"signin:Authenticate",
       "Condition":{"StringEquals":{"aws:ResourceAccount":["111122223333","222233334444",
                                                            "999988887777"]}}},
      {"Effect":"Allow","Principal":"*","Action":"signin:*OAuth2*",
       "Condition":{"StringEquals":{"aws:PrincipalAccount":"999988887777"}}},
      {"Effect":"Allow","Principal":"*","Action":"signin:CreateOAuth2Token",
       "Condition":{"StringEquals":{"aws:PrincipalAccount":"222233334444"}}},
      {"Effect":"Allow","Principal":"*","Action":"signin:AuthorizeOAuth2Access",
       "Condition":{"StringEquals":{"aws:PrincipalAccount":["222233334444","999988887777"]}}}]})"),
              "--- AAA --- AAA ");
    // Action "*" is every step at once.
    EXPECT_EQ(verdicts(R"({"Statement":[
      {"Effect":"Allow","Principal":"*","Action":"*",
       "Condition":{"StringEquals":{"aws:PrincipalAccount":"333344445555"}}},
      {"Effect":"Allow","Principal":"*","Action":"signin:Authenticate"}]})"),
              "--- --- AAA --- ");
}

// "*:*" and "**" match every action as "*" does; a Deny of them refuses the console's own
// flows too, not only the sign-in ones. An Allow of a pattern that also names other services'
// actions ("sign*:Auth*") selects the sign-in flows it names: the rest is not the gateway's to
// allow.
TEST(endpoint_policy, action_patterns_are_matched_as_iam_matches_them) {
    auto flows_of = [](const char* action, const char* effect) {
        auto r = cc::import_endpoint_policy(std::string("{\"Statement\":{\"Effect\":\"") + effect +
                                                "\",\"Principal\":\"*\",\"Action\":" + action +
                                                ",\"Resource\":\"*\"}}",
                                            "p.json");
        EXPECT_TRUE(r.ok()) << action << ": " << all(r);
        return r.ok() ? r.rules.at(0).flows : std::vector<cc::sign_in_flow>{cc::sign_in_flow::root};
    };
    EXPECT_TRUE(flows_of("\"*:*\"", "Deny").empty());  // every flow
    EXPECT_TRUE(flows_of("[\"**\", \"signin:CreateOAuth2Token\"]", "Deny").empty());
    EXPECT_TRUE(flows_of("\"*:*\"", "Allow").empty());
    EXPECT_EQ(flows_of("\"sign*:Auth*\"", "Allow"),
              flows_of("[\"signin:Authenticate\", \"signin:AuthorizeOAuth2Access\"]", "Allow"));
    // Written out, the prefix names AWS Sign-In alone, whatever its case.
    auto deny = flows_of("\"SignIn:Create?Auth2Token\"", "Deny");
    EXPECT_NE(std::find(deny.begin(), deny.end(), cc::sign_in_flow::cli_sign_in), deny.end());
    EXPECT_EQ(std::find(deny.begin(), deny.end(), cc::sign_in_flow::console_session), deny.end());
}

TEST(endpoint_policy, a_deny_of_create_account_alone_is_the_sign_up_setting) {
    auto r = cc::import_endpoint_policy(
        R"({"Statement":{"Effect":"Deny","Principal":"*","Action":"signin:CreateAccount"}})",
        "signup.json");
    ASSERT_TRUE(r.ok()) << all(r);
    EXPECT_TRUE(r.rules.empty());  // no rule: flows empty would match every sign-in
    EXPECT_TRUE(r.denies_account_sign_up);
    // "*" stays every flow, and an Allow of it says nothing about sign-up (decided before the
    // rules).
    r = cc::import_endpoint_policy(
        R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"*"}})", "all.json");
    ASSERT_TRUE(r.ok()) << all(r);
    ASSERT_EQ(r.rules.size(), 1u);
    EXPECT_TRUE(r.rules[0].flows.empty());
    EXPECT_FALSE(r.denies_account_sign_up);
    // An unconditioned Deny of "*" (or "*:*") is signin:CreateAccount's too; under a Condition
    // it never matches sign-up, which has no condition keys.
    for (const char* action : {"\"*\"", "\"*:*\"", "[\"signin:Authenticate\", \"*\"]"}) {
        r = cc::import_endpoint_policy(
            std::string(R"({"Statement":{"Effect":"Deny","Principal":"*","Action":)") + action +
                "}}",
            "all.json");
        ASSERT_TRUE(r.ok()) << all(r);
        EXPECT_TRUE(r.denies_account_sign_up) << action;
    }
    r = cc::import_endpoint_policy(
        R"({"Statement":{"Effect":"Deny","Principal":"*","Action":"*","Condition":
            {"StringEquals":{"aws:PrincipalAccount":"111122223333"}}}})",
        "all.json");
    ASSERT_TRUE(r.ok()) << all(r);
    EXPECT_FALSE(r.denies_account_sign_up);
}

// The Sign-In VPC endpoint policy as AWS documents it today (AWS Management Console, "Trusted
// identities"): pre-authentication statements can only say aws:ResourceAccount /
// aws:ResourceOrgID (the account signed in to), post-authentication ones aws:Principal*. Both
// are the account the gateway judges, so both import, as accounts and organizations.
TEST(endpoint_policy, the_documented_sign_in_endpoint_policy_imports) {
    using F = cc::sign_in_flow;
    auto r = cc::import_endpoint_policy(R"({"Version":"2012-10-17","Statement":[
      {"Sid":"PreAuthAccountRestriction","Effect":"Allow","Principal":"*",
       "Action":"signin:Authenticate","Resource":"*",
       "Condition":{"StringEquals":{"aws:ResourceAccount":["123456789012","210987654321"]}}},
      {"Sid":"PostAuthAccountRestriction","Effect":"Allow","Principal":"*",
       "Action":["signin:AuthorizeOAuth2Access","signin:CreateOAuth2Token"],"Resource":"*",
       "Condition":{"StringEquals":{"aws:PrincipalAccount":["123456789012","210987654321"]}}},
      {"Sid":"PreAuthOrgRestriction","Effect":"Allow","Principal":"*",
       "Action":"signin:Authenticate","Resource":"*",
       "Condition":{"StringEquals":{"aws:resourceorgid":"o-a1b2c3d4e5"}}}]})",
                                        "signin-endpoint.json");
    ASSERT_TRUE(r.ok()) << all(r);
    // `aws login` from the post-authentication statement; console sign-in where a
    // pre-authentication statement and it both allow: the accounts, and the accounts that are
    // in the organization too.
    ASSERT_EQ(r.rules.size(), 3u);
    std::vector<cc::account_id> both{aid("123456789012"), aid("210987654321")};
    EXPECT_EQ(r.rules[0].name, "signin-endpoint:PostAuthAccountRestriction");
    EXPECT_EQ(r.rules[0].accounts, both);
    EXPECT_EQ(r.rules[0].flows, std::vector<F>{F::cli_sign_in});
    EXPECT_EQ(r.rules[1].name,
              "signin-endpoint:PreAuthAccountRestriction+PostAuthAccountRestriction");
    EXPECT_EQ(r.rules[1].accounts, both);
    EXPECT_EQ(r.rules[1].flows.size(), 6u);  // the console sign-in flows
    EXPECT_EQ(r.rules[2].accounts, both);
    EXPECT_EQ(r.rules[2].org_ids, std::vector<std::string>{"o-a1b2c3d4e5"});
    // Condition before Action in the statement reads the same.
    r = cc::import_endpoint_policy(
        R"({"Statement":[{"Condition":{"StringEquals":{"aws:ResourceAccount":"123456789012"}},
            "Effect":"Allow","Principal":"*","Action":"signin:Authenticate"},
            {"Effect":"Allow","Principal":"*","Action":"signin:*OAuth2*",
             "Condition":{"StringEquals":{"aws:PrincipalAccount":"123456789012"}}}]})",
        "order.json");
    ASSERT_TRUE(r.ok()) << all(r);
    ASSERT_EQ(r.rules.size(), 2u);
    EXPECT_EQ(r.rules[1].accounts.size(), 1u);
}

// After authentication a console sign-in goes through the OAuth 2.0 pair too ("Console sign-in
// uses OAuth 2.0, which flows through all three actions", AWS Sign-In User Guide): a Deny of it
// refuses console sign-in as well as `aws login`; an Allow of it alone lets no console sign-in
// through on AWS (signin:Authenticate must be allowed too), so it selects `aws login`.
TEST(endpoint_policy, a_deny_after_authentication_refuses_console_sign_in_too) {
    using F = cc::sign_in_flow;
    auto r = cc::import_endpoint_policy(R"({"Statement":[
      {"Sid":"NoPostAuth","Effect":"Deny","Principal":"*",
       "Action":["signin:AuthorizeOAuth2Access","signin:CreateOAuth2Token"],
       "Condition":{"StringEquals":{"aws:PrincipalAccount":"444455556666"}}},
      {"Sid":"PostAuth","Effect":"Allow","Principal":"*","Action":"signin:CreateOAuth2Token",
       "Condition":{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}}]})",
                                        "post.json");
    ASSERT_TRUE(r.ok()) << all(r);
    ASSERT_EQ(r.rules.size(), 2u);
    EXPECT_EQ(r.rules[0].flows, (std::vector<F>{F::iam_user, F::root, F::saml, F::identity_center,
                                                F::custom_broker, F::switch_role, F::cli_sign_in}));
    EXPECT_EQ(r.rules[1].flows, std::vector<F>{F::cli_sign_in});
    cc::policy_config c;
    c.rules = r.rules;
    cc::compiled_policy p(c);
    cc::sign_in_attempt a;
    a.account = aid("444455556666");
    a.flow = F::saml;
    auto now = std::chrono::system_clock::time_point{};
    auto d = cc::evaluate(a, p, cc::elevation_view::unavailable(), now);
    EXPECT_EQ(d.verdict, cc::effect::deny);
    EXPECT_EQ(d.rule, "post:NoPostAuth");
}

// The endpoint policies AWS's pages give, as they give them, and the decisions they state:
// AWS Management Console, "Allow AWS Management Console use for expected accounts and
// organizations only (trusted identities)" (gsg/account-identity.html, recommended "for both the
// Console and SignIn VPC endpoints") and "Trusted identities" (gsg/trusted-identities.html,
// "AWS Management Console VPC endpoint examples", the same two with "Version":"2012-10-17"): the
// organization's accounts (or the listed ones) sign in and use the console, "any other accounts"
// are blocked. The page's "AWS Sign-In VPC endpoint examples" are
// the_documented_sign_in_endpoint_policy_imports above.
TEST(endpoint_policy, the_documented_console_endpoint_policies_decide_as_their_pages_say) {
    using F = cc::sign_in_flow;
    cc::policy_config c;
    c.org_id = "o-xxxxxxxxxxx";
    c.accounts = {{aid("111122223333"), "a", "o-xxxxxxxxxxx/r-ab12/"},
                  {aid("222233334444"), "b", "o-xxxxxxxxxxx/r-ab12/ou-ab12-11111111/"},
                  {aid("333344445555"), "c", "o-xxxxxxxxxxx/r-ab12/"}};
    auto verdicts = [&](const std::string& policy) {
        auto r = cc::import_endpoint_policy(policy, "vpce.json");
        EXPECT_TRUE(r.ok()) << all(r);
        // An Allow says nothing of sign-up, decided before the rules (account_sign_up).
        EXPECT_FALSE(r.denies_account_sign_up);
        c.rules = r.rules;
        cc::compiled_policy p(c);
        std::string out;
        for (const char* account :
             {"111122223333", "222233334444", "333344445555", "999988887777"}) {
            for (auto flow : {F::iam_user, F::saml, F::switch_role, F::cli_sign_in,
                              F::console_session, F::multi_session}) {
                cc::sign_in_attempt a;
                a.account = aid(account);
                a.flow = flow;
                a.phase = flow == F::iam_user || flow == F::saml || flow == F::switch_role
                              ? cc::auth_phase::pre_auth
                              : cc::auth_phase::post_auth;
                auto d = cc::evaluate(a, p, cc::elevation_view::unavailable(), {});
                out += d.verdict == cc::effect::allow ? 'A' : '-';
            }
            out += ' ';
        }
        return out;
    };
    // "allows sign-in to AWS accounts in the specified AWS organization and blocks sign-in to
    // any other accounts"
    const std::string org =
        R"({ "Version": "2012-10-17", "Statement": [ { "Effect": "Allow", "Principal": "*", )"
        R"("Action": "*", "Resource": "*", "Condition": { "StringEquals": { )"
        R"("aws:PrincipalOrgId": "o-xxxxxxxxxxx" } } } ] })";
    EXPECT_EQ(verdicts(org), "AAAAAA AAAAAA AAAAAA ------ ");
    // "limits sign-in to a list of specific AWS accounts and blocks sign-in to any other
    // accounts"
    const std::string accounts =
        R"({ "Version": "2012-10-17", "Statement": [ { "Effect": "Allow", "Principal": "*", )"
        R"("Action": "*", "Resource": "*", "Condition": { "StringEquals": { )"
        R"("aws:PrincipalAccount": [ "111122223333", "222233334444" ] } } } ] })";
    EXPECT_EQ(verdicts(accounts), "AAAAAA AAAAAA ------ ------ ");
    // "Trusted identities" writes the same two without the space after "Version":.
    EXPECT_EQ(verdicts(R"({ "Version":"2012-10-17", "Statement": [ { "Effect": "Allow", )"
                       R"("Principal": "*", "Action": "*", "Resource": "*", "Condition": { )"
                       R"("StringEquals": { "aws:PrincipalOrgId": "o-xxxxxxxxxxx" } } } ] })"),
              "AAAAAA AAAAAA AAAAAA ------ ");
}

// AWS evaluates `aws login`'s browser step (/v1/authorize) against
// signin:AuthorizeOAuth2Access and its token exchange (/v1/token) against
// signin:CreateOAuth2Token, each on its own ("Trusted identities": post-authentication "during
// OAuth token exchange"; AWS Sign-In, AWS PrivateLink: the post-authentication actions): an
// Allow of one is not an Allow of the other, a Deny of one leaves the other to the rest. Both
// were taken as `aws login` whole before.
TEST(endpoint_policy, each_oauth2_action_selects_its_own_step) {
    using F = cc::sign_in_flow;
    using O = cc::oauth2_action;
    auto r = cc::import_endpoint_policy(R"({"Statement":[
      {"Sid":"Authorize","Effect":"Allow","Principal":"*","Action":"signin:AuthorizeOAuth2Access",
       "Condition":{"StringEquals":{"aws:PrincipalAccount":["111122223333","222233334444"]}}},
      {"Sid":"Token","Effect":"Allow","Principal":"*","Action":"signin:CreateOAuth2Token",
       "Condition":{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}},
      {"Sid":"Both","Effect":"Allow","Principal":"*","Action":"signin:*OAuth2*",
       "Condition":{"StringEquals":{"aws:PrincipalAccount":"333344445555"}}},
      {"Sid":"NoToken","Effect":"Deny","Principal":"*","Action":"signin:CreateOAuth2Token",
       "Condition":{"StringEquals":{"aws:PrincipalAccount":"333344445555"}}}]})",
                                        "cli.json");
    ASSERT_TRUE(r.ok()) << all(r);
    cc::policy_config c;
    c.rules = r.rules;
    cc::compiled_policy p(c);
    auto verdicts = [&](const cc::compiled_policy& pol) {
        std::string out;
        for (const char* account : {"111122223333", "222233334444", "333344445555"}) {
            for (auto step : {O::authorize, O::token, O::none}) {
                cc::sign_in_attempt a;
                a.account = aid(account);
                a.flow = F::cli_sign_in;
                a.phase = cc::auth_phase::post_auth;
                a.oauth_action = step;
                auto d = cc::evaluate(a, pol, cc::elevation_view::unavailable(), {});
                out += d.verdict == cc::effect::allow ? 'A' : '-';
            }
            out += ' ';
        }
        return out;
    };
    // 2222…: authorized, never given a token; 3333…: the Deny of the token step alone; a cli
    // sign-in of no known step is granted by no single-action Allow.
    EXPECT_EQ(verdicts(p), "AA- A-- A-- ");
    // A Deny of one action still refuses console sign-in, which goes through both.
    cc::sign_in_attempt console;
    console.account = aid("333344445555");
    console.flow = F::saml;
    EXPECT_EQ(cc::evaluate(console, p, cc::elevation_view::unavailable(), {}).rule, "cli:NoToken");

    // Exported, the single-action statements are written as they were, and decide the same.
    auto doc = cc::export_endpoint_policy(c, cc::endpoint_document::sign_in);
    auto back = cc::import_endpoint_policy(doc.json, "back.json");
    ASSERT_TRUE(back.ok()) << all(back) << doc.json;
    cc::policy_config c2;
    c2.rules = back.rules;
    cc::compiled_policy p2(c2);
    EXPECT_EQ(verdicts(p2), "AA- A-- A-- ") << doc.json;
}

// The negated and absence operators (IAM JSON policy elements: Condition operators): a negated
// operator matches a key that is absent, …IfExists matches an absent key, Null tests presence,
// ForAllValues: holds of no values. Each shape as AWS's pages write it, decided per account: in
// the organization's root (A, C), in its OU (B), outside the org export (D: in no organization,
// or in one the gateway does not know), and a step naming no account (root's e-mail, ?).
// 'A' allowed by a rule, 'D' refused by a rule, '-' refused by default, 'u' unknown-account.
TEST(endpoint_policy, negated_and_absence_operators_decide_as_iam_does) {
    cc::policy_config c;
    c.org_id = "o-xxxxxxxxxx";
    c.accounts = {{aid("111122223333"), "a", "o-xxxxxxxxxx/r-ab12/"},
                  {aid("222233334444"), "b", "o-xxxxxxxxxx/r-ab12/ou-ab12-11111111/"},
                  {aid("333344445555"), "c", "o-xxxxxxxxxx/r-ab12/"}};
    auto verdicts = [&](const std::string& policy, cc::sign_in_flow flow) {
        auto r = cc::import_endpoint_policy(policy, "vpce.json");
        EXPECT_TRUE(r.ok()) << all(r);
        c.rules = r.rules;
        cc::compiled_policy p(c);
        std::string out;
        for (const char* account :
             {"111122223333", "222233334444", "333344445555", "999988887777", ""}) {
            cc::sign_in_attempt a;
            if (*account) a.account = aid(account);
            a.flow = flow;
            a.phase = flow == cc::sign_in_flow::console_session ? cc::auth_phase::post_auth
                                                                : cc::auth_phase::pre_auth;
            auto d = cc::evaluate(a, p, cc::elevation_view::unavailable(), {});
            out += d.why == cc::reason::unknown_account ? 'u'
                   : d.verdict == cc::effect::allow     ? 'A'
                   : d.why == cc::reason::rule_deny     ? 'D'
                                                        : '-';
        }
        return out;
    };
    auto console = cc::sign_in_flow::console_session;
    auto iam_user = cc::sign_in_flow::iam_user;
    const std::string allow_all =
        R"({"Sid": "AllowAll", "Effect": "Allow", "Principal": "*", "Action": "*",)"
        R"( "Resource": "*"})";
    auto policy = [&](const std::string& deny) {
        return R"({"Version": "2012-10-17", "Statement": [)" + allow_all + ", " + deny + "]}";
    };
    // A data perimeter's Deny of every principal outside the organization: "not ours" holds of
    // an account outside the export whether it is in no organization or another one.
    EXPECT_EQ(verdicts(policy(R"({"Effect": "Deny", "Principal": "*", "Action": "*",
        "Resource": "*", "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-xxxxxxxxxx"}}})"),
                       console),
              "AAADA");
    // Every account but some.
    EXPECT_EQ(verdicts(policy(R"({"Effect": "Deny", "Principal": "*", "Action": "*",
        "Resource": "*", "Condition": {"StringNotEquals": {"aws:PrincipalAccount":
        ["111122223333", "222233334444"]}}})"),
                       console),
              "AADDA");
    // …IfExists: an absent key (an account in no organization) is not refused, and whether
    // an account outside the export is in another organization the gateway cannot tell: a Deny
    // it cannot decide refuses (fail closed).
    EXPECT_EQ(verdicts(policy(R"({"Effect": "Deny", "Principal": "*", "Action": "*",
        "Resource": "*", "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID":
        "o-xxxxxxxxxx"}}})"),
                       console),
              "AAADA");
    EXPECT_EQ(verdicts(policy(R"({"Effect": "Deny", "Principal": "*", "Action": "*",
        "Resource": "*", "Condition": {"StringEqualsIfExists": {"aws:PrincipalOrgID":
        "o-xxxxxxxxxx"}}})"),
                       console),
              "DDDDA");
    // Null "true": accounts in no organization. Outside the export that cannot be told: the
    // Deny refuses.
    EXPECT_EQ(verdicts(policy(R"({"Effect": "Deny", "Principal": "*", "Action": "*",
        "Resource": "*", "Condition": {"Null": {"aws:PrincipalOrgID": "true"}}})"),
                       console),
              "AAADA");
    // Every account whose every path is outside one OU: the OU's account alone is let through.
    EXPECT_EQ(verdicts(policy(R"({"Effect": "Deny", "Principal": "*", "Action": "*",
        "Resource": "*", "Condition": {"ForAllValues:StringNotLike": {"aws:PrincipalOrgPaths":
        "o-xxxxxxxxxx/r-ab12/ou-ab12-11111111/*"}}})"),
                       console),
              "DADDA");
    // An Allow of every account but one: granted where it holds; an Allow it cannot decide
    // (another organization, or none?) grants nothing.
    auto alone = [](const std::string& s) {
        return R"({"Version": "2012-10-17", "Statement": [)" + s + "]}";
    };
    EXPECT_EQ(verdicts(alone(R"({"Effect": "Allow", "Principal": "*", "Action": "*",
        "Resource": "*", "Condition": {"StringNotEquals": {"aws:PrincipalAccount":
        "333344445555"}}})"),
                       console),
              "AA-A-");
    EXPECT_EQ(verdicts(alone(R"({"Effect": "Allow", "Principal": "*", "Action": "*",
        "Resource": "*", "Condition": {"StringNotEquals": {"aws:PrincipalOrgID":
        "o-yyyyyyyyyy"}}})"),
                       console),
              "AAA--");
    // The Sign-In endpoint's policy: every step of console sign-in allowed, signin:Authenticate
    // refused for accounts outside the organization (aws:ResourceOrgID: the account signed in
    // to, before authentication).
    EXPECT_EQ(verdicts(R"({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": ["signin:Authenticate",
         "signin:AuthorizeOAuth2Access", "signin:CreateOAuth2Token"], "Resource": "*"},
        {"Effect": "Deny", "Principal": "*", "Action": "signin:Authenticate", "Resource": "*",
         "Condition": {"StringNotEqualsIfExists": {"aws:ResourceOrgID": "o-xxxxxxxxxx"}}}]})",
                       iam_user),
              "AAADA");
    // NotAction: everything but sign-up, and with a condition on the principal everything but
    // signin:Authenticate too (before authentication AWS has no principal keys): console
    // sign-in is refused after authentication outside the organization, sign-up is left to
    // policy.account_sign_up (no Deny of it).
    auto r = cc::import_endpoint_policy(
        policy(R"({"Effect": "Deny", "Principal": "*", "NotAction": "signin:CreateAccount",
        "Resource": "*"})"),
        "vpce.json");
    EXPECT_TRUE(r.ok()) << all(r);
    EXPECT_FALSE(r.denies_account_sign_up);
    EXPECT_EQ(verdicts(policy(R"({"Effect": "Deny", "Principal": "*", "NotAction":
        ["signin:CreateAccount", "signin:Authenticate"], "Resource": "*", "Condition": {"StringNotEquals":
        {"aws:PrincipalOrgID": "o-xxxxxxxxxx"}}})"),
                       iam_user),
              "AAADA");
    // NotAction of signin:Authenticate allows its other steps only: console sign-in is not
    // allowed (it needs all three), the console is.
    EXPECT_EQ(verdicts(alone(R"({"Effect": "Allow", "Principal": "*", "NotAction":
        "signin:Authenticate", "Resource": "*"})"),
                       iam_user),
              "----u");
    EXPECT_EQ(verdicts(alone(R"({"Effect": "Allow", "Principal": "*", "NotAction":
        "signin:Authenticate", "Resource": "*"})"),
                       console),
              "AAAAA");
    // NotPrincipal / NotResource of "*", NotAction "*": the statement matches nothing.
    for (const char* nothing :
         {R"("NotPrincipal": "*", "Action": "*", "Resource": "*")",
          R"("Principal": "*", "NotAction": "*", "Resource": "*")",
          R"("Principal": {"AWS": "*"}, "Action": "*", "NotResource": ["*"])"}) {
        EXPECT_EQ(verdicts(policy(std::string(R"({"Effect": "Deny", )") + nothing + "}"), console),
                  "AAAAA")
            << nothing;
    }
}

// explain says what each imported condition decided, and why an undecidable one refuses.
TEST(endpoint_policy, explain_says_what_each_condition_decided) {
    auto r = cc::import_endpoint_policy(
        R"({"Version": "2012-10-17", "Statement": [
        {"Sid": "All", "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
        {"Sid": "NotPartner", "Effect": "Deny", "Principal": "*", "Action": "*",
         "Resource": "*", "Condition": {"StringNotEquals": {"aws:PrincipalOrgID":
         ["o-xxxxxxxxxx", "o-pppppppppp"]}}}]})",
        "vpce.json");
    ASSERT_TRUE(r.ok()) << all(r);
    cc::policy_config c;
    c.org_id = "o-xxxxxxxxxx";
    c.accounts = {{aid("111122223333"), "a", "o-xxxxxxxxxx/r-ab12/"}};
    c.rules = r.rules;
    cc::compiled_policy p(c);
    auto explain = [&](const char* account) {
        cc::sign_in_attempt a;
        a.flow = cc::sign_in_flow::console_session;
        a.phase = cc::auth_phase::post_auth;
        if (*account) a.account = aid(account);
        return cc::explain(a, p, cc::elevation_view::unavailable(), {});
    };
    auto in = explain("111122223333");
    EXPECT_EQ(in.result.verdict, cc::effect::allow);
    ASSERT_EQ(in.conditions.size(), 1u);
    EXPECT_EQ(in.conditions[0],
              "vpce:NotPartner: StringNotEquals aws:PrincipalOrgID does not hold");
    // Outside the export: in no organization, or in the partner's? The deny refuses.
    auto out = explain("999988887777");
    EXPECT_EQ(out.result.verdict, cc::effect::deny);
    EXPECT_EQ(out.result.rule, "vpce:NotPartner");
    ASSERT_EQ(out.conditions.size(), 1u);
    EXPECT_NE(out.conditions[0].find("cannot be decided"), std::string::npos);
    EXPECT_NE(out.conditions[0].find("the deny holds (fail closed)"), std::string::npos);
    auto none = explain("");
    ASSERT_EQ(none.conditions.size(), 1u);
    EXPECT_EQ(none.conditions[0], "vpce:NotPartner: not decided: the attempt names no account");
}

// The endpoint a document is for decides what "*" is: the Sign-In endpoint's four actions (its
// unconditioned Deny refuses sign-up too), the console endpoint's console requests (its Deny is
// no Deny of sign-up, which never reaches it), or, not said, every flow.
TEST(endpoint_policy, the_endpoint_decides_what_every_action_is) {
    using F = cc::sign_in_flow;
    const std::string deny_all =
        R"({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*",)"
        R"( "Action": "*", "Resource": "*"}]})";
    auto sign_in = cc::import_endpoint_policy(deny_all, "s.json", cc::policy_endpoint::sign_in);
    ASSERT_TRUE(sign_in.ok()) << all(sign_in);
    EXPECT_EQ(sign_in.endpoint, cc::policy_endpoint::sign_in);
    EXPECT_TRUE(sign_in.denies_account_sign_up);
    ASSERT_EQ(sign_in.rules.size(), 1u);
    EXPECT_EQ(sign_in.rules[0].flows,
              (std::vector<F>{F::iam_user, F::root, F::saml, F::identity_center, F::custom_broker,
                              F::switch_role, F::cli_sign_in}));
    auto console = cc::import_endpoint_policy(deny_all, "c.json", cc::policy_endpoint::console);
    ASSERT_TRUE(console.ok()) << all(console);
    EXPECT_FALSE(console.denies_account_sign_up);
    ASSERT_EQ(console.rules.size(), 1u);
    EXPECT_EQ(console.rules[0].flows, (std::vector<F>{F::console_session, F::multi_session,
                                                      F::api_credentials, F::ams_change}));
    auto both = cc::import_endpoint_policy(deny_all, "b.json");
    EXPECT_EQ(both.endpoint, cc::policy_endpoint::both);
    EXPECT_TRUE(both.denies_account_sign_up);
    ASSERT_EQ(both.rules.size(), 1u);
    EXPECT_TRUE(both.rules[0].flows.empty());  // every flow
    // Not said, AWS Sign-In actions alone are the Sign-In endpoint's.
    auto actions = cc::import_endpoint_policy(
        R"({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "signin:*"}]})", "a.json");
    EXPECT_EQ(actions.endpoint, cc::policy_endpoint::sign_in);
    // An Allow of "*" on the Sign-In endpoint allows console sign-in whole (all three steps).
    auto allow = cc::import_endpoint_policy(
        R"({"Statement": [{"Sid": "All", "Effect": "Allow", "Principal": "*", "Action": "*",)"
        R"( "Condition": {"StringEquals": {"aws:ResourceAccount": "111122223333"}}}]})",
        "s.json", cc::policy_endpoint::sign_in);
    ASSERT_TRUE(allow.ok()) << all(allow);
    ASSERT_EQ(allow.rules.size(), 1u);
    EXPECT_EQ(allow.rules[0].accounts, std::vector<cc::account_id>{aid("111122223333")});
    EXPECT_EQ(allow.rules[0].flows.size(), 7u);
}

// A positive operator on an organization key (StringEquals / StringLike on aws:PrincipalOrgID,
// aws:PrincipalOrgPaths, aws:ResourceOrgID), per operator, organization and effect, decided
// for an account in the export's root (A), one in its OU (B) and one outside the export (D: in
// no organization, or in one the gateway does not know). In the export the value decides. Outside
// it, naming the export's organization alone decides "not in it" either way; naming another,
// the account could be in that one: a Deny holds and an Allow grants nothing (fail closed, as the
// negated operators there). 'A' allowed by a rule, 'D' refused by one, '-' refused by default.
TEST(endpoint_policy, positive_organization_conditions_fail_closed_outside_the_export) {
    cc::policy_config c;
    c.org_id = "o-xxxxxxxxxx";
    c.accounts = {{aid("111122223333"), "a", "o-xxxxxxxxxx/r-ab12/"},
                  {aid("222233334444"), "b", "o-xxxxxxxxxx/r-ab12/ou-ab12-11111111/"}};
    struct key_case {
        const char* key;
        bool sign_in;  // a statement of AWS Sign-In actions (aws:Resource*), judged at iam_user
        std::vector<const char*> ops;
        const char* ours;   // selects B alone, or A and B
        const char* other;  // another organization's
        const char* in_ours;
    };
    const std::vector<key_case> keys{
        {"aws:PrincipalOrgID",
         false,
         {"StringEquals", "StringEqualsIgnoreCase", "StringLike", "ForAnyValue:StringEquals"},
         "o-xxxxxxxxxx",
         "o-yyyyyyyyyy",
         "AA"},
        {"aws:ResourceOrgID",
         true,
         {"StringEquals", "StringLike", "ForAnyValue:StringLike"},
         "o-xxxxxxxxxx",
         "o-yyyyyyyyyy",
         "AA"},
        {"aws:PrincipalOrgPaths",
         false,
         {"StringEquals", "ForAnyValue:StringEquals"},
         "o-xxxxxxxxxx/r-ab12/ou-ab12-11111111/",
         "o-yyyyyyyyyy/r-cd34/ou-cd34-22222222/",
         "-A"},
        {"aws:PrincipalOrgPaths",
         false,
         {"StringLike", "ForAnyValue:StringLike"},
         "o-xxxxxxxxxx/r-ab12/*",
         "o-yyyyyyyyyy/*",
         "AA"},
    };
    int cases = 0;
    for (const auto& k : keys) {
        const std::string action =
            k.sign_in ? R"(["signin:Authenticate", "signin:AuthorizeOAuth2Access",)"
                        R"( "signin:CreateOAuth2Token"])"
                      : R"("*")";
        const auto flow =
            k.sign_in ? cc::sign_in_flow::iam_user : cc::sign_in_flow::console_session;
        for (const char* op : k.ops) {
            for (bool ours : {true, false}) {
                for (bool deny : {false, true}) {
                    const std::string value = ours ? k.ours : k.other;
                    const std::string cond = std::string(R"("Condition": {")") + op + R"(": {")" +
                                             k.key + R"(": ")" + value + R"("}})";
                    const std::string st = std::string(R"({"Sid": "S", "Effect": ")") +
                                           (deny ? "Deny" : "Allow") +
                                           R"(", "Principal": "*", "Action": )" + action +
                                           R"(, "Resource": "*", )" + cond + "}";
                    const std::string allow_all =
                        std::string(R"({"Sid": "All", "Effect": "Allow",)") +
                        R"( "Principal": "*", "Action": )" + action + R"(, "Resource": "*"})";
                    const std::string doc = R"({"Version": "2012-10-17", "Statement": [)" +
                                            (deny ? allow_all + ", " : std::string()) + st + "]}";
                    SCOPED_TRACE(doc);
                    auto r = cc::import_endpoint_policy(doc, "vpce.json");
                    ASSERT_TRUE(r.ok()) << all(r);
                    c.rules = r.rules;
                    cc::compiled_policy p(c);
                    std::string got;
                    for (const char* account : {"111122223333", "222233334444", "999988887777"}) {
                        cc::sign_in_attempt a;
                        a.account = aid(account);
                        a.flow = flow;
                        a.phase = k.sign_in ? cc::auth_phase::pre_auth : cc::auth_phase::post_auth;
                        auto d = cc::evaluate(a, p, cc::elevation_view::unavailable(), {});
                        got += d.verdict == cc::effect::allow   ? 'A'
                               : d.why == cc::reason::rule_deny ? 'D'
                                                                : '-';
                    }
                    // In the export: the value decides (the Deny refuses what the Allow grants).
                    std::string want;
                    for (char x : std::string(ours ? k.in_ours : "--"))
                        want += deny ? (x == 'A' ? 'D' : 'A') : x;
                    // Outside: another organization's value is undecided.
                    want += deny ? (ours ? 'A' : 'D') : '-';
                    EXPECT_EQ(got, want);
                    ++cases;
                }
            }
        }
    }
    EXPECT_EQ(cases, 44);

    // A Deny naming ours and another refuses the outside account; one naming ours beside an
    // account outside the export too, as an OU path of ours alone does not; an organization
    // and a path of two organizations select no account at all.
    auto decide_outside = [&](const std::string& condition) {
        auto r = cc::import_endpoint_policy(
            R"({"Version": "2012-10-17", "Statement": [{"Sid": "All", "Effect": "Allow",
            "Principal": "*", "Action": "*", "Resource": "*"}, {"Sid": "S", "Effect": "Deny",
            "Principal": "*", "Action": "*", "Resource": "*", "Condition": )" +
                condition + "}]}",
            "vpce.json");
        EXPECT_TRUE(r.ok()) << all(r);
        c.rules = r.rules;
        cc::compiled_policy p(c);
        cc::sign_in_attempt a;
        a.account = aid("999988887777");
        a.flow = cc::sign_in_flow::console_session;
        a.phase = cc::auth_phase::post_auth;
        return cc::evaluate(a, p, cc::elevation_view::unavailable(), {}).verdict;
    };
    EXPECT_EQ(decide_outside(R"({"StringEquals": {"aws:PrincipalOrgID": ["o-xxxxxxxxxx",
        "o-yyyyyyyyyy"]}})"),
              cc::effect::deny);
    EXPECT_EQ(decide_outside(R"({"StringEquals": {"aws:PrincipalOrgID": "o-yyyyyyyyyy",
        "aws:PrincipalAccount": "999988887777"}})"),
              cc::effect::deny);
    EXPECT_EQ(decide_outside(R"({"StringEquals": {"aws:PrincipalOrgID": "o-yyyyyyyyyy",
        "aws:PrincipalAccount": "888877776666"}})"),
              cc::effect::allow);
    EXPECT_EQ(decide_outside(R"({"StringEquals": {"aws:PrincipalOrgID": "o-yyyyyyyyyy"},
        "StringLike": {"aws:PrincipalOrgPaths": "o-xxxxxxxxxx/*"}})"),
              cc::effect::allow);
    EXPECT_EQ(decide_outside(R"({"StringEquals": {"aws:PrincipalOrgID": "o-yyyyyyyyyy"},
        "StringLike": {"aws:PrincipalOrgPaths": "o-yyyyyyyyyy/*"}})"),
              cc::effect::deny);

    // explain says why.
    auto r = cc::import_endpoint_policy(
        R"({"Version": "2012-10-17", "Statement": [{"Sid": "All", "Effect": "Allow",
        "Principal": "*", "Action": "*", "Resource": "*"}, {"Sid": "Partner", "Effect": "Deny",
        "Principal": "*", "Action": "*", "Resource": "*", "Condition": {"StringEquals":
        {"aws:PrincipalOrgID": "o-yyyyyyyyyy"}}}]})",
        "vpce.json");
    ASSERT_TRUE(r.ok()) << all(r);
    c.rules = r.rules;
    cc::compiled_policy p(c);
    cc::sign_in_attempt a;
    a.account = aid("999988887777");
    a.flow = cc::sign_in_flow::console_session;
    a.phase = cc::auth_phase::post_auth;
    auto ex = cc::explain(a, p, cc::elevation_view::unavailable(), {});
    EXPECT_EQ(ex.result.rule, "vpce:Partner");
    ASSERT_EQ(ex.conditions.size(), 1u);
    EXPECT_NE(ex.conditions[0].find("vpce:Partner: its organization"), std::string::npos);
    EXPECT_NE(ex.conditions[0].find("the deny holds (fail closed)"), std::string::npos);
    a.account = aid("111122223333");
    ex = cc::explain(a, p, cc::elevation_view::unavailable(), {});
    EXPECT_EQ(ex.result.verdict, cc::effect::allow);
    EXPECT_TRUE(ex.conditions.empty());
}
