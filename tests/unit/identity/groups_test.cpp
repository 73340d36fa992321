// The groups file: user -> groups, users found case-insensitively, a bad file refused whole.

#include "consolegate/identity/groups.hpp"

#include <gtest/gtest.h>

#include <algorithm>

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

// A site user (identity.realms) is one person however an identity source spells them: Kerberos
// on the proxy listener says alice@CORP.EXAMPLE, the address map on the SNI listener CORP\alice
// or alice. The groups of every spelling the file lists are theirs, so the listener a person
// picks never decides whether a deny on their group reaches them. Another realm's alice is not
// the site's; without realms nothing is equated.
TEST(groups, a_site_user_gets_the_groups_of_every_spelling_the_file_lists) {
    auto p = parse_groups(R"({"alice@CORP.EXAMPLE": ["contractors"], "CORP\\alice": ["vpn"],
                               "bob": ["admins"]})");
    ASSERT_TRUE(p.table) << p.problem;
    const std::vector<std::string> realms{"CORP.EXAMPLE", "CORP"};
    auto who = [](const char* user) {
        auto id = std::make_shared<core::corp_identity>();
        id->user = user;
        id->source = core::corp_source::address_map;
        return std::shared_ptr<const core::corp_identity>(id);
    };
    using groups = std::vector<std::string>;
    for (const char* spelling :
         {"alice@CORP.EXAMPLE", "CORP\\alice", "alice", "ALICE@corp.example", "corp\\Alice"}) {
        auto out = with_groups(who(spelling), p.table.get(), realms);
        auto got = out->groups;
        std::sort(got.begin(), got.end());
        EXPECT_EQ(got, (groups{"contractors", "vpn"})) << spelling;
        EXPECT_EQ(out->user, spelling);  // as established
    }
    EXPECT_EQ(with_groups(who("bob@CORP.EXAMPLE"), p.table.get(), realms)->groups,
              groups{"admins"});
    EXPECT_EQ(with_groups(who("CORP\\bob"), p.table.get(), realms)->groups, groups{"admins"});
    for (const char* other : {"alice@PARTNER.EXAMPLE", "PARTNER\\alice", "bob@PARTNER.EXAMPLE"}) {
        auto in = who(other);
        EXPECT_EQ(with_groups(in, p.table.get(), realms), in) << other;
    }
    // Without realms, each spelling has only its own groups, as before.
    EXPECT_EQ(with_groups(who("CORP\\alice"), p.table.get())->groups, groups{"vpn"});
    auto bare = who("alice");
    EXPECT_EQ(with_groups(bare, p.table.get()), bare);
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
