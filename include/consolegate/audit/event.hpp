#pragma once
// The sign-in audit event: one per sign-in attempt the gateway judged. Flat strings, so the same
// record is written as a JSON line, stored, queried and shown on the review page.
// Secrets never enter an event: no query strings, bodies, cookies, SAML assertions or tokens.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "consolegate/core/org_tree.hpp"
#include "consolegate/core/sign_in.hpp"

namespace consolegate::audit {

// Schema v1, documented field by field in docs/audit.md and docs/audit-event.schema.json.
inline constexpr int schema_version = 1;

struct event {
    std::string id;       // 32 hex digits: 48 bits of time (ms), 80 random; on the block page
    std::string time;     // RFC 3339 UTC, milliseconds
    std::string gateway;  // the instance that judged it (general.instance or the host name)
    std::string client;
    std::string flow, phase, host;
    std::string account, alias, ou_path, org, principal_arn, role, permission_set, user;
    std::string source, change_type, parse_error;
    std::string idc_instance;  // identity-center-portal: the instance (start URL's first label)
    // The person on the corporate network and how the gateway knows it (core::corp_source:
    // none | kerberos | header | address-map). Added in v1 without a version bump: readers
    // treat a missing field as "" (older events).
    std::string corp_user, corp_source;
    // Post-auth and session attempts: where the account, role and user came from (issue 20):
    // "bound" (what AWS said about the session), "cookie" (the client's aws-userInfo) or
    // "unknown" (neither: an access key, a host name). Empty for pre-auth attempts, which name
    // what the person asks for. Added in v1 without a version bump, as corp_source.
    std::string identity_source;
    // A session attempt judged also as the sign-in flows that opened its session
    // (core::sign_in_attempt::also_flows: the session binding's origin; a rule's `flows` matched
    // any of them): their names, comma-separated in the flows' order ("saml",
    // "identity-center,custom-broker"); "" for every other attempt. Added in v1 without a version
    // bump, as corp_source: readers treat a missing field as "".
    std::string also_flows;
    // Whether also_flows are alternatives (core::sign_in_attempt::also_flows_either): the
    // session's sign-in was one of them, the gateway could not tell which, and judged it so (a
    // grant had to name every one, a deny any); false when it was each of them or there are
    // none. Added in v1 without a version bump: readers treat a missing field as false.
    bool also_flows_either = false;
    // A bound console session's attempt: the corporate user who opened the session
    // (core::sign_in_attempt::session_corp_user; docs/inspection.md "Session binding"); with
    // reason session-user-mismatch it is not corp_user, who presented its cookies. "" when the
    // opener is not known or the attempt is not of a bound session. Added in v1 without a
    // version bump, as corp_source: readers treat a missing field as "".
    std::string session_corp_user;
    // A cli-sign-in attempt's step of `aws login` (core::sign_in_attempt::oauth_action, what an
    // imported endpoint policy's OAuth 2.0 actions select): "authorize" (/v1/authorize,
    // signin:AuthorizeOAuth2Access) or "token" (/v1/token, signin:CreateOAuth2Token); "" for
    // every other attempt. Added in v1 without a version bump: readers treat a missing field
    // as "".
    std::string oauth_action;
    std::string method, path;  // path without the query string
    std::string query;         // parameter names; values only of the few that carry no secret
    std::string effect;        // what the policy says: allow | deny
    std::string enforced;      // what the gateway did (differs in report-only mode)
    std::string reason, rule;
    std::string team_request_id, team_ticket, team_end;  // the TEAM elevation, when one decided
    // Identical requests this event stands for (audit.repeats = "count", docs/audit.md
    // "Repeated requests"): the same allowed request again on the same connection in an unchanged
    // world is counted on one event, not written once per request. 1 for every other event;
    // time_last is then empty, else the last repeat's time (`time` is the first's). Added in v1
    // without a version bump: readers treat a missing count as 1 and time_last as "".
    std::string time_last;
    bool report_only = false;
    bool flagged = false;
    std::uint64_t count = 1;

    friend bool operator==(const event&, const event&) = default;
};

// Every string field of an event in schema order, with its name in the JSON line and the SQLite
// column: the one table the JSON writer and reader and the SQLite row use, so none can drift.
struct event_string_field {
    const char* name;
    std::string event::*member;
};
inline constexpr event_string_field event_string_fields[] = {
    {"id", &event::id},
    {"time", &event::time},
    {"gateway", &event::gateway},
    {"client", &event::client},
    {"flow", &event::flow},
    {"phase", &event::phase},
    {"host", &event::host},
    {"account", &event::account},
    {"alias", &event::alias},
    {"ou_path", &event::ou_path},
    {"org", &event::org},
    {"principal_arn", &event::principal_arn},
    {"role", &event::role},
    {"permission_set", &event::permission_set},
    {"user", &event::user},
    {"source", &event::source},
    {"change_type", &event::change_type},
    {"parse_error", &event::parse_error},
    {"idc_instance", &event::idc_instance},
    {"corp_user", &event::corp_user},
    {"corp_source", &event::corp_source},
    {"identity_source", &event::identity_source},
    {"also_flows", &event::also_flows},
    {"session_corp_user", &event::session_corp_user},
    {"oauth_action", &event::oauth_action},
    {"method", &event::method},
    {"path", &event::path},
    {"query", &event::query},
    {"effect", &event::effect},
    {"enforced", &event::enforced},
    {"reason", &event::reason},
    {"rule", &event::rule},
    {"team_request_id", &event::team_request_id},
    {"team_ticket", &event::team_ticket},
    {"team_end", &event::team_end},
    {"time_last", &event::time_last},
};

// What the request alone does not say: which gateway, and where the account sits in the org.
struct event_context {
    std::string_view gateway;
    const core::org_tree* org = nullptr;
};

// `target` may carry a query string: `path` keeps the part before '?', `query` the parameter
// names with every value removed except those of redact_query()'s short allow-list.
event make_event(std::string id, const core::sign_in_attempt& a, const core::decision& d,
                 std::string_view method, std::string_view target, const event_context& ctx = {});

// "Action=getSigninToken&Session=%7B…%7D" -> "Action=getSigninToken&Session=": sign-in queries
// carry tokens, SAML responses and session credentials, so a value stays only for parameters
// known to carry none (Action, region, SessionDuration). Capped at 512 bytes.
std::string redact_query(std::string_view query);

// The IAM principal the attempt names, when the account and name are known:
// arn:aws:iam::<account>:role/<name>, …:user/<name>, …:root. Empty otherwise (Identity Center
// roles live under a path the request does not name).
std::string principal_arn(const core::sign_in_attempt& a);

// also_flows as `logs` and the review page show them, in `consolegate explain --session-flow`'s
// notation: "saml,iam-user" when the attempt was judged as each, "saml|iam-user" when as one of
// them (also_flows_either); "" when there are none.
std::string also_flows_shown(const event& e);

// The flow as `logs` and the review page show it: a cli-sign-in attempt's with its step of `aws
// login` ("cli-sign-in:authorize", "cli-sign-in:token"), every other one's as it is.
std::string flow_shown(const event& e);

// `s` as valid UTF-8: each byte that does not start or continue a well-formed sequence (RFC 3629:
// no overlong forms, surrogates or code points past U+10FFFF) becomes U+FFFD. `*replaced` (if
// given) is set when anything was replaced.
std::string valid_utf8(std::string_view s, bool* replaced = nullptr);
// Whether valid_utf8(s) would replace nothing (without copying `s`).
bool is_valid_utf8(std::string_view s);

// Every string field is written as valid UTF-8 (valid_utf8), and an event in which bytes were
// replaced is written flagged, so a percent-encoded invalid byte cannot make its line unreadable.
std::string to_json_line(const event& e);  // one line, no trailing newline
// nullopt with *error set for anything that is not an event object (unknown fields are ignored
// so newer writers stay readable).
std::optional<event> from_json_line(std::string_view line, std::string* error);

}  // namespace consolegate::audit
