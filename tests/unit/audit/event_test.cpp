#include "consolegate/audit/event.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>

#include "consolegate/core/time.hpp"
#include "sample_event.hpp"

namespace au = consolegate::audit;
namespace cc = consolegate::core;

namespace {

using consolegate::audit::testing::sample_event;

}  // namespace

TEST(event, drops_query_string_and_keeps_enforcement_apart) {
    auto e = sample_event("abc");
    EXPECT_EQ(e.path, "/authenticate");
    EXPECT_EQ(e.account, "012345678901");
    EXPECT_EQ(e.effect, "deny");
    EXPECT_EQ(e.enforced, "allow");  // report-only: logged, not enforced
    EXPECT_EQ(e.reason, "rule-deny");
    EXPECT_EQ(e.time, "2026-11-23T04:15:46.123Z");
}

TEST(event, json_line_round_trip_escapes) {
    auto e = sample_event("abc");
    auto line = au::to_json_line(e);
    EXPECT_EQ(line.find('\n'), std::string::npos);
    EXPECT_EQ(line.find("secret"), std::string::npos);
    std::string err;
    auto back = au::from_json_line(line, &err);
    ASSERT_TRUE(back) << err;
    EXPECT_EQ(*back, e);
}

TEST(event, counted_repeats_round_trip_and_older_lines_read_as_one) {
    auto e = sample_event("abc");
    e.count = 18446744073709551615u;
    e.time_last = "2026-11-23T04:16:00.000Z";
    std::string err;
    auto back = au::from_json_line(au::to_json_line(e), &err);
    ASSERT_TRUE(back) << err;
    EXPECT_EQ(*back, e);
    // A line written before the fields existed.
    auto old = au::from_json_line(R"({"schema":1,"id":"x","time":"t"})", &err);
    ASSERT_TRUE(old) << err;
    EXPECT_EQ(old->count, 1u);
    EXPECT_EQ(old->time_last, "");
    for (auto bad : {R"("3")", "0", "-2", "1.5", "2e1", "true"}) {
        auto line = std::string(R"({"id":"x","time":"t","count":)") + bad + "}";
        EXPECT_FALSE(au::from_json_line(line, &err)) << line;
        EXPECT_EQ(err, "field count is not a positive integer");
    }
}

TEST(event, json_line_is_what_boost_json_writes_for_every_byte) {
    // The writer is hand-rolled for the hot path; Boost.JSON is the oracle (it re-serialises the
    // parsed line in field order), over every byte value (made valid UTF-8), escapes and flags.
    for (int b = 0; b < 256; ++b) {
        au::event e = sample_event("id");
        std::string byte(1, char(b));
        e.user = "a" + au::valid_utf8(byte) + "\"\\/\x7f\xc3\xa9\xf0\x9f\x98\x80";
        e.flagged = b % 2;
        auto line = au::to_json_line(e);
        auto v = boost::json::parse(line);
        EXPECT_EQ(boost::json::serialize(v), line) << "byte " << b;
        std::string err;
        auto back = au::from_json_line(line, &err);
        ASSERT_TRUE(back) << err;
        EXPECT_EQ(*back, e) << "byte " << b;
    }
}

TEST(event, json_line_escapes_a_byte_at_every_place_of_a_long_field) {
    // The writer skips eight bytes at a time while none needs escaping: every escaped byte at
    // every offset of fields of every length up to 40, against the oracle.
    for (char special : {'"', '\\', '\n', '\x01', '\x1f', '\x7f'}) {
        for (std::size_t len = 1; len <= 40; ++len) {
            for (std::size_t at = 0; at < len; ++at) {
                au::event e = sample_event("id");
                e.host = std::string(len, 'h');
                e.host[at] = special;
                e.path = "/" + std::string(len, '\xc3');  // repaired: invalid UTF-8
                auto line = au::to_json_line(e);
                EXPECT_EQ(boost::json::serialize(boost::json::parse(line)), line)
                    << "len " << len << " at " << at;
                std::string err;
                auto back = au::from_json_line(line, &err);
                ASSERT_TRUE(back) << err;
                EXPECT_EQ(back->host, e.host);
                EXPECT_TRUE(back->flagged);  // the repaired path says so
            }
        }
    }
}

TEST(event, is_valid_utf8_agrees_with_valid_utf8) {
    for (std::string_view s :
         {"", "plain ascii, longer than eight bytes", "\xc3\xa9", "0123456\xc3\xa9", "01234567\xff",
          "\xed\xa0\x80", "\xf4\x90\x80\x80", "abcdefgh\xc3"}) {
        bool replaced = false;
        (void)au::valid_utf8(s, &replaced);
        EXPECT_EQ(au::is_valid_utf8(s), !replaced) << s;
    }
}

TEST(event, names_the_team_elevation_that_decided) {
    cc::sign_in_attempt a;
    a.account = cc::account_id::parse("012345678901");
    a.time = *cc::parse_rfc3339("2026-11-23T04:15:46.123Z");
    cc::decision d;
    d.verdict = cc::effect::deny;
    d.why = cc::reason::elevation_expired;
    d.elevation_id = "3f2a-req";
    d.elevation_ticket = "CHG-42";
    d.elevation_end = *cc::parse_rfc3339("2026-11-23T03:00:00Z");
    auto e = au::make_event("id", a, d, "GET", "/console");
    EXPECT_EQ(e.team_request_id, "3f2a-req");
    EXPECT_EQ(e.team_ticket, "CHG-42");
    EXPECT_EQ(e.team_end, "2026-11-23T03:00:00.000Z");
    auto none = au::make_event("id", a, cc::decision{}, "GET", "/console");
    EXPECT_EQ(none.team_request_id, "");
    EXPECT_EQ(none.team_end, "");
}

TEST(event, rejects_non_events) {
    std::string err;
    EXPECT_FALSE(au::from_json_line("not json", &err));
    EXPECT_FALSE(err.empty());
    EXPECT_FALSE(au::from_json_line("[1,2]", &err));
    EXPECT_FALSE(au::from_json_line(R"({"id":"x"})", &err));           // no time
    EXPECT_FALSE(au::from_json_line(R"({"id":1,"time":"t"})", &err));  // wrong type
    EXPECT_FALSE(au::from_json_line(R"({"id":"x","time":"t","flagged":"yes"})", &err));
}

TEST(event, invalid_utf8_is_replaced_and_the_event_flagged) {
    bool replaced = false;
    EXPECT_EQ(au::valid_utf8("plain \xc3\xa9 \xf0\x9f\x98\x80", &replaced),
              "plain \xc3\xa9 \xf0\x9f\x98\x80");
    EXPECT_FALSE(replaced);
    for (std::string_view bad : {"\xff", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80",
                                 "\xf4\x90\x80\x80", "\xc3", "a\x80"}) {
        replaced = false;
        auto out = au::valid_utf8(bad, &replaced);
        EXPECT_TRUE(replaced) << bad;
        EXPECT_NE(out.find("\xef\xbf\xbd"), std::string::npos);
    }
    cc::sign_in_attempt a;
    a.user = "bob\xff\xfe";
    a.host = "signin.aws.amazon.com";
    cc::decision d;
    auto e = au::make_event("id1", a, d, "POST", "/x\xc0?y");
    EXPECT_TRUE(e.flagged);
    EXPECT_EQ(e.user, "bob\xef\xbf\xbd\xef\xbf\xbd");
    // An event built by hand with raw bytes still makes a line that reads back, flagged.
    au::event raw;
    raw.id = "id2";
    raw.time = "2026-11-23T04:15:46.123Z";
    raw.user = "\x80";
    std::string err;
    auto back = au::from_json_line(au::to_json_line(raw), &err);
    ASSERT_TRUE(back) << err;
    EXPECT_TRUE(back->flagged);
    EXPECT_EQ(back->user, "\xef\xbf\xbd");
}

TEST(event, carries_the_corporate_user_and_how_it_is_known) {
    cc::sign_in_attempt a;
    a.account = cc::account_id::parse("012345678901");
    a.client = *cc::ip_address::parse("10.1.2.3");
    a.time = *cc::parse_rfc3339("2026-11-23T04:15:46.123Z");
    cc::decision d;
    auto unknown = au::make_event("a", a, d, "GET", "/");
    EXPECT_EQ(unknown.corp_user, "");
    EXPECT_EQ(unknown.corp_source, "none");
    a.corp.user = "alice@CORP.EXAMPLE";
    a.corp.source = cc::corp_source::kerberos;
    auto e = au::make_event("b", a, d, "GET", "/");
    EXPECT_EQ(e.corp_user, "alice@CORP.EXAMPLE");
    EXPECT_EQ(e.corp_source, "kerberos");
    std::string err;
    auto back = au::from_json_line(au::to_json_line(e), &err);
    ASSERT_TRUE(back) << err;
    EXPECT_EQ(back->corp_user, "alice@CORP.EXAMPLE");
    EXPECT_EQ(back->corp_source, "kerberos");
    // Events written before the fields existed still read, with both empty.
    auto old = au::from_json_line(R"({"schema":1,"id":"x","time":"t"})", &err);
    ASSERT_TRUE(old) << err;
    EXPECT_EQ(old->corp_user, "");
    EXPECT_EQ(old->corp_source, "");
}

// A session attempt judged also as the sign-in flows that opened its session says which: the
// reviewer sees why a rule naming only `saml` decided a console request.
TEST(event, names_the_flows_a_session_attempt_was_judged_also_as) {
    cc::sign_in_attempt a;
    a.flow = cc::sign_in_flow::console_session;
    a.client = *cc::ip_address::parse("10.1.2.3");
    a.time = *cc::parse_rfc3339("2026-11-23T04:15:46.123Z");
    cc::decision d;
    EXPECT_EQ(au::make_event("a", a, d, "GET", "/").also_flows, "");
    a.also_flows = cc::flow_bit(cc::sign_in_flow::saml);
    EXPECT_EQ(au::make_event("b", a, d, "GET", "/").also_flows, "saml");
    a.also_flows |= cc::flow_bit(cc::sign_in_flow::identity_center);
    auto e = au::make_event("c", a, d, "GET", "/");
    EXPECT_EQ(e.also_flows, std::string(cc::to_string(cc::sign_in_flow::saml)) + "," +
                                std::string(cc::to_string(cc::sign_in_flow::identity_center)));
    auto line = au::to_json_line(e);
    EXPECT_NE(line.find("\"also_flows\":\"saml,identity-center\""), std::string::npos) << line;
    std::string err;
    auto back = au::from_json_line(line, &err);
    ASSERT_TRUE(back) << err;
    EXPECT_EQ(back->also_flows, "saml,identity-center");
    auto old = au::from_json_line(R"({"schema":1,"id":"x","time":"t"})", &err);
    ASSERT_TRUE(old) << err;
    EXPECT_EQ(old->also_flows, "");
}

// Whether the session's sign-in was each of those flows or one of them (the gateway could not
// tell which, and judged so: flows_either) is recorded beside them, through every sink's JSON, and
// shown in explain's notation; a line written before the field existed reads as "each".
TEST(event, says_when_the_flows_a_session_attempt_was_judged_also_as_are_alternatives) {
    cc::sign_in_attempt a;
    a.flow = cc::sign_in_flow::console_session;
    a.client = *cc::ip_address::parse("10.1.2.3");
    a.time = *cc::parse_rfc3339("2026-11-23T04:15:46.123Z");
    a.also_flows = cc::flow_bit(cc::sign_in_flow::saml) | cc::flow_bit(cc::sign_in_flow::iam_user);
    cc::decision d;
    auto each = au::make_event("a", a, d, "GET", "/");
    EXPECT_FALSE(each.also_flows_either);
    EXPECT_EQ(au::also_flows_shown(each), each.also_flows);
    EXPECT_NE(au::to_json_line(each).find("\"also_flows_either\":false"), std::string::npos);
    a.also_flows_either = true;
    auto either = au::make_event("b", a, d, "GET", "/");
    EXPECT_TRUE(either.also_flows_either);
    EXPECT_EQ(either.also_flows, each.also_flows);  // the names stay comma-separated
    auto shown = each.also_flows;
    std::replace(shown.begin(), shown.end(), ',', '|');
    EXPECT_EQ(au::also_flows_shown(either), shown);
    EXPECT_NE(shown.find('|'), std::string::npos);
    auto line = au::to_json_line(either);
    EXPECT_NE(line.find("\"also_flows_either\":true"), std::string::npos) << line;
    std::string err;
    auto back = au::from_json_line(line, &err);
    ASSERT_TRUE(back) << err;
    EXPECT_EQ(*back, either);
    auto old = au::from_json_line(
        R"({"schema":1,"id":"x","time":"t","also_flows":"saml,iam-user"})", &err);
    ASSERT_TRUE(old) << err;
    EXPECT_FALSE(old->also_flows_either);
    EXPECT_FALSE(
        au::from_json_line(R"({"schema":1,"id":"x","time":"t","also_flows_either":"yes"})", &err));
    EXPECT_NE(err.find("also_flows_either"), std::string::npos) << err;
    // Alternatives of no flows are none: an attempt without also_flows is not marked.
    a.also_flows = 0;
    EXPECT_FALSE(au::make_event("c", a, d, "GET", "/").also_flows_either);
}

// A bound session's attempt names the corporate user who opened the session beside the one who
// presented it (corp_user): a session-user-mismatch is recorded with both people.
TEST(event, names_the_corporate_user_who_opened_the_session) {
    cc::sign_in_attempt a;
    a.flow = cc::sign_in_flow::console_session;
    a.client = *cc::ip_address::parse("10.1.2.3");
    a.time = *cc::parse_rfc3339("2026-11-23T04:15:46.123Z");
    a.corp.user = "bob";
    a.corp.source = cc::corp_source::header;
    cc::decision d;
    EXPECT_EQ(au::make_event("a", a, d, "GET", "/").session_corp_user, "");
    a.session_corp_user = "alice@CORP.EXAMPLE";
    d.why = cc::reason::session_user_mismatch;
    auto e = au::make_event("b", a, d, "GET", "/");
    EXPECT_EQ((std::pair{e.corp_user, e.session_corp_user}),
              (std::pair<std::string, std::string>{"bob", "alice@CORP.EXAMPLE"}));
    EXPECT_EQ(e.reason, "session-user-mismatch");
    auto line = au::to_json_line(e);
    EXPECT_NE(line.find("\"session_corp_user\":\"alice@CORP.EXAMPLE\""), std::string::npos) << line;
    std::string err;
    auto back = au::from_json_line(line, &err);
    ASSERT_TRUE(back) << err;
    EXPECT_EQ(back->session_corp_user, "alice@CORP.EXAMPLE");
    auto old = au::from_json_line(R"({"schema":1,"id":"x","time":"t"})", &err);
    ASSERT_TRUE(old) << err;
    EXPECT_EQ(old->session_corp_user, "");
}

// A cli-sign-in attempt's step of `aws login` (the inspector's oauth_action, which an imported
// endpoint policy's OAuth 2.0 actions select) is on its event, through every sink's JSON line
// and back; a line written before the field existed reads as none, and a non-string is refused.
TEST(event, names_the_oauth_step_of_a_cli_sign_in) {
    cc::sign_in_attempt a;
    a.flow = cc::sign_in_flow::cli_sign_in;
    a.client = *cc::ip_address::parse("10.1.2.3");
    a.time = *cc::parse_rfc3339("2026-11-23T04:15:46.123Z");
    cc::decision d;
    EXPECT_EQ(au::make_event("a", a, d, "GET", "/v1/authorize").oauth_action, "");
    for (auto [step, name] : {std::pair{cc::oauth2_action::authorize, "authorize"},
                              std::pair{cc::oauth2_action::token, "token"}}) {
        a.oauth_action = step;
        auto e = au::make_event("b", a, d, "POST", "/v1/token");
        EXPECT_EQ(e.oauth_action, name);
        EXPECT_EQ(au::flow_shown(e), std::string("cli-sign-in:") + name);
        auto line = au::to_json_line(e);
        EXPECT_NE(line.find(std::string("\"oauth_action\":\"") + name + "\""), std::string::npos)
            << line;
        std::string err;
        auto back = au::from_json_line(line, &err);
        ASSERT_TRUE(back) << err;
        EXPECT_EQ(*back, e);
    }
    std::string err;
    auto old = au::from_json_line(R"({"schema":1,"id":"x","time":"t","flow":"cli-sign-in"})", &err);
    ASSERT_TRUE(old) << err;
    EXPECT_EQ(old->oauth_action, "");
    EXPECT_EQ(au::flow_shown(*old), "cli-sign-in");
    EXPECT_FALSE(au::from_json_line(R"({"schema":1,"id":"x","time":"t","oauth_action":2})", &err));
    EXPECT_NE(err.find("oauth_action"), std::string::npos) << err;
}
