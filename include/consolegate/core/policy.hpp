#pragma once
// The policy evaluator: policy_config compiled once per config load into immutable tables, and
// evaluate(), a pure function of (attempt, policy, elevations, now).
//
// Semantics, in the order evaluate() applies them:
//  1. attempt.parse_error set -> deny, unparsable_request (no rule can allow it);
//     ambiguous_identity with it (aws-userInfo repeating a key) -> deny, ambiguous_identity.
//     attempt.aws_partition not in policy_config::partitions -> deny, partition_not_enabled.
//     Session binding (attempt.binding, set by app/enforcement.cpp from what AWS said):
//     forged -> deny, session_identity_forged; conflicting -> deny, session_conflicting;
//     other_user (the session was opened by another corporate user) -> deny,
//     session_user_mismatch;
//     unbound -> deny, session_unbound when policy.unbound_sessions = "deny" (the default),
//     else judged on as below (the aws-userInfo cookie names the identity).
//     Flow account_sign_up -> deny, account_sign_up (report-only when policy.account_sign_up
//     says so); no rule is consulted.
//  1b. No corporate user (attempt.corp.user empty) and policy_config::deny_unknown_corp_user
//     (policy.unknown_corp_user = "deny") -> deny, corp_user_unknown. With the default
//     ("no-match") the rules decide, and corp_users / corp_groups selectors do not match it.
//  2. No account but an alias -> resolve it through policy_config::aliases (ASCII
//     case-insensitive); an unknown alias -> deny, unknown_alias. The alias map and the org
//     export describe the commercial partition: an alias is unique only within its partition, so
//     in GovCloud or China every alias is unknown (deny, unknown_alias).
//  3. AMS guardrails (ams_change flow naming a guarded change type; a role, the permission set
//     an Identity Center role stands for, or what follows "AWSReservedSSO_" in a role of any
//     case, whose name starts with a reserved prefix, compared case-insensitively so "AMS-…" is
//     caught too):
//       off                    nothing
//       flag                   the policy decides as usual; decision.flagged = true
//       block                  deny, ams_guarded_change / ams_reserved_role
//       block-unless-elevated  deny as for block unless TEAM elevates the user now
//                              (elevation_feed_stale if the feed is unavailable); elevated -> the
//                              policy decides as usual. policy_config::ams_elevation says which
//                              elevation counts: same_permission_set (user, account, permission
//                              set; the default) or any_for_account (user, account, any
//                              permission set; an unknown user is never elevated)
//  4. Rules. A rule selects only attempts of its partitions (rule_config::partitions, default
//     the commercial partition alone: the same account ID in another partition is another
//     account). A rule matches when every non-empty selector matches; a selector on a value the
//     attempt does not carry (no role yet, no user yet) does not match. An imported endpoint
//     policy's conditions (rule_config::conditions, key_condition.hpp) must hold too: never on
//     an attempt naming no account; one the gateway cannot decide (an account outside the org
//     export) holds for a deny and not for an allow (fail closed). Its org_ids / ou_paths are
//     decided the same way on such an account (in no organization or in one the gateway does
//     not know): selectors naming the export's organization alone do not match it, a deny
//     naming another organization holds (the account could be in it), an allow does not grant.
//     Flows: a `flows`
//     selector matches the attempt's flow or one of attempt.also_flows. The pipeline sets those
//     on a bound console session's console-session attempts (and a multi-session host and the
//     API keys of the session's account): the flows of the sign-in that established the session,
//     so `flows = ["saml"]` reaches the console requests of the sessions SAML opened, for allow,
//     allow-with-elevation and deny alike (a deny of a flow reaches its sessions too), while
//     `console-session` still selects every session's console requests. An unbound session, or
//     one whose sign-in the gateway did not see named, is its own flow alone. cli-sign-in and
//     ams-change keep their own flow: they are actions of a session, gated by their names.
//     When the session's sign-in is one of also_flows but which one is unknown
//     (attempt.also_flows_either: a step naming the session presented the pending cookies of
//     two sign-ins, or its sign-in path was read several ways), an allow or
//     allow-with-elevation reaches it through them only when its flows name every one, a deny
//     when they name any (fail closed both ways).
//     Rules are ranked by
//     effect, never by file order: an enforcing deny wins; otherwise a matching
//     allow-with-elevation decides (elevation_active / elevation_missing / elevation_expired /
//     elevation_feed_stale). The user matched (by TEAM elevations and by `users` selectors
//     alike) is attempt.user, else attempt.idc_user (the Identity Center user the pipeline
//     established for a portal request: from AWS's answer for its token, or the mapped
//     corporate user). An attempt with neither, in any phase (a portal link, a switch-role
//     link, an API key's request, a multi-session console host), is elevation_user_unknown, never
//     elevation_missing; of those, the portal's pre-auth /federation/console link alone (flow
//     identity_center; never /federation/credentials, never another flow) counts as elevated
//     when anyone is elevated for that account and permission set and
//     policy_config::portal_console_if_anyone_elevated says so (the
//     session's aws-userInfo cookie is then judged strictly on (user, account, permission set)),
//     even if a plain allow matches too (the narrower grant wins; fail closed); otherwise an
//     allow (rule_allow); otherwise the default. Within one effect, the first rule in file order
//     is named.
//  5. Default: an Identity Center portal attempt (flow identity_center_portal) when some rule
//     has an identity_center_instances selector -> deny, identity_center_instance: listing
//     instances makes the list an allow-list. An attempt with an account -> deny, default_deny.
//     With no account (root before authentication): pre-auth and allow_unknown_account_pre_auth ->
//     allow, unknown_account; otherwise deny, no_account. Only rules with no account, org or OU
//     selector can match an attempt that has no account. Org and OU selectors match only accounts
//     in the org export: an account created after the last export is default-denied until the
//     export catches up. The export is the commercial partition's organization: an attempt in
//     GovCloud or China is never in it, whatever its twelve digits (another partition's account
//     of the same number is another account).
//
// Report-only. The enforced outcome E is computed from enforcing rules alone, as if report-only
// rules did not exist, so a report-only rule can never change what the gateway does. The
// would-be outcome W treats every rule as enforcing. If E allows and W denies, the decision is W
// with report_only = true (verdict deny, rule = the report-only rule, enforced() = allow): it is
// logged as "would have been blocked" while the enforcing allow still lets it through. In every
// other case the decision is E with report_only = false; in particular a report-only rule never
// makes a decision report_only when an enforcing rule denies (that would turn the enforcing deny
// into an allow through decision::enforced()), and a report-only allow never shows on an enforced
// deny. Global report-only sets report_only = true on every decision (unparsable ones included:
// it is the roll-out mode, nothing is blocked). explain() returns E next to the decision, so the
// enforcing allow that a report-only deny outranks in the log stays visible.
//
// Selector case rules: see glob.hpp (roles case-sensitive in granting rules, case-insensitive in
// deny rules; users case-insensitive). corp_users and corp_groups are ASCII case-insensitive
// whatever the effect: Kerberos realms are upper case by convention, directory group names are
// not reliably cased, and the same person must not slip past a deny by spelling. Nor by the
// form of the name: a user of the site's own realms (identity.realms) matches corp_users under
// each of its spellings (alice, alice@CORP.EXAMPLE, CORP\alice: core::any_site_spelling).
//
// Thread-safety: compiled_policy is immutable; share it as std::shared_ptr<const compiled_policy>
// and call evaluate() from any thread.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "consolegate/core/address.hpp"
#include "consolegate/core/elevation.hpp"
#include "consolegate/core/glob.hpp"
#include "consolegate/core/org_tree.hpp"
#include "consolegate/core/policy_config.hpp"
#include "consolegate/core/sign_in.hpp"

namespace consolegate::core {

// What the TEAM feed says right now. Non-owning: the caller keeps the set alive for the call.
class elevation_view {
  public:
    // The feed is missing, invalid or older than its staleness limit.
    static elevation_view unavailable() noexcept { return elevation_view{}; }
    static elevation_view of(const elevation_set& set) noexcept { return elevation_view{&set}; }

    bool available() const noexcept { return set_ != nullptr; }
    const elevation_set* set() const noexcept { return set_; }

  private:
    elevation_view() = default;
    explicit elevation_view(const elevation_set* s) : set_(s) {}
    const elevation_set* set_ = nullptr;
};

class compiled_policy {
  public:
    // Builds the org tree and pre-resolves, per account, the rules whose account, org and OU
    // selectors match it, so a decision is one hash lookup plus a short scan. Expects a validated
    // config (the loader's job); never throws on content, only on allocation failure.
    explicit compiled_policy(const policy_config& config);

    const org_tree& org() const noexcept { return org_; }
    bool report_only() const noexcept { return report_only_; }
    std::size_t rule_count() const noexcept { return rules_.size(); }
    // The account an alias names (ASCII case-insensitive), if the alias map knows it.
    std::optional<account_id> resolve_alias(std::string_view alias) const noexcept;
    // Names of the rules that can match an account of `in` (by account, org and OU selectors),
    // in file order: what `explain` shows as "rules considered". The org export describes the
    // commercial partition: in another one the same twelve digits are another account, which
    // no org or OU selector reaches.
    std::vector<std::string_view> candidate_rules(std::optional<account_id> account,
                                                  partition in = partition::aws) const;

  private:
    friend decision evaluate(const sign_in_attempt&, const compiled_policy&, const elevation_view&,
                             std::chrono::system_clock::time_point);
    friend struct explanation explain(const sign_in_attempt&, const compiled_policy&,
                                      const elevation_view&, std::chrono::system_clock::time_point);
    static decision decide(const sign_in_attempt&, const compiled_policy&, const elevation_view&,
                           std::chrono::system_clock::time_point, struct explanation*);

    struct rule {
        std::string name;
        rule_effect effect = rule_effect::deny;
        bool report_only = false;
        bool has_account_selector = false;  // accounts, org_ids or ou_paths non-empty
        // A deny whose org_ids / ou_paths name another organization than the export's: it
        // holds for an account outside the export (which could be in it; point 4 above).
        bool deny_outside_export = false;
        sign_in_flow_set flows = 0;      // flow_bit per flow; 0 = any
        std::uint8_t oauth_actions = 0;  // 1 << oauth2_action per action; 0 = any
        partition_set partitions = partition_bit(partition::aws);
        std::vector<glob> roles;
        std::vector<glob> users;
        std::vector<glob> corp_users;
        std::vector<glob> corp_groups;
        std::vector<cidr> networks;
        std::vector<std::string> instances;     // lowercased Identity Center instance labels
        std::vector<key_condition> conditions;  // an imported endpoint policy's (policy_config)
    };
    using rule_list = std::vector<std::uint32_t>;  // indices into rules_, ascending

    const rule_list& candidates(std::optional<account_id> account, partition in) const noexcept;
    bool matches_rest(const rule& r, const sign_in_attempt& a,
                      std::optional<account_id> account) const;
    // r's conditions on the account (key_condition.hpp); yes when it has none.
    tri conditions_hold(const rule& r, const sign_in_attempt& a, std::optional<account_id> account,
                        const key_condition** deciding = nullptr) const;
    bool guarded_change(std::string_view change_type) const noexcept;
    bool reserved_role(std::string_view role) const noexcept;

    bool report_only_ = false;
    partition_set partitions_ = partition_bit(partition::aws);
    bool allow_unknown_account_pre_auth_ = true;
    bool deny_unknown_corp_user_ = false;
    bool portal_console_if_anyone_elevated_ = true;
    bool instances_listed_ = false;  // some rule selects Identity Center instances
    sign_up_action account_sign_up_ = sign_up_action::deny;
    unbound_session_action unbound_sessions_ = unbound_session_action::deny;
    guard_action ams_change_types_ = guard_action::flag;
    guard_action ams_reserved_roles_ = guard_action::flag;
    ams_elevation_scope ams_elevation_ = ams_elevation_scope::same_permission_set;
    std::vector<std::string> ams_change_type_ids_;
    std::vector<std::string> ams_reserved_role_prefixes_;
    std::vector<std::pair<std::string, account_id>> aliases_;  // sorted, lowercased
    std::vector<std::string> site_realms_;                     // policy_config::site_realms
    org_tree org_;
    std::string org_id_;  // the org export's organization
    std::vector<rule> rules_;
    std::vector<rule_list> lists_;  // interned candidate lists
    // account -> lists_ index: open addressing, power-of-two size, at most half full, so a
    // lookup is one multiply and usually one cache line (std::unordered_map took a quarter of a
    // decision in bench/policy).
    struct slot {
        std::uint64_t key = empty_key;
        std::uint32_t list = 0;     // for the account in the commercial partition (the export's)
        std::uint32_t foreign = 0;  // the same digits in another partition: outside the export
    };
    static constexpr std::uint64_t empty_key = ~std::uint64_t{0};  // no account ID is 2^64-1
    std::vector<slot> table_;
    unsigned shift_ = 64;
    void table_insert(account_id a, std::uint32_t list, std::uint32_t foreign);
    const slot* table_find(account_id a) const noexcept;
    std::uint32_t default_list_ = 0;  // rules without account selectors
    // An account outside the export that no rule names: default_list_ and the rules with
    // deny_outside_export that name no accounts.
    std::uint32_t outside_list_ = 0;
};

// Pure: reads no clock (`now` decides elevation windows) and allocates only the decision's rule
// name. See the top of this header for the semantics.
decision evaluate(const sign_in_attempt& attempt, const compiled_policy& policy,
                  const elevation_view& elevations, std::chrono::system_clock::time_point now);

// The same decision with its working, for `consolegate explain` and the review page: when a
// report-only rule is what the decision names, `enforcing` still shows the enforcing rule that
// lets the attempt through, so a report-only deny never hides an enforcing allow.
struct explanation {
    decision result;     // == evaluate(...)
    decision enforcing;  // from enforcing rules alone (global report-only still applied)
    std::optional<account_id> account;    // the account decided on (after alias resolution)
    std::vector<std::string> considered;  // rules whose account/org/OU selectors fit, file order
    std::vector<std::string> matched;     // rules that matched every selector, file order
    // Per considered rule of an imported endpoint policy with conditions (rule_config::
    // conditions): "<rule>: <operator> <key> holds | does not hold | cannot be decided …".
    std::vector<std::string> conditions;
};
explanation explain(const sign_in_attempt& attempt, const compiled_policy& policy,
                    const elevation_view& elevations, std::chrono::system_clock::time_point now);

// What an attempt of a flow can name, so that a rule's selectors can match it: as the inspector
// reads each flow (docs/inspection.md), the session binding copies a console session's identity
// (app/session_binding.cpp) and AWS's answer to a sign-in is judged under the sign-in's flow
// with the identity AWS named (app/enforcement.cpp enforce_response; a root sign-in's answer
// names the account). A user can always be named: the Identity Center user mapped from the
// corporate user (identity.idc_user) stands in where the request names none. The config loader
// refuses a rule whose selectors need what none of its flows names: it would never match, and a
// deny written so lets everything through.
struct flow_names {
    bool account = false;   // accounts, org_ids, ou_paths
    bool role = false;      // roles (a role or permission-set name)
    bool instance = false;  // identity_center_instances
};
flow_names names_of(sign_in_flow flow) noexcept;

}  // namespace consolegate::core
