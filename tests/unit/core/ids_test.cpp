#include "consolegate/core/ids.hpp"

#include <gtest/gtest.h>

#include "consolegate/core/address.hpp"
#include "consolegate/core/principal.hpp"

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

TEST(principal, parses_assumed_identity_center_role) {
    auto p = cc::parse_arn(
        "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_AdminAccess_0123456789abcdef/alice");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->kind, cc::principal_kind::assumed_role);
    EXPECT_EQ(p->account.str(), "111122223333");
    EXPECT_EQ(p->role_name, "AWSReservedSSO_AdminAccess_0123456789abcdef");
    EXPECT_EQ(p->permission_set, "AdminAccess");
    EXPECT_EQ(p->session_name, "alice");
}

TEST(principal, role_path_and_underscored_permission_set) {
    auto p = cc::parse_arn(
        "arn:aws:iam::000011112222:role/aws-reserved/sso.amazonaws.com/eu-west-1/"
        "AWSReservedSSO_Read_Only_fedcba9876543210");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->kind, cc::principal_kind::role);
    EXPECT_EQ(p->permission_set, "Read_Only");
    EXPECT_EQ(cc::permission_set_of("AWSReservedSSO_X_0123456789ABCDEF"), "");  // hex is lower
    EXPECT_EQ(cc::permission_set_of("Admin"), "");
}

TEST(principal, rejects_malformed) {
    for (const char* bad :
         {"", "arn:aws:iam::12345678901:root", "arn:aws:s3:::bucket",
          "arn:aws:iam:us-east-1:111122223333:role/x", "arn:aws:iam::111122223333:role/",
          "arn:aws:sts::111122223333:assumed-role/r", "arn:foo:iam::111122223333:root"}) {
        EXPECT_FALSE(cc::parse_arn(bad)) << bad;
    }
}

TEST(cidr, matching_and_host_bits) {
    auto c = cc::cidr::parse("10.20.0.0/16");
    ASSERT_TRUE(c);
    EXPECT_TRUE(c->contains(*cc::ip_address::parse("10.20.255.1")));
    EXPECT_FALSE(c->contains(*cc::ip_address::parse("10.21.0.1")));
    EXPECT_FALSE(c->contains(*cc::ip_address::parse("::1")));
    EXPECT_FALSE(cc::cidr::parse("10.20.1.0/16"));  // host bits set
    EXPECT_FALSE(cc::cidr::parse("10.0.0.0/33"));
    auto v6 = cc::cidr::parse("2001:db8::/32");
    ASSERT_TRUE(v6);
    EXPECT_TRUE(v6->contains(*cc::ip_address::parse("2001:db8:1::5")));
    EXPECT_EQ(v6->str(), "2001:db8::/32");
    EXPECT_EQ(cc::cidr::parse("0.0.0.0/0")->str(), "0.0.0.0/0");
    EXPECT_TRUE(cc::cidr::parse("0.0.0.0/0")->contains(*cc::ip_address::parse("192.0.2.1")));
}
