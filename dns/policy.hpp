#pragma once
// What the gateway answers itself: steered names, their exceptions, the block list, the DoH
// canary. Compiled once per config snapshot; read-only afterwards (shared by a worker's queries).

#include <cstdint>
#include <string_view>

#include "consolegate/core/config.hpp"
#include "names.hpp"
#include "query.hpp"

namespace consolegate::dns {

enum class verdict { forward, steer, block, doh_canary };

struct policy {
    name_set steer;
    name_set exceptions;
    name_set block;
    steer_target target;
    std::uint16_t block_rcode = rcode::nxdomain;

    // `lower` is the query name as to_text gives it for the lowercased wire name.
    verdict decide(std::string_view lower) const noexcept;
    bool steered(std::string_view lower) const noexcept {
        return steer.matches(lower) && !exceptions.matches(lower);
    }
};

// Throws std::invalid_argument naming the bad pattern (the loader validates first, so this is a
// programming error at the wiring site, not a user-facing path).
policy compile_policy(const core::dns_config& o);

}  // namespace consolegate::dns
