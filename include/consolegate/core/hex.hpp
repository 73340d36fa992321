#pragma once
// Lowercase hexadecimal for digests and keys (session cookie digests, the fleet key and its
// fingerprint): what the session file and the PostgreSQL session rows store.

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace consolegate::core {

// Two lowercase hex digits per byte.
std::string to_hex(std::span<const unsigned char> bytes);

// Exactly 2 * out.size() lowercase hex digits into `out`; false (out unspecified) otherwise:
// uppercase, odd lengths and other characters are refused, as the writers never produce them.
bool from_hex(std::string_view text, std::span<unsigned char> out) noexcept;

}  // namespace consolegate::core
