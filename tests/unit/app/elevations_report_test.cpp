// app/elevations_report.cpp: `consolegate elevations --user` and /api/elevations?user= take the
// spellings a policy `users` selector and TEAM matching take.
#include "elevations_report.hpp"

#include <gtest/gtest.h>

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
