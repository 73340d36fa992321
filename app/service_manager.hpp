#pragma once
// Tells systemd where the gateway is in its life (Type=notify, sd_notify(3)): READY=1 once every
// listener is bound, RELOADING=1 with MONOTONIC_USEC while a reload runs and READY=1 after it,
// WATCHDOG=1 at half of WatchdogSec=, STOPPING=1 when draining starts. Not started by systemd
// (no NOTIFY_SOCKET), every call does nothing. Errors sending are ignored: a service manager
// that stopped listening must not stop the gateway.
//
// Thread-safety: call from one thread (the gateway's control thread).

#include <chrono>

namespace consolegate::app {

class service_manager {
  public:
    void ready() const;
    void reloading() const;
    void stopping() const;
    void watchdog() const;
    // How often to call watchdog(): half of the interval systemd asked for; zero when none.
    std::chrono::microseconds watchdog_period() const;
};

}  // namespace consolegate::app
