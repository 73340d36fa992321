#include "team_feed.hpp"

#include "consolegate/log/log.hpp"
#include "consolegate/team/snapshot_feed.hpp"

namespace consolegate::app {

std::shared_ptr<team::feed> make_team_feed(const core::config& cfg) {
    if (!cfg.team.enabled) return nullptr;
    if (!cfg.team.dynamodb.endpoint.empty()) {
        log::write(log::level::warn, "team",
                   "team.dynamodb is set, but this build has no DynamoDB poller yet: only "
                   "team.snapshot_file feeds elevations",
                   {{"endpoint", cfg.team.dynamodb.endpoint}});
    }
    if (cfg.team.snapshot_file.empty()) return nullptr;
    std::shared_ptr<team::feed> feed =
        std::make_shared<team::snapshot_feed>(cfg.team.snapshot_file, cfg.team.staleness_limit);
    auto what = feed->poll();
    log::write(feed->status()->set ? log::level::info : log::level::warn, "team", what);
    return feed;
}

}  // namespace consolegate::app
