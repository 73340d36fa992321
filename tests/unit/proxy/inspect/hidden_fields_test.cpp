// Sign-in fields where some reader finds them and the inspector did not look (session 10): other
// spellings of the access portal's federation fields, fields a reader that percent-decodes
// before it splits finds inside another value, and path parameters. Each is judged, and a
// request that reads two ways is refused as ambiguous (docs/inspection.md).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "consolegate/inspect/inspector.hpp"
#include "request_view.hpp"

namespace ci = consolegate::inspect;
namespace core = consolegate::core;

namespace {

using consolegate::inspect::testing::request;

bool all_ambiguous(const std::vector<core::sign_in_attempt>& a) {
    return !a.empty() && std::all_of(a.begin(), a.end(), [](const core::sign_in_attempt& x) {
        return x.ambiguous_identity && !x.parse_error.empty();
    });
}

bool names_account(const std::vector<core::sign_in_attempt>& a, const char* account) {
    return std::any_of(a.begin(), a.end(), [&](const core::sign_in_attempt& x) {
        return x.account && x.account->str() == account;
    });
}

}  // namespace

// The portal's federation fields under the spellings a lenient reader maps to them (camelCase as
// GetRoleCredentials names them, kebab-case): one field each. Before, only account_id and
// role_name were read: a second account in accountId passed unseen beside an allowed account_id,
// and accountId alone was refused as naming no account.
TEST(hidden_fields, the_portals_fields_are_read_in_every_spelling_as_one_field) {
    constexpr const char* host = "portal.sso.us-east-1.amazonaws.com";
    for (const char* target : {
             "/federation/credentials?account_id=111122223333&role_name=ReadOnly"
             "&accountId=444455556666",
             "/federation/console?accountId=111122223333&roleName=ReadOnly"
             "&account-id=444455556666",
             "/federation/credentials?account_id=111122223333&role_name=ReadOnly&roleName=Admin",
         }) {
        SCOPED_TRACE(target);
        auto a = ci::inspect(request("GET", host, target), {});
        EXPECT_TRUE(all_ambiguous(a));
        EXPECT_TRUE(names_account(a, "111122223333"));
    }
    for (const char* target : {"/federation/credentials?accountId=444455556666&roleName=ReadOnly",
                               "/federation/credentials?account-id=444455556666&role-name=ReadOnly",
                               "/federation/credentials?ACCOUNTID=444455556666&RoleName=ReadOnly",
                               "/federation/credentials?account_id=444455556666&accountId="
                               "444455556666&roleName=ReadOnly"}) {
        SCOPED_TRACE(target);
        auto a = ci::inspect(request("GET", host, target), {});
        ASSERT_EQ(a.size(), 1u);
        EXPECT_EQ(a[0].flow, core::sign_in_flow::identity_center);
        EXPECT_EQ(a[0].parse_error, "");
        EXPECT_TRUE(names_account(a, "444455556666"));
        EXPECT_EQ(a[0].permission_set, "ReadOnly");
        EXPECT_TRUE(a[0].portal_credentials);
    }
}
