#include "session_table.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "hmac.hpp"

namespace consolegate::app {

std::string_view to_string(binding_source s) noexcept {
    switch (s) {
        case binding_source::user_info_set_cookie: return "set-cookie:aws-userInfo";
        case binding_source::response_body: return "response-body";
        case binding_source::lineage: return "lineage";
        case binding_source::pending_sign_in: return "pending-sign-in";
    }
    return "unknown";
}

session_table::session_table(session_table_limits limits, const key_type& key)
    : limits_(limits), key_(key) {}

session_table::key_type session_table::random_key() {
    key_type k{};
    if (RAND_bytes(k.data(), static_cast<int>(k.size())) != 1) {
        throw std::runtime_error("session table: no random key from the OS");
    }
    return k;
}

void session_table::set_limits(session_table_limits limits) {
    std::lock_guard lock(mu_);
    limits_ = limits;
    ++generation_;
    evict_to(limits_.max_entries);
}

std::size_t session_table::digest_hash::operator()(const digest& d) const noexcept {
    std::size_t h;  // the digest is already uniformly distributed
    std::memcpy(&h, d.data(), sizeof h);
    return h;
}

session_table::digest session_table::key_of(std::string_view name, std::string_view value) const {
    // HMAC(key, name NUL value): the NUL keeps ("ab","c") and ("a","bc") apart (names hold none).
    std::string msg;
    msg.reserve(name.size() + 1 + value.size());
    msg.append(name).push_back('\0');
    msg.append(value);
    return hmac_sha256(key_, msg, "session table");
}

session_table::lookup_result session_table::lookup(std::span<const cookie_pair> cookies,
                                                   time_point now) const {
    constexpr auto unknown_sign_in = core::flow_bit(core::sign_in_flow::console_session);
    lookup_result r;
    std::lock_guard lock(mu_);
    for (const auto& [name, value] : cookies) {
        if (value.size() < min_token_chars || never_a_key(name)) continue;
        auto it = entries_.find(key_of(name, value));
        if (it == entries_.end() || it->second.expires <= now) continue;
        const auto& id = it->second.identity;
        if (id.pending() || id.sign_in_at != time_point{}) r.continues_sign_in = true;
        if (id.pending()) {
            // Two sign-ins' cookies: which one AWS's next answer belongs to is not known. One
            // whose flows are not known stands for console-session alone (as it is judged when
            // it is the only one), an alternative beside the other's.
            const auto f = id.flows != 0 ? id.flows : unknown_sign_in;
            if (r.sign_in_flows != 0 && f != r.sign_in_flows) r.sign_in_flows_either = true;
            if (id.flows_either) r.sign_in_flows_either = true;
            r.sign_in_flows |= f;
            if (r.sign_in_corp_user.empty()) r.sign_in_corp_user = id.corporate_user;
            continue;
        }
        if (r.state == binding_state::unbound) {
            r.state = binding_state::bound;
            r.identity = id;
        } else if (!r.identity.same_principal(id)) {
            r.state = binding_state::conflicting;
        } else if (id.learned_at > r.identity.learned_at) {
            if (r.state == binding_state::bound) r.identity = id;
        }
    }
    if (!r.sign_in_flows_either) r.sign_in_flows &= ~unknown_sign_in;  // unknown alone: 0
    return r;
}

bool session_table::knows(std::string_view name, std::string_view value, time_point now) const {
    if (value.size() < min_token_chars || never_a_key(name)) return false;
    std::lock_guard lock(mu_);
    auto it = entries_.find(key_of(name, value));
    return it != entries_.end() && it->second.expires > now && !it->second.identity.pending();
}

std::size_t session_table::learn(std::span<const cookie_pair> set_cookies,
                                 const std::optional<session_identity>& named,
                                 const lookup_result& request_binding, std::string_view learned_on,
                                 time_point now, std::string_view corp_user) {
    session_identity id;
    if (named) {
        id = *named;
        id.named_at = now;
        if (!corp_user.empty()) {
            id.corporate_user = std::string(corp_user);
        } else if (!request_binding.sign_in_corp_user.empty()) {
            id.corporate_user = request_binding.sign_in_corp_user;
        } else if (request_binding.state == binding_state::bound) {
            id.corporate_user = request_binding.identity.corporate_user;  // a switch-role's
        }
    } else if (request_binding.continues_sign_in) {
        // Nobody named yet: a key (so the next step is seen to continue the sign-in, on any
        // replica), bound to nobody. It lives as long as the session it may become.
        id.learned_by = binding_source::pending_sign_in;
        id.named_at = now;
        id.flows = request_binding.sign_in_flows;
        id.flows_either = request_binding.sign_in_flows_either;
        id.corporate_user =
            corp_user.empty() ? request_binding.sign_in_corp_user : std::string(corp_user);
    } else if (request_binding.state == binding_state::bound) {
        id = request_binding.identity;  // keeps named_at: the lineage expires with its sign-in
        id.learned_by = binding_source::lineage;
    } else {
        return 0;  // an unbound or conflicting request passes no binding on
    }
    id.learned_at = now;
    id.learned_on = std::string(learned_on);
    auto expires = id.named_at + limits_.lifetime;
    std::lock_guard lock(mu_);
    ++generation_;
    evict_expired(now);
    if (expires <= now) return 0;
    std::size_t bound = 0;
    for (const auto& [name, value] : set_cookies) {
        if (value.size() < min_token_chars || never_a_key(name) || limits_.max_entries == 0) {
            continue;
        }
        auto k = key_of(name, value);
        auto keep = id;
        if (auto it = entries_.find(k); it != entries_.end()) {
            // A sign-in started with this very cookie stays started, whatever names it again.
            keep.sign_in_at = std::max(keep.sign_in_at, it->second.identity.sign_in_at);
            auto range = by_expiry_.equal_range(it->second.expires);
            for (auto e = range.first; e != range.second; ++e) {
                if (e->second == k) {
                    by_expiry_.erase(e);
                    break;
                }
            }
            if (it->second.identity.pending()) --pending_;
            entries_.erase(it);
        } else if (entries_.size() >= limits_.max_entries) {
            evict_to(limits_.max_entries - 1);
        }
        if (keep.pending()) ++pending_;
        entries_.emplace(k, entry{std::move(keep), expires});
        by_expiry_.emplace(expires, k);
        ++bound;
    }
    return bound;
}

std::size_t session_table::size() const {
    std::lock_guard lock(mu_);
    return entries_.size();
}

std::size_t session_table::pending_count() const {
    std::lock_guard lock(mu_);
    return pending_;
}

session_table::epoch session_table::epoch_at(time_point now) const {
    std::lock_guard lock(mu_);
    epoch e;
    e.generation = generation_;
    if (auto it = by_expiry_.upper_bound(now); it != by_expiry_.end()) e.next_expiry = it->first;
    return e;
}

std::vector<session_table::saved_entry> session_table::snapshot(time_point now) const {
    std::vector<saved_entry> out;
    std::lock_guard lock(mu_);
    out.reserve(entries_.size());
    for (const auto& [k, e] : entries_) {
        if (e.expires > now) out.push_back({k, e.identity, e.expires});
    }
    return out;
}

std::size_t session_table::restore(std::vector<saved_entry> entries, time_point now) {
    std::lock_guard lock(mu_);
    ++generation_;
    std::size_t kept = 0;
    for (auto& e : entries) {
        if (e.expires <= now || limits_.max_entries == 0) continue;
        // A restored entry never outlives the current lifetime (a reload may have shortened it).
        auto expires = std::min(e.expires, e.identity.named_at + limits_.lifetime);
        if (expires <= now) continue;
        if (auto it = entries_.find(e.key); it != entries_.end()) {
            // Another replica let a sign-in through with this cookie: its mark is taken, so an
            // answer here never inherits from it either.
            auto& mine = it->second.identity;
            if (mine.sign_in_at == time_point{} && e.identity.sign_in_at != time_point{}) {
                mine.sign_in_at = e.identity.sign_in_at;
            }
            continue;
        }
        if (entries_.size() >= limits_.max_entries) evict_to(limits_.max_entries - 1);
        if (e.identity.pending()) ++pending_;
        entries_.emplace(e.key, entry{std::move(e.identity), expires});
        by_expiry_.emplace(expires, e.key);
        ++kept;
    }
    return kept;
}

std::vector<session_table::digest> session_table::unknown(std::span<const cookie_pair> cookies,
                                                          time_point now) const {
    std::vector<digest> out;
    for (const auto& [name, value] : cookies) {
        if (value.size() < min_token_chars || never_a_key(name)) continue;
        auto k = key_of(name, value);
        std::lock_guard lock(mu_);
        auto it = entries_.find(k);
        if (it == entries_.end() || it->second.expires <= now) out.push_back(k);
    }
    return out;
}

std::vector<session_table::saved_entry> session_table::entries(std::span<const digest> keys,
                                                               time_point now) const {
    std::vector<saved_entry> out;
    std::lock_guard lock(mu_);
    for (const auto& k : keys) {
        auto it = entries_.find(k);
        if (it != entries_.end() && it->second.expires > now) {
            out.push_back({k, it->second.identity, it->second.expires});
        }
    }
    return out;
}

std::size_t session_table::sign_in_started(std::span<const cookie_pair> cookies, time_point now) {
    std::size_t marked = 0;
    std::lock_guard lock(mu_);
    for (const auto& [name, value] : cookies) {
        if (value.size() < min_token_chars || never_a_key(name)) continue;
        auto k = key_of(name, value);
        auto it = entries_.find(k);
        if (it == entries_.end() || it->second.expires <= now) continue;
        auto& id = it->second.identity;
        if (id.sign_in_at != time_point{}) continue;
        id.sign_in_at = now;
        if (marked_.size() >= max_marked_queue) marked_.pop_front();
        marked_.push_back(k);
        ++marked;
    }
    if (marked) {
        ++generation_;
        any_marked_.store(true, std::memory_order_relaxed);
    }
    return marked;
}

std::size_t session_table::lineage_to_pending(std::span<const digest> keys) {
    std::size_t changed = 0;
    std::lock_guard lock(mu_);
    for (const auto& k : keys) {
        auto it = entries_.find(k);
        if (it == entries_.end() || it->second.identity.learned_by != binding_source::lineage) {
            continue;
        }
        auto& id = it->second.identity;
        session_identity pending;
        pending.learned_by = binding_source::pending_sign_in;
        pending.named_at = id.named_at;  // the expiry stays
        pending.learned_at = id.learned_at;
        pending.learned_on = std::move(id.learned_on);
        pending.sign_in_at = id.sign_in_at;  // the flows of that sign-in are not known here
        // Who started it is not known here either: the opener of the session whose cookies it
        // presented stands in until the answer naming it comes on a connection that names one.
        pending.corporate_user = std::move(id.corporate_user);
        id = std::move(pending);
        ++pending_;
        ++changed;
    }
    if (changed) ++generation_;
    return changed;
}

std::vector<session_table::digest> session_table::take_marked() {
    // Asked on every response of a fleet's replica: no lock when nothing was marked.
    if (!any_marked_.load(std::memory_order_relaxed)) return {};
    std::lock_guard lock(mu_);
    any_marked_.store(false, std::memory_order_relaxed);
    std::vector<digest> out(marked_.begin(), marked_.end());
    marked_.clear();
    return out;
}

void session_table::erase_entry(const digest& k) {
    auto it = entries_.find(k);
    if (it == entries_.end()) return;
    if (it->second.identity.pending()) --pending_;
    entries_.erase(it);
}

void session_table::evict_expired(time_point now) {
    while (!by_expiry_.empty() && by_expiry_.begin()->first <= now) {
        erase_entry(by_expiry_.begin()->second);
        by_expiry_.erase(by_expiry_.begin());
    }
}

// Callers drop the expired entries first: what goes here is live.
void session_table::evict_to(std::size_t bound) {
    while (entries_.size() > bound && !by_expiry_.empty()) {
        erase_entry(by_expiry_.begin()->second);
        by_expiry_.erase(by_expiry_.begin());
        evictions_.fetch_add(1, std::memory_order_relaxed);
    }
}

}  // namespace consolegate::app
