#pragma once
// Leaf certificates for bumped hosts: one key pair per process for every leaf (minting is then a
// single signature), SAN = the exact host, random 128-bit serial, short validity backdated for
// client clock skew, LRU cache with single-flight.
//
// Thread-safety: `get` may be called from every worker concurrently. Concurrent calls for the
// same host wait for one mint (a sub-millisecond ECDSA signature; the wait blocks the calling
// worker for that long at most).

#include <atomic>
#include <chrono>
#include <cstddef>
#include <future>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

#include "ca.hpp"

namespace consolegate::proxy {

class leaf_minter {
  public:
    leaf_minter(certificate_authority ca, std::chrono::seconds validity,
                std::chrono::seconds backdate, std::size_t cache_size);

    // The leaf for `host` (normalised), minted or cached; null only if OpenSSL fails.
    shared_x509 get(const std::string& host);

    EVP_PKEY* leaf_key() const noexcept { return leaf_key_.get(); }
    X509* ca_cert() const noexcept { return ca_.cert.get(); }

    std::atomic<std::uint64_t> mints{0};
    std::atomic<std::uint64_t> cache_hits{0};

  private:
    shared_x509 mint(const std::string& host);

    struct entry {
        std::shared_future<shared_x509> leaf;
        std::chrono::system_clock::time_point not_after;  // re-mint well before expiry
        std::list<std::string>::iterator lru;
    };
    certificate_authority ca_;
    pkey_ptr leaf_key_;
    std::chrono::seconds validity_, backdate_;
    std::size_t cache_size_;
    std::mutex mutex_;
    std::list<std::string> lru_;  // most recent first
    std::unordered_map<std::string, entry> cache_;
};

}  // namespace consolegate::proxy
