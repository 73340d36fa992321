#pragma once
// Which resolved upstream addresses the proxy may connect to (DESIGN.md "No open relay").
// Pure.

#include <span>
#include <vector>

#include "consolegate/core/address.hpp"

namespace consolegate::proxy {

// Loopback, private (RFC 1918, RFC 4193), link-local, CGNAT (RFC 6598), unspecified, multicast,
// broadcast and "this network" addresses: never reachable through the proxy unless configured.
bool is_internal_address(const core::ip_address& a);

// Whether the proxy may connect to `a`: not internal, or in `allowed`. An IPv6 address that
// reaches an IPv4 host (destination_set.hpp: embedded_v4, with the site's `nat64` prefixes) is
// judged as that host too: [64:ff9b::a00:1] is 10.0.0.1.
bool destination_allowed(const core::ip_address& a, const std::vector<core::cidr>& allowed,
                         std::span<const core::cidr> nat64 = {});

}  // namespace consolegate::proxy
