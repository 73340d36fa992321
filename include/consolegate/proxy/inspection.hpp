#pragma once
// The hook every request on a bumped (inspected) connection goes through before it is forwarded.
// Called synchronously on the connection's worker thread; it must be pure and fast (no I/O) and
// may be called concurrently from several workers. The request view is valid only for the call.

#include <functional>
#include <string>

#include "consolegate/core/http_request.hpp"

namespace consolegate::proxy {

struct verdict {
    bool allow = true;
    bool expire_console_cookies =
        false;  // on deny: clear aws-userInfo, aws-userInfo-signed, aws-creds
    std::string account, role, flow, reason_code, reason_text, rule, event_id;
};

using inspector = std::function<verdict(const core::http_request_view&)>;

// The placeholder until the sign-in inspector is wired: every request is allowed.
inline verdict allow_all(const core::http_request_view&) {
    return {};
}

}  // namespace consolegate::proxy
