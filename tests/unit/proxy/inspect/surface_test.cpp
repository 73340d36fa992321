// proxy/inspect/surface.cpp through inspect(): `aws login` (AWS Sign-In OAuth 2.0) and account
// sign-up. The corpus (cli-*.http, signup-*.http) covers the requests as sent; these pin the edges.
#include "surface.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "consolegate/core/config.hpp"
#include "consolegate/core/host_pattern.hpp"
#include "consolegate/core/partition.hpp"
#include "consolegate/inspect/inspector.hpp"
#include "request_view.hpp"

namespace ci = consolegate::inspect;
namespace core = consolegate::core;

namespace {

using consolegate::inspect::testing::request;

constexpr std::string_view secrets[] = {"cg-code-1f2e", "cg-verifier-3d4c", "cg-refresh-5b6a"};

// Every string an attempt carries into events, logs and the block page.
std::string all_fields(const core::sign_in_attempt& a) {
    return a.host + "|" + a.alias + "|" + a.role_name + "|" + a.permission_set + "|" + a.user +
           "|" + a.source + "|" + a.change_type + "|" + a.parse_error;
}

}  // namespace

TEST(surface, token_request_on_every_sign_in_host_names_no_account) {
    std::string body = R"({"tokenInput":{"grantType":"authorization_code","code":"cg-code-1f2e",)"
                       R"("codeVerifier":"cg-verifier-3d4c","refreshToken":"cg-refresh-5b6a"}})";
    // The regional names of GovCloud and China and the OAuth endpoints are the AWS SDKs' endpoint
    // rules for AWS Sign-In (docs/inspection.md "Other partitions").
    for (auto host : {"signin.us-east-1.amazonaws.com", "signin.aws.amazon.com",
                      "eu-west-1.signin.aws.amazon.com", "SIGNIN.ap-south-1.AMAZONAWS.com.",
                      "us-gov-west-1.signin.amazonaws-us-gov.com", "cn-north-1.signin.amazonaws.cn",
                      "us-east-1.oauth.signin.aws"}) {
        SCOPED_TRACE(host);
        auto v = request("POST", host, "/v1/token", body);
        auto a = ci::inspect(v, {});
        ASSERT_EQ(a.size(), 1u);
        EXPECT_EQ(a[0].flow, core::sign_in_flow::cli_sign_in);
        EXPECT_EQ(a[0].phase, core::auth_phase::pre_auth);
        EXPECT_FALSE(a[0].account);
        EXPECT_EQ(a[0].parse_error, "");
        EXPECT_EQ(a[0].source, "json:grantType");
    }
}

TEST(surface, codes_verifiers_and_tokens_never_reach_an_attempt) {
    std::string json_body =
        R"({"grantType":"refresh_token","code":"cg-code-1f2e","codeVerifier":"cg-verifier-3d4c",)"
        R"("refreshToken":"cg-refresh-5b6a"})";
    std::string form_body =
        "grant_type=nonsense&code=cg-code-1f2e&code_verifier=cg-verifier-3d4c&refresh_token=cg-"
        "refresh-5b6a";
    std::string no_grant = "code=cg-code-1f2e&code_verifier=cg-verifier-3d4c";
    for (const auto& body : {json_body, form_body, no_grant}) {
        auto v = request("POST", "signin.us-east-1.amazonaws.com",
                         "/v1/token?refresh_token=cg-refresh-5b6a", body);
        auto a = ci::inspect(v, {});
        ASSERT_FALSE(a.empty());
        for (const auto& x : a) {
            for (auto s : secrets) EXPECT_EQ(all_fields(x).find(s), std::string::npos) << s;
        }
    }
}

// Two documented grants in one token request (a repeat, grantType beside grant_type, the query
// and the body, a JSON key twice): AWS acts on one of them, which one is unknown, so every
// reading is recorded and refused as ambiguous. Before session 10 each was judged alone and the
// request passed.
TEST(surface, two_different_grant_types_are_ambiguous) {
    for (const auto& [target, body] : std::vector<std::pair<std::string, std::string>>{
             {"/v1/token", "grant_type=authorization_code&grant_type=refresh_token"},
             {"/v1/token", R"({"grantType":"authorization_code","grant_type":"refresh_token"})"},
             {"/v1/token?grantType=refresh_token", R"({"grantType":"authorization_code"})"},
             {"/v1/token", R"({"grantType":"refresh_token","grantType":"authorization_code"})"}}) {
        SCOPED_TRACE(target + " " + body);
        auto a = ci::inspect(request("POST", "signin.us-east-1.amazonaws.com", target, body), {});
        ASSERT_FALSE(a.empty());  // one per reading, alike ones (same source) kept once
        for (const auto& x : a) {
            EXPECT_EQ(x.flow, core::sign_in_flow::cli_sign_in);
            EXPECT_TRUE(x.ambiguous_identity);
            EXPECT_NE(x.parse_error, "");
        }
    }
    // The same grant twice is one reading.
    auto a = ci::inspect(request("POST", "signin.aws.amazon.com", "/v1/token",
                                 "grant_type=refresh_token&grantType=refresh_token"),
                         {});
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].parse_error, "");
}

TEST(surface, grant_types_other_than_the_documented_two_fail_closed) {
    for (std::string_view grant : {"client_credentials", "password", "urn:ietf:params:oauth:x"}) {
        auto body = "grant_type=" + std::string(grant);
        auto a = ci::inspect(request("POST", "signin.aws.amazon.com", "/v1/token", body), {});
        ASSERT_EQ(a.size(), 1u);
        EXPECT_NE(a[0].parse_error, "") << grant;
    }
    // Two grant types in one request: one attempt each, the unknown one refused, the other
    // ambiguous (which one AWS reads is unknown).
    auto a = ci::inspect(request("POST", "signin.aws.amazon.com", "/v1/token",
                                 "grant_type=refresh_token&grant_type=client_credentials"),
                         {});
    ASSERT_EQ(a.size(), 2u);
    EXPECT_TRUE(a[0].ambiguous_identity);
    EXPECT_NE(a[0].parse_error, "");
    EXPECT_NE(a[1].parse_error, "");
    // A body the inspector cannot read is refused on the token path.
    auto v = request("POST", "signin.us-east-1.amazonaws.com", "/v1/token", "{not json");
    a = ci::inspect(v, {});
    ASSERT_FALSE(a.empty());  // the unreadable body, and the grant type it cannot name
    for (const auto& x : a) {
        EXPECT_EQ(x.flow, core::sign_in_flow::cli_sign_in);
        EXPECT_NE(x.parse_error, "");
    }
}

TEST(surface, authorize_takes_the_account_from_the_console_session) {
    auto v = request("GET", "signin.aws.amazon.com",
                     "/v1/authorize?client_id=arn%3Aaws%3Asignin%3A%3A%3Adevtools%2Fsame-device"
                     "&redirect_uri=http%3A%2F%2F127.0.0.1%3A1%2F%3Faccount%3D444455556666");
    std::string cookie =
        "aws-userInfo=%7B%22arn%22%3A%22arn%3Aaws%3Asts%3A%3A111122223333%3Aassumed-role%2FDev%"
        "2Fbob%22%7D";
    v.headers.push_back({"Cookie", cookie});
    auto a = ci::inspect(v, {});
    ASSERT_EQ(a.size(), 2u);
    EXPECT_EQ(a[1].flow, core::sign_in_flow::cli_sign_in);
    EXPECT_EQ(a[1].phase, core::auth_phase::post_auth);
    ASSERT_TRUE(a[1].account);
    EXPECT_EQ(a[1].account->str(), "111122223333");  // never the redirect_uri's account
    EXPECT_EQ(a[1].role_name, "Dev");
    EXPECT_EQ(a[1].user, "bob");
}

// Which AWS Sign-In action a cli_sign_in request is, as a Sign-In endpoint policy selects them one
// by one: /v1/authorize is signin:AuthorizeOAuth2Access, /v1/token signin:CreateOAuth2Token.
TEST(surface, each_oauth_step_records_its_sign_in_action) {
    auto v = request("GET", "signin.aws.amazon.com", "/v1/authorize?response_type=code");
    v.headers.push_back({"Cookie",
                         "aws-userInfo=%7B%22arn%22%3A%22arn%3Aaws%3Asts%3A%3A"
                         "111122223333%3Aassumed-role%2FDev%2Fbob%22%7D"});
    auto a = ci::inspect(v, {});
    // The cookie's own console-session attempt is no OAuth 2.0 step.
    std::size_t cli = 0;
    for (const auto& x : a) {
        bool step = x.flow == core::sign_in_flow::cli_sign_in;
        cli += step ? 1 : 0;
        EXPECT_EQ(x.oauth_action,
                  step ? core::oauth2_action::authorize : core::oauth2_action::none);
    }
    EXPECT_EQ(cli, 1u);
    a = ci::inspect(request("POST", "signin.us-east-1.amazonaws.com", "/v1/token",
                            "grant_type=refresh_token&refresh_token=x&client_id=y"),
                    {});
    ASSERT_FALSE(a.empty());
    for (const auto& x : a) {
        EXPECT_EQ(x.flow, core::sign_in_flow::cli_sign_in);
        EXPECT_EQ(x.oauth_action, core::oauth2_action::token);
    }
    // Console sign-in is no OAuth 2.0 step of its own.
    a = ci::inspect(request("POST", "signin.aws.amazon.com", "/authenticate",
                            "action=iam-user-authentication&account=111122223333&username=u"),
                    {});
    for (const auto& x : a) EXPECT_EQ(x.oauth_action, core::oauth2_action::none);
}

TEST(surface, only_the_oauth_paths_are_cli_sign_in) {
    for (auto target : {"/v1/authorizex", "/v2/token", "/v1/token/extra", "/token"}) {
        auto a = ci::inspect(request("POST", "signin.us-east-1.amazonaws.com", target, ""), {});
        EXPECT_TRUE(a.empty()) << target;
    }
    // Not a regional sign-in host: two labels between signin. and .amazonaws.com.
    auto a = ci::inspect(request("POST", "signin.a.b.amazonaws.com", "/v1/token", ""), {});
    EXPECT_TRUE(a.empty());
}

TEST(surface, sign_up_pages_are_account_sign_up) {
    for (auto [host, target] :
         {std::pair{"portal.aws.amazon.com", "/billing/signup"},
          std::pair{"portal.aws.amazon.com", "/billing/signup/v2/x?y=1"},
          std::pair{"PORTAL.aws.amazon.com", "/Billing/%53ignup#/start"},
          std::pair{"signin.aws.amazon.com", "/signup?request_type=register"},
          std::pair{"signin.aws.amazon.com", "/x/../signup"},
          // The registration URL before /billing/signup (session 11).
          std::pair{"portal.aws.amazon.com", "/gp/aws/developer/registration/index.html"},
          std::pair{"portal.aws.amazon.com",
                    "/GP/aws/developer/registration/index.html?nc2=h_ct"}}) {
        SCOPED_TRACE(std::string(host) + target);
        auto a = ci::inspect(request("GET", host, target), {});
        // A fragment in the target is a request AWS might read further: it adds its own
        // unreadable-request attempt (issue 17, also of the sign-up flow) beside the sign-up one.
        bool fragment = std::string_view(target).find('#') != std::string_view::npos;
        ASSERT_EQ(a.size(), fragment ? 2u : 1u);
        auto up = std::find_if(a.begin(), a.end(), [](const core::sign_in_attempt& x) {
            return x.flow == core::sign_in_flow::account_sign_up && x.parse_error.empty();
        });
        ASSERT_NE(up, a.end());
        EXPECT_EQ(up->phase, core::auth_phase::pre_auth);
        EXPECT_FALSE(up->account);
        for (auto& other : a) {
            if (&other != &*up) {
                EXPECT_FALSE(other.parse_error.empty());
            }
        }
    }
    EXPECT_TRUE(ci::inspect(request("GET", "portal.aws.amazon.com", "/billing/home"), {}).empty());
    EXPECT_TRUE(
        ci::inspect(request("GET", "portal.aws.amazon.com", "/gp/aws/developer/account"), {})
            .empty());
}

TEST(surface, every_request_to_an_access_portal_names_its_identity_center_instance) {
    struct row {
        const char* host;
        const char* target;
        const char* instance;
    };
    for (auto r : {row{"d-1234567890.awsapps.com", "/start", "d-1234567890"},
                   row{"ExampleCorp.AWSAPPS.com.", "/start/", "examplecorp"},
                   row{"examplecorp.awsapps.com:443", "/start/assets/app.js", "examplecorp"},
                   row{"personal.awsapps.com", "/", "personal"}}) {
        SCOPED_TRACE(r.host);
        auto a = ci::inspect(request("GET", r.host, r.target), {});
        ASSERT_EQ(a.size(), 1u);
        EXPECT_EQ(a[0].flow, core::sign_in_flow::identity_center_portal);
        EXPECT_EQ(a[0].phase, core::auth_phase::pre_auth);
        EXPECT_EQ(a[0].idc_instance, r.instance);
        EXPECT_EQ(a[0].source, "host");
        EXPECT_FALSE(a[0].account);
        EXPECT_EQ(a[0].parse_error, "");
    }
    // Other AWS applications on awsapps.com names are not the portal (Amazon Connect, WorkDocs).
    EXPECT_TRUE(ci::inspect(request("GET", "corp.awsapps.com", "/connect/ccp-v2/"), {}).empty());
    EXPECT_TRUE(
        ci::inspect(request("GET", "corp.awsapps.com", "/workdocs/index.html"), {}).empty());
    // awsapps.com itself names no instance; neither does a look-alike.
    EXPECT_TRUE(ci::inspect(request("GET", "awsapps.com", "/start"), {}).empty());
    EXPECT_TRUE(
        ci::inspect(request("GET", "examplecorp.awsapps.com.evil.test", "/start"), {}).empty());
}

TEST(surface, device_authorization_is_judged_on_the_start_url_it_names) {
    auto device = [](std::string body) {
        auto v = request("POST", "oidc.eu-west-1.amazonaws.com", "/device_authorization", body);
        return ci::inspect(v, {});
    };
    auto a = device(R"({"clientId":"cid","clientSecret":"cg-code-1f2e",)"
                    R"("startUrl":"https://D-1234567890.awsapps.com/start#/"})");
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].flow, core::sign_in_flow::identity_center_portal);
    EXPECT_EQ(a[0].idc_instance, "d-1234567890");
    EXPECT_EQ(a[0].source, "json:startUrl");
    EXPECT_EQ(a[0].parse_error, "");
    EXPECT_EQ(all_fields(a[0]).find("cg-code-1f2e"), std::string::npos);  // the client secret

    // Two start URLs (one nested): each judged, so the foreign one cannot hide behind ours.
    a = device(R"({"startUrl":"https://ours.awsapps.com/start",)"
               R"("x":{"startUrl":"https://theirs.awsapps.com/start"}})");
    ASSERT_EQ(a.size(), 2u);
    EXPECT_EQ(a[0].idc_instance, "ours");
    EXPECT_EQ(a[1].idc_instance, "theirs");

    // What cannot be read as an awsapps.com start URL fails closed.
    for (const char* body :
         {R"({"clientId":"cid"})", R"({"startUrl":"http://ours.awsapps.com/start"})",
          R"({"startUrl":"https://sso.example.com/start"})", R"({"startUrl":"ours"})",
          R"({"startUrl":"https://awsapps.com/start"})"}) {
        SCOPED_TRACE(body);
        a = device(body);
        ASSERT_EQ(a.size(), 1u);
        EXPECT_EQ(a[0].flow, core::sign_in_flow::identity_center_portal);
        EXPECT_NE(a[0].parse_error, "");
    }
    // The other OIDC calls (RegisterClient, CreateToken) name no instance and are not attempts.
    EXPECT_TRUE(
        ci::inspect(request("POST", "oidc.eu-west-1.amazonaws.com", "/token",
                            R"({"grantType":"urn:ietf:params:oauth:grant-type:device_code"})"),
                    {})
            .empty());
}

TEST(surface, shared_portals_of_govcloud_and_china_name_the_instance_in_the_path) {
    struct row {
        const char* host;
        const char* target;
        const char* instance;
        core::partition partition;
    };
    for (auto r : {row{"start.us-gov-home.awsapps.com", "/directory/d-1234567890", "d-1234567890",
                       core::partition::aws_us_gov},
                   row{"start.us-gov-west-1.us-gov-home.awsapps.com", "/directory/Acme/", "acme",
                       core::partition::aws_us_gov},
                   row{"start.home.awsapps.cn", "/directory/d-9876543210", "d-9876543210",
                       core::partition::aws_cn},
                   row{"start.cn-north-1.home.awsapps.cn", "/directory/acme-cn/", "acme-cn",
                       core::partition::aws_cn},
                   row{"acme.awsapps.cn", "/start", "acme", core::partition::aws_cn}}) {
        SCOPED_TRACE(r.host);
        auto a = ci::inspect(request("GET", r.host, r.target), {});
        ASSERT_FALSE(a.empty());
        EXPECT_EQ(a[0].flow, core::sign_in_flow::identity_center_portal);
        EXPECT_EQ(a[0].idc_instance, r.instance);
        EXPECT_EQ(a[0].aws_partition, r.partition);
        EXPECT_FALSE(a[0].account);
    }
    // "start" is the shared host's label, never an instance; what the portal page loads from
    // elsewhere on the shared host names none and is no attempt.
    EXPECT_TRUE(
        ci::inspect(request("GET", "start.us-gov-home.awsapps.com", "/assets/a.js"), {}).empty());
    // /directory without an instance fails closed.
    auto a = ci::inspect(request("GET", "start.us-gov-home.awsapps.com", "/directory/"), {});
    ASSERT_EQ(a.size(), 1u);
    EXPECT_NE(a[0].parse_error, "");

    // `aws sso login` against GovCloud names the shared start URL.
    auto v = request("POST", "oidc.us-gov-west-1.amazonaws.com", "/device_authorization",
                     R"({"startUrl":"https://start.us-gov-home.awsapps.com/directory/acme"})");
    a = ci::inspect(v, {});
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].idc_instance, "acme");
    EXPECT_EQ(a[0].aws_partition, core::partition::aws_us_gov);
    EXPECT_EQ(a[0].parse_error, "");
    // A GovCloud start URL posted to a commercial OIDC endpoint is nothing AWS would act on.
    v = request("POST", "oidc.us-east-1.amazonaws.com", "/device_authorization",
                R"({"startUrl":"https://start.us-gov-home.awsapps.com/directory/acme"})");
    a = ci::inspect(v, {});
    ASSERT_EQ(a.size(), 1u);
    EXPECT_NE(a[0].parse_error, "");
}

// The regional portal of an instance (a Region it is replicated to, or its primary one) and the
// dual-stack portal: one instance's names alone, so every request to them names the instance
// (issue 19; AWS IAM Identity Center User Guide, "Workforce access through an additional
// Region"; AWS SDK for .NET's SSOEndpointResolver for the dual-stack and China forms).
TEST(surface, regional_and_dual_stack_portals_name_their_instance) {
    struct row {
        const char* host;
        const char* target;
        const char* instance;
        core::partition partition;
    };
    for (auto r :
         {row{"ssoins-111111h2222j33pp.eu-west-1.portal.amazonaws.com", "/start",
              "ssoins-111111h2222j33pp", core::partition::aws},
          row{"SSOINS-ABC123.PORTAL.US-WEST-2.APP.AWS", "/", "ssoins-abc123", core::partition::aws},
          row{"ssoins-abc123.portal.us-east-1.app.aws", "/assets/app.js", "ssoins-abc123",
              core::partition::aws},
          row{"ssoins-abc123.us-gov-west-1.portal.amazonaws.com", "/start", "ssoins-abc123",
              core::partition::aws_us_gov},
          row{"ssoins-abc123.cn-north-1.portal.amazonaws.com.cn", "/start/", "ssoins-abc123",
              core::partition::aws_cn},
          row{"ssoins-abc123.portal.cn-northwest-1.app.amazonwebservices.com.cn", "/start",
              "ssoins-abc123", core::partition::aws_cn}}) {
        SCOPED_TRACE(r.host);
        auto a = ci::inspect(request("GET", r.host, r.target), {});
        ASSERT_EQ(a.size(), 1u);
        EXPECT_EQ(a[0].flow, core::sign_in_flow::identity_center_portal);
        EXPECT_EQ(a[0].idc_instance, r.instance);
        EXPECT_EQ(a[0].aws_partition, r.partition);
        EXPECT_EQ(a[0].source, "host");
        EXPECT_EQ(a[0].parse_error, "");
        EXPECT_FALSE(a[0].account);
    }
    // Not an instance's portal: no instance label, two labels where one belongs, look-alikes.
    for (auto host : {"portal.amazonaws.com", "eu-west-1.portal.amazonaws.com",
                      "a.b.eu-west-1.portal.amazonaws.com", "ssoins-x.us-east-1.app.aws",
                      "ssoins-x.portal.us-east-1.app.aws.evil.test", "portal.us-east-1.app.aws"}) {
        SCOPED_TRACE(host);
        EXPECT_TRUE(ci::inspect(request("GET", host, "/start"), {}).empty());
    }
    // `aws sso login` naming such a start URL names the instance too.
    auto a = ci::inspect(request("POST", "oidc.us-east-1.amazonaws.com", "/device_authorization",
                                 R"({"startUrl":"https://ssoins-7223753b6943f944.portal.)"
                                 R"(us-east-1.app.aws/start"})"),
                         {});
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].idc_instance, "ssoins-7223753b6943f944");
    EXPECT_EQ(a[0].parse_error, "");
}

// The names these endpoints read are compared as every other parameter name (case-insensitively
// and trimmed, docs/inspection.md), so a second spelling beside the expected one is read too
// (before: an exact "grantType"/"startUrl" let " grantType" or "startUrl " carry an unjudged
// grant or a foreign instance next to an accepted one).
TEST(surface, second_spellings_of_the_grant_type_and_start_url_are_read) {
    auto a = ci::inspect(
        request("POST", "signin.aws.amazon.com", "/v1/token",
                R"({"grantType":"authorization_code"," grantType":"client_credentials"})"),
        {});
    ASSERT_EQ(a.size(), 2u);
    EXPECT_TRUE(std::any_of(a.begin(), a.end(), [](auto& x) { return !x.parse_error.empty(); }));
    a = ci::inspect(request("POST", "oidc.eu-west-1.amazonaws.com", "/device_authorization",
                            R"({"startUrl":"https://ours.awsapps.com/start",)"
                            R"("startUrl ":"https://theirs.awsapps.com/start"})"),
                    {});
    ASSERT_EQ(a.size(), 2u);
    EXPECT_TRUE(
        std::any_of(a.begin(), a.end(), [](auto& x) { return x.idc_instance == "theirs"; }));
}

// An access portal is one label under awsapps.com (<instance>.awsapps.com/start): the directory
// ID or the instance's alias. A name with more labels there ("ours.d-9999999999.awsapps.com")
// was read as the instance of its first label, "ours", which a rule allowing the instance ours
// granted, while whatever AWS makes of that name is not the instance ours (more likely the one
// of its last label, or none). It names no instance: refused as unreadable, on the portal's
// host and in a device authorization's startUrl alike.
TEST(surface, an_awsapps_name_of_several_labels_names_no_instance) {
    for (const char* host : {"ours.d-9999999999.awsapps.com", "a.b.awsapps.cn"}) {
        SCOPED_TRACE(host);
        auto a = ci::inspect(request("GET", host, "/start"), {});
        ASSERT_EQ(a.size(), 1u);
        EXPECT_EQ(a[0].flow, core::sign_in_flow::identity_center_portal);
        EXPECT_EQ(a[0].idc_instance, "");
        EXPECT_NE(a[0].parse_error, "");
    }
    auto v = request("POST", "oidc.eu-west-1.amazonaws.com", "/device_authorization",
                     R"({"startUrl":"https://ours.d-9999999999.awsapps.com/start"})");
    auto a = ci::inspect(v, {});
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].idc_instance, "");
    EXPECT_NE(a[0].parse_error, "");
    // Other applications under such a name stay what they were: not the portal.
    EXPECT_TRUE(ci::inspect(request("GET", "a.corp.awsapps.com", "/connect/ccp-v2/"), {}).empty());
}

// The surface's paths are matched as a lenient router matches them (segment_is): a NUL or white
// space it trims, a fullwidth or case-mapped letter, an extension Spring's suffix matching drops.
// Before, /signup%00 or /billing/signup.html was no sign-in, so account sign-up (denied by
// default) passed, and /v1/token.json escaped the grant-type check.
TEST(surface, paths_a_lenient_router_matches_are_the_surface_s) {
    struct shape {
        const char* host;
        const char* target;
        core::sign_in_flow flow;
    };
    for (auto s :
         {shape{"signin.aws.amazon.com", "/signup%00?request_type=register",
                core::sign_in_flow::account_sign_up},
          shape{"signin.aws.amazon.com", "/signup.html", core::sign_in_flow::account_sign_up},
          shape{"portal.aws.amazon.com", "/billing/signup%20", core::sign_in_flow::account_sign_up},
          shape{"portal.aws.amazon.com", "/billing/%EF%BD%93ignup",
                core::sign_in_flow::account_sign_up},
          shape{"signin.us-east-1.amazonaws.com", "/v1/token.json",
                core::sign_in_flow::cli_sign_in}}) {
        auto a = ci::inspect(request("POST", s.host, s.target, "{}"), {});
        EXPECT_TRUE(std::any_of(a.begin(), a.end(), [&](const core::sign_in_attempt& x) {
            return x.flow == s.flow;
        })) << s.target;
    }
}

// Every name the inspector reads as AWS Sign-In's or the access portal's, in each form the AWS
// SDKs' endpoint rules for `signin` and `sso` build (regional, FIPS, dual-stack, each partition's
// DNS suffixes) and the portals' regional and dual-stack names, is in the default
// proxy.inspect_hosts (and so steered by default): a form read but not inspected is spliced, its
// sign-ins unjudged. China's regional and FIPS forms (signin.<region>.amazonaws.com.cn,
// portal.sso-fips.<region>.amazonaws.com.cn and the FIPS dual-stack names) were read, not
// inspected.
TEST(surface, every_host_read_as_sign_in_or_portal_is_inspected_by_default) {
    namespace detail = consolegate::inspect::detail;
    const auto inspected = core::host_set::compile(core::proxy_config{}.inspect_hosts);
    ASSERT_TRUE(inspected);
    std::vector<std::string> hosts;
    // Each partition's Region and domains from the one table (core/partition.hpp): the
    // European Sovereign Cloud's and the ISO partitions' forms were neither read nor inspected
    // before session 11.
    std::vector<std::string_view> regions{"us-east-1", "eu-west-1", "cn-north-1"};
    std::vector<std::string_view> suffixes;
    for (const auto& p : core::partitions) {
        regions.push_back(p.global_region);
        suffixes.push_back(p.service_domain);
        suffixes.push_back(p.dual_stack_domain);
    }
    for (std::string_view region : regions) {
        for (std::string_view head : {"signin", "signin-fips", "portal.sso", "portal.sso-fips"}) {
            for (std::string_view suffix : suffixes) {
                hosts.push_back(std::string(head) + "." + std::string(region) + "." +
                                std::string(suffix));
            }
        }
        const std::string r(region);
        hosts.push_back(r + ".oauth.signin.aws");
        hosts.push_back("ssoins-7223753b6943f944." + r + ".portal.amazonaws.com");
        hosts.push_back("ssoins-7223753b6943f944." + r + ".portal.amazonaws.com.cn");
        hosts.push_back("ssoins-7223753b6943f944.portal." + r + ".app.aws");
        hosts.push_back("ssoins-7223753b6943f944.portal." + r + ".app.amazonwebservices.com.cn");
    }
    int read = 0;
    for (const auto& h : hosts) {
        if (!detail::regional_signin_host(h) && !core::is_access_portal_api_host(h) &&
            detail::regional_portal_instance(h).empty()) {
            continue;
        }
        ++read;
        EXPECT_TRUE(inspected->matches(h)) << h << " is read as sign-in or portal, not inspected";
    }
    EXPECT_EQ(read, static_cast<int>(hosts.size()));  // every form above is one the inspector reads
}
