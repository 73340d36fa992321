#include "consolegate/audit/query.hpp"

#include <gtest/gtest.h>

namespace au = consolegate::audit;
namespace cc = consolegate::core;

namespace {
au::event ev(std::string id, std::string time, std::string effect, std::string account,
             std::string user) {
    au::event e;
    e.id = std::move(id);
    e.time = std::move(time);
    e.effect = e.enforced = std::move(effect);
    e.account = std::move(account);
    e.user = std::move(user);
    e.flow = "iam-user";
    e.alias = "prod-main";
    return e;
}
}  // namespace

TEST(query, filters) {
    auto e = ev("1", "2026-11-23T04:00:00.000Z", "deny", "111122223333", "Alice");
    au::query q;
    EXPECT_TRUE(au::matches(e, q));
    q.decision = "allow";
    EXPECT_FALSE(au::matches(e, q));
    q.decision = "deny";
    q.user = "alice";  // case-insensitive
    EXPECT_TRUE(au::matches(e, q));
    q.account = "PROD-main";  // alias matches too
    EXPECT_TRUE(au::matches(e, q));
    q.account = "999999999999";
    EXPECT_FALSE(au::matches(e, q));
    q.account.reset();
    q.since = cc::parse_rfc3339("2026-11-23T04:00:00.001Z");
    EXPECT_FALSE(au::matches(e, q));
    q.since = cc::parse_rfc3339("2026-11-23T03:59:59Z");
    EXPECT_TRUE(au::matches(e, q));
    q.flow = "saml";
    EXPECT_FALSE(au::matches(e, q));
}

TEST(query, corp_user_is_a_case_insensitive_glob_and_empty_selects_the_unidentified) {
    auto e = ev("1", "2026-11-23T04:00:00.000Z", "deny", "111122223333", "Alice");
    e.corp_user = "alice@CORP.EXAMPLE";
    e.corp_source = "kerberos";
    auto nobody = ev("2", "2026-11-23T04:00:00.000Z", "deny", "111122223333", "Alice");
    au::query q;
    for (const char* yes : {"alice@CORP.EXAMPLE", "ALICE@corp.example", "*@corp.example", "alice@*",
                            "a?ice@*", "*"}) {
        q.corp_user = yes;
        EXPECT_TRUE(au::matches(e, q)) << yes;
    }
    for (const char* no : {"alice", "bob@*", "*@corp", ""}) {
        q.corp_user = no;
        EXPECT_FALSE(au::matches(e, q)) << no;
    }
    q.corp_user = "";
    EXPECT_TRUE(au::matches(nobody, q));
    q.corp_user = "*";
    EXPECT_TRUE(au::matches(nobody, q));  // `*` matches the empty name too
}

TEST(query, csv_quotes_and_defuses_formulas) {
    auto e = ev("1", "t", "deny", "111122223333", "=HYPERLINK(\"x\")");
    auto csv = au::format_events({e}, au::output_format::csv);
    EXPECT_NE(csv.find("\"'=HYPERLINK(\"\"x\"\")\""), std::string::npos) << csv;
    EXPECT_EQ(csv.substr(0, 5), "time,");
}

TEST(query, csv_defuses_a_formula_behind_a_tab_or_a_carriage_return) {
    auto tab = ev("1", "t", "deny", "111122223333", "\t=1+1");
    auto cr = ev("2", "t", "deny", "111122223333", "\r@SUM(A1)");
    auto csv = au::format_events({tab, cr}, au::output_format::csv);
    EXPECT_NE(csv.find("\"'\t=1+1\""), std::string::npos) << csv;
    EXPECT_NE(csv.find("\"'\r@SUM(A1)\""), std::string::npos) << csv;
}

// A reviewer reads the table in a terminal: a name must not move, hide or recolour the cells
// after it. U+202E (right-to-left override) in a role would show the rest of the line reversed;
// U+009B is a CSI to terminals that take 8-bit controls; U+200B hides; U+2028 breaks the line.
TEST(query, table_shows_formatting_and_c1_characters_as_question_marks) {
    auto a = ev("1", "t1", "deny", "111122223333",
                "evil\u202e3333\u2066x\u200by\u2028z\u00c2\xc2\x9b"
                "31m");
    a.role = "Admin\u202d";
    auto t = au::format_events({a}, au::output_format::table);
    for (std::string_view bad : {"\u202e", "\u202d", "\u2066", "\u200b", "\u2028", "\xc2\x9b"})
        EXPECT_EQ(t.find(bad), std::string::npos) << t;
    EXPECT_NE(t.find("evil?3333?x?y?z\u00c2?31m"), std::string::npos) << t;
    EXPECT_NE(t.find("Admin?"), std::string::npos) << t;
    // A byte that begins no UTF-8 sequence, or a sequence cut short, is one '?' each.
    auto b = ev("2", "t1", "deny", "111122223333", "a\xff\xe2\x80");
    auto tb = au::format_events({b}, au::output_format::table);
    EXPECT_NE(tb.find("a???"), std::string::npos) << tb;
}

TEST(query, table_aligns_and_strips_control_characters) {
    auto a = ev("1", "t1", "deny", "111122223333", "bob\x1b[31m");
    auto b = ev("2", "t2", "allow", "444455556666", "carol");
    auto t = au::format_events({a, b}, au::output_format::table);
    EXPECT_EQ(t.find('\x1b'), std::string::npos);
    auto first_nl = t.find('\n');
    EXPECT_NE(t.find("DECISION"), std::string::npos);
    // Each line has the ACCOUNT column at the same offset.
    auto header_col = t.find("ACCOUNT");
    auto row1 = t.substr(first_nl + 1);
    EXPECT_EQ(row1.find("111122223333"), header_col);
}

TEST(query, a_count_of_repeats_is_shown_in_the_table_and_the_csv) {
    auto a = ev("1", "t1", "allow", "111122223333", "bob");
    a.count = 37;
    a.time_last = "t9";
    auto b = ev("2", "t2", "deny", "444455556666", "carol");
    auto t = au::format_events({a, b}, au::output_format::table);
    auto rows = t.substr(t.find('\n') + 1);
    EXPECT_EQ(rows.find("allow x37"), rows.find("allow"));
    EXPECT_EQ(rows.find("deny x"), std::string::npos);
    EXPECT_EQ(t.find("ACCOUNT"), rows.find("111122223333"));  // still aligned
    auto csv = au::format_events({a, b}, au::output_format::csv);
    EXPECT_NE(csv.find(",report_only,flagged,count,time_last,also_flows,oauth_action\n"),
              std::string::npos)
        << csv;
    EXPECT_NE(csv.find(",false,false,37,\"t9\",\"\",\"\"\n"), std::string::npos) << csv;
    EXPECT_NE(csv.find(",false,false,1,\"\",\"\",\"\"\n"), std::string::npos) << csv;
}

// A console request allowed by `flows = ["saml"]` shows why in every format, not in JSON alone:
// the flows of the sign-in that opened its session.
TEST(query, the_flows_a_session_attempt_was_judged_also_as_are_shown_in_the_table_and_the_csv) {
    auto a = ev("1", "t1", "allow", "222233334444", "bob");
    a.flow = "console-session";
    a.also_flows = "identity-center,custom-broker";
    auto b = ev("2", "t2", "deny", "444455556666", "carol");
    b.flow = "console-session";
    auto t = au::format_events({a, b}, au::output_format::table);
    auto rows = t.substr(t.find('\n') + 1);
    auto second = rows.substr(rows.find('\n') + 1);
    EXPECT_EQ(rows.find("console-session+identity-center,custom-broker "), t.find("FLOW")) << t;
    EXPECT_EQ(second.find("console-session "), t.find("FLOW")) << t;
    EXPECT_EQ(second.find("console-session+"), std::string::npos) << t;
    EXPECT_EQ(t.find("ACCOUNT"), rows.find("222233334444"));  // still aligned
    auto csv = au::format_events({a, b}, au::output_format::csv);
    auto header = csv.substr(0, csv.find('\n'));
    EXPECT_TRUE(header.ends_with(",also_flows,oauth_action")) << header;
    EXPECT_NE(csv.find(",1,\"\",\"identity-center,custom-broker\",\"\"\n"), std::string::npos)
        << csv;
    EXPECT_NE(csv.find("\"console-session\",\"444455556666\""), std::string::npos) << csv;
    EXPECT_TRUE(csv.ends_with(",1,\"\",\"\",\"\"\n")) << csv;
}

// Alternatives (the session's sign-in was one of those flows, which one unknown) read apart from
// "each of them" in the table and the CSV, in explain's notation; --flow finds them under each
// name.
TEST(query, alternatives_among_the_flows_a_session_attempt_was_judged_also_as_are_shown_apart) {
    auto a = ev("1", "t1", "deny", "222233334444", "bob");
    a.flow = "console-session";
    a.also_flows = "saml,iam-user";
    a.also_flows_either = true;
    auto b = a;
    b.id = "2", b.also_flows_either = false;
    auto t = au::format_events({a, b}, au::output_format::table);
    auto rows = t.substr(t.find('\n') + 1);
    auto second = rows.substr(rows.find('\n') + 1);
    EXPECT_EQ(rows.find("console-session+saml|iam-user "), t.find("FLOW")) << t;
    EXPECT_EQ(second.find("console-session+saml,iam-user "), t.find("FLOW")) << t;
    EXPECT_EQ(t.find("ACCOUNT"), rows.find("222233334444"));  // still aligned
    auto csv = au::format_events({a, b}, au::output_format::csv);
    EXPECT_NE(csv.find(",\"saml|iam-user\",\"\"\n"), std::string::npos) << csv;
    EXPECT_TRUE(csv.ends_with(",\"saml,iam-user\",\"\"\n")) << csv;
    auto json = au::format_events({a}, au::output_format::json);
    EXPECT_NE(json.find("\"also_flows\":\"saml,iam-user\""), std::string::npos) << json;
    EXPECT_NE(json.find("\"also_flows_either\":true"), std::string::npos) << json;
    for (const char* f : {"saml", "iam-user", "console-session"}) {
        au::query q;
        q.flow = f;
        EXPECT_TRUE(au::matches(a, q)) << f;
    }
    au::query q;
    q.flow = "saml|iam-user";  // the shown form is not a flow name
    EXPECT_FALSE(au::matches(a, q));
}

// --flow selects what a rule's `flows` selects: the attempt's own flow, or one its session's
// sign-in was (also_flows), whole names only.
TEST(query, a_flow_finds_the_attempts_judged_also_as_it) {
    auto a = ev("1", "t1", "allow", "222233334444", "bob");
    a.flow = "console-session";
    a.also_flows = "identity-center,custom-broker";
    auto b = ev("2", "t2", "allow", "222233334444", "bob");
    b.flow = "saml";
    auto c = ev("3", "t3", "deny", "444455556666", "carol");
    c.flow = "console-session";
    auto flow = [](const char* f) {
        au::query q;
        q.flow = f;
        return q;
    };
    EXPECT_TRUE(au::matches(a, flow("custom-broker")));
    EXPECT_TRUE(au::matches(a, flow("identity-center")));
    EXPECT_TRUE(au::matches(a, flow("console-session")));
    EXPECT_FALSE(au::matches(a, flow("saml")));
    EXPECT_FALSE(au::matches(a, flow("custom")));  // a whole name, not a part of one
    EXPECT_FALSE(au::matches(a, flow("center,custom")));
    EXPECT_TRUE(au::matches(b, flow("saml")));
    EXPECT_FALSE(au::matches(c, flow("identity-center")));
}

TEST(query, json_lines_parse_back) {
    auto a = ev("1", "t1", "deny", "111122223333", "bob");
    auto j = au::format_events({a, a}, au::output_format::json);
    auto nl = j.find('\n');
    EXPECT_EQ(*au::from_json_line(j.substr(0, nl), nullptr), a);
    EXPECT_EQ(au::output_format_from_string("yaml"), std::nullopt);
}

// A cli-sign-in attempt's step of `aws login` (oauth_action) is shown where the flow is: the
// table's FLOW reads cli-sign-in:authorize or cli-sign-in:token, the CSV has its column (the
// last), JSON the field; --flow still takes the flow's name.
TEST(query, the_oauth_step_of_a_cli_sign_in_is_shown_with_its_flow) {
    auto a = ev("1", "t1", "allow", "111122223333", "bob");
    a.flow = "cli-sign-in";
    a.oauth_action = "token";
    auto b = ev("2", "t2", "deny", "444455556666", "carol");
    b.flow = "cli-sign-in";
    b.oauth_action = "authorize";
    auto c = ev("3", "t3", "deny", "444455556666", "carol");
    c.flow = "switch-role";
    auto t = au::format_events({a, b, c}, au::output_format::table);
    auto rows = t.substr(t.find('\n') + 1);
    auto second = rows.substr(rows.find('\n') + 1);
    auto third = second.substr(second.find('\n') + 1);
    EXPECT_EQ(rows.find("cli-sign-in:token "), t.find("FLOW")) << t;
    EXPECT_EQ(second.find("cli-sign-in:authorize "), t.find("FLOW")) << t;
    EXPECT_EQ(third.find("switch-role "), t.find("FLOW")) << t;
    EXPECT_EQ(third.find("switch-role:"), std::string::npos) << t;
    EXPECT_EQ(t.find("ACCOUNT"), rows.find("111122223333"));  // still aligned
    auto csv = au::format_events({a, b, c}, au::output_format::csv);
    EXPECT_NE(csv.find("\"cli-sign-in\",\"111122223333\""), std::string::npos) << csv;
    EXPECT_NE(csv.find(",\"\",\"token\"\n"), std::string::npos) << csv;
    EXPECT_NE(csv.find(",\"\",\"authorize\"\n"), std::string::npos) << csv;
    EXPECT_TRUE(csv.ends_with(",\"\",\"\"\n")) << csv;
    auto json = au::format_events({a}, au::output_format::json);
    EXPECT_NE(json.find("\"oauth_action\":\"token\""), std::string::npos) << json;
    au::query q;
    q.flow = "cli-sign-in";
    EXPECT_TRUE(au::matches(a, q));
    q.flow = "cli-sign-in:token";  // the shown form is not a flow name
    EXPECT_FALSE(au::matches(a, q));
}
