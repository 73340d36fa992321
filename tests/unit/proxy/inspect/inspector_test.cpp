#include "consolegate/inspect/inspector.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "request_view.hpp"
#include "saml_builder.hpp"

namespace ci = consolegate::inspect;
namespace core = consolegate::core;

namespace {

using consolegate::inspect::testing::request;

}  // namespace

// Host normalisation is core/host_pattern's (tests/unit/core/host_pattern_test.cpp); here, what
// the inspector makes of it.
TEST(inspector, host_as_aws_routes_it) {
    auto a = ci::inspect(request("GET", "Foo.Signin.AWS.amazon.com.:443", "/console"), {});
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].host, "foo.signin.aws.amazon.com");
    EXPECT_EQ(a[0].alias, "foo");
}

TEST(inspector, a_host_that_is_not_a_host_is_denied_never_no_sign_in) {
    for (const char* host : {"signin.aws.amazon.com..", " console.aws.amazon.com.. ",
                             "signin..aws.amazon.com", "sign in.aws.amazon.com"}) {
        auto a = ci::inspect(request("POST", host, "/authenticate", "account=111122223333"), {});
        ASSERT_FALSE(a.empty()) << host;
        EXPECT_TRUE(std::any_of(a.begin(), a.end(), [](const core::sign_in_attempt& x) {
            return x.parse_error.find("Host") != std::string::npos;
        })) << host;
    }
}

TEST(inspector, copies_client_and_time_and_fills_source) {
    auto v = request("GET", "111122223333.signin.aws.amazon.com", "/console");
    v.client = *core::ip_address::parse("10.1.2.3");
    v.time = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
    auto a = ci::inspect(v, {});
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].client, v.client);
    EXPECT_EQ(a[0].time, v.time);
    EXPECT_EQ(a[0].source, "host");
    EXPECT_EQ(a[0].host, "111122223333.signin.aws.amazon.com");
}

TEST(inspector, sni_naming_another_account_host_is_inspected_too) {
    auto v = request("GET", "signin.aws.amazon.com", "/console");
    v.sni = "444455556666-abcd1234.us-east-1.console.aws.amazon.com";
    auto a = ci::inspect(v, {});
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].flow, core::sign_in_flow::multi_session);
    EXPECT_EQ(a[0].account->str(), "444455556666");
    v.host = "";
    v.sni = "111122223333.signin.aws.amazon.com";
    a = ci::inspect(v, {});
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].flow, core::sign_in_flow::iam_user);
}

TEST(inspector, regional_sign_in_hosts_are_not_account_labels) {
    for (auto h : {"us-east-1.signin.aws.amazon.com", "us-gov-west-1.signin.aws.amazon.com",
                   "ap-southeast-3.signin.aws.amazon.com", "signin.aws.amazon.com"}) {
        EXPECT_TRUE(ci::inspect(request("GET", h, "/"), {}).empty()) << h;
    }
    auto a = ci::inspect(request("GET", "my-company-1.signin.aws.amazon.com", "/console"), {});
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].alias, "my-company-1");
}

TEST(inspector, multi_session_host_shape_is_exact) {
    EXPECT_TRUE(
        ci::inspect(
            request("GET", "111122223333-abcd1234.console.aws.amazon.com.evil.example", "/"), {})
            .empty());
    // Twelve digits and a '-' with another tail than [a-z0-9]+, or another run of digits, are not
    // read as the usual shape, and not passed as no sign-in either: the account they start with
    // is refused as unreadable (inspector_readings.console_labels_starting_with_an_account_name_it;
    // the first two were no sign-in before session 11).
    for (auto h : {"11112222333-abcd1234.us-east-1.console.aws.amazon.com",
                   "111122223333_abcd1234.us-east-1.console.aws.amazon.com",
                   "111122223333-.us-east-1.console.aws.amazon.com",
                   "111122223333-abcd_123.us-east-1.console.aws.amazon.com"}) {
        auto a = ci::inspect(request("GET", h, "/"), {});
        ASSERT_EQ(a.size(), 1u) << h;
        EXPECT_FALSE(a[0].parse_error.empty()) << h;
    }
}

TEST(inspector, too_many_distinct_values_is_one_parse_error) {
    std::string body;
    for (int i = 0; i < 100; ++i) body += "account=1111222233" + std::to_string(10 + i) + "&";
    auto a = ci::inspect(request("POST", "signin.aws.amazon.com", "/authenticate", body), {});
    ASSERT_EQ(a.size(), 1u);
    EXPECT_FALSE(a[0].parse_error.empty());
}

TEST(inspector, truncated_body_off_sign_in_paths_is_not_an_attempt) {
    auto v = request("POST", "us-east-1.console.aws.amazon.com", "/upload", "xxxx");
    v.body_truncated = true;
    EXPECT_TRUE(ci::inspect(v, {}).empty());
    v.host = "signin.aws.amazon.com";
    v.target = "/switchrole";
    auto a = ci::inspect(v, {});
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].flow, core::sign_in_flow::switch_role);
    EXPECT_NE(a[0].parse_error.find("cap"), std::string::npos);
}

// A cap that kept nothing of the body (the body was all past it) is still a cut body.
TEST(inspector, a_body_cut_before_its_first_byte_fails_closed_on_sign_in_paths) {
    for (const char* path : {"/switchrole", "/authenticate", "/saml", "/federation"}) {
        auto v = request("POST", "signin.aws.amazon.com", path, "");
        v.body_truncated = true;
        auto a = ci::inspect(v, {});
        ASSERT_FALSE(a.empty()) << path;
        EXPECT_NE(a[0].parse_error.find("cap"), std::string::npos) << path;
    }
}

TEST(inspector, truncated_change_request_fails_closed) {
    auto v = request("POST", "amscm.us-east-1.amazonaws.com", "/", "{\"ChangeTypeId\":");
    v.headers.emplace_back("X-Amz-Target", "AWSManagedServicesChangeManagement.CreateRfc");
    v.body_truncated = true;
    auto a = ci::inspect(v, {});
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].flow, core::sign_in_flow::ams_change);
    EXPECT_FALSE(a[0].parse_error.empty());
}

TEST(inspector, change_type_in_an_unparsed_shape_of_a_change_request_is_still_found) {
    auto v = request("POST", "console.aws.amazon.com", "/managedservices/rfc/create",
                     "ChangeTypeId%3Dct-1opjmhuddw194%26x%3D1");
    v.headers.emplace_back("Content-Type", "text/plain");
    auto a = ci::inspect(v, {});
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].change_type, "ct-1opjmhuddw194");
}

TEST(inspector, get_without_parameters_on_sign_in_pages_is_nothing) {
    for (auto t : {"/saml", "/switchrole", "/federation", "/signin", "/authenticate", "/oauth"}) {
        EXPECT_TRUE(ci::inspect(request("GET", "signin.aws.amazon.com", t), {}).empty()) << t;
    }
}

TEST(inspector, role_chooser_with_a_non_role_arn_is_a_parse_error) {
    auto a = ci::inspect(request("POST", "signin.aws.amazon.com", "/saml",
                                 "roleIndex=arn%3Aaws%3Aiam%3A%3A111122223333%3Auser%2Fbob"),
                         {});
    ASSERT_EQ(a.size(), 1u);
    EXPECT_FALSE(a[0].parse_error.empty());
}

TEST(inspector, switch_role_by_role_arn) {
    auto a = ci::inspect(
        request("GET", "signin.aws.amazon.com",
                "/switchrole?role=arn%3Aaws%3Aiam%3A%3A444455556666%3Arole%2Fops%2FAMS-Admin"),
        {});
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].account->str(), "444455556666");
    EXPECT_EQ(a[0].role_name, "AMS-Admin");
}

TEST(inspector, presigned_query_credential) {
    auto a = ci::inspect(request("GET", "s3.console.aws.amazon.com",
                                 "/b/k?X-Amz-Credential=ASIAY34FZKBOKMUTVV7A%2F20261123%2Fus-east-1"
                                 "%2Fs3%2Faws4_request&X-Amz-Signature=00"),
                         {});
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].flow, core::sign_in_flow::api_credentials);
    EXPECT_EQ(a[0].account->str(), "609629065308");
}

TEST(inspector, cookie_is_read_only_on_aws_hosts) {
    auto v = request("GET", "intranet.example.com", "/");
    v.headers.emplace_back("Cookie",
                           "aws-userInfo=%7B%22arn%22%3A%22arn%3Aaws%3Aiam%3A%3A111122223333"
                           "%3Auser%2Fbob%22%7D");
    EXPECT_TRUE(ci::inspect(v, {}).empty());
    v.host = "console.aws.amazon.com";
    EXPECT_EQ(ci::inspect(v, {}).size(), 1u);
}

TEST(inspector, switch_role_naming_only_a_role_fails_closed_with_a_source) {
    auto a =
        ci::inspect(request("POST", "signin.aws.amazon.com", "/switchrole", "roleName=Admin"), {});
    ASSERT_EQ(a.size(), 1u);
    EXPECT_FALSE(a[0].parse_error.empty());
    EXPECT_EQ(a[0].source, "form:roleName");
}

TEST(inspector, foreign_host_header_on_an_aws_connection_is_judged_by_the_sni) {
    auto v =
        request("POST", "intranet.example.com", "/switchrole", "account=444455556666&roleName=X");
    v.sni = "signin.aws.amazon.com";
    auto a = ci::inspect(v, {});
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].flow, core::sign_in_flow::switch_role);
    EXPECT_EQ(a[0].host, "signin.aws.amazon.com");
}

// A connection bumped because its destination is a sign-in address (docs/proxy.md): the name it
// gives is not one the inspector knows, so what it carries is judged as on a sign-in host.
TEST(inspector, a_name_at_a_sign_in_address_is_judged_as_a_sign_in_host) {
    struct want {
        const char* method;
        const char* target;
        const char* body;
        core::sign_in_flow flow;
    };
    for (const auto& w : {
             want{"POST", "/switchrole", "account=444455556666&roleName=X",
                  core::sign_in_flow::switch_role},
             want{"POST", "/authenticate", "account=444455556666&username=bob",
                  core::sign_in_flow::iam_user},
             want{"GET", "/federation/console?account_id=444455556666&role_name=X", "",
                  core::sign_in_flow::identity_center},
             want{"POST", "/some/new/path", "account=444455556666&roleName=X",
                  core::sign_in_flow::switch_role},
         }) {
        auto v = request(w.method, "alias.example.net", w.target, w.body);
        v.sni = "alias.example.net";
        EXPECT_TRUE(ci::inspect(v, {}).empty()) << w.target;  // by name alone: not AWS
        v.by_address = true;
        auto a = ci::inspect(v, {});
        ASSERT_FALSE(a.empty()) << w.target;
        EXPECT_EQ(a[0].flow, w.flow) << w.target;
        ASSERT_TRUE(a[0].account) << w.target;
        EXPECT_EQ(a[0].account->str(), "444455556666");
        EXPECT_EQ(a[0].host, "alias.example.net");  // the record names what was asked for
    }
    // A body the inspector cannot read there is refused, as on a sign-in host.
    auto v = request("POST", "alias.example.net", "/x", "\x01\x02");
    v.headers.emplace_back("Content-Type", "application/octet-stream");
    v.by_address = true;
    auto a = ci::inspect(v, {});
    ASSERT_FALSE(a.empty());
    EXPECT_FALSE(a[0].parse_error.empty());
    // With nothing recognisable it is forwarded.
    auto page = request("GET", "alias.example.net", "/");
    page.by_address = true;
    EXPECT_TRUE(ci::inspect(page, {}).empty());
}

TEST(inspector, sigv4a_credential_is_read) {
    auto v = request("GET", "s3.console.aws.amazon.com", "/");
    v.headers.emplace_back("Authorization",
                           "AWS4-ECDSA-P256-SHA256 Credential=ASIAY34FZKBOKMUTVV7A/"
                           "20261123/s3/aws4_request, SignedHeaders=host, "
                           "Signature=00");
    auto a = ci::inspect(v, {});
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].account->str(), "609629065308");
}

TEST(inspector, conflicting_content_types_on_a_sign_in_path_fail_closed) {
    auto v = request("POST", "signin.aws.amazon.com", "/authenticate",
                     "account=111122223333&username=bob");
    v.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    v.headers.emplace_back("Content-Type", "text/plain");
    auto a = ci::inspect(v, {});
    ASSERT_EQ(a.size(), 1u);
    EXPECT_FALSE(a[0].parse_error.empty());
}

// Issue 17, class 3: a request the origin could read otherwise than the inspector did is denied
// with its own reason; every field AWS reads for the account or role is read.
namespace {

bool has_error(const std::vector<core::sign_in_attempt>& a, std::string_view words) {
    return std::any_of(a.begin(), a.end(), [&](const core::sign_in_attempt& x) {
        return x.parse_error.find(words) != std::string::npos;
    });
}

bool names_account(const std::vector<core::sign_in_attempt>& a, std::string_view account) {
    return std::any_of(a.begin(), a.end(), [&](const core::sign_in_attempt& x) {
        return x.account && x.account->str() == account;
    });
}

}  // namespace

TEST(inspector, several_host_headers_are_denied_with_their_own_reason) {
    for (auto second : {"evil.example.com", "signin.aws.amazon.com",
                        "111122223333.signin.aws."
                        "amazon.com"}) {
        auto v = request("GET", "console.aws.amazon.com", "/console/home");
        v.headers.emplace_back("Host", "console.aws.amazon.com");
        v.headers.emplace_back("host", second);
        EXPECT_TRUE(has_error(ci::inspect(v, {}), "several Host headers")) << second;
    }
    auto v = request("GET", "console.aws.amazon.com", "/console/home");
    v.headers.emplace_back("Host", "console.aws.amazon.com");
    EXPECT_TRUE(ci::inspect(v, {}).empty());
}

TEST(inspector, a_fragment_in_the_target_is_denied_on_every_inspected_path) {
    for (auto target : {"/switchrole#?account=444455556666&roleName=Admin", "/console#x",
                        "/authenticate%23#", "/#"}) {
        auto a = ci::inspect(request("GET", "signin.aws.amazon.com", target), {});
        EXPECT_TRUE(has_error(a, "'#'")) << target;
    }
    // An escaped '#' is part of the path, not a fragment.
    EXPECT_TRUE(ci::inspect(request("GET", "console.aws.amazon.com", "/a%23b"), {}).empty());
}

TEST(inspector, a_semicolon_in_a_sign_in_query_is_denied) {
    for (auto target : {"/switchrole?account=111122223333;account=444455556666&roleName=Admin",
                        "/federation?Action=login;SigninToken=x", "/saml?x=1;roleIndex=2",
                        "/authenticate?;account=444455556666"}) {
        EXPECT_TRUE(
            has_error(ci::inspect(request("GET", "signin.aws.amazon.com", target), {}), "';'"))
            << target;
    }
    // Off sign-in paths (console pages) a ';' is no sign-in parameter.
    EXPECT_TRUE(
        ci::inspect(request("GET", "console.aws.amazon.com", "/ec2/home?a=1;b=2"), {}).empty());
}

TEST(inspector, media_types_are_read_exactly) {
    struct row {
        const char* ctype;
        const char* words;  // the reason, or "" when the body is read as a form
    };
    for (auto r : {row{"multipart/form-data; boundary=x-www-form-urlencoded", "multipart"},
                   row{"Multipart/Mixed; boundary=b", "multipart"},
                   row{"text/plain; x=application/x-www-form-urlencoded", "not readable"},
                   row{"application/x-www-form-urlencoded-v2", "not readable"},
                   row{"application/x-www-form-urlencoded; charset=UTF-8", ""},
                   row{" APPLICATION/X-WWW-FORM-URLENCODED ", ""}}) {
        auto v = request("POST", "signin.aws.amazon.com", "/switchrole",
                         "account=444455556666&roleName=Dev");
        v.headers.emplace_back("Content-Type", r.ctype);
        auto a = ci::inspect(v, {});
        if (*r.words) {
            EXPECT_TRUE(has_error(a, r.words)) << r.ctype;
            EXPECT_FALSE(names_account(a, "444455556666")) << r.ctype;
        } else {
            ASSERT_EQ(a.size(), 1u) << r.ctype;
            EXPECT_TRUE(a[0].parse_error.empty()) << r.ctype;
            EXPECT_EQ(a[0].account->str(), "444455556666") << r.ctype;
        }
    }
    // Two Content-Types that differ only in parameters name one media type: read.
    auto v = request("POST", "signin.aws.amazon.com", "/switchrole",
                     "account=444455556666&roleName=Dev");
    v.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    v.headers.emplace_back("Content-Type", "application/json");
    EXPECT_TRUE(has_error(ci::inspect(v, {}), "several different Content-Types"));
}

TEST(inspector, json_numbers_are_read_exactly_in_any_form) {
    for (auto n : {"444455556666", "4.44455556666e11", "4.44455556666E+11", "444455556666.000",
                   "44445555666600e-2", "0.444455556666e12"}) {
        auto body = std::string(R"({"accountId":)") + n + R"(,"roleName":"Dev"})";
        auto v = request("POST", "signin.aws.amazon.com", "/sessions/x/v1/switchrole", body);
        v.headers.emplace_back("Content-Type", "application/json");
        auto a = ci::inspect(v, {});
        ASSERT_EQ(a.size(), 1u) << n;
        ASSERT_TRUE(a[0].account) << n;
        EXPECT_EQ(a[0].account->str(), "444455556666") << n;
    }
    for (auto n :
         {"444455556666.5", "4.444555566665e11", "4.44455556666e-11", "2e-1", "-444455556666.1"}) {
        auto body = std::string(R"({"accountId":)") + n + R"(,"roleName":"Dev"})";
        auto v = request("POST", "signin.aws.amazon.com", "/sessions/x/v1/switchrole", body);
        v.headers.emplace_back("Content-Type", "application/json");
        auto a = ci::inspect(v, {});
        EXPECT_TRUE(has_error(a, "JSON number")) << n;
    }
}

TEST(inspector, saml_role_index_must_be_a_role_the_assertion_contains) {
    const std::string role_a = "arn:aws:iam::111122223333:role/Admin";
    const std::string prov_a = "arn:aws:iam::111122223333:saml-provider/Okta";
    auto response =
        consolegate::test::b64(consolegate::test::saml_response({role_a + "," + prov_a}, "alice"));
    auto escape = [](std::string s) {
        std::string out;
        for (char c : s) {
            if (c == '+')
                out += "%2B";
            else if (c == '/')
                out += "%2F";
            else if (c == '=')
                out += "%3D";
            else if (c == ':')
                out += "%3A";
            else
                out += c;
        }
        return out;
    };
    struct row {
        std::string chosen;
        bool denied;
    };
    for (const auto& r : {row{role_a, false}, row{"arn:aws:iam::111122223333:role/admin", false},
                          row{"arn:aws:iam::444455556666:role/Admin", true},
                          row{"arn:aws:iam::111122223333:role/Other", true},
                          row{"arn:aws:iam::111122223333:role/sub/Admin", false}}) {
        auto body = "roleIndex=" + escape(r.chosen) + "&SAMLResponse=" + escape(response);
        auto a = ci::inspect(request("POST", "signin.aws.amazon.com", "/saml", body), {});
        ASSERT_FALSE(a.empty()) << r.chosen;
        EXPECT_EQ(has_error(a, "does not contain"), r.denied) << r.chosen;
    }
}

TEST(inspector, a_role_arn_is_read_wherever_a_role_is_named) {
    // roleName as an ARN in another account than `account`: both accounts are judged.
    for (auto name : {"roleName", "role", "role_name"}) {
        auto body = std::string("account=111122223333&") + name +
                    "=arn%3Aaws%3Aiam%3A%3A444455556666%3Arole%2Fpath%2FAdmin";
        auto a = ci::inspect(request("POST", "signin.aws.amazon.com", "/switchrole", body), {});
        EXPECT_TRUE(names_account(a, "111122223333")) << name;
        EXPECT_TRUE(names_account(a, "444455556666")) << name;
    }
    // Multi-session switch role posts roleArn.
    auto v = request("POST", "signin.aws.amazon.com", "/sessions/x/v1/switchrole",
                     R"({"roleArn":"arn:aws:iam::444455556666:role/Admin"})");
    v.headers.emplace_back("Content-Type", "application/json");
    auto a = ci::inspect(v, {});
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].account->str(), "444455556666");
    EXPECT_EQ(a[0].role_name, "Admin");
}

TEST(inspector, sigv4_credential_is_read_by_the_header_grammar) {
    // ASIAGO645SY5CWS4H4AN encodes 444455556666, ASIAY34FZKBOKMUTVV7A 609629065308.
    for (auto h :
         {"AWS4-HMAC-SHA256 XCredential=ASIAY34FZKBOKMUTVV7A/x, Credential=ASIAGO645SY5CWS4H4AN/x",
          "AWS4-HMAC-SHA256 SignedHeaders=host, Credential=ASIAGO645SY5CWS4H4AN/x, Signature=0",
          "AWS4-HMAC-SHA256   credential=ASIAGO645SY5CWS4H4AN/x,Signature=0"}) {
        auto v = request("GET", "s3.console.aws.amazon.com", "/");
        v.headers.emplace_back("Authorization", h);
        auto a = ci::inspect(v, {});
        ASSERT_EQ(a.size(), 1u) << h;
        ASSERT_TRUE(a[0].account) << h;
        EXPECT_EQ(a[0].account->str(), "444455556666") << h;
    }
    for (auto h : {"AWS4-HMAC-SHA256 SignedHeaders=host;Credential=ASIAGO645SY5CWS4H4AN/x",
                   "AWS4-HMAC-SHA256 Credential ASIAGO645SY5CWS4H4AN/x", "AWS4-HMAC-SHA256"}) {
        auto v = request("GET", "s3.console.aws.amazon.com", "/");
        v.headers.emplace_back("Authorization", h);
        auto a = ci::inspect(v, {});
        ASSERT_EQ(a.size(), 1u) << h;
        EXPECT_FALSE(a[0].parse_error.empty()) << h;
        EXPECT_FALSE(a[0].account) << h;
    }
    // Two Credentials: each is judged.
    auto v = request("GET", "s3.console.aws.amazon.com", "/");
    v.headers.emplace_back("Authorization",
                           "AWS4-HMAC-SHA256 Credential=ASIAY34FZKBOKMUTVV7A/x, "
                           "Credential=ASIAGO645SY5CWS4H4AN/x");
    auto a = ci::inspect(v, {});
    EXPECT_TRUE(names_account(a, "609629065308"));
    EXPECT_TRUE(names_account(a, "444455556666"));
}

namespace {

TEST(inspector, portal_credentials_are_told_apart_from_console_federation) {
    const char* host = "portal.sso.eu-west-1.amazonaws.com";
    auto creds = ci::inspect(
        request("GET", host, "/federation/credentials/?account_id=111122223333&role_name=Admin"),
        {});
    ASSERT_EQ(creds.size(), 1u);
    EXPECT_TRUE(creds[0].portal_credentials);
    EXPECT_EQ(creds[0].permission_set, "Admin");
    auto console = ci::inspect(
        request("GET", host, "/federation/console?account_id=111122223333&role_name=Admin"), {});
    ASSERT_EQ(console.size(), 1u);
    EXPECT_FALSE(console[0].portal_credentials);
}

}  // namespace

// Other partitions (issue 19): the GovCloud and China sign-in and console names are read like the
// commercial ones, each attempt carries its partition, and an ARN of another partition than the
// host's fails closed.
TEST(inspector, govcloud_and_china_sign_in_is_read_like_the_commercial_one) {
    struct row {
        const char* host;
        const char* target;
        core::sign_in_flow flow;
        const char* account;
        core::partition partition;
    };
    for (auto r :
         {row{"111122223333.signin.amazonaws-us-gov.com", "/console", core::sign_in_flow::iam_user,
              "111122223333", core::partition::aws_us_gov},
          row{"111122223333.signin.amazonaws.cn", "/console", core::sign_in_flow::iam_user,
              "111122223333", core::partition::aws_cn},
          row{"us-gov-west-1.signin.amazonaws-us-gov.com", "/console", core::sign_in_flow::iam_user,
              nullptr, core::partition::aws_us_gov},
          row{"444455556666-abcd1234.us-gov-west-1.console.amazonaws-us-gov.com", "/",
              core::sign_in_flow::multi_session, "444455556666", core::partition::aws_us_gov},
          row{"444455556666-abcd1234.cn-north-1.console.amazonaws.cn", "/",
              core::sign_in_flow::multi_session, "444455556666", core::partition::aws_cn},
          row{"portal.sso.us-gov-west-1.amazonaws.com",
              "/federation/console?account_id=111122223333&role_name=Admin",
              core::sign_in_flow::identity_center, "111122223333", core::partition::aws_us_gov},
          row{"portal.sso.cn-north-1.amazonaws.com.cn",
              "/federation/console?account_id=111122223333&role_name=Admin",
              core::sign_in_flow::identity_center, "111122223333", core::partition::aws_cn}}) {
        SCOPED_TRACE(r.host);
        auto a = ci::inspect(request("GET", r.host, r.target), {});
        if (!r.account) {
            EXPECT_TRUE(a.empty());  // a Region label is no account
            continue;
        }
        ASSERT_EQ(a.size(), 1u);
        EXPECT_EQ(a[0].flow, r.flow);
        EXPECT_EQ(a[0].account->str(), r.account);
        EXPECT_EQ(a[0].aws_partition, r.partition);
        EXPECT_EQ(a[0].parse_error, "");
    }
    // The form post, switch role and the console cookie on the GovCloud names.
    auto a = ci::inspect(request("POST", "signin.amazonaws-us-gov.com", "/authenticate",
                                 "account=111122223333&username=bob"),
                         {});
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].flow, core::sign_in_flow::iam_user);
    EXPECT_EQ(a[0].aws_partition, core::partition::aws_us_gov);
    a = ci::inspect(
        request("GET", "signin.amazonaws.cn", "/switchrole?account=111122223333&roleName=Admin"),
        {});
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].flow, core::sign_in_flow::switch_role);
    EXPECT_EQ(a[0].aws_partition, core::partition::aws_cn);
    auto v = request("GET", "us-gov-west-1.console.amazonaws-us-gov.com", "/ec2/home");
    v.headers.emplace_back("Cookie",
                           "aws-userInfo=%7B%22arn%22%3A%22arn%3Aaws-us-gov%3Asts%3A%3A111122223333"
                           "%3Aassumed-role%2FAdmin%2Falice%22%7D");
    a = ci::inspect(v, {});
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].flow, core::sign_in_flow::console_session);
    EXPECT_EQ(a[0].aws_partition, core::partition::aws_us_gov);
    EXPECT_EQ(a[0].role_name, "Admin");
    EXPECT_EQ(a[0].parse_error, "");
}

TEST(inspector, an_arn_of_another_partition_than_the_host_fails_closed) {
    // A commercial console with a GovCloud session cookie, and the reverse.
    auto cookie = [](const char* partition) {
        return std::string("aws-userInfo=%7B%22arn%22%3A%22arn%3A") + partition +
               "%3Asts%3A%3A111122223333%3Aassumed-role%2FAdmin%2Falice%22%7D";
    };
    for (auto [host, partition] : {std::pair{"console.aws.amazon.com", "aws-us-gov"},
                                   std::pair{"console.amazonaws-us-gov.com", "aws"},
                                   std::pair{"console.amazonaws.cn", "aws-us-gov"},
                                   std::pair{"console.aws.amazon.com", "aws-iso"}}) {
        SCOPED_TRACE(std::string(host) + " " + partition);
        auto value = cookie(partition);  // the view below borrows it
        auto v = request("GET", host, "/");
        v.headers.emplace_back("Cookie", value);
        auto a = ci::inspect(v, {});
        ASSERT_EQ(a.size(), 1u);
        EXPECT_NE(a[0].parse_error, "");
        EXPECT_EQ(a[0].aws_partition, core::partition_of_host(host));
    }
    // A GovCloud role ARN in a switch-role link on the commercial sign-in host.
    auto a = ci::inspect(
        request("GET", "signin.aws.amazon.com",
                "/switchrole?roleName=arn%3Aaws-us-gov%3Aiam%3A%3A111122223333%3Arole%2FAdmin"),
        {});
    ASSERT_EQ(a.size(), 1u);
    EXPECT_NE(a[0].parse_error, "");
    // A SAML post of GovCloud roles to the commercial endpoint, and to GovCloud's own.
    const std::string role = "arn:aws-us-gov:iam::111122223333:role/Admin";
    const std::string prov = "arn:aws-us-gov:iam::111122223333:saml-provider/Okta";
    std::string form = "SAMLResponse=";
    for (char c :
         consolegate::test::b64(consolegate::test::saml_response({role + "," + prov}, "alice"))) {
        form += c == '+' ? std::string("%2B") : c == '=' ? std::string("%3D") : std::string(1, c);
    }
    auto gov = ci::inspect(request("POST", "signin.amazonaws-us-gov.com", "/saml", form), {});
    auto commercial = ci::inspect(request("POST", "signin.aws.amazon.com", "/saml", form), {});
    ASSERT_EQ(gov.size(), 1u);
    ASSERT_EQ(commercial.size(), 1u);
    EXPECT_EQ(gov[0].parse_error, "");
    EXPECT_EQ(gov[0].aws_partition, core::partition::aws_us_gov);
    EXPECT_EQ(gov[0].account->str(), "111122223333");
    EXPECT_NE(commercial[0].parse_error, "");
}

// A change request whose body the inspector cannot decode (a Content-Encoding, UTF-16 or UTF-32
// text, a charset other than UTF-8) hides its change type from both the structural read and the
// text search; AWS may decode it (SDK request compression, Jackson's encoding detection), so it
// fails closed. Before, a gzip or UTF-16 CreateRfc for a guarded change type was no sign-in.
TEST(inspector, change_request_body_it_cannot_decode_fails_closed) {
    const std::string json = R"({"ChangeTypeId":"ct-1opjmhuddw194"})";
    std::string utf16 = "\xFF\xFE";
    for (char c : json) utf16 += std::string{c, '\0'};
    struct shape {
        std::string body;
        const char* header;
        const char* value;
    };
    for (const auto& s :
         {shape{"\x1f\x8b\x08\x00junk", "Content-Encoding", "gzip"},
          shape{utf16, "Content-Type", "application/x-amz-json-1.1"},
          shape{utf16.substr(2), "Content-Type", "application/x-amz-json-1.1"},
          shape{json, "Content-Type", "application/x-amz-json-1.1; charset=utf-16"}}) {
        auto v = request("POST", "amscm.us-east-1.amazonaws.com", "/", s.body);
        v.headers.emplace_back("X-Amz-Target", "AWSManagedServicesChangeManagement.CreateRfc");
        v.headers.emplace_back(s.header, s.value);
        auto a = ci::inspect(v, {});
        ASSERT_FALSE(a.empty()) << s.value;
        EXPECT_EQ(a[0].flow, core::sign_in_flow::ams_change);
        EXPECT_FALSE(a[0].parse_error.empty());
    }
}

namespace {

bool any_flow(const std::vector<core::sign_in_attempt>& a, core::sign_in_flow f) {
    return std::any_of(a.begin(), a.end(),
                       [&](const core::sign_in_attempt& x) { return x.flow == f; });
}

}  // namespace

// The root user's password recovery (IAM User Guide, "Reset a lost or forgotten root user
// password": the Forgot your password? option is the root user's alone) is judged as the root
// flow, of the account it names if it names one. Before session 12 a recovery request naming an
// account (a field, or the host's label) was an IAM user's sign-in and one naming none was none.
TEST(inspector, the_root_password_recovery_is_the_roots_flow) {
    const std::string form = "application/x-www-form-urlencoded";
    // The e-mail's link and its form's post, on the sign-in host: root, no account yet.
    for (const char* target : {"/resetpassword?type=RootUser&token=t0k&key=k3y", "/ResetPassword/",
                               "/resetpassword.html", "/forgotpassword"}) {
        auto a = ci::inspect(request("GET", "signin.aws.amazon.com", target), {});
        ASSERT_EQ(a.size(), 1u) << target;
        EXPECT_EQ(a[0].flow, core::sign_in_flow::root) << target;
        EXPECT_FALSE(a[0].account) << target;
        EXPECT_EQ(a[0].parse_error, "") << target;
    }
    auto post = request("POST", "signin.aws.amazon.com", "/resetpassword",
                        "action=resetPasswordSubmitForm&token=t0k&key=k3y&newpassword=x&"
                        "confirmpassword=x&csrf=c");
    post.headers.emplace_back("Content-Type", form);
    auto a = ci::inspect(post, {});
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].flow, core::sign_in_flow::root);
    EXPECT_EQ(a[0].parse_error, "");
    // An account it names is the root's: never an IAM user's sign-in.
    auto named = request("POST", "signin.aws.amazon.com", "/resetpassword",
                         "action=resetPasswordSubmitForm&account=111122223333");
    named.headers.emplace_back("Content-Type", form);
    a = ci::inspect(named, {});
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].flow, core::sign_in_flow::root);
    EXPECT_EQ(a[0].account->str(), "111122223333");
    a = ci::inspect(request("GET", "111122223333.signin.aws.amazon.com", "/resetpassword"), {});
    EXPECT_FALSE(any_flow(a, core::sign_in_flow::iam_user));
    EXPECT_TRUE(std::any_of(a.begin(), a.end(), [](const core::sign_in_attempt& x) {
        return x.flow == core::sign_in_flow::root && x.account &&
               x.account->str() == "111122223333" && x.parse_error.empty();
    }));
    // The host's label and a field naming two accounts: ambiguous.
    auto two = request("POST", "111122223333.signin.aws.amazon.com", "/resetpassword",
                       "account=444455556666");
    two.headers.emplace_back("Content-Type", form);
    a = ci::inspect(two, {});
    EXPECT_TRUE(std::any_of(a.begin(), a.end(), [](const core::sign_in_attempt& x) {
        return x.ambiguous_identity && !x.parse_error.empty();
    }));
    // Another sign-in path on that host stays the IAM user's.
    a = ci::inspect(request("GET", "111122223333.signin.aws.amazon.com", "/console"), {});
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].flow, core::sign_in_flow::iam_user);
}

// /oauth on a sign-in host: the console's OAuth authorization request and its sign-out name no
// account (client_id's 015428540659 is AWS's own); a credential post there is the IAM user's when
// it names an account, the root's when it names the root's e-mail, and refused when it names
// both, neither, or an isIAMUser other than 1. Before session 12 the e-mail alone, or nothing,
// was no sign-in, and both were an IAM user's sign-in to the account.
TEST(inspector, oauth_is_judged_as_the_flow_its_post_names) {
    const std::string form = "application/x-www-form-urlencoded";
    auto post = [&](std::string host, std::string target, std::string body) {
        auto r = request("POST", std::move(host), std::move(target), std::move(body));
        r.headers.emplace_back("Content-Type", form);
        return ci::inspect(r, {});
    };
    auto refused = [](const std::vector<core::sign_in_attempt>& a) {
        return std::any_of(a.begin(), a.end(),
                           [](const core::sign_in_attempt& x) { return !x.parse_error.empty(); });
    };
    for (const char* host : {"signin.aws.amazon.com", "us-west-2.signin.aws.amazon.com",
                             "signin.amazonaws-us-gov.com", "signin.us-east-1.amazonaws.com"}) {
        SCOPED_TRACE(host);
        // The console's authorization request and the sign-out: nothing.
        EXPECT_TRUE(ci::inspect(request("GET", host,
                                        "/oauth?client_id=arn%3Aaws%3Asignin%3A%3A%3Aconsole%2F"
                                        "canvas&code_challenge=abc&code_challenge_method=SHA-256&"
                                        "response_type=code&redirect_uri=https%3A%2F%2Fconsole.aws."
                                        "amazon.com%2Fconsole%2Fhome%3Fisauthcode%3Dtrue"),
                                {})
                        .empty());
        EXPECT_TRUE(
            ci::inspect(request("GET", host, "/oauth?Action=logout&redirect_uri=x"), {}).empty());
        // The IAM user form's post: the account it names.
        auto a = post(host, "/oauth",
                      "client_id=arn%3Aaws%3Aiam%3A%3A015428540659%3Auser%2Fhomepage&isIAMUser=1&"
                      "Action=login&account=111122223333&username=bob&password=x&mfacode=");
        ASSERT_EQ(a.size(), 1u);
        EXPECT_EQ(a[0].flow, core::sign_in_flow::iam_user);
        EXPECT_EQ(a[0].account->str(), "111122223333");
        EXPECT_EQ(a[0].user, "bob");
        EXPECT_EQ(a[0].parse_error, "");
        // The root's e-mail: the root flow.
        a = post(host, "/OAuth/", "Action=login&email=root%40example.com&password=x");
        ASSERT_EQ(a.size(), 1u);
        EXPECT_EQ(a[0].flow, core::sign_in_flow::root);
        EXPECT_EQ(a[0].user, "root@example.com");
        EXPECT_EQ(a[0].parse_error, "");
        // Both, neither, or another marker: which user AWS signs in cannot be told.
        for (const char* body :
             {"account=111122223333&email=root%40example.com&password=x",
              "Action=login&username=bob&password=x", "password=x", "mfacode=123456",
              "isIAMUser=1&email=root%40example.com&password=x",
              "isIAMUser=0&account=111122223333&username=bob&password=x",
              "isIAMUser=true&account=111122223333&username=bob"}) {
            EXPECT_TRUE(refused(post(host, "/oauth", body))) << body;
        }
    }
    // The account's sign-in host names the account: with the root's e-mail, refused; without,
    // the IAM user's.
    auto a = post("111122223333.signin.aws.amazon.com", "/oauth",
                  "Action=login&email=root%40example.com&password=x");
    EXPECT_TRUE(refused(a));
    a = post("111122223333.signin.aws.amazon.com", "/oauth",
             "isIAMUser=1&Action=login&username=bob&password=x");
    EXPECT_FALSE(refused(a));
    ASSERT_FALSE(a.empty());
    EXPECT_TRUE(std::all_of(a.begin(), a.end(), [](const core::sign_in_attempt& x) {
        return x.flow == core::sign_in_flow::iam_user && x.account &&
               x.account->str() == "111122223333";
    }));
}

// An account value of digits (and inner dashes) that is not a 12-digit ID: IAM's alias syntax
// admits it, and AWS documents neither whether it refuses such an alias nor whether the sign-in
// page reads it as an account number (dashes dropped, leading zeros added or dropped), so it is
// unparsable, with the account a number reading names kept for the record; never an alias,
// listed or not. Before session 12 "11112222333" was an unknown alias, and one the site's alias
// map listed was its mapped account. The console's 1111-2222-3333 spelling is read both ways, as
// before.
TEST(inspector, an_account_of_digits_that_is_not_twelve_is_unparsable_never_an_alias) {
    ci::options opt;
    opt.aliases.emplace("11112222333", *core::account_id::parse("111122223333"));
    struct row {
        const char* value;
        const char* number;  // "" when none
    };
    for (auto r : {row{"11112222333", "011112222333"}, row{"0111122223333", "111122223333"},
                   row{"11112222-3333", "111122223333"}, row{"123", "000000000123"},
                   row{"1111222233334444", ""}, row{"00000444455556666", "444455556666"}}) {
        const std::string host = std::string(r.value) + ".signin.aws.amazon.com";
        const std::string query = std::string("/switchrole?roleName=Admin&account=") + r.value;
        const std::string body = std::string("account=") + r.value + "&username=bob";
        std::vector<core::http_request_view> views{
            request("GET", host, "/console"), request("GET", "signin.aws.amazon.com", query),
            request("POST", "signin.aws.amazon.com", "/authenticate", body)};
        for (auto& v : views) {
            auto a = ci::inspect(v, opt);
            ASSERT_EQ(a.size(), 1u) << r.value << " " << v.target;
            EXPECT_NE(a[0].parse_error, "") << r.value << " " << v.target;
            EXPECT_EQ(a[0].account ? a[0].account->str() : "", r.number) << r.value;
        }
    }
    auto a = ci::inspect(request("GET", "1111-2222-3333.signin.aws.amazon.com", "/console"), {});
    ASSERT_EQ(a.size(), 2u);
    for (auto& x : a) EXPECT_EQ(x.parse_error, "");
}
