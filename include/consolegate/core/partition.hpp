#pragma once
// AWS partitions (docs/inspection.md "Other partitions"): the commercial partition `aws`, AWS
// GovCloud (US) `aws-us-gov`, the China Regions `aws-cn`, the ISO partitions `aws-iso`,
// `aws-iso-b`, `aws-iso-e`, `aws-iso-f` and the AWS European Sovereign Cloud `aws-eusc`. Each has
// its own sign-in and console names, its own accounts (an account belongs to one partition; the
// same twelve digits in two partitions are two accounts) and its own ARN prefix. One table here;
// the inspector, the configuration's default names and the policy all read it.
//
// `policy.partitions` says which partitions the gateway judges; a sign-in to any other partition
// is refused before the rules (reason partition-not-enabled). Pure.

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace consolegate::core {

enum class partition : std::uint8_t {
    aws,
    aws_us_gov,
    aws_cn,
    aws_iso,
    aws_iso_b,
    aws_iso_e,
    aws_iso_f,
    aws_eusc
};
inline constexpr int partition_count = 8;  // partition_set below holds eight

// The names a partition's console sign-in is reached at, as AWS documents and publishes them
// (docs/inspection.md says where each one comes from).
struct partition_names {
    partition id;
    std::string_view name;            // "aws", "aws-us-gov", "aws-cn" (the ARN partition field)
    std::string_view title;           // for people: "AWS GovCloud (US)"
    std::string_view signin_domain;   // signin.aws.amazon.com; <acct>.signin…, <region>.signin…
    std::string_view console_domain;  // console.aws.amazon.com; <region>.console…
    std::string_view site_domain;     // the console's cookie domain: aws.amazon.com
    std::string_view service_domain;  // regional service endpoints: amazonaws.com
    // The FIPS console sign-in, where AWS publishes one: signin-fips.amazonaws-us-gov.com and
    // <region>.signin-fips.amazonaws-us-gov.com (AWS SDK endpoint rules for AWS Sign-In; Amazon
    // Connect Administrator Guide's allowlist). "" elsewhere.
    std::string_view signin_fips_domain;
    // The AWS SDKs' partition data (partitions.json `outputs`): `dualStackDnsSuffix`, where the
    // dual-stack and FIPS dual-stack service endpoints are (<svc>[-fips].<region>.<it>), and
    // `implicitGlobalRegion`, a Region the partition always has.
    std::string_view dual_stack_domain;
    std::string_view global_region;
    // Air-gapped (the ISO partitions): its names resolve only on networks inside it, and a
    // resolver outside may answer them NXDOMAIN or not at all. The proxy resolves them for its
    // address set as it does the regional names (proxy/destination_watch.hpp): one that goes
    // unanswered leaves its own addresses out, and does not make every splice refused.
    bool isolated = false;
};

inline constexpr std::array<partition_names, partition_count> partitions{{
    {partition::aws, "aws", "AWS (commercial Regions)", "signin.aws.amazon.com",
     "console.aws.amazon.com", "aws.amazon.com", "amazonaws.com", "", "api.aws", "us-east-1",
     false},
    {partition::aws_us_gov, "aws-us-gov", "AWS GovCloud (US)", "signin.amazonaws-us-gov.com",
     "console.amazonaws-us-gov.com", "amazonaws-us-gov.com", "amazonaws.com",
     "signin-fips.amazonaws-us-gov.com", "api.aws", "us-gov-west-1", false},
    {partition::aws_cn, "aws-cn", "AWS China (Beijing, Ningxia)", "signin.amazonaws.cn",
     "console.amazonaws.cn", "amazonaws.cn", "amazonaws.com.cn", "", "api.amazonwebservices.com.cn",
     "cn-northwest-1", false},
    // The ISO partitions and the European Sovereign Cloud: console sign-in at
    // <region>.signin.<home> (the AWS SDKs' endpoint rules for `signin`, IsControlPlane), the
    // console at console.<home> (the SAML audience https://console.csphome.adc-e.uk/saml of
    // the Landing Zone Accelerator's ISO-E overrides; console.amazonaws-eusc.eu), service
    // endpoints under partitions.json's suffixes.
    {partition::aws_iso, "aws-iso", "AWS ISO (US)", "signin.c2shome.ic.gov",
     "console.c2shome.ic.gov", "c2shome.ic.gov", "c2s.ic.gov", "", "api.aws.ic.gov",
     "us-iso-east-1", true},
    {partition::aws_iso_b, "aws-iso-b", "AWS ISOB (US)", "signin.sc2shome.sgov.gov",
     "console.sc2shome.sgov.gov", "sc2shome.sgov.gov", "sc2s.sgov.gov", "", "api.aws.scloud",
     "us-isob-east-1", true},
    {partition::aws_iso_e, "aws-iso-e", "AWS ISOE (Europe)", "signin.csphome.adc-e.uk",
     "console.csphome.adc-e.uk", "csphome.adc-e.uk", "cloud.adc-e.uk", "", "api.cloud-aws.adc-e.uk",
     "eu-isoe-west-1", true},
    {partition::aws_iso_f, "aws-iso-f", "AWS ISOF (US)", "signin.csphome.hci.ic.gov",
     "console.csphome.hci.ic.gov", "csphome.hci.ic.gov", "csp.hci.ic.gov", "", "api.aws.hci.ic.gov",
     "us-isof-south-1", true},
    {partition::aws_eusc, "aws-eusc", "AWS European Sovereign Cloud", "signin.amazonaws-eusc.eu",
     "console.amazonaws-eusc.eu", "amazonaws-eusc.eu", "amazonaws.eu", "",
     "api.amazonwebservices.eu", "eusc-de-east-1", false},
}};

const partition_names& names_of(partition p) noexcept;
std::string_view to_string(partition p) noexcept;  // "aws", "aws-us-gov", "aws-cn", ...
std::optional<partition> partition_from_string(std::string_view name) noexcept;
// The partition a Region name belongs to by its prefix: "cn-" China, "us-gov-" GovCloud,
// "us-iso-", "us-isob-", "eu-isoe-", "us-isof-" the ISO partitions, "eusc-" the European
// Sovereign Cloud, else commercial (the regionRegex of each partition in the AWS SDKs'
// partitions.json). TEAM's partition (team.dynamodb.region) and proxy.watch_regions use it.
partition partition_of_region(std::string_view region) noexcept;

// The partition a host (canonical: lowercase, no port, no trailing dot) belongs to, for the
// hosts the gateway inspects: the sign-in, console and site domains above and names under them;
// regional service endpoints (`<service>.<region>.amazonaws.com` is GovCloud for a us-gov-
// region, `….amazonaws.com.cn` China); IAM Identity Center access portals (`*.awsapps.com`,
// GovCloud's `start[.<region>].us-gov-home.awsapps.com`, China's `*.awsapps.cn`) and their
// regional forms (`<instance>.<region>.portal.amazonaws.com[.cn]`, dual-stack
// `<instance>.portal.<region>.app.aws`, China's `….app.amazonwebservices.com.cn`); AWS Sign-In's
// OAuth endpoints `<region>.oauth.signin.aws`; the ISO partitions' and the European Sovereign
// Cloud's names, each under its own domains (site, service and dual-stack). Any other host:
// nullopt.
std::optional<partition> partition_of_host(std::string_view host) noexcept;

// The IAM Identity Center access portal's API (the AWS SDKs' endpoint rules for the `sso`
// service): portal.sso[-fips].<region>.<suffix>, the suffix a partition's service or dual-stack
// domain (amazonaws.com, api.aws, China's amazonaws.com.cn and api.amazonwebservices.com.cn,
// amazonaws.eu, c2s.ic.gov, ...), with exactly one label for the region. `host` canonical. The
// inspector reads /federation/* there, and the proxy learns the portal's user from GET /user.
bool is_access_portal_api_host(std::string_view host) noexcept;

// The sign-in domain of a host's partition that the host is under: the FIPS one when it is
// under that (GovCloud's signin-fips.amazonaws-us-gov.com), else the partition's sign-in domain
// (which the host may not be under). Hosts of no partition count as commercial.
std::string_view sign_in_domain_of(std::string_view host) noexcept;

// The host patterns (core/host_pattern grammar) of a partition's console sign-in: its sign-in
// and console domains and every name under them, for proxy.inspect_hosts and DNS steering.
std::array<std::string_view, 4> sign_in_host_patterns(partition p) noexcept;

// A set of partitions as a bit mask (bit = 1 << partition).
using partition_set = std::uint8_t;
inline constexpr partition_set partition_bit(partition p) noexcept {
    return static_cast<partition_set>(1u << static_cast<unsigned>(p));
}

}  // namespace consolegate::core
