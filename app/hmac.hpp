#pragma once
// HMAC-SHA256 under a 32-byte key, as the session table keys cookies (app/session_table.hpp), the
// fleet's key fingerprint is made (app/session_store.hpp) and the access portal's tokens are kept
// (app/portal_users.hpp). OpenSSL; thread-safe.

#include <array>
#include <string_view>

namespace consolegate::app {

using hmac_digest = std::array<unsigned char, 32>;

// Throws std::runtime_error ("<who>: HMAC failed") when OpenSSL cannot compute it.
hmac_digest hmac_sha256(const std::array<unsigned char, 32>& key, std::string_view data,
                        std::string_view who);

}  // namespace consolegate::app
