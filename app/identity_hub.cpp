#include "identity_hub.hpp"

#include <algorithm>
#include <fstream>
#include <stdexcept>

#include "consolegate/identity/trusted_header.hpp"
#include "consolegate/identity/user_name.hpp"
#include "consolegate/log/log.hpp"
#include "consolegate/net/prometheus.hpp"

namespace consolegate::app {

namespace {

void count(std::atomic<std::uint64_t>& c) {
    c.fetch_add(1, std::memory_order_relaxed);
}

// The acceptor for cfg's keytab (null when Kerberos is off); throws naming the key on a problem.
std::shared_ptr<const identity::negotiate_acceptor> open_acceptor(const core::config& cfg) {
    const auto& id = cfg.identity;
    if (!id.kerberos_enabled()) return nullptr;
    std::string problem;
    auto a = identity::negotiate_acceptor::open(id.kerberos_keytab, id.kerberos_principal, problem);
    if (!a) throw std::runtime_error("identity.kerberos_keytab: " + problem);
    return a;
}

}  // namespace

identity_hub::identity_hub(const core::config& cfg)
    : header_(cfg.identity.trusted_header),
      map_(static_cast<std::size_t>(cfg.identity.address_map_max)) {
    apply(cfg);
}

std::shared_ptr<identity_hub> identity_hub::make(const core::config& cfg,
                                                 std::chrono::system_clock::time_point now) {
    std::shared_ptr<identity_hub> hub(new identity_hub(cfg));
    if (hub->watch_) {
        bool ok = true;
        auto what = hub->watch_->poll(hub->map_, ok);
        if (!ok) throw std::runtime_error("identity.address_map_file: " + what);
        log::write(log::level::info, "identity", "address map file loaded", {{"what", what}});
    }
    if (hub->groups_watch_) {
        bool ok = true;
        auto what = hub->poll_groups(ok);
        if (!ok) throw std::runtime_error("identity.groups_file: " + what);
        log::write(log::level::info, "identity", "groups file loaded", {{"what", what}});
    }
    hub->map_.prune(now);
    return hub;
}

// The LDAP settings with the bind password read; throws naming the file when it cannot be.
identity::ldap_settings ldap_settings_of(const core::ldap_config& l,
                                         const std::vector<std::string>& realms) {
    identity::ldap_settings s;
    s.realms = realms;
    s.uri = l.uri;
    s.starttls = l.starttls;
    s.ca_file = l.ca_file;
    s.bind_dn = l.bind_dn;
    if (!l.password_file.empty()) {
        std::ifstream in(l.password_file);
        std::string line;
        if (!in || !std::getline(in, line))
            throw std::runtime_error("identity.ldap_password_file: cannot read " +
                                     l.password_file.string());
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty())
            throw std::runtime_error("identity.ldap_password_file: " + l.password_file.string() +
                                     " holds no password on its first line");
        s.password = std::move(line);
    }
    s.user_base = l.user_base;
    s.user_filter = l.user_filter;
    s.group_base = l.group_base;
    s.group_filter = l.group_filter;
    s.group_attribute = l.group_attribute;
    s.ttl = l.cache_ttl;
    s.timeout = l.timeout;
    return s;
}

bool same_ldap(const core::ldap_config& a, const core::ldap_config& b) {
    return a.uri == b.uri && a.starttls == b.starttls && a.ca_file == b.ca_file &&
           a.bind_dn == b.bind_dn && a.password_file == b.password_file &&
           a.user_base == b.user_base && a.user_filter == b.user_filter &&
           a.group_base == b.group_base && a.group_filter == b.group_filter &&
           a.group_attribute == b.group_attribute && a.cache_ttl == b.cache_ttl &&
           a.timeout == b.timeout;
}

std::string identity_hub::check_ldap(const core::config& cfg) {
    if (!cfg.identity.ldap.enabled()) return "";
    try {
        ldap_settings_of(cfg.identity.ldap, cfg.identity.realms);
        return "";
    } catch (const std::runtime_error& e) {
        return e.what();
    }
}

std::string identity_hub::check_kerberos(const core::config& cfg) {
    try {
        open_acceptor(cfg);
        return "";
    } catch (const std::runtime_error& e) {
        return e.what();
    }
}

void identity_hub::apply(const core::config& cfg) {
    const auto& id = cfg.identity;
    // A reload checked the keytab first (check_kerberos); the start throws from here.
    auto k = std::make_shared<kerberos_state>();
    k->networks = id;
    k->acceptor = open_acceptor(cfg);
    kerberos_.store(std::move(k));
    if (!id.ldap.enabled()) {
        ldap_.store(nullptr);
    } else if (!ldap_.load() || !same_ldap(ldap_config_, id.ldap) || ldap_realms_ != id.realms) {
        // A reload checked the password file first (check_ldap); the start throws from here.
        ldap_.store(
            std::make_shared<identity::ldap_group_cache>(ldap_settings_of(id.ldap, id.realms)));
    }
    ldap_config_ = id.ldap;
    ldap_realms_ = id.realms;
    map_.set_limit(static_cast<std::size_t>(id.address_map_max));
    max_ttl_ms_.store(id.address_map_max_ttl.count(), std::memory_order_relaxed);
    trusted_.store(std::make_shared<const std::vector<core::cidr>>(id.trusted_header_from));
    realms_.store(std::make_shared<const std::vector<std::string>>(id.realms));
    if (id.address_map_file.empty()) {
        if (watch_) map_.replace_file({}, {});  // the file is no longer configured
        watch_.reset();
    } else if (!watch_ || watch_->file() != id.address_map_file) {
        watch_.emplace(id.address_map_file);  // loaded at the next tick
    }
    if (id.groups_file.empty()) {
        groups_.store(nullptr);
        groups_watch_.reset();
    } else if (!groups_watch_ || groups_watch_->file() != id.groups_file) {
        groups_watch_.emplace(id.groups_file);  // loaded at the next tick
    }
}

std::string identity_hub::poll_groups(bool& ok) {
    ok = true;
    const auto& file = groups_watch_->file();
    switch (groups_watch_->poll()) {
        case identity::file_watch::change::none: return "";
        case identity::file_watch::change::missing:
            ok = false;
            return file.string() + ": cannot be read; the groups loaded before stay";
        case identity::file_watch::change::changed: break;
    }
    auto parsed = identity::read_groups(file);
    if (!parsed.table) {
        ok = false;
        return file.string() + ": " + parsed.problem +
               "; the file is refused and the groups loaded before stay";
    }
    auto users = parsed.table->users();
    groups_.store(std::move(parsed.table));
    return file.string() + ": groups of " + std::to_string(users) + " users loaded";
}

proxy::shared_identity identity_hub::add_groups(proxy::shared_identity who) const {
    if (!who) return who;
    auto table = groups_.load();
    if (table) {
        auto realms = realms_.load();
        who = identity::with_groups(std::move(who), table.get(),
                                    realms ? *realms : std::vector<std::string>{});
    }
    auto ldap = ldap_.load();
    if (!ldap) return who;
    // The directory's groups as last looked up (never waited for: a user not looked up yet has
    // none from LDAP until the lookup lands; docs/identity.md).
    auto found = ldap->groups(who->user);
    if (!found || found->empty()) return who;
    auto merged = std::make_shared<core::corp_identity>(*who);
    for (auto& g : *found) {
        if (std::find(merged->groups.begin(), merged->groups.end(), g) == merged->groups.end())
            merged->groups.push_back(std::move(g));
    }
    return merged;
}

void identity_hub::tick(std::chrono::system_clock::time_point now) {
    map_.prune(now);
    if (groups_watch_) {
        bool ok = true;
        if (auto what = poll_groups(ok); !what.empty()) {
            log::write(ok ? log::level::info : log::level::error, "identity",
                       ok ? "groups file loaded" : "groups file refused", {{"what", what}});
        }
    }
    if (!watch_) return;
    bool ok = true;
    auto what = watch_->poll(map_, ok);
    if (what.empty()) return;
    log::write(ok ? log::level::info : log::level::error, "identity",
               ok ? "address map file loaded" : "address map file refused", {{"what", what}});
}

proxy::shared_identity identity_hub::by_header(const core::ip_address& client,
                                               std::span<const std::string_view> values) {
    auto r = identity::from_trusted_header(client, *trusted_.load(), values);
    static log::rate_limit limit(std::chrono::seconds(10));
    const char* problem = nullptr;
    switch (r.outcome) {
        case identity::header_outcome::identified: count(counters_.header_identified); break;
        case identity::header_outcome::untrusted:
            count(counters_.header_untrusted);
            problem = "user header from outside identity.trusted_header_from ignored";
            break;
        case identity::header_outcome::invalid:
            count(counters_.header_invalid);
            problem = "trusted user header holds no valid user name; ignored";
            break;
        case identity::header_outcome::ambiguous:
            count(counters_.header_invalid);
            problem = "trusted user header sent more than once; ignored";
            break;
    }
    if (problem) {
        if (auto suppressed = limit.allow(std::chrono::steady_clock::now())) {
            // The value is never logged: it is whatever the client chose to send.
            log::write(log::level::warn, "identity", problem,
                       {{"client", client.str()},
                        {"header", header_},
                        {"suppressed", std::to_string(*suppressed)}});
        }
    }
    return add_groups(std::move(r.who));
}

proxy::identification::negotiate_answer identity_hub::negotiate(
    const core::ip_address& client, std::span<const std::string_view> values) {
    proxy::identification::negotiate_answer answer;
    auto k = kerberos_.load();
    if (!k->acceptor) return answer;
    const auto mode = core::kerberos_mode(k->networks, client);
    if (mode == core::proxy_auth_mode::off) return answer;
    // The Negotiate credential among the values (several Negotiate values: refused).
    std::string_view token;
    int offered = 0;
    for (auto v : values) {
        if (identity::is_negotiate(v)) {
            token = v;
            ++offered;
        }
    }
    if (offered == 0) {
        if (mode == core::proxy_auth_mode::required) {
            count(counters_.kerberos_challenged);
            answer.challenge = true;
        }
        return answer;
    }
    identity::negotiate_result r;
    if (offered == 1) {
        r = k->acceptor->accept(token);
        counters_.kerberos_accept_micros.fetch_add(static_cast<std::uint64_t>(r.took.count()),
                                                   std::memory_order_relaxed);
        count(counters_.kerberos_accepts);
    } else {
        r.reason = "several Negotiate credentials in one request";
    }
    if (r.outcome == identity::negotiate_outcome::identified &&
        identity::check_user_name(r.user).empty()) {
        count(counters_.kerberos_identified);
        auto who = std::make_shared<core::corp_identity>();
        who->user = std::move(r.user);
        who->source = core::corp_source::kerberos;
        answer.who = add_groups(std::move(who));
        return answer;
    }
    count(counters_.kerberos_refused);
    answer.challenge = answer.refused = true;
    static log::rate_limit limit(std::chrono::seconds(10));
    if (auto suppressed = limit.allow(std::chrono::steady_clock::now())) {
        // GSSAPI's words only: never the token, which a replay could use.
        log::write(log::level::warn, "identity", "Kerberos authentication refused: 407",
                   {{"client", client.str()},
                    {"outcome", r.outcome == identity::negotiate_outcome::malformed ? "malformed"
                                : r.reason.empty() ? "not-a-user-name"
                                                   : "refused"},
                    {"reason", r.reason},
                    {"service", k->acceptor->principal()},
                    {"suppressed", std::to_string(*suppressed)}});
    }
    return answer;
}

proxy::identification identity_hub::proxy_hooks() {
    proxy::identification who;
    who.header = header_;
    auto self = shared_from_this();
    who.by_address = [self](const core::ip_address& client) {
        auto id = self->map_.find(client, std::chrono::system_clock::now());
        if (!id) return id;
        count(self->counters_.address_identified);
        return self->add_groups(std::move(id));
    };
    who.negotiate = [self](const core::ip_address& client,
                           std::span<const std::string_view> values) {
        return self->negotiate(client, values);
    };
    if (!header_.empty()) {
        who.by_header = [self](const core::ip_address& client,
                               std::span<const std::string_view> values) {
            return self->by_header(client, values);
        };
    }
    return who;
}

identity::api_answer identity_hub::post(std::string_view body,
                                        std::chrono::system_clock::time_point now) {
    auto answer = identity::post_mappings(
        map_, body, std::chrono::milliseconds(max_ttl_ms_.load(std::memory_order_relaxed)), now);
    if (answer.status == 507) {
        static log::rate_limit limit(std::chrono::seconds(10));
        if (auto suppressed = limit.allow(std::chrono::steady_clock::now())) {
            log::write(log::level::warn, "identity",
                       "address map full: pushed mappings refused (identity.address_map_max)",
                       {{"limit", std::to_string(map_.limit())},
                        {"suppressed", std::to_string(*suppressed)}});
        }
    }
    return answer;
}

identity::api_answer identity_hub::remove(std::string_view address,
                                          const std::optional<std::string>& user) {
    return identity::delete_mapping(map_, address, user);
}

identity::api_answer identity_hub::list(std::chrono::system_clock::time_point now) const {
    return identity::list_mappings(map_, now);
}

void identity_hub::write_prometheus(std::string& out) const {
    using net::write_metric;
    const auto& m = map_.counters();
    auto v = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
    write_metric(out, "consolegate_identity_address_mappings", "gauge",
                 "Address-to-user mappings held (pushed and file, expired ones until pruned)",
                 std::uint64_t(map_.size()));
    write_metric(out, "consolegate_identity_address_map_pushes_total", "counter",
                 "Address mappings stored or refreshed through the admin API", v(m.pushes));
    write_metric(out, "consolegate_identity_address_map_refused_full_total", "counter",
                 "Address mappings refused because identity.address_map_max was reached",
                 v(m.refused_full));
    write_metric(out, "consolegate_identity_address_map_expired_total", "counter",
                 "Pushed address mappings pruned after their time to live", v(m.expired));
    write_metric(out, "consolegate_identity_address_identified_total", "counter",
                 "Client connections identified through the address map",
                 v(counters_.address_identified));
    write_metric(out, "consolegate_identity_kerberos_accept_microseconds_total", "counter",
                 "Time spent accepting Kerberos tokens (GSSAPI, on worker threads)",
                 v(counters_.kerberos_accept_micros));
    write_metric(out, "consolegate_identity_kerberos_accepts_total", "counter",
                 "Kerberos tokens accepted or refused by GSSAPI", v(counters_.kerberos_accepts));
    net::write_metric_header(out, "consolegate_identity_kerberos_total", "counter",
                             "CONNECT-listener requests under Kerberos, by what came of it");
    net::write_sample(out, "consolegate_identity_kerberos_total{outcome=\"identified\"}",
                      v(counters_.kerberos_identified));
    net::write_sample(out, "consolegate_identity_kerberos_total{outcome=\"challenged\"}",
                      v(counters_.kerberos_challenged));
    net::write_sample(out, "consolegate_identity_kerberos_total{outcome=\"refused\"}",
                      v(counters_.kerberos_refused));
    if (auto ldap = ldap_.load()) {
        const auto& l = ldap->counters();
        write_metric(out, "consolegate_identity_ldap_users", "gauge",
                     "Users whose LDAP groups are cached (or being looked up)",
                     std::uint64_t(ldap->users()));
        net::write_metric_header(out, "consolegate_identity_ldap_total", "counter",
                                 "LDAP group cache: asks answered from the cache (hit), asks "
                                 "that found nothing yet (miss), directory lookups and failures, "
                                 "lookups not queued (dropped)");
        net::write_sample(out, "consolegate_identity_ldap_total{outcome=\"hit\"}", v(l.hits));
        net::write_sample(out, "consolegate_identity_ldap_total{outcome=\"miss\"}", v(l.misses));
        net::write_sample(out, "consolegate_identity_ldap_total{outcome=\"lookup\"}", v(l.lookups));
        net::write_sample(out, "consolegate_identity_ldap_total{outcome=\"failure\"}",
                          v(l.failures));
        net::write_sample(out, "consolegate_identity_ldap_total{outcome=\"dropped\"}",
                          v(l.dropped));
    }
    auto groups = groups_.load();
    write_metric(out, "consolegate_identity_group_users", "gauge", "Users the groups file lists",
                 std::uint64_t(groups ? groups->users() : 0));
    net::write_metric_header(out, "consolegate_identity_trusted_header_total", "counter",
                             "Requests carrying the trusted user header, by what came of it");
    net::write_sample(out, "consolegate_identity_trusted_header_total{outcome=\"identified\"}",
                      v(counters_.header_identified));
    net::write_sample(out, "consolegate_identity_trusted_header_total{outcome=\"untrusted\"}",
                      v(counters_.header_untrusted));
    net::write_sample(out, "consolegate_identity_trusted_header_total{outcome=\"invalid\"}",
                      v(counters_.header_invalid));
}

}  // namespace consolegate::app
