// core/endpoint_policy_meet.cpp: what two statements' selectors both select.
#include "endpoint_policy_meet.hpp"

#include <gtest/gtest.h>

namespace d = consolegate::core::detail;

namespace {

struct path_row {
    const char* p;
    const char* q;
    const char* both;  // nullptr: the shapes cannot be intersected
};

class path_meet : public ::testing::TestWithParam<path_row> {};

}  // namespace

TEST_P(path_meet, is_what_both_paths_match_either_way_round) {
    const auto& r = GetParam();
    for (auto [p, q] : {std::pair{r.p, r.q}, std::pair{r.q, r.p}}) {
        auto m = d::path_meet(p, q);
        if (!r.both) {
            EXPECT_FALSE(m) << p << " " << q;
        } else {
            ASSERT_TRUE(m) << p << " " << q;
            EXPECT_EQ(*m, r.both) << p << " " << q;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(
    shapes, path_meet,
    ::testing::Values(
        path_row{"o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/", "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/",
                 "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"},
        path_row{"o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/", "o-a1b2c3d4e5/r-ab12/ou-ab12-22222222/",
                 ""},
        // An OU and a subtree holding it: the OU; a subtree and one below it: the lower one.
        path_row{"o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/", "o-a1b2c3d4e5/r-ab12/*",
                 "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"},
        path_row{"o-a1b2c3d4e5/r-ab12/", "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*", ""},
        path_row{"o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*", "o-a1b2c3d4e5/*",
                 "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*"},
        // A sibling whose ID starts with the other's is not below it: paths end in '/'.
        path_row{"o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*",
                 "o-a1b2c3d4e5/r-ab12/ou-ab12-111111112/*", ""},
        path_row{"o-a1b2c3d4e5/*/ou-ab12-11111111/", "o-a1b2c3d4e5/r-ab12/*", nullptr},
        path_row{"o-a1b2c3d4e5/r-ab12/ou-ab12-1111111?/", "o-a1b2c3d4e5/r-ab12/", nullptr}));

TEST(endpoint_policy_meet, an_empty_list_is_every_value_and_nothing_in_common_is_nothing) {
    std::vector<std::string> x;
    std::string bad;
    EXPECT_EQ(d::meet_paths(x, {"o-a1b2c3d4e5/r-ab12/*"}, bad), d::met::some);
    EXPECT_EQ(x, std::vector<std::string>{"o-a1b2c3d4e5/r-ab12/*"});
    EXPECT_EQ(d::meet_paths(x, {}, bad), d::met::some);
    EXPECT_EQ(d::meet_paths(x, {"o-f6g7h8i9j0/r-cd34/"}, bad), d::met::nothing);
    x = {"o-a1b2c3d4e5/*/ou-ab12-11111111/"};
    EXPECT_EQ(d::meet_paths(x, {"o-a1b2c3d4e5/r-ab12/"}, bad), d::met::cannot);
    EXPECT_NE(bad.find("o-a1b2c3d4e5/*/ou-ab12-11111111/"), std::string::npos);

    std::vector<int> ids{1, 2, 3};
    EXPECT_TRUE(d::meet(ids, std::vector<int>{}));
    EXPECT_TRUE(d::meet(ids, std::vector<int>{3, 2, 9}));
    EXPECT_EQ(ids, (std::vector<int>{2, 3}));
    EXPECT_FALSE(d::meet(ids, std::vector<int>{7}));
    std::vector<int> none;
    EXPECT_TRUE(d::meet(none, std::vector<int>{4}));
    EXPECT_EQ(none, std::vector<int>{4});
}
