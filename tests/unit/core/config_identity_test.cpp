// [identity]: the address map's bounds and the trusted header's rules.

#include <gtest/gtest.h>

#include "config_test_support.hpp"

namespace consolegate::core {
namespace {

using namespace std::chrono_literals;
using cgtest::all;
using cgtest::has;
using cgtest::load;
using cgtest::minimal;

TEST(config_identity, defaults_identify_nobody_by_header) {
    auto r = load(minimal);
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_TRUE(r.cfg->identity.address_map_file.empty());
    EXPECT_EQ(r.cfg->identity.address_map_max, 100000u);
    EXPECT_EQ(r.cfg->identity.address_map_max_ttl, 7 * 24h);
    EXPECT_TRUE(r.cfg->identity.trusted_header.empty());
    EXPECT_TRUE(r.cfg->identity.trusted_header_from.empty());
}

TEST(config_identity, every_key_is_read) {
    auto r = load(minimal + R"(
[identity]
address_map_file = "map.txt"
address_map_max = 500
address_map_max_ttl = "12h"
trusted_header = "X-Authenticated-User"
trusted_header_from = ["10.9.0.0/24"]
groups_file = "groups.json"
)");
    ASSERT_TRUE(r.cfg) << all(r);
    const auto& id = r.cfg->identity;
    EXPECT_EQ(id.address_map_file, std::filesystem::path("/nonexistent-cg/map.txt"));
    EXPECT_EQ(id.address_map_max, 500u);
    EXPECT_EQ(id.address_map_max_ttl, 12h);
    EXPECT_EQ(id.trusted_header, "X-Authenticated-User");
    ASSERT_EQ(id.trusted_header_from.size(), 1u);
    EXPECT_EQ(id.trusted_header_from[0].str(), "10.9.0.0/24");
    EXPECT_EQ(id.groups_file, std::filesystem::path("/nonexistent-cg/groups.json"));
}

TEST(config_identity, a_header_without_networks_and_networks_without_a_header_are_refused) {
    auto a = load(minimal + "[identity]\ntrusted_header = \"X-Authenticated-User\"\n");
    EXPECT_FALSE(a.cfg);
    EXPECT_TRUE(has(a, 0, "trusted from nobody")) << all(a);
    auto b = load(minimal + "[identity]\ntrusted_header_from = [\"10.0.0.0/8\"]\n");
    EXPECT_FALSE(b.cfg);
    EXPECT_TRUE(has(b, 0, "names no header")) << all(b);
}

TEST(config_identity, a_header_name_must_be_a_field_name_the_proxy_does_not_read_itself) {
    for (const char* name : {"X User", "X:User", "Cookie", "proxy-authorization", "HOST"}) {
        auto r = load(minimal + "[identity]\ntrusted_header = \"" + name +
                      "\"\ntrusted_header_from = [\"10.0.0.0/8\"]\n");
        EXPECT_FALSE(r.cfg) << name;
        EXPECT_TRUE(has(r, 0, "identity.trusted_header")) << name << all(r);
    }
}

TEST(config_identity, bounds_and_unknown_keys_are_refused) {
    auto r = load(minimal + R"(
[identity]
address_map_max = 0
address_map_max_ttl = "500ms"
adress_map_file = "x"
)");
    EXPECT_FALSE(r.cfg);
    EXPECT_TRUE(has(r, 0, "identity.address_map_max: must be from 1")) << all(r);
    EXPECT_TRUE(has(r, 0, "address_map_max_ttl: must be at least 1s")) << all(r);
    EXPECT_TRUE(has(r, 0, "adress_map_file")) << all(r);
}

}  // namespace
}  // namespace consolegate::core
