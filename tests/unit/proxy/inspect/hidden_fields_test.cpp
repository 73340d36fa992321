// Sign-in fields where some reader finds them and the inspector did not look (session 10): other
// spellings of the access portal's federation fields, fields a reader that percent-decodes
// before it splits finds inside another value, and path parameters. Each is judged, and a
// request that reads two ways is refused as ambiguous (docs/inspection.md).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "consolegate/inspect/inspector.hpp"
#include "request_view.hpp"

namespace ci = consolegate::inspect;
namespace core = consolegate::core;

namespace {

using consolegate::inspect::testing::request;

bool all_ambiguous(const std::vector<core::sign_in_attempt>& a) {
    return !a.empty() && std::all_of(a.begin(), a.end(), [](const core::sign_in_attempt& x) {
        return x.ambiguous_identity && !x.parse_error.empty();
    });
}

bool names_account(const std::vector<core::sign_in_attempt>& a, const char* account) {
    return std::any_of(a.begin(), a.end(), [&](const core::sign_in_attempt& x) {
        return x.account && x.account->str() == account;
    });
}

}  // namespace

// The portal's federation fields under the spellings a lenient reader maps to them (camelCase as
// GetRoleCredentials names them, kebab-case): one field each. Before, only account_id and
// role_name were read: a second account in accountId passed unseen beside an allowed account_id,
// and accountId alone was refused as naming no account.
TEST(hidden_fields, the_portals_fields_are_read_in_every_spelling_as_one_field) {
    constexpr const char* host = "portal.sso.us-east-1.amazonaws.com";
    for (const char* target : {
             "/federation/credentials?account_id=111122223333&role_name=ReadOnly"
             "&accountId=444455556666",
             "/federation/console?accountId=111122223333&roleName=ReadOnly"
             "&account-id=444455556666",
             "/federation/credentials?account_id=111122223333&role_name=ReadOnly&roleName=Admin",
         }) {
        SCOPED_TRACE(target);
        auto a = ci::inspect(request("GET", host, target), {});
        EXPECT_TRUE(all_ambiguous(a));
        EXPECT_TRUE(names_account(a, "111122223333"));
    }
    for (const char* target : {"/federation/credentials?accountId=444455556666&roleName=ReadOnly",
                               "/federation/credentials?account-id=444455556666&role-name=ReadOnly",
                               "/federation/credentials?ACCOUNTID=444455556666&RoleName=ReadOnly",
                               "/federation/credentials?account_id=444455556666&accountId="
                               "444455556666&roleName=ReadOnly"}) {
        SCOPED_TRACE(target);
        auto a = ci::inspect(request("GET", host, target), {});
        ASSERT_EQ(a.size(), 1u);
        EXPECT_EQ(a[0].flow, core::sign_in_flow::identity_center);
        EXPECT_EQ(a[0].parse_error, "");
        EXPECT_TRUE(names_account(a, "444455556666"));
        EXPECT_EQ(a[0].permission_set, "ReadOnly");
        EXPECT_TRUE(a[0].portal_credentials);
    }
}

// A reader that percent-decodes the whole query, form body or Cookie header before it splits it
// finds "x=1%26account%3DB" to be x=1 and account=B. Such a field is judged (it is a reading some
// server has) and the request is refused as read two ways, in the query, a form body and the
// cookies alike. Before, account=B stayed inside x's value, unseen.
TEST(hidden_fields, a_field_a_decode_first_reader_finds_is_ambiguous) {
    struct shape {
        const char* method;
        const char* host;
        const char* target;
        const char* body;
    };
    for (auto s : {
             shape{"GET", "signin.aws.amazon.com",
                   "/switchrole?account=111122223333&roleName=Admin&x=1%26account%3D444455556666",
                   ""},
             // Alone: the split-first reader sees no account at all.
             shape{"GET", "signin.aws.amazon.com",
                   "/switchrole?roleName=Admin&x=%26account%3D444455556666", ""},
             // An encoded '=' in the name: account="444455556666=" to the decode-first reader.
             shape{"GET", "signin.aws.amazon.com",
                   "/switchrole?roleName=Admin&account=111122223333&account%3D444455556666=", ""},
             shape{"POST", "signin.aws.amazon.com", "/authenticate",
                   "account=111122223333&username=bob&password=x%26account%3D444455556666"},
             shape{"POST", "signin.aws.amazon.com", "/saml",
                   "RelayState=%26roleIndex%3Darn%3Aaws%3Aiam%3A%3A444455556666%3Arole%2FAdmin"},
             shape{"GET", "portal.sso.us-east-1.amazonaws.com",
                   "/federation/console?account_id=111122223333&role_name=A&d=%26accountId%3D"
                   "444455556666",
                   ""},
             // A field no flow of the endpoint reads is still a second reading of a sign-in.
             shape{"GET", "signin.aws.amazon.com",
                   "/switchrole?account=111122223333&roleName=Admin&x=%26email%3Dr%40example.com",
                   ""},
         }) {
        SCOPED_TRACE(std::string(s.target) + " " + s.body);
        auto a = ci::inspect(request(s.method, s.host, s.target, s.body), {});
        ASSERT_FALSE(a.empty());
        EXPECT_TRUE(std::any_of(a.begin(), a.end(), [](const core::sign_in_attempt& x) {
            return x.ambiguous_identity;
        }));
        EXPECT_TRUE(std::all_of(a.begin(), a.end(), [](const core::sign_in_attempt& x) {
            return !x.parse_error.empty();
        }));
    }
    auto a = ci::inspect(request("GET", "signin.aws.amazon.com",
                                 "/switchrole?roleName=Admin&x=%26account%3D444455556666"),
                         {});
    EXPECT_TRUE(names_account(a, "444455556666"));
}

// What both readers read alike passes: an encoded '&' or '=' that forms no sign-in field (the
// console's own redirect URLs), or a field both find with the same value.
TEST(hidden_fields, what_both_readers_read_alike_is_judged_as_before) {
    for (const char* target : {
             "/switchrole?account=111122223333&roleName=Admin&redirect_uri=https%3A%2F%2Fconsole."
             "aws.amazon.com%2Fconsole%2Fhome%3FhashArgs%3D%2523%26isauthcode%3Dtrue",
             "/switchrole?account=111122223333&roleName=Admin&x=%26account%3D111122223333",
             "/switchrole?account=111122223333&roleName=Admin&x=%2526account%253D444455556666",
         }) {
        SCOPED_TRACE(target);
        auto a = ci::inspect(request("GET", "signin.aws.amazon.com", target), {});
        ASSERT_EQ(a.size(), 1u);
        EXPECT_EQ(a[0].parse_error, "");
        EXPECT_TRUE(names_account(a, "111122223333"));
    }
}

// The aws-userInfo cookie inside another cookie's value ("a=x%3B%20aws-userInfo%3D<other>"):
// which session AWS's reader sees is unknown, so it is refused as read two ways.
TEST(hidden_fields, an_aws_user_info_cookie_a_decode_first_reader_finds_is_ambiguous) {
    const std::string own =
        "aws-userInfo=%7B%22arn%22%3A%22arn%3Aaws%3Asts%3A%3A111122223333%3Aassumed-role%2FAdmin"
        "%2Falice%22%7D";
    const std::string other =
        "%7B%22arn%22%3A%22arn%3Aaws%3Asts%3A%3A444455556666%3Aassumed-role%2FAdmin%2Falice%22%7D";
    auto v = request("GET", "us-east-1.console.aws.amazon.com", "/console/home");
    const std::string both = own + "; noflush=x%3B%20aws-userInfo%3D" + other;
    v.headers.emplace_back("Cookie", both);
    auto a = ci::inspect(v, {});
    EXPECT_TRUE(std::any_of(a.begin(), a.end(), [](const core::sign_in_attempt& x) {
        return x.flow == core::sign_in_flow::console_session && x.ambiguous_identity &&
               !x.parse_error.empty();
    }));
    // The cookie as written alone is judged as before.
    v.headers.clear();
    const std::string plain = own + "; noflush=x%3D1";
    v.headers.emplace_back("Cookie", plain);
    a = ci::inspect(v, {});
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].parse_error, "");
    EXPECT_TRUE(names_account(a, "111122223333"));
}

// Path parameters ("/switchrole;account=B"): a servlet router drops them, a reader of matrix
// variables (Spring's @MatrixVariable, JAX-RS @MatrixParam) reads them as the endpoint's
// parameters. They are read as parameters: alone they are judged, beside a different value in
// the query they are ambiguous. Before, they were dropped with the segment's other parameters.
TEST(hidden_fields, a_sign_in_field_in_a_path_parameter_is_read) {
    for (auto [host, target] : std::vector<std::pair<const char*, const char*>>{
             {"signin.aws.amazon.com",
              "/switchrole;account=444455556666?account=111122223333&roleName=Admin"},
             {"portal.sso.us-east-1.amazonaws.com",
              "/federation/console;account_id=444455556666?account_id=111122223333&role_name=A"},
             {"portal.sso.us-east-1.amazonaws.com",
              "/federation;x=1;accountId=444455556666/credentials?account_id=111122223333&role_"
              "name=A"},
         }) {
        SCOPED_TRACE(target);
        auto a = ci::inspect(request("GET", host, target), {});
        EXPECT_TRUE(all_ambiguous(a));
        EXPECT_TRUE(names_account(a, "444455556666"));
    }
    auto a = ci::inspect(
        request("GET", "signin.aws.amazon.com", "/switchrole;account=444455556666;roleName=Admin"),
        {});
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].flow, core::sign_in_flow::switch_role);
    EXPECT_EQ(a[0].parse_error, "");
    EXPECT_TRUE(names_account(a, "444455556666"));
    EXPECT_EQ(a[0].source, "path:account");
    // A session ID as servlet containers write it is no sign-in field.
    a = ci::inspect(request("GET", "signin.aws.amazon.com",
                            "/switchrole;jsessionid=0A1B?account=111122223333&roleName=Admin"),
                    {});
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].parse_error, "");
}

// AWS Sign-In's dual-stack names (the AWS SDKs' endpoint rules for `signin`: every operation with
// dual-stack on, the control plane always) are sign-in hosts: `aws login`'s token exchange and
// every flow posted there are read as on the regional names. Before, they were no sign-in.
TEST(hidden_fields, sign_in_flows_on_the_dual_stack_names_are_read) {
    for (const char* host :
         {"signin.us-east-1.api.aws", "signin-fips.us-east-1.api.aws",
          "signin.us-gov-west-1.api.aws", "signin.cn-north-1.api.amazonwebservices.com.cn"}) {
        SCOPED_TRACE(host);
        auto a = ci::inspect(
            request("POST", host, "/v1/token", R"({"grantType":"client_credentials"})"), {});
        ASSERT_EQ(a.size(), 1u);
        EXPECT_EQ(a[0].flow, core::sign_in_flow::cli_sign_in);
        EXPECT_NE(a[0].parse_error, "");
        a = ci::inspect(request("GET", host, "/switchrole?account=444455556666&roleName=Admin"),
                        {});
        ASSERT_EQ(a.size(), 1u);
        EXPECT_EQ(a[0].flow, core::sign_in_flow::switch_role);
        EXPECT_TRUE(names_account(a, "444455556666"));
    }
    auto a = ci::inspect(request("POST", "signin.us-gov-west-1.api.aws", "/v1/token",
                                 R"({"grantType":"refresh_token"})"),
                         {});
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].aws_partition, core::partition::aws_us_gov);
    a = ci::inspect(request("POST", "signin.cn-north-1.api.amazonwebservices.com.cn", "/v1/token",
                            R"({"grantType":"refresh_token"})"),
                    {});
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].aws_partition, core::partition::aws_cn);
    // Another service's dual-stack name, or more labels, is not AWS Sign-In.
    for (const char* host : {"sts.us-east-1.api.aws", "signin.a.us-east-1.api.aws"}) {
        EXPECT_TRUE(ci::inspect(request("POST", host, "/v1/token", "{}"), {}).empty()) << host;
    }
}

// An encoded '?', '#' or ';' in the path: a server that decodes the path before it looks for the
// query, the fragment or path parameters reads "/switchrole%3Faccount=B" as /switchrole naming
// account B, this inspector as a segment "switchrole?account=b" naming nothing. Refused where it
// could be a sign-in: on sign-in and portal hosts, and on a console host when the decode-first
// reading is an endpoint. Before, the first shape passed as no sign-in.
TEST(hidden_fields, an_encoded_query_fragment_or_parameter_delimiter_in_the_path_is_refused) {
    struct shape {
        const char* host;
        const char* target;
    };
    for (auto s : {
             shape{"signin.aws.amazon.com", "/switchrole%3Faccount=444455556666&roleName=Admin"},
             shape{"signin.aws.amazon.com", "/switchrole%3faccount=444455556666"},
             shape{"signin.aws.amazon.com",
                   "/switchrole%3Baccount=444455556666?account=111122223333&roleName=Admin"},
             shape{"signin.aws.amazon.com", "/switchrole%23x?account=111122223333&roleName=Admin"},
             shape{"us-east-1.console.aws.amazon.com",
                   "/switchrole%3Faccount=444455556666&roleName=Admin"},
             shape{"portal.sso.us-east-1.amazonaws.com",
                   "/federation/credentials%3Faccount_id=444455556666&role_name=Admin"},
         }) {
        SCOPED_TRACE(std::string(s.host) + s.target);
        auto a = ci::inspect(request("GET", s.host, s.target), {});
        ASSERT_FALSE(a.empty());
        EXPECT_TRUE(std::any_of(a.begin(), a.end(), [](const core::sign_in_attempt& x) {
            return x.parse_error.find("read two ways") != std::string::npos;
        }));
    }
    // A console page whose path holds an encoded '?' that reads as no endpoint either way is no
    // sign-in, as before.
    EXPECT_TRUE(ci::inspect(request("GET", "us-east-1.console.aws.amazon.com",
                                    "/cloudwatch/home%3Fregion=us-east-1"),
                            {})
                    .empty());
}

// RFC 2965's ',' between cookies, which Tomcat's legacy cookie processor and Jetty's RFC 2965 mode
// still split at: "x=1, aws-userInfo=<other>" is a second aws-userInfo there, refused as read two
// ways. Before, only the ';'-separated cookie was judged.
TEST(hidden_fields, an_aws_user_info_cookie_behind_a_comma_is_ambiguous) {
    const std::string other =
        "%7B%22arn%22%3A%22arn%3Aaws%3Asts%3A%3A444455556666%3Aassumed-role%2FAdmin%2Falice%22%7D";
    const std::string own =
        "%7B%22arn%22%3A%22arn%3Aaws%3Asts%3A%3A111122223333%3Aassumed-role%2FAdmin%2Falice%22%7D";
    const std::string header = "noflush=x, aws-userInfo=" + other + "; aws-userInfo=" + own;
    auto v = request("GET", "us-east-1.console.aws.amazon.com", "/console/home");
    v.headers.emplace_back("Cookie", header);
    auto a = ci::inspect(v, {});
    EXPECT_TRUE(std::any_of(a.begin(), a.end(), [](const core::sign_in_attempt& x) {
        return x.flow == core::sign_in_flow::console_session && x.ambiguous_identity;
    }));
    // A comma inside a cookie that forms no aws-userInfo changes nothing.
    const std::string plain = "noflush=a,b; aws-userInfo=" + own;
    v.headers.clear();
    v.headers.emplace_back("Cookie", plain);
    a = ci::inspect(v, {});
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].parse_error, "");
}

// The Identity Center OIDC service's FIPS and dual-stack names (a site that inspects them):
// StartDeviceAuthorization there names the instance as on oidc.<region>.amazonaws.com.
TEST(hidden_fields, device_authorization_on_the_oidc_services_other_names_is_read) {
    for (const char* host : {"oidc.us-east-1.api.aws", "oidc-fips.us-east-1.amazonaws.com",
                             "oidc-fips.us-gov-west-1.api.aws"}) {
        SCOPED_TRACE(host);
        auto a = ci::inspect(request("POST", host, "/device_authorization",
                                     R"({"startUrl":"https://other-co.awsapps.com/start"})"),
                             {});
        ASSERT_EQ(a.size(), 1u);
        EXPECT_EQ(a[0].flow, core::sign_in_flow::identity_center_portal);
        EXPECT_EQ(a[0].idc_instance, "other-co");
    }
}

// A guarded AMS change type in a spelling a lenient reader takes for it (Java's trim() drops a
// trailing VT, .NET's a leading NBSP, NFKC makes a fullwidth letter ASCII), on a call whose
// target names no RFC (so the text search does not cover it): the guarded type. Before, only
// case and ASCII white space were ignored and these passed as no change request.
TEST(hidden_fields, a_guarded_change_type_in_a_lenient_spelling_is_the_guarded_type) {
    ci::options opt;
    for (const char* body : {R"({"ChangeTypeId":"ct-1opjmhuddw194\u000b"})",
                             R"({"ChangeTypeId":"\u00a0ct-1opjmhuddw194"})",
                             R"({"ChangeTypeId":"\uff43t-1opjmhuddw194"})",
                             R"({"ChangeTypeId":"CT-1OPJMHUDDW194"})"}) {
        SCOPED_TRACE(body);
        auto v = request("POST", "amscm.us-east-1.amazonaws.com", "/", body);
        v.headers.emplace_back("X-Amz-Target", "AmsChangeManagement.Submit");
        auto a = ci::inspect(v, opt);
        ASSERT_EQ(a.size(), 1u);
        EXPECT_EQ(a[0].flow, core::sign_in_flow::ams_change);
        EXPECT_EQ(a[0].change_type, "ct-1opjmhuddw194");
    }
}

// Every call to AMS's change management API is read as a change request, whatever its target
// names: a body cut at the cap (the change type may be past it) or one the gateway cannot decode
// is refused there. Before, a target naming no RFC let such a body pass uninspected.
TEST(hidden_fields, an_ams_call_whose_body_cannot_be_read_is_refused_whatever_its_target) {
    auto v = request("POST", "amscm.us-east-1.amazonaws.com", "/", R"({"Title":"x)");
    v.headers.emplace_back("X-Amz-Target", "AmsChangeManagement.SubmitChange");
    v.body_truncated = true;
    auto a = ci::inspect(v, {});
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].flow, core::sign_in_flow::ams_change);
    EXPECT_NE(a[0].parse_error, "");
    auto w = request("POST", "amscm.eu-west-1.amazonaws.com", "/", "\x1f\x8b\x08");
    w.headers.emplace_back("X-Amz-Target", "AmsChangeManagement.SubmitChange");
    w.headers.emplace_back("Content-Encoding", "gzip");
    a = ci::inspect(w, {});
    ASSERT_EQ(a.size(), 1u);
    EXPECT_NE(a[0].parse_error, "");
    // A multipart body, whose parts may be base64 ("Y3QtMW9wam1odWRkdzE5NA==" is the guarded
    // type): its text is not what it encodes.
    auto m =
        request("POST", "amscm.us-east-1.amazonaws.com", "/",
                "--b\r\nContent-Disposition: form-data; name=\"ChangeTypeId\"\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\nY3QtMW9wam1odWRkdzE5NA==\r\n--b--\r\n");
    m.headers.emplace_back("X-Amz-Target", "AmsChangeManagement.CreateRfc");
    m.headers.emplace_back("Content-Type", "multipart/form-data; boundary=b");
    a = ci::inspect(m, {});
    ASSERT_EQ(a.size(), 1u);
    EXPECT_NE(a[0].parse_error, "");
    // A readable call there naming no guarded type is no change request, as before.
    auto x =
        request("POST", "amscm.us-east-1.amazonaws.com", "/", R"({"ChangeTypeId":"ct-other"})");
    x.headers.emplace_back("X-Amz-Target", "AmsChangeManagement.SubmitChange");
    EXPECT_TRUE(ci::inspect(x, {}).empty());
}

// '-' for '_' in a name (Jackson's KEBAB_CASE, Spring's relaxed names): "account-id" is
// account_id, "grant-type" grant_type, wherever the inspector reads those fields. Before, only
// '.' and ' ' were read for '_' (PHP).
TEST(hidden_fields, kebab_case_names_are_read_as_their_snake_case_field) {
    auto a = ci::inspect(request("GET", "signin.aws.amazon.com",
                                 "/switchrole?account=111122223333&roleName=Admin&account-id="
                                 "444455556666"),
                         {});
    EXPECT_TRUE(names_account(a, "444455556666"));
    a = ci::inspect(request("POST", "signin.us-east-1.amazonaws.com", "/v1/token",
                            "grant_type=authorization_code&grant-type=refresh_token"),
                    {});
    EXPECT_TRUE(all_ambiguous(a));
    a = ci::inspect(request("GET", "portal.sso.us-east-1.amazonaws.com",
                            "/federation/credentials?account-id=444455556666&role-name=ReadOnly"),
                    {});
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].parse_error, "");
    EXPECT_TRUE(names_account(a, "444455556666"));
}
