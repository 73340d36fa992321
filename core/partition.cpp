#include "consolegate/core/partition.hpp"

namespace consolegate::core {
namespace {

bool under(std::string_view host, std::string_view domain) {
    return host == domain || (host.size() > domain.size() && host.ends_with(domain) &&
                              host[host.size() - domain.size() - 1] == '.');
}

// A GovCloud Region label: us-gov-west-1, us-gov-east-1 (AWS General Reference, "AWS GovCloud
// (US) endpoints"); the service endpoints of both Regions are under amazonaws.com.
bool has_gov_region_label(std::string_view host) {
    while (!host.empty()) {
        auto dot = host.find('.');
        if (host.substr(0, dot).starts_with("us-gov-")) return true;
        if (dot == std::string_view::npos) break;
        host.remove_prefix(dot + 1);
    }
    return false;
}

constexpr std::array<std::array<std::string_view, 4>, partition_count> host_patterns{{
    {"signin.aws.amazon.com", "*.signin.aws.amazon.com", "console.aws.amazon.com",
     "*.console.aws.amazon.com"},
    {"signin.amazonaws-us-gov.com", "*.signin.amazonaws-us-gov.com", "console.amazonaws-us-gov.com",
     "*.console.amazonaws-us-gov.com"},
    {"signin.amazonaws.cn", "*.signin.amazonaws.cn", "console.amazonaws.cn",
     "*.console.amazonaws.cn"},
    {"signin.c2shome.ic.gov", "*.signin.c2shome.ic.gov", "console.c2shome.ic.gov",
     "*.console.c2shome.ic.gov"},
    {"signin.sc2shome.sgov.gov", "*.signin.sc2shome.sgov.gov", "console.sc2shome.sgov.gov",
     "*.console.sc2shome.sgov.gov"},
    {"signin.csphome.adc-e.uk", "*.signin.csphome.adc-e.uk", "console.csphome.adc-e.uk",
     "*.console.csphome.adc-e.uk"},
    {"signin.csphome.hci.ic.gov", "*.signin.csphome.hci.ic.gov", "console.csphome.hci.ic.gov",
     "*.console.csphome.hci.ic.gov"},
    {"signin.amazonaws-eusc.eu", "*.signin.amazonaws-eusc.eu", "console.amazonaws-eusc.eu",
     "*.console.amazonaws-eusc.eu"},
}};

}  // namespace

const partition_names& names_of(partition p) noexcept {
    return partitions[static_cast<std::size_t>(p)];
}

std::string_view to_string(partition p) noexcept {
    return names_of(p).name;
}

std::optional<partition> partition_from_string(std::string_view name) noexcept {
    for (const auto& p : partitions) {
        if (p.name == name) return p.id;
    }
    return std::nullopt;
}

partition partition_of_region(std::string_view region) noexcept {
    // partitions.json's regionRegex of each partition; "us-iso-" before the commercial "us-".
    if (region.starts_with("cn-")) return partition::aws_cn;
    if (region.starts_with("us-gov-")) return partition::aws_us_gov;
    if (region.starts_with("us-iso-")) return partition::aws_iso;
    if (region.starts_with("us-isob-")) return partition::aws_iso_b;
    if (region.starts_with("eu-isoe-")) return partition::aws_iso_e;
    if (region.starts_with("us-isof-")) return partition::aws_iso_f;
    if (region.starts_with("eusc-")) return partition::aws_eusc;
    return partition::aws;
}

std::optional<partition> partition_of_host(std::string_view host) noexcept {
    // The partitions whose every domain is their own (the ISO partitions, the European
    // Sovereign Cloud, from aws_iso on): the site, service and dual-stack domains of the table.
    // The commercial, GovCloud and China names share and split domains, below.
    for (const auto& p : partitions) {
        if (p.id < partition::aws_iso) continue;
        if (under(host, p.site_domain) || under(host, p.service_domain) ||
            under(host, p.dual_stack_domain)) {
            return p.id;
        }
    }
    if (under(host, "amazonaws-us-gov.com")) return partition::aws_us_gov;
    if (under(host, "amazonaws.cn") || under(host, "amazonaws.com.cn") ||
        under(host, "awsapps.cn")) {
        return partition::aws_cn;
    }
    // China's dual-stack names (the access portal <instance>.portal.<region>.app.…; AWS SDK for
    // .NET's SSOEndpointResolver).
    if (under(host, "amazonwebservices.com.cn")) return partition::aws_cn;
    // GovCloud's IAM Identity Center access portal: start[.<region>].us-gov-home.awsapps.com.
    if (under(host, "us-gov-home.awsapps.com")) return partition::aws_us_gov;
    if (under(host, "awsapps.com") || under(host, "aws.amazon.com") ||
        under(host, "oauth.signin.aws")) {
        return partition::aws;
    }
    // Regional names carry their Region: <svc>.<region>.amazonaws.com, the access portal's
    // <instance>.<region>.portal.amazonaws.com and dual-stack <instance>.portal.<region>.app.aws.
    // Dual-stack service endpoints: <svc>.<region>.api.aws (the access portal API's
    // portal.sso.<region>.api.aws).
    if (under(host, "amazonaws.com") || under(host, "app.aws") || under(host, "api.aws")) {
        return has_gov_region_label(host) ? partition::aws_us_gov : partition::aws;
    }
    return std::nullopt;
}

bool is_access_portal_api_host(std::string_view host) noexcept {
    for (std::string_view head : {"portal.sso.", "portal.sso-fips."}) {
        if (!host.starts_with(head)) continue;
        const auto rest = host.substr(head.size());  // <region>.<suffix>
        for (const auto& p : partitions) {
            for (auto domain : {p.service_domain, p.dual_stack_domain}) {
                // <region>.<domain>: the region one label (no dot, not empty).
                if (rest.size() <= domain.size() + 1 || !rest.ends_with(domain) ||
                    rest[rest.size() - domain.size() - 1] != '.') {
                    continue;
                }
                const auto region = rest.substr(0, rest.size() - domain.size() - 1);
                if (region.find('.') == std::string_view::npos) return true;
            }
        }
        return false;
    }
    return false;
}

std::string_view sign_in_domain_of(std::string_view host) noexcept {
    const auto& names = names_of(partition_of_host(host).value_or(partition::aws));
    if (!names.signin_fips_domain.empty() && under(host, names.signin_fips_domain)) {
        return names.signin_fips_domain;
    }
    return names.signin_domain;
}

std::array<std::string_view, 4> sign_in_host_patterns(partition p) noexcept {
    return host_patterns[static_cast<std::size_t>(p)];
}

}  // namespace consolegate::core
