#include "regional_names.hpp"

#include <algorithm>
#include <array>

#include "consolegate/core/host_pattern.hpp"
#include "host_routes.hpp"

namespace consolegate::proxy {
namespace {

using core::partition;

constexpr std::array<aws_region, 45> regions{{
    {"us-east-1", partition::aws},
    {"us-east-2", partition::aws},
    {"us-west-1", partition::aws},
    {"us-west-2", partition::aws},
    {"af-south-1", partition::aws},
    {"ap-east-1", partition::aws},
    {"ap-east-2", partition::aws},
    {"ap-south-1", partition::aws},
    {"ap-south-2", partition::aws},
    {"ap-southeast-1", partition::aws},
    {"ap-southeast-2", partition::aws},
    {"ap-southeast-3", partition::aws},
    {"ap-southeast-4", partition::aws},
    {"ap-southeast-5", partition::aws},
    {"ap-southeast-6", partition::aws},
    {"ap-southeast-7", partition::aws},
    {"ap-northeast-1", partition::aws},
    {"ap-northeast-2", partition::aws},
    {"ap-northeast-3", partition::aws},
    {"ca-central-1", partition::aws},
    {"ca-west-1", partition::aws},
    {"eu-central-1", partition::aws},
    {"eu-central-2", partition::aws},
    {"eu-west-1", partition::aws},
    {"eu-west-2", partition::aws},
    {"eu-west-3", partition::aws},
    {"eu-south-1", partition::aws},
    {"eu-south-2", partition::aws},
    {"eu-north-1", partition::aws},
    {"il-central-1", partition::aws},
    {"me-south-1", partition::aws},
    {"me-central-1", partition::aws},
    {"mx-central-1", partition::aws},
    {"sa-east-1", partition::aws},
    {"us-gov-west-1", partition::aws_us_gov},
    {"us-gov-east-1", partition::aws_us_gov},
    {"cn-north-1", partition::aws_cn},
    {"cn-northwest-1", partition::aws_cn},
    // partitions.json's Regions of the ISO partitions and the European Sovereign Cloud.
    {"us-iso-east-1", partition::aws_iso},
    {"us-iso-west-1", partition::aws_iso},
    {"us-isob-east-1", partition::aws_iso_b},
    {"eu-isoe-west-1", partition::aws_iso_e},
    {"us-isof-south-1", partition::aws_iso_f},
    {"us-isof-east-1", partition::aws_iso_f},
    {"eusc-de-east-1", partition::aws_eusc},
}};

// `pattern` with its one "*" label replaced by `region`; "" when it has none or several.
std::string expand(std::string_view pattern, std::string_view region) {
    std::string out;
    int stars = 0;
    std::size_t start = 0;
    while (start <= pattern.size()) {
        auto dot = pattern.find('.', start);
        if (dot == std::string_view::npos) dot = pattern.size();
        const auto label = pattern.substr(start, dot - start);
        if (!out.empty()) out += '.';
        if (label == "*") {
            ++stars;
            out += region;
        } else {
            out += label;
        }
        start = dot + 1;
    }
    return stars == 1 ? out : std::string();
}

}  // namespace

std::span<const aws_region> known_regions() noexcept {
    return regions;
}

std::vector<std::string> regional_names(std::span<const std::string> inspect_hosts,
                                        std::span<const std::string> extra_regions,
                                        const host_routes& routes) {
    std::vector<aws_region> all(regions.begin(), regions.end());
    for (const auto& r : extra_regions) all.push_back({r, partition_of_region(r)});
    std::vector<std::string> out;
    for (const auto& pattern : inspect_hosts) {
        for (const auto& r : all) {
            auto name = expand(pattern, r.name);
            if (name.empty()) break;  // no "*" or several: the same for every Region
            const auto canonical = core::canonical_host(name);
            if (!canonical || *canonical != name) continue;
            if (core::partition_of_host(name) != r.partition) continue;
            if (!routes.inspected(name)) continue;
            out.push_back(std::move(name));
        }
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

}  // namespace consolegate::proxy
