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
    cgtest::write(dir / "steer.toml",
                  cgtest::minimal + "[proxy]\ninspect_hosts = [\"signin.aws.amazon.com\"]\n");
    std::string out, err;
    EXPECT_EQ(run({"check-config", file}, out, err), 2);
    EXPECT_NE(err.find(file + ":2:1: dns.steer_names[0]: \"console.aws.amazon.com\" is steered "
                              "to the gateway but not covered by proxy.inspect_hosts"),
              std::string::npos)
        << err;
    // Listed as pass-through on purpose: valid.
    cgtest::write(dir / "steer.toml",
                  cgtest::minimal +
                      "[proxy]\ninspect_hosts = [\"signin.aws.amazon.com\"]\n"
                      "pass_through_hosts = [\"*.console.aws.amazon.com\", "
                      "\"console.aws.amazon.com\", \"*.signin.aws.amazon.com\"]\n");
    EXPECT_EQ(run({"check-config", file}, out, err), 0) << err;
}

TEST(cmd_check_config, usage_errors_exit_two) {
    std::string out, err;
    EXPECT_EQ(run({"check-config"}, out, err), 2);
    EXPECT_NE(err.find("usage: consolegate check-config FILE"), std::string::npos);
    EXPECT_EQ(run({"check-config", "a", "b"}, out, err), 2);
    EXPECT_EQ(run({"check-config", "/nonexistent-cg/none.toml"}, out, err), 2);
    EXPECT_NE(err.find("No such file or directory"), std::string::npos) << err;
}

}  // namespace
