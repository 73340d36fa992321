// core/partition.cpp: which partition a host is, and each partition's names.
#include "consolegate/core/partition.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "consolegate/core/config.hpp"
#include "consolegate/core/forward_zones.hpp"
#include "consolegate/core/host_pattern.hpp"

namespace cc = consolegate::core;

TEST(partition, names_round_trip) {
    for (const auto& p : cc::partitions) {
        EXPECT_EQ(cc::to_string(p.id), p.name);
        EXPECT_EQ(cc::partition_from_string(p.name), p.id);
        EXPECT_EQ(&cc::names_of(p.id), &p);
    }
    EXPECT_FALSE(cc::partition_from_string("aws-iso-z"));
    EXPECT_FALSE(cc::partition_from_string("AWS"));
    EXPECT_FALSE(cc::partition_from_string(""));
}

TEST(partition, hosts_of_each_partition) {
    struct row {
        std::string_view host;
        std::optional<cc::partition> want;
    };
    const row rows[] = {
        {"signin.aws.amazon.com", cc::partition::aws},
        {"123456789012.signin.aws.amazon.com", cc::partition::aws},
        {"us-east-1.console.aws.amazon.com", cc::partition::aws},
        {"portal.sso.eu-west-1.amazonaws.com", cc::partition::aws},
        {"mycompany.awsapps.com", cc::partition::aws},
        {"signin.amazonaws-us-gov.com", cc::partition::aws_us_gov},
        {"acme.signin.amazonaws-us-gov.com", cc::partition::aws_us_gov},
        {"us-gov-east-1.signin.amazonaws-us-gov.com", cc::partition::aws_us_gov},
        {"console.amazonaws-us-gov.com", cc::partition::aws_us_gov},
        {"us-gov-west-1.console.amazonaws-us-gov.com", cc::partition::aws_us_gov},
        // GovCloud service endpoints live under amazonaws.com, named by their Region.
        {"portal.sso.us-gov-west-1.amazonaws.com", cc::partition::aws_us_gov},
        {"oidc.us-gov-east-1.amazonaws.com", cc::partition::aws_us_gov},
        {"start.us-gov-home.awsapps.com", cc::partition::aws_us_gov},
        {"start.us-gov-west-1.us-gov-home.awsapps.com", cc::partition::aws_us_gov},
        {"signin.amazonaws.cn", cc::partition::aws_cn},
        {"123456789012.signin.amazonaws.cn", cc::partition::aws_cn},
        {"console.amazonaws.cn", cc::partition::aws_cn},
        {"cn-north-1.console.amazonaws.cn", cc::partition::aws_cn},
        {"portal.sso.cn-northwest-1.amazonaws.com.cn", cc::partition::aws_cn},
        {"start.home.awsapps.cn", cc::partition::aws_cn},
        // Regional and dual-stack access portals (issue 19): the Region names the partition.
        {"ssoins-111111h2222j33pp.eu-west-1.portal.amazonaws.com", cc::partition::aws},
        {"ssoins-abc.portal.us-east-1.app.aws", cc::partition::aws},
        {"ssoins-abc.us-gov-west-1.portal.amazonaws.com", cc::partition::aws_us_gov},
        {"ssoins-abc.cn-north-1.portal.amazonaws.com.cn", cc::partition::aws_cn},
        {"ssoins-abc.portal.cn-north-1.app.amazonwebservices.com.cn", cc::partition::aws_cn},
        // GovCloud's FIPS sign-in; Sign-In's OAuth endpoints.
        {"signin-fips.amazonaws-us-gov.com", cc::partition::aws_us_gov},
        {"us-gov-east-1.signin-fips.amazonaws-us-gov.com", cc::partition::aws_us_gov},
        {"us-east-1.oauth.signin.aws", cc::partition::aws},
        {"app.aws.example.com", std::nullopt},
        {"signin.aws", std::nullopt},
        {"example.com", std::nullopt},
        {"amazonaws.cn.example.com", std::nullopt},
        {"notamazonaws-us-gov.com", std::nullopt},
        {"signin.aws.amazon.com.evil.test", std::nullopt},
    };
    for (const auto& r : rows) {
        SCOPED_TRACE(r.host);
        EXPECT_EQ(cc::partition_of_host(r.host), r.want);
    }
}

TEST(partition, sign_in_patterns_cover_the_partitions_own_names_only) {
    for (const auto& p : cc::partitions) {
        SCOPED_TRACE(p.name);
        auto names = cc::sign_in_host_patterns(p.id);
        std::vector<cc::host_pattern> pats;
        for (auto n : names) {
            auto pat = cc::host_pattern::parse(n);
            ASSERT_TRUE(pat) << n;
            pats.push_back(*pat);
        }
        auto matched = [&](std::string_view host) {
            for (const auto& pat : pats) {
                if (pat.matches(host)) return true;
            }
            return false;
        };
        EXPECT_TRUE(matched(p.signin_domain));
        EXPECT_TRUE(matched(p.console_domain));
        EXPECT_TRUE(matched("123456789012." + std::string(p.signin_domain)));
        EXPECT_TRUE(matched("eu-west-1." + std::string(p.console_domain)));
        for (const auto& other : cc::partitions) {
            if (other.id == p.id) continue;
            EXPECT_FALSE(matched(other.signin_domain)) << other.name;
            EXPECT_FALSE(matched(other.console_domain)) << other.name;
        }
        for (auto n : names)
            EXPECT_EQ(cc::partition_of_host(n.substr(n.find_first_not_of("*."))), p.id);
    }
}

// The sign-in domain a host is under: GovCloud's FIPS sign-in is a sign-in domain of its own
// (AWS SDK endpoint rules for AWS Sign-In), so the inspector reads its requests like the other
// sign-in hosts'.
TEST(partition, fips_sign_in_is_a_sign_in_domain_of_govcloud) {
    EXPECT_EQ(cc::sign_in_domain_of("signin-fips.amazonaws-us-gov.com"),
              "signin-fips.amazonaws-us-gov.com");
    EXPECT_EQ(cc::sign_in_domain_of("us-gov-west-1.signin-fips.amazonaws-us-gov.com"),
              "signin-fips.amazonaws-us-gov.com");
    EXPECT_EQ(cc::sign_in_domain_of("us-gov-west-1.signin.amazonaws-us-gov.com"),
              "signin.amazonaws-us-gov.com");
    EXPECT_EQ(cc::sign_in_domain_of("evilsignin-fips.amazonaws-us-gov.com"),
              "signin.amazonaws-us-gov.com");
    EXPECT_EQ(cc::sign_in_domain_of("123456789012.signin.aws.amazon.com"), "signin.aws.amazon.com");
    EXPECT_EQ(cc::sign_in_domain_of("signin.amazonaws.cn"), "signin.amazonaws.cn");
    EXPECT_EQ(cc::sign_in_domain_of("example.com"), "signin.aws.amazon.com");
}

// The access portal API on every name the AWS SDKs' `sso` endpoint rules give it: one Region
// label, nothing around it. The inspector, the proxy's /user handling and the portal user table
// all ask this one function.
TEST(partition, access_portal_api_hosts_are_the_sdk_endpoint_names) {
    for (const char* host :
         {"portal.sso.eu-west-1.amazonaws.com", "portal.sso-fips.us-gov-west-1.amazonaws.com",
          "portal.sso.eu-west-1.api.aws", "portal.sso-fips.us-east-1.api.aws",
          "portal.sso.cn-north-1.amazonaws.com.cn",
          "portal.sso.cn-northwest-1.api.amazonwebservices.com.cn"}) {
        EXPECT_TRUE(cc::is_access_portal_api_host(host)) << host;
    }
    for (const char* host :
         {"portal.sso.amazonaws.com", "portal.sso..amazonaws.com", "portal.sso.a.b.amazonaws.com",
          "portal.sso.eu-west-1.amazonaws.com.evil", "xportal.sso.eu-west-1.amazonaws.com",
          "portal.sso-fips.api.aws", "portal.ssofips.eu-west-1.api.aws",
          "portal.sso.eu-west-1.example.com", "signin.aws.amazon.com", ""}) {
        EXPECT_FALSE(cc::is_access_portal_api_host(host)) << host;
    }
}

// Every host the partition table produces, for every partition: the console sign-in and console
// names (bare, with an account label, with the partition's Region), and Sign-In's and the
// access portal API's regional, FIPS and dual-stack names (the AWS SDKs' endpoint rules for
// `signin` and `sso` over the partition's service and dual-stack domains). Each is of its own
// partition, inspected and steered by default, and in a zone the resolver snippets forward: a
// partition the table holds but the defaults miss (the European Sovereign Cloud and the ISO
// partitions before session 11) is spliced and resolved around the gateway, a sign-in to any
// account there unjudged.
TEST(partition, every_name_the_table_produces_is_inspected_and_steered_by_default) {
    const cc::config defaults;
    const auto inspected = cc::host_set::compile(defaults.proxy.inspect_hosts);
    const auto steered = cc::host_set::compile(defaults.dns.steer_names);
    ASSERT_TRUE(inspected);
    ASSERT_TRUE(steered);
    int names = 0;
    for (const auto& p : cc::partitions) {
        SCOPED_TRACE(p.name);
        const std::string region(p.global_region);
        std::vector<std::string> hosts{
            std::string(p.signin_domain),
            "123456789012." + std::string(p.signin_domain),
            "myalias." + std::string(p.signin_domain),
            region + "." + std::string(p.signin_domain),
            std::string(p.console_domain),
            region + "." + std::string(p.console_domain),
            "123456789012-abcdefgh." + region + "." + std::string(p.console_domain)};
        for (std::string_view head : {"signin", "signin-fips", "portal.sso", "portal.sso-fips"}) {
            for (auto domain : {p.service_domain, p.dual_stack_domain})
                hosts.push_back(std::string(head) + "." + region + "." + std::string(domain));
        }
        for (const auto& h : hosts) {
            SCOPED_TRACE(h);
            ++names;
            EXPECT_EQ(cc::partition_of_host(h), p.id);
            EXPECT_TRUE(inspected->matches(h));
            EXPECT_TRUE(steered->matches(h));
            EXPECT_TRUE(std::ranges::any_of(cc::documented_forward_zones,
                                            [&](auto z) { return cc::in_zone(h, z); }));
            if (h.starts_with("portal.sso")) {
                EXPECT_TRUE(cc::is_access_portal_api_host(h));
            }
        }
    }
    EXPECT_EQ(names, cc::partition_count * 15);
}

// The European Sovereign Cloud's and the ISO partitions' names are theirs alone: a name of
// theirs is never commercial (its twelve digits are another partition's account), and a
// look-alike outside their domains is no partition's.
TEST(partition, the_sovereign_and_iso_partitions_own_their_domains) {
    const std::pair<std::string_view, cc::partition> rows[] = {
        {"signin.amazonaws-eusc.eu", cc::partition::aws_eusc},
        {"111122223333.signin.amazonaws-eusc.eu", cc::partition::aws_eusc},
        {"signin.eusc-de-east-1.amazonaws.eu", cc::partition::aws_eusc},
        {"s3.eusc-de-east-1.amazonaws.eu", cc::partition::aws_eusc},
        {"us-iso-east-1.signin.c2shome.ic.gov", cc::partition::aws_iso},
        {"portal.sso.us-iso-east-1.c2s.ic.gov", cc::partition::aws_iso},
        {"console.sc2shome.sgov.gov", cc::partition::aws_iso_b},
        {"signin.us-isob-east-1.api.aws.scloud", cc::partition::aws_iso_b},
        {"console.csphome.adc-e.uk", cc::partition::aws_iso_e},
        {"signin.eu-isoe-west-1.cloud.adc-e.uk", cc::partition::aws_iso_e},
        {"us-isof-south-1.signin.csphome.hci.ic.gov", cc::partition::aws_iso_f},
        {"signin.us-isof-south-1.api.aws.hci.ic.gov", cc::partition::aws_iso_f},
    };
    for (auto [host, want] : rows) EXPECT_EQ(cc::partition_of_host(host), want) << host;
    for (std::string_view host : {"amazonaws-eusc.eu.example", "evilamazonaws.eu", "ic.gov",
                                  "hci.ic.gov", "adc-e.uk", "sgov.gov", "aws.scloud.example"}) {
        EXPECT_EQ(cc::partition_of_host(host), std::nullopt) << host;
    }
}
