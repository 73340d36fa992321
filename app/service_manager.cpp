#include "service_manager.hpp"

#include <systemd/sd-daemon.h>

#include <cstdint>
#include <ctime>
#include <string>

namespace consolegate::app {

void service_manager::ready() const {
    (void)sd_notify(0, "READY=1\nSTATUS=serving");
}

void service_manager::reloading() const {
    // systemd ≥ 253 (Type=notify-reload) matches the reload by MONOTONIC_USEC; older ones ignore
    // it. sd_notify(3): "RELOADING=1 … MONOTONIC_USEC= … set to the current monotonic time".
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    const std::uint64_t usec = static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000u +
                               static_cast<std::uint64_t>(ts.tv_nsec) / 1000u;
    const std::string msg = "RELOADING=1\nSTATUS=reloading\nMONOTONIC_USEC=" + std::to_string(usec);
    (void)sd_notify(0, msg.c_str());
}

void service_manager::stopping() const {
    (void)sd_notify(0, "STOPPING=1\nSTATUS=draining connections");
}

void service_manager::watchdog() const {
    (void)sd_notify(0, "WATCHDOG=1");
}

std::chrono::microseconds service_manager::watchdog_period() const {
    std::uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0) return std::chrono::microseconds(0);
    return std::chrono::microseconds(usec / 2);
}

}  // namespace consolegate::app
