// app/elevations_report.cpp: `consolegate elevations --user` and /api/elevations?user= take the
// spellings a policy `users` selector and TEAM matching take.
#include "elevations_report.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace {

using consolegate::app::elevations_filter;
using consolegate::app::filter_names_user;

struct user_case {
    const char* name;
    const char* filter;
    const char* idc_user_template;
    const char* team_user;  // as the feed holds it: TEAM's username without "idc_", lowercased
    bool names;
};

class elevations_filter_user : public ::testing::TestWithParam<user_case> {};

TEST_P(elevations_filter_user, names) {
    const auto& c = GetParam();
    elevations_filter f;
    f.user = c.filter;
    f.idc_user_template = c.idc_user_template;
    f.realms = {"CORP.EXAMPLE", "CORP"};
    EXPECT_EQ(filter_names_user(f, c.team_user), c.names) << c.name;
}

INSTANTIATE_TEST_SUITE_P(
    spellings, elevations_filter_user,
    ::testing::Values(
        user_case{"everyone", "", "", "alice", true},
        user_case{"the Identity Center user name", "alice", "", "alice", true},
        user_case{"any case", "ALICE", "", "alice", true},
        // TEAM's own spelling, as its table and UI show it: it read nobody.
        user_case{"TEAM's username", "idc_alice", "", "alice", true},
        user_case{"TEAM's username, any case", "IDC_Alice", "", "alice", true},
        user_case{"a user really named idc_zed", "idc_zed", "", "idc_zed", true},
        user_case{"a glob as in users", "a*@example.com", "", "alice@example.com", true},
        user_case{"a glob that does not match", "b*", "", "alice", false},
        user_case{"another user", "bob", "", "alice", false},
        user_case{"a prefix is not the user", "ali", "", "alice", false},
        user_case{"a corporate user through identity.idc_user", "alice@CORP.EXAMPLE",
                  "{name}@example.com", "alice@example.com", true},
        user_case{"a Windows spelling through identity.idc_user", "CORP\\alice",
                  "{name}@example.com", "alice@example.com", true},
        user_case{"a corporate user without identity.idc_user", "alice@CORP.EXAMPLE", "",
                  "alice@example.com", false},
        user_case{"a corporate user mapped to someone else", "bob@CORP.EXAMPLE",
                  "{name}@example.com", "alice@example.com", false},
        user_case{"another realm's namesake is not the site's user", "alice@PARTNER.EXAMPLE",
                  "{name}@example.com", "alice@example.com", false}),
    [](const ::testing::TestParamInfo<user_case>& p) {
        std::string n;
        for (const char* c = p.param.name; *c; ++c)
            n += std::isalnum(static_cast<unsigned char>(*c)) ? *c : '_';
        return n;
    });

}  // namespace

// `consolegate elevations` prints a feed's values in a terminal: a requester writes the ticket
// and TEAM's table the user, so neither may move the cursor, recolour or reverse the line.
TEST(elevations_text, shows_feed_values_without_control_or_formatting_characters) {
    namespace json = boost::json;
    json::object feed{{"source", "dynamodb"}, {"available", true}};
    json::object e{{"user", "alice\u202e"},
                   {"account", "111122223333"},
                   {"permission_set", "Admin"},
                   {"end", "2026-12-06T15:00:00Z"},
                   {"id", "req-1"},
                   {"ticket",
                    "CHG-1\x1b]0;pwned\x07\xc2\x9b"
                    "2J"}};
    json::object report{
        {"feed", feed}, {"now", "2026-12-06T14:00:00Z"}, {"elevations", json::array{e}}};
    auto text = consolegate::app::elevations_text(report);
    for (std::string_view bad : {"\x1b", "\x07", "\xc2\x9b", "\u202e"})
        EXPECT_EQ(text.find(bad), std::string::npos) << text;
    EXPECT_NE(text.find("alice?  111122223333  Admin  until 2026-12-06T15:00:00Z  request req-1 "
                        "ticket CHG-1?]0;pwned??2J"),
              std::string::npos)
        << text;
}
