#pragma once
// The addresses the inspected names resolve to (DESIGN.md "Splice only what is provably not AWS
// sign-in or console"): a connection to one of them is inspected or refused whatever its SNI or
// CONNECT name says, so an IP literal, a CNAME of a sign-in name or a name that merely shares
// sign-in's servers cannot become a splice around inspection.
//
// Filled from the proxy's own resolver (never the gateway's steering answers): the literal names
// of proxy.inspect_hosts at start and again as their TTLs run out (front_door.cpp: warm), and
// every address an inspected name resolves to when a request is forwarded (upstream.cpp), which
// is how the names behind wildcard patterns get in.
//
// Bounded: at most `limit` addresses; a full set drops the entry that expires first (counted).
// An address stays at least `min_hold` past the answer that named it, however short its TTL:
// a client may still hold an older answer. Pure apart from the lock: time is a parameter.
//
// Thread-safety: shared by every worker; all members may be called concurrently.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <shared_mutex>
#include <span>
#include <vector>

#include "consolegate/core/address.hpp"

namespace consolegate::proxy {

// The IPv4 address an IPv6 address stands for when a connection to it reaches that IPv4 host:
// IPv4-mapped (::ffff:a.b.c.d, already held so by core::ip_address), IPv4-compatible
// (::a.b.c.d), NAT64 through the well-known prefix (64:ff9b::/96, RFC 6052) or one of the site's
// own `nat64` prefixes (proxy.nat64_prefixes: /32, /40, /48, /56, /64 or /96, the IPv4 address
// laid out as RFC 6052 §2.2 says, bits 64..71 skipped), and 6to4 (2002:AABB:CCDD::/48, RFC 3056).
// Anything else is returned unchanged.
core::ip_address embedded_v4(const core::ip_address& a,
                             std::span<const core::cidr> nat64 = {}) noexcept;
// The prefix lengths RFC 6052 §2.2 defines: 32, 40, 48, 56, 64, 96.
bool is_nat64_prefix_length(int bits) noexcept;

class inspected_addresses {
  public:
    using clock = std::chrono::steady_clock;
    static constexpr std::chrono::seconds min_hold{600};

    // `nat64`: the site's NAT64 prefixes (embedded_v4), whose addresses are their IPv4 ones here.
    explicit inspected_addresses(std::size_t limit, std::vector<core::cidr> nat64 = {})
        : limit_(limit ? limit : 1), nat64_(std::move(nat64)) {}

    // `ttl` as the resolver gave it; kept until now + max(ttl, min_hold), extended when seen
    // again.
    void add(const core::ip_address& a, std::chrono::seconds ttl, clock::time_point now);
    bool contains(const core::ip_address& a, clock::time_point now) const;

    std::size_t size() const;
    std::uint64_t evictions() const noexcept { return evictions_.load(std::memory_order_relaxed); }

  private:
    std::size_t limit_;
    std::vector<core::cidr> nat64_;
    mutable std::shared_mutex mu_;
    std::map<core::ip_address, clock::time_point> until_;
    std::atomic<std::uint64_t> evictions_{0};
};

}  // namespace consolegate::proxy
