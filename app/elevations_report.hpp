#pragma once
// What the gateway believes TEAM says: the active elevations of a feed at a time (optionally for
// one user and/or account) and the feed's health. One report for `consolegate elevations` and
// the admin listener's /api/elevations, so both always agree.

#include <boost/json/object.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "consolegate/core/ids.hpp"
#include "consolegate/core/partition.hpp"
#include "consolegate/team/feed.hpp"

namespace consolegate::app {

struct elevations_filter {
    // "" = everyone. Written as a policy `users` selector and TEAM matching accept it: the
    // Identity Center user name or TEAM's username ("idc_" and that name), in any case, or a
    // `*` / `?` glob as in `users`; with `idc_user_template` also a corporate user, mapped
    // through it as the gateway maps the person at the access portal (core/idc_user.hpp).
    std::string user;
    std::string idc_user_template;    // the configuration's identity.idc_user ("" = none)
    std::vector<std::string> realms;  // the configuration's identity.realms
    std::optional<core::account_id> account;
};

// Whether `filter.user` names `team_user` (an elevation's user: TEAM's username without its
// "idc_" prefix). True for an empty filter.
bool filter_names_user(const elevations_filter& filter, std::string_view team_user);

// {"feed": {source, partition, available, problem, last_success, age_seconds, items, skipped,
// errors{kind}},
//  "elevations": [{id, ticket, user, account, account_name, permission_set, start, end}]}.
// `feed` may be null (TEAM off). `partition` is the one TEAM runs in (team.partition, else
// team.dynamodb.region's): its elevations are for that partition's accounts alone.
boost::json::object elevations_report(const team::feed* feed, std::string_view source,
                                      core::partition partition,
                                      std::chrono::system_clock::time_point now,
                                      const elevations_filter& filter);

// The same as a few aligned lines for people.
std::string elevations_text(const boost::json::object& report);

}  // namespace consolegate::app
