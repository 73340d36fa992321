#pragma once
// The answer cache of one worker thread: keyed by (lowercased name, type, class, CD), bounded,
// least-recently-used eviction. Not thread-safe by design: each worker owns one, so lookups take
// no lock. Time is a parameter (monotonic milliseconds) so tests control it.

#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "answer.hpp"

namespace consolegate::dns {

class cache {
  public:
    struct entry {
        std::string key;
        cached_answer answer;
        std::uint64_t stored_ms = 0;
        std::uint64_t fresh_until_ms = 0;
        std::uint64_t keep_until_ms = 0;   // fresh_until + max-stale when serve-stale is on
        mutable bool prefetching = false;  // a refresh is in flight: one at a time per entry

        // Time in unbound's whole seconds (it reads time(0)): an answer stored in second S is
        // now - S seconds old in second `now`, and with lifetime L it is served through second
        // S + L, with TTL 0 in that last one (daemon/worker.c answer_from_cache expires an
        // entry only when its TTL is below now).
        bool fresh(std::uint64_t now_ms) const noexcept { return now_ms < fresh_until_ms; }
        std::uint32_t age_s(std::uint64_t now_ms) const noexcept {
            return static_cast<std::uint32_t>(now_ms / 1000 - stored_ms / 1000);
        }
    };

    explicit cache(std::size_t max_entries) : max_(max_entries) {}

    // The entry (fresh or, within its keep time, stale) or nullptr; expired entries are dropped.
    // A hit becomes the most recently used.
    entry* find(std::string_view key, std::uint64_t now_ms) noexcept;
    // Stores `a` unless its lifetime is 0; `max_stale_s` > 0 keeps it that long past expiry.
    void insert(std::string_view key, cached_answer&& a, std::uint64_t now_ms,
                std::uint32_t max_stale_s);
    void set_max_entries(std::size_t n);
    std::size_t size() const noexcept { return used_; }
    void clear() noexcept;

  private:
    using node = std::list<entry>::iterator;
    // The index: open addressing with linear probing, at most half full, so a hit costs one
    // slot and the entry (a node-based map cost a bucket, a node and the key on top, which
    // showed as ~4 % of a busy worker's CPU: bench/RESULTS.md). `hash` 0 marks a free slot.
    struct slot {
        std::uint64_t hash = 0;
        node at;
    };
    static std::uint64_t hash_of(std::string_view key) noexcept;
    // The slot holding `key`, or the free slot that ends its probe sequence.
    std::size_t probe(std::string_view key, std::uint64_t h) const noexcept;
    void erase_slot(std::size_t i) noexcept;  // backward-shift deletion: no tombstones
    void grow();
    void evict_to(std::size_t n);

    std::size_t max_;
    std::list<entry> lru_;     // front = most recently used; nodes never move, so keys are stable
    std::vector<slot> slots_;  // a power of two in size, or empty
    std::size_t used_ = 0;
};

// Per-client token buckets (one per worker): `qps` tokens a second up to `burst`. Bounded by
// `max_clients` (dns.rate_limit_max_clients). A new client in a full table makes room only by
// evicting buckets back at full tokens (clients idle long enough to have earned their burst
// back, so forgetting them forgives nothing); the table is swept for them at most every
// sweep_interval_ms, and not again before one can be full. When none can go, a limited client
// keeps its bucket, and every client the table cannot hold shares one overflow bucket of the
// same qps and burst: a flood of new sources cannot reset anybody's limit, nor take more than
// one client's rate between them.
class rate_limiter {
  public:
    static constexpr std::uint64_t sweep_interval_ms = 100;

    struct outcome {
        bool allowed = true;
        bool overflow = false;      // an untracked client in a full table: the shared bucket
        std::uint32_t evicted = 0;  // idle buckets dropped to make room
    };
    outcome allow(const std::array<std::uint8_t, 16>& client, std::uint64_t now_ms,
                  std::uint32_t qps, std::uint32_t burst, std::size_t max_clients);
    std::size_t size() const noexcept { return buckets_.size(); }
    std::uint64_t sweeps() const noexcept { return sweeps_; }

  private:
    struct bucket {
        double tokens;
        std::uint64_t last_ms;
    };
    struct hash {
        std::size_t operator()(const std::array<std::uint8_t, 16>& a) const noexcept;
    };
    std::uint32_t sweep(std::uint64_t now_ms, std::uint32_t qps, double cap);

    std::unordered_map<std::array<std::uint8_t, 16>, bucket, hash> buckets_;
    bucket overflow_{-1.0, 0};  // tokens < 0: not used yet (starts full)
    std::uint64_t next_sweep_ms_ = 0;
    std::uint64_t sweeps_ = 0;
};

}  // namespace consolegate::dns
