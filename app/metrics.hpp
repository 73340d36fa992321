#pragma once
// The gateway's /metrics page (Prometheus text): the sign-in path's counters, reloads, the TEAM
// feed, and the DNS and proxy services' own counters.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "consolegate/core/sign_in.hpp"

namespace consolegate::dns {
struct stats;
}
namespace consolegate::proxy {
struct stats;
}
namespace consolegate::team {
class feed;
}
namespace consolegate::audit {
class tee_sink;
}

namespace consolegate::app {

// Counters of the sign-in path, bumped by the sign-in hook on every worker (relaxed atomics).
class sign_in_metrics {
  public:
    // One judged attempt and the audit event recorded for it.
    void count(const core::decision& d) noexcept;
    // One request on a sign-in host to an endpoint the inspector does not know
    // (inspect::unrecognised_sign_in_request).
    void count_unrecognised() noexcept { unrecognised_.fetch_add(1, std::memory_order_relaxed); }
    // One answer of the access portal's GET /user that named the user of its token
    // (app/portal_users.hpp): zero while portal users are in use says AWS's answer was not read.
    void count_portal_user_learned() noexcept {
        portal_users_learned_.fetch_add(1, std::memory_order_relaxed);
    }
    std::uint64_t events() const noexcept { return events_.load(std::memory_order_relaxed); }

    // consolegate_signin_*, consolegate_audit_events_total.
    void write_prometheus(std::string& out) const;

  private:
    static constexpr std::size_t reason_slots = 32;  // > number of core::reason values
    std::array<std::array<std::atomic<std::uint64_t>, reason_slots>, 2> decisions_{};
    std::atomic<std::uint64_t> report_only_denies_{0}, flagged_{0}, events_{0}, unrecognised_{0};
    std::atomic<std::uint64_t> portal_users_learned_{0};
};

struct reload_counters {
    std::atomic<std::uint64_t> ok{0}, refused{0};
};

// What /metrics shows; null parts (a service that is off, no TEAM feed) are left out.
struct metrics_sources {
    const sign_in_metrics* sign_in = nullptr;
    const reload_counters* reloads = nullptr;
    const team::feed* feed = nullptr;
    const audit::tee_sink* audit = nullptr;  // consolegate_audit_*{sink="…"}
    const dns::stats* dns = nullptr;
    const proxy::stats* proxy = nullptr;
};

// `now` decides whether the TEAM feed counts as available (its staleness limit).
std::string metrics_text(const metrics_sources& s, std::chrono::system_clock::time_point now);

}  // namespace consolegate::app
