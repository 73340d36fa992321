#include "portal_users.hpp"

#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstring>
#include <stdexcept>

#include "consolegate/inspect/portal_user.hpp"

namespace consolegate::app {

portal_user_table::key_type portal_user_table::random_key() {
    key_type k{};
    if (RAND_bytes(k.data(), static_cast<int>(k.size())) != 1)
        throw std::runtime_error("portal users: no random key from the OS");
    return k;
}

portal_user_table::portal_user_table(const key_type& key) : key_(key) {}

std::size_t portal_user_table::digest_hash::operator()(const digest& d) const noexcept {
    std::size_t h;  // the digest is already uniformly distributed
    std::memcpy(&h, d.data(), sizeof h);
    return h;
}

portal_user_table::digest portal_user_table::key_of(std::string_view token) const {
    digest out{};
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
              reinterpret_cast<const unsigned char*>(token.data()), token.size(), out.data(),
              &len) ||
        len != out.size())
        throw std::runtime_error("portal users: HMAC failed");
    return out;
}

void portal_user_table::evict_to(std::size_t n) {
    while (entries_.size() > n && !by_expiry_.empty()) {
        auto first = by_expiry_.begin();
        entries_.erase(first->second);
        by_expiry_.erase(first);
    }
}

void portal_user_table::learn(std::string_view token, std::string_view user, time_point now,
                              limits l) {
    if (user.empty() || l.max_entries == 0) return;
    auto k = key_of(token);
    auto expires = now + l.lifetime;
    std::lock_guard lock(mu_);
    ++learned_;
    // Expired entries first, so a full table drops only what is over.
    while (!by_expiry_.empty() && by_expiry_.begin()->first <= now) {
        entries_.erase(by_expiry_.begin()->second);
        by_expiry_.erase(by_expiry_.begin());
    }
    auto it = entries_.find(k);
    if (it != entries_.end()) {
        auto range = by_expiry_.equal_range(it->second.expires);
        for (auto e = range.first; e != range.second; ++e) {
            if (e->second == k) {
                by_expiry_.erase(e);
                break;
            }
        }
        // A contradicted token stays contradicted; the same user refreshes.
        if (it->second.user != user) it->second.user.clear();
        it->second.expires = expires;
    } else {
        evict_to(l.max_entries - 1);
        it = entries_.emplace(k, entry{std::string(user), expires}).first;
    }
    by_expiry_.emplace(expires, k);
    evict_to(l.max_entries);
}

std::optional<std::string> portal_user_table::user_of(std::string_view token,
                                                      time_point now) const {
    auto k = key_of(token);
    std::lock_guard lock(mu_);
    auto it = entries_.find(k);
    if (it == entries_.end() || it->second.expires <= now || it->second.user.empty())
        return std::nullopt;
    return it->second.user;
}

bool portal_user_table::observe(const core::http_request_view& req,
                                const proxy::response_view& resp, limits l) {
    if (resp.status != 200 || !resp.body_complete || !inspect::is_portal_user_request(req))
        return false;
    auto token = inspect::portal_bearer_token(req);
    if (!token) return false;
    auto user = inspect::portal_user_from_answer(resp.body);
    if (!user) return false;
    learn(*token, *user, req.time, l);
    return true;
}

std::size_t portal_user_table::size() const {
    std::lock_guard lock(mu_);
    return entries_.size();
}

std::uint64_t portal_user_table::learned() const {
    std::lock_guard lock(mu_);
    return learned_;
}

}  // namespace consolegate::app
