// Every inspected endpoint that reads a body, sent in each shape a body can take: the shapes the
// inspector reads exactly as AWS does give the plain request's attempts, and every other one is
// refused with a reason (fail closed), never judged on what could be read of it (session 12).

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "consolegate/inspect/inspector.hpp"
#include "request_view.hpp"
#include "saml_builder.hpp"

namespace ci = consolegate::inspect;
namespace core = consolegate::core;

namespace {

using consolegate::inspect::testing::request;

const std::string A = "111122223333";
const std::string B = "444455556666";

struct endpoint {
    const char* name;
    const char* host;
    const char* path;
    core::sign_in_flow flow;
    std::string form;   // the request's fields naming A, as a form body
    std::string json;   // the same, as a JSON body
    std::string other;  // the key field naming B instead (query of the two-values case)
};

// `s` inside a JSON string.
std::string quoted(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out;
}

std::vector<endpoint> endpoints() {
    const std::string session_a = R"({"sessionId":"ASIABTX3GSDSSWS4H4AN"})";
    const std::string session_b = R"({"sessionId":"ASIAGO645SY5CWS4H4AN"})";
    using consolegate::test::b64, consolegate::test::saml_response;
    const std::string saml_a = b64(saml_response(
        {"arn:aws:iam::" + A + ":role/Admin,arn:aws:iam::" + A + ":saml-provider/Okta"}, "alice"));
    const std::string saml_b = b64(saml_response(
        {"arn:aws:iam::" + B + ":role/Admin,arn:aws:iam::" + B + ":saml-provider/Okta"}, "alice"));
    auto enc = [](std::string s) {
        std::string out;
        for (char c : s) {
            if (std::isalnum(static_cast<unsigned char>(c))) {
                out += c;
            } else {
                static const char* hex = "0123456789ABCDEF";
                out += '%';
                out += hex[(static_cast<unsigned char>(c) >> 4) & 15];
                out += hex[static_cast<unsigned char>(c) & 15];
            }
        }
        return out;
    };
    return {
        {"switchrole", "signin.aws.amazon.com", "/switchrole", core::sign_in_flow::switch_role,
         "account=" + A + "&roleName=Admin", R"({"account":")" + A + R"(","roleName":"Admin"})",
         "account=" + B},
        {"authenticate", "signin.aws.amazon.com", "/authenticate", core::sign_in_flow::iam_user,
         "account=" + A + "&username=bob", R"({"account":")" + A + R"(","username":"bob"})",
         "account=" + B},
        {"oauth", "signin.aws.amazon.com", "/oauth", core::sign_in_flow::iam_user, "account=" + A,
         R"({"account":")" + A + R"("})", "account=" + B},
        {"root", "signin.aws.amazon.com", "/signin", core::sign_in_flow::root,
         "action=resolveAccountType&email=a%40example.com",
         R"({"action":"resolveAccountType","email":"a@example.com"})", "email=b%40example.com"},
        {"federation", "signin.aws.amazon.com", "/federation", core::sign_in_flow::custom_broker,
         "Action=getSigninToken&Session=" + enc(session_a),
         R"({"Action":"getSigninToken","Session":")" + quoted(session_a) + R"("})",
         "Session=" + enc(session_b)},
        {"portal", "portal.sso.us-east-1.amazonaws.com", "/federation/console",
         core::sign_in_flow::identity_center, "account_id=" + A + "&role_name=Admin",
         R"({"account_id":")" + A + R"(","role_name":"Admin"})", "account_id=" + B},
        {"saml", "signin.aws.amazon.com", "/saml", core::sign_in_flow::saml,
         "SAMLResponse=" + enc(saml_a), R"({"SAMLResponse":")" + saml_a + R"("})",
         "SAMLResponse=" + enc(saml_b)},
        {"token", "signin.us-east-1.amazonaws.com", "/v1/token", core::sign_in_flow::cli_sign_in,
         "grant_type=authorization_code&code=c",
         R"({"tokenInput":{"grantType":"authorization_code","code":"c"}})",
         "grantType=refresh_token"},
    };
}

bool refused(const std::vector<core::sign_in_attempt>& a, core::sign_in_flow flow) {
    return std::any_of(a.begin(), a.end(), [&](const core::sign_in_attempt& x) {
        return x.flow == flow && !x.parse_error.empty();
    });
}

bool clean(const std::vector<core::sign_in_attempt>& a) {
    return !a.empty() && std::all_of(a.begin(), a.end(), [](const core::sign_in_attempt& x) {
        return x.parse_error.empty() && !x.ambiguous_identity;
    });
}

std::string utf16le(const std::string& s) {
    std::string out;
    for (char c : s) out += std::string{c, '\0'};
    return out;
}

struct shape {
    shape(const char* n, std::vector<std::pair<std::string, std::string>> h, bool j = false,
          bool u = false, bool t = false, std::string x = {})
        : name(n), headers(std::move(h)), json(j), as_utf16(u), trailers(t), extra_form(x) {}
    const char* name;
    std::vector<std::pair<std::string, std::string>> headers;
    bool json;  // the JSON body (else the form)
    bool as_utf16;
    bool trailers;           // trailer fields followed the body
    std::string extra_form;  // appended to a form body
};

}  // namespace

// The endpoints' plain requests are readable: the table below compares against them.
TEST(body_encodings, each_endpoints_plain_form_and_json_bodies_are_read) {
    for (const auto& e : endpoints()) {
        auto f = request("POST", e.host, e.path, e.form);
        f.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
        EXPECT_TRUE(clean(ci::inspect(f, {}))) << e.name;
        auto j = request("POST", e.host, e.path, e.json);
        j.headers.emplace_back("Content-Type", "application/json");
        EXPECT_TRUE(clean(ci::inspect(j, {}))) << e.name;
    }
}

// Bodies whose bytes are not the text this inspector reads, or that a server could read as
// another text: each refused on every endpoint. Before session 12 trailer fields after the body
// (which no browser sends, and which a server may read as fields, expose to the handler, or
// drop) and a `_charset_` field naming another encoding were judged on what the body said.
TEST(body_encodings, a_body_the_inspector_cannot_read_as_aws_does_is_refused_on_every_endpoint) {
    const std::string form = "application/x-www-form-urlencoded";
    const std::vector<shape> shapes{
        {"gzip", {{"Content-Type", form}, {"Content-Encoding", "gzip"}}},
        {"x-gzip", {{"Content-Type", form}, {"Content-Encoding", "x-gzip"}}},
        {"deflate", {{"Content-Type", form}, {"Content-Encoding", "deflate"}}},
        {"br", {{"Content-Type", form}, {"Content-Encoding", "br"}}},
        {"gzip, identity", {{"Content-Type", form}, {"Content-Encoding", "gzip, identity"}}},
        {"identity then gzip",
         {{"Content-Type", form}, {"Content-Encoding", "identity"}, {"Content-Encoding", "gzip"}}},
        {"json gzip", {{"Content-Type", "application/json"}, {"Content-Encoding", "gzip"}}, true},
        {"multipart", {{"Content-Type", "multipart/form-data; boundary=b"}}},
        {"utf-16 form", {{"Content-Type", form + "; charset=utf-16"}}, false, true},
        {"utf-16 json", {{"Content-Type", "application/json; charset=utf-16"}}, true, true},
        {"utf-16 without charset", {{"Content-Type", form}}, false, true},
        {"iso-8859-1 form", {{"Content-Type", form + "; charset=iso-8859-1"}}},
        {"iso-8859-1 json", {{"Content-Type", "application/json; charset=ISO-8859-1"}}, true},
        {"json sent as form", {{"Content-Type", form}}, true},
        {"form sent as json", {{"Content-Type", "application/json"}}},
        {"form sent as text", {{"Content-Type", "text/plain"}}},
        {"chunked with trailer fields",
         {{"Content-Type", form}, {"Transfer-Encoding", "chunked"}, {"account", B}},
         false,
         false,
         true},
        {"json with trailer fields",
         {{"Content-Type", "application/json"}, {"Transfer-Encoding", "chunked"}},
         true,
         false,
         true},
        {"_charset_ field", {{"Content-Type", form}}, false, false, false, "&_charset_=utf-16"},
        {"_charset_ field latin-1",
         {{"Content-Type", form}},
         false,
         false,
         false,
         "&_charset_=ISO-8859-1"},
    };
    for (const auto& e : endpoints()) {
        for (const auto& s : shapes) {
            std::string body = s.json ? e.json : e.form + s.extra_form;
            if (s.as_utf16) body = utf16le(body);
            auto v = request("POST", e.host, e.path, body);
            for (const auto& [n, val] : s.headers) v.headers.emplace_back(n, val);
            v.trailers = s.trailers;
            EXPECT_TRUE(refused(ci::inspect(v, {}), e.flow)) << e.name << ": " << s.name;
        }
    }
}

// What the inspector reads as AWS does: an identity coding (no coding at all), a UTF-8 or
// US-ASCII charset, a `_charset_` of UTF-8 (what a browser fills in), an Expect: 100-continue
// post (the proxy answers 100 itself and reads the whole body before judging it), a chunked body
// without trailer fields (de-chunked by the proxy), and a post whose fields are in the query
// with an empty body or none.
TEST(body_encodings, readable_shapes_are_judged_as_the_plain_request) {
    const std::string form = "application/x-www-form-urlencoded";
    const std::vector<shape> shapes{
        {"identity", {{"Content-Type", form}, {"Content-Encoding", "identity"}}},
        {"utf-8", {{"Content-Type", form + "; charset=UTF-8"}}},
        {"us-ascii", {{"Content-Type", form + "; charset=us-ascii"}}},
        {"_charset_ utf-8", {{"Content-Type", form}}, false, false, false, "&_charset_=UTF-8"},
        {"expect", {{"Content-Type", form}, {"Expect", "100-continue"}}},
        {"chunked", {{"Content-Type", form}, {"Transfer-Encoding", "chunked"}}},
    };
    for (const auto& e : endpoints()) {
        auto plain = request("POST", e.host, e.path, e.form);
        plain.headers.emplace_back("Content-Type", form);
        auto expected = ci::inspect(plain, {});
        for (const auto& s : shapes) {
            const std::string body = e.form + s.extra_form;
            auto v = request("POST", e.host, e.path, body);
            for (const auto& [n, val] : s.headers) v.headers.emplace_back(n, val);
            auto got = ci::inspect(v, {});
            EXPECT_TRUE(clean(got)) << e.name << ": " << s.name;
            EXPECT_EQ(got.size(), expected.size()) << e.name << ": " << s.name;
        }
        std::string target = std::string(e.path) + "?" + e.form;
        for (const char* body : std::initializer_list<const char*>{"", nullptr}) {
            auto v = request("POST", e.host, target, body ? body : std::string_view{});
            if (body) v.headers.emplace_back("Content-Type", form);
            auto got = ci::inspect(v, {});
            EXPECT_TRUE(clean(got)) << e.name << ": query, body " << (body ? "empty" : "none");
            EXPECT_EQ(got.size(), expected.size()) << e.name;
        }
    }
}

// The same field in the query and in the body with two values: AWS reads one of them (a
// servlet's getParameter takes the query's first, other readers the body's or the last), which
// one is not documented, so the request is ambiguous-identity, whichever value is where.
TEST(body_encodings, one_field_with_two_values_in_query_and_body_is_ambiguous) {
    for (const auto& e : endpoints()) {
        const std::string target = std::string(e.path) + "?" + e.other;
        auto v = request("POST", e.host, target, e.form);
        v.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
        auto a = ci::inspect(v, {});
        EXPECT_TRUE(std::any_of(a.begin(), a.end(), [](const core::sign_in_attempt& x) {
            return x.ambiguous_identity && !x.parse_error.empty();
        })) << e.name;
        auto j = request("POST", e.host, target, e.json);
        j.headers.emplace_back("Content-Type", "application/json");
        a = ci::inspect(j, {});
        EXPECT_TRUE(refused(a, e.flow)) << e.name << " (JSON body)";
    }
}
