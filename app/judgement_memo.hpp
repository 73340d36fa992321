#pragma once
// The last judgement of one inspected connection (issue 18): a browser sends the same request
// again and again on a keep-alive connection (the console polls, every request carries the same
// cookies), and inspecting, binding and evaluating it anew each time was most of the judged
// path's cost. The sign-in hook keeps what enforce() decided, with everything it depended on,
// and replays it for the next request when all of it is unchanged:
//
//  - the request's bytes as the pipeline sees them, all of them: method, target, Host, SNI,
//    every header field in order, the body read for inspection and whether it was cut, the
//    client's address and the corporate identity (user, source, groups) — compared exactly, so
//    two requests that could be judged differently never share an entry, whatever the
//    inspector reads now or later;
//  - the world: the policy snapshot (a reload makes a new one), the TEAM feed and the status its
//    view points into (a poll that changed anything makes a new one), whether that view is
//    available (a feed that went stale is not), and the session table's generation (every
//    learn, restore or smaller bound moves it on);
//  - time: a judgement is reused only from the request it was made for until the first moment
//    any answer could change by time alone — an elevation window opening (start less the skew)
//    or ending, an "expired" reading running out, a session binding expiring. A clock that goes
//    back also misses.
//
// A replay is not a skipped record: every request still gets its events (new IDs, its own
// time), its metrics and a verdict naming its own event, exactly as enforce() would give them.
// Policy snapshots, feeds and statuses are held weakly, so a memo never keeps a replaced policy
// alive. Not thread-safe: one connection's requests are judged one at a time on its worker.

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "consolegate/audit/event.hpp"
#include "consolegate/core/http_request.hpp"
#include "consolegate/core/policy.hpp"
#include "consolegate/proxy/inspection.hpp"
#include "consolegate/team/feed.hpp"
#include "enforcement.hpp"

namespace consolegate::app {

// What enforce() gave for a request, as the hook replays it.
struct judgement {
    std::vector<audit::event> events;       // one per attempt; id and time are replaced
    std::vector<core::decision> decisions;  // the same order, for the metrics
    proxy::verdict verdict;                 // its event_id is replaced
    int verdict_event = -1;                 // the event the verdict names; -1: none
    bool unrecognised = false;              // an unrecognised sign-in endpoint (the metric)
};

class judgement_memo final : public core::connection_memo {
  public:
    using time_point = std::chrono::system_clock::time_point;
    // Everything outside the request a judgement depends on.
    struct world {
        std::shared_ptr<const policy_snapshot> policy;
        std::shared_ptr<team::feed> feed;                 // null: no TEAM feed configured
        std::shared_ptr<const team::feed_status> status;  // what the elevation view points into
        const core::elevation_set* elevations = nullptr;  // the view's set; null: unavailable
        std::uint64_t sessions = 0;                       // the session table's generation
    };

    // The judgement kept for `req` in `w`, or null when there is none that may be reused.
    const judgement* find(const core::http_request_view& req, const world& w);
    // Keeps `j`, made for `req` at req.time in `w`, for the requests until `until` (exclusive).
    void keep(const core::http_request_view& req, const world& w, time_point until, judgement j);
    std::uint64_t replays() const noexcept { return replays_; }  // judgements found and reused

  private:
    std::string key_, scratch_;
    std::weak_ptr<const policy_snapshot> policy_;
    std::weak_ptr<team::feed> feed_;
    std::weak_ptr<const team::feed_status> status_;
    const core::elevation_set* elevations_ = nullptr;
    std::uint64_t sessions_ = 0;
    time_point from_{}, until_{};
    bool valid_ = false;
    std::uint64_t replays_ = 0;
    judgement kept_;
};

// The times at which an elevation set's answers can change by time alone, computed once per
// feed status and shared by every worker (the hook's copies share one).
class elevation_boundaries {
  public:
    using time_point = std::chrono::system_clock::time_point;
    // The first such time at or after `now`; time_point::max() when there is none (or no set).
    time_point next(const std::shared_ptr<const team::feed_status>& status, time_point now);

  private:
    std::mutex mu_;
    std::weak_ptr<const team::feed_status> of_;
    std::vector<time_point> times_;  // sorted
};

}  // namespace consolegate::app
