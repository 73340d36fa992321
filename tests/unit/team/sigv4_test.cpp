// The SigV4 signer against AWS's own test suite (awslabs/aws-c-auth
// tests/aws-signing-test-suite/v4, in ../shared/testdata/sigv4): every header-signing case, each
// compared on the canonical request, the string to sign, the signature and the Authorization
// header. Cases that do not apply are skipped by name with the reason (also in docs/team.md).
#include "team/sigv4.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "consolegate/core/time.hpp"

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace consolegate::team;

const fs::path suite_dir = fs::path(CG_SHARED_DIR) / "testdata" / "sigv4";

// Header-signing cases the gateway's signer deliberately does not support.
const std::map<std::string, std::string, std::less<>> not_applicable = {
    {"post-sts-header-after",
     "omit_session_token: the token is sent but left out of the signature, a mode for services "
     "that add it after signing (AWS IoT); DynamoDB and STS want X-Amz-Security-Token signed, "
     "and the signer always signs it"},
};

std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string strip_trailing_newlines(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    return s;
}

struct parsed_request {
    std::string method, path, query, body;
    header_list headers;
};

// request.txt: "METHOD target HTTP/1.1", "Name:value" lines (a line starting with blanks
// continues the previous value, the obsolete folding of get-header-value-multiline), a blank
// line, then the body. The target may hold raw spaces and UTF-8 (get-space-*, get-utf8).
parsed_request parse_request(const std::string& text) {
    parsed_request r;
    std::istringstream in(text);
    std::string line;
    std::getline(in, line);
    auto sp = line.find(' ');
    auto version = line.rfind(" HTTP/");
    r.method = line.substr(0, sp);
    std::string target = line.substr(sp + 1, version - sp - 1);
    auto q = target.find('?');
    r.path = target.substr(0, q);
    if (q != std::string::npos) r.query = target.substr(q + 1);
    while (std::getline(in, line)) {
        if (line.empty()) break;
        if ((line[0] == ' ' || line[0] == '\t') && !r.headers.empty()) {
            r.headers.back().second += "\n" + line;
            continue;
        }
        auto colon = line.find(':');
        r.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
    }
    std::ostringstream body;
    body << in.rdbuf();
    r.body = body.str();
    return r;
}

std::vector<std::string> case_names() {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(suite_dir)) {
        if (e.is_directory() && fs::exists(e.path() / "header-signature.txt"))
            names.push_back(e.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

class sigv4_suite : public ::testing::TestWithParam<std::string> {};

TEST_P(sigv4_suite, header_signing_matches_aws) {
    const auto& name = GetParam();
    if (auto it = not_applicable.find(name); it != not_applicable.end())
        GTEST_SKIP() << name << " does not apply: " << it->second;
    const fs::path dir = suite_dir / name;
    auto ctx = json::parse(read(dir / "context.json")).as_object();
    const auto& c = ctx.at("credentials").as_object();
    aws_credentials creds{json::value_to<std::string>(c.at("access_key_id")),
                          json::value_to<std::string>(c.at("secret_access_key")), ""};
    if (const auto* t = c.if_contains("token"))
        creds.session_token = json::value_to<std::string>(*t);
    sigv4_scope scope;
    scope.region = json::value_to<std::string>(ctx.at("region"));
    scope.service = json::value_to<std::string>(ctx.at("service"));
    scope.normalize_path = ctx.at("normalize").as_bool();
    scope.add_content_sha256_header = ctx.at("sign_body").as_bool();
    auto now = consolegate::core::parse_rfc3339(json::value_to<std::string>(ctx.at("timestamp")));
    ASSERT_TRUE(now.has_value());

    auto req = parse_request(read(dir / "request.txt"));
    sigv4_request sr{req.method, req.path, req.query, req.headers, req.body};
    auto out = sigv4_sign(sr, creds, scope, *now);

    EXPECT_EQ(out.canonical_request,
              strip_trailing_newlines(read(dir / "header-canonical-request.txt")));
    EXPECT_EQ(out.string_to_sign, strip_trailing_newlines(read(dir / "header-string-to-sign.txt")));
    EXPECT_EQ(out.signature, strip_trailing_newlines(read(dir / "header-signature.txt")));
    std::string expected_auth;
    std::istringstream signed_req(read(dir / "header-signed-request.txt"));
    for (std::string line; std::getline(signed_req, line);) {
        if (line.starts_with("Authorization:")) expected_auth = line.substr(14);
    }
    EXPECT_EQ(out.authorization, expected_auth);
    ASSERT_FALSE(out.added_headers.empty());
    EXPECT_EQ(out.added_headers.back().first, "Authorization");
}

INSTANTIATE_TEST_SUITE_P(aws_suite, sigv4_suite, ::testing::ValuesIn(case_names()),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                             std::string n = p.param;
                             std::replace(n.begin(), n.end(), '-', '_');
                             return n;
                         });

TEST(sigv4, suite_is_present_and_complete) {
    // Guards against the suite silently vanishing: every case folder counted.
    EXPECT_GE(case_names().size(), 38u);
}

TEST(sigv4, session_token_is_signed_and_sent) {
    aws_credentials creds{"AKIDEXAMPLE", "secret", "token-value"};
    sigv4_request req{"POST", "/", "", {{"Host", "dynamodb.eu-west-1.amazonaws.com"}}, "{}"};
    auto out =
        sigv4_sign(req, creds, {"eu-west-1", "dynamodb"}, std::chrono::system_clock::time_point{});
    EXPECT_NE(out.canonical_request.find("x-amz-security-token:token-value\n"), std::string::npos);
    EXPECT_NE(out.authorization.find("SignedHeaders=host;x-amz-date;x-amz-security-token,"),
              std::string::npos);
    EXPECT_EQ(out.authorization.find("secret"), std::string::npos);
    EXPECT_EQ(out.added_headers[1],
              (std::pair<std::string, std::string>{"X-Amz-Security-Token", "token-value"}));
}

TEST(sigv4, caller_supplied_signing_headers_are_replaced) {
    aws_credentials creds{"AKID", "secret", ""};
    sigv4_request a{"GET", "/", "", {{"Host", "h"}}, ""};
    sigv4_request b{
        "GET",
        "/",
        "",
        {{"Host", "h"}, {"X-Amz-Date", "19990101T000000Z"}, {"Authorization", "forged"}},
        ""};
    auto t = std::chrono::system_clock::time_point{} + std::chrono::hours(24 * 365 * 50);
    EXPECT_EQ(sigv4_sign(a, creds, {"us-east-1", "sts"}, t).authorization,
              sigv4_sign(b, creds, {"us-east-1", "sts"}, t).authorization);
}

TEST(sigv4, malformed_percent_escapes_are_encoded_literally) {
    EXPECT_EQ(aws_uri_encode("a%zz", false), "a%25zz");
    aws_credentials creds{"AKID", "secret", ""};
    sigv4_request req{"GET", "/", "a=%zz&b=%4", {{"Host", "h"}}, ""};
    auto out = sigv4_sign(req, creds, {"us-east-1", "sts"}, {});
    EXPECT_NE(out.canonical_request.find("\na=%25zz&b=%254\n"), std::string::npos);
}

}  // namespace
