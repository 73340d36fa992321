#pragma once
// The gateway's console sessions as one object (issue 20): the session table, its key, the file
// that keeps it across restarts (sessions.file), the access portal's token -> user table
// (app/portal_users.hpp, keyed from the same key, bounded by the same [sessions] limits) and,
// with sessions.store = "postgres", the sharing of both with the fleet
// (app/session_sharing.hpp). app/gateway.cpp owns one for the process life: a
// reload applies new bounds (apply), never a new key, file or store (fixed_setting_changed).

#include <memory>
#include <string>

#include "consolegate/core/config.hpp"
#include "consolegate/proxy/inspection.hpp"

namespace consolegate::app {

class session_table;
class session_sharing;
class portal_user_table;

class session_runtime {
  public:
    // Reads the key (sessions.key_file) and the file, and with a shared store checks the fleet's
    // key against it (a different one is a startup error; an unreachable store is a warning:
    // sharing starts when it answers). Throws std::runtime_error with the operator's message.
    explicit session_runtime(const core::config& cfg);
    ~session_runtime();
    session_runtime(const session_runtime&) = delete;
    session_runtime& operator=(const session_runtime&) = delete;

    session_table& table() { return *table_; }
    portal_user_table& portal_users() { return *portal_; }
    // The proxy's waiting hooks: empty without a shared store.
    proxy::waiting_hooks hooks();
    // A reload's new bounds.
    void apply(const core::config& next);
    // The first [sessions] setting that only a restart may change, or "".
    static std::string fixed_setting_changed(const core::config& a, const core::config& b);
    // Writes sessions.file (when set); logs a failure.
    void save(const core::config& cfg) const;
    // Resumes whatever waits on the shared store and stops its threads: after the proxy's workers
    // stopped, before their io_contexts go.
    void stop();
    // consolegate_sessions_* for /metrics.
    void write_prometheus(std::string& out, const core::config& cfg) const;

  private:
    std::unique_ptr<session_table> table_;
    std::unique_ptr<portal_user_table> portal_;
    std::unique_ptr<session_sharing> sharing_;
};

}  // namespace consolegate::app
