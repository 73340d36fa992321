#pragma once
// Import of an AWS Console Private Access VPC endpoint policy as policy rules, so a security
// team can reuse the policy it already wrote for the VPC endpoint.
//
// Accepted (IAM policy grammar, as the endpoint accepts it for the console):
//   {"Version": "2012-10-17", "Id": "…", "Statement": [ … ] | { … }}
//   statement: "Sid" (optional), "Effect": "Allow" | "Deny", "Principal": "*" | {"AWS": "*"},
//              "Action": "*" (every flow: the console endpoint's policy; so are "*:*" and
//              "**", which every action name matches) or AWS Sign-In actions (the Sign-In
//              endpoint's; globs, case-insensitive, as IAM matches "<service>:<action>"; a
//              Deny of a pattern whose service prefix has a wildcard, "s*" or
//              "*:Authenticate", names other services' actions too, which no rule selects,
//              and is a diagnostic):
//                signin:Authenticate          -> pre-auth: a Deny selects the console sign-in
//                                                flows; an Allow, with the two below, allows
//                                                them (next paragraph)
//                signin:AuthorizeOAuth2Access,
//                signin:CreateOAuth2Token     -> post-auth: an Allow selects cli-sign-in (`aws
//                                                login`), a Deny cli-sign-in and the console
//                                                sign-in flows (console sign-in goes through
//                                                both after authentication, AWS Sign-In User
//                                                Guide)
//                signin:CreateAccount         -> policy.account_sign_up: an unconditioned Deny
//                                                (of it or of "*") requires it to be "deny"; an
//                                                unconditioned Allow is a diagnostic; under a
//                                                Condition it is not selected (AWS gives sign-up no
//                                                condition keys), and a statement of it alone is a
//                                                diagnostic (it would never match)
//              "Resource": "*" (a string or a list holding only "*"),
//              "NotAction": AWS Sign-In actions (the service written out): Action "*" less them;
//              "*" matches nothing. "NotPrincipal" / "NotResource" of "*" only (the statement
//              matches nothing): others are a diagnostic,
//              "Condition" (optional) with operators
//                String[Not]Equals | String[Not]Like | String[Not]EqualsIgnoreCase (values
//                lowercased: IDs are digits or lowercase), each also …IfExists and after
//                ForAnyValue: or ForAllValues:, and Null. The positive ones (bare or after
//                ForAnyValue:) become selectors; the others rule_config::conditions, evaluated
//                with IAM's semantics (key_condition.hpp: an absent key, an account outside the
//                org export). Arn… and every other operator are a diagnostic
//              on the keys (names case-insensitive, as in IAM)
//                aws:PrincipalAccount   -> rule_config::accounts
//                aws:PrincipalOrgID     -> rule_config::org_ids
//                aws:PrincipalOrgPaths  -> rule_config::ou_paths (StringLike semantics)
//                aws:ResourceAccount,
//                aws:ResourceOrgID      -> accounts, org_ids, in statements whose Action names
//                                          AWS Sign-In actions only: the account signed in to
//                                          (AWS Management Console, "Trusted identities");
//                                          under Action "*" they name the resources a console
//                                          session reaches and are a diagnostic
//              each with a string or a non-empty list of strings. Before authentication
//              (signin:Authenticate) AWS has only the aws:Resource* keys: an aws:Principal* key
//              in a statement naming it is a diagnostic naming the statement (AWS evaluates it
//              as absent, so the statement would match no console sign-in there).
// A console sign-in through the Sign-In endpoint is evaluated against all three of
// signin:Authenticate, signin:AuthorizeOAuth2Access and signin:CreateOAuth2Token and succeeds
// only where each is allowed ("Trusted identities": pre- and post-authentication are evaluated
// separately). So the console sign-in flows are allowed by one rule per choice of an Allow
// statement for each of the three, named "<stem>:<Sid>+<Sid>…" and selecting what the chosen
// statements all select (accounts and organizations in both lists; OU paths where both
// match, for "o-…/…/ou-…/" and "o-…/…/ou-…/*" paths, others a diagnostic); a choice selecting
// nothing in common yields no rule, and one statement naming all three gets the flows on its
// own rule. An Allow of Action "*" is each of the three, and its own rule already holds every
// choice it is in. More than 4096 choices is a diagnostic.
// Several operators in one Condition all apply (IAM ANDs them), several values of one key are
// alternatives; a key written twice (under two operators, or aws:ResourceAccount beside
// aws:PrincipalAccount) selects what both lists select, and a statement whose lists have
// nothing in common yields no rule (it matches nothing on AWS either).
// Everything else is a diagnostic, never a silently wider rule: other keys, other operators,
// NotAction of other services, NotPrincipal/NotResource naming principals or resources,
// wildcards in account or org values (rules hold exact IDs), OU paths of two lists whose
// shapes cannot be intersected, empty lists (match nothing in IAM, everything here),
// policy variables, duplicate JSON keys. Each diagnostic is placed at the line and column of
// the element it names (an object member's key, a list element), as a syntax error is. On any
// diagnostic no rule is returned: importing part of a policy could drop a Deny.
//
// Rule names: "<file stem>:<Sid>" or "<file stem>:statement-<n>" (n from 1).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "consolegate/core/policy_config.hpp"

namespace consolegate::core {

// Which Console Private Access endpoint a policy is for. Each endpoint has its own policy and
// judges the requests that reach it (AWS Management Console, "Trusted identities"), so a rule
// imported from one selects only the flows of its endpoint:
//   sign_in  the AWS Sign-In endpoint: the console sign-in flows and `aws login` (cli-sign-in);
//            "*" there is AWS Sign-In's four actions (a Deny of it, unconditioned, is
//            signin:CreateAccount's too), and aws:Resource* keys are the account signed in to
//   console  the console endpoint: a session's console requests (console-session,
//            multi-session, api-credentials, ams-change); a statement naming AWS Sign-In
//            actions is a diagnostic there (sign-in never reaches it), and its Deny is no Deny
//            of sign-up
//   both     not said, and the document names actions other than AWS Sign-In's: every flow,
//            as imports did before endpoints were told apart (policy.endpoint_policies)
// Not said (nullopt), a document whose every statement names AWS Sign-In actions only is the
// Sign-In endpoint's, any other `both`; the loader takes such a document as the console
// endpoint's once another is the Sign-In endpoint's (each endpoint has one policy), and refuses
// a second document for an endpoint (`both` is each endpoint's): on AWS an endpoint has exactly
// one policy document, whose statements are decided together.
enum class policy_endpoint : std::uint8_t { both, sign_in, console };
const char* policy_endpoint_name(policy_endpoint e) noexcept;  // "both", "sign-in", "console"

struct endpoint_policy_import {
    policy_endpoint endpoint = policy_endpoint::both;  // as stated or as read from its actions
    std::vector<rule_config> rules;                    // empty when diagnostics is not
    std::vector<policy_diagnostic> diagnostics;        // every problem found, in document order
    // A Deny statement names signin:CreateAccount: the loader requires policy.account_sign_up =
    // "deny", which is what represents it (a statement naming only it yields no rule).
    bool denies_account_sign_up = false;
    bool ok() const noexcept { return diagnostics.empty(); }
};

// IAM caps an endpoint policy at 20 480 characters; anything much larger is not one.
inline constexpr std::size_t endpoint_policy_max_bytes = 256u << 10;
inline constexpr std::size_t endpoint_policy_max_statements = 1000;

endpoint_policy_import import_endpoint_policy(std::string_view json, std::string_view file,
                                              std::optional<policy_endpoint> stated = {});

}  // namespace consolegate::core

namespace consolegate::core {

// The other direction: the gateway's policy as the Console Private Access VPC endpoint policies
// (`consolegate export aws-policies`), so the AWS side can be kept in agreement with it. Console
// Private Access has two endpoints, each with its own policy (AWS Management Console, "Trusted
// identities"):
//   sign_in  the AWS Sign-In endpoint. Per enforcing rule two statements ("Sid" = the rule name
//            without non-alphanumerics + "PreAuth" / "PostAuth"): signin:Authenticate with
//            aws:ResourceAccount / aws:ResourceOrgID (before authentication AWS knows only the
//            account signed in to, as the resource), and signin:AuthorizeOAuth2Access +
//            signin:CreateOAuth2Token with aws:PrincipalAccount / aws:PrincipalOrgID (after it);
//            policy.account_sign_up = "deny" -> Deny signin:CreateAccount (unconditioned: AWS
//            gives sign-up no condition keys).
//   console  the console endpoint. Per enforcing rule one statement, Action "*", with
//            aws:PrincipalAccount / aws:PrincipalOrgID.
// Conditions are StringEquals; accounts -> the account key, org_ids -> the organization key;
// allow-with-elevation exports as Allow (TEAM gating stays the gateway's).
// What the endpoint policy grammar cannot say is noted, never silently changed: AWS documents
// no OU-path key for either endpoint, so an allow's ou_paths are exported as their organization;
// the actions are phases of every sign-in, not flows (console sign-in goes through all three,
// AWS Sign-In User Guide), so an allow of some flows is exported for all of them; an allow that
// also selects roles, users, client networks, corporate users or groups, or Identity Center
// instances is exported wider (those narrow on the gateway only); a deny narrowed by any of
// these is not exported (exporting it wider would refuse more on the AWS side than the gateway
// does); report-only rules, rules of other partitions only and rules of no flow the endpoint
// sees are not exported. Importing the document gives back the exported rules' accounts,
// organizations and effects (the sign-in document as two rules each, one per phase).
enum class endpoint_document : std::uint8_t { sign_in, console };
struct endpoint_policy_export {
    std::string json;                // the policy document (compact JSON)
    std::vector<std::string> notes;  // one line per rule exported wider or left out
};
endpoint_policy_export export_endpoint_policy(const policy_config& policy, endpoint_document which);

// The AWS side's own network restriction (`consolegate export aws-policies --policy
// sign-in-rcp`): a resource control policy for AWS Sign-In that denies console sign-in
// (signin:Authenticate before authentication; signin:AuthorizeOAuth2Access and
// signin:CreateOAuth2Token after) unless it comes from policy.aws_side's egress networks
// (aws:SourceIp) or VPC endpoints (aws:SourceVpce), except for its excluded principals
// (signin:PrincipalArn / aws:PrincipalArn). The gateway limits which accounts the corporate
// network reaches; this limits from where the organization's accounts are reached, so a
// device off the network cannot sign in to them at all. `error` is set (and json empty) when
// aws_side names no network.
struct sign_in_network_export {
    std::string json;
    std::vector<std::string> notes;
    std::string error;
};
sign_in_network_export export_sign_in_network_policy(const aws_side_config& side);

}  // namespace consolegate::core
