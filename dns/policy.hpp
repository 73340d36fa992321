#pragma once
// What the gateway answers itself: steered names, their exceptions, the block list, the DoH
// canary. Compiled once per config snapshot; read-only afterwards (shared by a worker's queries).

#include <cstdint>
#include <string_view>

#include "consolegate/core/config.hpp"
#include "consolegate/core/host_pattern.hpp"
#include "query.hpp"

namespace consolegate::dns {

enum class verdict { forward, steer, block, doh_canary, relay_canary };

// Name matching is core/host_pattern's (the proxy's inspect decision uses the same), so a name
// that is not a host (an escaped byte from the wire, say) is never steered or blocked: it is
// forwarded, and no HTTP client can connect by it.
struct policy {
    core::host_set steer;
    core::host_set exceptions;
    core::host_set block;
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
