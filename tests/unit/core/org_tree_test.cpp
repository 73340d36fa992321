#include "consolegate/core/org_tree.hpp"

#include <gtest/gtest.h>

namespace cc = consolegate::core;

namespace {

constexpr const char* org = "o-a1b2c3d4e5";
constexpr const char* root = "o-a1b2c3d4e5/r-ab12/";
// Two OU IDs where one is a prefix of the other (issue 2's trap), and a nested OU.
constexpr const char* short_ou = "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/";
constexpr const char* long_ou = "o-a1b2c3d4e5/r-ab12/ou-ab12-111111111/";
constexpr const char* nested = "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-ab12-22222222/";

cc::account_id aid(const char* s) {
    return *cc::account_id::parse(s);
}

cc::org_tree sample() {
    std::vector<cc::org_account> accounts{
        {aid("000000000001"), "root-member", root},
        {aid("000000000011"), "short", short_ou},
        {aid("000000000111"), "long", long_ou},
        {aid("000000001111"), "nested", nested},
        {aid("012345678901"), "leading-zero", short_ou},
        {aid("000000009999"), "bad-path", "not/a/path/"},
    };
    return cc::org_tree(org, accounts);
}

struct path_row {
    const char* account;
    const char* selector;
    bool expected;
};

std::ostream& operator<<(std::ostream& os, const path_row& r) {
    return os << r.account << " ~ " << r.selector;
}

class org_path_table : public ::testing::TestWithParam<path_row> {};

}  // namespace

TEST_P(org_path_table, principal_org_paths_semantics) {
    auto tree = sample();
    const auto& r = GetParam();
    EXPECT_EQ(tree.matches_path(aid(r.account), r.selector), r.expected);
}

INSTANTIATE_TEST_SUITE_P(
    selectors, org_path_table,
    ::testing::Values(
        // exact path: accounts directly in the OU only
        path_row{"000000000011", "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/", true},
        path_row{"000000001111", "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/", false},  // nested
        path_row{"000000000001", "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/", false},
        // "/*": the OU and all descendants
        path_row{"000000000011", "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*", true},
        path_row{"000000001111", "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*", true},
        // OU IDs sharing a prefix never match each other, in either direction
        path_row{"000000000111", "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/", false},
        path_row{"000000000111", "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*", false},
        path_row{"000000000011", "o-a1b2c3d4e5/r-ab12/ou-ab12-111111111/", false},
        path_row{"000000000011", "o-a1b2c3d4e5/r-ab12/ou-ab12-111111111/*", false},
        path_row{"000000000111", "o-a1b2c3d4e5/r-ab12/ou-ab12-111111111/*", true},
        // '*' crosses '/': StringLike, as IAM evaluates it
        path_row{"000000001111", "o-a1b2c3d4e5/*/ou-ab12-22222222/", true},
        path_row{"000000001111", "o-a1b2c3d4e5/*", true},
        path_row{"000000000001", "o-a1b2c3d4e5/r-ab12/", true},
        path_row{"000000000001", "o-a1b2c3d4e5/r-ab12/*", true},
        // written without the trailing '/', a wildcard does match both: that is IAM's answer
        path_row{"000000000111", "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111*", true},
        // leading-zero account
        path_row{"012345678901", "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/", true},
        // unknown accounts and accounts with a malformed path match nothing
        path_row{"999999999999", "*", false}, path_row{"000000009999", "*", false},
        // case-sensitive
        path_row{"000000000011", "O-A1B2C3D4E5/*", false}));

TEST(org_tree, org_membership_and_paths) {
    auto tree = sample();
    EXPECT_EQ(tree.size(), 5u);  // the malformed path is left out
    EXPECT_TRUE(tree.in_org(aid("012345678901"), org));
    EXPECT_FALSE(tree.in_org(aid("012345678901"), "o-zzzzzzzzzz"));
    EXPECT_FALSE(tree.in_org(aid("999999999999"), org));
    EXPECT_EQ(tree.org_of(aid("000000001111")), org);
    ASSERT_NE(tree.path_of(aid("000000001111")), nullptr);
    EXPECT_EQ(*tree.path_of(aid("000000001111")), nested);
    EXPECT_EQ(tree.path_of(aid("12345678901"
                               "0")),
              nullptr);
    EXPECT_EQ(tree.paths().size(), 4u);
}

TEST(org_tree, a_repeated_account_keeps_its_first_path) {
    std::vector<cc::org_account> accounts{{aid("000000000011"), "a", short_ou},
                                          {aid("000000000011"), "b", long_ou}};
    cc::org_tree tree(org, accounts);
    EXPECT_EQ(*tree.path_of(aid("000000000011")), short_ou);
}

TEST(org_tree, path_shapes) {
    EXPECT_TRUE(cc::is_org_path(root));
    EXPECT_TRUE(cc::is_org_path(nested));
    EXPECT_FALSE(cc::is_org_path("o-a1b2c3d4e5/"));                      // no root
    EXPECT_FALSE(cc::is_org_path("o-a1b2c3d4e5/r-ab12"));                // no trailing '/'
    EXPECT_FALSE(cc::is_org_path("o-a1b2c3d4e5/r-ab12/ou-ab12-1111/"));  // OU suffix too short
    EXPECT_FALSE(cc::is_org_path("o-a1b2c3d4e5/r-ab12//"));
    EXPECT_TRUE(cc::is_org_path_selector("o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*"));
    EXPECT_TRUE(cc::is_org_path_selector("o-a1b2c3d4e5/*"));
    EXPECT_FALSE(cc::is_org_path_selector("*/ou-ab12-11111111/"));
    EXPECT_FALSE(cc::is_org_path_selector("o-a1b2c3d4e5/r-ab12/OU-X/*"));
}
