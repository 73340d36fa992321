#pragma once
// `consolegate explain`, the policy simulator: one request through the enforcement pipeline
// (app/enforcement.hpp) exactly as the proxy's hook runs it, rendered as the JSON object the
// command prints.

#include <boost/json/object.hpp>

#include "consolegate/core/http_request.hpp"
#include "enforcement.hpp"

namespace consolegate::app {

// One evaluation per attempt (in.trace is set here, so the rules considered and matched come
// from the very evaluation that decided). Keys: method, host, path, effect, the deciding
// attempt's flow, phase, account, alias, role, permission_set, user, reason, reason_text, rule,
// and attempts[] with each attempt's working and event_id.
boost::json::object explain_request(const core::http_request_view& req, enforcement_inputs in);

}  // namespace consolegate::app
