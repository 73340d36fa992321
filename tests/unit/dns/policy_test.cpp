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

// The sign-in and console names of AWS GovCloud (US) and China are steered by default, whether
// or not policy.partitions enables them (the proxy refuses a partition it does not judge), in
// DNS alone and when derived from the proxy's inspected names; their service endpoints are not.
TEST(policy, defaults_steer_the_other_partitions_sign_in_names) {
    const char* steered[] = {"signin.amazonaws-us-gov.com",
                             "123456789012.signin.amazonaws-us-gov.com",
                             "us-gov-east-1.signin.amazonaws-us-gov.com",
                             "console.amazonaws-us-gov.com",
                             "us-gov-west-1.console.amazonaws-us-gov.com",
                             "signin.amazonaws.cn",
                             "acme.signin.amazonaws.cn",
                             "console.amazonaws.cn",
                             "cn-north-1.console.amazonaws.cn"};
    const char* forwarded[] = {"ec2.us-gov-west-1.amazonaws.com", "ec2.cn-north-1.amazonaws.com.cn",
                               "www.amazonaws.cn", "amazonaws-us-gov.com"};
    const auto alone = default_policy();
    auto derived = core::load_config_text(R"(
[dns]
upstreams = ["192.0.2.53"]
steer_ipv4 = ["192.0.2.10"]
[ca]
cert = "ca.crt"
key = "ca.key"
)",
                                          "/etc/consolegate/test.toml");
    ASSERT_TRUE(derived.cfg) << core::format_diagnostic(derived.diagnostics.at(0));
    const auto from_proxy = compile_policy(derived.cfg->dns);
    for (const auto* p : {&alone, &from_proxy}) {
        for (auto n : steered) EXPECT_EQ(p->decide(n), verdict::steer) << n;
        for (auto n : forwarded) EXPECT_EQ(p->decide(n), verdict::forward) << n;
    }
}

// DNS alone (the proxy disabled: a DNS-only replica steering to another's proxy) steers every
// name the proxy inspects by default: its defaults were the console and sign-in names only, so
// the portal API's and Sign-In's dual-stack names, start URLs and China's portals went to
// clients' own resolution around the proxy that inspects them.
TEST(policy, dns_alone_steers_every_name_the_proxy_inspects_by_default) {
    std::vector<core::host_pattern> steered;
    for (const auto& n : core::dns_config{}.steer_names)
        steered.push_back(*core::host_pattern::parse(n));
    for (const auto& n : core::proxy_config{}.inspect_hosts) {
        EXPECT_TRUE(core::covers(steered, *core::host_pattern::parse(n))) << n;
    }
    auto r = core::load_config_text(R"(
[dns]
upstreams = ["192.0.2.53"]
steer_ipv4 = ["192.0.2.10"]
[proxy]
enabled = false
)",
                                    "/etc/consolegate/test.toml");
    ASSERT_TRUE(r.cfg) << core::format_diagnostic(r.diagnostics.at(0));
    const auto p = compile_policy(r.cfg->dns);
    for (auto n : {"signin.us-east-1.api.aws", "portal.sso.eu-west-1.api.aws",
                   "d-1234567890.awsapps.com", "portal.sso.cn-north-1.amazonaws.com.cn",
                   "signin.cn-north-1.api.amazonwebservices.com.cn", "us-east-1.oauth.signin.aws",
                   "ssoins-7223753b6943f944.portal.us-east-1.app.aws"}) {
        EXPECT_EQ(p.decide(n), verdict::steer) << n;
    }
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
answer_timeout = "2500ms"
steer_ipv4 = ["192.0.2.10"]
steer_ttl = "2m"
block_rcode = "refused"
query_log_sample = 100
[dns.cache]
max_ttl = "1h"
serve_stale = true
negative_max_stale = "10m"
stale_answer_client_timeout = "900ms"
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
    EXPECT_EQ(o.answer_timeout, 2500ms);
    EXPECT_EQ(o.cache.negative_max_stale, 600s);
    EXPECT_EQ(o.cache.stale_answer_client_timeout, 900ms);
    // The one default: loopback only.
    EXPECT_EQ(o.allow_clients.size(), 2u);
    EXPECT_EQ(o.allow_clients.size(), core::dns_config{}.allow_clients.size());
    const auto p = compile_policy(o);
    EXPECT_EQ(p.target.ttl, 120u);  // milliseconds in the config, seconds on the wire
    EXPECT_EQ(p.block_rcode, rcode::refused);
}

// Stale answers in time (RFC 8767): a client timer under the stub resolvers' ~5 s, and a bound
// on any forwarded query well under c-ares's 2 + 4 + 8 s.
TEST(policy, stale_and_answer_deadlines_default_under_stub_timeouts) {
    using namespace std::chrono_literals;
    const core::dns_config d;
    EXPECT_EQ(d.cache.stale_answer_client_timeout, 1800ms);
    EXPECT_EQ(d.answer_timeout, 3s);
    EXPECT_LT(d.cache.negative_max_stale, d.cache.max_stale);
    auto r = core::load_config_text(R"(
[dns]
upstreams = ["192.0.2.53"]
steer_ipv4 = ["192.0.2.10"]
answer_timeout = "0s"
[proxy]
enabled = false
)",
                                    "/etc/consolegate/test.toml");
    EXPECT_FALSE(r.cfg);
}

}  // namespace
}  // namespace consolegate::dns
