// LDAP groups (ldap_groups.hpp) over OpenLDAP's libldap: the only file that includes it.
#include "consolegate/identity/ldap_groups.hpp"

#include <ldap.h>
#include <sys/time.h>

#include <algorithm>

#include "consolegate/core/idc_user.hpp"
#include "consolegate/log/log.hpp"

namespace consolegate::identity {

namespace {

constexpr std::size_t max_queue = 4096;
constexpr int max_groups = 1024;  // per user, as the groups file allows
constexpr std::chrono::milliseconds first_backoff{1000}, max_backoff{60000};

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

timeval to_timeval(std::chrono::milliseconds d) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(d.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
    return tv;
}

}  // namespace

std::string ldap_filter_escape(std::string_view value) {
    std::string out;
    for (unsigned char c : value) {
        if (c == '*' || c == '(' || c == ')' || c == '\\' || c == 0) {
            static constexpr char hex[] = "0123456789abcdef";
            out += '\\';
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

std::optional<std::string> expand_ldap_filter(std::string_view filter, std::string_view user,
                                              std::string_view dn,
                                              const std::vector<std::string>& realms) {
    std::string_view name;
    if (filter.find("{name}") != std::string_view::npos) {
        auto site = core::site_name_of(user, realms);
        if (!site) return std::nullopt;
        name = *site;
    }
    std::string out;
    for (std::size_t i = 0; i < filter.size();) {
        auto take = [&](std::string_view key, std::string_view value) {
            if (filter.substr(i, key.size()) != key) return false;
            out += ldap_filter_escape(value);
            i += key.size();
            return true;
        };
        if (take("{user}", user) || take("{name}", name) || take("{dn}", dn)) continue;
        out += filter[i++];
    }
    return out;
}

struct ldap_directory::impl {
    ldap_settings s;
    LDAP* ld = nullptr;

    ~impl() { drop(); }
    void drop() {
        if (ld) ldap_unbind_ext_s(ld, nullptr, nullptr);
        ld = nullptr;
    }
    static std::string words(int rc) { return ldap_err2string(rc); }

    // Connected and bound, or why not.
    std::string connect() {
        if (ld) return "";
        int rc = ldap_initialize(&ld, s.uri.c_str());
        if (rc != LDAP_SUCCESS) {
            ld = nullptr;
            return "ldap_initialize: " + words(rc);
        }
        int v3 = LDAP_VERSION3;
        ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
        ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
        auto tv = to_timeval(s.timeout);
        ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
        ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv);
        int demand = LDAP_OPT_X_TLS_DEMAND;
        ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand);
        if (!s.ca_file.empty()) {
            ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, s.ca_file.c_str());
        }
        int zero = 0;
        ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero);
        if (s.starttls) {
            rc = ldap_start_tls_s(ld, nullptr, nullptr);
            if (rc != LDAP_SUCCESS) {
                drop();
                return "StartTLS: " + words(rc);
            }
        }
        berval cred{static_cast<ber_len_t>(s.password.size()), s.password.data()};
        rc = ldap_sasl_bind_s(ld, s.bind_dn.empty() ? nullptr : s.bind_dn.c_str(), LDAP_SASL_SIMPLE,
                              &cred, nullptr, nullptr, nullptr);
        if (rc != LDAP_SUCCESS) {
            drop();
            return "bind as \"" + s.bind_dn + "\": " + words(rc);
        }
        return "";
    }

    // The values of `attr` (or the DNs when attr is null) of what `filter` finds under `base`.
    std::string search(const std::string& base, const std::string& filter, const char* attr,
                       std::vector<std::string>& out) {
        char* attrs[] = {const_cast<char*>(attr ? attr : LDAP_NO_ATTRS), nullptr};
        auto tv = to_timeval(s.timeout);
        LDAPMessage* res = nullptr;
        int rc = ldap_search_ext_s(ld, base.c_str(), LDAP_SCOPE_SUBTREE, filter.c_str(), attrs, 0,
                                   nullptr, nullptr, &tv, max_groups, &res);
        if (rc != LDAP_SUCCESS && rc != LDAP_SIZELIMIT_EXCEEDED) {
            if (res) ldap_msgfree(res);
            if (rc == LDAP_SERVER_DOWN || rc == LDAP_TIMEOUT || rc == LDAP_CONNECT_ERROR) drop();
            return "search under \"" + base + "\": " + words(rc);
        }
        for (auto* e = ldap_first_entry(ld, res); e; e = ldap_next_entry(ld, e)) {
            if (!attr) {
                if (char* dn = ldap_get_dn(ld, e)) {
                    out.emplace_back(dn);
                    ldap_memfree(dn);
                }
                continue;
            }
            berval** values = ldap_get_values_len(ld, e, attr);
            for (int i = 0; values && values[i]; ++i) {
                out.emplace_back(values[i]->bv_val, values[i]->bv_len);
            }
            if (values) ldap_value_free_len(values);
        }
        ldap_msgfree(res);
        return "";
    }
};

ldap_directory::ldap_directory(ldap_settings s) : impl_(std::make_unique<impl>()) {
    impl_->s = std::move(s);
}
ldap_directory::~ldap_directory() = default;

ldap_answer ldap_directory::groups_of(std::string_view user) {
    ldap_answer a;
    auto& s = impl_->s;
    for (int attempt = 0; attempt < 2; ++attempt) {  // a connection the server dropped: again
        a.groups.clear();
        if (auto bad = impl_->connect(); !bad.empty()) {
            a.problem = bad;
            return a;
        }
        std::string dn;
        if (!s.user_base.empty()) {
            std::vector<std::string> dns;
            auto filter = expand_ldap_filter(s.user_filter, user, "", s.realms);
            if (!filter) {  // another realm's user: the site's namesake is not them
                a.ok = true;
                return a;
            }
            auto bad = impl_->search(s.user_base, *filter, nullptr, dns);
            if (!bad.empty()) {
                a.problem = bad;
                if (!impl_->ld) continue;
                return a;
            }
            if (dns.size() != 1) {  // not in the directory (or ambiguous): no groups
                a.ok = true;
                return a;
            }
            dn = dns.front();
        }
        auto filter = expand_ldap_filter(s.group_filter, user, dn, s.realms);
        if (!filter) {
            a.ok = true;
            return a;
        }
        auto bad = impl_->search(s.group_base, *filter, s.group_attribute.c_str(), a.groups);
        if (!bad.empty()) {
            a.problem = bad;
            if (!impl_->ld) continue;
            return a;
        }
        a.ok = true;
        a.problem.clear();
        return a;
    }
    return a;
}

ldap_group_cache::ldap_group_cache(ldap_settings s)
    : settings_(std::move(s)), thread_([this] { run(); }) {}

ldap_group_cache::~ldap_group_cache() {
    {
        std::lock_guard lock(mu_);
        stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

std::size_t ldap_group_cache::users() const {
    std::lock_guard lock(mu_);
    return cache_.size();
}

void ldap_group_cache::enqueue(const std::string& key, std::string_view user, entry& e) {
    if (e.queued) return;
    if (queue_.size() >= max_queue) {
        counters_.dropped.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    e.queued = true;
    queue_.emplace_back(key, std::string(user));
    wake_.notify_one();
}

std::optional<std::vector<std::string>> ldap_group_cache::groups(std::string_view user) {
    auto key = lower(user);
    auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mu_);
    auto it = cache_.find(key);
    if (it == cache_.end()) {
        if (cache_.size() >= settings_.max_users) {
            // Full: forget the entry asked for longest ago (a linear pass, only when full).
            auto oldest = std::min_element(cache_.begin(), cache_.end(), [](auto& a, auto& b) {
                return !a.second.queued &&
                       (b.second.queued || a.second.last_asked < b.second.last_asked);
            });
            if (oldest != cache_.end() && !oldest->second.queued) cache_.erase(oldest);
        }
        it = cache_.emplace(key, entry{}).first;
    }
    auto& e = it->second;
    e.last_asked = now;
    if (!e.known || now - e.fetched >= settings_.ttl) enqueue(key, user, e);
    if (!e.known) {
        counters_.misses.fetch_add(1, std::memory_order_relaxed);
        return std::nullopt;
    }
    counters_.hits.fetch_add(1, std::memory_order_relaxed);
    return e.groups;
}

void ldap_group_cache::run() {
    ldap_directory dir(settings_);
    log::rate_limit limit(std::chrono::seconds(30));
    // After a failure the thread pauses (1 s doubling to 60 s) before the next lookup, so a
    // directory that is down, or a bind it refuses (account lockout), is not hammered.
    std::chrono::milliseconds backoff{0};
    std::unique_lock lock(mu_);
    for (;;) {
        if (backoff.count() > 0 && wake_.wait_for(lock, backoff, [this] { return stop_; })) return;
        wake_.wait(lock, [this] { return stop_ || !queue_.empty(); });
        if (stop_) return;
        auto [key, user] = std::move(queue_.front());
        queue_.pop_front();
        lock.unlock();
        auto answer = dir.groups_of(user);  // the directory, never under the lock
        if (answer.ok) {
            counters_.lookups.fetch_add(1, std::memory_order_relaxed);
        } else {
            counters_.failures.fetch_add(1, std::memory_order_relaxed);
            if (auto suppressed = limit.allow(std::chrono::steady_clock::now())) {
                log::write(log::level::warn, "identity",
                           "LDAP group lookup failed; the groups known before stay",
                           {{"uri", settings_.uri},
                            {"error", answer.problem},
                            {"suppressed", std::to_string(*suppressed)}});
            }
        }
        backoff = answer.ok ? std::chrono::milliseconds(0)
                            : std::min<std::chrono::milliseconds>(
                                  std::max<std::chrono::milliseconds>(backoff * 2, first_backoff),
                                  max_backoff);
        lock.lock();
        auto it = cache_.find(key);
        if (it == cache_.end()) continue;  // dropped meanwhile (the cache was full)
        it->second.queued = false;
        if (!answer.ok) continue;  // unknown stays unknown, known stays as it was
        it->second.groups = std::move(answer.groups);
        it->second.known = true;
        it->second.fetched = std::chrono::steady_clock::now();
    }
}

}  // namespace consolegate::identity
