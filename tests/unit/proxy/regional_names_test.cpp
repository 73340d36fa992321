#include "regional_names.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "consolegate/core/config.hpp"
#include "host_routes.hpp"

namespace consolegate::proxy {
namespace {

bool has(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(regional_names, the_default_patterns_name_each_partitions_regional_sign_in_front_ends) {
    const core::proxy_config p;  // the schema's defaults
    const host_routes routes(p);
    const auto names = regional_names(p.inspect_hosts, {}, routes);
    for (const char* n :
         {"eu-south-2.signin.aws.amazon.com", "ap-southeast-5.console.aws.amazon.com",
          "signin.eu-central-2.amazonaws.com", "portal.sso.mx-central-1.amazonaws.com",
          "signin.us-gov-east-1.amazonaws.com", "portal.sso.us-gov-west-1.amazonaws.com",
          "us-gov-west-1.signin.amazonaws-us-gov.com", "us-gov-east-1.console.amazonaws-us-gov.com",
          "cn-northwest-1.signin.amazonaws.cn", "cn-north-1.console.amazonaws.cn",
          "portal.sso.cn-north-1.amazonaws.com.cn", "signin-fips.us-gov-west-1.amazonaws.com",
          "us-east-1.oauth.signin.aws", "portal.sso.eu-west-1.api.aws", "signin.eu-west-1.api.aws",
          "signin-fips.us-east-1.api.aws", "signin.cn-north-1.api.amazonwebservices.com.cn",
          "signin.cn-north-1.amazonaws.com.cn", "portal.sso-fips.cn-northwest-1.amazonaws.com.cn",
          // The European Sovereign Cloud and the ISO partitions (session 11).
          "eusc-de-east-1.signin.amazonaws-eusc.eu", "eusc-de-east-1.console.amazonaws-eusc.eu",
          "signin.eusc-de-east-1.amazonaws.eu", "portal.sso.eusc-de-east-1.amazonaws.eu",
          "us-iso-east-1.signin.c2shome.ic.gov", "portal.sso.us-iso-west-1.c2s.ic.gov",
          "us-isob-east-1.signin.sc2shome.sgov.gov", "eu-isoe-west-1.signin.csphome.adc-e.uk",
          "signin.us-isof-east-1.api.aws.hci.ic.gov"}) {
        EXPECT_TRUE(has(names, n)) << n;
    }
    // A Region under another partition's names does not exist there; "*.portal.*.app.aws" has
    // an instance label no list can name; literal names are watched as such.
    for (const char* n : {"eu-west-1.signin.amazonaws.cn", "cn-north-1.signin.aws.amazon.com",
                          "eusc-de-east-1.signin.aws.amazon.com",
                          "signin.us-iso-east-1.amazonaws.com", "signin.cn-north-1.amazonaws.com",
                          "us-east-1.console.amazonaws.cn", "signin.aws.amazon.com"}) {
        EXPECT_FALSE(has(names, n)) << n;
    }
    for (const auto& n : names) {
        EXPECT_TRUE(routes.inspected(n)) << n;
        EXPECT_EQ(n.find('*'), std::string::npos) << n;
    }
    EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
    EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end());
    // Within a few refresh rounds of the default regional_names_per_round.
    EXPECT_LT(names.size(), 3 * p.regional_names_per_round) << names.size();
}

TEST(regional_names, added_regions_join_their_partition_and_pass_through_names_stay_out) {
    core::proxy_config p;
    p.inspect_hosts = {"*.signin.aws.amazon.com", "signin.*.amazonaws.com", "*.signin.amazonaws.cn",
                       "*.awsapps.com.example", "console.aws.amazon.com"};
    p.pass_through_hosts = {"eu-west-1.signin.aws.amazon.com"};
    const host_routes routes(p);
    const std::vector<std::string> extra{"xx-new-1", "cn-south-1", "us-gov-north-1"};
    const auto names = regional_names(p.inspect_hosts, extra, routes);
    EXPECT_TRUE(has(names, "xx-new-1.signin.aws.amazon.com"));
    EXPECT_TRUE(has(names, "signin.xx-new-1.amazonaws.com"));
    EXPECT_TRUE(has(names, "cn-south-1.signin.amazonaws.cn"));
    EXPECT_TRUE(has(names, "signin.us-gov-north-1.amazonaws.com"));
    EXPECT_FALSE(has(names, "cn-south-1.signin.aws.amazon.com"));
    EXPECT_FALSE(has(names, "eu-west-1.signin.aws.amazon.com"));  // spliced on purpose
    // A name of no AWS partition is no Region's.
    for (const auto& n : names) EXPECT_FALSE(n.ends_with(".example")) << n;
    EXPECT_EQ(partition_of_region("cn-south-1"), core::partition::aws_cn);
    EXPECT_EQ(partition_of_region("us-gov-north-1"), core::partition::aws_us_gov);
    EXPECT_EQ(partition_of_region("eu-south-2"), core::partition::aws);
    EXPECT_EQ(partition_of_region("us-iso-north-1"), core::partition::aws_iso);
    EXPECT_EQ(partition_of_region("us-isob-west-1"), core::partition::aws_iso_b);
    EXPECT_EQ(partition_of_region("eu-isoe-north-1"), core::partition::aws_iso_e);
    EXPECT_EQ(partition_of_region("us-isof-east-1"), core::partition::aws_iso_f);
    EXPECT_EQ(partition_of_region("eusc-de-west-1"), core::partition::aws_eusc);
}

TEST(regional_names, every_known_region_is_a_label_of_its_partition) {
    for (const auto& r : known_regions()) {
        EXPECT_EQ(partition_of_region(r.name), r.partition) << r.name;
        EXPECT_EQ(r.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-"),
                  std::string_view::npos);
    }
}

}  // namespace
}  // namespace consolegate::proxy
