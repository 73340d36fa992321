#pragma once
// Which TEAM elevation feed the configuration names ([team]). The gateway polls whatever this
// returns (app/gateway.cpp); a new kind of feed is one more branch here.

#include <memory>

#include "consolegate/core/config.hpp"
#include "consolegate/team/feed.hpp"

namespace consolegate::app {

// The feed, already polled once (its first state is logged), or null when TEAM is off.
std::shared_ptr<team::feed> make_team_feed(const core::config& cfg);

}  // namespace consolegate::app
