#pragma once
// identity.idc_user: the IAM Identity Center user name of a corporate user (issue 15 point 6,
// issue 13 point 4), for TEAM matching where AWS names no user (the access portal's federation
// requests) and the portal's own answer did not name one either (docs/team.md "Who is elevated").
//
// A template with placeholders, filled from the corporate user as established (Kerberos,
// trusted header, address map):
//   {user}   as established:              "alice@CORP.EXAMPLE", "CORP\alice", "alice"
//   {name}   without realm or domain:     "alice"
//   {realm}  the Kerberos realm or the Windows domain: "CORP.EXAMPLE", "CORP"; a user without
//            one maps to nobody when the template uses {realm}
// e.g. "{name}@corp.example" (alice@CORP.EXAMPLE -> alice@corp.example), "{user}", "{name}".
// Case is kept: TEAM matching compares user names ASCII case-insensitively (core/elevation.hpp),
// as IAM Identity Center does.
//
// Pure; thread-safe.

#include <string>
#include <string_view>

namespace consolegate::core {

// An IAM Identity Center user name is 1..128 characters (identitystore CreateUser).
inline constexpr std::size_t max_idc_user = 128;

// "" when `tmpl` is a template as identity.idc_user takes it, else what is wrong and how to write
// it: only {user}, {name} and {realm}; {user} or {name} at least once; no other brace, no space
// or control character; at most 256 characters.
std::string check_idc_user_template(std::string_view tmpl);

// The Identity Center user name `tmpl` gives `corp_user`, or "" when there is none: no
// corporate user, an empty bare name, {realm} without a realm, or a result over max_idc_user.
// `tmpl` must have passed check_idc_user_template ("" otherwise).
std::string idc_user_of(std::string_view tmpl, std::string_view corp_user);

}  // namespace consolegate::core
