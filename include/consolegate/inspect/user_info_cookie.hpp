#pragma once
// The console's `aws-userInfo` cookie: URL-encoded JSON that AWS sets on .aws.amazon.com after a
// successful sign-in, e.g. {"arn":"arn:aws:sts::ACCT:assumed-role/ROLE/SESSION","alias":"…",
// "username":"…","issuer":"…","signinType":"PUBLIC"}. The gateway reads it (it is not signed;
// `aws-userInfo-signed` is, and is not verified here) to know which account a console request is
// for after authentication.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "consolegate/core/principal.hpp"

namespace consolegate::inspect {

struct user_info {
    std::string arn;
    std::string alias;
    std::string username;
    std::string issuer;
    std::string signin_type;
    core::principal principal;  // parsed `arn`
};

inline constexpr std::size_t max_user_info_cookie = 8 * 1024;

// `value` is the cookie value as sent (percent-encoded JSON, optionally in double quotes).
// Returns nullopt and a reason in `why` (if non-null) when it is over max_user_info_cookie, not
// valid percent-encoding, not a JSON object, repeats a key (any object, any key: `*ambiguous`
// is then set, if given), or has no parsable `arn`. Pure; thread-safe.
std::optional<user_info> parse_user_info_cookie(std::string_view value, std::string* why,
                                                bool* ambiguous = nullptr);

// Whether a cookie's `name` is `wanted` to the most lenient server, compared as the inspector
// compares parameter names: in any case, without what any reader's trim drops at either end (the
// C0 controls, NBSP and the other Unicode spaces, a byte-order mark), ended by a NUL or an array
// suffix. Node's `cookie` trims names with JavaScript's trim(), others ignore case, so
// "\xC2\xA0aws-creds" is aws-creds there. noexcept, pure.
bool cookie_name_is(std::string_view name, std::string_view wanted) noexcept;

// Every value of cookie `name` in the Cookie header values (RFC 6265 section 4.2.1 syntax), in
// order, duplicates kept. Names are compared by cookie_name_is: a server reading cookie names
// leniently (Node's `cookie` trims them with JavaScript's trim(), others ignore case) takes
// "AWS-USERINFO" or "aws-userInfo\v" for aws-userInfo, so such a cookie's identity is judged too.
std::vector<std::string_view> cookie_values(const std::vector<std::string_view>& cookie_headers,
                                            std::string_view name);

// The cookies a lenient reader finds in the Cookie header values and an RFC 6265 reader (split
// at ';', then at the first '=') does not: one that percent-decodes the whole header before it
// splits it ("a=x%3B%20aws-creds%3DV" is a="x; aws-creds=V" to RFC 6265, a=x and aws-creds=V
// to it), and one that also splits at RFC 2965's ',' ("x=1, aws-creds=V"). Name and value
// decoded, trimmed; each such pair once, in order. Pure; thread-safe.
std::vector<std::pair<std::string, std::string>> cookies_a_lenient_reader_finds(
    const std::vector<std::string_view>& cookie_headers);

}  // namespace consolegate::inspect
