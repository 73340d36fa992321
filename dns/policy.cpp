#include "policy.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "consolegate/core/forward_zones.hpp"

namespace consolegate::dns {

verdict policy::decide(std::string_view lower) const noexcept {
    // Browsers probe this name before enabling DoH by default and keep classic DNS on NXDOMAIN
    // (Firefox "canary domain"); a DoH bypass would also bypass steering.
    if (lower == core::doh_canary) return verdict::doh_canary;
    // Apple's iCloud Private Relay stays off on a network whose resolver answers these two names
    // with NXDOMAIN (Apple's "Prepare your network for iCloud Private Relay"); on, Safari's
    // traffic leaves through Apple's relays and its names are resolved there, past steering.
    if (std::ranges::find(core::private_relay_canaries, lower) !=
        core::private_relay_canaries.end())
        return verdict::relay_canary;
    if (!block.empty() && block.matches(lower)) return verdict::block;
    if (steered(lower)) return verdict::steer;
    return verdict::forward;
}

policy compile_policy(const core::dns_config& o) {
    policy p;
    auto add_all = [](core::host_set& set, const std::vector<std::string>& patterns) {
        for (const auto& s : patterns) {
            auto pattern = core::host_pattern::parse(s);
            if (!pattern) throw std::invalid_argument("dns: bad name pattern: " + s);
            set.add(std::move(*pattern));
        }
    };
    add_all(p.steer, o.steer_names);
    if (o.steer_identity_center) add_all(p.steer, {std::string(core::identity_center_portals)});
    add_all(p.exceptions, o.steer_exceptions);
    add_all(p.block, o.block_names);
    for (const auto& a : o.steer_ipv4) {
        if (!a.is_v4()) throw std::invalid_argument("dns: steer_ipv4 holds an IPv6 address");
        const auto v = a.v4();
        p.target.ipv4.push_back({static_cast<std::uint8_t>(v >> 24),
                                 static_cast<std::uint8_t>(v >> 16),
                                 static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)});
    }
    for (const auto& a : o.steer_ipv6) {
        if (a.is_v4()) throw std::invalid_argument("dns: steer_ipv6 holds an IPv4 address");
        p.target.ipv6.push_back(a.bytes());
    }
    p.target.ttl = static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::seconds>(o.steer_ttl).count());
    p.block_rcode = o.block_answer == core::block_rcode::refused ? rcode::refused : rcode::nxdomain;
    return p;
}

}  // namespace consolegate::dns
