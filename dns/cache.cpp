#include "cache.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace consolegate::dns {

std::uint64_t cache::hash_of(std::string_view key) noexcept {
    return std::hash<std::string_view>{}(key) | 1;  // never 0, the free mark
}

std::size_t cache::probe(std::string_view key, std::uint64_t h) const noexcept {
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
        const auto& s = slots_[i];
        if (s.hash == 0 || (s.hash == h && s.at->key == key)) return i;
    }
}

void cache::erase_slot(std::size_t i) noexcept {
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t j = (i + 1) & mask; slots_[j].hash != 0; j = (j + 1) & mask) {
        // Slot j moves into the hole at i unless its home lies cyclically in (i, j].
        const std::size_t home = slots_[j].hash & mask;
        const bool stays = i < j ? (home > i && home <= j) : (home > i || home <= j);
        if (stays) continue;
        slots_[i] = slots_[j];
        i = j;
    }
    slots_[i] = slot{};
    --used_;
}

void cache::grow() {
    std::vector<slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 16 : old.size() * 2, slot{});
    const std::size_t mask = slots_.size() - 1;
    for (const auto& s : old) {
        if (s.hash == 0) continue;
        std::size_t i = s.hash & mask;
        while (slots_[i].hash != 0) i = (i + 1) & mask;
        slots_[i] = s;
    }
}

cache::entry* cache::find(std::string_view key, std::uint64_t now_ms) noexcept {
    if (used_ == 0) return nullptr;
    const std::size_t i = probe(key, hash_of(key));
    if (slots_[i].hash == 0) return nullptr;
    const auto n = slots_[i].at;
    if (now_ms >= n->keep_until_ms) {
        erase_slot(i);
        lru_.erase(n);
        return nullptr;
    }
    lru_.splice(lru_.begin(), lru_, n);
    return &*n;
}

void cache::insert(std::string_view key, cached_answer&& a, std::uint64_t now_ms,
                   std::uint32_t max_stale_s) {
    if (a.lifetime == 0 || max_ == 0) return;
    const std::uint64_t fresh = (now_ms / 1000 + a.lifetime + 1) * 1000;  // see entry::fresh
    const std::uint64_t keep = fresh + std::uint64_t{max_stale_s} * 1000;
    const std::uint64_t h = hash_of(key);
    if (used_ != 0) {
        if (const std::size_t i = probe(key, h); slots_[i].hash != 0) {
            auto n = slots_[i].at;
            n->answer = std::move(a);
            n->stored_ms = now_ms;
            n->fresh_until_ms = fresh;
            n->keep_until_ms = keep;
            n->prefetching = false;
            lru_.splice(lru_.begin(), lru_, n);
            return;
        }
    }
    evict_to(max_ - 1);
    if ((used_ + 1) * 2 > slots_.size()) grow();
    lru_.push_front(entry{std::string(key), std::move(a), now_ms, fresh, keep});
    slots_[probe(key, h)] = slot{h, lru_.begin()};
    ++used_;
}

void cache::set_max_entries(std::size_t n) {
    max_ = n;
    evict_to(n);
}

void cache::clear() noexcept {
    slots_.clear();
    used_ = 0;
    lru_.clear();
}

void cache::evict_to(std::size_t n) {
    while (used_ > n && !lru_.empty()) {
        const auto& key = lru_.back().key;
        erase_slot(probe(key, hash_of(key)));
        lru_.pop_back();
    }
}

std::size_t rate_limiter::hash::operator()(const std::array<std::uint8_t, 16>& a) const noexcept {
    std::uint64_t x, y;
    std::memcpy(&x, a.data(), 8);
    std::memcpy(&y, a.data() + 8, 8);
    return std::hash<std::uint64_t>{}(x * 0x9e3779b97f4a7c15ull ^ y);
}

namespace {

// Refills a bucket up to `now_ms` and takes a token if it has one.
bool take(double& tokens, std::uint64_t& last_ms, std::uint64_t now_ms, std::uint32_t qps,
          double cap) {
    if (now_ms > last_ms) tokens = std::min(cap, tokens + double(now_ms - last_ms) * qps / 1000.0);
    last_ms = std::max(last_ms, now_ms);
    if (tokens < 1.0) return false;
    tokens -= 1.0;
    return true;
}

}  // namespace

// Drops every bucket back at full tokens by now; returns how many. The next sweep waits
// sweep_interval_ms, and when nothing could go, until the first bucket left is full again.
std::uint32_t rate_limiter::sweep(std::uint64_t now_ms, std::uint32_t qps, double cap) {
    ++sweeps_;
    std::uint32_t evicted = 0;
    std::uint64_t first_full = UINT64_MAX;
    for (auto it = buckets_.begin(); it != buckets_.end();) {
        const auto& b = it->second;
        const double missing = cap - b.tokens;  // tokens as of last_ms
        const auto full_at = b.last_ms + static_cast<std::uint64_t>(
                                             std::ceil(std::max(0.0, missing) * 1000.0 / qps));
        if (full_at <= now_ms) {
            it = buckets_.erase(it);
            ++evicted;
        } else {
            first_full = std::min(first_full, full_at);
            ++it;
        }
    }
    next_sweep_ms_ = now_ms + sweep_interval_ms;
    if (!evicted && first_full != UINT64_MAX) next_sweep_ms_ = std::max(next_sweep_ms_, first_full);
    return evicted;
}

rate_limiter::outcome rate_limiter::allow(const std::array<std::uint8_t, 16>& client,
                                          std::uint64_t now_ms, std::uint32_t qps,
                                          std::uint32_t burst, std::size_t max_clients) {
    outcome o;
    if (qps == 0) return o;
    const double cap = burst ? burst : qps;
    auto it = buckets_.find(client);
    if (it == buckets_.end()) {
        if (buckets_.size() >= max_clients && now_ms >= next_sweep_ms_)
            o.evicted = sweep(now_ms, qps, cap);
        if (buckets_.size() >= max_clients) {
            o.overflow = true;
            if (overflow_.tokens < 0) overflow_ = bucket{cap, now_ms};
            o.allowed = take(overflow_.tokens, overflow_.last_ms, now_ms, qps, cap);
            return o;
        }
        it = buckets_.emplace(client, bucket{cap, now_ms}).first;
    }
    o.allowed = take(it->second.tokens, it->second.last_ms, now_ms, qps, cap);
    return o;
}

}  // namespace consolegate::dns
