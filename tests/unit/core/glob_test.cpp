#include "consolegate/core/glob.hpp"

#include <gtest/gtest.h>

#include <string>
#include <tuple>

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

namespace {

struct sso_row {
    const char* pattern;
    const char* permission_set;
    cc::glob_case mode;
    bool some, every;  // matches AWSReservedSSO_<set>_<hex> for some / every 16-hex suffix
};

std::ostream& operator<<(std::ostream& os, const sso_row& r) {
    return os << '"' << r.pattern << "\" vs set \"" << r.permission_set << '"';
}

class sso_role_table : public ::testing::TestWithParam<sso_row> {};

}  // namespace

TEST_P(sso_role_table, some_and_every_suffix) {
    const auto& r = GetParam();
    cc::glob g(r.pattern, r.mode);
    EXPECT_EQ(g.matches_sso_role_for_some(r.permission_set), r.some);
    EXPECT_EQ(g.matches_sso_role_for_every(r.permission_set), r.every);
    // Consistent with matching concrete role names: every suffix tried that matches proves
    // "some", one that does not disproves "every".
    for (const char* hex : {"0123456789abcdef", "ffffffffffffffff", "0000000000000000",
                            "a1b2c3d4e5f60718", "deadbeefdeadbeef"}) {
        std::string role = std::string("AWSReservedSSO_") + r.permission_set + "_" + hex;
        if (g.matches(role)) {
            EXPECT_TRUE(r.some) << role;
        } else {
            EXPECT_FALSE(r.every) << role;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(
    permission_set_only, sso_role_table,
    ::testing::Values(
        sso_row{"AWSReservedSSO_AdministratorAccess_*", "AdministratorAccess", S, true, true},
        sso_row{"AWSReservedSSO_AdministratorAccess_*", "ReadOnly", S, false, false},
        sso_row{"AWSReservedSSO_*", "Anything", S, true, true},
        sso_row{"AWSReservedSSO_Admin*", "AdministratorAccess", S, true, true},
        sso_row{"*Admin*", "AdministratorAccess", S, true, true},
        sso_row{"awsreservedsso_administratoraccess_*", "AdministratorAccess", I, true, true},
        sso_row{"awsreservedsso_administratoraccess_*", "AdministratorAccess", S, false, false},
        // One role's exact name: some suffix is it, not every one.
        sso_row{"AWSReservedSSO_AdministratorAccess_0123456789abcdef", "AdministratorAccess", S,
                true, false},
        sso_row{"AWSReservedSSO_AdministratorAccess_????????????????", "AdministratorAccess", S,
                true, true},
        sso_row{"AWSReservedSSO_AdministratorAccess_???????????????", "AdministratorAccess", S,
                false, false},  // 15: no suffix is that short
        sso_row{"AWSReservedSSO_AdministratorAccess_0*", "AdministratorAccess", S, true, false},
        // Upper-case hex never appears (case-sensitive), but may stand for it in a deny.
        sso_row{"AWSReservedSSO_AdministratorAccess_A*", "AdministratorAccess", S, false, false},
        sso_row{"AWSReservedSSO_AdministratorAccess_A*", "AdministratorAccess", I, true, false},
        sso_row{"*_0123456789abcdef", "Admin", S, true, false},
        // The permission set name itself is not the role name.
        sso_row{"AdministratorAccess", "AdministratorAccess", S, false, false},
        sso_row{"AWSReservedSSO_Admin_*", "Admin_Extra", S, true, true},  // '*' crosses '_'
        sso_row{"*", "x", S, true, true}, sso_row{"ReadOnly*", "ReadOnly", S, false, false},
        sso_row{"AWSReserved*", "ReadOnly", S, true, true},
        sso_row{"AWS?eservedSSO_ReadOnly_*", "ReadOnly", S, true, true},
        sso_row{"AWSReservedSSO", "ReadOnly", S, false, false}));

TEST(glob_match_prefix, matches_the_start_as_a_trailing_star_would) {
    for (auto [pattern, text, expected] : {std::tuple{"ams-", "ams-access-admin", true},
                                           {"ams-*", "ams-access-admin", true},
                                           {"ams-", "ams-", true},
                                           {"ams-", "ams", false},
                                           {"ams-", "xams-", false},
                                           {"a?s-", "aXs-rest", true},
                                           {"*-admin", "ams-admin-role", true},
                                           {"*-admin", "ams-role", false},
                                           {"", "anything", true}}) {
        EXPECT_EQ(cc::glob_match_prefix(pattern, text), expected) << pattern << " " << text;
        EXPECT_EQ(cc::glob_match_prefix(pattern, text),
                  cc::glob_match(std::string(pattern) + "*", text))
            << pattern << " " << text;
    }
    EXPECT_TRUE(cc::glob_match_prefix("AMS-", "ams-x", cc::glob_case::insensitive));
    EXPECT_FALSE(cc::glob_match_prefix("AMS-", "ams-x", cc::glob_case::sensitive));
}

// '?' is one character of a user name, as IAM's StringLike has it, not one byte: "jos?" must
// catch "josé" in a deny.
TEST(glob, question_mark_is_one_utf8_character) {
    for (auto mode : {S, I}) {
        EXPECT_TRUE(cc::glob_match("jos?", "jos\xc3\xa9", mode));        // é, 2 bytes
        EXPECT_FALSE(cc::glob_match("jos??", "jos\xc3\xa9", mode));      // one character only
        EXPECT_TRUE(cc::glob_match("?@x", "\xe6\x9d\x8e@x", mode));      // 李, 3 bytes
        EXPECT_TRUE(cc::glob_match("?@x", "\xf0\x9f\x98\x80@x", mode));  // 4 bytes
        EXPECT_TRUE(cc::glob_match("*?x", "\xc3\xa9\xc3\xa9x", mode));
        EXPECT_TRUE(cc::glob_match("*\xc3\xa9", "a\xc3\xa9", mode));
        EXPECT_TRUE(cc::glob_match("a*?", "a\xc3\xa9", mode));
        EXPECT_TRUE(cc::glob(std::string("jos?"), mode).matches("jos\xc3\xa9"));
        EXPECT_TRUE(cc::glob(std::string("*os?"), mode).matches("jos\xc3\xa9"));
    }
}
