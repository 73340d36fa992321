#include "consolegate/core/policy.hpp"

#include <gtest/gtest.h>

#include <cctype>

#include "consolegate/core/principal.hpp"

namespace cc = consolegate::core;
using namespace std::chrono_literals;

namespace {

constexpr const char* org = "o-a1b2c3d4e5";
constexpr const char* root_path = "o-a1b2c3d4e5/r-ab12/";
constexpr const char* workloads = "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/";
constexpr const char* prod = "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-ab12-22222222/";
constexpr const char* sandbox = "o-a1b2c3d4e5/r-ab12/ou-ab12-33333333/";
// Shares "ou-ab12-11111111" as a prefix with Workloads: must never be taken for it.
constexpr const char* suspended = "o-a1b2c3d4e5/r-ab12/ou-ab12-111111111/";

cc::account_id aid(const char* s) {
    return *cc::account_id::parse(s);
}
cc::cidr net(const char* s) {
    return *cc::cidr::parse(s);
}
std::chrono::system_clock::time_point at(const char* iso) {
    return *cc::parse_iso8601(iso);
}

cc::rule_config rule(const char* name, cc::rule_effect e) {
    cc::rule_config r;
    r.name = name;
    r.effect = e;
    return r;
}

enum class variant {
    base,
    global_report_only,
    ams_off,
    ams_block,
    ams_block_unless_elevated,
    ams_block_unless_elevated_any_for_account,
    unknown_account_denied
};

cc::policy_config config(variant v) {
    using E = cc::rule_effect;
    cc::policy_config c;
    c.org_id = org;
    c.accounts = {
        {aid("012345678901"), "payments-prod", prod},  // leading zero
        {aid("111122223333"), "data-prod", prod},
        {aid("222233334444"), "workloads-shared", workloads},
        {aid("444455556666"), "sandbox", sandbox},
        {aid("555566667777"), "suspended", suspended},
        {aid("666677778888"), "management", root_path},
    };
    c.aliases = {{"payments-prod", aid("012345678901")}, {"mgmt", aid("666677778888")}};

    auto r1 = rule("deny-suspended", E::deny);
    r1.ou_paths = {std::string(suspended) + "*"};
    auto r2 = rule("sandbox-all", E::allow);
    r2.ou_paths = {sandbox};
    auto r3 = rule("workloads-readonly", E::allow);
    r3.ou_paths = {std::string(workloads) + "*"};
    r3.roles = {"ReadOnly*", "ViewOnlyAccess"};
    auto r4 = rule("prod-admin-elevated", E::allow_with_elevation);
    r4.ou_paths = {prod};
    r4.roles = {"AdministratorAccess"};
    auto r5 = rule("workloads-direct-developer", E::allow);
    r5.ou_paths = {workloads};  // directly in Workloads only, not Prod
    r5.roles = {"Developer"};
    auto r6 = rule("contractors-sandbox-only", E::deny);
    r6.org_ids = {org};
    r6.ou_paths = {std::string(workloads) + "*", root_path};
    r6.client_networks = {net("10.66.0.0/16")};
    auto r7 = rule("no-breakglass-users", E::deny);
    r7.users = {"breakglass*"};
    auto r8 = rule("no-admin-in-management", E::deny);
    r8.accounts = {aid("666677778888")};
    r8.roles = {"*Admin*"};
    auto r9 = rule("management-billing", E::allow);
    r9.accounts = {aid("666677778888")};
    r9.roles = {"Billing"};
    auto r10 = rule("try-deny-interns-in-shared", E::deny);
    r10.report_only = true;
    r10.accounts = {aid("222233334444")};
    r10.users = {"intern*"};
    auto r11 = rule("no-root-from-guest-wifi", E::deny);
    r11.flows = {cc::sign_in_flow::root};
    r11.client_networks = {net("192.168.77.0/24")};
    auto r12 = rule("try-elevation-for-data-readonly", E::allow_with_elevation);
    r12.report_only = true;
    r12.accounts = {aid("111122223333")};
    r12.roles = {"ReadOnlyAccess"};
    auto r13 = rule("partner-account", E::allow);
    r13.accounts = {aid("777777777777")};  // outside the org export
    r13.flows = {cc::sign_in_flow::switch_role};
    auto r14 = rule("try-allow-unknown", E::allow);
    r14.report_only = true;
    r14.accounts = {aid("999999999999")};
    auto r15 = rule("try-deny-sandbox-saml", E::deny);
    r15.report_only = true;
    r15.ou_paths = {sandbox};
    r15.flows = {cc::sign_in_flow::saml};
    auto r16 = rule("deny-sandbox-saml-from-lab", E::deny);
    r16.ou_paths = {sandbox};
    r16.flows = {cc::sign_in_flow::saml};
    r16.client_networks = {net("10.99.0.0/16")};
    auto r17 = rule("org-only-by-id", E::allow);
    r17.org_ids = {"o-zzzzzzzzzz"};  // another organization: matches none of ours
    c.rules = {r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11, r12, r13, r14, r15, r16, r17};

    switch (v) {
        case variant::base: break;
        case variant::global_report_only: c.report_only = true; break;
        case variant::ams_off:
            c.ams_change_types = cc::guard_action::off;
            c.ams_reserved_roles = cc::guard_action::off;
            break;
        case variant::ams_block:
            c.ams_change_types = cc::guard_action::block;
            c.ams_reserved_roles = cc::guard_action::block;
            break;
        case variant::ams_block_unless_elevated:
            c.ams_change_types = cc::guard_action::block_unless_elevated;
            c.ams_reserved_roles = cc::guard_action::block_unless_elevated;
            break;
        case variant::ams_block_unless_elevated_any_for_account:
            c.ams_change_types = cc::guard_action::block_unless_elevated;
            c.ams_reserved_roles = cc::guard_action::block_unless_elevated;
            c.ams_elevation = cc::ams_elevation_scope::any_for_account;
            break;
        case variant::unknown_account_denied: c.allow_unknown_account_pre_auth = false; break;
    }
    return c;
}

cc::elevation_set elevations() {
    auto r = [](const char* user, const char* account, const char* ps) {
        cc::elevation_record e;
        e.user = user;
        e.account = aid(account);
        e.permission_set = ps;
        e.status = "in progress";
        e.start = at("2026-11-23T08:00:00Z");
        e.duration_hours = 2;
        return e;
    };
    return cc::elevation_set({r("alice@example.com", "012345678901", "AdministratorAccess"),
                              r("alice@example.com", "111122223333", "ReadOnlyAccess"),
                              r("ops@example.com", "222233334444", "AMSAdmin")});
}

enum class feed { fresh, stale };

struct row {
    const char* label;
    variant config = variant::base;
    // attempt
    cc::sign_in_flow flow = cc::sign_in_flow::identity_center;
    cc::auth_phase phase = cc::auth_phase::pre_auth;
    const char* account = "";
    const char* alias = "";
    const char* role = "";
    const char* permission_set = "";
    const char* user = "";
    // The Identity Center user the pipeline established (portal token, corporate mapping).
    const char* idc_user = "";
    bool portal_credentials = false;  // /federation/credentials
    const char* client = "10.1.2.3";
    const char* change_type = "";
    const char* parse_error = "";
    feed elevation_feed = feed::fresh;
    const char* now = "2026-11-23T09:00:00Z";
    // expected
    cc::effect verdict = cc::effect::deny;
    cc::reason why = cc::reason::default_deny;
    const char* rule = "";
    bool report_only = false;
    bool flagged = false;
};

std::ostream& operator<<(std::ostream& os, const row& r) {
    return os << r.label;
}

class policy_table : public ::testing::TestWithParam<row> {};

// An IdC attempt: role_name is the permission set name (portal federation), as the inspector
// reports it.
row idc(const char* label, const char* account, const char* ps, const char* user) {
    row r;
    r.label = label;
    r.account = account;
    r.role = ps;
    r.permission_set = ps;
    r.user = user;
    return r;
}

template <class F>
row with(row r, F f) {
    f(r);
    return r;
}

using F = cc::sign_in_flow;
using P = cc::auth_phase;
using R = cc::reason;
constexpr auto allow = cc::effect::allow;
constexpr auto deny = cc::effect::deny;

}  // namespace

TEST_P(policy_table, decides) {
    const auto& r = GetParam();
    cc::compiled_policy policy(config(r.config));
    static const auto set = elevations();
    auto view = r.elevation_feed == feed::fresh ? cc::elevation_view::of(set)
                                                : cc::elevation_view::unavailable();
    cc::sign_in_attempt a;
    a.flow = r.flow;
    a.phase = r.phase;
    if (*r.account) a.account = aid(r.account);
    a.alias = r.alias;
    a.role_name = r.role;
    a.permission_set = r.permission_set;
    a.user = r.user;
    a.idc_user = r.idc_user;
    a.portal_credentials = r.portal_credentials;
    a.client = *cc::ip_address::parse(r.client);
    a.change_type = r.change_type;
    a.parse_error = r.parse_error;
    auto d = cc::evaluate(a, policy, view, at(r.now));
    EXPECT_EQ(cc::to_string(d.verdict), cc::to_string(r.verdict));
    EXPECT_EQ(cc::to_string(d.why), cc::to_string(r.why));
    EXPECT_EQ(d.rule, r.rule);
    EXPECT_EQ(d.report_only, r.report_only);
    EXPECT_EQ(d.flagged, r.flagged);
    // What the gateway does follows from the two.
    EXPECT_EQ(d.enforced(), r.report_only ? allow : r.verdict);
}

INSTANTIATE_TEST_SUITE_P(
    semantics, policy_table,
    ::testing::Values(
        // --- OU paths: direct vs descendants, shared prefixes, leading zeros ---
        with(idc("sandbox direct member allowed", "444455556666", "Anything", "u"),
             [](row& r) { r.verdict = allow, r.why = R::rule_allow, r.rule = "sandbox-all"; }),
        with(idc("descendant via /* allowed", "012345678901", "ReadOnlyAccess", "u"),
             [](row& r) {
                 r.verdict = allow, r.why = R::rule_allow, r.rule = "workloads-readonly";
             }),
        with(idc("exact path excludes nested OU", "111122223333", "Developer", "u"), [](row&) {}),
        with(idc("exact path includes direct member", "222233334444", "Developer", "u"),
             [](row& r) {
                 r.verdict = allow, r.why = R::rule_allow, r.rule = "workloads-direct-developer";
             }),
        with(idc("prefix-sharing OU: not Workloads", "555566667777", "ReadOnlyAccess", "u"),
             [](row& r) { r.why = R::rule_deny, r.rule = "deny-suspended"; }),
        with(idc("leading-zero account keeps its identity", "012345678901", "ViewOnlyAccess", "u"),
             [](row& r) {
                 r.verdict = allow, r.why = R::rule_allow, r.rule = "workloads-readonly";
             }),
        with(idc("account outside the org export: default deny", "999999999999", "ReadOnly", "u"),
             [](row&) {}),
        with(idc("outside the export but named by a rule", "777777777777", "Any", "u"),
             [](row& r) {
                 r.flow = F::switch_role, r.verdict = allow, r.why = R::rule_allow,
                 r.rule = "partner-account";
             }),
        with(idc("named rule's flow selector still applies", "777777777777", "Any", "u"),
             [](row&) {}),
        // --- globs and case ---
        with(idc("grant role glob is case-sensitive", "012345678901", "readonlyaccess", "u"),
             [](row&) {}),
        with(idc("deny role glob is case-insensitive", "666677778888", "ADMINISTRATORACCESS", "u"),
             [](row& r) { r.why = R::rule_deny, r.rule = "no-admin-in-management"; }),
        with(idc("allow next to a non-matching deny", "666677778888", "Billing", "u"),
             [](row& r) {
                 r.verdict = allow, r.why = R::rule_allow, r.rule = "management-billing";
             }),
        with(idc("user glob is case-insensitive", "444455556666", "X", "BreakGlass-1"),
             [](row& r) { r.why = R::rule_deny, r.rule = "no-breakglass-users"; }),
        with(idc("role from ARN role name or permission set", "012345678901", "", "u"),
             [](row& r) {
                 r.role = "AWSReservedSSO_ReadOnlyAccess_0123456789abcdef";
                 r.permission_set = "ReadOnlyAccess";
                 r.verdict = allow, r.why = R::rule_allow, r.rule = "workloads-readonly";
             }),
        with(idc("no role yet: role-selected allow does not match", "012345678901", "", "u"),
             [](row&) {}),
        // --- explicit deny wins; client networks ---
        with(idc("contractor VLAN cannot reach Workloads", "012345678901", "ReadOnlyAccess", "u"),
             [](row& r) {
                 r.client = "10.66.4.5";
                 r.why = R::rule_deny, r.rule = "contractors-sandbox-only";
             }),
        with(idc("contractor VLAN reaches the sandbox", "444455556666", "X", "u"),
             [](row& r) {
                 r.client = "10.66.4.5";
                 r.verdict = allow, r.why = R::rule_allow, r.rule = "sandbox-all";
             }),
        with(idc("IPv6 client outside the VLAN", "012345678901", "ReadOnlyAccess", "u"),
             [](row& r) {
                 r.client = "2001:db8::1";
                 r.verdict = allow, r.why = R::rule_allow, r.rule = "workloads-readonly";
             }),
        with(idc("org selector of another org matches nothing", "666677778888", "Other", "u"),
             [](row&) {}),
        // --- elevation ---
        with(idc("elevated", "012345678901", "AdministratorAccess", "alice@example.com"),
             [](row& r) {
                 r.verdict = allow, r.why = R::elevation_active, r.rule = "prod-admin-elevated";
             }),
        with(idc("elevated, user case-insensitive", "012345678901", "AdministratorAccess",
                 "Alice@Example.COM"),
             [](row& r) {
                 r.verdict = allow, r.why = R::elevation_active, r.rule = "prod-admin-elevated";
             }),
        with(idc("elevation window: exactly at start", "012345678901", "AdministratorAccess",
                 "alice@example.com"),
             [](row& r) {
                 r.now = "2026-11-23T08:00:00Z";
                 r.verdict = allow, r.why = R::elevation_active, r.rule = "prod-admin-elevated";
             }),
        // Issue 13: no grace at the end; an elevation that just ended reads "expired".
        with(idc("elevation window: exactly at end", "012345678901", "AdministratorAccess",
                 "alice@example.com"),
             [](row& r) {
                 r.now = "2026-11-23T10:00:00Z";
                 r.why = R::elevation_expired, r.rule = "prod-admin-elevated";
             }),
        with(idc("portal link names no user: someone is elevated for it", "012345678901",
                 "AdministratorAccess", ""),
             [](row& r) {
                 r.verdict = allow, r.why = R::elevation_active, r.rule = "prod-admin-elevated";
             }),
        // Issue 13: with nobody to name, never "you hold none" (elevation-missing).
        with(idc("portal link names no user: nobody elevated at that time", "012345678901",
                 "AdministratorAccess", ""),
             [](row& r) {
                 r.now = "2026-11-23T10:00:00Z";
                 r.why = R::elevation_user_unknown, r.rule = "prod-admin-elevated";
             }),
        with(idc("portal link names no user: elevated for another account only", "111122223333",
                 "AdministratorAccess", ""),
             [](row& r) { r.why = R::elevation_user_unknown, r.rule = "prod-admin-elevated"; }),
        // --- the portal's user (issue 13 point 4): idc_user from the token or the mapping ---
        with(idc("portal credentials: the token's user is elevated", "012345678901",
                 "AdministratorAccess", ""),
             [](row& r) {
                 r.idc_user = "Alice@Example.com", r.portal_credentials = true;
                 r.verdict = allow, r.why = R::elevation_active, r.rule = "prod-admin-elevated";
             }),
        with(idc("portal credentials: the token's user is not, while another is", "012345678901",
                 "AdministratorAccess", ""),
             [](row& r) {
                 r.idc_user = "bob@example.com", r.portal_credentials = true;
                 r.why = R::elevation_missing, r.rule = "prod-admin-elevated";
             }),
        with(idc("portal credentials: nobody named while another is elevated", "012345678901",
                 "AdministratorAccess", ""),
             [](row& r) {
                 r.portal_credentials = true;
                 r.why = R::elevation_user_unknown, r.rule = "prod-admin-elevated";
             }),
        with(idc("portal console with a user: that user, not anyone", "012345678901",
                 "AdministratorAccess", ""),
             [](row& r) {
                 r.idc_user = "bob@example.com";
                 r.why = R::elevation_missing, r.rule = "prod-admin-elevated";
             }),
        with(idc("portal credentials: the user's elevation ran out", "012345678901",
                 "AdministratorAccess", ""),
             [](row& r) {
                 r.idc_user = "alice@example.com", r.portal_credentials = true;
                 r.now = "2026-11-23T10:30:00Z";
                 r.why = R::elevation_expired, r.rule = "prod-admin-elevated";
             }),
        with(idc("the attempt's own user beats idc_user", "012345678901", "AdministratorAccess",
                 "bob@example.com"),
             [](row& r) {
                 r.idc_user = "alice@example.com";
                 r.why = R::elevation_missing, r.rule = "prod-admin-elevated";
             }),
        // users selectors see the same user TEAM is matched on: a deny on a user reaches the
        // portal's /federation/credentials, whose keys the gateway never sees again.
        with(idc("users deny reaches the portal's user", "444455556666", "Anything", ""),
             [](row& r) {
                 r.idc_user = "BreakGlass-7", r.portal_credentials = true;
                 r.why = R::rule_deny, r.rule = "no-breakglass-users";
             }),
        with(idc("users selectors: the attempt's own user beats idc_user", "444455556666",
                 "Anything", "carol"),
             [](row& r) {
                 r.idc_user = "breakglass-7";
                 r.verdict = allow, r.why = R::rule_allow, r.rule = "sandbox-all";
             }),
        with(idc("report-only users deny reaches the portal's user", "222233334444", "Developer",
                 ""),
             [](row& r) {
                 r.idc_user = "intern-3";
                 r.why = R::rule_deny, r.rule = "try-deny-interns-in-shared", r.report_only = true;
             }),
        with(idc("post-auth: idc_user where the attempt names none", "012345678901",
                 "AdministratorAccess", ""),
             [](row& r) {
                 r.phase = P::post_auth, r.flow = F::api_credentials;
                 r.idc_user = "alice@example.com";
                 r.verdict = allow, r.why = R::elevation_active, r.rule = "prod-admin-elevated";
             }),
        // Nobody named in any phase: strict (never "anyone elevated"), and never "you hold
        // none" (elevation-missing) either: nobody knows who "you" is (docs/team.md "Nobody").
        with(idc("post-auth without a user stays strict", "012345678901", "AdministratorAccess",
                 ""),
             [](row& r) {
                 r.phase = P::post_auth;
                 r.why = R::elevation_user_unknown, r.rule = "prod-admin-elevated";
             }),
        with(idc("session phase without a user: unknown, not missing", "012345678901",
                 "AdministratorAccess", ""),
             [](row& r) {
                 r.phase = P::session, r.flow = F::multi_session;
                 r.why = R::elevation_user_unknown, r.rule = "prod-admin-elevated";
             }),
        with(idc("API key without a user: unknown, not missing", "012345678901",
                 "AdministratorAccess", ""),
             [](row& r) {
                 r.phase = P::post_auth, r.flow = F::api_credentials;
                 r.why = R::elevation_user_unknown, r.rule = "prod-admin-elevated";
             }),
        // "Anyone elevated" is the portal's /federation/console alone (policy.
        // portal_console_without_user): a switch-role link naming the Identity Center role of
        // someone else's elevation is not let through on it.
        with(idc("switch role to an elevated IdC role, no user: not anyone-elevated",
                 "012345678901", "AdministratorAccess", ""),
             [](row& r) {
                 r.flow = F::switch_role;
                 r.role = "AWSReservedSSO_AdministratorAccess_0123456789abcdef";
                 r.why = R::elevation_user_unknown, r.rule = "prod-admin-elevated";
             }),
        with(idc("SAML to an elevated IdC role, no session name: not anyone-elevated",
                 "012345678901", "AdministratorAccess", ""),
             [](row& r) {
                 r.flow = F::saml;
                 r.role = "AWSReservedSSO_AdministratorAccess_0123456789abcdef";
                 r.why = R::elevation_user_unknown, r.rule = "prod-admin-elevated";
             }),
        with(idc("not elevated: another user", "012345678901", "AdministratorAccess",
                 "bob@example.com"),
             [](row& r) { r.why = R::elevation_missing, r.rule = "prod-admin-elevated"; }),
        with(idc("not elevated: another account", "111122223333", "AdministratorAccess",
                 "alice@example.com"),
             [](row& r) { r.why = R::elevation_missing, r.rule = "prod-admin-elevated"; }),
        with(idc("feed stale", "012345678901", "AdministratorAccess", "alice@example.com"),
             [](row& r) {
                 r.elevation_feed = feed::stale;
                 r.why = R::elevation_feed_stale, r.rule = "prod-admin-elevated";
             }),
        with(idc("stale feed does not touch plain allows", "012345678901", "ReadOnlyAccess", "u"),
             [](row& r) {
                 r.elevation_feed = feed::stale;
                 r.verdict = allow, r.why = R::rule_allow, r.rule = "workloads-readonly";
             }),
        with(idc("deny beats an active elevation", "012345678901", "AdministratorAccess",
                 "alice@example.com"),
             [](row& r) {
                 r.client = "10.66.0.1";
                 r.why = R::rule_deny, r.rule = "contractors-sandbox-only";
             }),
        // --- aliases, unknown accounts, unparsable ---
        with(idc("alias resolved", "", "ReadOnlyAccess", "u"),
             [](row& r) {
                 r.flow = F::iam_user, r.alias = "Payments-Prod";
                 r.verdict = allow, r.why = R::rule_allow, r.rule = "workloads-readonly";
             }),
        with(idc("unknown alias", "", "ReadOnlyAccess", "u"),
             [](row& r) {
                 r.flow = F::iam_user, r.alias = "payments-prod-2", r.why = R::unknown_alias;
             }),
        with(idc("root pre-auth: unknown account allowed", "", "", "root@example.com"),
             [](row& r) { r.flow = F::root, r.verdict = allow, r.why = R::unknown_account; }),
        with(idc("root pre-auth, unknown accounts not allowed", "", "", "root@example.com"),
             [](row& r) {
                 r.config = variant::unknown_account_denied;
                 r.flow = F::root, r.why = R::no_account;
             }),
        with(idc("no account post-auth", "", "", "u"),
             [](row& r) {
                 r.flow = F::console_session, r.phase = P::post_auth, r.why = R::no_account;
             }),
        with(idc("account-less deny rule applies to root pre-auth", "", "", "root@example.com"),
             [](row& r) {
                 r.flow = F::root, r.client = "192.168.77.10";
                 r.why = R::rule_deny, r.rule = "no-root-from-guest-wifi";
             }),
        with(idc("unparsable: no rule can allow", "444455556666", "X", "u"),
             [](row& r) {
                 r.parse_error = "SAMLResponse: bad base64", r.why = R::unparsable_request;
             }),
        // --- report-only ---
        with(idc("report-only deny over an enforcing allow: logged, not enforced", "222233334444",
                 "Developer", "intern-kim"),
             [](row& r) {
                 r.why = R::rule_deny, r.rule = "try-deny-interns-in-shared";
                 r.report_only = true;
             }),
        with(idc("report-only deny does not hide an enforcing deny", "222233334444", "Developer",
                 "intern-kim"),
             [](row& r) {
                 r.client = "10.66.1.1";
                 r.why = R::rule_deny, r.rule = "contractors-sandbox-only";
             }),
        with(idc("report-only deny on an already default-denied attempt", "222233334444", "Other",
                 "intern-kim"),
             [](row&) {}),
        with(idc("report-only allow never shows on an enforced deny", "999999999999", "X", "u"),
             [](row&) {}),
        with(idc("report-only elevation rule: would need elevation", "111122223333",
                 "ReadOnlyAccess", "bob@example.com"),
             [](row& r) {
                 r.why = R::elevation_missing, r.rule = "try-elevation-for-data-readonly";
                 r.report_only = true;
             }),
        with(idc("report-only elevation rule satisfied: plain enforcing allow", "111122223333",
                 "ReadOnlyAccess", "alice@example.com"),
             [](row& r) {
                 r.verdict = allow, r.why = R::rule_allow, r.rule = "workloads-readonly";
             }),
        with(idc("report-only and enforcing deny both match: enforcing named", "444455556666", "X",
                 "u"),
             [](row& r) {
                 r.flow = F::saml, r.client = "10.99.0.7";
                 r.why = R::rule_deny, r.rule = "deny-sandbox-saml-from-lab";
             }),
        with(idc("report-only deny in the sandbox", "444455556666", "X", "u"),
             [](row& r) {
                 r.flow = F::saml;
                 r.why = R::rule_deny, r.rule = "try-deny-sandbox-saml", r.report_only = true;
             }),
        with(idc("global report-only: deny is logged only", "999999999999", "X", "u"),
             [](row& r) { r.config = variant::global_report_only, r.report_only = true; }),
        with(idc("global report-only: allow stays allow", "444455556666", "X", "u"),
             [](row& r) {
                 r.config = variant::global_report_only;
                 r.verdict = allow, r.why = R::rule_allow, r.rule = "sandbox-all";
                 r.report_only = true;
             }),
        with(idc("global report-only covers unparsable too", "444455556666", "X", "u"),
             [](row& r) {
                 r.config = variant::global_report_only, r.parse_error = "cap";
                 r.why = R::unparsable_request, r.report_only = true;
             }),
        // --- AMS guardrails ---
        with(idc("AMS change flagged (default)", "444455556666", "X", "u"),
             [](row& r) {
                 r.flow = F::ams_change, r.change_type = "ct-1opjmhuddw194";
                 r.verdict = allow, r.why = R::rule_allow, r.rule = "sandbox-all", r.flagged = true;
             }),
        with(idc("AMS change of an unguarded type: not flagged", "444455556666", "X", "u"),
             [](row& r) {
                 r.flow = F::ams_change, r.change_type = "ct-0000000000000";
                 r.verdict = allow, r.why = R::rule_allow, r.rule = "sandbox-all";
             }),
        with(idc("AMS change guard off", "444455556666", "X", "u"),
             [](row& r) {
                 r.config = variant::ams_off;
                 r.flow = F::ams_change, r.change_type = "ct-3rd4781c2nnhp";
                 r.verdict = allow, r.why = R::rule_allow, r.rule = "sandbox-all";
             }),
        with(idc("AMS change blocked", "444455556666", "X", "u"),
             [](row& r) {
                 r.config = variant::ams_block;
                 r.flow = F::ams_change, r.change_type = "CT-3RD4781C2NNHP";
                 r.why = R::ams_guarded_change;
             }),
        with(idc("AMS reserved role flagged", "444455556666", "AWSManagedServicesAdminRole", "u"),
             [](row& r) {
                 r.verdict = allow, r.why = R::rule_allow, r.rule = "sandbox-all", r.flagged = true;
             }),
        with(idc("AMS reserved role blocked, any case", "444455556666", "AMS-access-admin", "u"),
             [](row& r) { r.config = variant::ams_block, r.why = R::ams_reserved_role; }),
        with(idc("AMS reserved role unless elevated: not elevated", "444455556666", "ams-x", "u"),
             [](row& r) {
                 r.config = variant::ams_block_unless_elevated, r.why = R::ams_reserved_role;
             }),
        with(idc("AMS unless elevated: feed stale", "444455556666", "ams-x", "u"),
             [](row& r) {
                 r.config = variant::ams_block_unless_elevated, r.elevation_feed = feed::stale;
                 r.why = R::elevation_feed_stale;
             }),
        with(idc("AMS unless elevated: elevated, then the rules decide", "222233334444", "AMSAdmin",
                 "ops@example.com"),
             [](row& r) { r.config = variant::ams_block_unless_elevated; }),
        // --- AMS: what elevated means (policy.ams.elevation, issue 13 point 7) ---
        // alice is elevated in 012345678901 for AdministratorAccess only.
        with(idc("AMS change, same permission set: elevated for another one", "012345678901",
                 "ReadOnlyAccess", "alice@example.com"),
             [](row& r) {
                 r.config = variant::ams_block_unless_elevated;
                 r.phase = P::post_auth, r.flow = F::ams_change, r.change_type = "ct-1opjmhuddw194";
                 r.why = R::ams_guarded_change;
             }),
        with(idc("AMS change, any for the account: elevated for another one", "012345678901",
                 "ReadOnlyAccess", "alice@example.com"),
             [](row& r) {
                 r.config = variant::ams_block_unless_elevated_any_for_account;
                 r.phase = P::post_auth, r.flow = F::ams_change, r.change_type = "ct-1opjmhuddw194";
                 r.verdict = allow, r.why = R::rule_allow, r.rule = "workloads-readonly";
             }),
        with(idc("AMS change, any for the account: another user's elevation", "012345678901",
                 "ReadOnlyAccess", "bob@example.com"),
             [](row& r) {
                 r.config = variant::ams_block_unless_elevated_any_for_account;
                 r.phase = P::post_auth, r.flow = F::ams_change, r.change_type = "ct-1opjmhuddw194";
                 r.why = R::ams_guarded_change;
             }),
        with(idc("AMS change, any for the account: elevated in another account only",
                 "222233334444", "ReadOnlyAccess", "alice@example.com"),
             [](row& r) {
                 r.config = variant::ams_block_unless_elevated_any_for_account;
                 r.phase = P::post_auth, r.flow = F::ams_change, r.change_type = "ct-1opjmhuddw194";
                 r.why = R::ams_guarded_change;
             }),
        with(idc("AMS reserved role, same permission set", "012345678901", "", "alice@example.com"),
             [](row& r) {
                 r.config = variant::ams_block_unless_elevated;
                 r.permission_set = "ams-x";
                 r.why = R::ams_reserved_role;
             }),
        with(idc("AMS reserved role, any for the account: guard lifted, rules decide",
                 "012345678901", "", "alice@example.com"),
             [](row& r) {
                 r.config = variant::ams_block_unless_elevated_any_for_account;
                 r.permission_set = "ams-x";
                 r.why = R::default_deny;
             }),
        with(idc("AMS reserved role, any for the account: the portal's user", "012345678901", "",
                 ""),
             [](row& r) {
                 r.config = variant::ams_block_unless_elevated_any_for_account;
                 r.permission_set = "ams-x", r.idc_user = "alice@example.com";
                 r.why = R::default_deny;
             }),
        with(idc("AMS reserved role, any for the account: nobody named", "012345678901", "", ""),
             [](row& r) {
                 r.config = variant::ams_block_unless_elevated_any_for_account;
                 r.permission_set = "ams-x";
                 r.why = R::ams_reserved_role;
             }),
        with(idc("AMS reserved role, any for the account: feed stale", "012345678901", "",
                 "alice@example.com"),
             [](row& r) {
                 r.config = variant::ams_block_unless_elevated_any_for_account;
                 r.permission_set = "ams-x", r.elevation_feed = feed::stale;
                 r.why = R::elevation_feed_stale;
             }),
        with(idc("AMS unless elevated: elevated and allowed", "222233334444", "AMSAdmin",
                 "ops@example.com"),
             [](row& r) {
                 r.config = variant::ams_block_unless_elevated;
                 r.role = "Developer";  // the rules see the role; the guard the permission set
                 r.permission_set = "AMSAdmin";
                 r.verdict = allow, r.why = R::rule_allow, r.rule = "workloads-direct-developer";
             })));

TEST(compiled_policy, candidate_rules_are_pre_resolved_per_account) {
    cc::compiled_policy p(config(variant::base));
    auto names = p.candidate_rules(aid("555566667777"));
    ASSERT_FALSE(names.empty());
    EXPECT_EQ(names.front(), "deny-suspended");
    for (auto n : names) {
        EXPECT_NE(n, "workloads-readonly");  // the prefix-sharing OU never pulls Workloads in
        EXPECT_NE(n, "org-only-by-id");
    }
    auto none = p.candidate_rules(std::nullopt);
    for (auto n : none) EXPECT_NE(n, "sandbox-all");
    EXPECT_EQ(p.resolve_alias("MGMT"), aid("666677778888"));
    EXPECT_FALSE(p.resolve_alias("mgm"));
    EXPECT_EQ(p.org().size(), 6u);
}

TEST(compiled_policy, empty_policy_denies_everything_with_an_account) {
    cc::policy_config c;
    cc::compiled_policy p(c);
    cc::sign_in_attempt a;
    a.account = aid("000000000001");
    auto d = cc::evaluate(a, p, cc::elevation_view::unavailable(), at("2026-11-23T00:00:00Z"));
    EXPECT_EQ(d.verdict, cc::effect::deny);
    EXPECT_EQ(d.why, cc::reason::default_deny);
    EXPECT_EQ(cc::to_string(cc::reason::no_account), "no-account");
    EXPECT_FALSE(cc::describe(cc::reason::no_account).empty());
}

TEST(explain, report_only_deny_keeps_the_enforcing_allow_visible) {
    cc::compiled_policy p(config(variant::base));
    auto set = elevations();
    cc::sign_in_attempt a;
    a.flow = cc::sign_in_flow::identity_center;
    a.account = aid("222233334444");
    a.role_name = a.permission_set = "Developer";
    a.user = "intern-kim";
    auto x = cc::explain(a, p, cc::elevation_view::of(set), at("2026-11-23T09:00:00Z"));
    auto d = cc::evaluate(a, p, cc::elevation_view::of(set), at("2026-11-23T09:00:00Z"));
    EXPECT_EQ(x.result.rule, d.rule);
    EXPECT_EQ(x.result.rule, "try-deny-interns-in-shared");
    EXPECT_TRUE(x.result.report_only);
    EXPECT_EQ(x.enforcing.verdict, cc::effect::allow);
    EXPECT_EQ(x.enforcing.rule, "workloads-direct-developer");
    EXPECT_FALSE(x.enforcing.report_only);
    EXPECT_EQ(x.account, aid("222233334444"));
    EXPECT_EQ(x.matched, (std::vector<std::string>{"workloads-direct-developer",
                                                   "try-deny-interns-in-shared"}));
    EXPECT_GE(x.considered.size(), x.matched.size());
}

TEST(explain, enforcing_deny_lists_every_match_and_early_outcomes_are_their_own_enforcing) {
    cc::compiled_policy p(config(variant::base));
    cc::sign_in_attempt a;
    a.account = aid("012345678901");
    a.role_name = a.permission_set = "ReadOnlyAccess";
    a.user = "breakglass-7";
    a.client = *cc::ip_address::parse("10.66.0.9");
    auto x = cc::explain(a, p, cc::elevation_view::unavailable(), at("2026-11-23T09:00:00Z"));
    EXPECT_EQ(x.result.rule, "contractors-sandbox-only");
    EXPECT_EQ(x.enforcing.rule, "contractors-sandbox-only");
    EXPECT_EQ(x.matched, (std::vector<std::string>{"workloads-readonly", "contractors-sandbox-only",
                                                   "no-breakglass-users"}));

    a.account.reset();
    a.alias = "nope";
    auto y = cc::explain(a, p, cc::elevation_view::unavailable(), at("2026-11-23T09:00:00Z"));
    EXPECT_EQ(y.result.why, cc::reason::unknown_alias);
    EXPECT_EQ(y.enforcing.why, cc::reason::unknown_alias);
    EXPECT_TRUE(y.matched.empty());
}

// --- Corporate identity: corp_users / corp_groups selectors and policy.unknown_corp_user ---

namespace {

struct corp_row {
    const char* name;
    bool deny_unknown = false;
    const char* corp_user = "";
    std::vector<std::string> groups;
    const char* account = "444455556666";  // sandbox
    cc::effect verdict = cc::effect::deny;
    cc::reason why = cc::reason::default_deny;
    const char* rule = "";
};

void PrintTo(const corp_row& r, std::ostream* os) {
    *os << r.name;
}

class policy_corp_table : public ::testing::TestWithParam<corp_row> {};

cc::policy_config corp_config(bool deny_unknown) {
    using E = cc::rule_effect;
    cc::policy_config c;
    c.org_id = org;
    c.accounts = {
        {aid("012345678901"), "payments-prod", prod},
        {aid("444455556666"), "sandbox", sandbox},
    };
    c.deny_unknown_corp_user = deny_unknown;
    auto contractors = rule("contractors-sandbox-only", E::deny);
    contractors.corp_groups = {"contractors"};
    contractors.ou_paths = {std::string(workloads) + "*"};
    auto sandbox_all = rule("sandbox-for-everyone", E::allow);
    sandbox_all.ou_paths = {sandbox};
    auto engineers = rule("engineers-in-prod", E::allow);
    engineers.ou_paths = {prod};
    engineers.corp_groups = {"eng-*"};
    auto alice = rule("alice-in-prod", E::allow);
    alice.ou_paths = {prod};
    alice.corp_users = {"alice@CORP.EXAMPLE"};
    auto no_bob = rule("no-bob", E::deny);
    no_bob.corp_users = {"bob@*"};
    c.rules = {contractors, sandbox_all, engineers, alice, no_bob};
    return c;
}

}  // namespace

TEST_P(policy_corp_table, decides) {
    const auto& r = GetParam();
    cc::compiled_policy policy(corp_config(r.deny_unknown));
    cc::sign_in_attempt a;
    a.flow = cc::sign_in_flow::identity_center;
    a.account = aid(r.account);
    a.role_name = a.permission_set = "ReadOnlyAccess";
    a.user = "someone";
    a.client = *cc::ip_address::parse("10.1.2.3");
    a.corp.user = r.corp_user;
    a.corp.source = *r.corp_user ? cc::corp_source::kerberos : cc::corp_source::none;
    a.corp.groups = r.groups;
    auto d = cc::evaluate(a, policy, cc::elevation_view::unavailable(), at("2026-11-23T09:00:00Z"));
    EXPECT_EQ(cc::to_string(d.verdict), cc::to_string(r.verdict));
    EXPECT_EQ(cc::to_string(d.why), cc::to_string(r.why));
    EXPECT_EQ(d.rule, r.rule);
}

INSTANTIATE_TEST_SUITE_P(
    corp_identity, policy_corp_table,
    ::testing::Values(corp_row{"group member of a granting group reaches prod",
                               false,
                               "carol@CORP.EXAMPLE",
                               {"eng-platform"},
                               "012345678901",
                               cc::effect::allow,
                               cc::reason::rule_allow,
                               "engineers-in-prod"},
                      corp_row{"group glob and user glob are case-insensitive",
                               false,
                               "ALICE@corp.example",
                               {"ENG-Data"},
                               "012345678901",
                               cc::effect::allow,
                               cc::reason::rule_allow,
                               "engineers-in-prod"},
                      corp_row{"named corporate user reaches prod without a group",
                               false,
                               "alice@corp.example",
                               {},
                               "012345678901",
                               cc::effect::allow,
                               cc::reason::rule_allow,
                               "alice-in-prod"},
                      corp_row{"contractors group is denied prod even when also an engineer",
                               false,
                               "dave@CORP.EXAMPLE",
                               {"eng-web", "Contractors"},
                               "012345678901",
                               cc::effect::deny,
                               cc::reason::rule_deny,
                               "contractors-sandbox-only"},
                      corp_row{"contractors still reach the sandbox",
                               false,
                               "dave@CORP.EXAMPLE",
                               {"contractors"},
                               "444455556666",
                               cc::effect::allow,
                               cc::reason::rule_allow,
                               "sandbox-for-everyone"},
                      corp_row{"someone in no granting group is default-denied in prod",
                               false,
                               "erin@CORP.EXAMPLE",
                               {"finance"},
                               "012345678901"},
                      corp_row{"unknown corporate user matches no corp selector (no-match)",
                               false,
                               "",
                               {},
                               "012345678901"},
                      corp_row{"groups without a user never match (no-match)",
                               false,
                               "",
                               {"eng-platform"},
                               "012345678901"},
                      corp_row{
                          "unknown corporate user escapes a group deny but no-match never grants",
                          false,
                          "",
                          {},
                          "444455556666",
                          cc::effect::allow,
                          cc::reason::rule_allow,
                          "sandbox-for-everyone"},
                      corp_row{"corp user deny without account selector applies everywhere",
                               false,
                               "bob@CORP.EXAMPLE",
                               {"eng-platform"},
                               "444455556666",
                               cc::effect::deny,
                               cc::reason::rule_deny,
                               "no-bob"},
                      corp_row{"unknown_corp_user = deny refuses the unidentified before any rule",
                               true,
                               "",
                               {},
                               "444455556666",
                               cc::effect::deny,
                               cc::reason::corp_user_unknown,
                               ""},
                      corp_row{"unknown_corp_user = deny lets the identified through to the rules",
                               true,
                               "carol@CORP.EXAMPLE",
                               {},
                               "444455556666",
                               cc::effect::allow,
                               cc::reason::rule_allow,
                               "sandbox-for-everyone"}),
    [](const ::testing::TestParamInfo<corp_row>& row_info) {
        std::string n;
        for (const char* p = row_info.param.name; *p; ++p)
            n += (std::isalnum(static_cast<unsigned char>(*p)) ? *p : '_');
        return n;
    });

TEST(policy_corp, reason_and_source_names_are_stable) {
    EXPECT_EQ(cc::to_string(cc::reason::corp_user_unknown), "corp-user-unknown");
    EXPECT_FALSE(cc::describe(cc::reason::corp_user_unknown).empty());
    for (auto s : {cc::corp_source::none, cc::corp_source::kerberos, cc::corp_source::header,
                   cc::corp_source::address_map}) {
        EXPECT_EQ(cc::corp_source_from_string(cc::to_string(s)), s);
    }
    EXPECT_EQ(cc::to_string(cc::corp_source::address_map), "address-map");
    EXPECT_FALSE(cc::corp_source_from_string("Kerberos"));
}

TEST(compiled_policy, account_sign_up_is_refused_before_any_rule_or_only_reported) {
    cc::policy_config c;
    c.rules.push_back(rule("allow-everything", cc::rule_effect::allow));  // matches every attempt
    cc::sign_in_attempt a;
    a.flow = cc::sign_in_flow::account_sign_up;
    auto now = at("2026-11-23T09:00:00Z");
    auto d = cc::evaluate(a, cc::compiled_policy(c), cc::elevation_view::unavailable(), now);
    EXPECT_EQ(d.verdict, cc::effect::deny);
    EXPECT_EQ(d.why, cc::reason::account_sign_up);
    EXPECT_FALSE(d.report_only);
    EXPECT_EQ(d.rule, "");
    EXPECT_EQ(cc::to_string(d.why), "account-sign-up");
    EXPECT_NE(cc::describe(d.why).find("new AWS account"), std::string_view::npos);

    c.account_sign_up = cc::sign_up_action::report_only;
    d = cc::evaluate(a, cc::compiled_policy(c), cc::elevation_view::unavailable(), now);
    EXPECT_EQ(d.verdict, cc::effect::deny);
    EXPECT_TRUE(d.report_only);
    EXPECT_EQ(d.enforced(), cc::effect::allow);

    // The same rule still allows an ordinary pre-auth attempt with no account.
    a.flow = cc::sign_in_flow::cli_sign_in;
    d = cc::evaluate(a, cc::compiled_policy(c), cc::elevation_view::unavailable(), now);
    EXPECT_EQ(d.verdict, cc::effect::allow);
    EXPECT_EQ(d.rule, "allow-everything");
}

namespace {

cc::sign_in_attempt portal(const char* instance) {
    cc::sign_in_attempt a;
    a.flow = cc::sign_in_flow::identity_center_portal;
    a.phase = cc::auth_phase::pre_auth;
    a.host = std::string(instance) + ".awsapps.com";
    a.idc_instance = instance;
    a.client = *cc::ip_address::parse("10.1.2.3");
    return a;
}

}  // namespace

TEST(identity_center_instances, listed_instances_allow_and_every_other_portal_is_refused) {
    using E = cc::rule_effect;
    cc::policy_config c;
    auto ours = rule("our-identity-center", E::allow);
    ours.identity_center_instances = {"d-1234567890", "examplecorp"};
    auto office = rule("contractors-portal-from-office", E::allow);
    office.identity_center_instances = {"contractors"};
    office.client_networks = {net("10.0.0.0/8")};
    auto closing = rule("legacy-portal-closing", E::deny);
    closing.identity_center_instances = {"examplecorp"};
    closing.report_only = true;
    auto sandbox_rule = rule("sandbox", E::allow);
    sandbox_rule.accounts = {aid("444455556666")};
    c.rules = {ours, office, closing, sandbox_rule};
    cc::compiled_policy p(c);
    auto now = at("2026-12-05T10:00:00Z");
    auto decide = [&](const cc::sign_in_attempt& a) {
        return cc::evaluate(a, p, cc::elevation_view::unavailable(), now);
    };

    auto d = decide(portal("d-1234567890"));
    EXPECT_EQ(d.verdict, cc::effect::allow);
    EXPECT_EQ(d.why, cc::reason::rule_allow);
    EXPECT_EQ(d.rule, "our-identity-center");

    // A personal or foreign instance: refused before any credentials are typed.
    d = decide(portal("d-9999999999"));
    EXPECT_EQ(d.verdict, cc::effect::deny);
    EXPECT_EQ(d.why, cc::reason::identity_center_instance);
    EXPECT_EQ(d.rule, "");

    // Selectors combine as for accounts: the contractors' portal only from the office network.
    EXPECT_EQ(decide(portal("contractors")).verdict, cc::effect::allow);
    auto away = portal("contractors");
    away.client = *cc::ip_address::parse("192.0.2.7");
    EXPECT_EQ(decide(away).why, cc::reason::identity_center_instance);

    // A report-only deny of an allowed instance is logged as would-be-blocked, never enforced.
    d = decide(portal("examplecorp"));
    EXPECT_EQ(d.verdict, cc::effect::deny);
    EXPECT_TRUE(d.report_only);
    EXPECT_EQ(d.enforced(), cc::effect::allow);
    EXPECT_EQ(d.rule, "legacy-portal-closing");

    // An instance selector never matches another flow, and accounts never match a portal.
    cc::sign_in_attempt console;
    console.flow = cc::sign_in_flow::iam_user;
    console.account = aid("444455556666");
    console.idc_instance = "";
    EXPECT_EQ(decide(console).rule, "sandbox");
    console.account = aid("111122223333");
    EXPECT_EQ(decide(console).why, cc::reason::default_deny);

    // An unreadable StartDeviceAuthorization fails closed whatever the list says.
    auto broken = portal("d-1234567890");
    broken.parse_error = "StartDeviceAuthorization names no startUrl";
    EXPECT_EQ(decide(broken).why, cc::reason::unparsable_request);
}

TEST(identity_center_instances, without_any_instance_selector_portals_follow_the_pre_auth_default) {
    cc::policy_config c;
    auto sandbox_rule = rule("sandbox", cc::rule_effect::allow);
    sandbox_rule.accounts = {aid("444455556666")};
    c.rules = {sandbox_rule};
    auto now = at("2026-12-05T10:00:00Z");
    cc::compiled_policy open(c);
    auto d = cc::evaluate(portal("anything"), open, cc::elevation_view::unavailable(), now);
    EXPECT_EQ(d.verdict, cc::effect::allow);
    EXPECT_EQ(d.why, cc::reason::unknown_account);
    c.allow_unknown_account_pre_auth = false;
    cc::compiled_policy strict(c);
    d = cc::evaluate(portal("anything"), strict, cc::elevation_view::unavailable(), now);
    EXPECT_EQ(d.why, cc::reason::no_account);
}

// A user of the site's own realms (identity.realms) is one person under every spelling: a
// corp_users deny written as Kerberos spells them reaches them identified by the address map
// (CORP\alice, alice) on the SNI listener, and an allow written so grants them there too (a
// corp_users glob may also name CORP\alice as written).
// Another realm's alice is not the site's; without realms every spelling stands alone.
TEST(compiled_policy, corp_users_match_a_site_user_under_every_spelling) {
    auto no_alice = rule("no-alice", cc::rule_effect::deny);
    no_alice.corp_users = {"alice@CORP.EXAMPLE"};
    auto bob = rule("bob-sandbox", cc::rule_effect::allow);
    bob.accounts = {aid("111122223333")};
    bob.corp_users = {"bob"};
    auto now = at("2026-12-05T10:00:00Z");
    auto judge = [&](const cc::compiled_policy& p, const char* user) {
        cc::sign_in_attempt a;
        a.flow = cc::sign_in_flow::iam_user;
        a.phase = cc::auth_phase::pre_auth;
        a.account = aid("111122223333");
        a.corp.user = user;
        a.corp.source = cc::corp_source::address_map;
        return cc::evaluate(a, p, cc::elevation_view::unavailable(), now);
    };
    cc::policy_config c;
    c.rules = {no_alice, bob};
    c.site_realms = {"CORP.EXAMPLE", "CORP"};
    cc::compiled_policy site(c);
    for (const char* alice : {"alice@CORP.EXAMPLE", "CORP\\alice", "alice", "corp\\ALICE"})
        EXPECT_EQ(judge(site, alice).rule, "no-alice") << alice;
    for (const char* b : {"bob@CORP.EXAMPLE", "CORP\\bob", "bob"})
        EXPECT_EQ(judge(site, b).why, cc::reason::rule_allow) << b;
    for (const char* other : {"alice@PARTNER.EXAMPLE", "PARTNER\\alice", "bob@PARTNER.EXAMPLE"})
        EXPECT_EQ(judge(site, other).why, cc::reason::default_deny) << other;
    c.site_realms.clear();
    cc::compiled_policy plain(c);
    EXPECT_EQ(judge(plain, "alice@CORP.EXAMPLE").rule, "no-alice");
    EXPECT_EQ(judge(plain, "CORP\\alice").why, cc::reason::default_deny);
    EXPECT_EQ(judge(plain, "bob").why, cc::reason::rule_allow);
    EXPECT_EQ(judge(plain, "CORP\\bob").why, cc::reason::default_deny);
}

// Another realm's user is one person only under the spelling a rule writes, in any case: which
// Windows domain is which Kerberos realm (PARTNER, PARTNER.EXAMPLE) is the site's knowledge, not
// the gateway's, and listing the partner's realms in identity.realms would make the partner's
// mallory the site's. A deny for them names each spelling the identity sources write, the
// domain's too (corp_users takes '\'), and reaches each.
TEST(compiled_policy, another_realms_user_is_matched_under_each_spelling_a_rule_names) {
    auto now = at("2026-12-05T10:00:00Z");
    auto judge = [&](const cc::compiled_policy& p, const char* user) {
        cc::sign_in_attempt a;
        a.flow = cc::sign_in_flow::iam_user;
        a.phase = cc::auth_phase::pre_auth;
        a.account = aid("111122223333");
        a.corp.user = user;
        a.corp.source = cc::corp_source::header;
        return cc::evaluate(a, p, cc::elevation_view::unavailable(), now);
    };
    auto sandbox = rule("sandbox", cc::rule_effect::allow);
    sandbox.accounts = {aid("111122223333")};
    auto no_mallory = rule("no-mallory", cc::rule_effect::deny);
    no_mallory.corp_users = {"mallory@PARTNER.EXAMPLE"};
    cc::policy_config c;
    c.rules = {sandbox, no_mallory};
    c.site_realms = {"CORP.EXAMPLE", "CORP"};
    cc::compiled_policy kerberos_only(c);
    for (const char* m : {"mallory@PARTNER.EXAMPLE", "MALLORY@partner.example"})
        EXPECT_EQ(judge(kerberos_only, m).rule, "no-mallory") << m;
    // The spelling the rule does not write is another person as far as the gateway can tell;
    // so is the site's mallory.
    for (const char* m : {"PARTNER\\mallory", "mallory", "CORP\\mallory", "mallory@CORP.EXAMPLE"})
        EXPECT_EQ(judge(kerberos_only, m).rule, "sandbox") << m;
    c.rules[1].corp_users = {"mallory@PARTNER.EXAMPLE", "PARTNER\\mallory"};
    cc::compiled_policy both(c);
    for (const char* m : {"mallory@PARTNER.EXAMPLE", "PARTNER\\mallory", "partner\\MALLORY"})
        EXPECT_EQ(judge(both, m).rule, "no-mallory") << m;
    for (const char* m : {"mallory", "CORP\\mallory", "mallory@CORP.EXAMPLE"})
        EXPECT_EQ(judge(both, m).rule, "sandbox") << m;
    // A domain glob reaches the domain's users, and the site's under every spelling.
    c.rules[1].corp_users = {"CORP\\*"};
    cc::compiled_policy site_domain(c);
    for (const char* m : {"CORP\\alice", "alice@CORP.EXAMPLE", "alice"})
        EXPECT_EQ(judge(site_domain, m).rule, "no-mallory") << m;
    EXPECT_EQ(judge(site_domain, "PARTNER\\alice").rule, "sandbox");
}

// policy.unknown_account_pre_auth decides every step before authentication that names no
// account, whatever its flow: root's, a broker's Action=login (an opaque SigninToken), `aws
// login`'s token exchange, an access portal's start page when no rule lists instances. "allow"
// passes them to be judged on AWS's answer, which names the account; "deny" stops them before
// any credential reaches AWS, the broker's and the CLI's too (fail closed: their account is no
// better known than root's). A rule naming accounts never matches them; refusing root alone is
// a deny on flows = ["root"], which leaves the other flows to the account rules.
TEST(compiled_policy, unknown_account_pre_auth_decides_every_pre_auth_step_naming_no_account) {
    using F = cc::sign_in_flow;
    auto broker = rule("broker-sandbox", cc::rule_effect::allow);
    broker.accounts = {aid("444455556666")};
    broker.flows = {F::custom_broker, F::cli_sign_in, F::root};
    auto no_root = rule("no-root", cc::rule_effect::deny);
    no_root.flows = {F::root};
    auto now = at("2026-12-05T10:00:00Z");
    auto judge = [&](const cc::compiled_policy& p, F flow) {
        cc::sign_in_attempt a;
        a.flow = flow;
        a.phase = cc::auth_phase::pre_auth;
        a.host = "signin.aws.amazon.com";
        return cc::evaluate(a, p, cc::elevation_view::unavailable(), now);
    };
    for (auto flow : {F::root, F::custom_broker, F::cli_sign_in, F::identity_center_portal}) {
        cc::policy_config c;
        c.rules = {broker};
        cc::compiled_policy allow_mode(c);
        auto d = judge(allow_mode, flow);
        EXPECT_EQ(d.why, cc::reason::unknown_account) << cc::to_string(flow);
        EXPECT_EQ(d.verdict, cc::effect::allow) << cc::to_string(flow);
        c.allow_unknown_account_pre_auth = false;
        cc::compiled_policy deny_mode(c);
        d = judge(deny_mode, flow);
        EXPECT_EQ(d.why, cc::reason::no_account) << cc::to_string(flow);
        EXPECT_EQ(d.rule, "") << cc::to_string(flow);
        c.allow_unknown_account_pre_auth = true;
        c.rules = {broker, no_root};
        cc::compiled_policy root_denied(c);
        d = judge(root_denied, flow);
        EXPECT_EQ(d.why, flow == F::root ? cc::reason::rule_deny : cc::reason::unknown_account)
            << cc::to_string(flow);
    }
}

// Issue 20: what AWS said about the session decides before any rule; an unbound session is
// refused or (migration) judged on as usual; a repeated aws-userInfo key is its own reason.
TEST(compiled_policy, session_binding_decides_before_the_rules) {
    cc::policy_config c;
    c.rules.push_back(rule("allow-everything", cc::rule_effect::allow));
    auto now = at("2026-11-23T09:00:00Z");
    auto judge = [&](cc::session_binding b, bool ambiguous = false) {
        cc::sign_in_attempt a;
        a.flow = cc::sign_in_flow::console_session;
        a.phase = cc::auth_phase::post_auth;
        a.account = cc::account_id::parse("111122223333");
        a.binding = b;
        if (ambiguous) {
            a.parse_error = "aws-userInfo cookie repeats the key \"arn\"";
            a.ambiguous_identity = true;
        }
        return cc::evaluate(a, cc::compiled_policy(c), cc::elevation_view::unavailable(), now);
    };
    struct row {
        cc::session_binding binding;
        cc::unbound_session_action unbound;
        cc::effect verdict;
        cc::reason why;
        const char* code;
    };
    using sb = cc::session_binding;
    using ua = cc::unbound_session_action;
    for (auto r : {row{sb::not_checked, ua::deny, cc::effect::allow, cc::reason::rule_allow, ""},
                   row{sb::bound, ua::deny, cc::effect::allow, cc::reason::rule_allow, ""},
                   row{sb::forged, ua::cookie, cc::effect::deny,
                       cc::reason::session_identity_forged, "session-identity-forged"},
                   row{sb::conflicting, ua::cookie, cc::effect::deny,
                       cc::reason::session_conflicting, "session-conflicting"},
                   row{sb::other_user, ua::cookie, cc::effect::deny,
                       cc::reason::session_user_mismatch, "session-user-mismatch"},
                   row{sb::unbound, ua::deny, cc::effect::deny, cc::reason::session_unbound,
                       "session-unbound"},
                   row{sb::unbound, ua::cookie, cc::effect::allow, cc::reason::rule_allow, ""}}) {
        c.unbound_sessions = r.unbound;
        auto d = judge(r.binding);
        EXPECT_EQ(d.verdict, r.verdict) << int(r.binding);
        EXPECT_EQ(d.why, r.why) << int(r.binding);
        if (*r.code) {
            EXPECT_EQ(cc::to_string(d.why), r.code);
            EXPECT_FALSE(cc::describe(d.why).empty());
        }
    }
    auto d = judge(sb::bound, true);
    EXPECT_EQ(d.why, cc::reason::ambiguous_identity);
    EXPECT_EQ(cc::to_string(d.why), "ambiguous-identity");
    c.report_only = true;  // global report-only watches these too
    c.unbound_sessions = ua::deny;
    d = judge(sb::forged);
    EXPECT_EQ(d.why, cc::reason::session_identity_forged);
    EXPECT_EQ(d.enforced(), cc::effect::allow);
}

// Other partitions (issue 19): a partition policy.partitions does not enable is refused before
// the rules; an enabled one is judged by the rules that name it only, since the same twelve
// digits in another partition are another account.
TEST(compiled_policy, partitions_not_enabled_are_refused_and_rules_select_their_own) {
    using E = cc::rule_effect;
    auto now = at("2026-11-23T09:00:00Z");
    cc::policy_config c;
    auto commercial = rule("commercial-account", E::allow);
    commercial.accounts = {aid("111122223333")};
    auto everything = rule("every-sign-in", E::allow);  // no selector: commercial only
    c.rules = {commercial, everything};
    cc::sign_in_attempt a;
    a.flow = cc::sign_in_flow::iam_user;
    a.account = aid("111122223333");
    auto judge = [&](const cc::policy_config& pc, cc::partition p) {
        a.aws_partition = p;
        return cc::evaluate(a, cc::compiled_policy(pc), cc::elevation_view::unavailable(), now);
    };
    auto d = judge(c, cc::partition::aws);
    EXPECT_EQ(d.verdict, cc::effect::allow);
    for (auto p : {cc::partition::aws_us_gov, cc::partition::aws_cn}) {
        d = judge(c, p);
        EXPECT_EQ(d.verdict, cc::effect::deny);
        EXPECT_EQ(d.why, cc::reason::partition_not_enabled);
        EXPECT_EQ(d.rule, "");
    }
    EXPECT_EQ(cc::to_string(cc::reason::partition_not_enabled), "partition-not-enabled");
    EXPECT_NE(cc::describe(cc::reason::partition_not_enabled).find("partition"),
              std::string_view::npos);

    // Enabled, GovCloud is judged only by rules naming it: the commercial allows do not reach it.
    c.partitions =
        cc::partition_bit(cc::partition::aws) | cc::partition_bit(cc::partition::aws_us_gov);
    d = judge(c, cc::partition::aws_us_gov);
    EXPECT_EQ(d.verdict, cc::effect::deny);
    EXPECT_EQ(d.why, cc::reason::default_deny);
    auto gov = rule("gov-account", E::allow);
    gov.accounts = {aid("111122223333")};
    gov.partitions = cc::partition_bit(cc::partition::aws_us_gov);
    auto gov_deny = rule("gov-no-cli", E::deny);
    gov_deny.flows = {cc::sign_in_flow::cli_sign_in};
    gov_deny.partitions = cc::partition_bit(cc::partition::aws_us_gov);
    c.rules.push_back(gov);
    c.rules.push_back(gov_deny);
    d = judge(c, cc::partition::aws_us_gov);
    EXPECT_EQ(d.verdict, cc::effect::allow);
    EXPECT_EQ(d.rule, "gov-account");
    a.flow = cc::sign_in_flow::cli_sign_in;
    d = judge(c, cc::partition::aws_us_gov);
    EXPECT_EQ(d.verdict, cc::effect::deny);
    EXPECT_EQ(d.rule, "gov-no-cli");
    d = judge(c, cc::partition::aws);  // the GovCloud deny does not reach the commercial account
    EXPECT_EQ(d.verdict, cc::effect::allow);
    // China is still not enabled.
    d = judge(c, cc::partition::aws_cn);
    EXPECT_EQ(d.why, cc::reason::partition_not_enabled);
}

// Every partition of the table (the ISO partitions and the European Sovereign Cloud since
// session 11, aws-eusc the set's last bit): refused until enabled; enabled, an account of it is
// judged only by rules that name it, never by a commercial rule for the same twelve digits or the
// organization's OUs, and a rule naming it reaches no other partition.
TEST(compiled_policy, every_partition_is_its_own_and_refused_until_enabled) {
    using E = cc::rule_effect;
    auto now = at("2026-11-23T09:00:00Z");
    cc::policy_config c = config(variant::base);
    auto commercial = rule("commercial-account", E::allow);
    commercial.accounts = {aid("444455556666")};
    auto by_ou = rule("sandbox-ou", E::allow);
    by_ou.ou_paths = {std::string(sandbox) + "*"};
    c.rules = {commercial, by_ou};
    auto judge = [&](const cc::policy_config& pc, cc::partition in) {
        cc::sign_in_attempt a;
        a.flow = cc::sign_in_flow::switch_role;
        a.account = aid("444455556666");
        a.role_name = "Admin";
        a.aws_partition = in;
        return cc::evaluate(a, cc::compiled_policy(pc), cc::elevation_view::unavailable(), now);
    };
    EXPECT_EQ(judge(c, cc::partition::aws).verdict, cc::effect::allow);
    for (const auto& p : cc::partitions) {
        if (p.id == cc::partition::aws) continue;
        SCOPED_TRACE(p.name);
        c.partitions = cc::partition_bit(cc::partition::aws);
        auto d = judge(c, p.id);
        EXPECT_EQ(d.why, cc::reason::partition_not_enabled);
        c.partitions |= cc::partition_bit(p.id);
        d = judge(c, p.id);
        EXPECT_EQ(d.verdict, cc::effect::deny);
        EXPECT_EQ(d.why, cc::reason::default_deny);
        auto own = rule("own", E::allow);
        own.accounts = {aid("444455556666")};
        own.partitions = cc::partition_bit(p.id);
        auto with_own = c;
        with_own.rules.push_back(own);
        EXPECT_EQ(judge(with_own, p.id).rule, "own");
        // Every other partition enabled too: the rule reaches none of them.
        with_own.partitions = 0;
        for (const auto& q : cc::partitions) with_own.partitions |= cc::partition_bit(q.id);
        for (const auto& q : cc::partitions) {
            if (q.id == p.id || q.id == cc::partition::aws) continue;
            EXPECT_EQ(judge(with_own, q.id).why, cc::reason::default_deny) << q.name;
        }
    }
}

// The org export and the alias map are the commercial partition's: GovCloud's account with the
// same twelve digits as an export account is another account, outside every org and OU selector,
// and an alias is unique only within its partition.
TEST(compiled_policy, org_ou_and_alias_selectors_stay_in_the_commercial_partition) {
    using E = cc::rule_effect;
    auto now = at("2026-11-23T09:00:00Z");
    const auto both =
        cc::partition_bit(cc::partition::aws) | cc::partition_bit(cc::partition::aws_us_gov);
    cc::policy_config c = config(variant::base);
    c.partitions = both;
    auto by_ou = rule("sandbox-ou-everywhere", E::allow);
    by_ou.ou_paths = {std::string(sandbox) + "*"};
    by_ou.partitions = both;
    auto by_org = rule("org-everywhere", E::allow);
    by_org.org_ids = {org};
    by_org.roles = {"OrgWide"};
    by_org.partitions = both;
    auto named_in_ou = rule("named-and-in-ou", E::allow);
    named_in_ou.accounts = {aid("222233334444")};
    named_in_ou.ou_paths = {workloads};
    named_in_ou.partitions = both;
    auto named = rule("named-gov", E::allow);
    named.accounts = {aid("222233334444")};
    named.roles = {"GovNamed"};
    named.partitions = both;
    auto by_alias = rule("payments-gov", E::allow);
    by_alias.accounts = {aid("012345678901")};
    by_alias.partitions = both;
    c.rules = {by_ou, by_org, named_in_ou, named, by_alias};
    cc::compiled_policy p(c);

    auto judge = [&](const char* account, const char* role, cc::partition in) {
        cc::sign_in_attempt a;
        a.flow = cc::sign_in_flow::switch_role;
        a.account = aid(account);
        a.role_name = role;
        a.aws_partition = in;
        return cc::evaluate(a, p, cc::elevation_view::unavailable(), now);
    };
    const auto gov = cc::partition::aws_us_gov;
    // Commercial: in the export, every selector reaches the account.
    EXPECT_EQ(judge("444455556666", "Any", cc::partition::aws).rule, "sandbox-ou-everywhere");
    EXPECT_EQ(judge("111122223333", "OrgWide", cc::partition::aws).rule, "org-everywhere");
    EXPECT_EQ(judge("222233334444", "Any", cc::partition::aws).rule, "named-and-in-ou");
    // GovCloud: the same digits are outside the organization.
    for (auto [account, role] :
         {std::pair{"444455556666", "Any"}, {"111122223333", "OrgWide"}, {"222233334444", "Any"}}) {
        auto d = judge(account, role, gov);
        EXPECT_EQ(d.verdict, cc::effect::deny) << account;
        EXPECT_EQ(d.why, cc::reason::default_deny) << account;
    }
    // A rule naming the account without an org or OU part reaches it in every partition it names.
    EXPECT_EQ(judge("222233334444", "GovNamed", gov).rule, "named-gov");
    EXPECT_EQ(judge("222233334444", "GovNamed", cc::partition::aws).rule, "named-and-in-ou");
    EXPECT_EQ(p.candidate_rules(aid("444455556666"), gov).size(),
              p.candidate_rules(std::nullopt, gov).size());

    // The alias "payments-prod" names 012345678901 in the commercial partition only.
    cc::sign_in_attempt a;
    a.flow = cc::sign_in_flow::iam_user;
    a.alias = "payments-prod";
    auto d = cc::evaluate(a, p, cc::elevation_view::unavailable(), now);
    EXPECT_EQ(d.rule, "payments-gov");
    a.aws_partition = gov;
    d = cc::evaluate(a, p, cc::elevation_view::unavailable(), now);
    EXPECT_EQ(d.verdict, cc::effect::deny);
    EXPECT_EQ(d.why, cc::reason::unknown_alias);
}

// TEAM elevates the accounts of its own Identity Center, in the partition TEAM runs in
// (team.partition): an elevation for 777788889999 is no elevation for GovCloud's 777788889999,
// another account, whatever a rule gating both says; a GovCloud TEAM's is none for commercial.
// The portal's link with nobody named, the AMS guard in either scope, and a known user all see
// the same set.
TEST(compiled_policy, a_team_elevation_is_for_its_partitions_account_alone) {
    using E = cc::rule_effect;
    auto now = at("2026-11-23T09:00:00Z");
    const auto gov = cc::partition::aws_us_gov, com = cc::partition::aws;
    cc::policy_config c;
    c.partitions = cc::partition_bit(com) | cc::partition_bit(gov);
    auto gated = rule("gated", E::allow_with_elevation);
    gated.accounts = {aid("777788889999")};
    gated.partitions = c.partitions;
    c.rules = {gated};
    c.ams_reserved_roles = cc::guard_action::block_unless_elevated;
    c.ams_reserved_role_prefixes = {"AWSManagedServices*"};
    auto record = [](const char* ps) {
        cc::elevation_record e;
        e.id = "REQ-1";
        e.user = "alice";
        e.account = aid("777788889999");
        e.permission_set = ps;
        e.status = "in progress";
        e.start = at("2026-11-23T08:00:00Z");
        e.duration_hours = 4;
        return e;
    };
    auto team_in = [&](cc::partition p) {
        cc::elevation_window w;
        w.aws_partition = p;
        return cc::elevation_set({record("AdministratorAccess"), record("AWSManagedServicesAdmin")},
                                 w);
    };
    auto judge = [&](const cc::compiled_policy& pol, const cc::elevation_set& set, cc::partition in,
                     const char* user, const char* ps) {
        cc::sign_in_attempt a;
        a.flow = cc::sign_in_flow::identity_center;
        a.phase = cc::auth_phase::pre_auth;
        a.account = aid("777788889999");
        a.permission_set = ps;
        a.role_name = ps;
        a.user = user;
        a.aws_partition = in;
        return cc::evaluate(a, pol, cc::elevation_view::of(set), now);
    };
    for (auto scope :
         {cc::ams_elevation_scope::same_permission_set, cc::ams_elevation_scope::any_for_account}) {
        c.ams_elevation = scope;
        cc::compiled_policy p(c);
        for (auto team : {com, gov}) {
            auto set = team_in(team);
            for (auto in : {com, gov}) {
                SCOPED_TRACE(std::string(cc::to_string(team)) + " TEAM, sign-in in " +
                             std::string(cc::to_string(in)));
                auto d = judge(p, set, in, "alice", "AdministratorAccess");
                auto anyone = judge(p, set, in, "", "AdministratorAccess");
                auto ams = judge(p, set, in, "alice", "AWSManagedServicesAdmin");
                if (team == in) {
                    EXPECT_EQ(d.why, cc::reason::elevation_active);
                    EXPECT_EQ(d.elevation_id, "REQ-1");
                    EXPECT_EQ(anyone.verdict, cc::effect::allow);
                    EXPECT_EQ(ams.why, cc::reason::elevation_active);
                } else {
                    EXPECT_EQ(d.why, cc::reason::elevation_missing);
                    EXPECT_EQ(d.elevation_id, "");
                    EXPECT_EQ(anyone.why, cc::reason::elevation_user_unknown);
                    EXPECT_EQ(ams.verdict, cc::effect::deny);
                }
            }
        }
    }
}

// The portal's federation links name the permission set; AWS signs in to the role
// AWSReservedSSO_<set>_<hex>. A rule written on that role name reaches the link: a deny when it
// matches some hex (so /federation/credentials is refused before its keys are handed out), a
// grant only when it matches every hex.
TEST(compiled_policy, sso_role_name_globs_reach_requests_that_name_only_the_permission_set) {
    using E = cc::rule_effect;
    auto now = at("2026-11-23T09:00:00Z");
    cc::policy_config c;
    auto everything = rule("account", E::allow);
    everything.accounts = {aid("111122223333")};
    everything.roles = {"Developer"};
    auto no_admin = rule("no-sso-admin", E::deny);
    no_admin.roles = {"awsreservedsso_administratoraccess_*"};  // denies compare any case
    auto readonly = rule("sso-read-only", E::allow);
    readonly.accounts = {aid("111122223333")};
    readonly.roles = {"AWSReservedSSO_ReadOnly_*"};
    auto one_role = rule("one-billing-role", E::allow);
    one_role.accounts = {aid("111122223333")};
    one_role.roles = {"AWSReservedSSO_Billing_0123456789abcdef"};
    auto admin_too = rule("account-admin", E::allow);
    admin_too.accounts = {aid("111122223333")};
    admin_too.roles = {"AdministratorAccess"};
    c.rules = {everything, no_admin, readonly, one_role, admin_too};
    cc::compiled_policy p(c);
    auto judge = [&](const char* role, bool credentials) {
        cc::sign_in_attempt a;
        a.flow = cc::sign_in_flow::identity_center;
        a.account = aid("111122223333");
        a.role_name = role;
        a.permission_set = cc::permission_set_of(role).empty() ? role : cc::permission_set_of(role);
        a.portal_credentials = credentials;
        return cc::evaluate(a, p, cc::elevation_view::unavailable(), now);
    };
    for (bool credentials : {false, true}) {
        auto d = judge("AdministratorAccess", credentials);
        EXPECT_EQ(d.verdict, cc::effect::deny);
        EXPECT_EQ(d.rule, "no-sso-admin");
        d = judge("ReadOnly", credentials);
        EXPECT_EQ(d.verdict, cc::effect::allow);
        EXPECT_EQ(d.rule, "sso-read-only");
        // The gateway cannot tell which hex the portal's Billing role has: no grant.
        d = judge("Billing", credentials);
        EXPECT_EQ(d.why, cc::reason::default_deny);
    }
    // Once the role is named (the console cookie), the exact name decides.
    EXPECT_EQ(judge("AWSReservedSSO_Billing_0123456789abcdef", false).rule, "one-billing-role");
    EXPECT_EQ(judge("AWSReservedSSO_Billing_fedcba9876543210", false).why,
              cc::reason::default_deny);
    EXPECT_EQ(judge("AWSReservedSSO_AdministratorAccess_0123456789abcdef", false).rule,
              "no-sso-admin");
    // An IAM role that only shares the permission set's name is not an SSO role.
    cc::sign_in_attempt saml;
    saml.flow = cc::sign_in_flow::saml;
    saml.account = aid("111122223333");
    saml.role_name = "AdministratorAccess";
    auto d = cc::evaluate(saml, p, cc::elevation_view::unavailable(), now);
    EXPECT_EQ(d.rule, "account-admin");
}

// policy.ams.reserved_role_prefixes are globs: a prefix written with a wildcard ("ams-*") is the
// prefix it spells, never a literal '*' that no role name holds (which turned the guard off).
TEST(compiled_policy, ams_reserved_role_prefixes_are_globs) {
    auto now = at("2026-11-23T09:00:00Z");
    cc::policy_config c;
    c.ams_reserved_roles = cc::guard_action::block;
    c.ams_reserved_role_prefixes = {"ams-*", "AWSManaged?ervices*"};
    auto everything = rule("everything", cc::rule_effect::allow);
    everything.accounts = {aid("111122223333")};
    c.rules = {everything};
    cc::compiled_policy p(c);
    auto judge = [&](const char* role) {
        cc::sign_in_attempt a;
        a.flow = cc::sign_in_flow::switch_role;
        a.account = aid("111122223333");
        a.role_name = role;
        return cc::evaluate(a, p, cc::elevation_view::unavailable(), now);
    };
    EXPECT_EQ(judge("ams-access-admin").why, cc::reason::ams_reserved_role);
    EXPECT_EQ(judge("AMS-access-admin").why, cc::reason::ams_reserved_role);
    EXPECT_EQ(judge("AWSManagedServicesAdminRole").why, cc::reason::ams_reserved_role);
    EXPECT_EQ(judge("Admin").why, cc::reason::rule_allow);
    EXPECT_EQ(judge("xams-admin").why, cc::reason::rule_allow);
    // A permission set of a reserved name: guarded at the portal's link (which names only the
    // permission set) and in the session it opens (its AWSReservedSSO_ role) alike.
    auto judge_set = [&](cc::sign_in_flow flow, const char* role, const char* set) {
        cc::sign_in_attempt a;
        a.flow = flow;
        a.phase = flow == cc::sign_in_flow::identity_center ? cc::auth_phase::pre_auth
                                                            : cc::auth_phase::post_auth;
        a.account = aid("111122223333");
        a.role_name = role;
        a.permission_set = set;
        a.user = "alice";
        return cc::evaluate(a, p, cc::elevation_view::unavailable(), now).why;
    };
    EXPECT_EQ(judge_set(cc::sign_in_flow::identity_center, "", "ams-operators"),
              cc::reason::ams_reserved_role);
    EXPECT_EQ(judge_set(cc::sign_in_flow::console_session,
                        "AWSReservedSSO_ams-operators_0123456789abcdef", "ams-operators"),
              cc::reason::ams_reserved_role);
    EXPECT_EQ(judge_set(cc::sign_in_flow::custom_broker,
                        "AWSReservedSSO_ams-operators_0123456789abcdef", "ams-operators"),
              cc::reason::ams_reserved_role);
    EXPECT_EQ(judge_set(cc::sign_in_flow::console_session,
                        "AWSReservedSSO_Operators_0123456789abcdef", "Operators"),
              cc::reason::rule_allow);
}

// A flows selector matches the attempt's own flow or one it is also judged as (also_flows: the
// pipeline sets the flows of the sign-in that established a bound session on its console
// requests). Allow, allow-with-elevation and deny alike, and an explicit deny still wins.
TEST(compiled_policy, flows_selectors_match_the_flows_an_attempt_is_also_judged_as) {
    using E = cc::rule_effect;
    using F = cc::sign_in_flow;
    cc::policy_config c;
    auto saml_only = rule("saml-only", E::allow);
    saml_only.accounts = {aid("111122223333")};
    saml_only.flows = {F::saml};
    auto gated = rule("idc-gated", E::allow_with_elevation);
    gated.accounts = {aid("222233334444")};
    gated.flows = {F::identity_center};
    auto no_broker = rule("no-broker", E::deny);
    no_broker.accounts = {aid("111122223333"), aid("222233334444")};
    no_broker.flows = {F::custom_broker};
    c.rules = {saml_only, gated, no_broker};
    cc::compiled_policy p(c);
    cc::elevation_set none;
    auto now = at("2026-11-23T09:00:00Z");
    auto judge = [&](const char* account, F flow, cc::sign_in_flow_set also) {
        cc::sign_in_attempt a;
        a.flow = flow;
        a.phase = cc::auth_phase::post_auth;
        a.account = aid(account);
        a.role_name = "AWSReservedSSO_Admin_0123456789abcdef";
        a.permission_set = "Admin";
        a.user = "alice";
        a.binding = cc::session_binding::bound;
        a.also_flows = also;
        return cc::evaluate(a, p, cc::elevation_view::of(none), now);
    };
    const auto saml = cc::flow_bit(F::saml), idc = cc::flow_bit(F::identity_center),
               broker = cc::flow_bit(F::custom_broker), iam = cc::flow_bit(F::iam_user);
    struct row {
        const char* account;
        F flow;
        cc::sign_in_flow_set also;
        cc::effect verdict;
        cc::reason why;
        const char* rule;
    };
    for (const auto& r : {
             // The console requests of a SAML session: the SAML allow reaches them.
             row{"111122223333", F::console_session, saml, cc::effect::allow,
                 cc::reason::rule_allow, "saml-only"},
             // Of a session of unknown origin, or of another flow's: console-session alone.
             row{"111122223333", F::console_session, 0, cc::effect::deny, cc::reason::default_deny,
                 ""},
             row{"111122223333", F::console_session, iam, cc::effect::deny,
                 cc::reason::default_deny, ""},
             // A deny of a flow reaches its sessions too, and wins over the allow of another.
             row{"111122223333", F::console_session, saml | broker, cc::effect::deny,
                 cc::reason::rule_deny, "no-broker"},
             // Elevation gates of a flow reach its sessions: no elevation here.
             row{"222233334444", F::console_session, idc, cc::effect::deny,
                 cc::reason::elevation_missing, "idc-gated"},
             // The federation answer naming an AWSReservedSSO_ role, also judged as
             // identity-center: the broker deny still wins.
             row{"222233334444", F::custom_broker, idc, cc::effect::deny, cc::reason::rule_deny,
                 "no-broker"},
             // The attempt's own flow still selects as before.
             row{"111122223333", F::saml, 0, cc::effect::allow, cc::reason::rule_allow,
                 "saml-only"},
         }) {
        auto d = judge(r.account, r.flow, r.also);
        EXPECT_EQ(d.verdict, r.verdict)
            << r.account << " " << cc::to_string(r.flow) << " " << r.also;
        EXPECT_EQ(d.why, r.why) << r.account << " " << cc::to_string(r.flow) << " " << r.also;
        EXPECT_EQ(d.rule, r.rule) << r.account << " " << cc::to_string(r.flow) << " " << r.also;
    }
}

// also_flows that are alternatives (also_flows_either: the session's sign-in was one of them,
// which one unknown) reach a granting rule only when it names every one, a deny when it names any.
TEST(compiled_policy, alternative_flows_reach_a_grant_only_when_it_names_every_one) {
    using E = cc::rule_effect;
    using F = cc::sign_in_flow;
    cc::policy_config c;
    auto saml_only = rule("saml-only", E::allow);
    saml_only.accounts = {aid("111122223333")};
    saml_only.flows = {F::saml};
    auto saml_or_root = rule("saml-or-root", E::allow);
    saml_or_root.accounts = {aid("444455556666")};
    saml_or_root.flows = {F::saml, F::root};
    auto gated = rule("saml-gated", E::allow_with_elevation);
    gated.accounts = {aid("222233334444")};
    gated.flows = {F::saml};
    auto no_root = rule("no-root", E::deny);
    no_root.accounts = {aid("333344445555")};
    no_root.flows = {F::root};
    auto console = rule("console", E::allow);
    console.accounts = {aid("333344445555")};
    console.flows = {F::console_session};
    c.rules = {saml_only, saml_or_root, gated, no_root, console};
    cc::compiled_policy p(c);
    cc::elevation_set none;
    auto now = at("2026-11-23T09:00:00Z");
    const auto saml = cc::flow_bit(F::saml), root = cc::flow_bit(F::root);
    auto judge = [&](const char* account, cc::sign_in_flow_set also, bool either) {
        cc::sign_in_attempt a;
        a.flow = F::console_session;
        a.phase = cc::auth_phase::post_auth;
        a.account = aid(account);
        a.role_name = "Admin";
        a.user = "alice";
        a.binding = cc::session_binding::bound;
        a.also_flows = also;
        a.also_flows_either = either;
        return cc::evaluate(a, p, cc::elevation_view::of(none), now);
    };
    struct row {
        const char* account;
        cc::sign_in_flow_set also;
        bool either;
        cc::reason why;
        const char* rule;
    };
    for (const auto& r : {
             // Both at once (one sign-in read as both): the allow of one reaches.
             row{"111122223333", saml | root, false, cc::reason::rule_allow, "saml-only"},
             // One of them: the root sign-in's session is not a SAML one.
             row{"111122223333", saml | root, true, cc::reason::default_deny, ""},
             row{"111122223333", saml, true, cc::reason::rule_allow, "saml-only"},
             // A grant naming both reaches either way.
             row{"444455556666", saml | root, true, cc::reason::rule_allow, "saml-or-root"},
             // An elevation gate is a grant too: not reached, so no elevation is asked.
             row{"222233334444", saml | root, true, cc::reason::default_deny, ""},
             row{"222233334444", saml | root, false, cc::reason::elevation_missing, "saml-gated"},
             // A deny of one of them reaches, beside the console-session allow.
             row{"333344445555", saml | root, true, cc::reason::rule_deny, "no-root"},
             row{"333344445555", saml, true, cc::reason::rule_allow, "console"},
         }) {
        auto d = judge(r.account, r.also, r.either);
        EXPECT_EQ(d.why, r.why) << r.account << " " << r.also << " " << r.either;
        EXPECT_EQ(d.rule, r.rule) << r.account << " " << r.also << " " << r.either;
    }
}

// A rule's client_networks match clients of the family each network is written in: "::/0" is
// every IPv6 client and no IPv4 one (IPv4 clients are held IPv4-mapped, inside its bits), and
// "0.0.0.0/0" no IPv6 client.
TEST(client_networks, an_ipv6_network_never_matches_an_ipv4_client) {
    using E = cc::rule_effect;
    cc::policy_config c;
    auto v6_deny = rule("no-ipv6-clients", E::deny);
    v6_deny.client_networks = {net("::/0")};
    auto v4_allow = rule("ipv4-clients", E::allow);
    v4_allow.client_networks = {net("0.0.0.0/0")};
    c.rules = {v6_deny, v4_allow};
    cc::compiled_policy p(c);
    auto now = at("2026-12-05T10:00:00Z");
    auto from = [&](const char* client) {
        cc::sign_in_attempt a;
        a.flow = cc::sign_in_flow::cli_sign_in;
        a.phase = cc::auth_phase::pre_auth;
        a.client = *cc::ip_address::parse(client);
        return cc::evaluate(a, p, cc::elevation_view::unavailable(), now);
    };
    for (const char* v4 : {"10.1.2.3", "::ffff:10.1.2.3", "127.0.0.1"}) {
        auto d = from(v4);
        EXPECT_EQ(d.verdict, cc::effect::allow) << v4;
        EXPECT_EQ(d.rule, "ipv4-clients") << v4;
    }
    for (const char* v6 : {"2001:db8::1", "::1", "::a01:203"}) {
        auto d = from(v6);
        EXPECT_EQ(d.verdict, cc::effect::deny) << v6;
        EXPECT_EQ(d.rule, "no-ipv6-clients") << v6;
    }
    // Without the IPv6 rule an IPv6 client meets no rule: what no rule decides, never the
    // IPv4 clients' allow.
    c.rules = {v4_allow};
    cc::compiled_policy v4_only(c);
    cc::sign_in_attempt a;
    a.flow = cc::sign_in_flow::cli_sign_in;
    a.phase = cc::auth_phase::pre_auth;
    a.client = *cc::ip_address::parse("2001:db8::1");
    auto d = cc::evaluate(a, v4_only, cc::elevation_view::unavailable(), now);
    EXPECT_EQ(d.rule, "");
    EXPECT_NE(d.why, cc::reason::rule_allow);
}

// Every AMS guard setting, elevated or not, enforcing or report-only, over each spelling of a
// guarded change type and an AMS-reserved role the inspector hands over: the portal's permission
// set, the Identity Center session's AWSReservedSSO_<set>_<hex> (in either case of its hex:
// a name AWS would read as the set's must not pass as another role), a SAML or switch-role role.
TEST(policy_ams, every_setting_elevated_or_not_over_every_spelling) {
    struct attempt_shape {
        const char* label;
        cc::sign_in_flow flow;
        const char* role;
        const char* permission_set;  // what the inspector derives (principal.cpp)
        const char* change_type;
        bool change;  // guarded by change_types, else by reserved_roles
    };
    const attempt_shape shapes[] = {
        {"change lower", F::ams_change, "AWSReservedSSO_Ops_0123456789abcdef", "Ops",
         "ct-1opjmhuddw194", true},
        {"change upper", F::ams_change, "AWSReservedSSO_Ops_0123456789abcdef", "Ops",
         "CT-3RD4781C2NNHP", true},
        {"portal permission set", F::identity_center, "ams-ops", "ams-ops", "", false},
        {"portal permission set upper", F::identity_center, "AMS-Ops", "AMS-Ops", "", false},
        {"session role", F::console_session, "AWSReservedSSO_ams-ops_0123456789abcdef", "ams-ops",
         "", false},
        {"session role upper-case hex", F::console_session,
         "AWSReservedSSO_ams-ops_0123456789ABCDEF", "", "", false},
        {"session role prefix case", F::console_session, "awsreservedsso_ams-ops_0123456789abcdef",
         "", "", false},
        {"saml role", F::saml, "AWSManagedServicesAdminRole", "", "", false},
        {"switch role", F::switch_role, "ams-access-admin", "", "", false},
    };
    const cc::guard_action actions[] = {cc::guard_action::off, cc::guard_action::flag,
                                        cc::guard_action::block,
                                        cc::guard_action::block_unless_elevated};
    // ops is elevated for 222233334444 under "ams-ops" and "Ops"; eve is not elevated at all.
    auto elevation = [](const char* ps) {
        cc::elevation_record e;
        e.user = "ops";
        e.account = aid("222233334444");
        e.permission_set = ps;
        e.status = "in progress";
        e.start = at("2026-11-23T08:00:00Z");
        e.duration_hours = 2;
        return e;
    };
    const cc::elevation_set set({elevation("ams-ops"), elevation("Ops")});
    const auto now = at("2026-11-23T09:00:00Z");
    for (const auto& s : shapes) {
        for (auto action : actions) {
            for (bool guard_changes : {true, false}) {
                for (bool report_only : {false, true}) {
                    for (const char* user : {"ops", "eve"}) {
                        cc::policy_config c;
                        c.report_only = report_only;
                        c.ams_change_types = guard_changes ? action : cc::guard_action::off;
                        c.ams_reserved_roles = guard_changes ? cc::guard_action::off : action;
                        auto all = rule("allow-all", cc::rule_effect::allow);
                        all.accounts = {aid("222233334444")};
                        c.rules = {all};
                        cc::compiled_policy p(c);
                        cc::sign_in_attempt a;
                        a.flow = s.flow;
                        a.phase = s.flow == F::identity_center || s.flow == F::saml ||
                                          s.flow == F::switch_role
                                      ? P::pre_auth
                                      : P::post_auth;
                        a.account = aid("222233334444");
                        a.role_name = s.role;
                        a.permission_set = s.permission_set;
                        a.change_type = s.change_type;
                        a.user = user;
                        const auto d = cc::evaluate(a, p, cc::elevation_view::of(set), now);
                        const bool guarded = s.change == guard_changes;
                        // TEAM elevates a permission set by its exact name: only the spellings
                        // the inspector read one from lift a guard by elevation.
                        const std::string_view ps = s.permission_set;
                        const bool elevated =
                            std::string_view(user) == "ops" && (ps == "ams-ops" || ps == "Ops");
                        const auto act = guarded ? action : cc::guard_action::off;
                        const bool blocked =
                            act == cc::guard_action::block ||
                            (act == cc::guard_action::block_unless_elevated && !elevated);
                        const std::string where = std::string(s.label) + " action " +
                                                  std::to_string(static_cast<int>(action)) +
                                                  (guard_changes ? " changes" : " roles") +
                                                  (report_only ? " report-only " : " ") + user;
                        EXPECT_EQ(d.verdict, blocked ? cc::effect::deny : cc::effect::allow)
                            << where;
                        if (blocked)
                            EXPECT_EQ(d.why,
                                      s.change ? R::ams_guarded_change : R::ams_reserved_role)
                                << where;
                        else
                            EXPECT_EQ(d.rule, "allow-all") << where;
                        EXPECT_EQ(d.flagged, act == cc::guard_action::flag) << where;
                        EXPECT_EQ(d.report_only, report_only) << where;
                        EXPECT_EQ(d.enforced(),
                                  blocked && !report_only ? cc::effect::deny : cc::effect::allow)
                            << where;
                    }
                }
            }
        }
    }
}

// The prefixes are globs (config/README.md): "ams-*" is "ams-", not a literal '*'; matched on
// the role and on what follows AWSReservedSSO_ in it, whatever the case.
TEST(policy_ams, reserved_role_prefixes_are_globs) {
    cc::policy_config c;
    c.ams_reserved_roles = cc::guard_action::block;
    c.ams_reserved_role_prefixes = {"ams-*", "AWS?anagedServices"};
    auto all = rule("allow-all", cc::rule_effect::allow);
    all.accounts = {aid("222233334444")};
    c.rules = {all};
    cc::compiled_policy p(c);
    for (auto [role, reserved] : {std::pair{"ams-access-admin", true},
                                  {"AWSManagedServicesReadOnly", true},
                                  {"AMS-Admin", true},
                                  {"AWSReservedSSO_AMS-x_0123456789abcdef", true},
                                  {"AWSReservedSSO_x_ams-0123456789abcdef", false},
                                  {"amsadmin", false},
                                  {"Admin", false}}) {
        cc::sign_in_attempt a;
        a.flow = F::saml;
        a.phase = P::pre_auth;
        a.account = aid("222233334444");
        a.role_name = role;
        const auto d =
            cc::evaluate(a, p, cc::elevation_view::unavailable(), at("2026-11-23T09:00:00Z"));
        EXPECT_EQ(d.verdict, reserved ? cc::effect::deny : cc::effect::allow) << role;
    }
}
