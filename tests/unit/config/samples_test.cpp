// Every sample configuration shipped in config/ and deploy/ loads without a single diagnostic, so
// the examples cannot rot. A .toml that is not a configuration by itself (an include fragment,
// an alias map) must be read by one that is.

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "consolegate/core/elevation.hpp"
#include "test_support.hpp"

namespace consolegate::core {
namespace {

std::vector<std::filesystem::path> sample_files() {
    std::vector<std::filesystem::path> files;
    for (const char* dir : {"config", "deploy"}) {
        auto root = std::filesystem::path(CG_SOURCE_DIR) / dir;
        if (!std::filesystem::exists(root)) continue;
        for (auto& e : std::filesystem::recursive_directory_iterator(root)) {
            if (e.is_regular_file() && e.path().extension() == ".toml" &&
                e.path().string().find("demo-state") == std::string::npos)
                files.push_back(e.path().lexically_normal());
        }
    }
    std::sort(files.begin(), files.end());
    return files;
}

TEST(ConfigSamples, EveryTomlLoadsCleanly) {
    auto files = sample_files();
    ASSERT_FALSE(files.empty());
    std::set<std::filesystem::path> read_by_a_config;
    std::map<std::filesystem::path, std::string> failures;
    int configs = 0;
    for (auto& f : files) {
        auto r = load_config(f);
        if (r.cfg) {
            ++configs;
            EXPECT_TRUE(r.diagnostics.empty());
            for (auto& p : r.cfg->files) read_by_a_config.insert(p.lexically_normal());
        } else {
            failures[f] = cgtest::all(r);
        }
    }
    for (auto& [f, why] : failures) {
        EXPECT_TRUE(read_by_a_config.count(f))
            << f << " is neither a valid configuration nor read by one:\n"
            << why;
    }
    EXPECT_GE(configs, 2);  // example.toml and demo.toml at least
}

TEST(ConfigSamples, DemoIsLoopbackOnly) {
    auto r = load_config(std::filesystem::path(CG_SOURCE_DIR) / "config" / "demo.toml");
    ASSERT_TRUE(r.cfg) << cgtest::all(r);
    const config& c = *r.cfg;
    auto loopback = [](const ip_address& a) {
        return cidr::parse("127.0.0.0/8")->contains(a) || a == *ip_address::parse("::1");
    };
    for (auto* list :
         {&c.dns.listen, &c.dns.upstreams, &c.proxy.sni_listen, &c.proxy.connect_listen})
        for (auto& e : *list) EXPECT_TRUE(loopback(e.address)) << e.str();
    EXPECT_TRUE(loopback(c.admin.listen.address));
    for (auto& o : c.proxy.upstream_overrides) EXPECT_TRUE(loopback(o.address.address)) << o.host;
    EXPECT_EQ(c.dns.listen.at(0).str(), "127.0.0.1:5353");
    EXPECT_EQ(c.proxy.sni_listen.at(0).str(), "127.0.0.1:8443");
    EXPECT_EQ(c.proxy.connect_listen.at(0).str(), "127.0.0.1:3128");
    EXPECT_EQ(c.admin.listen.str(), "127.0.0.1:9100");
    auto root = std::filesystem::path(CG_SOURCE_DIR).lexically_normal();
    auto config_dir = root / "config";
    EXPECT_EQ(c.ca.cert, root / "demo-state/ca/ca.crt");
    EXPECT_EQ(c.audit.jsonl_path, root / "demo-state/audit.jsonl");
    EXPECT_EQ(c.audit.sqlite_path, root / "demo-state/audit.sqlite");
    EXPECT_EQ(c.team.snapshot_file, config_dir / "demo-team.json");
    EXPECT_FALSE(c.policy.accounts.empty());
    EXPECT_FALSE(c.policy.aliases.empty());
}

TEST(ConfigSamples, DemoTeamSnapshotParses) {
    auto file = std::filesystem::path(CG_SOURCE_DIR) / "config" / "demo-team.json";
    std::ifstream in(file, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    auto snap = parse_team_snapshot(text, file.string());
    EXPECT_TRUE(snap.document_ok);
    for (auto& d : snap.diagnostics) ADD_FAILURE() << d.where.line << ": " << d.message;
    ASSERT_EQ(snap.records.size(), 2u);
    // The demo's standing elevation: alice, security tooling, AdministratorAccess.
    elevation_set set(snap.records);
    auto now = *parse_iso8601("2026-11-23T12:00:00Z");
    EXPECT_TRUE(
        set.active("alice", *account_id::parse("333333333333"), "AdministratorAccess", now));
    EXPECT_FALSE(set.active("bob", *account_id::parse("333333333333"), "AdministratorAccess", now));
}

}  // namespace
}  // namespace consolegate::core
