#pragma once
// The AWS CLI's shared files, ~/.aws/credentials and ~/.aws/config (INI): sections of
// `key = value` lines. In the config file profiles are `[profile NAME]` (and `[default]`); in the
// credentials file `[NAME]`. Nested sub-sections (indented lines under `s3 =`) and other section
// kinds (`[sso-session …]`, `[services …]`) are skipped. Pure; never throws on bad input.

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace consolegate::team {

using aws_profile = std::map<std::string, std::string, std::less<>>;
using aws_profiles = std::map<std::string, aws_profile, std::less<>>;

inline constexpr std::size_t aws_config_file_max_bytes = 1u << 20;

// `config_file`: true for ~/.aws/config (profile sections carry the "profile " prefix).
aws_profiles parse_aws_ini(std::string_view text, bool config_file);

// A value of a profile, or nullopt when the profile or the key is missing or the value is empty.
std::optional<std::string> profile_value(const aws_profiles& files, std::string_view profile,
                                         std::string_view key);

}  // namespace consolegate::team
