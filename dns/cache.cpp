#include "cache.hpp"

#include <cstring>

namespace consolegate::dns {

const cache::entry* cache::find(std::string_view key, std::uint64_t now_ms) noexcept {
    const auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    const auto node = it->second;
    if (now_ms >= node->keep_until_ms) {
        index_.erase(it);
        lru_.erase(node);
        return nullptr;
    }
    lru_.splice(lru_.begin(), lru_, node);
    return &*node;
}

void cache::insert(std::string_view key, cached_answer&& a, std::uint64_t now_ms,
                   std::uint32_t max_stale_s) {
    if (a.lifetime == 0 || max_ == 0) return;
    const std::uint64_t fresh = now_ms + std::uint64_t{a.lifetime} * 1000;
    const std::uint64_t keep = fresh + std::uint64_t{max_stale_s} * 1000;
    if (const auto it = index_.find(key); it != index_.end()) {
        auto node = it->second;
        node->answer = std::move(a);
        node->stored_ms = now_ms;
        node->fresh_until_ms = fresh;
        node->keep_until_ms = keep;
        node->prefetching = false;
        lru_.splice(lru_.begin(), lru_, node);
        return;
    }
    evict_to(max_ - 1);
    lru_.push_front(entry{std::string(key), std::move(a), now_ms, fresh, keep});
    index_.emplace(std::string_view(lru_.front().key), lru_.begin());
}

void cache::set_max_entries(std::size_t n) {
    max_ = n;
    evict_to(n);
}

void cache::clear() noexcept {
    index_.clear();
    lru_.clear();
}

void cache::evict_to(std::size_t n) {
    while (index_.size() > n && !lru_.empty()) {
        index_.erase(std::string_view(lru_.back().key));
        lru_.pop_back();
    }
}

std::size_t rate_limiter::hash::operator()(const std::array<std::uint8_t, 16>& a) const noexcept {
    std::uint64_t x, y;
    std::memcpy(&x, a.data(), 8);
    std::memcpy(&y, a.data() + 8, 8);
    return std::hash<std::uint64_t>{}(x * 0x9e3779b97f4a7c15ull ^ y);
}

bool rate_limiter::allow(const std::array<std::uint8_t, 16>& client, std::uint64_t now_ms,
                         std::uint32_t qps, std::uint32_t burst) {
    if (qps == 0) return true;
    const double cap = burst ? burst : qps;
    if (buckets_.size() >= 65536) buckets_.clear();
    auto [it, fresh] = buckets_.try_emplace(client, bucket{cap, now_ms});
    auto& b = it->second;
    if (!fresh) {
        b.tokens = std::min(cap, b.tokens + double(now_ms - b.last_ms) * qps / 1000.0);
        b.last_ms = now_ms;
    }
    if (b.tokens < 1.0) return false;
    b.tokens -= 1.0;
    return true;
}

}  // namespace consolegate::dns
