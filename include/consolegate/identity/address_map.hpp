#pragma once
// The address-to-user map: who is behind a client address on the DNS-steered SNI path, where a
// browser never authenticates to a proxy (docs/identity.md). The site's DHCP, VPN or NAC system
// pushes mappings over the admin API (each with a time to live), and/or the gateway watches a file
// (address_map_file.hpp). Per address the newest mapping wins: a pushed mapping against the
// file's (stamped with the file's modification time), a push against an earlier push.
//
// Bounded: pushed and file mappings together never exceed `limit`; a push for a new address
// beyond it is refused (full) after expired mappings are pruned, and counted. Time is always a
// parameter (no clock is read here).
//
// Thread-safety: every member may be called concurrently (one shared lock; find() takes it
// shared). Lookups hand out shared identities, so a connection holds no lock and copies no string.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "consolegate/core/address.hpp"
#include "consolegate/core/corp_identity.hpp"

namespace consolegate::identity {

using time_point = std::chrono::system_clock::time_point;

enum class mapping_origin : std::uint8_t { pushed, file };

// One mapping as listed (GET /api/address-map).
struct mapping {
    core::ip_address address;
    std::string user;
    mapping_origin origin = mapping_origin::pushed;
    time_point at;       // when its source says the address became this user's
    time_point expires;  // file mappings: time_point::max() (they live while the file lists them)
};

enum class put_outcome : std::uint8_t {
    stored,    // a new address
    replaced,  // the address had a pushed mapping: this one is as new or newer
    stale,     // the address has a newer pushed mapping: kept, this one ignored
    full,      // a new address while the map holds `limit` live mappings: refused
};

struct address_map_counters {
    std::atomic<std::uint64_t> pushes{0};        // stored or replaced
    std::atomic<std::uint64_t> removals{0};      // removed through the API
    std::atomic<std::uint64_t> refused_full{0};  // pushes and file lines refused by the bound
    std::atomic<std::uint64_t> expired{0};       // pruned after their TTL
    std::atomic<std::uint64_t> file_loads{0};    // the watched file (re)loaded
};

class address_map {
  public:
    explicit address_map(std::size_t limit) : limit_(limit) {}
    address_map(const address_map&) = delete;
    address_map& operator=(const address_map&) = delete;

    // A new bound (reload). Mappings already held stay; new ones wait until there is room.
    void set_limit(std::size_t limit);
    std::size_t limit() const;

    // Add or refresh the pushed mapping of `address` (newest `at` wins; equal `at` replaces).
    put_outcome put(const core::ip_address& address, std::string user, time_point at,
                    time_point expires, time_point now);
    // Removes the pushed mapping of `address` (when `user` is set, only if it maps to that user:
    // a late release of an old lease must not remove its successor). True when one was removed.
    bool remove(const core::ip_address& address, const std::optional<std::string>& user);
    // Replaces every file mapping at once, stamped `at`. Lines beyond the bound are refused and
    // counted; returns how many were refused.
    std::size_t replace_file(const std::vector<std::pair<core::ip_address, std::string>>& entries,
                             time_point at);
    // The identity (source address_map) of `address` at `now`; nullptr when none is live.
    std::shared_ptr<const core::corp_identity> find(const core::ip_address& address,
                                                    time_point now) const;
    // Removes the pushed mappings expired at `now`; returns how many.
    std::size_t prune(time_point now);
    // Every live mapping, pushed and file, in address order.
    std::vector<mapping> list(time_point now) const;
    std::size_t size() const;  // mappings held (pushed + file), expired ones not yet pruned

    const address_map_counters& counters() const { return counters_; }

  private:
    struct entry {
        std::shared_ptr<const core::corp_identity> who;
        time_point at, expires;
    };
    struct hash {
        std::size_t operator()(const core::ip_address& a) const noexcept;
    };
    using table = std::unordered_map<core::ip_address, entry, hash>;
    std::size_t prune_locked(time_point now);

    mutable std::shared_mutex mu_;
    std::size_t limit_;
    table pushed_, file_;
    address_map_counters counters_;
};

// The identity an established user carries from this map.
std::shared_ptr<const core::corp_identity> address_identity(std::string user);

}  // namespace consolegate::identity
