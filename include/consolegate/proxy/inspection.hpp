#pragma once
// The hook every request on a bumped (inspected) connection goes through before it is forwarded.
// Called synchronously on the connection's worker thread; it must be pure and fast (no I/O) and
// may be called concurrently from several workers. The request view is valid only for the call.
//
// The verdict stays typed until the block page renders it (proxy/block_page.cpp): reason codes
// and texts become strings there and nowhere else.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "consolegate/core/address.hpp"
#include "consolegate/core/http_request.hpp"
#include "consolegate/core/ids.hpp"
#include "consolegate/core/sign_in.hpp"
#include "consolegate/proxy/refusal.hpp"

namespace consolegate::proxy {

// What the verdict rests on.
enum class verdict_basis : std::uint8_t {
    no_verdict,       // nobody judged the request: a deny ("no-verdict")
    inspector_error,  // the hook threw: a deny ("inspector_error", docs/proxy.md)
    no_sign_in,       // the request carries no sign-in information: forwarded
    policy,           // the policy decided about `flow`/`account`/…: see `why` and `rule`
};

// A value-initialised verdict is a deny (STYLE.md 22: a verdict nobody set is a deny).
struct verdict {
    core::effect effect = core::effect::deny;  // what the proxy does with the request
    verdict_basis basis = verdict_basis::no_verdict;
    // basis == policy: the decision about the deciding attempt (on a deny the attempt that
    // blocks, on an allow the first one).
    core::reason why = core::reason::default_deny;
    std::string rule;  // the deciding rule's name; empty for defaults
    // The deciding attempt, as the block page names it.
    std::optional<core::sign_in_flow> flow;
    std::optional<core::account_id> account;  // as the request named it (else `alias`)
    std::string alias, role_name, permission_set;
    std::string event_id;  // the audit event of the deciding attempt
    // The TEAM request behind an elevation decision (elevation_expired: the one that ended).
    std::string elevation_id, elevation_ticket;
    std::optional<std::chrono::system_clock::time_point> elevation_end;
    // On deny: clear aws-userInfo, aws-userInfo-signed, aws-creds (a post-auth deny signs the
    // browser out).
    bool expire_console_cookies = false;

    bool allows() const noexcept { return effect == core::effect::allow; }
};

// Must never be empty: proxy::service refuses to be built without one.
using inspector = std::function<verdict(const core::http_request_view&)>;

// What the origin answered to a forwarded request on an inspected connection. Valid only for the
// observer's call.
struct response_view {
    unsigned status = 0;
    std::vector<std::pair<std::string_view, std::string_view>> headers;  // as the origin sent them
    std::string_view body;       // the whole body when it was buffered (Content-Length, small)
    bool body_complete = false;  // false: the body streams to the client past the observer
};

// Optional: sees every response on an inspected connection, with its request as judged (head
// and the body read for inspection), before its first byte reaches the client, so what it learns
// (app/session_table.hpp) is known when the client's next request arrives. Same threading rules as
// the inspector (worker threads, concurrently, no I/O). Returns nullopt to let the response
// through, or a verdict: one that does not allow replaces the response with that verdict's block
// page (the origin's answer, its Set-Cookie included, never reaches the client; its unread body, if
// any, is dropped with the upstream connection). This is how a session AWS opened for a forbidden
// account (root, federation sign-in token) is refused before the browser holds it. An observer that
// throws is logged and the response forwarded: learning nothing leaves the next request unbound,
// which the inspector judges (fail closed there, not here).
using response_observer = std::function<std::optional<verdict>(
    const core::http_request_view& request, const response_view& response)>;

// Work the gateway must finish off the worker threads before the proxy goes on with a request or
// a response (a fleet's shared session store: a lookup before judgement, a binding written
// through before the response that set its cookies is released; app/session_sharing.hpp).
// A hook returns an empty `pending` when there is nothing to wait for (the common case: no
// allocation, no wait). Otherwise the proxy calls it once with `resume`, which the hook's owner
// must call exactly once, from any thread, within a deadline of its own; the connection's
// coroutine waits for it without blocking its worker (proxy/hook_wait.hpp) and then goes on as
// usual (judge, or release the response). `resume` must not be called after the hook's owner
// was stopped: the owner outlives the proxy's workers and resumes everything it holds when it
// stops. The hooks run on the worker threads, concurrently, with views valid only for the call.
using resume_fn = std::function<void()>;
using pending = std::function<void(resume_fn resume)>;
struct waiting_hooks {
    // Before the inspector, on every request of an inspected connection.
    std::function<pending(const core::http_request_view&)> before_judgement;
    // After the response observer let a response through, before its first byte reaches the
    // client.
    std::function<pending(const core::http_request_view&, const response_view&)> before_release;
};

// A connection or request the proxy refused before anything on it was judged: a name that is not
// a host, a tunnel to an inspected name's address with no usable server name, names that
// disagree, a Host other than the connection's (421), a request it cannot frame (400, 501).
// Valid only for the call. Same threading rules as the inspector; the observer must bound what
// it records (an attacker can refuse himself at line rate).
struct refusal_view {
    refusal_code reason{};    // e.g. "inspected-address-literal" (refusal.hpp); docs/proxy.md
    std::string_view host{};  // the name or address the client gave (CONNECT, SNI, URL or Host)
    std::string_view sni{};   // "" when none was read
    unsigned status = 0;      // the HTTP status answered; 0 = a TLS alert or a close
    std::string_view method{}, target{};  // of the request refused, when there was one
    core::ip_address client{};
    std::chrono::system_clock::time_point time{};
    // Who the proxy knew was behind the connection (identification.hpp); null when nobody was
    // established yet (the observer may still ask the address map for `client`).
    const core::corp_identity* corp = nullptr;
};
using refusal_observer = std::function<void(const refusal_view&)>;

}  // namespace consolegate::proxy
