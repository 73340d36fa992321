#pragma once
// The sign-in inspector: one HTTP request (as the browser sent it after TLS) -> every sign-in
// attempt it carries, for every flow of DESIGN.md "Where the account shows up". Pure: no sockets,
// no clock reads (attempt.client/time are copied from the request view).
//
// Contract for the caller (the proxy and `consolegate explain`):
// - Zero attempts: the request carries no sign-in information (static assets, ordinary pages
//   without the aws-userInfo cookie); forward it.
// - Every attempt must be allowed for the request to go through, with one exception: attempts
//   with flow saml and source "saml:Role" read from one SAMLResponse are alternatives (AWS shows
//   a role chooser when there are several); deny only when none is allowed. The chooser's own
//   post is judged on the role chosen (source "form:roleIndex").
// - Duplicate parameters yield one attempt per distinct value (so one denied value denies).
// - An attempt with a non-empty parse_error means the inspector could not read what it must (body
//   over the cap on a sign-in path, malformed SAML, undecodable key, unsupported encoding): deny.
// - Account IDs inside client_id / redirect_uri parameters (AWS's own) are never read.

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "consolegate/core/http_request.hpp"
#include "consolegate/core/ids.hpp"
#include "consolegate/core/sign_in.hpp"

namespace consolegate::inspect {

struct options {
    // The proxy already capped the body (http_request_view::body_truncated says so); this cap
    // bounds the SAML XML decoded from a body that fits.
    std::size_t max_saml_decoded_bytes = 256 * 1024;
    // Upper bound on attempts from one request (duplicate-parameter products); beyond it the
    // request yields a single parse_error attempt.
    std::size_t max_attempts = 64;
    // Copied from core::policy_config.
    std::vector<std::string> ams_change_type_ids{"ct-1opjmhuddw194", "ct-3rd4781c2nnhp"};
    // Lowercased alias -> account (core::policy_config::aliases): an alias found here also fills
    // attempt.account; unknown aliases leave it empty (the policy says unknown-alias).
    std::map<std::string, core::account_id> aliases;
};

// Never throws on any input (only std::bad_alloc). Thread-safe for concurrent calls.
std::vector<core::sign_in_attempt> inspect(const core::http_request_view& req, const options& opt);

}  // namespace consolegate::inspect
