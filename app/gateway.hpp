#pragma once
// The gateway process's lifecycle: starts the data plane (DNS and proxy services on every worker
// thread), the TEAM feed poller, the audit sinks and the admin listener on the control thread;
// SIGHUP or POST /reload swaps in a new configuration (refused whole when invalid or when it
// changes what needs a restart); SIGTERM/SIGINT drains connections, flushes the audit sinks and
// returns.

#include <memory>

#include "cmd_run.hpp"
#include "consolegate/core/config.hpp"

namespace consolegate::app {

class gateway {
  public:
    // Throws std::runtime_error / std::system_error with a message for the operator when
    // something cannot start (an unopenable audit file).
    gateway(std::shared_ptr<const core::config> cfg, run_options o);
    ~gateway();
    gateway(const gateway&) = delete;
    gateway& operator=(const gateway&) = delete;

    // Runs until SIGTERM/SIGINT; returns the exit status (0). Throws when start-up fails (a port
    // in use, a missing CA).
    int run();

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace consolegate::app
