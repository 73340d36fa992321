#include "destination_set.hpp"

#include <algorithm>
#include <array>
#include <mutex>

namespace consolegate::proxy {

namespace {

// RFC 6052 §2.2: where the four octets of the IPv4 address sit after a prefix of each length
// (byte 8, bits 64..71, is never used).
constexpr std::array<std::size_t, 4> v4_octets(int prefix_length) noexcept {
    switch (prefix_length) {
        case 32: return {4, 5, 6, 7};
        case 40: return {5, 6, 7, 9};
        case 48: return {6, 7, 9, 10};
        case 56: return {7, 9, 10, 11};
        case 64: return {9, 10, 11, 12};
        default: return {12, 13, 14, 15};  // 96
    }
}

}  // namespace

bool is_nat64_prefix_length(int bits) noexcept {
    return bits == 32 || bits == 40 || bits == 48 || bits == 56 || bits == 64 || bits == 96;
}

core::ip_address embedded_v4(const core::ip_address& a,
                             std::span<const core::cidr> nat64) noexcept {
    const auto& b = a.bytes();
    auto v4_at = [&b](std::size_t i) {
        return core::ip_address::from_v4((std::uint32_t{b[i]} << 24) |
                                         (std::uint32_t{b[i + 1]} << 16) |
                                         (std::uint32_t{b[i + 2]} << 8) | std::uint32_t{b[i + 3]});
    };
    if (a.is_v4()) return a;
    const bool zero_96 = std::all_of(b.begin(), b.begin() + 12, [](auto x) { return x == 0; });
    // ::a.b.c.d, but not :: and ::1 (RFC 4291 §2.5.5.1 deprecated the form; ::/127 is refused
    // as a destination anyway).
    if (zero_96 && (b[12] | b[13] | b[14]) != 0) return v4_at(12);
    static constexpr std::uint8_t well_known_nat64[12] = {0x00, 0x64, 0xff, 0x9b, 0, 0,
                                                          0,    0,    0,    0,    0, 0};
    if (std::equal(b.begin(), b.begin() + 12, well_known_nat64)) return v4_at(12);
    if (b[0] == 0x20 && b[1] == 0x02) return v4_at(2);
    for (const auto& p : nat64) {
        if (p.network().is_v4() || !is_nat64_prefix_length(p.prefix_length()) || !p.contains(a))
            continue;
        const auto at = v4_octets(p.prefix_length());
        return core::ip_address::from_v4((std::uint32_t{b[at[0]]} << 24) |
                                         (std::uint32_t{b[at[1]]} << 16) |
                                         (std::uint32_t{b[at[2]]} << 8) | std::uint32_t{b[at[3]]});
    }
    return a;
}

void inspected_addresses::add(const core::ip_address& a, std::chrono::seconds ttl,
                              clock::time_point now) {
    const auto until = now + std::max(ttl, std::chrono::seconds(min_hold));
    const auto key = embedded_v4(a, nat64_);
    std::unique_lock lock(mu_);
    auto it = until_.find(key);
    if (it != until_.end()) {
        it->second = std::max(it->second, until);
        return;
    }
    if (until_.size() >= limit_) {
        // Expired entries first; otherwise the one that would expire soonest.
        auto victim =
            std::min_element(until_.begin(), until_.end(),
                             [](const auto& x, const auto& y) { return x.second < y.second; });
        if (victim->second > now) evictions_.fetch_add(1, std::memory_order_relaxed);
        until_.erase(victim);
    }
    until_.emplace(key, until);
}

bool inspected_addresses::contains(const core::ip_address& a, clock::time_point now) const {
    const auto key = embedded_v4(a, nat64_);
    std::shared_lock lock(mu_);
    auto it = until_.find(key);
    return it != until_.end() && it->second > now;
}

std::size_t inspected_addresses::size() const {
    std::shared_lock lock(mu_);
    return until_.size();
}

}  // namespace consolegate::proxy
