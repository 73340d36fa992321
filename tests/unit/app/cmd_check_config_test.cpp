// `consolegate check-config FILE`: exit status and output.

#include "cmd_check_config.hpp"

#include <gtest/gtest.h>

#include "config_test_support.hpp"

namespace {

int run(std::vector<std::string> args, std::string& out, std::string& err) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    testing::internal::CaptureStdout();
    testing::internal::CaptureStderr();
    int rc = consolegate::app::cmd_check_config(static_cast<int>(args.size()), argv.data());
    out = testing::internal::GetCapturedStdout();
    err = testing::internal::GetCapturedStderr();
    return rc;
}

TEST(cmd_check_config, valid_file_exits_zero) {
    auto dir = cgtest::scratch();
    cgtest::write(dir / "ok.toml", cgtest::minimal);
    std::string out, err;
    EXPECT_EQ(run({"check-config", (dir / "ok.toml").string()}, out, err), 0);
    EXPECT_EQ(out, (dir / "ok.toml").string() + ": ok\n");
    EXPECT_EQ(err, "");
}

TEST(cmd_check_config, takes_the_file_after_config_as_run_does) {
    auto dir = cgtest::scratch();
    cgtest::write(dir / "ok.toml", cgtest::minimal);
    cgtest::write(dir / "bad.toml", cgtest::minimal + "[general]\nworkrs = 1\n");
    std::string out, err;
    EXPECT_EQ(run({"check-config", "--config", (dir / "ok.toml").string()}, out, err), 0) << err;
    EXPECT_EQ(out, (dir / "ok.toml").string() + ": ok\n");
    EXPECT_EQ(run({"check-config", "--config", (dir / "bad.toml").string()}, out, err), 2);
    EXPECT_NE(err.find("unknown key `general.workrs`"), std::string::npos) << err;
}

TEST(cmd_check_config, invalid_file_exits_two_with_every_problem) {
    auto dir = cgtest::scratch();
    auto file = (dir / "bad.toml").string();
    cgtest::write(dir / "bad.toml", cgtest::minimal + "[general]\nworkrs = 1\nlog_level = 3\n");
    std::string out, err;
    EXPECT_EQ(run({"check-config", file}, out, err), 2);
    EXPECT_EQ(out, "");
    EXPECT_NE(err.find(file + ":10:1: unknown key `general.workrs`; did you mean `workers`?\n"),
              std::string::npos)
        << err;
    EXPECT_NE(err.find(file + ":11:13: general.log_level: expected a string, got an integer\n"),
              std::string::npos)
        << err;
    EXPECT_NE(err.find(file + ": 2 problems\n"), std::string::npos) << err;
}

TEST(cmd_check_config, a_steered_name_that_is_not_inspected_is_an_error) {
    auto dir = cgtest::scratch();
    auto file = (dir / "steer.toml").string();
    const std::string steering =
        "[dns]\nupstreams = [\"192.0.2.1\"]\nsteer_ipv4 = [\"192.0.2.10\"]\n"
        "steer_names = [\"console.aws.amazon.com\", \"*.console.aws.amazon.com\", "
        "\"signin.aws.amazon.com\", \"*.signin.aws.amazon.com\"]\n"
        "[ca]\ncert = \"ca.crt\"\nkey = \"ca.key\"\n";
    cgtest::write(dir / "steer.toml",
                  steering + "[proxy]\ninspect_hosts = [\"signin.aws.amazon.com\"]\n");
    std::string out, err;
    EXPECT_EQ(run({"check-config", file}, out, err), 2);
    EXPECT_NE(err.find(file + ":4:16: dns.steer_names[0]: \"console.aws.amazon.com\" is steered "
                              "to the gateway but not covered by proxy.inspect_hosts"),
              std::string::npos)
        << err;
    // Listed as pass-through on purpose: valid.
    cgtest::write(dir / "steer.toml",
                  steering +
                      "[proxy]\ninspect_hosts = [\"signin.aws.amazon.com\"]\n"
                      "pass_through_hosts = [\"*.console.aws.amazon.com\", "
                      "\"console.aws.amazon.com\", \"*.signin.aws.amazon.com\"]\n");
    EXPECT_EQ(run({"check-config", file}, out, err), 0) << err;
    // steer_names unwritten: DNS steers what the proxy inspects, so a narrowed inspect_hosts is
    // valid and narrows steering.
    cgtest::write(dir / "steer.toml",
                  cgtest::minimal + "[proxy]\ninspect_hosts = [\"signin.aws.amazon.com\"]\n");
    EXPECT_EQ(run({"check-config", file}, out, err), 0) << err;
    EXPECT_EQ(out.find("note:"), std::string::npos) << out;
}

// Issue 17: DNS steers every name the proxy inspects unless the operator says otherwise, and
// check-config notes (valid, exit 0) each inspected name DNS does not steer.
TEST(cmd_check_config, an_inspected_name_dns_does_not_steer_is_noted) {
    auto dir = cgtest::scratch();
    auto file = (dir / "note.toml").string();
    std::string out, err;
    cgtest::write(dir / "note.toml",
                  "[dns]\nupstreams = [\"192.0.2.1\"]\n"
                  "steer_ipv4 = [\"192.0.2.10\"]\n"
                  "steer_names = [\"signin.aws.amazon.com\", "
                  "\"*.signin.aws.amazon.com\", \"console.aws.amazon.com\", "
                  "\"*.console.aws.amazon.com\"]\n"
                  "[ca]\ncert = \"ca.crt\"\nkey = \"ca.key\"\n"
                  "[proxy]\ninspect_hosts = "
                  "[\"signin.aws.amazon.com\", "
                  "\"*.signin.aws.amazon.com\", "
                  "\"console.aws.amazon.com\", "
                  "\"*.console.aws.amazon.com\", "
                  "\"portal.sso.*.amazonaws.com\", "
                  "\"amscm.*.amazonaws.com\"]\n");
    EXPECT_EQ(run({"check-config", file}, out, err), 0) << err;
    EXPECT_NE(out.find(file + ": note: proxy.inspect_hosts[5] \"amscm.*.amazonaws.com\" is "
                              "inspected but DNS does not steer it\n"),
              std::string::npos)
        << out;
    EXPECT_EQ(out.find("portal"), std::string::npos) << out;  // steered by default
    cgtest::write(dir / "note.toml",
                  "[dns]\nupstreams = [\"192.0.2.1\"]\nsteer_ipv4 = [\"192.0.2.10\"]\n"
                  "steer_identity_center = false\n[ca]\ncert = \"ca.crt\"\nkey = \"ca.key\"\n");
    EXPECT_EQ(run({"check-config", file}, out, err), 0) << err;
    EXPECT_NE(out.find("note: proxy.inspect_hosts[4] \"portal.sso.*.amazonaws.com\" is inspected "
                       "but DNS does not steer it"),
              std::string::npos)
        << out;
}

// Each imported endpoint policy is noted with the endpoint whose requests it judges, so one read
// as every flow's (no endpoint said) is seen.
TEST(cmd_check_config, each_endpoint_policy_is_noted_with_its_endpoint) {
    auto dir = cgtest::scratch();
    auto file = (dir / "ep.toml").string();
    cgtest::write(dir / "all.json",
                  R"({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*"}]})");
    cgtest::write(dir / "signin.json", R"({"Statement": [{"Effect": "Allow", "Principal": "*",
        "Action": ["signin:AuthorizeOAuth2Access", "signin:CreateOAuth2Token"]}]})");
    std::string out, err;
    cgtest::write(dir / "ep.toml",
                  cgtest::minimal + "[policy]\nendpoint_policies = [\"all.json\"]\n");
    EXPECT_EQ(run({"check-config", file}, out, err), 0) << err;
    EXPECT_NE(out.find(file + ": endpoint policy " + (dir / "all.json").string() +
                       " is no endpoint said: judges every flow"),
              std::string::npos)
        << out;
    cgtest::write(dir / "ep.toml", cgtest::minimal +
                                       "[policy]\nendpoint_policies = [\"all.json\", "
                                       "\"signin.json\"]\n");
    EXPECT_EQ(run({"check-config", file}, out, err), 0) << err;
    EXPECT_NE(out.find((dir / "all.json").string() + " is the console endpoint's"),
              std::string::npos)
        << out;
    EXPECT_NE(out.find((dir / "signin.json").string() + " is the Sign-In endpoint's"),
              std::string::npos)
        << out;
}

// A name the gateway steers or blocks in a zone deploy/dns/README.md does not forward is noted
// (valid, exit 0) with the zone to add: a site that deployed the snippets resolves it around
// the gateway. The default names are all in documented zones (valid_file_exits_zero: no note).
TEST(cmd_check_config, a_name_outside_the_documented_zones_is_noted_with_its_zone) {
    auto dir = cgtest::scratch();
    auto file = (dir / "zones.toml").string();
    std::string out, err;
    cgtest::write(dir / "zones.toml",
                  "[dns]\nupstreams = [\"192.0.2.1\"]\nsteer_ipv4 = [\"192.0.2.10\"]\n"
                  "block_names = [\"x.example.org\"]\n"
                  "[ca]\ncert = \"ca.crt\"\nkey = \"ca.key\"\n"
                  "[proxy]\ninspect_hosts = [\"signin.aws.amazon.com\", "
                  "\"*.sso.corp.example\", \"portal.sso.*.api.aws\"]\n");
    EXPECT_EQ(run({"check-config", file}, out, err), 0) << err;
    EXPECT_NE(out.find(file + ": note: zone \"sso.corp.example\" (dns.steer_names "
                              "\"*.sso.corp.example\") is not among the zones "
                              "deploy/dns/README.md forwards to the gateway"),
              std::string::npos)
        << out;
    EXPECT_NE(out.find("note: zone \"x.example.org\" (dns.block_names \"x.example.org\")"),
              std::string::npos)
        << out;
    EXPECT_EQ(out.find("api.aws"), std::string::npos) << out;  // a documented zone
}

TEST(cmd_check_config, usage_errors_exit_two) {
    std::string out, err;
    EXPECT_EQ(run({"check-config"}, out, err), 2);
    EXPECT_NE(err.find("usage: consolegate check-config [--config] FILE"), std::string::npos);
    EXPECT_EQ(run({"check-config", "a", "b"}, out, err), 2);
    EXPECT_EQ(run({"check-config", "--config"}, out, err), 2);
    EXPECT_EQ(run({"check-config", "--conf", "a.toml"}, out, err), 2);
    EXPECT_EQ(run({"check-config", "--verbose"}, out, err), 2);  // an option, not a file
    EXPECT_EQ(run({"check-config", "/nonexistent-cg/none.toml"}, out, err), 2);
    EXPECT_NE(err.find("No such file or directory"), std::string::npos) << err;
}

}  // namespace
