#pragma once
// The proxy's refusal observer (proxy::refusal_observer) in the running gateway: every refusal
// before judgement (a name that is not a host, a tunnel to a sign-in address by IP, names that
// disagree, 400/421/501 on an inspected connection) becomes one audit event with flow and phase
// "refused", the refusal's code as reason, effect and enforced "deny".
//
// Rate-safe: a client can refuse himself at line rate, and the audit queues are shared with the
// sign-in events, so refusals are recorded through a token bucket (refusals_per_second, a burst
// of refusal_burst); the rest are counted (unrecorded()) and logged, rate-limited, never queued.
//
// The person: the identity the proxy had for the connection (refusal_view::corp), else the
// address map's for the client (a refusal can come before the connection was identified, e.g. a
// refused Kerberos token or an unreadable first request), else nobody.
//
// Copies share one bucket (the hook is copied into every worker); thread-safe.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>

#include "consolegate/audit/event.hpp"
#include "consolegate/audit/sink.hpp"
#include "consolegate/proxy/identification.hpp"
#include "consolegate/proxy/inspection.hpp"

namespace consolegate::app {

inline constexpr double refusals_per_second = 50;
inline constexpr double refusal_burst = 200;

// The audit event of one refusal (pure): `gateway` is the instance name, `id` the event ID,
// `corp` the person (null: none known; r.corp is not consulted here).
audit::event refusal_event(const proxy::refusal_view& r, std::string id, std::string_view gateway,
                           const core::corp_identity* corp = nullptr);

class refusal_recorder {
  public:
    using address_lookup = std::function<proxy::shared_identity(const core::ip_address&)>;
    // `sink` must outlive every copy (the gateway owns it). `by_address` (optional) is the
    // address map's lookup (identification::by_address), fast and non-blocking.
    refusal_recorder(audit::sink& sink, std::string_view gateway, address_lookup by_address = {})
        : sink_(&sink),
          gateway_(gateway),
          by_address_(std::move(by_address)),
          bucket_(std::make_shared<bucket>()) {}

    void operator()(const proxy::refusal_view& r) const;
    std::uint64_t unrecorded() const noexcept {
        return bucket_->unrecorded.load(std::memory_order_relaxed);
    }

  private:
    struct bucket {
        std::mutex mu;
        double tokens = refusal_burst;
        std::chrono::steady_clock::time_point last = std::chrono::steady_clock::now();
        std::atomic<std::uint64_t> unrecorded{0};
        bool take(std::chrono::steady_clock::time_point now);
    };
    audit::sink* sink_;
    std::string_view gateway_;  // the gateway's instance name, which outlives the recorder
    address_lookup by_address_;
    std::shared_ptr<bucket> bucket_;
};

}  // namespace consolegate::app
