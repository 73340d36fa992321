#pragma once
// A sign-in attempt (what the proxy's inspector found in one request) and the policy's decision.
// Pure values, shared by proxy/inspect, the policy core, audit and `consolegate explain`.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "consolegate/core/address.hpp"
#include "consolegate/core/corp_identity.hpp"
#include "consolegate/core/ids.hpp"
#include "consolegate/core/partition.hpp"

namespace consolegate::core {

// Every flow of DESIGN.md "Where the account shows up".
enum class sign_in_flow : std::uint8_t {
    iam_user,         // <acct-or-alias>.signin.aws.amazon.com/console, /authenticate form
    root,             // /signin resolveAccountType / authenticateRoot (email only)
    saml,             // /saml SAMLResponse, role chooser roleIndex
    identity_center,  // portal.sso.<region>.amazonaws.com/federation/console|credentials
    custom_broker,    // /federation?Action=getSigninToken with a Session of temporary keys
    switch_role,      // /switchrole, multi-session /sessions/<id>/v1/switchrole
    multi_session,    // <acct>-<8>.<region>.console.aws.amazon.com
    console_session,  // aws-userInfo cookie on console / sign-in requests (post-auth)
    api_credentials,  // SigV4 Authorization credential from the browser (post-auth)
    ams_change,       // AMS change request naming a guarded change type
    cli_sign_in,      // `aws login`: Sign-In OAuth 2.0 /v1/authorize (browser) and /v1/token
    account_sign_up,  // new AWS account sign-up pages (signin:CreateAccount)
    // The IAM Identity Center access portal of one instance: <instance>.awsapps.com (the start
    // URL), and `aws sso login`'s StartDeviceAuthorization naming that start URL.
    identity_center_portal,
};
inline constexpr int sign_in_flow_count = 13;

// One bit per flow: a set of flows (rule selectors, sign_in_attempt::also_flows).
using sign_in_flow_set = std::uint32_t;
constexpr sign_in_flow_set flow_bit(sign_in_flow f) noexcept {
    return sign_in_flow_set{1} << static_cast<unsigned>(f);
}

enum class auth_phase : std::uint8_t { pre_auth, post_auth, session };

// The AWS Sign-In OAuth 2.0 action a cli_sign_in request is, which a Sign-In VPC endpoint
// policy allows or denies one by one: /v1/authorize is signin:AuthorizeOAuth2Access, /v1/token
// signin:CreateOAuth2Token. none: not a request the inspector read as one of them.
enum class oauth2_action : std::uint8_t { none, authorize, token };

// A post-auth attempt against what AWS said about the console session (issue 20,
// docs/inspection.md "Session binding"). Set by the enforcement pipeline (app/enforcement.cpp),
// which holds the session table; the inspector leaves it not_checked.
enum class session_binding : std::uint8_t {
    not_checked,  // no session table (explain), or the attempt is not about a console session
    bound,        // the identity is the one AWS gave the request's session cookies
    unbound,      // the gateway never saw AWS issue the request's session cookies
    conflicting,  // the request's cookies belong to different sessions (a spliced cookie jar)
    forged,       // the client's aws-userInfo disagrees with what AWS gave the session
    // The session was opened by a known corporate user, and the request comes from another one
    // (or from nobody the gateway can name): cookies copied, shared or stolen from that person.
    other_user,
};

// Where sign_in_attempt::idc_user came from.
enum class idc_user_source : std::uint8_t {
    none,
    portal_token,  // AWS's answer to the access portal's GET /user for the request's token
    corp_mapping,  // the corporate user mapped through identity.idc_user
};

std::string_view to_string(sign_in_flow f) noexcept;  // "iam-user", "root", "saml", …
std::optional<sign_in_flow> sign_in_flow_from_string(std::string_view s) noexcept;
std::string_view to_string(auth_phase p) noexcept;     // "pre-auth", "post-auth", "session"
std::string_view to_string(oauth2_action a) noexcept;  // "authorize", "token"; "" for none

struct sign_in_attempt {
    sign_in_flow flow = sign_in_flow::iam_user;
    auth_phase phase = auth_phase::pre_auth;
    oauth2_action oauth_action = oauth2_action::none;  // cli_sign_in: which step of `aws login`
    std::string host;                                  // lowercased, no trailing dot
    // The partition signed in to: the host's (core/partition.hpp). An ARN of another partition
    // in the request is a parse error (AWS would not act on it there).
    partition aws_partition = partition::aws;
    std::optional<account_id> account;  // when known (directly, decoded, or via alias)
    std::string alias;                  // account alias as sent, if the request named one
    std::string role_name;              // role / permission set role as named in the request
    std::string permission_set;         // from AWSReservedSSO_<name>_<hex> or role_name (IdC)
    std::string user;                   // IAM user name, session name, or root e-mail
    std::string source;       // where it was found: "form:account", "cookie:aws-userInfo"…
    std::string change_type;  // ams_change: the guarded change type ID
    // identity_center_portal: the Identity Center instance signed in to, as the start URL names
    // it (its first label, lowercased): a directory ID "d-xxxxxxxxxx" or the instance's alias.
    std::string idc_instance;
    // IAM Identity Center portal /federation/credentials: hands out API keys that the gateway
    // never sees again, so an elevation gate cannot be checked later on a console cookie.
    bool portal_credentials = false;
    // Non-empty when the inspector could not read what it must (malformed SAML, body over the
    // cap, undecodable key): the policy denies such an attempt with reason unparsable_request.
    std::string parse_error;
    // With parse_error: the identity the request names could be read two ways (aws-userInfo
    // repeating a key, a sign-in field given several different values): denied as
    // ambiguous-identity rather than unparsable-request.
    bool ambiguous_identity = false;
    session_binding binding = session_binding::not_checked;
    // Other flows the attempt is also judged as: a rule whose `flows` name one of them matches
    // it as if it were of that flow (core/policy.hpp, "Flows"). Set by the enforcement pipeline,
    // never by the inspector: on a bound console session's console-session attempts (and a
    // multi-session host and API keys of its account) the flows of the sign-in that established the
    // session, as AWS's answer naming it was judged (app/session_binding.cpp); on that answer
    // itself custom-broker on the identity-center attempt of a federation login AWS answers with
    // an AWSReservedSSO_ role (app/enforcement.cpp). Empty: the attempt's own flow alone.
    sign_in_flow_set also_flows = 0;
    // also_flows are alternatives, not all at once: the session's sign-in was one of them, which
    // one the gateway cannot tell (a step naming the session presented the pending cookies of two
    // sign-ins, or its sign-in path was read several ways). A granting rule reaches the attempt
    // through them only when its `flows` name every one; a deny, when they name any.
    bool also_flows_either = false;
    // The IAM Identity Center user name TEAM elevations are matched on when `user` is empty (the
    // portal's federation requests name none): set by the enforcement pipeline
    // (app/enforcement.cpp) from what AWS said about the request's portal token, else from the
    // corporate user through identity.idc_user. Empty: nobody could be established.
    std::string idc_user;
    idc_user_source idc_source = idc_user_source::none;
    ip_address client;
    corp_identity corp;  // the person on the corporate network, when known (source none if not)
    // A bound session's attempt: the corporate user who opened the session (whose connection
    // the sign-in AWS named came through), when known; "" otherwise. With binding other_user it
    // is not `corp.user`.
    std::string session_corp_user;
    std::chrono::system_clock::time_point time;
};

enum class effect : std::uint8_t { allow, deny };

// Stable reason codes: they appear in logs, metrics and the block page; never renumber or rename.
enum class reason : std::uint8_t {
    rule_allow,              // a rule allowed it
    rule_deny,               // a rule denied it
    default_deny,            // no rule matched
    elevation_active,        // allow-with-elevation, and TEAM says the user is elevated
    elevation_missing,       // allow-with-elevation, and no active elevation matches
    elevation_feed_stale,    // allow-with-elevation, and the feed is missing/invalid/stale
    unparsable_request,      // the inspector could not read a sign-in path: fail closed
    unknown_alias,           // the request names an alias the alias map does not know
    unknown_account,         // no account before authentication (root): allowed pre-auth by config
    ams_guarded_change,      // AMS Developer/Direct-Change mode change type
    ams_reserved_role,       // AMS-reserved role name
    no_account,              // no account named, and unknown accounts are not allowed here
    corp_user_unknown,       // no corporate user established, and policy.unknown_corp_user = deny
    elevation_expired,       // allow-with-elevation, and the user's elevation ended recently
    elevation_user_unknown,  // allow-with-elevation, and no user can be established (IdC portal)
    account_sign_up,         // creating a new AWS account (policy.account_sign_up)
    identity_center_instance,  // an Identity Center instance no rule's instance selector allows
    // Session binding (issue 20): what AWS said about the console session decides.
    session_identity_forged,  // the client's aws-userInfo disagrees with the session's binding
    session_unbound,          // session cookies the gateway never saw AWS issue
                              // (policy.unbound_sessions = "deny")
    session_conflicting,      // cookies of different sessions in one request
    ambiguous_identity,       // the identity could be read two ways (aws-userInfo repeats a
                              // key, a sign-in field has several different values)
    partition_not_enabled,    // a sign-in to a partition policy.partitions does not enable
    session_user_mismatch,    // a console session opened by another corporate user
};
std::string_view to_string(reason r) noexcept;  // "rule-allow", "default-deny", …
std::string_view describe(reason r) noexcept;   // one sentence for people (block page, explain)

struct decision {
    effect verdict = effect::deny;  // what the policy says
    reason why = reason::default_deny;
    std::string rule;          // name of the deciding rule; empty for defaults
    bool report_only = false;  // report-only (global or per rule): logged, never enforced
    bool flagged = false;      // AMS guardrail in flag mode: allowed but marked for review
    // The TEAM request behind elevation_active / elevation_expired (empty otherwise).
    std::string elevation_id;
    std::string elevation_ticket;
    std::optional<std::chrono::system_clock::time_point> elevation_end;

    // What the gateway actually does.
    effect enforced() const noexcept { return report_only ? effect::allow : verdict; }
};

std::string_view to_string(effect e) noexcept;  // "allow", "deny"

}  // namespace consolegate::core
