#pragma once
// Which resolved upstream addresses the proxy may connect to (DESIGN.md "No open relay").
// Pure.

#include <vector>

#include "consolegate/core/address.hpp"

namespace consolegate::proxy {

// Loopback, private (RFC 1918, RFC 4193), link-local, CGNAT (RFC 6598), unspecified, multicast,
// broadcast and "this network" addresses: never reachable through the proxy unless configured.
bool is_internal_address(const core::ip_address& a);

bool destination_allowed(const core::ip_address& a, const std::vector<core::cidr>& allowed);

}  // namespace consolegate::proxy
