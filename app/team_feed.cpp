#include "team_feed.hpp"

#include "consolegate/log/log.hpp"
#include "consolegate/team/dynamodb_feed.hpp"
#include "consolegate/team/snapshot_feed.hpp"
#include "team/credentials.hpp"

namespace consolegate::app {

core::elevation_window team_window(const core::config& cfg) {
    return {std::chrono::duration_cast<std::chrono::seconds>(cfg.team.clock_skew),
            std::chrono::duration_cast<std::chrono::seconds>(cfg.team.expired_lookback),
            cfg.team.aws_partition};
}

namespace {

team::dynamodb_feed_options dynamodb_options(const core::config& cfg) {
    const auto& d = cfg.team.dynamodb;
    team::dynamodb_feed_options o;
    o.endpoint = d.endpoint;
    o.region = d.region;
    o.table = d.table;
    o.index = d.index;
    o.interval = d.poll_interval;
    o.staleness_limit = cfg.team.staleness_limit;
    o.page_size = d.page_size;
    o.http.timeout = d.request_timeout;
    o.window = team_window(cfg);
    return o;
}

team::credential_options credential_options(const core::config& cfg) {
    const auto& d = cfg.team.dynamodb;
    team::credential_options c;
    c.profile = d.profile;
    c.region = d.region;
    c.access_key_id_env = d.access_key_id_env;
    c.secret_access_key_env = d.secret_access_key_env;
    c.session_token_env = d.session_token_env;
    c.http.timeout = d.request_timeout;
    return c;
}

}  // namespace

std::shared_ptr<team::feed> make_team_feed(const core::config& cfg,
                                           const core::config* previous_cfg,
                                           std::shared_ptr<team::feed> previous) {
    if (!cfg.team.enabled) return nullptr;
    if (!cfg.team.dynamodb.endpoint.empty()) {
        if (dynamic_cast<team::dynamodb_feed*>(previous.get()) && previous_cfg &&
            previous_cfg->team.dynamodb == cfg.team.dynamodb &&
            previous_cfg->team.staleness_limit == cfg.team.staleness_limit &&
            previous_cfg->team.clock_skew == cfg.team.clock_skew &&
            previous_cfg->team.expired_lookback == cfg.team.expired_lookback &&
            previous_cfg->team.aws_partition == cfg.team.aws_partition) {
            return previous;
        }
        auto feed = std::make_shared<team::dynamodb_feed>(
            dynamodb_options(cfg),
            std::make_shared<team::credential_chain>(credential_options(cfg)));
        // The first Query before serving, so start-up does not deny every gated sign-in while
        // the thread gets going; its errors are logged (and counted) by the feed itself.
        feed->refresh();
        if (auto what = feed->poll(); !what.empty()) log::write(log::level::info, "team", what);
        feed->start();
        return feed;
    }
    if (cfg.team.snapshot_file.empty()) return nullptr;
    std::shared_ptr<team::feed> feed = std::make_shared<team::snapshot_feed>(
        cfg.team.snapshot_file, cfg.team.staleness_limit, team_window(cfg));
    auto what = feed->poll();
    log::write(feed->status()->set ? log::level::info : log::level::warn, "team", what);
    return feed;
}

}  // namespace consolegate::app
