// core::names_of (what an attempt of each flow can name, which the config loader refuses rule
// selectors against) holds for what the inspector reads: every attempt of the sign-in corpus
// names only what its flow's row says. A flow that starts carrying a role or an account fails
// here first, so the table (and the loader's refusals) are updated with it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "consolegate/core/config.hpp"
#include "consolegate/core/policy.hpp"
#include "consolegate/inspect/http_file.hpp"
#include "consolegate/inspect/inspector.hpp"
#include "enforcement.hpp"
#include "session_table.hpp"

namespace consolegate::app {
namespace {

namespace fs = std::filesystem;

const fs::path corpus_dir = fs::path(CG_SOURCE_DIR) / "tests/corpus/signin";

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

TEST(flow_names, every_corpus_attempt_names_only_what_its_flow_can) {
    auto loaded = core::load_config(fs::path(CG_SOURCE_DIR) / "tests/corpus/policy/policy.toml");
    ASSERT_TRUE(loaded.cfg);
    auto snap = make_policy_snapshot(std::make_shared<const core::config>(std::move(*loaded.cfg)));
    std::size_t requests = 0, with_role = 0, with_account = 0, with_instance = 0;
    for (const auto& e : fs::directory_iterator(corpus_dir)) {
        if (e.path().extension() != ".http") continue;
        ++requests;
        std::string why;
        auto file = inspect::http_file::parse(slurp(e.path()), "", {}, &why);
        ASSERT_TRUE(file) << e.path() << ": " << why;
        for (const auto& a : inspect::inspect(file->view(), snap->inspect_options)) {
            auto can = core::names_of(a.flow);
            auto where = e.path().filename().string() + " (" + std::string(to_string(a.flow)) + ")";
            if (a.account || !a.alias.empty()) {
                ++with_account;
                EXPECT_TRUE(can.account) << where << " names an account";
            }
            if (!a.role_name.empty() || !a.permission_set.empty()) {
                ++with_role;
                EXPECT_TRUE(can.role) << where << " names a role";
            }
            if (!a.idc_instance.empty()) {
                ++with_instance;
                EXPECT_TRUE(can.instance) << where << " names an instance";
            }
        }
    }
    // The corpus reaches every kind (else the check above proves nothing).
    EXPECT_GT(requests, 100u);
    EXPECT_GT(with_account, 0u);
    EXPECT_GT(with_role, 0u);
    EXPECT_GT(with_instance, 0u);
}

// The loader accepts flows = ["root"] with accounts because a root sign-in names its account in
// AWS's answer, which is judged under the root flow: such a deny refuses that answer.
TEST(flow_names, a_root_rule_with_accounts_decides_the_answer_to_a_root_sign_in) {
    auto loaded = core::load_config_text(R"(
[dns]
enabled = false
[proxy]
enabled = false
[[policy.rule]]
name = "everyone"
effect = "allow"
match_all = true
[[policy.rule]]
name = "no-root-in-prod"
effect = "deny"
flows = ["root"]
accounts = ["222222222222"]
)",
                                         "t.toml");
    ASSERT_TRUE(loaded.cfg);
    auto snap = make_policy_snapshot(std::make_shared<const core::config>(std::move(*loaded.cfg)));
    core::http_request_view req;
    req.method = "POST";
    req.host = "signin.aws.amazon.com";
    req.target = "/signin";
    req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    req.body = "action=authenticateRoot&email=root%40example.com&password=x";
    enforcement_inputs in;
    in.policy = snap.get();
    session_identity named;
    named.principal_arn = "arn:aws:iam::222222222222:root";
    named.aws_user = "root@example.com";
    named.account = core::account_id::parse("222222222222");
    auto prod = enforce_response(req, named, in);
    EXPECT_FALSE(prod.verdict.allows());
    EXPECT_EQ(prod.verdict.rule, "no-root-in-prod");
    named.account = core::account_id::parse("111111111111");
    named.principal_arn = "arn:aws:iam::111111111111:root";
    EXPECT_TRUE(enforce_response(req, named, in).verdict.allows());
    // Every submission to root's endpoint is a step of a root sign-in, whatever its action: an
    // MFA, captcha or recovery step, or one AWS adds, whose answer opens the session is judged
    // as root (session 11; before, such a step was no sign-in and its answer a console session
    // this rule did not select).
    named.account = core::account_id::parse("222222222222");
    named.principal_arn = "arn:aws:iam::222222222222:root";
    for (const char* body : {"action=authenticateRootMFA&email=root%40example.com&mfa1=123456",
                             "action=captcha&captcha_guess=x", "mfaType=SW&mfa1=123456"}) {
        SCOPED_TRACE(body);
        req.body = body;
        auto step = enforce_response(req, named, in);
        EXPECT_FALSE(step.verdict.allows());
        EXPECT_EQ(step.verdict.rule, "no-root-in-prod");
        EXPECT_EQ(step.verdict.flow, core::sign_in_flow::root);
    }
}

// AWS's answer is judged under the flow of the endpoint that produced it, never under the
// account label of the host it was posted to (which the inspector reads as an iam-user attempt
// first): a federation login or SAML post to <account>.signin.aws.amazon.com was judged, and
// recorded, as iam-user, so a custom-broker deny let the session through and a SAML allow was
// refused.
TEST(flow_names, an_answer_is_judged_under_the_flow_that_produced_it) {
    auto loaded = core::load_config_text(R"(
[dns]
enabled = false
[proxy]
enabled = false
[[policy.rule]]
name = "labelled-hosts"
effect = "allow"
flows = ["iam-user"]
accounts = ["222222222222"]
[[policy.rule]]
name = "brokers-before-sign-in"
effect = "allow"
flows = ["custom-broker"]
[[policy.rule]]
name = "no-broker-sessions-in-prod"
effect = "deny"
flows = ["custom-broker"]
accounts = ["222222222222"]
[[policy.rule]]
name = "saml-to-sandbox"
effect = "allow"
flows = ["saml"]
accounts = ["333333333333"]
)",
                                         "t.toml");
    ASSERT_TRUE(loaded.cfg) << (loaded.diagnostics.empty() ? "" : loaded.diagnostics[0].message);
    auto snap = make_policy_snapshot(std::make_shared<const core::config>(std::move(*loaded.cfg)));
    enforcement_inputs in;
    in.policy = snap.get();

    core::http_request_view login;
    login.method = "GET";
    login.host = "222222222222.signin.aws.amazon.com";
    login.target = "/federation?Action=login&SigninToken=opaque-token&Destination=x";
    ASSERT_TRUE(enforce(login, in).verdict.allows());  // the token names nobody yet
    session_identity broker;
    broker.account = core::account_id::parse("222222222222");
    broker.principal_arn = "arn:aws:sts::222222222222:assumed-role/Broker/alice";
    broker.role_name = "Broker";
    broker.aws_user = "alice";
    auto r = enforce_response(login, broker, in);
    EXPECT_FALSE(r.verdict.allows());
    EXPECT_EQ(r.verdict.rule, "no-broker-sessions-in-prod");
    EXPECT_EQ(r.verdict.flow, core::sign_in_flow::custom_broker);
    ASSERT_FALSE(r.events.empty());
    for (const auto& e : r.events) EXPECT_EQ(e.flow, "custom-broker");
    // Another account than the host's label, let through: recorded, as no request record
    // names it (the label's account did not count as "the request named an account").
    broker.account = core::account_id::parse("444444444444");
    broker.principal_arn = "arn:aws:sts::444444444444:assumed-role/Broker/alice";
    auto other = enforce_response(login, broker, in);
    EXPECT_TRUE(other.verdict.allows());
    ASSERT_EQ(other.events.size(), 1u);
    EXPECT_EQ(other.events[0].account, "444444444444");

    core::http_request_view saml;
    saml.method = "POST";
    saml.host = "222222222222.signin.aws.amazon.com";
    saml.target = "/saml";
    saml.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    saml.body = "roleIndex=arn%3Aaws%3Aiam%3A%3A333333333333%3Arole%2FAdmin";
    ASSERT_TRUE(enforce(saml, in).verdict.allows());
    session_identity chosen;
    chosen.account = core::account_id::parse("333333333333");
    chosen.principal_arn = "arn:aws:sts::333333333333:assumed-role/Admin/alice";
    chosen.role_name = "Admin";
    chosen.aws_user = "alice";
    auto s = enforce_response(saml, chosen, in);
    EXPECT_TRUE(s.verdict.allows()) << s.verdict.rule;
    EXPECT_EQ(s.verdict.flow, core::sign_in_flow::saml);
    EXPECT_EQ(s.verdict.rule, "saml-to-sandbox");
}

// An Identity Center session reaches the console through the federation endpoint
// (Action=login with the portal's sign-in token, or a token minted with GetRoleCredentials' keys
// anywhere): AWS's answer names an AWSReservedSSO_ role, which only Identity Center can hand
// out. A deny of flow identity-center refused the portal's link but let the same session in
// through the federation endpoint, judged as custom-broker alone.
TEST(flow_names,
     an_identity_center_session_answered_at_the_federation_endpoint_is_identity_center) {
    auto loaded = core::load_config_text(R"(
[dns]
enabled = false
[proxy]
enabled = false
[[policy.rule]]
name = "everyone"
effect = "allow"
match_all = true
[[policy.rule]]
name = "no-identity-center-in-prod"
effect = "deny"
flows = ["identity-center"]
accounts = ["222222222222"]
)",
                                         "t.toml");
    ASSERT_TRUE(loaded.cfg);
    auto snap = make_policy_snapshot(std::make_shared<const core::config>(std::move(*loaded.cfg)));
    enforcement_inputs in;
    in.policy = snap.get();
    core::http_request_view login;
    login.method = "GET";
    login.host = "signin.aws.amazon.com";
    login.target = "/federation?Action=login&SigninToken=opaque-token&Destination=x";
    session_identity named;
    named.account = core::account_id::parse("222222222222");
    named.role_name = "AWSReservedSSO_Admin_0123456789abcdef";
    named.principal_arn = "arn:aws:sts::222222222222:assumed-role/" + named.role_name + "/alice";
    named.aws_user = "alice";
    auto r = enforce_response(login, named, in);
    EXPECT_FALSE(r.verdict.allows());
    EXPECT_EQ(r.verdict.rule, "no-identity-center-in-prod");
    EXPECT_EQ(r.verdict.flow, core::sign_in_flow::identity_center);
    // One attempt, judged as both: identity-center, through the federation endpoint.
    ASSERT_EQ(r.attempts.size(), 1u);
    EXPECT_EQ(r.attempts[0].attempt.also_flows, core::flow_bit(core::sign_in_flow::custom_broker));
    // A broker's own role is judged as the broker's.
    named.role_name = "Broker";
    named.principal_arn = "arn:aws:sts::222222222222:assumed-role/Broker/alice";
    auto b = enforce_response(login, named, in);
    EXPECT_TRUE(b.verdict.allows());
    ASSERT_EQ(b.attempts.size(), 1u);
    EXPECT_EQ(b.attempts[0].attempt.flow, core::sign_in_flow::custom_broker);
}

}  // namespace
}  // namespace consolegate::app
