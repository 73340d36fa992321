// The groups file: user -> groups, users found case-insensitively, a bad file refused whole.

#include "consolegate/identity/groups.hpp"

#include <gtest/gtest.h>

namespace consolegate::identity {
namespace {

TEST(groups, users_are_found_case_insensitively_and_groups_kept_as_written) {
    auto p = parse_groups(R"({"alice@CORP.EXAMPLE": ["Contractors", "Domain Users"],
                              "CORP\\bob": []})");
    ASSERT_TRUE(p.problem.empty()) << p.problem;
    ASSERT_TRUE(p.table);
    EXPECT_EQ(p.table->users(), 2u);
    const auto* g = p.table->find("Alice@corp.example");
    ASSERT_TRUE(g);
    EXPECT_EQ(*g, (std::vector<std::string>{"Contractors", "Domain Users"}));
    ASSERT_TRUE(p.table->find("corp\\BOB"));
    EXPECT_TRUE(p.table->find("corp\\BOB")->empty());
    EXPECT_FALSE(p.table->find("carol"));
}

TEST(groups, with_groups_copies_the_identity_and_leaves_unknown_users_alone) {
    auto p = parse_groups(R"({"alice": ["contractors"]})");
    auto alice = std::make_shared<core::corp_identity>();
    alice->user = "ALICE";
    alice->source = core::corp_source::header;
    auto out = with_groups(alice, p.table.get());
    ASSERT_TRUE(out);
    EXPECT_EQ(out->user, "ALICE");
    EXPECT_EQ(out->source, core::corp_source::header);
    EXPECT_EQ(out->groups, (std::vector<std::string>{"contractors"}));
    EXPECT_TRUE(alice->groups.empty());  // the shared original is untouched
    auto carol = std::make_shared<core::corp_identity>();
    carol->user = "carol";
    EXPECT_EQ(with_groups(carol, p.table.get()), carol);
    EXPECT_EQ(with_groups(alice, nullptr), alice);
    EXPECT_EQ(with_groups(nullptr, p.table.get()), nullptr);
}

TEST(groups, a_bad_file_is_refused_whole) {
    for (const char* bad :
         {"", "[]", R"({"alice": "contractors"})", R"({"alice": [1]})", R"({"alice": [""]})",
          R"({"al ice": []})", R"({"a": ["x\u0001"]})", R"({"alice": [], "ALICE": []})"}) {
        auto p = parse_groups(bad);
        EXPECT_FALSE(p.problem.empty()) << bad;
        EXPECT_FALSE(p.table) << bad;
    }
    EXPECT_FALSE(read_groups("/nonexistent-cg/groups.json").problem.empty());
}

}  // namespace
}  // namespace consolegate::identity
