#pragma once
// The proxy's inspection hook (proxy::inspector) in the running gateway: the enforcement
// pipeline under the current policy and TEAM feed, then every audit event to the sink and every
// decision to the metrics. Runs on the worker threads for every request on an inspected
// connection; the policy and the feed are read from the gateway's atomics, so a reload swaps
// them between two requests, never within one.

#include <atomic>
#include <memory>

#include "consolegate/audit/sink.hpp"
#include "consolegate/proxy/inspection.hpp"
#include "consolegate/team/feed.hpp"
#include "enforcement.hpp"
#include "metrics.hpp"

namespace consolegate::app {

class sign_in_hook {
  public:
    // Every referenced object must outlive the hook (the gateway owns them all).
    sign_in_hook(const std::atomic<std::shared_ptr<const policy_snapshot>>& policy,
                 const std::atomic<std::shared_ptr<team::feed>>& feed, audit::sink& sink,
                 sign_in_metrics& metrics, std::string_view gateway = {})
        : policy_(&policy), feed_(&feed), sink_(&sink), metrics_(&metrics), gateway_(gateway) {}

    proxy::verdict operator()(const core::http_request_view& req) const;

  private:
    const std::atomic<std::shared_ptr<const policy_snapshot>>* policy_;
    const std::atomic<std::shared_ptr<team::feed>>* feed_;
    audit::sink* sink_;
    sign_in_metrics* metrics_;
    std::string_view gateway_;  // the gateway's instance name, which outlives the hook
};

}  // namespace consolegate::app
