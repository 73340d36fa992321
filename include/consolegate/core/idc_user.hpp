#pragma once
// identity.idc_user: the IAM Identity Center user name of a corporate user (issue 15 point 6,
// issue 13 point 4), for TEAM matching where AWS names no user (the access portal's federation
// requests) and the portal's own answer did not name one either (docs/team.md "Who is elevated").
//
// A template with placeholders, filled from the corporate user as established (Kerberos,
// trusted header, address map):
//   {user}   as established:              "alice@CORP.EXAMPLE", "CORP\alice", "alice"
//   {name}   without realm or domain:     "alice", only for a user of the site's own realms
//            (identity.realms) or one without a realm: {name} drops the realm, so
//            alice@PARTNER.EXAMPLE (a trusted realm's user) or PARTNER\alice would otherwise map
//            to the site's alice; such a user maps to nobody
//   {realm}  the Kerberos realm or the Windows domain: "CORP.EXAMPLE", "CORP"; a user without
//            one maps to nobody when the template uses {realm}
// e.g. "{name}@corp.example" (alice@CORP.EXAMPLE -> alice@corp.example), "{user}", "{name}".
// Case is kept: TEAM matching compares user names ASCII case-insensitively (core/elevation.hpp),
// as IAM Identity Center does.
//
// Pure; thread-safe.

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace consolegate::core {

// An IAM Identity Center user name is 1..128 characters (identitystore CreateUser).
inline constexpr std::size_t max_idc_user = 128;

// "" when `tmpl` is a template as identity.idc_user takes it, else what is wrong and how to write
// it: only {user}, {name} and {realm}; {user} or {name} at least once; no other brace, no space
// or control character; at most 256 characters.
std::string check_idc_user_template(std::string_view tmpl);

// "alice@CORP.EXAMPLE" -> (alice, CORP.EXAMPLE); "CORP\alice" -> (alice, CORP); "alice" ->
// (alice, ""). A Kerberos principal's realm follows its last '@' (RFC 4120 §6.2: '@' may be
// quoted in the name part, never in the realm), so an enterprise principal
// "alice@corp.example@CORP.EXAMPLE" is (alice@corp.example, CORP.EXAMPLE).
std::pair<std::string_view, std::string_view> split_user(std::string_view user) noexcept;

// The bare name of `user` (split_user) when it is one of the site's: it has no realm or domain,
// or one `realms` lists (ASCII case-insensitive); nullopt for a user of any other realm, whose
// bare name may be a site user's (identity.realms; {name} in idc_user and the LDAP filters).
std::optional<std::string_view> site_name_of(std::string_view user,
                                             const std::vector<std::string>& realms) noexcept;

// Calls `f` on each spelling of `user` until it returns true; whether one did. A user of the site's
// own realms (site_name_of) is one person however an identity source spells them: as
// established, then the bare name, name@R and R\name for every R of `realms` (Kerberos writes
// alice@CORP.EXAMPLE, a trusted header or an address map may write CORP\alice or alice). Another
// realm's user, or any user while `realms` is empty, has only the spelling established. For
// corp_users selectors and the groups file: a deny written on one spelling reaches the person
// identified under another. Allocation-free.
template <class F>
bool any_site_spelling(std::string_view user, const std::vector<std::string>& realms, F&& f) {
    if (f(user)) return true;
    auto name = site_name_of(user, realms);
    if (!name || name->empty() || realms.empty()) return false;
    if (*name != user && f(*name)) return true;
    std::array<char, 1024> buf;
    for (const auto& r : realms) {
        const auto n = name->size(), len = n + 1 + r.size();
        if (len > buf.size()) continue;
        name->copy(buf.data(), n);
        buf[n] = '@';
        r.copy(buf.data() + n + 1, r.size());
        if (f(std::string_view(buf.data(), len))) return true;
        r.copy(buf.data(), r.size());
        buf[r.size()] = '\\';
        name->copy(buf.data() + r.size() + 1, n);
        if (f(std::string_view(buf.data(), len))) return true;
    }
    return false;
}

// Whether `tmpl` drops the user's realm: it uses {name} and not {realm}, so identity.realms must
// say which realms are the site's.
bool idc_user_drops_realm(std::string_view tmpl) noexcept;

// The Identity Center user name `tmpl` gives `corp_user`, or "" when there is none: no
// corporate user, an empty bare name, {realm} without a realm, {name} of a user outside
// `realms` (site_name_of) in a template that drops the realm, or a result over max_idc_user.
// `tmpl` must have passed check_idc_user_template ("" otherwise).
std::string idc_user_of(std::string_view tmpl, std::string_view corp_user,
                        const std::vector<std::string>& realms);

}  // namespace consolegate::core
