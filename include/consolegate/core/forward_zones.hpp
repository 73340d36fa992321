#pragma once
// The DNS zones a site's corporate resolvers must forward to the gateway: the zone of every name
// the gateway answers itself (steered, blocked, the canaries). A name outside every forwarded
// zone is resolved by the corporate resolver alone, so a browser reaches AWS directly, past the
// inspecting proxy. deploy/dns/README.md's snippets forward documented_forward_zones (its tests
// hold the README, its four snippets and the default configuration to that list);
// `consolegate dns-zones` prints a configuration's zones and check-config notes every one the
// snippets miss. Pure: no I/O.

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "consolegate/core/config.hpp"
#include "consolegate/core/host_pattern.hpp"

namespace consolegate::core {

// The names the gateway answers NXDOMAIN whatever the configuration (dns/policy.cpp): the DoH
// canary keeps Firefox on classic DNS, the Private Relay canaries keep iCloud Private Relay off.
inline constexpr std::string_view doh_canary = "use-application-dns.net";
inline constexpr std::array<std::string_view, 2> private_relay_canaries{"mask.icloud.com",
                                                                        "mask-h2.icloud.com"};

// The zones deploy/dns/README.md tells corporate resolvers to forward, in its order: each holds
// a name the gateway steers or answers by default. A zone is wider than its names need where
// that keeps the list short and stable (aws.amazon.com for the console, sign-in and portal).
inline constexpr std::array<std::string_view, 29> documented_forward_zones{
    "aws.amazon.com",
    "amazonaws.com",
    "awsapps.com",
    "api.aws",
    "app.aws",
    "signin.aws",
    "amazonaws-us-gov.com",
    "amazonaws.cn",
    "amazonaws.com.cn",
    "awsapps.cn",
    "amazonwebservices.com.cn",
    "amazonaws-eusc.eu",
    "amazonaws.eu",
    "api.amazonwebservices.eu",
    "c2shome.ic.gov",
    "c2s.ic.gov",
    "api.aws.ic.gov",
    "sc2shome.sgov.gov",
    "sc2s.sgov.gov",
    "api.aws.scloud",
    "csphome.adc-e.uk",
    "cloud.adc-e.uk",
    "api.cloud-aws.adc-e.uk",
    "csphome.hci.ic.gov",
    "csp.hci.ic.gov",
    "api.aws.hci.ic.gov",
    "use-application-dns.net",
    "mask.icloud.com",
    "mask-h2.icloud.com"};

// The narrowest zone holding every name `p` matches: the labels right of its last "*" label
// ("portal.sso.*.amazonaws.com" → "amazonaws.com", "*.awsapps.com" → "awsapps.com"), the name
// itself when it has none, "." when a "*" is its last label.
std::string pattern_zone(const host_pattern& p);

// Whether `name` is `zone` or lies below it ("." holds every name). Both canonical.
bool in_zone(std::string_view name, std::string_view zone) noexcept;

// One zone to forward and the names that need it.
struct forward_zone {
    struct need {
        std::string name;  // the pattern or name, canonical
        std::string key;   // where it comes from: "dns.steer_names", "dns.block_names", ...
    };
    std::string zone;
    bool documented = false;  // one of documented_forward_zones
    std::vector<need> names;
};

// Every zone `d`'s resolvers must forward to the gateway: for each steered name (steer_names,
// the Identity Center portals with steer_identity_center), each blocked name and each canary, the
// documented zone holding it, else its pattern_zone; a zone inside another listed one is dropped
// (its names move to the wider zone). Documented zones first in their order, then the others by
// name. Patterns that do not parse are skipped (the loader refused them already).
std::vector<forward_zone> forward_zones(const dns_config& d);

}  // namespace consolegate::core
