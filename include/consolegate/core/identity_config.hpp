#pragma once
// [identity]: how the gateway learns who the person behind a connection is (docs/identity.md,
// config/README.md). A plain value inside core::config; identity/ acts on it.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "consolegate/core/address.hpp"

namespace consolegate::core {

struct identity_config {
    // The address-to-user map (DNS-steered SNI path): mappings pushed over the admin API, and a
    // file the gateway watches (empty = none). Every mapping counts against address_map_max;
    // a push beyond it is refused and counted.
    std::filesystem::path address_map_file;
    std::uint64_t address_map_max = 100000;
    std::chrono::milliseconds address_map_max_ttl = std::chrono::hours(24 * 7);
    // A trusted upstream proxy's user header ("X-Authenticated-User"); empty = off. Honoured only
    // from trusted_header_from; stripped from every request before it is forwarded.
    std::string trusted_header;
    std::vector<cidr> trusted_header_from;
    // Group membership (identity/groups.hpp): a JSON file user -> groups, watched; empty = none.
    std::filesystem::path groups_file;
};

}  // namespace consolegate::core
