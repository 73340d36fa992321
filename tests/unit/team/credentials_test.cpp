// The AWS credential chain against files, an injected environment, real child processes and
// in-process fake endpoints (STS, container credentials) on loopback. Time is injected.
#include "team/credentials.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "consolegate/core/time.hpp"
#include "fake_http.hpp"
#include "team/aws_config_files.hpp"
#include "team/credential_process.hpp"
#include "team/sts.hpp"

namespace {

namespace fs = std::filesystem;
using namespace consolegate;
using namespace consolegate::team;
using namespace std::chrono_literals;
using test::fake_http_server;
using test::fake_request;
using test::fake_response;
using clock_type = std::chrono::system_clock;

const clock_type::time_point t0 = *core::parse_rfc3339("2026-12-04T12:00:00Z");

std::string sts_xml(const std::string& action, const std::string& akid,
                    clock_type::time_point expiration) {
    return "<" + action + "Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><" +
           action + "Result><Credentials><AccessKeyId>" + akid +
           "</AccessKeyId><SecretAccessKey>SECRET-" + akid +
           "</SecretAccessKey><SessionToken>TOKEN-" + akid + "</SessionToken><Expiration>" +
           core::format_rfc3339(expiration) + "</Expiration></Credentials></" + action +
           "Result></" + action + "Response>";
}

// Minimal form decoding for the fake STS.
std::map<std::string, std::string> form(const std::string& body) {
    std::map<std::string, std::string> out;
    std::size_t pos = 0;
    while (pos < body.size()) {
        auto amp = body.find('&', pos);
        if (amp == std::string::npos) amp = body.size();
        auto part = body.substr(pos, amp - pos);
        auto eq = part.find('=');
        std::string v = part.substr(eq + 1), dec;
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (v[i] == '%' && i + 2 < v.size()) {
                dec += static_cast<char>(std::stoi(v.substr(i + 1, 2), nullptr, 16));
                i += 2;
            } else {
                dec += v[i];
            }
        }
        out[part.substr(0, eq)] = dec;
        pos = amp + 1;
    }
    return out;
}

class credentials : public ::testing::Test {
  protected:
    void SetUp() override {
        dir = fs::temp_directory_path() /
              ("cg_creds_" + std::to_string(::getpid()) + "_" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(dir);
        env["HOME"] = dir.string();
        env["AWS_CONFIG_FILE"] = (dir / "config").string();
        env["AWS_SHARED_CREDENTIALS_FILE"] = (dir / "credentials").string();
    }
    void TearDown() override { fs::remove_all(dir); }

    void write(const std::string& name, const std::string& text) {
        std::ofstream(dir / name) << text;
    }
    std::string script(const std::string& name, const std::string& body) {
        auto p = dir / name;
        std::ofstream(p) << "#!/bin/sh\n" << body;
        fs::permissions(p, fs::perms::owner_all);
        return p.string();
    }

    credential_chain chain(const std::string& profile = "") {
        credential_options o;
        o.profile = profile;
        o.region = "eu-west-1";
        o.getenv = [this](const std::string& n) -> std::optional<std::string> {
            auto it = env.find(n);
            if (it == env.end()) return std::nullopt;
            return it->second;
        };
        o.http.timeout = 5s;
        o.process_timeout = 5s;
        return credential_chain(std::move(o));
    }

    // A fake STS answering AssumeRole / AssumeRoleWithWebIdentity with keys named after the
    // role's last path element and a call counter, expiring an hour after t0 + 2h*calls.
    std::unique_ptr<fake_http_server> fake_sts() {
        auto s = std::make_unique<fake_http_server>([this](const fake_request& r) {
            auto f = form(r.body);
            ++sts_calls;
            auto role = f["RoleArn"].substr(f["RoleArn"].rfind('/') + 1);
            return fake_response{
                200, "text/xml",
                sts_xml(f["Action"], "ASIA" + role + std::to_string(sts_calls), t0 + 1h)};
        });
        env["AWS_ENDPOINT_URL_STS"] = s->url();
        return s;
    }

    fs::path dir;
    std::map<std::string, std::string> env;
    int sts_calls = 0;
};

TEST_F(credentials, environment_comes_first) {
    env["AWS_ACCESS_KEY_ID"] = "AKIAENV";
    env["AWS_SECRET_ACCESS_KEY"] = "envsecret";
    env["AWS_SESSION_TOKEN"] = "envtoken";
    write("credentials", "[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = s\n");
    auto r = chain().get(t0);
    ASSERT_TRUE(r.credentials) << r.error;
    EXPECT_EQ(r.credentials->access_key_id, "AKIAENV");
    EXPECT_EQ(r.credentials->session_token, "envtoken");
    EXPECT_EQ(r.source, "environment");
    EXPECT_FALSE(r.expiration);
}

TEST_F(credentials, half_an_environment_pair_is_an_error_not_a_fallthrough) {
    env["AWS_ACCESS_KEY_ID"] = "AKIAENV";
    write("credentials", "[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = s\n");
    auto r = chain().get(t0);
    EXPECT_FALSE(r.credentials);
    EXPECT_NE(r.error.find("AWS_SECRET_ACCESS_KEY"), std::string::npos);
}

TEST_F(credentials, profile_from_aws_profile_and_from_configuration) {
    write("credentials",
          "# comment\n[default]\naws_access_key_id = AKIADEF\naws_secret_access_key = d\n"
          "[ops]\naws_access_key_id = AKIAOPS\naws_secret_access_key = o\n");
    write("config",
          "[profile cfg]\naws_access_key_id = AKIACFG\naws_secret_access_key = c\n"
          "s3 =\n  max_concurrent_requests = 2\n[sso-session x]\nsso_region = y\n");
    EXPECT_EQ(chain().get(t0).credentials->access_key_id, "AKIADEF");
    env["AWS_PROFILE"] = "ops";
    EXPECT_EQ(chain().get(t0).credentials->access_key_id, "AKIAOPS");
    // The configured profile beats AWS_PROFILE, like the CLI's --profile.
    auto r = chain("cfg").get(t0);
    ASSERT_TRUE(r.credentials) << r.error;
    EXPECT_EQ(r.credentials->access_key_id, "AKIACFG");
    EXPECT_EQ(r.source, "profile cfg (config file)");
    auto missing = chain("nope").get(t0);
    EXPECT_FALSE(missing.credentials);
    EXPECT_NE(missing.error.find("profile not found"), std::string::npos);
}

TEST_F(credentials, credential_process_runs_and_is_refreshed_before_expiry) {
    auto counter = (dir / "count").string();
    auto helper =
        script("helper.sh", "echo x >> '" + counter +
                                "'\n"
                                "n=$(wc -l < '" +
                                counter +
                                "')\n"
                                "printf '{\"Version\": 1, \"AccessKeyId\": \"ASIAPROC%s\", "
                                "\"SecretAccessKey\": \"procsecret\", \"SessionToken\": \"t\", "
                                "\"Expiration\": \"2026-12-04T13:00:00Z\"}' \"$n\"\n");
    write("config", "[default]\ncredential_process = " + helper + " --profile 'a b'\n");
    auto c = chain();
    auto r = c.get(t0);
    ASSERT_TRUE(r.credentials) << r.error;
    EXPECT_EQ(r.credentials->access_key_id, "ASIAPROC1");
    EXPECT_EQ(r.source, "profile default (credential_process)");
    ASSERT_TRUE(r.expiration);
    EXPECT_EQ(*r.expiration, t0 + 1h);
    // Well before expiry: cached, the helper is not run again.
    EXPECT_EQ(c.get(t0 + 30min).credentials->access_key_id, "ASIAPROC1");
    // Inside the 5-minute refresh margin: run again.
    EXPECT_EQ(c.get(t0 + 56min).credentials->access_key_id, "ASIAPROC2");
}

TEST_F(credentials, credential_process_failures_are_errors) {
    write("config", "[default]\ncredential_process = " + script("fail.sh", "exit 3\n") + "\n");
    auto r = chain().get(t0);
    EXPECT_FALSE(r.credentials);
    EXPECT_NE(r.error.find("exit status 3"), std::string::npos) << r.error;

    write("config", "[default]\ncredential_process = " +
                        script("bad.sh", "echo '{\"Version\": 2}'\n") + "\n");
    EXPECT_NE(chain().get(t0).error.find("Version"), std::string::npos);

    credential_options o;
    auto slow = run_credential_process(script("slow.sh", "exec sleep 10\n"), 200ms);
    EXPECT_NE(slow.error.find("timed out"), std::string::npos) << slow.error;
    EXPECT_FALSE(split_command("a 'b"));
    EXPECT_EQ(*split_command(R"(a "b c" d\ e 'f g')"),
              (std::vector<std::string>{"a", "b c", "d e", "f g"}));
}

TEST_F(credentials, role_arn_with_source_profile_assumes_the_role_signed_by_the_source) {
    auto sts = fake_sts();
    write("credentials", "[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = b\n");
    write("config",
          "[profile team]\nrole_arn = arn:aws:iam::111122223333:role/TeamReader\n"
          "source_profile = base\nrole_session_name = gw1\nexternal_id = ext\n"
          "region = eu-central-1\n");
    auto c = chain("team");
    auto r = c.get(t0);
    ASSERT_TRUE(r.credentials) << r.error;
    EXPECT_EQ(r.credentials->access_key_id, "ASIATeamReader1");
    EXPECT_EQ(r.credentials->session_token, "TOKEN-ASIATeamReader1");
    EXPECT_EQ(*r.expiration, t0 + 1h);
    EXPECT_NE(r.source.find("assume role arn:aws:iam::111122223333:role/TeamReader via profile "
                            "base"),
              std::string::npos)
        << r.source;
    auto req = sts->requests().at(0);
    auto f = form(req.body);
    EXPECT_EQ(f["Action"], "AssumeRole");
    EXPECT_EQ(f["RoleSessionName"], "gw1");
    EXPECT_EQ(f["ExternalId"], "ext");
    EXPECT_EQ(req.header("authorization")
                  .find("AWS4-HMAC-SHA256 Credential=AKIABASE/20261204/"
                        "eu-central-1/sts/aws4_request"),
              0u)
        << req.header("authorization");
    // Refreshed before expiry, not after.
    c.get(t0 + 50min);
    EXPECT_EQ(sts_calls, 1);
    EXPECT_EQ(c.get(t0 + 56min).credentials->access_key_id, "ASIATeamReader2");
}

TEST_F(credentials, roles_chain_and_loops_are_refused) {
    auto sts = fake_sts();
    write("credentials", "[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = b\n");
    write("config",
          "[profile hop]\nrole_arn = arn:aws:iam::1:role/Hop\nsource_profile = base\n"
          "[profile team]\nrole_arn = arn:aws:iam::2:role/Team\nsource_profile = hop\n"
          "[profile a]\nrole_arn = arn:aws:iam::3:role/A\nsource_profile = b\n"
          "[profile b]\nrole_arn = arn:aws:iam::3:role/B\nsource_profile = a\n");
    auto r = chain("team").get(t0);
    ASSERT_TRUE(r.credentials) << r.error;
    EXPECT_EQ(r.credentials->access_key_id, "ASIATeam2");
    // The second call is signed with the first role's keys.
    EXPECT_NE(sts->requests().at(1).header("authorization").find("Credential=ASIAHop1/"),
              std::string::npos);
    EXPECT_EQ(sts->requests().at(1).header("x-amz-security-token"), "TOKEN-ASIAHop1");
    auto loop = chain("a").get(t0);
    EXPECT_FALSE(loop.credentials);
    EXPECT_NE(loop.error.find("loop"), std::string::npos) << loop.error;
}

TEST_F(credentials, sts_errors_name_the_code_and_no_secret) {
    fake_http_server sts([](const fake_request&) {
        return fake_response{403, "text/xml",
                             "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
                             "<Message>no</Message></Error></ErrorResponse>"};
    });
    env["AWS_ENDPOINT_URL_STS"] = sts.url();
    write("credentials",
          "[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = "
          "verysecret\n");
    write("config", "[default]\nrole_arn = arn:aws:iam::1:role/R\nsource_profile = base\n");
    auto r = chain().get(t0);
    EXPECT_FALSE(r.credentials);
    EXPECT_NE(r.error.find("403 AccessDenied"), std::string::npos) << r.error;
    EXPECT_EQ(r.error.find("verysecret"), std::string::npos);
    EXPECT_EQ(r.source.find("verysecret"), std::string::npos);
    EXPECT_FALSE(parse_sts_response(200, "<x/>").credentials);
    EXPECT_FALSE(parse_sts_response(200, "not xml <").credentials);
}

TEST_F(credentials, web_identity_from_the_environment) {
    auto sts = fake_sts();
    write("token", "eyJ.web.identity\n");
    env["AWS_WEB_IDENTITY_TOKEN_FILE"] = (dir / "token").string();
    env["AWS_ROLE_ARN"] = "arn:aws:iam::111122223333:role/Irsa";
    env["AWS_ROLE_SESSION_NAME"] = "pod";
    // Web identity comes before the credentials file's static keys.
    write("credentials", "[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = s\n");
    auto r = chain().get(t0);
    ASSERT_TRUE(r.credentials) << r.error;
    EXPECT_EQ(r.credentials->access_key_id, "ASIAIrsa1");
    auto req = sts->requests().at(0);
    auto f = form(req.body);
    EXPECT_EQ(f["Action"], "AssumeRoleWithWebIdentity");
    EXPECT_EQ(f["WebIdentityToken"], "eyJ.web.identity");
    EXPECT_EQ(f["RoleSessionName"], "pod");
    EXPECT_EQ(req.header("authorization"), "");  // unsigned: the token is the proof
    env.erase("AWS_ROLE_ARN");
    EXPECT_NE(chain().get(t0).error.find("AWS_ROLE_ARN"), std::string::npos);
}

TEST_F(credentials, container_endpoint_with_token_file) {
    fake_http_server endpoint([](const fake_request& r) {
        if (r.header("authorization") != "pod-identity-token")
            return fake_response{401, "text/plain", "no", false};
        return fake_response{200, "application/json",
                             R"({"AccessKeyId":"ASIACONT","SecretAccessKey":"cs","Token":"ct",)"
                             R"("Expiration":"2026-12-04T18:00:00Z"})"};
    });
    write("ptoken", "pod-identity-token\n");
    env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = endpoint.url() + "/v1/credentials";
    env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = (dir / "ptoken").string();
    env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "ignored-when-the-file-is-set";
    auto r = chain().get(t0);
    ASSERT_TRUE(r.credentials) << r.error;
    EXPECT_EQ(r.credentials->access_key_id, "ASIACONT");
    EXPECT_EQ(*r.expiration, t0 + 6h);
    EXPECT_EQ(endpoint.requests().at(0).target, "/v1/credentials");

    env.erase("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    auto wrong = chain().get(t0);
    EXPECT_NE(wrong.error.find("HTTP 401"), std::string::npos) << wrong.error;

    env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://192.0.2.7/creds";
    auto far = chain().get(t0);
    EXPECT_NE(far.error.find("loopback"), std::string::npos) << far.error;

    env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = endpoint.url();
    env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "a\r\nX-Injected: 1";
    EXPECT_NE(chain().get(t0).error.find("line break"), std::string::npos);
}

TEST_F(credentials, a_failed_refresh_keeps_valid_credentials_until_they_expire) {
    auto counter = (dir / "count").string();
    auto helper = script("flaky.sh", "echo x >> '" + counter +
                                         "'\n"
                                         "[ $(wc -l < '" +
                                         counter +
                                         "') -gt 1 ] && exit 1\n"
                                         "echo '{\"Version\": 1, \"AccessKeyId\": \"ASIA1\", "
                                         "\"SecretAccessKey\": \"s\", \"Expiration\": "
                                         "\"2026-12-04T13:00:00Z\"}'\n");
    write("config", "[default]\ncredential_process = " + helper + "\n");
    auto c = chain();
    ASSERT_TRUE(c.get(t0).credentials);
    auto late = c.get(t0 + 58min);
    ASSERT_TRUE(late.credentials);
    EXPECT_NE(late.error.find("refresh failed"), std::string::npos);
    EXPECT_FALSE(c.get(t0 + 61min).credentials);
}

TEST_F(credentials, nothing_configured_says_what_was_tried) {
    auto r = chain().get(t0);
    EXPECT_FALSE(r.credentials);
    EXPECT_NE(r.error.find("no AWS credentials"), std::string::npos);
}

TEST(aws_config_files, sections_and_values) {
    auto f = parse_aws_ini("[profile  x ]\nregion=eu-west-1\n[default]\n k = v\n[bad\nz=1\n", true);
    EXPECT_EQ(profile_value(f, "x", "region"), "eu-west-1");
    EXPECT_FALSE(profile_value(f, "default", "k"));  // indented: a nested sub-section value
    EXPECT_FALSE(profile_value(f, "bad", "z"));
}

}  // namespace

namespace {

TEST(credentials_env_names, the_configuration_may_rename_the_environment_variables) {
    consolegate::team::credential_options o;
    o.access_key_id_env = "TEAM_AWS_ACCESS_KEY_ID";
    o.secret_access_key_env = "TEAM_AWS_SECRET_ACCESS_KEY";
    o.session_token_env = "TEAM_AWS_SESSION_TOKEN";
    o.getenv = [](const std::string& n) -> std::optional<std::string> {
        if (n == "TEAM_AWS_ACCESS_KEY_ID") return "AKIATEAM";
        if (n == "TEAM_AWS_SECRET_ACCESS_KEY") return "teamsecret";
        if (n == "AWS_ACCESS_KEY_ID") return "AKIAPROCESS";
        if (n == "AWS_SECRET_ACCESS_KEY") return "processsecret";
        return std::nullopt;
    };
    consolegate::team::credential_chain chain(std::move(o));
    auto r = chain.get(t0);
    ASSERT_TRUE(r.credentials) << r.error;
    EXPECT_EQ(r.credentials->access_key_id, "AKIATEAM");
    EXPECT_EQ(r.credentials->session_token, "");
}

}  // namespace
