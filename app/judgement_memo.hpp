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
// A replay is not a skipped record: every request still gets its metrics and a verdict, and its
// events: with audit.repeats = "each" one set per request (new IDs, its own time), exactly as
// enforce() would give them; with "count" (the default) the repeats of an allowed judgement are
// counted and written as one set of events with `count` and `time_last` when the request changes,
// the world changes, audit.repeat_window passes or the connection ends (the memo's destructor):
// docs/audit.md "Repeated requests". Denials, report-only denials and flagged attempts are
// written one by one whatever the setting.
// Policy snapshots, feeds and statuses are held weakly, so a memo never keeps a replaced policy
// alive. Not thread-safe: one connection's requests are judged one at a time on its worker.

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "consolegate/audit/event.hpp"
#include "consolegate/audit/sink.hpp"
#include "consolegate/core/http_request.hpp"
#include "consolegate/core/policy.hpp"
#include "consolegate/proxy/inspection.hpp"
#include "consolegate/team/feed.hpp"
#include "enforcement.hpp"

namespace consolegate::app {

// What enforce() gave for a request, as the hook replays it.
struct judgement {
    std::vector<audit::event> events;       // one per attempt; id and time are replaced
    bool countable = false;                 // every event an allow, none flagged
    std::vector<core::decision> decisions;  // the same order, for the metrics
    proxy::verdict verdict;                 // its event_id is replaced
    int verdict_event = -1;                 // the event the verdict names; -1: none
    bool unrecognised = false;              // an unrecognised sign-in endpoint (the metric)
};

class judgement_memo final : public core::connection_memo {
  public:
    using time_point = std::chrono::system_clock::time_point;
    // Counted repeats are written to `sink`, which must outlive the memo (the gateway's does:
    // the workers' io_contexts, and with them every connection, go first).
    explicit judgement_memo(audit::sink* sink = nullptr) : sink_(sink) {}
    ~judgement_memo() override;
    judgement_memo(const judgement_memo&) = delete;
    judgement_memo& operator=(const judgement_memo&) = delete;

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

    // Counts a repeat of the kept (countable) judgement at `t` and returns the ID its events
    // will be written under (the verdict names it); writes the count at once when the first
    // counted repeat is `window` or more before `t`.
    std::string count_repeat(time_point t, std::chrono::milliseconds window);
    // Writes the repeats counted so far, if any, as one set of events; then holds none. Called
    // before anything else is recorded for the connection, so the record keeps its order.
    void write_repeats();
    std::uint64_t repeats_held() const noexcept { return repeats_; }

  private:
    audit::sink* sink_;
    std::uint64_t repeats_ = 0;
    time_point repeat_first_{}, repeat_last_{};
    std::string repeat_id_;
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

// `t` as an event's time (core::format_rfc3339), cheaply: the second's text once per second.
std::string event_time(std::chrono::system_clock::time_point t);

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
