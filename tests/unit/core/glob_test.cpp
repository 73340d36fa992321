#include "consolegate/core/glob.hpp"

#include <gtest/gtest.h>

namespace cc = consolegate::core;

namespace {

struct glob_case_row {
    const char* pattern;
    const char* text;
    cc::glob_case mode;
    bool expected;
};

std::ostream& operator<<(std::ostream& os, const glob_case_row& r) {
    return os << '"' << r.pattern << "\" vs \"" << r.text << "\" "
              << (r.mode == cc::glob_case::sensitive ? "sensitive" : "insensitive");
}

class glob_table : public ::testing::TestWithParam<glob_case_row> {};

constexpr auto S = cc::glob_case::sensitive;
constexpr auto I = cc::glob_case::insensitive;

}  // namespace

TEST_P(glob_table, free_function_and_compiled_glob_agree) {
    const auto& r = GetParam();
    EXPECT_EQ(cc::glob_match(r.pattern, r.text, r.mode), r.expected);
    EXPECT_EQ(cc::glob(r.pattern, r.mode).matches(r.text), r.expected);
}

INSTANTIATE_TEST_SUITE_P(
    shapes, glob_table,
    ::testing::Values(
        // literal
        glob_case_row{"AdminAccess", "AdminAccess", S, true},
        glob_case_row{"AdminAccess", "adminaccess", S, false},  // roles: case-sensitive grants
        glob_case_row{"AdminAccess", "adminaccess", I, true},   // deny rules / users
        glob_case_row{"AdminAccess", "AdminAccess2", S, false}, glob_case_row{"", "", S, true},
        glob_case_row{"", "x", S, false},
        // '*' alone and runs of it
        glob_case_row{"*", "", S, true}, glob_case_row{"*", "anything/at/all", S, true},
        glob_case_row{"**", "", S, true},
        // prefix / suffix
        glob_case_row{"Admin*", "Admin", S, true},
        glob_case_row{"Admin*", "AdministratorAccess", S, true},
        glob_case_row{"Admin*", "administratorAccess", S, false},
        glob_case_row{"Admin*", "administratorAccess", I, true},
        glob_case_row{"*@example.com", "alice@example.com", I, true},
        glob_case_row{"*@example.com", "ALICE@EXAMPLE.COM", I, true},
        glob_case_row{"*@example.com", "alice@example.com.evil", I, false},
        glob_case_row{"*ReadOnly", "ViewReadOnly", S, true},
        glob_case_row{"*ReadOnly", "ReadOnlyX", S, false},
        // '?' is exactly one character
        glob_case_row{"dev-?", "dev-1", S, true}, glob_case_row{"dev-?", "dev-", S, false},
        glob_case_row{"dev-?", "dev-12", S, false}, glob_case_row{"?", "", S, false},
        // general: several stars, backtracking
        glob_case_row{"a*b*c", "abc", S, true}, glob_case_row{"a*b*c", "aXbYbZc", S, true},
        glob_case_row{"a*b*c", "aXbYbZ", S, false},
        glob_case_row{"*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", S, false},
        glob_case_row{"*ab*", "xxaxxabxx", S, true}, glob_case_row{"A?m*n", "aDMIN", I, true},
        glob_case_row{"A?m*n", "aDMIN", S, false},
        // '*' crosses '/' (StringLike for aws:PrincipalOrgPaths)
        glob_case_row{"o-a1b2c3d4e5/*/ou-ab12-11111111/*",
                      "o-a1b2c3d4e5/r-ab12/ou-ab12-22222222/ou-ab12-11111111/", S, true}));

TEST(glob, case_folding_is_ascii_only) {
    EXPECT_TRUE(cc::iequals("ABC-xyz_09", "abc-XYZ_09"));
    EXPECT_FALSE(cc::iequals("\xC3\x89", "\xC3\xA9"));  // É vs é: not folded
    EXPECT_EQ(cc::ascii_lower('Z'), 'z');
    EXPECT_EQ(cc::ascii_lower('['), '[');
}

TEST(glob, wildcard_detection) {
    EXPECT_TRUE(cc::has_glob_wildcard("a*"));
    EXPECT_TRUE(cc::has_glob_wildcard("a?"));
    EXPECT_FALSE(cc::has_glob_wildcard("a-b/c"));
}

TEST(glob, name_glob_validation_for_the_loader) {
    for (const char* good : {"AdministratorAccess", "ReadOnly*", "*@example.com", "dev-?",
                             "first.last+tag@example.co.uk", "AWSReservedSSO_*", "a=b,c"}) {
        EXPECT_TRUE(cc::is_valid_name_glob(good)) << good;
    }
    for (const char* bad : {"", "Admin Access", "role/Admin", "caf\xC3\xA9", "a\tb", "x\n"}) {
        EXPECT_FALSE(cc::is_valid_name_glob(bad)) << bad;
    }
    EXPECT_FALSE(cc::is_valid_name_glob(std::string(257, 'a')));
    EXPECT_TRUE(cc::is_valid_name_glob(std::string(256, 'a')));
}

TEST(glob, user_glob_validation_for_the_loader) {
    EXPECT_TRUE(cc::is_valid_user_glob("jos\xC3\xA9*"));
    EXPECT_TRUE(cc::is_valid_user_glob("*@example.com"));
    EXPECT_FALSE(cc::is_valid_user_glob(""));
    EXPECT_FALSE(cc::is_valid_user_glob("a b"));
    EXPECT_FALSE(cc::is_valid_user_glob("a\x7f"));
    EXPECT_FALSE(cc::glob("jos\xC3\xA9", cc::glob_case::insensitive).matches("JOS\xC3\x89"));
}
