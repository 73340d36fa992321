#pragma once
// The IAM Identity Center access portal's signed-in user, as AWS names it (issue 13 point 4;
// docs/inspection.md "The portal's user"). The portal's web app carries the person's session as a
// bearer token (`x-amz-sso_bearer_token`, the `x-amz-sso_authn` cookie's value) on every call to
// its API at portal.sso.<region>.amazonaws.com; `/federation/console` and
// `/federation/credentials` name the account and permission set but no user. The portal asks
// `GET /user` for the signed-in person's profile, and AWS's answer names the user (`subject`).
// The gateway reads that answer on the inspected connection (never what the client claims) and
// remembers token -> user (app/portal_users.hpp), so a later federation request presenting the
// token is judged for that person.
//
// Pure; thread-safe. What was relied on, and from where, is in docs/inspection.md.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "consolegate/core/http_request.hpp"

namespace consolegate::inspect {

// Tokens outside these bounds are no keys: shorter ones cannot be a portal session, longer ones
// are refused before hashing (the portal's are a few hundred bytes).
inline constexpr std::size_t min_portal_token = 16;
inline constexpr std::size_t max_portal_token = 8 * 1024;
// An IAM Identity Center user name is at most 128 characters (identitystore CreateUser).
inline constexpr std::size_t max_portal_user = 128;

// Whether `req` goes to an access portal API host (core::is_access_portal_api_host of the Host,
// else the SNI; case, port and a trailing dot ignored).
bool is_portal_api_host(const core::http_request_view& req);

// The bearer token the request presents: every value of `x-amz-sso_bearer_token` (and its
// dashed spelling `x-amz-sso-bearer-token`, seen from the portal's own script) must be the same
// one, within the bounds above. nullopt when there is none, or several different ones (which one
// AWS reads is not known: nobody is named).
std::optional<std::string_view> portal_bearer_token(const core::http_request_view& req);

// Whether `req` is the portal's profile call: GET <portal API host>/user (query
// and one trailing slash ignored).
bool is_portal_user_request(const core::http_request_view& req);

// The user AWS's answer to `GET /user` names: the top-level string member `subject`, exactly
// once, 1..max_portal_user characters without control characters, spaces or quotes. nullopt for
// anything else (not JSON, a repeated key anywhere, a missing or non-string subject): nobody is
// learned, and the federation requests of that token stay without a user (fail closed).
std::optional<std::string> portal_user_from_answer(std::string_view body);

}  // namespace consolegate::inspect
