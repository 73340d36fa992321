#pragma once
// `*` / `?` globs for policy selectors (role, permission-set and user names) and for IAM
// StringLike values (aws:PrincipalOrgPaths).
//
// Syntax: `*` matches any run of characters (including none and including '/'), `?` exactly one
// character (a whole UTF-8 sequence: user names may be any Unicode); every other character is
// literal (there is no escape and no character class, as in IAM's StringLike). An empty text is
// matched only by patterns made of `*` alone.
//
// Case rules (decided here, used by core/policy):
//   - role and permission-set names: case-SENSITIVE when a rule grants (allow,
//     allow-with-elevation), like IAM ARNs and StringLike on aws:PrincipalArn; case-INSENSITIVE
//     when a rule denies. IAM role names are unique regardless of case and a pre-auth request
//     carries the name as the user typed it, so a case variant must neither escape a deny nor earn
//     an allow the canonical spelling would not get.
//   - user names: case-insensitive in every rule: IAM Identity Center (and TEAM) compare user
//     names case-insensitively, and IAM user names are unique regardless of case.
//   - aws:PrincipalOrgPaths: case-sensitive (StringLike); Organizations IDs are lowercase.
// Case folding is ASCII only: AWS names of all three kinds are ASCII.
//
// Thread-safety: a glob is immutable after construction; concurrent matching is safe.

#include <cstdint>
#include <string>
#include <string_view>

namespace consolegate::core {

enum class glob_case : std::uint8_t { sensitive, insensitive };

// Matches without compiling; linear in practice, O(pattern × text) at worst.
bool glob_match(std::string_view pattern, std::string_view text,
                glob_case mode = glob_case::sensitive) noexcept;

// Whether `pattern` matches the start of `text` (as `pattern` followed by '*' would): AMS
// reserved role prefixes, "ams-" and "ams-*" alike.
bool glob_match_prefix(std::string_view pattern, std::string_view text,
                       glob_case mode = glob_case::sensitive) noexcept;

bool has_glob_wildcard(std::string_view s) noexcept;  // contains '*' or '?'

// Globs the config loader accepts, 1..256 bytes each.
// Roles and permission sets: IAM's name alphabet [A-Za-z0-9+=,.@_-] plus '*' and '?'; anything
// else could never match a name AWS issues, so it is a typo.
bool is_valid_name_glob(std::string_view pattern) noexcept;
// Users: Identity Store user names may hold any printable Unicode, so only ASCII control
// characters and spaces are refused. Case folding stays ASCII: "JOSÉ" and "josé" differ.
bool is_valid_user_glob(std::string_view pattern) noexcept;

char ascii_lower(char c) noexcept;
bool iequals(std::string_view a, std::string_view b) noexcept;  // ASCII case-insensitive

// A pattern classified once so the common shapes (literal, "prefix*", "*suffix", "*") match with
// one comparison on the hot path.
class glob {
  public:
    glob() = default;
    explicit glob(std::string pattern, glob_case mode = glob_case::sensitive);

    bool matches(std::string_view text) const noexcept;
    // The role IAM Identity Center provisions for a permission set is
    // "AWSReservedSSO_<permission set>_<16 lowercase hex>", and a request that names only the
    // permission set (the portal's federation links) does not say the hex. Whether this glob
    // matches that role for some hex suffix (what a deny must assume) or for every one (what a
    // grant may rely on). Allocation-free.
    bool matches_sso_role_for_some(std::string_view permission_set) const noexcept;
    bool matches_sso_role_for_every(std::string_view permission_set) const noexcept;
    const std::string& pattern() const noexcept { return pattern_; }
    glob_case mode() const noexcept { return mode_; }

  private:
    enum class shape : std::uint8_t { any, literal, prefix, suffix, general };
    std::string pattern_;
    std::string fixed_;  // literal / prefix / suffix text (lowercased when insensitive)
    glob_case mode_ = glob_case::sensitive;
    shape shape_ = shape::literal;
    // The text before the first wildcard agrees with "AWSReservedSSO_" as far as both go: only
    // then can the glob name an IAM Identity Center role (a cheap test on the hot path).
    bool may_name_sso_role_ = false;
};

}  // namespace consolegate::core
