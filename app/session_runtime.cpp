#include "session_runtime.hpp"

#include <algorithm>
#include <optional>

#include "consolegate/audit/session_rows.hpp"
#include "consolegate/audit/store.hpp"
#include "consolegate/log/log.hpp"
#include "consolegate/net/prometheus.hpp"
#include "portal_users.hpp"
#include "session_sharing.hpp"
#include "session_store.hpp"
#include "session_table.hpp"

namespace consolegate::app {
namespace {

using store_kind = core::sessions_config::store_kind;
constexpr auto startup_check_timeout = std::chrono::seconds(5);

session_table_limits session_limits(const core::config& cfg) {
    return {static_cast<std::size_t>(cfg.sessions.max_entries),
            std::chrono::duration_cast<std::chrono::seconds>(cfg.sessions.lifetime)};
}

portal_user_table::limits portal_limits(const core::config& cfg) {
    auto s = session_limits(cfg);
    return {s.max_entries, s.lifetime};
}

// The table, under the fleet's key (sessions.key_file) or the file's, with what sessions.file
// kept from the last run (throws: startup error).
std::unique_ptr<session_table> open_table(const core::config& cfg) {
    const auto& s = cfg.sessions;
    std::optional<session_table::key_type> key;
    if (!s.key_file.empty()) key = read_session_key_file(s.key_file);
    auto saved = s.file.empty() ? std::nullopt : read_session_file(s.file);
    if (!saved) {
        if (!s.file.empty()) {
            log::write(log::level::info, "sessions", "no session file yet: starting empty",
                       {{"file", s.file.string()}});
        } else if (cfg.proxy.enabled && s.store == store_kind::local &&
                   cfg.policy.unbound_sessions == core::unbound_session_action::deny) {
            log::write(log::level::warn, "sessions",
                       "sessions.file is not set: console sessions are kept in memory only, so "
                       "every restart signs everyone out (their next console request is "
                       "session-unbound); set sessions.file to keep them");
        }
        return std::make_unique<session_table>(session_limits(cfg),
                                               key ? *key : session_table::random_key());
    }
    auto t = std::make_unique<session_table>(session_limits(cfg), key ? *key : saved->key);
    if (key && *key != saved->key) {
        // Its digests were made under another key: no cookie would ever match them.
        log::write(log::level::warn, "sessions",
                   "the session file was written under another key than sessions.key_file: its "
                   "bindings are dropped (those sessions sign in again)",
                   {{"file", s.file.string()}, {"dropped", std::to_string(saved->entries.size())}});
        return t;
    }
    auto total = saved->entries.size();
    auto kept = t->restore(std::move(saved->entries), std::chrono::system_clock::now());
    log::write(log::level::info, "sessions", "console session bindings restored",
               {{"file", s.file.string()},
                {"kept", std::to_string(kept)},
                {"dropped", std::to_string(total - kept)}});
    return t;
}

std::unique_ptr<session_sharing> open_sharing(const core::config& cfg, session_table& table,
                                              portal_user_table& portal) {
    const auto& s = cfg.sessions;
    if (s.store != store_kind::postgres) return nullptr;
    auto conn = cfg.audit.postgres_connection;
    auto password = audit::read_postgres_password(cfg.audit.postgres_password_file);
    auto fingerprint = session_key_fingerprint(table.key());
    session_sharing::open_rows open = [conn, password,
                                       fingerprint](audit::session_rows::deadline until) {
        return audit::open_postgres_session_rows(conn, password, fingerprint, until);
    };
    try {
        open(std::chrono::steady_clock::now() + startup_check_timeout);
        log::write(log::level::info, "sessions",
                   "console sessions shared with the fleet through PostgreSQL");
    } catch (const audit::session_key_mismatch& e) {
        throw std::runtime_error(std::string(e.what()) +
                                 "; give every replica the same sessions.key_file (or, to start "
                                 "the fleet over with a new key, stop every replica and DELETE "
                                 "FROM consolegate_session_key)");
    } catch (const std::exception& e) {
        log::write(log::level::warn, "sessions",
                   "the shared session store cannot be reached at start: sessions bound on other "
                   "replicas are unbound here until it answers",
                   {{"error", e.what()}});
    }
    session_sharing_options o;
    o.connections = static_cast<std::size_t>(s.store_connections);
    o.queue = static_cast<std::size_t>(s.store_queue);
    o.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(s.store_timeout);
    o.negative_entries = static_cast<std::size_t>(s.negative_cache_entries);
    o.negative_ttl = std::chrono::duration_cast<std::chrono::milliseconds>(s.negative_ttl);
    return std::make_unique<session_sharing>(table, std::move(open), o, &portal);
}

}  // namespace

session_runtime::session_runtime(const core::config& cfg)
    : table_(open_table(cfg)),
      portal_(std::make_unique<portal_user_table>(portal_user_table::for_sessions(table_->key()),
                                                  portal_limits(cfg))),
      sharing_(open_sharing(cfg, *table_, *portal_)) {}

session_runtime::~session_runtime() {
    stop();
}

proxy::waiting_hooks session_runtime::hooks() {
    return sharing_ ? sharing_->hooks() : proxy::waiting_hooks{};
}

void session_runtime::apply(const core::config& next) {
    table_->set_limits(session_limits(next));
    portal_->set_limits(portal_limits(next));
}

std::string session_runtime::fixed_setting_changed(const core::config& a, const core::config& b) {
    const auto &x = a.sessions, &y = b.sessions;
    if (x.file != y.file) return "sessions.file";
    if (x.key_file != y.key_file) return "sessions.key_file";
    if (x.store != y.store || x.store_timeout != y.store_timeout ||
        x.store_connections != y.store_connections || x.store_queue != y.store_queue ||
        x.negative_cache_entries != y.negative_cache_entries || x.negative_ttl != y.negative_ttl) {
        return "sessions.store settings";
    }
    return "";
}

void session_runtime::save(const core::config& cfg) const {
    const auto& file = cfg.sessions.file;
    if (file.empty()) return;
    try {
        write_session_file(file,
                           {table_->key(), table_->snapshot(std::chrono::system_clock::now())});
    } catch (const std::exception& e) {
        log::write(log::level::error, "sessions", "session bindings not saved",
                   {{"error", e.what()}});
    }
}

void session_runtime::stop() {
    if (sharing_) sharing_->stop();
}

void session_runtime::write_prometheus(std::string& out, const core::config& cfg) const {
    auto entries = table_->size();
    auto pending = std::min(table_->pending_count(), entries);
    net::write_metric(out, "consolegate_sessions_bound", "gauge",
                      "Console session cookies bound to the identity AWS gave them (the session "
                      "table).",
                      static_cast<std::uint64_t>(entries - pending));
    net::write_metric(out, "consolegate_sessions_pending", "gauge",
                      "Cookies AWS set within a sign-in it has not named yet (pending: bound to "
                      "nobody until an answer names them).",
                      static_cast<std::uint64_t>(pending));
    net::write_metric(out, "consolegate_sessions_max_entries", "gauge",
                      "The session table's bound (sessions.max_entries).",
                      static_cast<std::uint64_t>(cfg.sessions.max_entries));
    net::write_metric(out, "consolegate_sessions_evicted_total", "counter",
                      "Live session bindings dropped because the table was full.",
                      table_->evictions());
    if (sharing_) sharing_->write_prometheus(out);
}

}  // namespace consolegate::app
