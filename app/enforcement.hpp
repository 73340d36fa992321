#pragma once
// Sign-in enforcement: what happens to one HTTP request on an inspected connection.
//   request --inspect--> sign-in attempts --evaluate--> decisions --> audit events --> verdict
// The same code serves the live proxy and `consolegate explain`, so the simulator can never
// disagree with the gateway.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "consolegate/core/config.hpp"
#include "consolegate/core/http_request.hpp"
#include "consolegate/core/policy.hpp"
#include "consolegate/inspect/inspector.hpp"

namespace consolegate::app {

// Everything a decision needs from the configuration; rebuilt on reload and swapped whole.
struct policy_snapshot {
    std::shared_ptr<const core::config> cfg;
    std::shared_ptr<const core::compiled_policy> policy;
    inspect::options inspect_options;
};
std::shared_ptr<const policy_snapshot> make_policy_snapshot(std::shared_ptr<const core::config> c);

struct judged_attempt {
    core::sign_in_attempt attempt;
    core::decision decision;
    std::string event_id;
};

struct judgement {
    std::vector<judged_attempt> attempts;  // empty: the request carries no sign-in information
    bool allow = true;                     // what the gateway does with the request
    int deciding = -1;  // index of the attempt the verdict is about (the first blocking one)
    bool expire_console_cookies = false;  // a post-auth deny: sign the browser out
};

// Combines the decisions of one request:
//  - SAML Role alternatives (flow saml, source "saml:Role", several from one SAMLResponse): AWS
//    then shows a role chooser, so the request passes when at least one role is allowed (the
//    chooser's roleIndex post is judged on the chosen role);
//  - every other attempt must be allowed: one denied value denies the request.
// Report-only decisions never block (decision::enforced()).
judgement judge(const core::http_request_view& req, const policy_snapshot& snap,
                const core::elevation_view& elevations,
                const std::function<std::string()>& new_event_id);

// Sets allow / deciding / expire_console_cookies from the attempts' decisions, by the rules
// above. judge() calls it; `explain --user` calls it again after re-evaluating.
void combine(judgement& j);

// A random 128-bit identifier, hex; unique per event.
std::string random_event_id();

}  // namespace consolegate::app
