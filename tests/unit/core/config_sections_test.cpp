// [sessions] (core/config_sections.cpp: read_sessions, and the cross-check with [audit]): the
// table's bounds and file, the fleet's key file and the shared store's keys.

#include <gtest/gtest.h>

#include "config_test_support.hpp"

namespace consolegate::core {
namespace {

using namespace std::chrono_literals;
using cgtest::all;
using cgtest::has;
using cgtest::load;
using cgtest::minimal;
using store_kind = sessions_config::store_kind;

const std::string key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const std::string postgres = "[audit]\npostgres_connection = \"host=/run/pg dbname=cg\"\n";

TEST(config_sections, sessions_defaults_keep_each_replica_alone) {
    auto r = load(minimal);
    ASSERT_TRUE(r.cfg) << all(r);
    const auto& s = r.cfg->sessions;
    EXPECT_EQ(s.store, store_kind::local);
    EXPECT_TRUE(s.key_file.empty());
    EXPECT_EQ(s.store_timeout, 1s);
    EXPECT_EQ(s.store_connections, 4u);
    EXPECT_EQ(s.store_queue, 1024u);
    EXPECT_EQ(s.negative_cache_entries, 100000u);
    EXPECT_EQ(s.negative_ttl, 10s);
}

TEST(config_sections, sessions_shared_through_postgres_reads_every_key) {
    auto dir = cgtest::scratch();
    cgtest::write(dir / "sessions.key", key + "\n");
    cgtest::write(dir / "gw.toml", minimal + postgres + R"(
[sessions]
store = "postgres"
key_file = "sessions.key"
store_timeout = "250ms"
store_connections = 8
store_queue = 64
negative_cache_entries = 500
negative_ttl = "2s"
)");
    auto r = load_config(dir / "gw.toml");
    ASSERT_TRUE(r.cfg) << all(r);
    const auto& s = r.cfg->sessions;
    EXPECT_EQ(s.store, store_kind::postgres);
    EXPECT_EQ(s.key_file, dir / "sessions.key");
    EXPECT_EQ(s.store_timeout, 250ms);
    EXPECT_EQ(s.store_connections, 8u);
    EXPECT_EQ(s.store_queue, 64u);
    EXPECT_EQ(s.negative_cache_entries, 500u);
    EXPECT_EQ(s.negative_ttl, 2s);
}

TEST(config_sections, sessions_postgres_needs_the_records_database_and_a_fleet_key) {
    auto r = load(minimal + "[sessions]\nstore = \"postgres\"\n");
    EXPECT_FALSE(r.cfg);
    EXPECT_TRUE(has(r, 0, "needs sessions.key_file")) << all(r);
    EXPECT_TRUE(has(r, 0, "set audit.postgres_connection")) << all(r);
    auto other = load(minimal + "[sessions]\nstore = \"redis\"\n");
    EXPECT_FALSE(other.cfg);
    EXPECT_TRUE(has(other, 0, "sessions.store")) << all(other);
}

TEST(config_sections, sessions_store_keys_without_a_shared_store_are_refused) {
    for (const char* k : {"store_timeout = \"1s\"", "store_connections = 2", "store_queue = 10",
                          "negative_cache_entries = 5", "negative_ttl = \"1s\""}) {
        auto r = load(minimal + "[sessions]\n" + k + "\n");
        EXPECT_FALSE(r.cfg) << k;
        EXPECT_TRUE(has(r, 0, "is set but sessions.store is not \"postgres\"")) << k << all(r);
    }
}

TEST(config_sections, sessions_store_bounds_are_checked) {
    auto dir = cgtest::scratch();
    cgtest::write(dir / "sessions.key", key + "\n");
    cgtest::write(dir / "gw.toml", minimal + postgres + R"(
[sessions]
store = "postgres"
key_file = "sessions.key"
store_timeout = "5ms"
store_connections = 0
store_queue = 0
negative_ttl = "1h"
)");
    auto r = load_config(dir / "gw.toml");
    EXPECT_FALSE(r.cfg);
    EXPECT_TRUE(has(r, 0, "store_timeout must be between 10ms and 30s")) << all(r);
    EXPECT_TRUE(has(r, 0, "sessions.store_connections")) << all(r);
    EXPECT_TRUE(has(r, 0, "sessions.store_queue")) << all(r);
    EXPECT_TRUE(has(r, 0, "negative_ttl must be at most 10m")) << all(r);
}

TEST(config_sections, sessions_key_file_must_hold_a_key) {
    auto dir = cgtest::scratch();
    cgtest::write(dir / "short.key", "abc\n");
    cgtest::write(dir / "gw.toml", minimal + "[sessions]\nkey_file = \"short.key\"\n");
    auto r = load_config(dir / "gw.toml");
    EXPECT_FALSE(r.cfg);
    EXPECT_TRUE(has(r, 0, "64 lowercase hex digits")) << all(r);
    cgtest::write(dir / "gw.toml", minimal + "[sessions]\nkey_file = \"missing.key\"\n");
    auto m = load_config(dir / "gw.toml");
    EXPECT_FALSE(m.cfg);
    EXPECT_TRUE(has(m, 0, "sessions.key_file")) << all(m);
}

}  // namespace
}  // namespace consolegate::core

namespace consolegate::core {
namespace {

TEST(config_sections, proxy_watch_regions_are_region_names_and_the_round_is_bounded) {
    auto r = cgtest::load(cgtest::minimal);
    ASSERT_TRUE(r.cfg) << cgtest::all(r);
    EXPECT_TRUE(r.cfg->proxy.watch_regions.empty());
    EXPECT_EQ(r.cfg->proxy.regional_names_per_round, 250u);

    r = cgtest::load(cgtest::minimal + R"(
[proxy]
watch_regions = ["xx-new-1", "cn-south-1", "xx-new-1"]
regional_names_per_round = 0
)");
    ASSERT_TRUE(r.cfg) << cgtest::all(r);
    EXPECT_EQ(r.cfg->proxy.watch_regions, (std::vector<std::string>{"cn-south-1", "xx-new-1"}));
    EXPECT_EQ(r.cfg->proxy.regional_names_per_round, 0u);

    for (const char* bad : {"EU-west-1", "eu-west", "eu.west-1", "eu--west-1", "-eu-1", "1-2",
                            "eu-west-1a", "eu_west-1", ""}) {
        r = cgtest::load(cgtest::minimal + "[proxy]\nwatch_regions = [\"" + bad + "\"]\n");
        EXPECT_FALSE(r.cfg) << bad;
        EXPECT_TRUE(cgtest::has(r, 0, "proxy.watch_regions[0]")) << bad << cgtest::all(r);
    }
    r = cgtest::load(cgtest::minimal + "[proxy]\nregional_names_per_round = 10001\n");
    EXPECT_TRUE(cgtest::has(r, 0, "proxy.regional_names_per_round: must be from 0 to 10000"))
        << cgtest::all(r);
}

}  // namespace
}  // namespace consolegate::core

namespace consolegate::core {
namespace {

TEST(config_sections, proxy_nat64_prefixes_are_rfc6052_ipv6_prefixes) {
    auto r = cgtest::load(cgtest::minimal +
                          "[proxy]\nnat64_prefixes = [\"2001:db8:64::/96\", \"2001:db8::/32\"]\n");
    ASSERT_TRUE(r.cfg) << cgtest::all(r);
    EXPECT_EQ(r.cfg->proxy.nat64_prefixes.size(), 2u);
    for (const char* bad : {"2001:db8::/33", "10.0.0.0/8", "2001:db8::/128"}) {
        r = cgtest::load(cgtest::minimal + "[proxy]\nnat64_prefixes = [\"" + bad + "\"]\n");
        EXPECT_FALSE(r.cfg) << bad;
        EXPECT_TRUE(cgtest::has(r, 0, "proxy.nat64_prefixes[0]")) << bad << cgtest::all(r);
    }
}

}  // namespace
}  // namespace consolegate::core
