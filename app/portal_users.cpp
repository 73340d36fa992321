#include "portal_users.hpp"

#include <openssl/rand.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cstring>
#include <stdexcept>

#include "consolegate/core/hex.hpp"
#include "consolegate/identity/user_name.hpp"
#include "consolegate/inspect/portal_user.hpp"
#include "hmac.hpp"

namespace consolegate::app {

portal_user_table::key_type portal_user_table::random_key() {
    key_type k{};
    if (RAND_bytes(k.data(), static_cast<int>(k.size())) != 1)
        throw std::runtime_error("portal users: no random key from the OS");
    return k;
}

portal_user_table::key_type portal_user_table::for_sessions(
    const std::array<unsigned char, 32>& session_key) {
    return hmac_sha256(session_key, "consolegate portal users v1", "portal users");
}

portal_user_table::portal_user_table(const key_type& key) : key_(key) {}

portal_user_table::portal_user_table(const key_type& key, limits l) : key_(key), limits_(l) {}

void portal_user_table::set_limits(limits l) {
    std::lock_guard lock(mu_);
    limits_ = l;
}

std::size_t portal_user_table::digest_hash::operator()(const digest& d) const noexcept {
    std::size_t h;  // the digest is already uniformly distributed
    std::memcpy(&h, d.data(), sizeof h);
    return h;
}

portal_user_table::digest portal_user_table::key_of(std::string_view token) const {
    return hmac_sha256(key_, token, "portal users");
}

void portal_user_table::evict_to(std::size_t n) {
    while (entries_.size() > n && !by_expiry_.empty()) {
        auto first = by_expiry_.begin();
        entries_.erase(first->second);
        by_expiry_.erase(first);
    }
}

void portal_user_table::evict_expired(time_point now) {
    while (!by_expiry_.empty() && by_expiry_.begin()->first <= now) {
        entries_.erase(by_expiry_.begin()->second);
        by_expiry_.erase(by_expiry_.begin());
    }
}

void portal_user_table::put(const digest& k, std::string_view user, std::string_view corp_user,
                            time_point expires, time_point now, std::size_t max_entries) {
    // Expired entries first, so a full table drops only what is over.
    evict_expired(now);
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
        // The first opener known stays: a copied token's /user asked from another person's
        // browser does not make the token theirs.
        if (it->second.corp_user.empty()) it->second.corp_user = std::string(corp_user);
        it->second.expires = std::max(it->second.expires, expires);
    } else {
        evict_to(max_entries - 1);
        it = entries_.emplace(k, entry{std::string(user), expires, std::string(corp_user)}).first;
    }
    by_expiry_.emplace(it->second.expires, k);
    evict_to(max_entries);
}

void portal_user_table::learn(std::string_view token, std::string_view user, time_point now,
                              limits l, std::string_view corp_user) {
    if (user.empty() || l.max_entries == 0) return;
    auto k = key_of(token);
    std::lock_guard lock(mu_);
    ++learned_;
    put(k, user, corp_user, now + l.lifetime, now, l.max_entries);
}

std::optional<portal_user_table::saved_entry> portal_user_table::live_entry(const digest& d,
                                                                            time_point now) const {
    std::lock_guard lock(mu_);
    auto it = entries_.find(d);
    if (it == entries_.end() || it->second.expires <= now) return std::nullopt;
    return saved_entry{it->second.user, it->second.expires, it->second.corp_user};
}

void portal_user_table::restore(const digest& d, const saved_entry& e, time_point now) {
    std::lock_guard lock(mu_);
    if (e.expires <= now || limits_.max_entries == 0) return;
    // Never longer than this replica would keep it.
    put(d, e.user, e.corp_user, std::min(e.expires, now + limits_.lifetime), now,
        limits_.max_entries);
}

namespace {

std::int64_t to_ms(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

std::string portal_user_table::entry_text(const digest& d, const saved_entry& e) {
    boost::json::object o{{"d", core::to_hex(d)},
                          {"exp", to_ms(e.expires)},
                          {"portal_user", e.user},
                          {"corp_user", e.corp_user}};
    return boost::json::serialize(o);
}

std::pair<portal_user_table::digest, portal_user_table::saved_entry> portal_user_table::parse_entry(
    std::string_view text) {
    boost::system::error_code ec;
    auto v = boost::json::parse(text, ec);
    if (ec || !v.is_object()) throw std::invalid_argument("not a JSON object");
    const auto& o = v.get_object();
    const auto* d = o.if_contains("d");
    const auto* exp = o.if_contains("exp");
    const auto* user = o.if_contains("portal_user");
    std::pair<digest, saved_entry> out;
    if (!d || !d->is_string() || !core::from_hex(std::string_view(d->get_string()), out.first))
        throw std::invalid_argument("d is not 64 hex digits");
    if (!exp || !exp->is_int64()) throw std::invalid_argument("exp is not an integer");
    if (!user || !user->is_string()) throw std::invalid_argument("portal_user is not a string");
    std::string_view name(user->get_string());
    // What portal_user_from_answer would have accepted, or "" (contradicted).
    if (name.size() > inspect::max_portal_user) throw std::invalid_argument("portal_user too long");
    for (unsigned char c : name) {
        if (c < 0x21 || c == 0x7f || c == '"' || c == '\'')
            throw std::invalid_argument("portal_user has a character no portal user has");
    }
    out.second.user = std::string(name);
    // Absent in rows written before openers were kept: not known. Present, a corporate user
    // name as the identity sources accept one (identity::check_user_name), or "".
    if (const auto* corp = o.if_contains("corp_user")) {
        if (!corp->is_string()) throw std::invalid_argument("corp_user is not a string");
        std::string_view c(corp->get_string());
        if (!c.empty() && !identity::check_user_name(c).empty())
            throw std::invalid_argument("corp_user is not a corporate user name");
        out.second.corp_user = std::string(c);
    }
    out.second.expires =
        std::chrono::system_clock::time_point(std::chrono::milliseconds(exp->get_int64()));
    return out;
}

std::optional<std::string> portal_user_table::user_of(std::string_view token,
                                                      time_point now) const {
    auto e = entry_of(token, now);
    if (!e) return std::nullopt;
    return std::move(e->user);
}

std::optional<portal_user_table::saved_entry> portal_user_table::entry_of(std::string_view token,
                                                                          time_point now) const {
    auto e = live_entry(key_of(token), now);
    if (!e || e->user.empty()) return std::nullopt;
    return e;
}

bool portal_user_table::observe(const core::http_request_view& req,
                                const proxy::response_view& resp, limits l) {
    if (resp.status != 200 || !resp.body_complete || !inspect::is_portal_user_request(req))
        return false;
    auto token = inspect::portal_bearer_token(req);
    if (!token) return false;
    auto user = inspect::portal_user_from_answer(resp.body);
    if (!user) return false;
    learn(*token, *user, req.time, l, req.corp ? std::string_view(req.corp->user) : "");
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
