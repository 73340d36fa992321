#include "consolegate/core/forward_zones.hpp"

#include <algorithm>

namespace consolegate::core {

std::string pattern_zone(const host_pattern& p) {
    // fixed_labels() runs right to left; the zone is the run before the first "*".
    std::string zone;
    for (const auto& label : p.fixed_labels()) {
        if (label == "*") break;
        zone = zone.empty() ? label : label + "." + zone;
    }
    return zone.empty() ? std::string(".") : zone;
}

bool in_zone(std::string_view name, std::string_view zone) noexcept {
    if (zone == ".") return true;
    if (name.size() == zone.size()) return name == zone;
    return name.size() > zone.size() && name.ends_with(zone) &&
           name[name.size() - zone.size() - 1] == '.';
}

std::vector<forward_zone> forward_zones(const dns_config& d) {
    std::vector<forward_zone> zones;
    auto add = [&](std::string_view text, std::string_view key) {
        auto p = host_pattern::parse(text);
        if (!p) return;
        auto zone = pattern_zone(*p);
        auto documented = std::ranges::find_if(documented_forward_zones,
                                               [&](auto z) { return in_zone(zone, z); });
        if (documented != documented_forward_zones.end()) zone = *documented;
        auto at = std::ranges::find(zones, zone, &forward_zone::zone);
        if (at == zones.end()) {
            zones.push_back({zone, documented != documented_forward_zones.end(), {}});
            at = zones.end() - 1;
        }
        // The portal pattern may be both in steer_names and added by steer_identity_center.
        if (std::ranges::find(at->names, p->str(), &forward_zone::need::name) == at->names.end())
            at->names.push_back({p->str(), std::string(key)});
    };
    for (const auto& n : d.steer_names) add(n, "dns.steer_names");
    if (d.steer_identity_center) add(identity_center_portals, "dns.steer_identity_center");
    for (const auto& n : d.block_names) add(n, "dns.block_names");
    add(doh_canary, "the DoH canary");
    for (auto n : private_relay_canaries) add(n, "the Private Relay canary");

    // A zone inside another listed zone is forwarded with it: widest first, each zone joins the
    // first kept zone that holds it.
    auto depth = [](const std::string& z) { return z == "." ? 0 : std::ranges::count(z, '.') + 1; };
    std::ranges::stable_sort(zones, {}, [&](const forward_zone& z) { return depth(z.zone); });
    std::vector<forward_zone> kept;
    for (auto& z : zones) {
        auto outer = std::ranges::find_if(
            kept, [&](const forward_zone& k) { return in_zone(z.zone, k.zone); });
        if (outer == kept.end()) {
            kept.push_back(std::move(z));
            continue;
        }
        outer->names.insert(outer->names.end(), z.names.begin(), z.names.end());
    }
    zones = std::move(kept);
    auto rank = [](const forward_zone& z) {
        return static_cast<std::size_t>(std::ranges::find(documented_forward_zones, z.zone) -
                                        documented_forward_zones.begin());
    };
    std::ranges::stable_sort(zones, [&](const forward_zone& a, const forward_zone& b) {
        if (rank(a) != rank(b)) return rank(a) < rank(b);
        return a.zone < b.zone;
    });
    return zones;
}

}  // namespace consolegate::core
