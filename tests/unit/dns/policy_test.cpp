#include "policy.hpp"

#include <gtest/gtest.h>

#include "samples.hpp"

namespace consolegate::dns {
namespace {

using namespace test;

TEST(policy, defaults_steer_console_but_not_exceptions) {
    const auto p = default_policy();
    EXPECT_EQ(p.decide("console.aws.amazon.com"), verdict::steer);
    EXPECT_EQ(p.decide("123456789012-abcdefgh.eu-west-1.console.aws.amazon.com"), verdict::steer);
    EXPECT_EQ(p.decide("signin.aws.amazon.com"), verdict::steer);
    EXPECT_EQ(p.decide("docs.aws.amazon.com"), verdict::forward);
    EXPECT_EQ(p.decide("aws.amazon.com"), verdict::forward);
    EXPECT_EQ(p.decide("use-application-dns.net"), verdict::doh_canary);
    EXPECT_EQ(p.decide("x.blocked.example"), verdict::block);
}

// The service runs on the loaded [dns] section itself: no mapping, no second set of defaults.
// What the loader parsed is what policy and the worker convert where they use it.
TEST(policy, loaded_dns_section_is_what_the_service_runs_on) {
    using namespace std::chrono_literals;
    auto r = core::load_config_text(R"(
[dns]
listen = ["127.0.0.1:5300"]
upstreams = ["192.0.2.53"]
upstream_timeout = "1500ms"
upstream_retries = 4
steer_ipv4 = ["192.0.2.10"]
steer_ttl = "2m"
block_rcode = "refused"
query_log_sample = 100
[dns.cache]
max_ttl = "1h"
serve_stale = true
[proxy]
enabled = false
)",
                                    "/etc/consolegate/test.toml");
    ASSERT_TRUE(r.cfg) << (r.diagnostics.empty() ? "" : core::format_diagnostic(r.diagnostics[0]));
    const auto& o = r.cfg->dns;
    EXPECT_EQ(o.listen.at(0).port, 5300);
    EXPECT_EQ(o.upstreams.at(0).port, 53);
    EXPECT_EQ(o.upstream_timeout, 1500ms);
    EXPECT_EQ(o.upstream_retries, 4u);
    EXPECT_EQ(o.steer_ttl, 120s);
    EXPECT_EQ(o.block_answer, core::block_rcode::refused);
    EXPECT_EQ(o.query_log_sample, 100u);
    EXPECT_EQ(o.cache.max_ttl, 3600s);
    EXPECT_TRUE(o.cache.serve_stale);
    // The one default: loopback only.
    EXPECT_EQ(o.allow_clients.size(), 2u);
    EXPECT_EQ(o.allow_clients.size(), core::dns_config{}.allow_clients.size());
    const auto p = compile_policy(o);
    EXPECT_EQ(p.target.ttl, 120u);  // milliseconds in the config, seconds on the wire
    EXPECT_EQ(p.block_rcode, rcode::refused);
}

}  // namespace
}  // namespace consolegate::dns
