#pragma once
// The sign-in audit event: one per sign-in attempt the gateway judged. Flat strings, so the same
// record is written as a JSON line, stored, queried and shown on the review page.
// Secrets never enter an event: no query strings, bodies, cookies, SAML assertions or tokens.

#include <optional>
#include <string>
#include <string_view>

#include "consolegate/core/sign_in.hpp"

namespace consolegate::audit {

struct event {
    std::string id;    // random 128-bit hex; shown on the block page
    std::string time;  // RFC 3339 UTC, milliseconds
    std::string client;
    std::string flow, phase, host;
    std::string account, alias, role, permission_set, user;
    std::string source, change_type, parse_error;
    std::string method, path;  // path without the query string
    std::string effect;        // what the policy says: allow | deny
    std::string enforced;      // what the gateway did (differs in report-only mode)
    std::string reason, rule;
    bool report_only = false;
    bool flagged = false;

    friend bool operator==(const event&, const event&) = default;
};

// `target` may carry a query string; only the part before '?' is kept.
event make_event(std::string id, const core::sign_in_attempt& a, const core::decision& d,
                 std::string_view method, std::string_view target);

std::string to_json_line(const event& e);  // one line, no trailing newline
// nullopt with *error set for anything that is not an event object (unknown fields are ignored
// so newer writers stay readable).
std::optional<event> from_json_line(std::string_view line, std::string* error);

}  // namespace consolegate::audit
