#include "names.hpp"

#include <gtest/gtest.h>

namespace consolegate::dns {
namespace {

struct match_case {
    const char* pattern;
    const char* name;
    bool match;
};
class names : public ::testing::TestWithParam<match_case> {};
TEST_P(names, matches) {
    name_set s;
    ASSERT_TRUE(s.add(GetParam().pattern));
    EXPECT_EQ(s.matches(GetParam().name), GetParam().match)
        << GetParam().pattern << " " << GetParam().name;
}
INSTANTIATE_TEST_SUITE_P(
    patterns, names,
    ::testing::Values(
        match_case{"console.aws.amazon.com", "console.aws.amazon.com", true},
        match_case{"Console.AWS.amazon.com.", "console.aws.amazon.com", true},
        match_case{"console.aws.amazon.com", "eu.console.aws.amazon.com", false},
        match_case{"*.console.aws.amazon.com", "eu.console.aws.amazon.com", true},
        match_case{"*.console.aws.amazon.com", "a.b.console.aws.amazon.com", true},
        match_case{"*.console.aws.amazon.com", "console.aws.amazon.com", false},
        match_case{"*.console.aws.amazon.com", "xconsole.aws.amazon.com", false},
        match_case{"portal.sso.*.amazonaws.com", "portal.sso.eu-west-1.amazonaws.com", true},
        match_case{"portal.sso.*.amazonaws.com", "portal.sso.amazonaws.com", false},
        match_case{"portal.sso.*.amazonaws.com", "portal.sso.a.b.amazonaws.com", false},
        match_case{"portal.sso.*.amazonaws.com", "x.portal.sso.a.amazonaws.com", false}));

TEST(names, rejects_bad_patterns) {
    name_set s;
    EXPECT_FALSE(s.add(""));
    EXPECT_FALSE(s.add("*"));
    EXPECT_FALSE(s.add("a..b"));
    EXPECT_TRUE(s.empty());
}

}  // namespace
}  // namespace consolegate::dns
