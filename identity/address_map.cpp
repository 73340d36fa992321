#include "consolegate/identity/address_map.hpp"

#include <algorithm>
#include <mutex>

namespace consolegate::identity {

std::shared_ptr<const core::corp_identity> address_identity(std::string user) {
    auto id = std::make_shared<core::corp_identity>();
    id->user = std::move(user);
    id->source = core::corp_source::address_map;
    return id;
}

std::size_t address_map::hash::operator()(const core::ip_address& a) const noexcept {
    // FNV-1a over the 16 bytes: addresses are not chosen by an attacker who could also read the
    // map (pushed by the operator's systems), so no keyed hash is needed.
    std::uint64_t h = 1469598103934665603ull;
    for (auto b : a.bytes()) {
        h ^= b;
        h *= 1099511628211ull;
    }
    return static_cast<std::size_t>(h);
}

void address_map::set_limit(std::size_t limit) {
    std::unique_lock lock(mu_);
    limit_ = limit;
}

std::size_t address_map::limit() const {
    std::shared_lock lock(mu_);
    return limit_;
}

put_outcome address_map::put(const core::ip_address& address, std::string user, time_point at,
                             time_point expires, time_point now) {
    std::unique_lock lock(mu_);
    auto it = pushed_.find(address);
    if (it != pushed_.end()) {
        if (it->second.expires > now && it->second.at > at) return put_outcome::stale;
        it->second = {address_identity(std::move(user)), at, expires};
        counters_.pushes.fetch_add(1, std::memory_order_relaxed);
        return put_outcome::replaced;
    }
    if (pushed_.size() + file_.size() >= limit_) prune_locked(now);
    if (pushed_.size() + file_.size() >= limit_) {
        counters_.refused_full.fetch_add(1, std::memory_order_relaxed);
        return put_outcome::full;
    }
    pushed_.emplace(address, entry{address_identity(std::move(user)), at, expires});
    counters_.pushes.fetch_add(1, std::memory_order_relaxed);
    return put_outcome::stored;
}

bool address_map::remove(const core::ip_address& address, const std::optional<std::string>& user) {
    std::unique_lock lock(mu_);
    auto it = pushed_.find(address);
    if (it == pushed_.end()) return false;
    if (user && it->second.who->user != *user) return false;
    pushed_.erase(it);
    counters_.removals.fetch_add(1, std::memory_order_relaxed);
    return true;
}

std::size_t address_map::replace_file(
    const std::vector<std::pair<core::ip_address, std::string>>& entries, time_point at) {
    table next;
    std::size_t refused = 0;
    std::unique_lock lock(mu_);
    std::size_t room = limit_ > pushed_.size() ? limit_ - pushed_.size() : 0;
    for (const auto& [address, user] : entries) {
        if (next.size() >= room) {
            ++refused;
            continue;
        }
        next.insert_or_assign(address, entry{address_identity(user), at, time_point::max()});
    }
    file_.swap(next);
    counters_.file_loads.fetch_add(1, std::memory_order_relaxed);
    counters_.refused_full.fetch_add(refused, std::memory_order_relaxed);
    return refused;
}

std::shared_ptr<const core::corp_identity> address_map::find(const core::ip_address& address,
                                                             time_point now) const {
    std::shared_lock lock(mu_);
    const entry* best = nullptr;
    if (auto it = pushed_.find(address); it != pushed_.end() && it->second.expires > now) {
        best = &it->second;
    }
    if (auto it = file_.find(address); it != file_.end() && (!best || it->second.at > best->at)) {
        best = &it->second;
    }
    return best ? best->who : nullptr;
}

std::size_t address_map::prune_locked(time_point now) {
    std::size_t n =
        std::erase_if(pushed_, [now](const auto& kv) { return kv.second.expires <= now; });
    counters_.expired.fetch_add(n, std::memory_order_relaxed);
    return n;
}

std::size_t address_map::prune(time_point now) {
    std::unique_lock lock(mu_);
    return prune_locked(now);
}

std::vector<mapping> address_map::list(time_point now) const {
    std::vector<mapping> out;
    {
        std::shared_lock lock(mu_);
        out.reserve(pushed_.size() + file_.size());
        for (const auto& [a, e] : pushed_) {
            if (e.expires > now)
                out.push_back({a, e.who->user, mapping_origin::pushed, e.at, e.expires});
        }
        for (const auto& [a, e] : file_) {
            out.push_back({a, e.who->user, mapping_origin::file, e.at, e.expires});
        }
    }
    std::sort(out.begin(), out.end(), [](const mapping& x, const mapping& y) {
        return x.address != y.address ? x.address < y.address : x.origin < y.origin;
    });
    return out;
}

std::size_t address_map::size() const {
    std::shared_lock lock(mu_);
    return pushed_.size() + file_.size();
}

}  // namespace consolegate::identity
