#include "consolegate/core/ids.hpp"

#include <gtest/gtest.h>

namespace cc = consolegate::core;

TEST(account_id, keeps_leading_zeros) {
    auto a = cc::account_id::parse("012345678901");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->str(), "012345678901");
    EXPECT_EQ(a->value(), 12345678901u);
    EXPECT_EQ(cc::account_id::from_number(7)->str(), "000000000007");
}

TEST(account_id, rejects_wrong_lengths_and_characters) {
    for (const char* bad : {"", "12345678901", "1234567890123", "12345678901a", " 12345678901",
                            "+12345678901", "-12345678901", "1234 5678901"}) {
        EXPECT_FALSE(cc::account_id::parse(bad)) << bad;
    }
    EXPECT_FALSE(cc::account_id::from_number(1'000'000'000'000ULL));
}

// IAM CreateAccountAlias: 3-63 of [a-z0-9-], no '-' at either end, never two in a row.
TEST(account_alias, is_what_iam_allows) {
    for (const char* ok : {"abc", "acme-prod", "1234-5678-9012", "a1-b2-c3",
                           "a23456789012345678901234567890123456789012345678901234567890123"}) {
        EXPECT_TRUE(cc::is_account_alias(ok)) << ok;
    }
    for (const char* bad :
         {"", "ab", "-acme", "acme-", "acme--prod", "-111122223333", "Acme", "acme_prod",
          "acme prod", "a234567890123456789012345678901234567890123456789012345678901234"}) {
        EXPECT_FALSE(cc::is_account_alias(bad)) << bad;
    }
}

TEST(org_ids, shapes) {
    EXPECT_TRUE(cc::is_org_id("o-a1b2c3d4e5"));
    EXPECT_FALSE(cc::is_org_id("o-a1b2c3d4e"));   // 9 chars
    EXPECT_FALSE(cc::is_org_id("o-A1B2C3D4E5"));  // upper case
    EXPECT_TRUE(cc::is_root_id("r-ab12"));
    EXPECT_FALSE(cc::is_root_id("r-ab1"));
    EXPECT_TRUE(cc::is_ou_id("ou-ab12-11111111"));
    EXPECT_FALSE(cc::is_ou_id("ou-ab12-1111111"));  // 7 chars after the dash
    EXPECT_FALSE(cc::is_ou_id("ou-ab1211111111"));
}
