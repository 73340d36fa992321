#pragma once
// A TEAM elevation feed as the gateway sees it. The gateway's control thread calls poll() every
// few seconds (app/gateway.cpp); the sign-in hook calls view() on the workers for every request.
// Implementations: snapshot_feed (a JSON export of TEAM's `requests` table in a file).
//
// When a feed is missing, invalid or older than its staleness limit, view() is unavailable and
// every elevation-gated sign-in is denied with reason elevation_feed_stale.
//
// Thread-safety: poll() from one thread; status() and view() from any thread.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "consolegate/core/elevation.hpp"
#include "consolegate/core/policy.hpp"

namespace consolegate::team {

struct feed_status {
    std::shared_ptr<const core::elevation_set> set;   // null while unavailable
    std::chrono::system_clock::time_point data_time;  // when the data was current
    std::string problem;  // why the feed is unavailable (missing, invalid JSON, …); "" if ok
    std::size_t skipped_items = 0;  // malformed items left out of a valid snapshot
};

class feed {
  public:
    virtual ~feed() = default;
    // Refreshes the feed if its source changed. Returns a one-line description of what changed
    // for the log, or "" when nothing did. Must not block for long: it runs on the control thread.
    virtual std::string poll() = 0;
    virtual std::shared_ptr<const feed_status> status() const = 0;
    // What the policy sees at `now`. `keep` receives the status that the view points into; keep
    // it alive for as long as the view is used.
    virtual core::elevation_view view(std::chrono::system_clock::time_point now,
                                      std::shared_ptr<const feed_status>& keep) const = 0;
};

}  // namespace consolegate::team
