#include "consolegate/audit/review_page.hpp"

#include <gtest/gtest.h>

namespace au = consolegate::audit;

TEST(review_page, escapes_every_user_supplied_field) {
    au::event e;
    e.id = "ev1";
    e.time = "2026-11-23T04:00:00.000Z";
    e.effect = "deny";
    e.user = "<script>alert(1)</script>";
    e.alias = "\"onmouseover=x";
    e.account = "111122223333";
    au::query q;
    q.user = "\"><img src=x>";
    auto html = au::render_review_page({e}, q, "gw<1>");
    EXPECT_EQ(html.find("<script>"), std::string::npos);
    EXPECT_EQ(html.find("<img"), std::string::npos);
    EXPECT_EQ(html.find("\"onmouseover"), std::string::npos);
    EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
    EXPECT_NE(html.find("gw&lt;1&gt;"), std::string::npos);
    EXPECT_NE(html.find("111122223333"), std::string::npos);
    EXPECT_NE(html.find("1 attempt."), std::string::npos);
}

TEST(review_page, keeps_the_selected_filter) {
    au::query q;
    q.decision = "deny";
    auto html = au::render_review_page({}, q, "gw");
    EXPECT_NE(html.find("<option value=\"deny\" selected>"), std::string::npos);
    EXPECT_NE(html.find("0 attempts."), std::string::npos);
}

namespace {
namespace cc = consolegate::core;

au::review_data sample_data() {
    au::review_data d;
    d.node_name = "gw";
    d.request.range = "7d";
    d.request.q.account = "x\"><b>";
    d.request.page = 1;
    d.total = 250;
    au::event e;
    e.id = "ev-ro";
    e.time = "2026-11-23T04:00:00.000Z";
    e.effect = "deny";
    e.enforced = "allow";
    e.report_only = true;
    d.events.push_back(e);
    auto t0 = *cc::parse_rfc3339("2026-11-22T00:00:00Z");
    d.bucket_size = std::chrono::hours(1);
    d.chart = {{t0, 3, 1, 5},
               {t0 + std::chrono::hours(1), 0, 0, 2},
               {t0 + std::chrono::hours(2), 1, 0, 0}};
    d.top_accounts = {{"222222222222", 4}};
    return d;
}

}  // namespace

TEST(review_page, chart_bars_report_only_rows_and_pagination) {
    auto html = au::render_review_page(sample_data());
    // Bars only where something was denied: bucket 0 (blocked and report-only), bucket 2.
    auto count = [&](std::string_view needle) {
        std::size_t n = 0;
        for (auto p = html.find(needle); p != std::string::npos; p = html.find(needle, p + 1)) ++n;
        return n;
    };
    EXPECT_EQ(count("<rect class=\"blocked\""), 2u);
    EXPECT_EQ(count("<rect class=\"report-only\""), 1u);
    EXPECT_NE(html.find("2026-11-22T00:00:00.000Z: 3 blocked, 1 report-only"), std::string::npos);
    EXPECT_NE(html.find("<tr class=\"deny report-only\">"), std::string::npos);
    EXPECT_NE(html.find("<span class=\"badge\">report-only</span>"), std::string::npos);
    EXPECT_NE(html.find("Page 2 of 3."), std::string::npos);
    // Links keep the filters, percent-encoded, then HTML-escaped.
    EXPECT_NE(html.find("href=\"/review?range=7d&amp;account=x%22%3E%3Cb%3E&amp;page=0\""),
              std::string::npos);
    EXPECT_NE(html.find("page=2\""), std::string::npos);
    EXPECT_EQ(html.find("<b>"), std::string::npos);
    EXPECT_NE(html.find("href=\"/review/event/ev-ro\""), std::string::npos);
    EXPECT_NE(html.find("222222222222"), std::string::npos);
    EXPECT_EQ(html.find("<script"), std::string::npos);  // works with JavaScript off
}

TEST(review_page, event_page_shows_every_field_escaped) {
    au::event e;
    e.id = "ev1";
    e.principal_arn = "arn:aws:iam::111122223333:role/<x>";
    e.ou_path = "o-aaaaaaaaaa/r-abcd/";
    e.report_only = true;
    auto html = au::render_event_page(e, "gw");
    EXPECT_NE(html.find("arn:aws:iam::111122223333:role/&lt;x&gt;"), std::string::npos);
    EXPECT_NE(html.find("o-aaaaaaaaaa/r-abcd/"), std::string::npos);
    EXPECT_NE(html.find("report-only"), std::string::npos);
}

// An event that stands for counted repeats says how many, in the table and on its page.
TEST(review_page, counted_repeats_show_their_count) {
    au::event e;
    e.id = "ev1";
    e.time = "2026-11-23T04:00:00.000Z";
    e.effect = "allow";
    e.count = 37;
    e.time_last = "2026-11-23T04:00:09.500Z";
    auto table = au::render_review_page({e}, {}, "gw");
    EXPECT_NE(table.find("&times;37</td>"), std::string::npos) << table;
    auto page = au::render_event_page(e, "gw");
    EXPECT_NE(page.find("37 identical requests on one connection, the last at "
                        "2026-11-23T04:00:09.500Z"),
              std::string::npos)
        << page;
    e.count = 1;
    EXPECT_EQ(au::render_review_page({e}, {}, "gw").find("&times;"), std::string::npos);
    EXPECT_EQ(au::render_event_page(e, "gw").find("identical requests"), std::string::npos);
}

// A console request judged also as the flows of the sign-in that opened its session shows them,
// in the table and on its page, as `logs` does: the rule that decided may name only those.
TEST(review_page, the_flows_a_session_attempt_was_judged_also_as_are_shown) {
    au::event e;
    e.id = "ev1";
    e.effect = "allow";
    e.flow = "console-session";
    e.also_flows = "identity-center,custom-broker";
    EXPECT_NE(au::render_review_page({e}, {}, "gw")
                  .find("<td>console-session+identity-center,custom-broker</td>"),
              std::string::npos);
    auto page = au::render_event_page(e, "gw");
    EXPECT_NE(page.find("identity-center,custom-broker"), std::string::npos) << page;
    e.also_flows.clear();
    EXPECT_NE(au::render_review_page({e}, {}, "gw").find("<td>console-session</td>"),
              std::string::npos);
    EXPECT_EQ(au::render_event_page(e, "gw").find("Also judged as"), std::string::npos);
}

// Alternatives (the session's sign-in was one of those flows, which one the gateway could not
// tell) are shown apart from "each of them", in the table and on the event page.
TEST(review_page, alternatives_among_a_session_attempts_flows_are_shown_apart) {
    au::event e;
    e.id = "ev1";
    e.effect = "deny";
    e.flow = "console-session";
    e.also_flows = "saml,iam-user";
    e.also_flows_either = true;
    EXPECT_NE(au::render_review_page({e}, {}, "gw").find("<td>console-session+saml|iam-user</td>"),
              std::string::npos);
    auto page = au::render_event_page(e, "gw");
    EXPECT_NE(page.find("Also judged as one of"), std::string::npos) << page;
    EXPECT_NE(page.find("saml|iam-user"), std::string::npos) << page;
    e.also_flows_either = false;
    EXPECT_NE(au::render_review_page({e}, {}, "gw").find("<td>console-session+saml,iam-user</td>"),
              std::string::npos);
    page = au::render_event_page(e, "gw");
    EXPECT_EQ(page.find("one of"), std::string::npos) << page;
    EXPECT_NE(page.find("saml,iam-user"), std::string::npos) << page;
}

// A session (or portal token) presented by another person than its opener: the event page names
// both, as `logs` and the record do, escaped; an attempt without an opener shows no such row.
TEST(review_page, the_person_who_opened_the_session_is_shown_beside_the_presenter) {
    au::event e;
    e.id = "ev1";
    e.effect = "deny";
    e.reason = "session-user-mismatch";
    e.flow = "console-session";
    e.corp_user = "bob@CORP.EXAMPLE";
    e.session_corp_user = "alice<b>@CORP.EXAMPLE";
    auto page = au::render_event_page(e, "gw");
    EXPECT_NE(page.find("<th scope=\"row\">Session opened by (corporate user)</th>"
                        "<td>alice&lt;b&gt;@CORP.EXAMPLE</td>"),
              std::string::npos)
        << page;
    EXPECT_NE(page.find("<td>bob@CORP.EXAMPLE</td>"), std::string::npos) << page;
    EXPECT_EQ(page.find("alice<b>"), std::string::npos) << page;
    e.session_corp_user.clear();
    EXPECT_EQ(au::render_event_page(e, "gw").find("Session opened by"), std::string::npos);
}

// Who tried (issue 15): the person on the corporate network as a filter, a column, a summary
// whose rows link to that person's attempts, and two rows of the event page; all escaped.
TEST(review_page, filters_and_summarises_by_person_escaped) {
    auto d = sample_data();
    d.request.q.corp_user = "<i>*@CORP.EXAMPLE";
    d.events[0].corp_user = "alice<b>@CORP.EXAMPLE";
    d.events[0].corp_source = "kerberos";
    d.top_corp_users = {{"alice<b>@CORP.EXAMPLE", 7}, {"CORP\\bob", 2}};
    auto html = au::render_review_page(d);
    EXPECT_NE(html.find("name=\"corp_user\""), std::string::npos);
    EXPECT_NE(html.find("value=\"&lt;i&gt;*@CORP.EXAMPLE\""), std::string::npos) << html;
    EXPECT_NE(html.find("<h3>Most denied people</h3>"), std::string::npos);
    EXPECT_NE(html.find("<th scope=\"col\">Person</th>"), std::string::npos);
    EXPECT_NE(html.find("<td>alice&lt;b&gt;@CORP.EXAMPLE</td>"), std::string::npos) << html;
    EXPECT_NE(html.find("href=\"/review?corp_user=alice%3Cb%3E%40CORP.EXAMPLE\">alice&lt;b&gt;@"
                        "CORP.EXAMPLE</a>"),
              std::string::npos)
        << html;
    EXPECT_NE(html.find("&amp;corp_user=%3Ci%3E"), std::string::npos) << html;  // pagination
    EXPECT_EQ(html.find("<b>"), std::string::npos);
    EXPECT_EQ(html.find("<i>"), std::string::npos);

    auto page = au::render_event_page(d.events[0], "gw");
    EXPECT_NE(page.find("alice&lt;b&gt;@CORP.EXAMPLE"), std::string::npos) << page;
    EXPECT_NE(page.find("kerberos"), std::string::npos) << page;
}

// A cli-sign-in attempt's step of `aws login` is shown where the flow is, as `logs` shows it, and
// named on the event page with its endpoint and IAM action; other attempts show no step.
TEST(review_page, the_oauth_step_of_a_cli_sign_in_is_shown_with_its_flow) {
    au::event e;
    e.id = "ev1";
    e.effect = "deny";
    e.flow = "cli-sign-in";
    e.oauth_action = "token";
    EXPECT_NE(au::render_review_page({e}, {}, "gw").find("<td>cli-sign-in:token</td>"),
              std::string::npos);
    auto page = au::render_event_page(e, "gw");
    EXPECT_NE(page.find("OAuth 2.0 step"), std::string::npos) << page;
    EXPECT_NE(page.find("signin:CreateOAuth2Token"), std::string::npos) << page;
    e.oauth_action = "authorize";
    EXPECT_NE(au::render_review_page({e}, {}, "gw").find("<td>cli-sign-in:authorize</td>"),
              std::string::npos);
    EXPECT_NE(au::render_event_page(e, "gw").find("signin:AuthorizeOAuth2Access"),
              std::string::npos);
    e.flow = "switch-role";
    e.oauth_action = "";
    EXPECT_NE(au::render_review_page({e}, {}, "gw").find("<td>switch-role</td>"),
              std::string::npos);
    EXPECT_EQ(au::render_event_page(e, "gw").find("OAuth 2.0 step"), std::string::npos);
}
