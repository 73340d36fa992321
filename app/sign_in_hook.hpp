#pragma once
// The proxy's inspection hook (proxy::inspector) in the running gateway: the enforcement
// pipeline under the current policy and TEAM feed, then every audit event to the sink and every
// decision to the metrics. Runs on the worker threads for every request on an inspected
// connection; the policy and the feed are read from the gateway's atomics, so a reload swaps
// them between two requests, never within one.
//
// It is also the proxy's response observer (observe()): the access portal's answers naming the
// user of a bearer token are learned (app/portal_users.hpp) so the portal's federation requests
// are judged for that user (issue 13). With a session table (issue 20), a
// response that names an identity is judged on it (enforce_response) before the client sees it,
// and only an allowed one is learned (app/session_learning.hpp); requests are then judged on
// their session's binding (app/session_binding.hpp).
//
// On a connection (req.memo set) the last judgement is kept and replayed for an identical request
// in an unchanged world (app/judgement_memo.hpp): every request still gets its metrics and
// verdict, and its own events or (audit.repeats = "count", allowed requests) a count on one.

#include <atomic>
#include <memory>
#include <optional>

#include "consolegate/audit/sink.hpp"
#include "consolegate/proxy/inspection.hpp"
#include "consolegate/team/feed.hpp"
#include "enforcement.hpp"
#include "judgement_memo.hpp"
#include "metrics.hpp"
#include "portal_users.hpp"

namespace consolegate::app {

class session_table;

class sign_in_hook {
  public:
    // Every referenced object must outlive the hook (the gateway owns them all). Without
    // `sessions`, post-auth requests are judged on their cookie and observe() learns nothing.
    sign_in_hook(const std::atomic<std::shared_ptr<const policy_snapshot>>& policy,
                 const std::atomic<std::shared_ptr<team::feed>>& feed, audit::sink& sink,
                 sign_in_metrics& metrics, std::string_view gateway = {},
                 session_table* sessions = nullptr, portal_user_table* portal_users = nullptr)
        : policy_(&policy),
          feed_(&feed),
          sink_(&sink),
          metrics_(&metrics),
          gateway_(gateway),
          sessions_(sessions),
          boundaries_(std::make_shared<elevation_boundaries>()),
          own_portal_users_(portal_users ? nullptr : std::make_shared<portal_user_table>()),
          portal_users_(portal_users ? portal_users : own_portal_users_.get()) {}

    proxy::verdict operator()(const core::http_request_view& req) const;

    // The response observer: nullopt lets the response through; a deny replaces it.
    std::optional<proxy::verdict> observe(const core::http_request_view& req,
                                          const proxy::response_view& resp) const;

  private:
    void record(enforcement_result& r) const;
    void mark_sign_in(const core::http_request_view& req, const enforcement_result& r) const;
    proxy::verdict replay(judgement_memo& memo, const judgement& j,
                          const core::http_request_view& req,
                          const core::audit_config& audit) const;

    const std::atomic<std::shared_ptr<const policy_snapshot>>* policy_;
    const std::atomic<std::shared_ptr<team::feed>>* feed_;
    audit::sink* sink_;
    sign_in_metrics* metrics_;
    std::string_view gateway_;  // the gateway's instance name, which outlives the hook
    session_table* sessions_;
    std::shared_ptr<elevation_boundaries> boundaries_;  // shared by the workers' copies
    // Who holds which access-portal token (app/portal_users.hpp): the gateway's (shared with the
    // fleet through the session store), else one of the hook's own, shared by the workers'
    // copies. observe() learns, the judgement of the portal's federation requests reads.
    std::shared_ptr<portal_user_table> own_portal_users_;
    portal_user_table* portal_users_;
};

}  // namespace consolegate::app
