#pragma once
// Sign-in enforcement: what happens to one HTTP request on an inspected connection, in one
// function that the live proxy (app/sign_in_hook.hpp) and `consolegate explain` both call, so the
// simulator can never disagree with the gateway:
//
//   request view --inspect--> sign-in attempts --evaluate--> decisions --combine--> one outcome
//                --audit--> one event per attempt --verdict--> what the proxy does
//
// Pure: no I/O, no clock (the request carries its time), no shared state. Typed to the edge: the
// verdict carries core types; strings are made only where bytes leave the process (the block
// page, the audit event's serialisation, explain's JSON).

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "consolegate/audit/event.hpp"
#include "consolegate/core/config.hpp"
#include "consolegate/core/http_request.hpp"
#include "consolegate/core/policy.hpp"
#include "consolegate/inspect/inspector.hpp"
#include "consolegate/proxy/inspection.hpp"

namespace consolegate::app {

class portal_user_table;
class session_table;
struct session_identity;

// Everything a decision needs from the configuration; rebuilt on reload and swapped whole.
struct policy_snapshot {
    std::shared_ptr<const core::config> cfg;
    std::shared_ptr<const core::compiled_policy> policy;
    inspect::options inspect_options;
};
std::shared_ptr<const policy_snapshot> make_policy_snapshot(std::shared_ptr<const core::config> c);

// A random 128-bit identifier, hex; unique per event.
std::string random_event_id();

// What the pipeline is given besides the request. The proxy sets policy and elevations; explain
// also sets default_user (--user) and trace; --now is the request's time.
struct enforcement_inputs {
    const policy_snapshot* policy = nullptr;  // required
    core::elevation_view elevations = core::elevation_view::unavailable();
    // The user for attempts that name none (explain --user, e.g. to check a TEAM elevation).
    std::string_view default_user;
    // The gateway instance named in the audit events (its host name; empty in explain).
    std::string_view gateway;
    // Keep each evaluation's working (rules considered and matched) for explain.
    bool trace = false;
    std::string (*new_event_id)() = random_event_id;
    // The console sessions AWS was seen to sign in (the gateway's; explain has none): with it,
    // post-auth attempts are judged on their binding (app/session_binding.hpp); without it, on
    // the aws-userInfo cookie as sent.
    const session_table* sessions = nullptr;
    // Who holds which IAM Identity Center portal token, as AWS said (app/portal_users.hpp; the
    // gateway's, explain has none): names the user of the portal's federation requests.
    const portal_user_table* portal_users = nullptr;
    // Without a session table (explain --session-flow): the flows of the sign-in that opened the
    // session the request's aws-userInfo names, as the gateway keeps them with a binding; its
    // console-session attempts, and the multi-session host and API keys of its account, are also
    // judged as them.
    core::sign_in_flow_set session_flows = 0;
    // Those flows are alternatives (explain --session-flow 'a|b'): the session's sign-in was one
    // of them, which one the gateway could not tell (session_identity::flows_either).
    bool session_flows_either = false;
    // Without a session table (explain --session-opened-by): the corporate user who opened the
    // session the request's aws-userInfo names, as the gateway keeps it with a binding; its
    // console requests presented by another person (or by nobody named) are judged as the bound
    // session's are (judge_session_user: session-user-mismatch).
    std::string_view session_corp_user;
};

struct judged_attempt {
    core::sign_in_attempt attempt;
    core::decision decision;
    std::string event_id;
    // The evaluation's working, with enforcement_inputs::trace (trace->result == decision).
    std::optional<core::explanation> trace;
};

// The combine step's result.
struct combined {
    core::effect effect = core::effect::deny;
    int deciding = -1;  // the attempt the outcome is about: the first that blocks; -1 on allow
    bool expire_console_cookies = false;  // a post-auth deny signs the browser out
};

struct enforcement_result {
    std::vector<judged_attempt> attempts;  // empty: the request carries no sign-in information
    combined outcome;
    std::vector<audit::event> events;  // one per attempt, in the same order
    proxy::verdict verdict;
};

// The pipeline. Throws std::invalid_argument without in.policy, and on allocation failure (the
// proxy then denies: inspector_error).
enforcement_result enforce(const core::http_request_view& req, const enforcement_inputs& in);

// The pipeline on a response that names an identity (issue 20): AWS's answer to `req` sets an
// aws-userInfo naming `named`. A post-auth attempt with that identity (source
// "response:aws-userInfo"; binding bound) for each flow the answer can come from: the flows of
// the request's pre-auth attempts (root, custom-broker, saml, …; the account label of an
// <account>.signin host only when there is no other, as it names a page, not the endpoint; a
// federation login naming an AWSReservedSSO_ role is identity-center, also judged as
// custom-broker), else
// console-session, also judged as the flows of the sign-in whose pending cookies the request
// presents (in.sessions).
// Judged as enforce() judges a request, so a root or federation sign-in that named no account
// before AWS answered is judged as soon as AWS names it, under the rules of its own flow. `events`
// holds their events when the response decides something the request's own attempts did not (a
// deny, report-only included, or an account no attempt of the request named); otherwise it is
// empty.
enforcement_result enforce_response(const core::http_request_view& req,
                                    const session_identity& named, const enforcement_inputs& in);

// The flows that established the session AWS's answer names, for session_identity::flows: every
// flow the answer was judged under (enforce_response's attempts), console-session left out but
// where it stands for a sign-in of flows not known among alternatives.
core::sign_in_flow_set session_flows(const enforcement_result& answer);
// Whether those flows are alternatives (session_identity::flows_either): the answer was judged
// as several sign-ins (one attempt each), or as a session whose pending cookies continued two.
bool session_flows_either(const enforcement_result& answer);

// The steps, in the order enforce() calls them; public for the unit tests.

// inspect: the request's sign-in attempts, stamped with its client and time (and
// in.default_user where an attempt names no user), then checked against the session table when
// in.sessions is set (check_session_binding). An attempt that still names no user gets the IAM
// Identity Center user TEAM is matched on (attempt.idc_user): for the portal's federation
// requests the user AWS named for the request's bearer token (in.portal_users), else the
// corporate user through identity.idc_user.
std::vector<core::sign_in_attempt> inspect_request(const core::http_request_view& req,
                                                   const enforcement_inputs& in);
// evaluate: one policy evaluation per attempt (with its working when in.trace).
std::vector<judged_attempt> evaluate_attempts(std::vector<core::sign_in_attempt> attempts,
                                              const enforcement_inputs& in);
// combine: the decisions of one request into one outcome.
//  - SAML Role alternatives (flow saml, source "saml:Role", several from one SAMLResponse): AWS
//    then shows a role chooser, so the request passes when at least one role is allowed (the
//    chooser's roleIndex post is judged on the chosen role); when none is, the first blocked one
//    decides;
//  - every other attempt must be allowed: the first one that blocks decides;
//  - report-only decisions never block (decision::enforced());
//  - a deny of a post-auth or session attempt expires the console cookies, a pre-auth one not.
combined combine(std::span<const judged_attempt> attempts);
// audit: one event per attempt, from the typed attempt and decision (identity_source from
// app/session_binding.hpp; for an attempt matched on its idc_user, that user as the event's user
// and identity_source "portal-token" or "corp-mapping").
std::vector<audit::event> audit_events(const core::http_request_view& req,
                                       std::span<const judged_attempt> attempts,
                                       const audit::event_context& ctx = {});
// Where the identity the attempt was judged on came from, as the audit event and explain say
// it: identity_source() (app/session_binding.hpp), or for an attempt that named no user and was
// matched on its idc_user, "portal-token" or "corp-mapping".
std::string_view event_identity_source(const core::sign_in_attempt& a);

// verdict: what the proxy does, naming the deciding attempt (the first attempt on an allow).
proxy::verdict make_verdict(std::span<const judged_attempt> attempts, const combined& outcome);

}  // namespace consolegate::app
