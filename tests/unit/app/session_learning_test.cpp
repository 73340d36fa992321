// Learning identities from AWS's answers: Set-Cookie parsing, aws-userInfo as AWS set it, the
// lineage of later responses, and hosts that may not bind.
#include "session_learning.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace consolegate::app {
namespace {

using state = session_table::binding_state;

// aws-userInfo as the console sets it: encodeURIComponent of its JSON.
const std::string user_info_1 =
    "%7B%22arn%22%3A%22arn%3Aaws%3Asts%3A%3A111111111111%3Aassumed-role%2FAdmin%2Falice%22%2C%22"
    "alias%22%3A%22one%22%7D";
const std::string user_info_2 =
    "%7B%22arn%22%3A%22arn%3Aaws%3Asts%3A%3A222222222222%3Aassumed-role%2FAdmin%2Falice%22%7D";
const std::string creds_a = "aws-creds=AAAAAAAAAAAAAAAAAAAAAAAAAAAA";
const std::string creds_b = "aws-creds=BBBBBBBBBBBBBBBBBBBBBBBBBBBB";
const std::string creds_c = "aws-creds=CCCCCCCCCCCCCCCCCCCCCCCCCC";

struct fixture {
    session_table table{{}, session_table::key_type{7}};
    session_learner learner{table};
    std::chrono::system_clock::time_point now =
        std::chrono::system_clock::time_point{} + std::chrono::hours(24 * 365 * 50);

    std::size_t answer(std::string_view host, std::vector<std::string> cookie_headers,
                       std::vector<std::string> set_cookies,
                       std::string_view target = "/oauth?code=x") {
        core::http_request_view req;
        req.host = host;
        req.target = target;
        req.time = now;
        for (const auto& c : cookie_headers) req.headers.emplace_back("Cookie", c);
        proxy::response_view resp;
        resp.status = 302;
        for (const auto& s : set_cookies) resp.headers.emplace_back("Set-Cookie", s);
        return learner.learn(req, resp);
    }
    session_table::lookup_result ask(const std::string& cookie_header) {
        core::http_request_view req;
        req.headers.emplace_back("cookie", cookie_header);
        return table.lookup(request_cookies(req), now);
    }
};

TEST(session_learning, aws_user_info_as_aws_set_it_binds_every_cookie_of_the_response) {
    fixture f;
    EXPECT_EQ(f.answer("signin.aws.amazon.com", {},
                       {"aws-userInfo=" + user_info_1 + "; Domain=.amazon.com; Secure",
                        creds_a + "; Path=/; Secure; HttpOnly"}),
              1u);  // aws-userInfo names the identity but is never a key (session_table.hpp)
    auto r = f.ask("noflush_locale=en; " + creds_a);
    ASSERT_EQ(r.state, state::bound);
    // Its value is the same for every session of the principal and anyone can write it: alone
    // it binds no request.
    EXPECT_EQ(f.ask("aws-userInfo=" + user_info_1).state, state::unbound);
    EXPECT_EQ(r.identity.account->str(), "111111111111");
    EXPECT_EQ(r.identity.principal_arn, "arn:aws:sts::111111111111:assumed-role/Admin/alice");
    EXPECT_EQ(r.identity.role_name, "Admin");
    EXPECT_EQ(r.identity.aws_user, "alice");
    EXPECT_EQ(r.identity.learned_by, binding_source::user_info_set_cookie);
    EXPECT_EQ(r.identity.learned_on, "signin.aws.amazon.com/oauth");
}

TEST(session_learning, a_refresh_on_a_bound_request_inherits_and_a_switch_role_rebinds) {
    fixture f;
    f.answer("signin.aws.amazon.com", {}, {"aws-userInfo=" + user_info_1, creds_a});
    EXPECT_EQ(f.answer("us-east-1.console.aws.amazon.com", {creds_a}, {creds_b + "; Secure"}), 1u);
    auto r = f.ask(creds_b);
    ASSERT_EQ(r.state, state::bound);
    EXPECT_EQ(r.identity.account->str(), "111111111111");
    EXPECT_EQ(r.identity.learned_by, binding_source::lineage);
    f.answer("signin.aws.amazon.com", {creds_b}, {"aws-userInfo=" + user_info_2, creds_c});
    EXPECT_EQ(f.ask(creds_c).identity.account->str(), "222222222222");
}

// A sign-in from a browser that still holds another session's cookies (docs/inspection.md
// "Session binding", lineage rule 3): AWS's answer opens the new session, whose account the
// request may not name (root, a SigninToken, a SAML post's assertion). When that answer sets the
// session's cookies without aws-userInfo they must stay unbound, never take the old session's
// identity: else a sign-in to a forbidden account is judged as the allowed one it followed.
TEST(session_learning, a_sign_in_answer_naming_nobody_inherits_nothing) {
    struct sign_in {
        const char* name;
        std::string host, method, target, body;
    };
    const std::string saml = "PHNhbWxwOlJlc3BvbnNlLz4=";  // any SAMLResponse: the post is a sign-in
    const std::vector<sign_in> sign_ins = {
        {"root", "signin.aws.amazon.com", "POST", "/signin",
         "action=authenticateRoot&email=root%40example.com&password=x"},
        {"federation login", "signin.aws.amazon.com", "GET",
         "/federation?Action=login&SigninToken=opaque-token-0123456789", ""},
        {"saml post", "us-east-1.signin.aws.amazon.com", "POST", "/saml", "SAMLResponse=" + saml},
        {"iam user", "signin.aws.amazon.com", "POST", "/authenticate",
         "account=222222222222&username=bob&password=x"},
        {"switch role", "signin.aws.amazon.com", "GET",
         "/switchrole?account=222222222222&roleName=Admin", ""},
        {"iam user host", "222222222222.signin.aws.amazon.com", "GET", "/console", ""},
    };
    for (const auto& s : sign_ins) {
        SCOPED_TRACE(s.name);
        fixture f;
        f.answer("signin.aws.amazon.com", {}, {"aws-userInfo=" + user_info_1, creds_a});
        ASSERT_EQ(f.ask(creds_a).state, state::bound);
        core::http_request_view req;
        req.method = s.method;
        req.host = s.host;
        req.target = s.target;
        req.time = f.now;
        // The old session's cookies, as the browser still sends them.
        const std::string jar = "aws-userInfo=" + user_info_1 + "; " + creds_a;
        req.headers.emplace_back("Cookie", jar);
        if (!s.body.empty()) {
            req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
            req.body = s.body;
        }
        proxy::response_view resp;  // views: the strings outlive it
        resp.status = 302;
        const std::string new_creds = creds_b + "; Domain=.aws.amazon.com; Secure";
        resp.headers.emplace_back("Set-Cookie", new_creds);
        EXPECT_EQ(f.learner.learn(req, resp), 1u);  // kept as pending: bound to nobody
        EXPECT_EQ(f.ask(creds_b).state, state::unbound);
        EXPECT_TRUE(f.ask(creds_b).continues_sign_in);
        // The jar the browser now sends: the old aws-userInfo (the answer set none) with the new
        // session's aws-creds. Nothing in it is bound.
        EXPECT_EQ(f.ask("aws-userInfo=" + user_info_1 + "; " + creds_b).state, state::unbound);
        // The old session is untouched.
        EXPECT_EQ(f.ask(creds_a).state, state::bound);
        // When AWS's answer to the sign-in names the identity, that identity binds.
        const std::string named_info = "aws-userInfo=" + user_info_2;
        proxy::response_view named;
        named.status = 302;
        named.headers.emplace_back("Set-Cookie", named_info);
        named.headers.emplace_back("Set-Cookie", creds_c);
        EXPECT_EQ(f.learner.learn(req, named), 1u);
        EXPECT_EQ(f.ask(creds_c).identity.account->str(), "222222222222");
    }
}

// A later step of a sign-in (docs/inspection.md "Session binding", rule 4): a redirect hop, an
// MFA step, the console's /oauth callback carry no sign-in parameter themselves, and the browser
// still sends the old session's cookies with them. Once a sign-in was let through with those
// cookies (the hook's session_table::sign_in_started), or a step presents a cookie an earlier
// step of it set, what AWS sets on the answer belongs to the new session: pending, never the old
// session's identity. Each case is one shape of the flow; each fails when a later step
// inherits.
TEST(session_learning, a_later_step_of_a_sign_in_never_inherits_the_old_binding) {
    struct step {
        std::string host, target;
        std::vector<std::string> cookies;  // Cookie headers, besides the old session's
        std::vector<std::string> set;      // what AWS's answer sets
    };
    struct flow {
        const char* name;
        bool answer_sets_cookie;      // the sign-in's own answer sets a (pending) cookie
        bool old_cookies_on_sign_in;  // the sign-in request carries the old session's cookies
        std::vector<step> later;
    };
    const std::string pre = "aws-signin-state=PPPPPPPPPPPPPPPPPPPPPPPP";
    const std::string mid = "JSESSIONID=MMMMMMMMMMMMMMMMMMMMMMMM";
    const std::vector<flow> flows = {
        // Sign-in answered by a bare redirect; the console's /oauth callback sets the session.
        {"oauth callback",
         false,
         true,
         {{"console.aws.amazon.com", "/oauth?code=abc&state=x", {}, {creds_b}}}},
        // The sign-in's answer sets a cookie the next step presents; the old cookies are host-only
        // on the console and never reached the sign-in request.
        {"redirect hop via a pending cookie",
         true,
         false,
         {{"console.aws.amazon.com", "/oauth?code=abc", {pre}, {creds_b}}}},
        // Two later steps: an MFA page setting a cookie, then the callback presenting it.
        {"mfa then callback",
         false,
         true,
         {{"signin.aws.amazon.com", "/mfa", {}, {mid}},
          {"console.aws.amazon.com", "/oauth?code=abc", {mid}, {creds_b}}}},
    };
    for (const auto& fl : flows) {
        SCOPED_TRACE(fl.name);
        fixture f;
        f.answer("signin.aws.amazon.com", {}, {"aws-userInfo=" + user_info_1, creds_a});
        ASSERT_EQ(f.ask(creds_a).state, state::bound);
        const std::string old_jar = "aws-userInfo=" + user_info_1 + "; " + creds_a;
        // The sign-in (a SigninToken: the request names no account), let through by the hook.
        core::http_request_view sign_in;
        sign_in.method = "GET";
        sign_in.host = "signin.aws.amazon.com";
        sign_in.target = "/federation?Action=login&SigninToken=opaque-token-0123456789";
        sign_in.time = f.now;
        if (fl.old_cookies_on_sign_in) sign_in.headers.emplace_back("Cookie", old_jar);
        EXPECT_EQ(f.table.sign_in_started(request_cookies(sign_in), f.now),
                  fl.old_cookies_on_sign_in ? 1u : 0u);
        proxy::response_view answer;
        answer.status = 302;
        if (fl.answer_sets_cookie) answer.headers.emplace_back("Set-Cookie", pre);
        f.learner.learn(sign_in, answer);
        // The old session itself is still what AWS said it was.
        EXPECT_EQ(f.ask(creds_a).state, state::bound);
        for (const auto& st : fl.later) {
            auto cookies = st.cookies;
            cookies.push_back(old_jar);  // the console host sends them on every later step
            f.answer(st.host, cookies, st.set, st.target);
        }
        // The new session's cookies, alone or beside the old session's: never the old identity.
        for (const auto& jar : {creds_b, "aws-userInfo=" + user_info_1 + "; " + creds_b}) {
            auto r = f.ask(jar);
            EXPECT_EQ(r.state, state::unbound) << jar;
            EXPECT_TRUE(r.continues_sign_in) << jar;
        }
        // A step after them still continues the sign-in, and AWS naming it binds what it sets.
        f.answer("console.aws.amazon.com", {creds_b}, {"aws-userInfo=" + user_info_2, creds_c});
        EXPECT_EQ(f.ask(creds_c).identity.account->str(), "222222222222");
        // The pending cookie is not promoted by that answer: only what AWS set on it binds.
        EXPECT_EQ(f.ask(creds_b).state, state::unbound);
    }
}

// A refresh of a session no sign-in was started with still inherits (the lineage rule), and
// marking a sign-in touches only the cookies it presents.
TEST(session_learning, a_sign_in_marks_only_the_session_it_was_started_from) {
    fixture f;
    f.answer("signin.aws.amazon.com", {}, {"aws-userInfo=" + user_info_1, creds_a});
    const std::string creds_d = "aws-creds=DDDDDDDDDDDDDDDDDDDDDDDDDDDD";
    f.answer("signin.aws.amazon.com", {}, {"aws-userInfo=" + user_info_2, creds_d});
    core::http_request_view sign_in;
    sign_in.headers.emplace_back("Cookie", creds_a);
    EXPECT_EQ(f.table.sign_in_started(request_cookies(sign_in), f.now), 1u);
    EXPECT_EQ(f.table.sign_in_started(request_cookies(sign_in), f.now), 0u);  // once
    // The other browser's session refreshes as before.
    EXPECT_EQ(f.answer("console.aws.amazon.com", {creds_d}, {creds_b}), 1u);
    EXPECT_EQ(f.ask(creds_b).identity.account->str(), "222222222222");
    EXPECT_EQ(f.ask(creds_b).identity.learned_by, binding_source::lineage);
    // The marked one does not: what its answer sets waits for AWS to name it.
    EXPECT_EQ(f.answer("console.aws.amazon.com", {creds_a}, {creds_c}), 1u);
    EXPECT_EQ(f.ask(creds_c).state, state::unbound);
    // AWS setting the marked cookie again, even naming it, does not end the sign-in.
    f.answer("console.aws.amazon.com", {}, {"aws-userInfo=" + user_info_1, creds_a});
    EXPECT_EQ(f.ask(creds_a).state, state::bound);
    EXPECT_TRUE(f.ask(creds_a).continues_sign_in);
}

TEST(session_learning, teaches_nothing_it_cannot_trust) {
    fixture f;
    // Not an AWS host, even one that ends like one.
    EXPECT_EQ(f.answer("evil-aws.amazon.com.example", {}, {"aws-userInfo=" + user_info_1, creds_a}),
              0u);
    EXPECT_EQ(f.answer("notaws.amazon.com", {}, {"aws-userInfo=" + user_info_1, creds_a}), 0u);
    // An unreadable aws-userInfo, or two principals on one response.
    EXPECT_EQ(f.answer("signin.aws.amazon.com", {}, {"aws-userInfo=%7Bnot-json", creds_a}), 0u);
    EXPECT_EQ(f.answer("signin.aws.amazon.com", {},
                       {"aws-userInfo=" + user_info_1, "aws-userInfo=" + user_info_2, creds_a}),
              0u);
    // Nothing named, nothing inherited.
    EXPECT_EQ(f.answer("signin.aws.amazon.com", {}, {creds_a}), 0u);
    EXPECT_EQ(f.ask(creds_a).state, state::unbound);
    EXPECT_EQ(f.table.size(), 0u);
}

TEST(session_learning, a_removal_binds_nothing) {
    fixture f;
    EXPECT_EQ(f.answer("signin.aws.amazon.com", {},
                       {"aws-userInfo=" + user_info_1,
                        creds_a + "; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
                        "JSESSIONID=ZZZZZZZZZZZZZZZZZZZZZZZZ; Max-Age=0"}),
              0u);  // aws-userInfo names the identity but is never a key
    EXPECT_EQ(f.ask(creds_a).state, state::unbound);
}

struct set_cookie_case {
    std::string header, name, value;
    bool removal;
    bool parses = true;
};

TEST(session_learning, parses_set_cookie_as_rfc_6265_writes_it) {
    const std::vector<set_cookie_case> cases = {
        {"a=b", "a", "b", false},
        {" a = b ; Path=/; Secure", "a", "b", false},
        {"a=; Path=/", "a", "", true},
        {"a=\"\"", "a", "\"\"", true},
        {"a=b; Max-Age=0", "a", "b", true},
        {"a=b; max-age=-1", "a", "b", true},
        {"a=b; Max-Age=3600", "a", "b", false},
        {"a=b; Expires=Thu, 01 Jan 1970 00:00:01 GMT", "a", "b", true},
        {"a=b=c; HttpOnly", "a", "b=c", false},
        {"novalue", "", "", false, false},
        {"=b", "", "", false, false},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.header);
        auto p = parse_set_cookie(c.header);
        ASSERT_EQ(p.has_value(), c.parses);
        if (!p) continue;
        EXPECT_EQ(p->name, c.name);
        EXPECT_EQ(p->value, c.value);
        EXPECT_EQ(p->removal, c.removal);
    }
}

TEST(session_learning, aws_hosts_are_aws_amazon_com_and_amazonaws_com) {
    for (std::string_view h :
         {"signin.aws.amazon.com", "SIGNIN.AWS.AMAZON.COM.", "us-east-1.console.aws.amazon.com:443",
          "aws.amazon.com", "portal.sso.eu-west-1.amazonaws.com"}) {
        EXPECT_TRUE(is_aws_host(h)) << h;
    }
    for (std::string_view h :
         {"amazon.com", "xaws.amazon.com", "aws.amazon.com.evil.example", "example.com", ""}) {
        EXPECT_FALSE(is_aws_host(h)) << h;
    }
}

// AWS GovCloud (US) and China sign in on names of their own (issue 19): their answers bind
// sessions as the commercial ones do.
TEST(session_learning, the_other_partitions_names_are_aws_hosts_too) {
    for (std::string_view h :
         {"signin.amazonaws-us-gov.com", "us-gov-west-1.console.amazonaws-us-gov.com",
          "signin.amazonaws.cn", "cn-north-1.console.amazonaws.cn",
          "portal.sso.cn-north-1.amazonaws.com.cn",
          // The European Sovereign Cloud's and an ISO partition's console (session 11).
          "eusc-de-east-1.console.amazonaws-eusc.eu", "console.c2shome.ic.gov"}) {
        EXPECT_TRUE(is_aws_host(h)) << h;
    }
    for (std::string_view h :
         {"amazonaws.cn.evil.example", "xamazonaws-us-gov.com", "amazonaws-eusc.eu.example"}) {
        EXPECT_FALSE(is_aws_host(h)) << h;
    }
}

}  // namespace
}  // namespace consolegate::app
