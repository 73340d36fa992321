#pragma once
// The policy section of the configuration as the loader produces it: validated, pre-parsed, with
// the source location of every rule so diagnostics and `explain` can point at it.
// core/config (the loader) fills it; core/policy compiles it into the evaluator's tables.

#include <map>
#include <string>
#include <vector>

#include "consolegate/core/address.hpp"
#include "consolegate/core/ids.hpp"
#include "consolegate/core/partition.hpp"
#include "consolegate/core/sign_in.hpp"

namespace consolegate::core {

struct source_location {
    std::string file;
    int line = 0;    // 1-based; 0 = unknown
    int column = 0;  // 1-based; 0 = unknown
};

// One problem found while importing policy material (endpoint policies, TEAM snapshots):
// where it is (file, and line:col when the parser knows it) and a message for people that names
// the offending element ("Statement[2].Condition.StringLike.aws:PrincipalAccount: …").
struct policy_diagnostic {
    source_location where;
    std::string message;
};

enum class rule_effect : std::uint8_t { allow, deny, allow_with_elevation };

// AMS guardrails: what to do with a guarded change type or an AMS-reserved role sign-in.
enum class guard_action : std::uint8_t { off, flag, block, block_unless_elevated };

// AMS guardrails in block-unless-elevated mode: which elevation lifts the guard. The same
// permission set as the attempt (user, account, permission set), or any active elevation of the
// user for the account (an operator elevated to one permission set may use another's guarded
// change types or reserved roles in that account).
enum class ams_elevation_scope : std::uint8_t { same_permission_set, any_for_account };

// New AWS account sign-up (flow account_sign_up, AWS's signin:CreateAccount): refused, or only
// reported. Decided before the rules (a sign-up names no account a rule could select).
enum class sign_up_action : std::uint8_t { deny, report_only };

// A post-auth console request whose session cookies the gateway never saw AWS issue
// (core::session_binding::unbound): denied (the person signs in again through the gateway), or
// judged on its aws-userInfo cookie as before session binding (a migration window).
enum class unbound_session_action : std::uint8_t { deny, cookie };

// A condition of an imported endpoint policy that no selector can say: the negated operators
// (StringNotEquals, StringNotEqualsIgnoreCase, StringNotLike), the …IfExists forms, Null and the
// ForAllValues: qualifier, kept as written and evaluated with IAM's semantics against what the
// gateway knows of the attempt's account (core/key_condition.hpp). No TOML key sets one.
enum class condition_key : std::uint8_t {
    account,    // aws:PrincipalAccount (and aws:ResourceAccount in AWS Sign-In statements)
    org_id,     // aws:PrincipalOrgID (aws:ResourceOrgID)
    org_paths,  // aws:PrincipalOrgPaths (multivalued)
};
// What a key_condition decides: the gateway may not know (key_condition.hpp).
enum class tri : std::uint8_t { no, yes, unknown };
struct key_condition {
    enum class test : std::uint8_t { equals, like, null };
    enum class qualifier : std::uint8_t { none, for_any_value, for_all_values };
    condition_key key = condition_key::account;
    test op = test::equals;
    bool negated = false;      // StringNot…
    bool ignore_case = false;  // …IgnoreCase: values lowercased, the request's value too
    bool if_exists = false;    // …IfExists: true when the key is absent
    qualifier set = qualifier::none;
    bool null_means_absent = true;    // Null: "true" (the key is absent) or "false"
    std::vector<std::string> values;  // as written (lowercased under ignore_case)
    std::string text;                 // "StringNotEquals aws:PrincipalOrgID" for explain
    bool operator==(const key_condition&) const = default;
};

struct rule_config {
    std::string name;  // unique within the policy
    source_location where;
    std::string description;
    rule_effect effect = rule_effect::deny;
    bool report_only = false;
    // Selectors: an empty list matches everything; a rule matches when every non-empty list
    // matches the attempt.
    std::vector<account_id> accounts;
    std::vector<std::string> org_ids;   // validated o-…
    std::vector<std::string> ou_paths;  // validated aws:PrincipalOrgPaths values
    std::vector<std::string> roles;     // globs over role / permission-set names (glob.hpp: case)
    std::vector<std::string> users;     // globs over user / session names (case-insensitive)
    std::vector<sign_in_flow> flows;
    // The OAuth 2.0 actions a cli_sign_in attempt must be (sign_in_attempt::oauth_action); set
    // only by an imported endpoint policy whose statement names one of the two (AWS evaluates
    // each separately), no TOML key. An attempt of no known action is never granted by such a
    // rule and is refused by such a deny. Attempts of other flows are not narrowed by it.
    std::vector<oauth2_action> oauth_actions;
    std::vector<cidr> client_networks;
    // Globs over the corporate user ("alice@CORP.EXAMPLE") and its groups; ASCII
    // case-insensitive (policy.hpp). Never match an attempt whose corporate user is unknown.
    std::vector<std::string> corp_users;
    std::vector<std::string> corp_groups;
    // IAM Identity Center instances (flow identity_center_portal), lowercased: directory IDs
    // ("d-xxxxxxxxxx") or aliases (the start URL's first label). Once any rule has one, a portal
    // attempt that no rule allows is denied with reason identity_center_instance.
    std::vector<std::string> identity_center_instances;
    // The partitions whose attempts the rule selects (bit per core::partition). Unwritten: the
    // commercial partition only, so a rule written before other partitions were enabled never
    // reaches an account of the same number in GovCloud or China.
    partition_set partitions = partition_bit(partition::aws);
    // Set only by an imported endpoint policy: every one must hold (IAM ANDs a Condition's
    // operators) besides the selectors above.
    std::vector<key_condition> conditions;
};

// One account of the organization export.
struct org_account {
    account_id id;
    std::string name;
    std::string path;  // its parent's aws:PrincipalOrgPaths value: "o-…/r-…/ou-…/…/"
};

// [policy.aws_side]: what the AWS side should say about where console sign-in may come from
// (`consolegate export aws-policies --policy sign-in-rcp`, docs/inspection.md "The AWS side").
// The gateway's own decisions never read it; the export does.
struct aws_side_config {
    // The corporate egress addresses AWS sees sign-ins come from (aws:SourceIp): public
    // addresses only (a private one never reaches AWS as a source address).
    std::vector<cidr> egress_networks;
    // AWS Sign-In VPC endpoints of Console Private Access (aws:SourceVpce), "vpce-…".
    std::vector<std::string> vpc_endpoints;
    // Break-glass principals exempt from the network restriction (signin:PrincipalArn before
    // authentication, aws:PrincipalArn after): IAM role, user or root ARNs.
    std::vector<std::string> excluded_principals;
};

struct policy_config {
    bool report_only = false;  // global report-only mode
    // The partitions judged (policy.partitions); a sign-in to any other is refused before the
    // rules with reason partition_not_enabled. The commercial partition is always one of them.
    partition_set partitions = partition_bit(partition::aws);
    // Root sign-in names no account before authentication: allow it pre-auth (and enforce on
    // the aws-userInfo cookie afterwards), or deny every unknown-account pre-auth attempt.
    bool allow_unknown_account_pre_auth = true;
    // An attempt whose corporate user nobody established: the rules decide (corp_users and
    // corp_groups selectors do not match it), or it is denied with corp_user_unknown before any
    // rule is looked at.
    bool deny_unknown_corp_user = false;
    // identity.realms (copied by the loader): the site's own realms and domains, whose users
    // corp_users selectors match under every spelling (core::any_site_spelling).
    std::vector<std::string> site_realms;
    // At the IAM Identity Center portal's /federation/console no user is named. true: pass
    // pre-auth when anyone is elevated for the account and permission set (the console cookie
    // is then judged strictly per user); false: deny as elevation-user-unknown.
    // /federation/credentials is always denied without a user (its keys are never seen again).
    bool portal_console_if_anyone_elevated = true;
    sign_up_action account_sign_up = sign_up_action::deny;
    unbound_session_action unbound_sessions = unbound_session_action::deny;
    std::string org_id;                         // from the org export
    std::vector<org_account> accounts;          // from the org export
    std::map<std::string, account_id> aliases;  // lowercased alias -> account
    std::vector<rule_config> rules;  // in file order; imported endpoint policies appended
    guard_action ams_change_types = guard_action::flag;
    guard_action ams_reserved_roles = guard_action::flag;
    ams_elevation_scope ams_elevation = ams_elevation_scope::same_permission_set;
    std::vector<std::string> ams_change_type_ids{"ct-1opjmhuddw194", "ct-3rd4781c2nnhp"};
    std::vector<std::string> ams_reserved_role_prefixes{"ams-", "AWSManagedServices"};
    aws_side_config aws_side;
};

}  // namespace consolegate::core
