#pragma once
// Which TEAM elevation feed the configuration names ([team]). The gateway polls whatever this
// returns (app/gateway.cpp); a new kind of feed is one more branch here.

#include <memory>

#include "consolegate/core/config.hpp"
#include "consolegate/team/feed.hpp"

namespace consolegate::app {

// The window semantics the configuration sets ([team] clock_skew, expired_lookback).
core::elevation_window team_window(const core::config& cfg);

// The feed, already read once (its first state is logged), or null when TEAM is off. On reload
// `previous` is the running feed and `previous_cfg` its configuration: a DynamoDB feed whose
// settings did not change is kept as it is (its set, thread and credentials), so a reload never
// opens a gap in which nothing is known.
std::shared_ptr<team::feed> make_team_feed(const core::config& cfg,
                                           const core::config* previous_cfg = nullptr,
                                           std::shared_ptr<team::feed> previous = nullptr);

}  // namespace consolegate::app
