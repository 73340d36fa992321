#include "hmac.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdexcept>
#include <string>

namespace consolegate::app {

hmac_digest hmac_sha256(const std::array<unsigned char, 32>& key, std::string_view data,
                        std::string_view who) {
    hmac_digest out{};
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
              reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &len) ||
        len != out.size()) {
        throw std::runtime_error(std::string(who) + ": HMAC failed");
    }
    return out;
}

}  // namespace consolegate::app
