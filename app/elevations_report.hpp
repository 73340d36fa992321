#pragma once
// What the gateway believes TEAM says: the active elevations of a feed at a time (optionally for
// one user and/or account) and the feed's health. One report for `consolegate elevations` and
// the admin listener's /api/elevations, so both always agree.

#include <boost/json/object.hpp>
#include <chrono>
#include <optional>
#include <string>

#include "consolegate/core/ids.hpp"
#include "consolegate/team/feed.hpp"

namespace consolegate::app {

struct elevations_filter {
    std::string user;  // "" = everyone; compared case-insensitively
    std::optional<core::account_id> account;
};

// {"feed": {source, available, problem, last_success, age_seconds, items, skipped, errors{kind}},
//  "elevations": [{id, ticket, user, account, account_name, permission_set, start, end}]}.
// `feed` may be null (TEAM off).
boost::json::object elevations_report(const team::feed* feed, std::string_view source,
                                      std::chrono::system_clock::time_point now,
                                      const elevations_filter& filter);

// The same as a few aligned lines for people.
std::string elevations_text(const boost::json::object& report);

}  // namespace consolegate::app
