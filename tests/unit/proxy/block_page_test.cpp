#include "block_page.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "consolegate/core/time.hpp"

namespace consolegate::proxy {
namespace {

// [proxy.block_page] with its contact emptied, so each test sets what it shows.
core::block_page_config no_contact() {
    core::block_page_config o;
    o.contact.clear();
    return o;
}

verdict denied() {
    verdict v;
    v.basis = verdict_basis::policy;
    v.account = core::account_id::parse("111122223333");
    v.role_name = "AdminAccess";
    v.flow = core::sign_in_flow::identity_center;
    v.why = core::reason::elevation_missing;
    v.rule = "deny-foreign";
    v.event_id = "evt-42";
    return v;
}

TEST(block_page, a_verdict_nobody_set_is_a_deny_with_its_own_reason) {
    verdict v;
    EXPECT_FALSE(v.allows());
    EXPECT_EQ(reason_code(v), "no-verdict");
    auto r = render_block_page(v, false, "signin.aws.amazon.com", no_contact());
    EXPECT_EQ(r.status, 403u);
    auto j = boost::json::parse(r.body).as_object();
    EXPECT_EQ(j.at("reason_code").as_string(), "no-verdict");
    EXPECT_TRUE(j.at("blocked").as_bool());
}

TEST(block_page, reasons_come_from_the_typed_verdict) {
    auto v = denied();
    EXPECT_EQ(reason_code(v), "elevation-missing");
    EXPECT_EQ(reason_text(v), core::describe(core::reason::elevation_missing));
    auto j = boost::json::parse(render_block_page(v, false, "h", no_contact()).body).as_object();
    EXPECT_EQ(j.at("reason_code").as_string(), "elevation-missing");
    EXPECT_EQ(j.at("flow").as_string(), "identity-center");
    EXPECT_EQ(j.at("role").as_string(), "AdminAccess");
    v.basis = verdict_basis::inspector_error;
    EXPECT_EQ(reason_code(v), "inspector_error");  // as docs/proxy.md names it
    v = denied();
    v.account.reset();
    v.alias = "acme-prod";
    v.role_name.clear();
    v.permission_set = "ReadOnly";
    j = boost::json::parse(render_block_page(v, false, "h", no_contact()).body).as_object();
    EXPECT_EQ(j.at("account").as_string(), "acme-prod");
    EXPECT_EQ(j.at("role").as_string(), "ReadOnly");
}

TEST(block_page, an_expired_elevation_says_which_request_ended_and_when) {
    auto v = denied();
    v.why = core::reason::elevation_expired;
    v.elevation_id = "REQ-7";
    v.elevation_ticket = "CHG42";
    v.elevation_end = core::parse_rfc3339("2026-12-04T11:00:00Z");
    auto j = boost::json::parse(render_block_page(v, false, "h", no_contact()).body).as_object();
    EXPECT_EQ(j.at("reason_code").as_string(), "elevation-expired");
    EXPECT_EQ(j.at("elevation_request").as_string(), "REQ-7");
    EXPECT_EQ(j.at("elevation").as_string(),
              "your elevation REQ-7 (ticket CHG42) ended at 2026-12-04T11:00:00.000Z");
    auto html = render_block_page(v, true, "h", no_contact()).body;
    EXPECT_NE(html.find("your elevation REQ-7 (ticket CHG42) ended at"), std::string::npos);
    // Never for a denial that is not about this user's own ended elevation.
    v.why = core::reason::elevation_missing;
    EXPECT_EQ(render_block_page(v, true, "h", no_contact()).body.find("your elevation"),
              std::string::npos);
}

TEST(block_page, navigation_detection) {
    EXPECT_TRUE(is_navigation("navigate", ""));
    EXPECT_FALSE(is_navigation("cors", "text/html"));  // Fetch Metadata wins when present
    EXPECT_TRUE(is_navigation("", "text/html,application/xhtml+xml"));
    EXPECT_FALSE(is_navigation("", "application/json"));
    EXPECT_FALSE(is_navigation("", ""));
}

TEST(block_page, html_escapes_and_explains) {
    auto o = no_contact();
    o.team_url = "https://team.example.com/requests";
    // The alias is the request's own text: a hostile one must be escaped.
    auto v = denied();
    v.account.reset();
    v.alias = "<111122223333>";
    auto r = render_block_page(v, true, "signin.aws.amazon.com", o);
    EXPECT_EQ(r.status, 403u);
    EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
    EXPECT_NE(r.body.find("&lt;111122223333&gt;"), std::string::npos);
    EXPECT_EQ(r.body.find("<111122223333>"), std::string::npos);
    EXPECT_NE(r.body.find("evt-42"), std::string::npos);
    EXPECT_NE(r.body.find("AdminAccess"), std::string::npos);
    EXPECT_NE(r.body.find("href=\"https://team.example.com/requests\""), std::string::npos);
    EXPECT_NE(r.body.find("<html lang=\"en\">"), std::string::npos);
    EXPECT_TRUE(r.set_cookies.empty());
}

// The person on the corporate network (docs/identity.md), escaped; said only when known.
TEST(block_page, says_who_is_signed_in_to_the_network_when_known) {
    auto html = render_block_page(denied(), true, "h", no_contact(), "alice<x>@CORP.EXAMPLE").body;
    EXPECT_NE(html.find("You are signed in to the network as <strong>alice&lt;x&gt;@CORP.EXAMPLE"
                        "</strong>."),
              std::string::npos)
        << html;
    EXPECT_EQ(html.find("<x>"), std::string::npos);
    EXPECT_EQ(render_block_page(denied(), true, "h", no_contact()).body.find("signed in to the"),
              std::string::npos);
    auto json = boost::json::parse(
                    render_block_page(denied(), false, "h", no_contact(), "CORP\\bob\"").body)
                    .as_object();
    EXPECT_EQ(json.at("corp_user").as_string(), "CORP\\bob\"");
    auto none =
        boost::json::parse(render_block_page(denied(), false, "h", no_contact()).body).as_object();
    EXPECT_FALSE(none.contains("corp_user"));
}

TEST(block_page, team_link_only_where_an_elevation_can_lift_the_denial) {
    auto o = no_contact();
    o.team_url = "https://team.example.com/requests";
    o.contact = "secops@example.com";
    auto v = denied();
    v.why = core::reason::rule_deny;
    auto html = render_block_page(v, true, "h", o);
    EXPECT_EQ(html.body.find("team.example.com"), std::string::npos);
    EXPECT_NE(html.body.find("secops@example.com"), std::string::npos);
    auto json = render_block_page(v, false, "h", o);
    EXPECT_EQ(json.body.find("team_url"), std::string::npos);
    v.why = core::reason::elevation_missing;
    EXPECT_NE(render_block_page(v, true, "h", o).body.find("href=\"https://team.example.com/"),
              std::string::npos);
}

TEST(block_page, javascript_url_is_never_a_link) {
    auto o = no_contact();
    o.team_url = "javascript:alert(1)";
    auto r = render_block_page(denied(), true, "h", o);
    EXPECT_EQ(r.body.find("javascript:"), std::string::npos);
    EXPECT_NE(r.body.find("Contact your cloud security team"), std::string::npos);
}

TEST(block_page, json_for_fetch_is_valid_json) {
    auto o = no_contact();
    o.contact = "Ask #cloud-security \"now\"";
    auto r = render_block_page(denied(), false, "console.aws.amazon.com", o);
    EXPECT_EQ(r.content_type, "application/json");
    auto j = boost::json::parse(r.body).as_object();
    EXPECT_EQ(j.at("account").as_string(), "111122223333");
    EXPECT_EQ(j.at("event_id").as_string(), "evt-42");
    EXPECT_EQ(j.at("contact").as_string(), "Ask #cloud-security \"now\"");
    EXPECT_TRUE(j.at("blocked").as_bool());
}

TEST(block_page, expires_console_cookies_in_both_scopes) {
    auto v = denied();
    v.expire_console_cookies = true;
    auto r = render_block_page(v, true, "console.aws.amazon.com", no_contact());
    ASSERT_EQ(r.set_cookies.size(), 6u);
    for (const char* name : {"aws-userInfo=", "aws-userInfo-signed=", "aws-creds="}) {
        int with_domain = 0, host_only = 0;
        for (const auto& c : r.set_cookies) {
            if (!c.starts_with(name)) continue;
            EXPECT_NE(c.find("Max-Age=0"), std::string::npos);
            EXPECT_NE(c.find("Path=/"), std::string::npos);
            (c.find("Domain=.amazon.com") != std::string::npos ? with_domain : host_only)++;
        }
        EXPECT_EQ(with_domain, 1) << name;
        EXPECT_EQ(host_only, 1) << name;
    }
}

TEST(block_page, upstream_error_page) {
    auto r = render_upstream_error("signin.aws.amazon.com", "certificate <expired>", true);
    EXPECT_EQ(r.status, 502u);
    EXPECT_NE(r.body.find("&lt;expired&gt;"), std::string::npos);
    auto j = render_upstream_error("h", "bad \"cert\"\n", false);
    EXPECT_EQ(boost::json::parse(j.body).as_object().at("reason").as_string(), "bad \"cert\"\n");
}

}  // namespace
}  // namespace consolegate::proxy
