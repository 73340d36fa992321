// Request classes an attacker (or an unusual but real browser) can send to a sign-in endpoint, and
// what the inspector must make of each: every attempt AWS could act on is seen, read as AWS reads
// it, and a request that could be read two ways is refused with a reason (docs/inspection.md).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "consolegate/inspect/inspector.hpp"
#include "consolegate/inspect/saml.hpp"
#include "request_view.hpp"
#include "saml_builder.hpp"

namespace ci = consolegate::inspect;
namespace core = consolegate::core;

namespace {

using consolegate::inspect::testing::request;

bool refused(const std::vector<core::sign_in_attempt>& a) {
    return std::any_of(a.begin(), a.end(),
                       [](const core::sign_in_attempt& x) { return !x.parse_error.empty(); });
}

bool names_account(const std::vector<core::sign_in_attempt>& a, const char* account) {
    return std::any_of(a.begin(), a.end(), [&](const core::sign_in_attempt& x) {
        return x.account && x.account->str() == account;
    });
}

std::string form_value(const std::string& s) {
    std::string out;
    for (char c : s) {
        out += c == '+' ? std::string("%2B") : c == '=' ? std::string("%3D") : std::string(1, c);
    }
    return out;
}

}  // namespace

// AWS Sign-In's regional names (signin.<region>.amazonaws.com, <region>.oauth.signin.aws, the FIPS
// template) are steered and inspected; every flow posted there is read as on the sign-in domain,
// never passed as "no sign-in" (before: only /v1/authorize and /v1/token were read there).
TEST(inspector_readings, every_flow_is_read_on_regional_sign_in_names) {
    const std::string saml =
        "SAMLResponse=" + form_value(consolegate::test::b64(consolegate::test::saml_response(
                              {"arn:aws:iam::444455556666:role/Admin,"
                               "arn:aws:iam::444455556666:saml-provider/"
                               "Okta"},
                              "alice")));
    for (const char* host :
         {"signin.us-east-1.amazonaws.com", "us-east-1.oauth.signin.aws",
          "signin-fips.us-east-1.amazonaws.com", "signin.eu-west-1.amazonaws.com:443"}) {
        SCOPED_TRACE(host);
        auto a = ci::inspect(request("POST", host, "/saml", saml), {});
        ASSERT_EQ(a.size(), 1u);
        EXPECT_EQ(a[0].flow, core::sign_in_flow::saml);
        EXPECT_TRUE(names_account(a, "444455556666"));
        a = ci::inspect(request("POST", host, "/authenticate", "account=444455556666&username=bob"),
                        {});
        ASSERT_EQ(a.size(), 1u);
        EXPECT_EQ(a[0].flow, core::sign_in_flow::iam_user);
        EXPECT_TRUE(names_account(a, "444455556666"));
        a = ci::inspect(request("GET", host, "/switchrole?account=444455556666&roleName=Admin"),
                        {});
        ASSERT_EQ(a.size(), 1u);
        EXPECT_EQ(a[0].flow, core::sign_in_flow::switch_role);
        a = ci::inspect(request("GET", host,
                                "/federation?Action=getSigninToken&Session=%7B%22sessionId%22%3A%"
                                "22ASIAY34FZKBOKMUTVV7A%22%7D"),
                        {});
        ASSERT_EQ(a.size(), 1u);
        EXPECT_EQ(a[0].flow, core::sign_in_flow::custom_broker);
        EXPECT_TRUE(names_account(a, "609629065308"));
        // The regional name has no account label: a post without an account fails closed.
        a = ci::inspect(request("POST", host, "/authenticate", "username=bob"), {});
        ASSERT_EQ(a.size(), 1u);
        EXPECT_TRUE(refused(a));
        EXPECT_TRUE(a[0].alias.empty());
        // Pages without parameters stay nothing to judge.
        EXPECT_TRUE(ci::inspect(request("GET", host, "/console"), {}).empty());
    }
}

// The access portal API answers GetRoleCredentials on its FIPS and dual-stack names too (the AWS
// SDKs' endpoint rules for `sso`): a role's keys for any account the person's permission sets
// reach. Read there like on portal.sso.<region>.amazonaws.com (before: no sign-in).
TEST(inspector_readings, portal_api_is_read_on_its_fips_and_dual_stack_names) {
    for (const char* host :
         {"portal.sso.us-east-1.amazonaws.com", "portal.sso-fips.us-east-1.amazonaws.com",
          "portal.sso.us-east-1.api.aws", "portal.sso-fips.us-east-1.api.aws",
          "portal.sso.cn-north-1.api.amazonwebservices.com.cn",
          "portal.sso-fips.us-gov-west-1.api.aws"}) {
        SCOPED_TRACE(host);
        auto a = ci::inspect(
            request(
                "GET", host,
                "/federation/credentials?account_id=444455556666&role_name=AdministratorAccess"),
            {});
        ASSERT_EQ(a.size(), 1u);
        EXPECT_EQ(a[0].flow, core::sign_in_flow::identity_center);
        EXPECT_TRUE(a[0].portal_credentials);
        EXPECT_TRUE(names_account(a, "444455556666"));
        EXPECT_EQ(a[0].permission_set, "AdministratorAccess");
    }
    EXPECT_EQ(ci::inspect(request("GET", "portal.sso-fips.us-gov-west-1.api.aws",
                                  "/federation/console?account_id=444455556666&role_name=A"),
                          {})[0]
                  .aws_partition,
              core::partition::aws_us_gov);
    // Other services' dual-stack names are not the portal.
    EXPECT_TRUE(ci::inspect(request("GET", "s3.us-east-1.api.aws",
                                    "/federation/credentials?account_id=444455556666&role_name=A"),
                            {})
                    .empty());
}

namespace {

constexpr const char* role_a = "arn:aws:iam::111122223333:role/Admin";
constexpr const char* prov_a = "arn:aws:iam::111122223333:saml-provider/Okta";
constexpr const char* role_b = "arn:aws:iam::444455556666:role/Admin";
constexpr const char* prov_b = "arn:aws:iam::444455556666:saml-provider/Okta";

std::string with_inserted(std::string xml, const std::string& before, const std::string& text) {
    auto pos = xml.find(before);
    EXPECT_NE(pos, std::string::npos) << before;
    return xml.insert(pos, text);
}

}  // namespace

// Roles of one SAMLResponse are alternatives (one allowed role lets the post through), so a value
// AWS's namespace-aware reader ignores must never be counted as a role.
TEST(inspector_readings, saml_role_values_are_saml_attribute_values_only) {
    auto base = consolegate::test::saml_response({std::string(role_b) + "," + prov_b}, "alice");
    const std::string other_ns = "<x:AttributeValue xmlns:x=\"urn:example:not-saml\">" +
                                 std::string(role_a) + "," + prov_a + "</x:AttributeValue>";
    const std::string unknown =
        "<saml2:Value>" + std::string(role_a) + "," + prov_a + "</saml2:Value>";
    for (const auto& extra : {other_ns, unknown}) {
        auto xml = with_inserted(base,
                                 "</saml2:Attribute><saml2:Attribute Name=\"https://"
                                 "aws.amazon.com/SAML/Attributes/RoleSessionName\">",
                                 extra);
        std::string why;
        EXPECT_FALSE(ci::read_saml_xml(xml, {}, &why)) << extra;
        EXPECT_NE(why.find("not a SAML AttributeValue"), std::string::npos) << why;
    }
    // The same value in the SAML namespace under any prefix, or the default one, is read.
    auto same_ns = with_inserted(
        base,
        "</saml2:Attribute><saml2:Attribute Name=\"https://aws.amazon.com/SAML/Attributes/"
        "RoleSessionName\">",
        "<y:AttributeValue xmlns:y=\"urn:oasis:names:tc:SAML:2.0:assertion\">" +
            std::string(role_a) + "," + prov_a + "</y:AttributeValue>");
    std::string why;
    auto read = ci::read_saml_xml(same_ns, {}, &why);
    ASSERT_TRUE(read) << why;
    EXPECT_EQ(read->roles.size(), 2u);
    read = ci::read_saml_xml(
        consolegate::test::saml_response({std::string(role_a) + "," + prov_a}, "bob", ""), {},
        &why);
    ASSERT_TRUE(read) << why;
    EXPECT_EQ(read->session_name, "bob");
}

// RoleSessionName is the user policy rules and TEAM match on: one attribute, one value.
TEST(inspector_readings, saml_role_session_name_has_one_reading) {
    auto base = consolegate::test::saml_response({std::string(role_a) + "," + prov_a}, "alice");
    const std::string session_attr =
        "<saml2:Attribute Name=\"https://aws.amazon.com/SAML/Attributes/RoleSessionName\">";
    auto two_values = with_inserted(base, "alice</saml2:AttributeValue>",
                                    "mallory</saml2:AttributeValue><saml2:AttributeValue>");
    auto two_attributes = with_inserted(
        base, "</saml2:AttributeStatement>",
        session_attr + "<saml2:AttributeValue>mallory</saml2:AttributeValue></saml2:Attribute>");
    for (const auto& xml : {two_values, two_attributes}) {
        std::string why;
        EXPECT_FALSE(ci::read_saml_xml(xml, {}, &why)) << xml;
        EXPECT_NE(why.find("RoleSessionName"), std::string::npos) << why;
    }
    std::string why;
    auto read = ci::read_saml_xml(base, {}, &why);
    ASSERT_TRUE(read) << why;
    EXPECT_EQ(read->session_name, "alice");
}

// Standard or URL-safe base64, never both in one SAMLResponse.
TEST(inspector_readings, saml_base64_of_two_alphabets_is_refused) {
    EXPECT_EQ(ci::decode_base64("+/+/", 100), std::string("\xfb\xff\xbf"));
    EXPECT_EQ(ci::decode_base64("-_-_", 100), std::string("\xfb\xff\xbf"));
    EXPECT_FALSE(ci::decode_base64("+/-_", 100));
    EXPECT_FALSE(ci::decode_base64("ab+c\r\nde_f", 100));
}

// A path whose endpoint depends on when the server splits, decodes and resolves it: an encoded
// '/' or '\', a raw '\', an encoded dot-segment. The inspector resolved "/authenticate%2F..%2F
// switchrole" to /switchrole and read only the switch-role fields; refused with its own reason.
TEST(inspector_readings, a_sign_in_path_with_two_readings_is_refused) {
    for (const char* target : {"/authenticate%2F..%2Fswitchrole?account=111122223333&roleName=A",
                               "/saml%2f..%2fswitchrole?account=111122223333&roleName=A",
                               "/saml\\..\\switchrole?account=111122223333&roleName=A",
                               "/x%5C..%5Cswitchrole?account=111122223333&roleName=A",
                               "/x/%2e%2e/switchrole?account=111122223333&roleName=A",
                               "/%2E/switchrole?account=111122223333&roleName=A"}) {
        auto a = ci::inspect(request("GET", "signin.aws.amazon.com", target), {});
        EXPECT_TRUE(std::any_of(a.begin(), a.end(), [](const core::sign_in_attempt& x) {
            return x.parse_error.find("path could be read two ways") != std::string::npos;
        })) << target;
    }
    // Raw dot-segments, encoded letters and path parameters have one reading (RFC 3986).
    for (const char* target : {"/x/../switchrole?account=111122223333&roleName=A",
                               "/%73witchrole?account=111122223333&roleName=A",
                               "/switchrole;jsessionid=1?account=111122223333&roleName=A"}) {
        auto a = ci::inspect(request("GET", "signin.aws.amazon.com", target), {});
        ASSERT_EQ(a.size(), 1u) << target;
        EXPECT_EQ(a[0].parse_error, "") << target;
        EXPECT_EQ(a[0].flow, core::sign_in_flow::switch_role) << target;
    }
    // Off sign-in paths an encoded slash is nobody's sign-in.
    EXPECT_TRUE(ci::inspect(request("GET", "console.aws.amazon.com", "/a%2Fb/app.js"), {}).empty());
}

// A form-typed body that is also JSON reads other fields to a JSON endpoint that ignores the
// Content-Type; a media type that merely contains "json" is not JSON.
TEST(inspector_readings, a_body_with_two_readings_is_refused) {
    auto v = request("POST", "signin.aws.amazon.com", "/sessions/x/v1/switchrole",
                     "{\"a\":\"\",\"accountId\":\"444455556666\",\"b\":\"&accountId=111122223333&"
                     "roleName=x&c=\"}");
    v.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    auto a = ci::inspect(v, {});
    EXPECT_TRUE(refused(a));
    EXPECT_FALSE(names_account(a, "111122223333"));
    for (const char* ctype :
         {"application/x-www-form-urlencoded+json", "application/x-www-form-urlencoded-json",
          "application/jsonp", "text/x-json-form"}) {
        auto w = request("POST", "signin.aws.amazon.com", "/switchrole",
                         "{\"account\":\"444455556666\",\"roleName\":\"x\"}");
        w.headers.emplace_back("Content-Type", ctype);
        EXPECT_TRUE(refused(ci::inspect(w, {}))) << ctype;
    }
    for (const char* ctype : {"application/json; charset=UTF-8", "application/x-amz-json-1.1",
                              "application/vnd.example+json", "text/json"}) {
        auto w = request("POST", "signin.aws.amazon.com", "/switchrole",
                         "{\"account\":\"444455556666\",\"roleName\":\"x\"}");
        w.headers.emplace_back("Content-Type", ctype);
        auto r = ci::inspect(w, {});
        ASSERT_EQ(r.size(), 1u) << ctype;
        EXPECT_EQ(r[0].parse_error, "") << ctype;
        EXPECT_TRUE(names_account(r, "444455556666")) << ctype;
    }
}

// On an unknown sign-in path every account or role-ARN name the switch-role reader knows is read
// (before: only roleName made it look), and a parameter name with surrounding white space is the
// name a trimming reader sees.
TEST(inspector_readings, parameter_names_are_read_as_widely_as_any_reader_does) {
    for (const char* target :
         {"/v3/whatever?accountId=444455556666", "/v3/whatever?account_id=444455556666",
          "/v3/whatever?roleArn=arn%3Aaws%3Aiam%3A%3A444455556666%3Arole%2FA"}) {
        auto a = ci::inspect(request("GET", "signin.aws.amazon.com", target), {});
        EXPECT_TRUE(names_account(a, "444455556666")) << target;
    }
    auto a = ci::inspect(request("GET", "signin.aws.amazon.com",
                                 "/switchrole?account%20=444455556666&account=111122223333&"
                                 "roleName=A"),
                         {});
    EXPECT_TRUE(names_account(a, "444455556666"));
    EXPECT_TRUE(names_account(a, "111122223333"));
    a = ci::inspect(request("POST", "signin.aws.amazon.com", "/saml",
                            "SAMLResponse=eA%3D%3D&SAMLResponse+=eQ%3D%3D"),
                    {});
    EXPECT_TRUE(std::any_of(a.begin(), a.end(), [](const core::sign_in_attempt& x) {
        return x.parse_error.find("several different SAMLResponse") != std::string::npos;
    }));
}

// GetRoleCredentials hands out API keys the gateway never sees again, so an elevation gate is
// decided there without the portal_console_without_user leniency. Every spelling the path
// reader resolves to the portal's federation endpoint but that is not exactly
// /federation/console is credentials (before: only the literal target "/federation/credentials"
// was, so "//", "%63", "..", ";" or a case change passed as a console link).
TEST(inspector_readings, portal_credentials_are_every_federation_path_but_the_console_link) {
    const char* host = "portal.sso.us-east-1.amazonaws.com";
    for (const char* path :
         {"/federation/credentials", "/federation/credentials/", "/federation//credentials",
          "/federation/%63redentials", "/Federation/Credentials", "/federation/credentials;a=b",
          "/x/../federation/credentials", "/federation/./credentials", "/federation/credentials/x",
          "/federation/console/x", "//federation/credentials"}) {
        SCOPED_TRACE(path);
        auto a = ci::inspect(
            request("GET", host,
                    std::string(path) + "?account_id=444455556666&role_name=AdministratorAccess"),
            {});
        ASSERT_EQ(a.size(), 1u);
        EXPECT_EQ(a[0].flow, core::sign_in_flow::identity_center);
        EXPECT_TRUE(a[0].portal_credentials);
    }
    for (const char* path : {"/federation/console", "/federation/console/", "//federation/console",
                             "/Federation/Console", "/federation/console;a=b"}) {
        SCOPED_TRACE(path);
        auto a = ci::inspect(
            request("GET", host, std::string(path) + "?account_id=444455556666&role_name=A"), {});
        ASSERT_EQ(a.size(), 1u);
        EXPECT_FALSE(a[0].portal_credentials);
    }
}

// The attempts that copy the console session (aws login's authorize step, an AMS change request)
// are made for every identity the request's aws-userInfo cookies name: a browser can hold two
// (other Path or Domain), and AWS may act on either (before: the first cookie's alone, so a
// cli-sign-in or AMS rule on the second account was never asked).
TEST(inspector_readings, session_copies_are_made_for_every_aws_user_info) {
    auto cookie = [](const char* account) {
        return std::string("aws-userInfo=%7B%22arn%22%3A%22arn%3Aaws%3Asts%3A%3A") + account +
               "%3Aassumed-role%2FAdmin%2Falice%22%7D";
    };
    auto both = cookie("111122223333") + "; " + cookie("444455556666");
    auto count = [](const std::vector<core::sign_in_attempt>& a, core::sign_in_flow f,
                    const char* account) {
        return std::count_if(a.begin(), a.end(), [&](const core::sign_in_attempt& x) {
            return x.flow == f && x.account && x.account->str() == account;
        });
    };
    auto v = request("GET", "signin.aws.amazon.com", "/v1/authorize?response_type=code");
    v.headers.emplace_back("Cookie", both);
    auto a = ci::inspect(v, {});
    EXPECT_EQ(count(a, core::sign_in_flow::cli_sign_in, "111122223333"), 1);
    EXPECT_EQ(count(a, core::sign_in_flow::cli_sign_in, "444455556666"), 1);
    for (const auto& x : a) EXPECT_EQ(x.phase, core::auth_phase::post_auth);

    auto c = request("POST", "us-east-1.console.aws.amazon.com", "/managedservices/api/rfc",
                     R"({"ChangeTypeId":"ct-1opjmhuddw194","ChangeTypeVersion":"1.0"})");
    c.headers.emplace_back("Content-Type", "application/json");
    c.headers.emplace_back("Cookie", both);
    a = ci::inspect(c, {});
    EXPECT_EQ(count(a, core::sign_in_flow::ams_change, "111122223333"), 1);
    EXPECT_EQ(count(a, core::sign_in_flow::ams_change, "444455556666"), 1);
    // One cookie, one copy; the same identity twice is one.
    auto twice = cookie("444455556666") + "; " + cookie("444455556666");
    c.headers.back().second = twice;
    a = ci::inspect(c, {});
    EXPECT_EQ(count(a, core::sign_in_flow::ams_change, "444455556666"), 1);
    EXPECT_EQ(count(a, core::sign_in_flow::ams_change, "111122223333"), 0);
}

// getSigninToken's Session JSON: its access key ID is read under every spelling of "sessionId"
// a case-insensitive or trimming reader accepts (before: exactly "sessionId", so a "SessionID"
// beside it named an account nobody judged).
TEST(inspector_readings, broker_session_ids_are_read_under_every_spelling) {
    for (const char* session :
         {"%7B%22sessionId%22%3A%22ASIAY34FZKBOKMUTVV7A%22%2C%22SessionID%22%3A%22"
          "ASIAGO645SY5CWS4H4AN%22%7D",
          "%7B%22sessionId%22%3A%22ASIAY34FZKBOKMUTVV7A%22%2C%22sessionId%20%22%3A%22"
          "ASIAGO645SY5CWS4H4AN%22%7D"}) {
        SCOPED_TRACE(session);
        auto a = ci::inspect(
            request("GET", "signin.aws.amazon.com",
                    std::string("/federation?Action=getSigninToken&Session=") + session),
            {});
        EXPECT_TRUE(names_account(a, "609629065308"));
        EXPECT_TRUE(names_account(a, "444455556666"));
    }
}

// A console host whose first label starts with an account ID names that account to a front end
// that reads the digits, whatever follows: the usual <12 digits>-<[a-z0-9]+> is a multi-session
// attempt, any other tail, or another run of digits, is that attempt refused as unreadable
// (before: no sign-in, forwarded unjudged).
TEST(inspector_readings, console_labels_starting_with_an_account_name_it) {
    for (const char* host : {"444455556666-abcdefgh.us-east-1.console.aws.amazon.com",
                             "444455556666-abcdefgh.console.aws.amazon.com"}) {
        auto a = ci::inspect(request("GET", host, "/console/home"), {});
        ASSERT_EQ(a.size(), 1u) << host;
        EXPECT_EQ(a[0].flow, core::sign_in_flow::multi_session);
        EXPECT_TRUE(names_account(a, "444455556666"));
        EXPECT_EQ(a[0].parse_error, "");
    }
    for (const char* host : {"444455556666-abc-defg.us-east-1.console.aws.amazon.com",
                             "444455556666-ab_cdefg.us-east-1.console.aws.amazon.com",
                             "444455556666.us-east-1.console.aws.amazon.com",
                             "444455556666-.us-east-1.console.aws.amazon.com"}) {
        auto a = ci::inspect(request("GET", host, "/console/home"), {});
        ASSERT_EQ(a.size(), 1u) << host;
        EXPECT_EQ(a[0].flow, core::sign_in_flow::multi_session);
        EXPECT_TRUE(names_account(a, "444455556666"));
        EXPECT_TRUE(refused(a)) << host;
    }
    // Any other label starting with a digit: a front end reading its leading digits as a number
    // (Long.parseLong, parseInt) takes leading zeros away and pads to twelve, so it names that
    // account; refused, naming it. More than twelve digits after the zeros name no account, and
    // are refused all the same (before session 11 all of these were no sign-in).
    struct odd {
        const char* host;
        const char* account;  // "" = none
    };
    for (auto o : {odd{"0444455556666-abcdefgh.us-east-1.console.aws.amazon.com", "444455556666"},
                   odd{"000444455556666-abcdefgh.console.aws.amazon.com", "444455556666"},
                   odd{"44445555666-abcdefgh.us-east-1.console.aws.amazon.com", "044445555666"},
                   odd{"44445555666x-abcdefgh.us-east-1.console.aws.amazon.com", "044445555666"},
                   odd{"4444555566667-abcdefgh.us-east-1.console.aws.amazon.com", ""},
                   odd{"0-abcdefgh.console.amazonaws-us-gov.com", "000000000000"}}) {
        auto a = ci::inspect(request("GET", o.host, "/console/home"), {});
        ASSERT_EQ(a.size(), 1u) << o.host;
        EXPECT_EQ(a[0].flow, core::sign_in_flow::multi_session);
        EXPECT_EQ(a[0].account ? a[0].account->str() : "", o.account) << o.host;
        EXPECT_TRUE(refused(a)) << o.host;
    }
    for (const char* host : {"us-east-1.console.aws.amazon.com", "console.aws.amazon.com",
                             "s3.console.aws.amazon.com"}) {
        EXPECT_TRUE(ci::inspect(request("GET", host, "/console/home"), {}).empty()) << host;
    }
}

// A role with a path (arn:aws:iam::ACCT:role/ops/Admin) is switched to as roleName=ops/Admin:
// AWS assumes the role of that ARN, and the session it opens is assumed-role/Admin/…, the role's
// name being the ARN's last segment. The inspector read the same role as "Admin" from a roleArn
// but as "ops/Admin" from a roleName, so a rule denying the role Admin stopped the one and let
// the other through (roles globs match the role's name). One reading for both; a roleName that
// ends in '/' names no role and is refused.
TEST(inspector_readings, a_role_name_with_a_path_is_the_role_its_arn_names) {
    struct shape {
        const char* target;
        const char* want_role;  // "" = refused
    };
    for (auto s : {shape{"/switchrole?account=444455556666&roleName=ops/Admin", "Admin"},
                   shape{"/switchrole?account=444455556666&roleName=/ops/team/Admin", "Admin"},
                   shape{"/switchrole?account=444455556666&roleName=ops%2FAdmin", "Admin"},
                   shape{"/switchrole?account=444455556666&"
                         "roleName=arn%3Aaws%3Aiam%3A%3A444455556666%3Arole%2Fops%2FAdmin",
                         "Admin"},
                   shape{"/switchrole?account=444455556666&roleName=ops/", ""},
                   shape{"/v3/whatever?accountId=444455556666&role=ops/Admin", "Admin"}}) {
        auto a = ci::inspect(request("GET", "signin.aws.amazon.com", s.target), {});
        ASSERT_FALSE(a.empty()) << s.target;
        if (*s.want_role == '\0') {
            EXPECT_TRUE(refused(a)) << s.target;
            continue;
        }
        EXPECT_FALSE(refused(a)) << s.target;
        for (const auto& x : a) EXPECT_EQ(x.role_name, s.want_role) << s.target;
    }
    // A link naming only the account names no role, and is not refused for it.
    auto only = ci::inspect(
        request("GET", "signin.aws.amazon.com", "/switchrole?account=444455556666"), {});
    ASSERT_EQ(only.size(), 1u);
    EXPECT_FALSE(refused(only));
    EXPECT_EQ(only[0].role_name, "");
    // The multi-session JSON form alike.
    auto a = ci::inspect(request("POST", "signin.aws.amazon.com", "/sessions/x/v1/switchrole",
                                 R"({"accountId":"444455556666","roleName":"ops/Admin"})"),
                         {});
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].role_name, "Admin");
}

// A parameter name that a lenient reader takes for a sign-in field is that field: an array or
// index suffix (qs, Rack and PHP read "account[]" and "account[0]" as "account"), a NUL that a
// C-string reader stops at, a second percent-decoding ("%2561ccount"), an overlong UTF-8
// encoding of an ASCII letter, a fullwidth letter (NFKC), or a non-ASCII letter that Unicode case
// mapping turns into the ASCII one (Java's equalsIgnoreCase: U+017F 's', U+0131 and U+0130 'i',
// U+212A 'k'), and '.' or ' ' for '_' (PHP). Each names an account the exact spelling beside it
// does not; before, it was skipped, so the request passed as the allowed spelling's.
TEST(inspector_readings, field_names_are_read_as_every_lenient_reader_reads_them) {
    struct shape {
        const char* method;
        const char* host;
        const char* target;
        const char* body;
    };
    const char* idc = "portal.sso.us-east-1.amazonaws.com";
    const char* signin = "signin.aws.amazon.com";
    for (auto s : {
             shape{"POST", signin, "/switchrole",
                   "account=111122223333&roleName=Admin&account%5B%5D=444455556666"},
             shape{"POST", signin, "/switchrole",
                   "account=111122223333&roleName=Admin&account[0]=444455556666"},
             shape{"POST", signin, "/switchrole",
                   "account=111122223333&roleName=Admin&account%00x=444455556666"},
             shape{"POST", signin, "/switchrole",
                   "account=111122223333&roleName=Admin&%2561ccount=444455556666"},
             shape{"POST", signin, "/switchrole",
                   "account=111122223333&roleName=Admin&%C1%A1ccount=444455556666"},
             shape{"POST", signin, "/switchrole",
                   "account=111122223333&roleName=Admin&%EF%BD%81ccount=444455556666"},
             shape{"POST", signin, "/switchrole",
                   "account=111122223333&roleName=Admin&account%C4%B0d=444455556666"},
             shape{"POST", signin, "/authenticate",
                   "account=111122223333&username=bob&account[]=444455556666"},
             // What a trimming reader drops at either end of a name (before session 9 only
             // ' ', tab, CR and LF were): Java's trim() every character up to U+0020, .NET's,
             // Python's and JavaScript's Unicode white space, JavaScript's U+FEFF.
             shape{"POST", signin, "/switchrole",
                   "account=111122223333&roleName=Admin&account%0B=444455556666"},
             shape{"POST", signin, "/switchrole",
                   "account=111122223333&roleName=Admin&%01account=444455556666"},
             shape{"POST", signin, "/switchrole",
                   "account=111122223333&roleName=Admin&%00account=444455556666"},
             shape{"POST", signin, "/switchrole",
                   "account=111122223333&roleName=Admin&account%C2%A0=444455556666"},
             shape{"POST", signin, "/switchrole",
                   "account=111122223333&roleName=Admin&%E3%80%80account=444455556666"},
             shape{"POST", signin, "/switchrole",
                   "account=111122223333&roleName=Admin&%EF%BB%BFaccount=444455556666"},
             shape{"POST", signin, "/authenticate",
                   R"({"account":"111122223333","account\u2028":"444455556666"})"},
             // IIS's %uXXXX, which Boost.URL refuses to decode (session 9).
             shape{"POST", signin, "/switchrole",
                   "account=111122223333&roleName=Admin&%u0061ccount=444455556666"},
             shape{"POST", signin, "/switchrole",
                   "account=111122223333&roleName=Admin&%UFF41CCOUNT=444455556666"},
             shape{"POST", signin, "/authenticate",
                   R"({"account":"111122223333","account\u0000":"444455556666"})"},
             shape{"GET", idc,
                   "/federation/console?account_id=111122223333&role_name=Admin&"
                   "account.id=444455556666",
                   ""},
             shape{"GET", idc,
                   "/federation/console?account_id=111122223333&role_name=Admin&"
                   "account%20id=444455556666",
                   ""},
             shape{"GET", idc,
                   "/federation/console?account_id=111122223333&role_name=Admin&"
                   "account_%C4%B1d=444455556666",
                   ""},
             shape{"GET", idc,
                   "/federation/console?account_id=111122223333&role_name=Admin&"
                   "account_id%5B%5D=444455556666",
                   ""},
             shape{"GET", signin,
                   "/federation?Action=getSigninToken&%C5%BFession=%7B%22sessionId%22%3A%22"
                   "ASIAGO645SY5CWS4H4AN%22%7D",
                   ""},
         }) {
        SCOPED_TRACE(std::string(s.target) + " " + s.body);
        auto a = ci::inspect(request(s.method, s.host, s.target, s.body), {});
        EXPECT_TRUE(names_account(a, "444455556666"));
    }
    // Names that merely start like a field are other fields.
    for (const char* body : {"account=111122223333&roleName=Admin&accountName=444455556666",
                             "account=111122223333&roleName=Admin&xaccount=444455556666",
                             "account=111122223333&roleName=Admin&%5Baccount%5D=444455556666"}) {
        auto a = ci::inspect(request("POST", signin, "/switchrole", body), {});
        EXPECT_FALSE(names_account(a, "444455556666")) << body;
        EXPECT_TRUE(names_account(a, "111122223333")) << body;
    }
}

// A value outside AWS's own syntax for its field is one whose reading at AWS is unknown: AWS may
// refuse it, or first trim (Java's trim() drops every character up to U+0020, NUL included),
// NFKC-normalise (fullwidth letters and digits), parse digits of any script (Java's
// Long.parseLong reads "１１１１…" and Arabic-Indic digits) or cut it at a NUL. Such a value is
// refused with a reason; before, "Admin\0" or "Ａdmin" passed a rule that denies the role Admin,
// "alice smith" a rule on the user alice, and fullwidth digits were an alias nobody listed.
// Fields: account (12 digits, 1234-5678-9012, or an alias as IAM allows one: 3-63 of [a-z0-9-],
// no '-' at either end nor two in a row; before, "-444455556666" was an alias), IAM role name
// ([\w+=,.@-], 1-64, a path of printable ASCII), permission set name ([\w+=,.@-], 1-32), IAM user
// name ([\w+=,.@-], 1-64), SAML RoleSessionName ([\w+=,.@-], 2-64); and a role value that is an
// ARN but not a role's.
TEST(inspector_readings, values_outside_aws_syntax_are_refused) {
    struct shape {
        const char* method;
        const char* host;
        const char* target;
        std::string body;
    };
    const char* idc = "portal.sso.us-east-1.amazonaws.com";
    const char* signin = "signin.aws.amazon.com";
    auto saml = [](const char* role_name, const char* session) {
        return "SAMLResponse=" + form_value(consolegate::test::b64(consolegate::test::saml_response(
                                     {std::string("arn:aws:iam::111122223333:role/") + role_name +
                                      ",arn:aws:iam::111122223333:saml-provider/Okta"},
                                     session)));
    };
    for (const auto& s : {
             shape{"POST", signin, "/switchrole", "account=111122223333&roleName=Admin%00"},
             shape{"POST", signin, "/switchrole", "account=111122223333&roleName=Adm%09in"},
             shape{"POST", signin, "/switchrole", "account=111122223333&roleName=%EF%BC%A1dmin"},
             shape{"POST", signin, "/switchrole", "account=111122223333&roleName=Admin%2541"},
             shape{"POST", signin, "/switchrole", "account=111122223333&roleName=ops%0A/Admin"},
             shape{"POST", signin, "/switchrole",
                   "account=111122223333&roleName=arn:aws:iam:us-east-1:444455556666:role/Admin"},
             shape{"POST", signin, "/switchrole",
                   "account=111122223333&roleArn=arn:aws:iam::444455556666:user/Admin"},
             shape{"POST", signin, "/switchrole",
                   "account=arn:aws:iam::444455556666:root&roleName=Admin"},
             shape{"POST", signin, "/switchrole",
                   "account=%EF%BC%91%EF%BC%91%EF%BC%91%EF%BC%91%EF%BC%92%EF%BC%92%EF%BC%92"
                   "%EF%BC%92%EF%BC%93%EF%BC%93%EF%BC%93%EF%BC%93&roleName=Admin"},
             shape{"POST", signin, "/authenticate",
                   "account=%D9%A4%D9%A4%D9%A4%D9%A4%D9%A5%D9%A5%D9%A5%D9%A5%D9%A6%D9%A6%D9%A6"
                   "%D9%A6&username=bob"},
             shape{"POST", signin, "/authenticate", "account=444455556666%00&username=bob"},
             shape{"POST", signin, "/authenticate", "account=444455556666%0B&username=bob"},
             shape{"POST", signin, "/authenticate", "account=4444+5555+6666&username=bob"},
             // No alias IAM allows: a sign (a negative JSON number), a leading, trailing or
             // doubled '-', under three characters.
             shape{"POST", signin, "/sessions/5d/v1/switchrole",
                   R"({"accountId":-444455556666,"roleName":"Admin"})"},
             shape{"POST", signin, "/authenticate", "account=%2B444455556666&username=bob"},
             shape{"POST", signin, "/authenticate", "account=-acme-prod&username=bob"},
             shape{"POST", signin, "/authenticate", "account=acme-prod-&username=bob"},
             shape{"POST", signin, "/authenticate", "account=acme--prod&username=bob"},
             shape{"POST", signin, "/authenticate", "account=ab&username=bob"},
             shape{"POST", signin, "/authenticate", "account=acme-prod&username=bob%00"},
             shape{"POST", signin, "/authenticate", "account=acme-prod&username=b%C5%BFob"},
             shape{"GET", idc, "/federation/console?account_id=111122223333&role_name=Admin%00",
                   ""},
             shape{"GET", idc, "/federation/console?account_id=111122223333&role_name=Admin+Ops",
                   ""},
             shape{"POST", signin, "/saml", saml("%EF%BC%A1dmin", "alice")},
             shape{"POST", signin, "/saml", saml("Adm&#9;in", "alice")},
             shape{"POST", signin, "/saml", saml("Admin", "alice smith")},
             shape{"POST", signin, "/saml", saml("Admin", "alice&#x2003;")},
         }) {
        SCOPED_TRACE(std::string(s.target) + " " + s.body);
        auto a = ci::inspect(request(s.method, s.host, s.target, s.body), {});
        ASSERT_FALSE(a.empty());
        EXPECT_TRUE(refused(a));
    }
    // AWS's own spellings are read as before.
    for (const auto& s : {
             shape{"POST", signin, "/switchrole",
                   "account=1111-2222-3333&roleName=/ops/team/Admin.Role%2B%3D%2C%40_-1"},
             shape{"POST", signin, "/switchrole", "account=Acme-Prod&roleName=Admin"},
             shape{"POST", signin, "/authenticate",
                   "account=111122223333&username=bob.smith%2Bops%40example.com"},
             shape{"GET", idc,
                   "/federation/console?account_id=111122223333&role_name=Admin%2BOps_1", ""},
             shape{"POST", signin, "/saml", saml("Admin", "alice.smith@example.com")},
         }) {
        SCOPED_TRACE(std::string(s.target) + " " + s.body);
        auto a = ci::inspect(request(s.method, s.host, s.target, s.body), {});
        ASSERT_FALSE(a.empty());
        EXPECT_FALSE(refused(a));
    }
}

// A sign-in body behind a byte-order mark or holding NUL bytes (UTF-16 or UTF-32 text) is read
// otherwise by a reader that drops the mark (.NET's StreamReader) or detects the encoding
// (Jackson, for JSON): "<BOM>account=<other>&account=<allowed>" was the allowed account alone
// here (the first name was "\uFEFFaccount"), the other one first to such a reader. Refused.
TEST(inspector_readings, sign_in_bodies_that_are_not_plain_utf8_are_refused) {
    std::string utf16;
    for (char c : std::string("account=444455556666&roleName=Admin")) utf16 += std::string{c, '\0'};
    for (const auto& body :
         {std::string("\xEF\xBB\xBF") + "account=444455556666&account=111122223333&username=bob",
          std::string("\xFF\xFE") + utf16, utf16,
          std::string("account=111122223333&username=bob&x=") + std::string(1, '\0')}) {
        for (const char* path : {"/authenticate", "/switchrole"}) {
            auto a = ci::inspect(request("POST", "signin.aws.amazon.com", path, body), {});
            ASSERT_FALSE(a.empty()) << path;
            EXPECT_TRUE(refused(a)) << path;
        }
    }
}

// "1111-2222-3333" is the console's spelling of account 111122223333 and also a valid account
// alias (IAM CreateAccountAlias: [a-z0-9] and single '-', 3-63), which another account may hold;
// which of the two AWS's sign-in takes is not documented. Both readings are judged: the account,
// and the alias (unknown unless the alias map names it). Before, the ID alone, so the account
// that holds that alias was never judged.
TEST(inspector_readings, a_dashed_account_id_is_also_an_alias) {
    ci::options opt;
    opt.aliases.emplace("1111-2222-3333", *core::account_id::parse("444455556666"));
    for (const auto& [host, target, body] :
         std::vector<std::tuple<std::string, std::string, std::string>>{
             {"signin.aws.amazon.com", "/authenticate", "account=1111-2222-3333&username=bob"},
             {"signin.aws.amazon.com", "/switchrole", "account=1111-2222-3333&roleName=Admin"},
             {"1111-2222-3333.signin.aws.amazon.com", "/console", ""}}) {
        SCOPED_TRACE(host + target);
        auto a = ci::inspect(request(body.empty() ? "GET" : "POST", host, target, body), opt);
        EXPECT_TRUE(names_account(a, "111122223333"));
        EXPECT_TRUE(names_account(a, "444455556666"));
        EXPECT_FALSE(refused(a));
        auto b = ci::inspect(request(body.empty() ? "GET" : "POST", host, target, body), {});
        EXPECT_TRUE(std::any_of(b.begin(), b.end(), [](const core::sign_in_attempt& x) {
            return !x.account && x.alias == "1111-2222-3333";
        }));
    }
}

// Root sign-in names only an e-mail, which `users` rules match. An e-mail with a character outside
// printable ASCII (a NUL or control character Java's trim() drops, a space, NBSP, a fullwidth '@'
// NFKC makes ASCII) is refused: before, "ceo@example.com%00" passed a rule denying
// ceo@example.com as an unknown account. An action a lenient reader takes for root's
// ("resolveAccountType%00", other case) is root's: before, it was no sign-in at all.
TEST(inspector_readings, root_e_mails_and_actions_are_read_as_aws_could_read_them) {
    for (const char* email : {"ceo@example.com%00", "ceo@example.com%0B", "ceo%EF%BC%A0example.com",
                              "%C2%A0ceo@example.com", "ceo+x@example.com"}) {
        auto a = ci::inspect(request("POST", "signin.aws.amazon.com", "/signin",
                                     std::string("action=resolveAccountType&email=") + email),
                             {});
        ASSERT_EQ(a.size(), 1u) << email;
        EXPECT_EQ(a[0].flow, core::sign_in_flow::root);
        EXPECT_TRUE(refused(a)) << email;
    }
    for (const char* action : {"resolveAccountType%00", "RESOLVEACCOUNTTYPE",
                               "authenticateRoot%5B%5D", "authent%C4%B1cateRoot"}) {
        auto a =
            ci::inspect(request("POST", "signin.aws.amazon.com", "/signin",
                                std::string("action=") + action + "&email=ceo%2Btag@example.com"),
                        {});
        ASSERT_EQ(a.size(), 1u) << action;
        EXPECT_EQ(a[0].flow, core::sign_in_flow::root) << action;
        EXPECT_EQ(a[0].user, "ceo+tag@example.com");
        EXPECT_FALSE(refused(a)) << action;
    }
}

// A body is read whatever the method: servers that route sign-in by path read a PUT, PATCH,
// DELETE, HEAD, OPTIONS or GET body as they read a POST's, so every flow's fields in it are
// judged (the method decides only whether a request naming nothing is refused).
TEST(inspector_readings, bodies_are_read_whatever_the_method) {
    const std::string saml =
        "SAMLResponse=" + form_value(consolegate::test::b64(consolegate::test::saml_response(
                              {"arn:aws:iam::444455556666:role/Admin,"
                               "arn:aws:iam::444455556666:saml-provider/Okta"},
                              "alice")));
    struct shape {
        const char* host;
        const char* target;
        std::string body;
    };
    for (const char* method : {"PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "GET"}) {
        for (const auto& s : {
                 shape{"signin.aws.amazon.com", "/authenticate", "account=444455556666"},
                 shape{"signin.aws.amazon.com", "/switchrole", "account=444455556666&roleName=A"},
                 shape{"signin.aws.amazon.com", "/saml", saml},
                 shape{"signin.aws.amazon.com", "/federation",
                       "Action=getSigninToken&Session=%7B%22sessionId%22%3A%22"
                       "ASIAGO645SY5CWS4H4AN%22%7D"},
                 shape{"portal.sso.us-east-1.amazonaws.com", "/federation/console",
                       "account_id=444455556666&role_name=A"},
             }) {
            auto a = ci::inspect(request(method, s.host, s.target, s.body), {});
            EXPECT_TRUE(names_account(a, "444455556666")) << method << " " << s.target;
        }
    }
}

// A submission the endpoint's reader finds nothing in is refused whatever its method: a PUT or
// PATCH, or any method with a body (a server may read their form fields as a POST's), as a POST
// is. Before, only POST was: "PUT /saml" with a field this inspector could not find was forwarded
// as no sign-in. A GET, HEAD or OPTIONS without a body (a page load, a CORS preflight) is not.
TEST(inspector_readings, a_submission_naming_nothing_is_refused_whatever_the_method) {
    struct shape {
        const char* target;
        const char* body;
    };
    for (const char* method : {"POST", "PUT", "PATCH", "DELETE", "GET", "OPTIONS", "FOO"}) {
        for (auto s : {shape{"/authenticate", "username=bob"}, shape{"/saml", "RelayState=x"},
                       shape{"/switchrole", "displayName=x"}, shape{"/federation", "x=1"}}) {
            SCOPED_TRACE(std::string(method) + " " + s.target);
            auto a = ci::inspect(request(method, "signin.aws.amazon.com", s.target, s.body), {});
            EXPECT_TRUE(refused(a));
        }
    }
    for (const char* method : {"PUT", "PATCH"}) {
        for (const char* target : {"/authenticate", "/saml", "/switchrole", "/federation"}) {
            SCOPED_TRACE(std::string(method) + " " + target);
            EXPECT_TRUE(refused(ci::inspect(request(method, "signin.aws.amazon.com", target), {})));
        }
    }
    for (const char* method : {"GET", "HEAD", "OPTIONS"}) {
        for (const char* target : {"/authenticate", "/saml", "/switchrole", "/federation"}) {
            SCOPED_TRACE(std::string(method) + " " + target);
            EXPECT_TRUE(ci::inspect(request(method, "signin.aws.amazon.com", target), {}).empty());
        }
    }
}

// On the access portal's API host, a path a lenient router takes for /federation/console or
// /federation/credentials (a NUL or white space it trims, a fullwidth or case-mapped letter, an
// extension Spring's suffix matching drops, a version prefix) is judged as the portal's
// federation, as credentials (never the console link's leniency). Before, each was no sign-in,
// forwarded with whatever account_id it named.
TEST(inspector_readings, portal_federation_paths_a_lenient_router_matches_are_judged) {
    const std::string q = "?account_id=444455556666&role_name=Admin";
    for (const char* path :
         {"/federation/console%00", "/federation/console%20", "/federation/console.json",
          "/federation/%EF%BD%83onsole", "/federation/credential%C5%BF", "/v2/federation/console",
          "/federation/console%5B%5D", "/federation%00/credentials"}) {
        auto a = ci::inspect(
            request("GET", "portal.sso.us-east-1.amazonaws.com", std::string(path) + q), {});
        ASSERT_EQ(a.size(), 1u) << path;
        EXPECT_EQ(a[0].flow, core::sign_in_flow::identity_center) << path;
        EXPECT_TRUE(names_account(a, "444455556666")) << path;
        EXPECT_TRUE(a[0].portal_credentials) << path;
    }
    // Other portal API calls are not federation: listing an account's roles names it without
    // signing in.
    for (const char* path : {"/assignment/roles", "/federation-help", "/x/consolex"}) {
        auto a = ci::inspect(
            request("GET", "portal.sso.us-east-1.amazonaws.com", std::string(path) + q), {});
        EXPECT_TRUE(a.empty()) << path;
    }
}

// The same for switch role on a console host (where no catch-all reading follows, unlike the
// sign-in hosts): /switchrole%00, /switchrole.json and a multi-session …/switchrole%20 are switch
// role. Before, each was no sign-in.
TEST(inspector_readings, switch_role_paths_a_lenient_router_matches_are_judged) {
    for (const char* path : {"/switchrole%00", "/switchrole.json", "/sessions/x/v1/switchrole%20",
                             "/%EF%BD%93witchrole"}) {
        for (const char* method : {"GET", "POST"}) {
            bool get = std::string_view(method) == "GET";
            auto a = ci::inspect(
                request(method, "console.aws.amazon.com",
                        std::string(path) + (get ? "?account=444455556666&roleName=A" : ""),
                        get ? "" : "account=444455556666&roleName=A"),
                {});
            ASSERT_EQ(a.size(), 1u) << path;
            EXPECT_EQ(a[0].flow, core::sign_in_flow::switch_role) << path;
            EXPECT_TRUE(names_account(a, "444455556666")) << path;
        }
    }
}

// ';' separates parameters for some readers of a form body too (HTML 4 appendix B.2.2; Python's
// parse_qs before 3.9.2, old CGI libraries), as it does in a query; browsers and URLSearchParams
// always encode it (%3B). "x=1;account=<other>&account=<allowed>" was the allowed account alone
// here, the other one first to such a reader. Refused on sign-in paths, as in the query.
TEST(inspector_readings, a_semicolon_in_a_sign_in_form_body_is_refused) {
    for (const char* path : {"/authenticate", "/switchrole", "/federation"}) {
        auto a = ci::inspect(request("POST", "signin.aws.amazon.com", path,
                                     "x=1;account=444455556666&account=111122223333&roleName=A"),
                             {});
        ASSERT_FALSE(a.empty()) << path;
        EXPECT_TRUE(refused(a)) << path;
    }
    // Encoded, it is a character of a value.
    auto a = ci::inspect(request("POST", "signin.aws.amazon.com", "/authenticate",
                                 "x=1%3Bb&account=111122223333&username=bob"),
                         {});
    EXPECT_FALSE(refused(a));
}

// A sign-in field given a JSON object, true, false or null has no reading servers agree on:
// Jackson coerces true to "true" (an alias) and refuses an object, a JavaScript reader makes it
// "[object Object]" or reads a member of it. The scanner dropped such members, so a switch role
// posting {"accountId":null,"roleArn":…} was judged on the ARN's account alone and an IAM user
// sign-in with {"username":{…}} on no user. Refused, in any flow that reads the field.
TEST(inspector_readings, a_sign_in_field_that_is_not_text_is_refused) {
    const char* signin = "signin.aws.amazon.com";
    const char* arn = R"("roleArn":"arn:aws:iam::111122223333:role/Dev")";
    for (std::string not_text :
         {"null", "true", "false", R"({"id":"444455556666"})", R"([{"id":"444455556666"}])"}) {
        for (const auto& [target, body] :
             std::initializer_list<std::pair<const char*, std::string>>{
                 {"/sessions/5d/v1/switchrole", "{\"accountId\":" + not_text + "," + arn + "}"},
                 {"/switchrole", "{\"account\":\"111122223333\",\"roleName\":" + not_text + "}"},
                 {"/authenticate", "{\"account\":\"111122223333\",\"username\":" + not_text + "}"},
                 {"/v2/other", "{\"roleName\":\"Dev\",\"account_id\":" + not_text + "}"},
                 {"/saml", "{\"SAMLResponse\":" + not_text + "}"},
             }) {
            auto r = request("POST", signin, target, body);
            r.headers.emplace_back("Content-Type", "application/json");
            auto a = ci::inspect(r, {});
            EXPECT_TRUE(refused(a)) << target << " " << body;
        }
    }
    // Beside a text value of the same member (a DOM parser keeps the last, null): a broker's
    // Session, StartDeviceAuthorization's startUrl. Before, the text value alone was judged.
    for (const char* target :
         {"/federation?Action=getSigninToken&Session=%7B%22sessionId%22%3A%22ASIABTX3GSDSQAJDIVTY"
          "%22%2C%22sessionId%22%3Anull%7D",
          "/federation?Action=getSigninToken&Session=%7B%22sessionId%22%3A%22ASIABTX3GSDSQAJDIVTY"
          "%22%2C%22x%22%3A%7B%22sessionId%22%3Afalse%7D%7D"}) {
        EXPECT_TRUE(refused(ci::inspect(request("GET", signin, target), {}))) << target;
    }
    auto device = request("POST", "oidc.us-east-1.amazonaws.com", "/device_authorization",
                          R"({"clientId":"c","startUrl":"https://ours.awsapps.com/start",)"
                          R"("startUrl":null})");
    device.headers.emplace_back("Content-Type", "application/json");
    EXPECT_TRUE(refused(ci::inspect(device, {})));
    // The same members as text, and a non-text member the inspector does not read, pass.
    auto r = request("POST", signin, "/sessions/5d/v1/switchrole",
                     R"({"accountId":"111122223333","roleName":"Dev","color":null,"x":{}})");
    r.headers.emplace_back("Content-Type", "application/json");
    auto a = ci::inspect(r, {});
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].parse_error, "");
    EXPECT_TRUE(names_account(a, "111122223333"));
}

// One sign-in field with several different values (query and body, a repeat under a spelling
// name_is reads as the field, a JSON key given twice or nested, two sessionIds in a broker's
// Session, two startUrls): AWS reads one of them, which one is not documented (Spring binds a
// repeat to a String as "A,B"), so every reading is kept and denied as ambiguous-identity.
// Before, each reading was judged alone, and a request naming two allowed accounts, or an
// allowed account under two roles, was let through on whichever AWS picked.
TEST(inspector_readings, a_field_given_several_different_values_is_ambiguous) {
    struct shape {
        const char* method;
        const char* host;
        const char* target;
        const char* body;
    };
    const char* signin = "signin.aws.amazon.com";
    const char* idc = "portal.sso.us-east-1.amazonaws.com";
    for (
        auto s : {
            shape{"POST", signin, "/switchrole?account=111122223333&roleName=Admin",
                  "account=444455556666&roleName=Admin"},
            shape{"POST", signin, "/switchrole?account=111122223333&roleName=Admin",
                  "account=111122223333&roleName=Dev"},
            shape{"POST", signin, "/authenticate", "account=111122223333&account=acme-prod"},
            shape{"POST", signin, "/authenticate", "account=111122223333&ACCOUNT=444455556666"},
            shape{"POST", "111122223333.signin.aws.amazon.com", "/authenticate",
                  "username=bob&username=eve"},
            shape{"POST", signin, "/sessions/5d/v1/switchrole",
                  R"({"accountId":"111122223333","roleName":"Dev","x":{"accountId":"acme"}})"},
            shape{"POST", signin, "/sessions/5d/v1/switchrole",
                  R"({"accountId":"111122223333","roleName":"Dev","\u0061ccountId":"acme"})"},
            shape{"GET", idc,
                  "/federation/credentials?account_id=111122223333&role_name=A&"
                  "role_name=B",
                  ""},
            shape{"GET", signin,
                  "/federation?Action=getSigninToken&Session=%7B%22sessionId%22"
                  "%3A%22ASIABTX3GSDSQAJDIVTY%22%2C%22sessionId%22%3A%22ASIAGO645SY5AAJDIVTY%22"
                  "%7D",
                  ""},
            shape{"GET", signin,
                  "/federation?Action=login&SigninToken=t&Action=getSigninToken&"
                  "Session=%7B%22sessionId%22%3A%22ASIABTX3GSDSQAJDIVTY%22%7D",
                  ""},
            shape{
                "POST", "oidc.us-east-1.amazonaws.com", "/device_authorization",
                R"({"startUrl":"https://a.awsapps.com/start","startUrl":"https://b.awsapps.com/start"})"},
        }) {
        SCOPED_TRACE(std::string(s.target) + " " + s.body);
        auto a = ci::inspect(request(s.method, s.host, s.target, s.body), {});
        ASSERT_FALSE(a.empty());
        for (const auto& x : a) {
            EXPECT_TRUE(x.ambiguous_identity) << x.source;
            EXPECT_FALSE(x.parse_error.empty()) << x.source;
        }
    }
    // The same value twice is one reading; different fields are each judged as before.
    for (auto s : {
             shape{"POST", signin, "/switchrole?account=111122223333&roleName=Admin",
                   "account=111122223333&roleName=Admin"},
             shape{"POST", signin, "/authenticate", "account=111122223333&account=+111122223333"},
             shape{"POST", signin, "/switchrole",
                   "account=111122223333&roleName=Admin&roleArn=arn%3Aaws%3Aiam%3A%3A111122223333"
                   "%3Arole%2FAdmin"},
         }) {
        SCOPED_TRACE(std::string(s.target) + " " + s.body);
        auto a = ci::inspect(request(s.method, s.host, s.target, s.body), {});
        ASSERT_FALSE(a.empty());
        EXPECT_FALSE(refused(a));
    }
}

// A header some servers take as the request's target (X-Original-URL, X-Rewrite-URL: Symfony,
// Zend, IIS's URL Rewrite) or host (X-Forwarded-Host, X-Host, X-Original-Host) on an AWS or
// sign-in host: a server honouring it reads another endpoint or account label than the one
// judged, and a browser never sends one. Refused (session 9; before, a static asset's path with
// X-Original-URL: /switchrole?account=<other> was no sign-in). The same host is not another.
TEST(inspector_readings, a_header_naming_another_target_or_host_is_refused) {
    struct shape {
        const char* host;
        const char* target;
        const char* header;
        const char* value;
    };
    for (auto s : {
             shape{"us-east-1.console.aws.amazon.com", "/static/app.js", "X-Original-URL",
                   "/switchrole?account=444455556666&roleName=Admin"},
             shape{"signin.aws.amazon.com", "/", "x-rewrite-url", "/federation"},
             shape{"111122223333.signin.aws.amazon.com", "/console", "X-Forwarded-Host",
                   "444455556666.signin.aws.amazon.com"},
             shape{"111122223333.signin.aws.amazon.com", "/console", "X-Forwarded-Host",
                   "111122223333.signin.aws.amazon.com, 444455556666.signin.aws.amazon.com"},
             shape{"signin.aws.amazon.com", "/switchrole", "X-Host", "evil.example"},
             shape{"portal.sso.us-east-1.amazonaws.com",
                   "/federation/credentials?account_id="
                   "111122223333&role_name=A",
                   "X-Original-Host", "other.amazonaws.com"},
         }) {
        SCOPED_TRACE(std::string(s.header) + ": " + s.value);
        auto v = request("GET", s.host, s.target);
        v.headers.emplace_back(s.header, s.value);
        EXPECT_TRUE(refused(ci::inspect(v, {})));
    }
    auto v = request("GET", "111122223333.signin.aws.amazon.com", "/console");
    v.headers.emplace_back("X-Forwarded-Host", "111122223333.SIGNIN.aws.amazon.com:443");
    EXPECT_FALSE(refused(ci::inspect(v, {})));
    v = request("GET", "www.example.com", "/x.js");
    v.headers.emplace_back("X-Original-URL", "/switchrole");
    EXPECT_TRUE(ci::inspect(v, {}).empty());
}

// One thing a request names under two names (switch role's account, accountId and account_id,
// its role names and role ARNs, a role ARN's account beside `account`; an IAM user sign-in's
// host label beside its form's account): disagreeing, it is ambiguous, since which one AWS binds
// is not documented. Before session 11 each was judged alone and the request passed when every
// one was allowed. Agreeing (the same account spelled as an ID, dashed or by a known alias; a
// role name beside its own ARN) it is one reading.
TEST(inspector_readings, two_names_of_one_thing_that_disagree_are_ambiguous) {
    ci::options opt;
    opt.aliases.emplace("acme-prod", *core::account_id::parse("111122223333"));
    const char* signin = "signin.aws.amazon.com";
    const char* arn_b = "arn%3Aaws%3Aiam%3A%3A444455556666%3Arole%2FAdmin";
    struct shape {
        const char* host;
        std::string target;
        std::string body;
        bool json;
    };
    for (auto s : {
             shape{signin, "/switchrole?account=111122223333&accountId=444455556666&roleName=A", "",
                   false},
             shape{signin, "/switchrole", "account_id=444455556666&account=111122223333&role=A",
                   false},
             shape{signin, "/switchrole", "account=111122223333&roleName=Dev&role=Admin", false},
             shape{signin, "/switchrole",
                   std::string("account=111122223333&roleName=Admin&roleArn=") + arn_b, false},
             shape{signin, "/switchrole", std::string("account=111122223333&roleName=") + arn_b,
                   false},
             shape{signin, "/switchrole",
                   std::string("account=111122223333&roleName=Dev&role_arn=") +
                       "arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2FAdmin",
                   false},
             shape{signin, "/sessions/5d/v1/switchrole",
                   R"({"accountId":"111122223333","roleName":"Dev",)"
                   R"("roleArn":"arn:aws:iam::444455556666:role/Dev"})",
                   true},
             shape{signin, "/sessions/5d/v1/switchrole",
                   R"({"account":"acme-prod","accountId":"444455556666","roleName":"Dev"})", true},
             shape{signin, "/x/v9/whatever?accountId=444455556666&account=111122223333&roleName=A",
                   "", false},
             shape{"111122223333.signin.aws.amazon.com", "/authenticate",
                   "account=444455556666&username=bob", false},
             shape{"acme-prod.signin.aws.amazon.com", "/authenticate",
                   "account=444455556666&username=bob", false},
             shape{"444455556666.signin.aws.amazon.com", "/console?account=acme-prod", "", false},
         }) {
        SCOPED_TRACE(std::string(s.host) + s.target + " " + s.body);
        auto v = request("POST", s.host, s.target, s.body);
        if (s.json) v.headers.emplace_back("Content-Type", "application/json");
        auto a = ci::inspect(v, opt);
        ASSERT_FALSE(a.empty());
        for (const auto& x : a) {
            EXPECT_TRUE(x.ambiguous_identity) << x.source;
            EXPECT_FALSE(x.parse_error.empty()) << x.source;
        }
    }
    for (auto s : {
             shape{signin, "/switchrole?account=111122223333&accountId=111122223333&roleName=A", "",
                   false},
             shape{signin, "/switchrole", "account=1111-2222-3333&account_id=111122223333&role=A",
                   false},
             shape{signin, "/switchrole",
                   std::string("account=acme-prod&roleName=ops/Admin&roleArn=") +
                       "arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fops%2FAdmin",
                   false},
             shape{signin, "/sessions/5d/v1/switchrole",
                   R"({"accountId":"444455556666","roleArn":"arn:aws:iam::444455556666:role/Dev",)"
                   R"("roleName":"Dev","displayName":"other","color":"ff0000"})",
                   true},
             shape{"111122223333.signin.aws.amazon.com", "/authenticate",
                   "account=111122223333&username=bob", false},
             shape{"acme-prod.signin.aws.amazon.com", "/authenticate",
                   "account=111122223333&username=bob", false},
             shape{"111122223333.signin.aws.amazon.com", "/authenticate",
                   "account=1111-2222-3333&username=bob", false},
             shape{"us-east-1.signin.aws.amazon.com", "/authenticate",
                   "account=444455556666&username=bob", false},
         }) {
        SCOPED_TRACE(std::string(s.host) + s.target + " " + s.body);
        auto v = request("POST", s.host, s.target, s.body);
        if (s.json) v.headers.emplace_back("Content-Type", "application/json");
        auto a = ci::inspect(v, opt);
        ASSERT_FALSE(a.empty());
        for (const auto& x : a) EXPECT_FALSE(x.ambiguous_identity) << x.source;
    }
}

// A SAML Role value names its account twice: the role ARN's and the SAML provider's. IAM
// requires the provider in the role's account and an IdP never sends the pair split, so a value
// whose two ARNs are in different accounts (or partitions) is ambiguous, among allowed
// alternatives too and whichever role the chooser posts (before session 11 the provider's
// account was not read: the post was judged on the role's).
TEST(inspector_readings, a_saml_role_and_provider_in_two_accounts_are_ambiguous) {
    const std::string role_a = "arn:aws:iam::111122223333:role/Admin";
    const std::string role_b = "arn:aws:iam::444455556666:role/Dev";
    const std::string prov_a = "arn:aws:iam::111122223333:saml-provider/Okta";
    const std::string prov_b = "arn:aws:iam::444455556666:saml-provider/Okta";
    auto post = [](const std::vector<std::string>& values, const std::string& chosen) {
        auto body =
            "SAMLResponse=" +
            form_value(consolegate::test::b64(consolegate::test::saml_response(values, "alice")));
        if (!chosen.empty()) body += "&roleIndex=" + chosen;
        return ci::inspect(request("POST", "signin.aws.amazon.com", "/saml", body), {});
    };
    for (auto values : {std::vector<std::string>{role_a + "," + prov_b},
                        std::vector<std::string>{prov_b + "," + role_a},
                        std::vector<std::string>{role_b + "," + prov_b, role_a + "," + prov_b},
                        std::vector<std::string>{
                            role_a + ",arn:aws-us-gov:iam::111122223333:saml-provider/Okta"}}) {
        for (const std::string chosen : {"", "arn:aws:iam::111122223333:role/Admin"}) {
            SCOPED_TRACE(values.back() + " " + chosen);
            auto a = post(values, chosen);
            ASSERT_FALSE(a.empty());
            for (const auto& x : a) {
                EXPECT_TRUE(x.ambiguous_identity) << x.source;
                EXPECT_FALSE(x.parse_error.empty()) << x.source;
            }
            EXPECT_TRUE(names_account(a, "111122223333"));
        }
    }
    auto a = post({role_b + "," + prov_b, role_a + "," + prov_a}, "");
    ASSERT_EQ(a.size(), 2u);
    EXPECT_FALSE(refused(a));
}

// /signin is root's endpoint: every submission there is a step of a root sign-in whatever its
// action (the MFA, captcha and recovery steps, one AWS adds), judged as root with the e-mail it
// names, so rules on the root flow and on root e-mails see every step and the answer that opens
// the session (session 11; before, only resolveAccountType and authenticateRoot were root's and
// any other step was no sign-in). The sign-in page itself (a GET without an action) is not.
TEST(inspector_readings, every_submission_to_roots_endpoint_is_root) {
    for (const char* body : {"action=authenticateRootMFA&email=root%40example.com&mfa1=123456",
                             "action=captcha&email=root%40example.com&captcha_guess=x",
                             "action=forgotPassword&email=root%40example.com",
                             "email=root%40example.com&mfaType=SW"}) {
        for (const char* target : {"/signin", "/signin;jsessionid=1", "/signin.json"}) {
            SCOPED_TRACE(std::string(target) + " " + body);
            auto a = ci::inspect(request("POST", "signin.aws.amazon.com", target, body), {});
            ASSERT_EQ(a.size(), 1u);
            EXPECT_EQ(a[0].flow, core::sign_in_flow::root);
            EXPECT_EQ(a[0].user, "root@example.com");
            EXPECT_TRUE(a[0].parse_error.empty());
        }
    }
    auto a = ci::inspect(request("POST", "signin.aws.amazon.com", "/signin", "mfa1=123456"), {});
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].flow, core::sign_in_flow::root);
    EXPECT_TRUE(a[0].user.empty());
    EXPECT_TRUE(ci::inspect(request("GET", "signin.aws.amazon.com",
                                    "/signin?redirect_uri=https%3A%2F%2Fconsole.aws.amazon.com"),
                            {})
                    .empty());
    EXPECT_TRUE(
        ci::inspect(request("GET", "signin.aws.amazon.com", "/oauth?Action=signout"), {}).empty());
}
