#pragma once
// Pure parsers for the value types of the configuration (durations, sizes, endpoints, globs,
// OU paths, aliases). Each returns an empty string on success or a message that says what is
// wrong and, where obvious, how to fix it. No toml++ here, so tests and fuzzers can use them alone.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "consolegate/core/config.hpp"

namespace consolegate::core::config_detail {

// "500ms", "30s", "5m", "12h", "7d"; at most 100 years.
std::string parse_duration(std::string_view s, duration& out);
// "64KiB", "1MiB", "2GiB", "512B", or a plain number of bytes (as a string).
std::string parse_size(std::string_view s, std::uint64_t& out);
// "1.2.3.4:53", "[::1]:53"; with default_port != 0 also "1.2.3.4", "::1", "[::1]".
std::string parse_endpoint(std::string_view s, std::uint16_t default_port, endpoint& out);
// A CIDR, with a precise message for host bits set.
std::string parse_cidr(std::string_view s, cidr& out);
// Untrusted text for a diagnostic: in quotes, at most 80 bytes, unprintable bytes as '?'.
std::string quoted(std::string_view s);
// A name glob (roles, users): not empty, printable, only '*' and '?' are special. '\' is refused
// (it escapes nothing in a glob) unless `backslash` is true: corporate user globs, where it is
// the Windows domain's separator (CORP\alice) and literal.
std::string check_glob(std::string_view s, bool backslash = false);
// An aws:PrincipalOrgPaths value: o-…/ then r-…/ then ou-…/ segments; ends with "/" or "/*".
std::string check_ou_path(std::string_view s);
// An account alias (core::is_account_alias: IAM's 3..63 of [a-z0-9-], no leading, trailing or
// doubled '-'); lowercased. Not an account ID, nor digits and dashes the inspector cannot read as
// one (all but the console's 1111-2222-3333 spelling).
std::string parse_alias(std::string_view s, std::string& out);
// An environment variable name: [A-Za-z_][A-Za-z0-9_]*.
std::string check_env_name(std::string_view s);

// The known key closest to `key` by edit distance, or "" if none is close enough.
std::string_view nearest_key(std::string_view key, std::span<const std::string_view> known);

// The org export (config/README.md, "Org export"): fills out.org_id and out.accounts; every
// problem is appended to diags with the file and the account index.
void parse_org_export(std::string_view json, const std::string& file, policy_config& out,
                      std::vector<diagnostic>& diags);

}  // namespace consolegate::core::config_detail
