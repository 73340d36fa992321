#pragma once
// The session step of the enforcement pipeline (issue 20, docs/inspection.md "Session binding"):
// a post-auth console request is judged on the identity AWS gave its session (the session
// table), never on the aws-userInfo cookie the browser sends alone. Runs between inspect and
// evaluate in app::enforce(); sets core::sign_in_attempt::binding, which the policy turns into a
// reason (core/policy.hpp, step 1).
//
// Which requests need a binding: those with a post-auth attempt whose identity comes from the
// session (the aws-userInfo cookie: console-session, cli-sign-in's authorize step, ams-change),
// those presenting a cookie the table knows, and those presenting a console session cookie
// (session_cookie_names, the name read as inspect::cookie_name_is reads it: in any case, without
// what a reader's trim drops) — so a session whose aws-userInfo was removed is
// still judged. Static assets and sign-in pages without a session carry none of these and pass as
// before.
//
//   bound        every from-session attempt must agree with the binding (account, role, user);
//                one that disagrees is forged; the attempts then carry the bound identity (so
//                TEAM gating and corporate-identity rules see what AWS said). Without any
//                aws-userInfo the request gets a console-session attempt from the binding.
//   conflicting  the cookies belong to different sessions, or a session cookie is presented
//                that the binding does not know beside one it does (a forbidden session's
//                cookies spliced with one bound cookie of an allowed session), or the request
//                goes to a multi-session console host of another account than the binding's:
//                every from-session attempt is conflicting (one is added if there is none).
//   unbound      from-session attempts are unbound: denied (policy.unbound_sessions = "deny"),
//                or judged on the cookie ("cookie"). With "deny", session cookies without any
//                aws-userInfo add an unbound console-session attempt. A request that starts a
//                new session (an IAM user, root, SAML, Identity Center or federation sign-in)
//                is judged on what it asks for, its stale cookies on the cookie as before.
// A pending cookie (set within a sign-in AWS has not named yet, session_table.hpp) binds
// nothing: alone it is unbound, and beside a bound one it is a cookie the binding does not know.
//
// The person (docs/inspection.md "Session binding"): a bound session whose opener is known
// (session_identity::corporate_user) is that person's. Its attempts carry the opener
// (sign_in_attempt::session_corp_user), and when the request's corporate user is not the same
// person (same_person), or the request's connection names nobody, every attempt that took the
// session's identity is other_user (denied, session-user-mismatch) instead of bound: cookies
// copied, shared or stolen are judged as nobody's, never on the opener's TEAM elevation or
// groups. A session whose opener is not known is judged as before.
//
// Pure apart from reading the table (thread-safe); no clock (the request's time).

#include <array>
#include <optional>
#include <string_view>
#include <vector>

#include "consolegate/core/http_request.hpp"
#include "consolegate/core/policy_config.hpp"
#include "consolegate/core/sign_in.hpp"

namespace consolegate::app {

class session_table;

// Cookies AWS sets only on a signed-in console session (docs/inspection.md "Session binding").
inline constexpr std::array<std::string_view, 3> session_cookie_names{
    "aws-userInfo", "aws-userInfo-signed", "aws-creds"};

// True for an attempt whose identity the inspector took from the request's aws-userInfo cookie.
bool identity_from_session(const core::sign_in_attempt& a);

// Whether two corporate user names are one person: equal ASCII case-insensitively (as rules
// compare them), or both of the site's own realms (identity.realms, core::site_name_of) with the
// same bare name ("alice@CORP.EXAMPLE" by Kerberos, "alice" by the address map). Never for "".
bool same_person(std::string_view a, std::string_view b, const std::vector<std::string>& realms);

// One attempt of something `opener` opened (a console session, an access-portal token:
// app/portal_users.hpp), as presented by `presenter` ("": nobody established): with `opener`
// known, the attempt carries it (session_corp_user) and becomes other_user (denied,
// session-user-mismatch) when `presenter` is not the same person. An unknown opener changes
// nothing. The one comparison both rules make.
void judge_opened_by(core::sign_in_attempt& a, std::string_view opener, std::string_view presenter,
                     const std::vector<std::string>& realms);

// A bound session's attempts as presented by `presenter` ("": nobody established): each attempt
// that carries the session's identity (binding bound) gets `opener` as its session_corp_user, and
// becomes other_user when `opener` is known and `presenter` is not the same person. The session
// step calls it with the table's opener; explain with --session-opened-by.
void judge_session_user(std::vector<core::sign_in_attempt>& attempts, std::string_view opener,
                        std::string_view presenter, const std::vector<std::string>& realms);

// The session step. `attempts` are the inspector's, stamped with the request's time; `realms`
// are identity.realms (same_person).
void check_session_binding(std::vector<core::sign_in_attempt>& attempts,
                           const core::http_request_view& req, const session_table& table,
                           core::unbound_session_action unbound,
                           const std::vector<std::string>& realms = {});

// The session's own attempts beside its console requests judged also as `flows`, the sign-in
// that opened it: the multi-session console host of its `account` (one of another account is
// conflicting), and the console's own API calls signed with a key of that account. A host or
// key of another account is its own flow alone. `either`: the flows are alternatives
// (session_identity::flows_either).
void judge_own_as_session(std::vector<core::sign_in_attempt>& attempts,
                          const std::optional<core::account_id>& account,
                          core::sign_in_flow_set flows, bool either = false);

// Judging on the cookie (an unbound session under policy.unbound_sessions = "cookie", explain
// without a session table): an aws-userInfo whose arn names another account than the
// multi-session console host the request goes to is refused as ambiguous-identity, the cookie's
// attempt marked. The host names the account of the session it serves, the cookie another, and
// what AWS serves there is unknown: a bound session refuses the same request as conflicting or
// forged (check_session_binding). Before session 11 each was judged alone and the request passed
// when both accounts were allowed.
void refuse_cookie_of_another_host_account(std::vector<core::sign_in_attempt>& attempts);

// The audit event's identity_source: "" (pre-auth), "bound", "cookie" or "unknown".
std::string_view identity_source(const core::sign_in_attempt& a);

}  // namespace consolegate::app
