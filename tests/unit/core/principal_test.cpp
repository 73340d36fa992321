#include "consolegate/core/principal.hpp"

#include <gtest/gtest.h>

namespace cc = consolegate::core;

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
