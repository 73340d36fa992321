#pragma once
// What a corporate user name may look like, wherever it comes from (the trusted header, the
// address map's API and file): 1 to 256 bytes, no whitespace, no control character, no '"' or
// ','. Kerberos principals ("alice@CORP.EXAMPLE"), down-level names ("CORP\alice") and UTF-8
// names pass; the name is kept as given (rules compare ASCII case-insensitively, policy.hpp).

#include <string_view>

namespace consolegate::identity {

inline constexpr std::size_t max_user_name = 256;

// Empty when `user` is acceptable, else why not (for the operator; never echoes the value).
std::string_view check_user_name(std::string_view user) noexcept;

}  // namespace consolegate::identity
