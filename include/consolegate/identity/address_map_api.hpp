#pragma once
// The address map's admin API (the admin listener routes here; app/admin_server.cpp checks the
// tokens: the operator's for changes, a reviewer's or the operator's for the listing):
//
//   POST   /api/address-map            add or refresh: one object or an array of them
//          {"address": "10.1.2.3", "user": "alice@CORP.EXAMPLE", "ttl_seconds": 28800,
//           "at": "2026-12-05T01:00:00Z"}     (`at` optional: when the lease began; default now)
//   DELETE /api/address-map/<address>[?user=U]   remove (only when it maps to U, if given)
//   GET    /api/address-map            every live mapping, JSON lines
//
// A batch is checked whole before any of it is applied (400 names the first bad item). Pushes
// refused because the map is full answer 507 with the counts; docs/identity.md has the rest.
// Pure apart from the map; time is a parameter.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "consolegate/identity/address_map.hpp"

namespace consolegate::identity {

struct api_answer {
    unsigned status = 200;
    std::string content_type = "application/json";
    std::string body;
};

api_answer post_mappings(address_map& map, std::string_view body, std::chrono::milliseconds max_ttl,
                         time_point now);
api_answer delete_mapping(address_map& map, std::string_view address,
                          const std::optional<std::string>& user);
api_answer list_mappings(const address_map& map, time_point now);

}  // namespace consolegate::identity
