#pragma once
// The names behind the wildcard patterns of proxy.inspect_hosts that the proxy can know without
// anyone using them: each pattern with one "*" label, that label replaced by an AWS Region
// ("signin.*.amazonaws.com" -> signin.eu-south-2.amazonaws.com, "*.signin.aws.amazon.com" ->
// eu-south-2.signin.aws.amazon.com). destination_watch.cpp resolves them on its refresh schedule
// so a connection by address to a regional sign-in front end nobody has used yet is still
// inspected or refused, never spliced (config/README.md "Which connections are inspected").
//
// The Region list is data, here and nowhere else; proxy.watch_regions adds to it. Pure.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "consolegate/core/partition.hpp"

namespace consolegate::proxy {

class host_routes;

struct aws_region {
    std::string_view name;
    core::partition partition;
};

// Every Region of the commercial partition, AWS GovCloud (US), China, the ISO partitions and the
// European Sovereign Cloud, as AWS publishes them
// (AWS General Reference, "AWS Regions"; the SDKs' partitions.json), December 2026.
std::span<const aws_region> known_regions() noexcept;

// The partition a Region name belongs to (core::partition_of_region; for regions added by
// proxy.watch_regions).
using core::partition_of_region;

// The regional names of `inspect_hosts` over known_regions() and `extra_regions`: one per
// pattern with exactly one "*" label and Region whose partition is the partition the name
// belongs to (core::partition_of_host; a name of no AWS partition is left out), inspected by
// `routes` (pass-through names stay out), sorted, without duplicates. A pattern with two "*"
// labels ("*.portal.*.app.aws": an instance and a Region) names nothing without the instance.
std::vector<std::string> regional_names(std::span<const std::string> inspect_hosts,
                                        std::span<const std::string> extra_regions,
                                        const host_routes& routes);

}  // namespace consolegate::proxy
