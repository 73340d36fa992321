// The loader over TOML text: defaults, strictness, and one diagnostic per problem with its place.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "config_test_support.hpp"

namespace consolegate::core {
namespace {

using namespace std::chrono_literals;
using cgtest::all;
using cgtest::has;
using cgtest::load;
using cgtest::minimal;

TEST(config_loader, minimal_config_gets_the_defaults) {
    auto r = load(minimal);
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_TRUE(r.diagnostics.empty()) << all(r);
    const config& c = *r.cfg;
    EXPECT_TRUE(c.dns.enabled);
    ASSERT_EQ(c.dns.listen.size(), 1u);
    EXPECT_EQ(c.dns.listen[0].str(), "127.0.0.1:53");
    ASSERT_EQ(c.dns.upstreams.size(), 1u);
    EXPECT_EQ(c.dns.upstreams[0].str(), "192.0.2.1:53");
    EXPECT_EQ(c.dns.upstream_timeout, 2s);
    // DNS steers every name the proxy inspects unless the operator says otherwise (issue 17).
    EXPECT_EQ(c.dns.steer_names, c.proxy.inspect_hosts);
    // The commercial names (8) and the sign-in, console and portal names of AWS GovCloud (US)
    // and China (10), which are refused unless policy.partitions enables them (issue 19); the
    // regional and dual-stack access portals (4), the FIPS sign-in names (4) and Sign-In's
    // OAuth endpoints (1) (issue 19, session 5); the access portal API's FIPS and dual-stack
    // names (4) (session 7); AWS Sign-In's dual-stack names (3) (session 10); China's regional
    // sign-in and the FIPS forms of its portal API and dual-stack sign-in (4) (session 11); the
    // ISO partitions' and the European Sovereign Cloud's names, 12 each (60) (session 11); the
    // console applications under aws.amazon.com that serve the signed-in console (5), steered
    // like the rest: health.aws.amazon.com is no longer a steering exception (session 11).
    EXPECT_EQ(c.dns.steer_names.size(), 103u);
    for (const char* app :
         {"health.aws.amazon.com", "phd.aws.amazon.com", "lightsail.aws.amazon.com",
          "quicksight.aws.amazon.com", "*.quicksight.aws.amazon.com"}) {
        EXPECT_NE(std::ranges::find(c.dns.steer_names, app), c.dns.steer_names.end()) << app;
        EXPECT_NE(std::ranges::find(c.proxy.inspect_hosts, app), c.proxy.inspect_hosts.end())
            << app;
    }
    EXPECT_EQ(c.dns.steer_exceptions,
              (std::vector<std::string>{"docs.aws.amazon.com", "status.aws.amazon.com"}));
    EXPECT_TRUE(c.dns.steer_identity_center);
    EXPECT_EQ(c.dns.cache.max_ttl, 24h);
    EXPECT_EQ(c.dns.edns_udp_size, 1232);
    EXPECT_EQ(c.proxy.sni_listen[0].str(), "0.0.0.0:443");
    EXPECT_EQ(c.proxy.connect_listen[0].str(), "0.0.0.0:3128");
    EXPECT_EQ(c.proxy.max_header_bytes, 128u * 1024);
    EXPECT_EQ(c.proxy.max_request_body, 64u * 1024 * 1024);
    EXPECT_EQ(c.proxy.leaf_validity, 7 * 24h);
    EXPECT_EQ(c.proxy.allow_clients.size(), 6u);
    EXPECT_EQ(c.admin.listen.str(), "127.0.0.1:8461");
    // Relative paths resolve against the file's directory.
    EXPECT_EQ(c.ca.cert, std::filesystem::path("/nonexistent-cg/ca.crt"));
    EXPECT_EQ(c.policy.ams_change_type_ids.size(), 2u);
    EXPECT_TRUE(c.policy.allow_unknown_account_pre_auth);
    EXPECT_FALSE(c.team.enabled);
}

TEST(config_loader, audit_queue_rotation_and_retention_keys) {
    auto r = load(minimal);
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_EQ(r.cfg->audit.queue_limit, 65536u);
    EXPECT_EQ(r.cfg->audit.jsonl_rotate_size, 0u);
    EXPECT_EQ(r.cfg->audit.sqlite_retention, 90 * 24h);
    r = load(minimal +
             "[audit]\nqueue_limit = 1000\njsonl_rotate_size = \"64MiB\"\njsonl_keep = 3\n"
             "sqlite_retention = \"30d\"\nsqlite_max_size = \"1GiB\"\n");
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_EQ(r.cfg->audit.queue_limit, 1000u);
    EXPECT_EQ(r.cfg->audit.jsonl_rotate_size, 64u << 20);
    EXPECT_EQ(r.cfg->audit.jsonl_keep, 3u);
    EXPECT_EQ(r.cfg->audit.sqlite_retention, 30 * 24h);
    EXPECT_EQ(r.cfg->audit.sqlite_max_size, 1ull << 30);
    r = load(minimal + "[audit]\nqueue_limit = 0\n");
    EXPECT_FALSE(r.cfg);
}

TEST(config_loader, tls_session_resumption_is_on_unless_turned_off) {
    auto r = load(minimal);
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_TRUE(r.cfg->proxy.tls_session_resumption);
    r = load(minimal + "[proxy]\ntls_session_resumption = false\n");
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_FALSE(r.cfg->proxy.tls_session_resumption);
    r = load(minimal + "[proxy]\ntls_session_resumption = \"off\"\n");
    EXPECT_FALSE(r.cfg);
    EXPECT_NE(all(r).find("proxy.tls_session_resumption"), std::string::npos) << all(r);
}

TEST(config_loader, upstream_pool_per_host_with_its_bounds) {
    auto r = load(minimal);
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_EQ(r.cfg->proxy.upstream_pool_per_host, 256u);
    r = load(minimal + "[proxy]\nupstream_pool_per_host = 0\n");
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_EQ(r.cfg->proxy.upstream_pool_per_host, 0u);
    r = load(minimal + "[proxy]\nupstream_pool_per_host = 100001\n");
    EXPECT_FALSE(r.cfg);
    EXPECT_NE(all(r).find("proxy.upstream_pool_per_host"), std::string::npos) << all(r);
}

TEST(config_loader, http2_keys_with_their_bounds) {
    auto r = load(minimal);
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_FALSE(r.cfg->proxy.http2);
    EXPECT_EQ(r.cfg->proxy.http2_max_concurrent_streams, 100u);
    EXPECT_EQ(r.cfg->proxy.http2_max_header_list_size, 128u * 1024);
    r = load(minimal +
             "[proxy]\nhttp2 = true\nhttp2_max_concurrent_streams = 8\n"
             "http2_max_header_list_size = \"16KiB\"\nhttp2_settings_per_second = 5\n"
             "http2_pings_per_second = 6\nhttp2_resets_per_second = 7\n");
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_TRUE(r.cfg->proxy.http2);
    EXPECT_EQ(r.cfg->proxy.http2_max_concurrent_streams, 8u);
    EXPECT_EQ(r.cfg->proxy.http2_max_header_list_size, 16u * 1024);
    EXPECT_EQ(r.cfg->proxy.http2_settings_per_second, 5u);
    EXPECT_EQ(r.cfg->proxy.http2_pings_per_second, 6u);
    EXPECT_EQ(r.cfg->proxy.http2_resets_per_second, 7u);
    r = load(minimal + "[proxy]\nhttp2_max_concurrent_streams = 0\n");
    EXPECT_FALSE(r.cfg);
    EXPECT_NE(all(r).find("proxy.http2_max_concurrent_streams"), std::string::npos) << all(r);
    r = load(minimal + "[proxy]\nhttp2_max_header_list_size = 512\n");
    EXPECT_FALSE(r.cfg);
    EXPECT_NE(all(r).find("proxy.http2_max_header_list_size"), std::string::npos) << all(r);
    r = load(minimal + "[proxy]\nhttp2_resets_per_second = \"many\"\n");
    EXPECT_FALSE(r.cfg);
    EXPECT_NE(all(r).find("proxy.http2_resets_per_second"), std::string::npos) << all(r);
}

TEST(config_loader, proxy_protocol_per_listener_with_the_balancer_networks) {
    using consolegate::core::proxy_protocol_mode;
    auto r = load(minimal);
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_EQ(r.cfg->proxy.sni_proxy_protocol, proxy_protocol_mode::refused);
    EXPECT_EQ(r.cfg->proxy.connect_proxy_protocol, proxy_protocol_mode::refused);
    EXPECT_EQ(r.cfg->dns.tcp_proxy_protocol, proxy_protocol_mode::refused);
    const std::string dns = "[dns]\nupstreams = [\"192.0.2.1\"]\nsteer_ipv4 = [\"192.0.2.10\"]\n";
    const std::string ca = "[ca]\ncert = \"ca.crt\"\nkey = \"ca.key\"\n";
    r = load(dns + "tcp_proxy_protocol = \"required\"\nproxy_protocol_from = [\"10.20.0.0/24\"]\n" +
             ca + "[proxy]\nsni_proxy_protocol = \"required\"\n" +
             "proxy_protocol_from = [\"10.20.0.0/24\", \"fd00::/64\"]\n");
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_EQ(r.cfg->proxy.sni_proxy_protocol, proxy_protocol_mode::required);
    EXPECT_EQ(r.cfg->proxy.connect_proxy_protocol, proxy_protocol_mode::refused);
    EXPECT_EQ(r.cfg->proxy.proxy_protocol_from.size(), 2u);
    EXPECT_EQ(r.cfg->dns.tcp_proxy_protocol, proxy_protocol_mode::required);
    // Required with nobody allowed to send it, a list nobody uses, an unknown mode.
    r = load(minimal + "[proxy]\nconnect_proxy_protocol = \"required\"\n");
    EXPECT_TRUE(has(r, 0, "proxy.proxy_protocol_from names no load-balancer network")) << all(r);
    r = load(dns + "proxy_protocol_from = [\"10.0.0.0/8\"]\n" + ca);
    EXPECT_TRUE(has(r, 0, "no dns listener has the PROXY protocol")) << all(r);
    r = load(minimal + "[proxy]\nsni_proxy_protocol = \"optional\"\n");
    EXPECT_FALSE(r.cfg);
}

TEST(config_loader, dns_tcp_backpressure_keys) {
    auto r = load(minimal);
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_EQ(r.cfg->dns.tcp_pipeline_depth, 32u);
    EXPECT_EQ(r.cfg->dns.tcp_output_buffer, 128u * 1024);
    const std::string dns = "[dns]\nupstreams = [\"192.0.2.1\"]\nsteer_ipv4 = [\"192.0.2.10\"]\n";
    const std::string ca = "[ca]\ncert = \"ca.crt\"\nkey = \"ca.key\"\n";
    r = load(dns + "tcp_pipeline_depth = 4\ntcp_output_buffer = \"1MiB\"\n" + ca);
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_EQ(r.cfg->dns.tcp_pipeline_depth, 4u);
    EXPECT_EQ(r.cfg->dns.tcp_output_buffer, 1024u * 1024);
    // Under 1 KiB no query would ever be read; a depth of 0 neither.
    r = load(dns + "tcp_output_buffer = 0\n" + ca);
    EXPECT_TRUE(has(r, 0, "dns.tcp_output_buffer must be at least 1KiB")) << all(r);
    r = load(dns + "tcp_pipeline_depth = 0\n" + ca);
    EXPECT_FALSE(r.cfg);
}

TEST(config_loader, dns_max_pending_queries) {
    auto r = load(minimal);
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_EQ(r.cfg->dns.max_pending_queries, 1024u);  // unbound's num-queries-per-thread
    const std::string dns = "[dns]\nupstreams = [\"192.0.2.1\"]\nsteer_ipv4 = [\"192.0.2.10\"]\n";
    const std::string ca = "[ca]\ncert = \"ca.crt\"\nkey = \"ca.key\"\n";
    r = load(dns + "max_pending_queries = 16384\n" + ca);
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_EQ(r.cfg->dns.max_pending_queries, 16384u);
    // Beyond a quarter of the 16-bit ID space a fresh upstream ID is no longer sure to be free.
    EXPECT_FALSE(load(dns + "max_pending_queries = 16385\n" + ca).cfg);
    EXPECT_FALSE(load(dns + "max_pending_queries = 0\n" + ca).cfg);
}

TEST(config_loader, dns_rate_limit_max_clients) {
    auto r = load(minimal);
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_EQ(r.cfg->dns.rate_limit_max_clients, 65536u);
    const std::string dns = "[dns]\nupstreams = [\"192.0.2.1\"]\nsteer_ipv4 = [\"192.0.2.10\"]\n";
    const std::string ca = "[ca]\ncert = \"ca.crt\"\nkey = \"ca.key\"\n";
    r = load(dns + "rate_limit_qps = 10\nrate_limit_max_clients = 4194304\n" + ca);
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_EQ(r.cfg->dns.rate_limit_max_clients, 4194304u);
    r = load(dns + "rate_limit_max_clients = 1\n" + ca);
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_EQ(r.cfg->dns.rate_limit_max_clients, 1u);
    EXPECT_FALSE(load(dns + "rate_limit_max_clients = 0\n" + ca).cfg);
    EXPECT_FALSE(load(dns + "rate_limit_max_clients = 4194305\n" + ca).cfg);
}

TEST(config_loader, empty_file_names_every_missing_requirement) {
    auto r = load("");
    EXPECT_FALSE(r.cfg);
    EXPECT_TRUE(has(r, 1, "[ca] needs `cert` and `key`")) << all(r);
    EXPECT_TRUE(has(r, 1, "`upstreams` is required")) << all(r);
    EXPECT_TRUE(has(r, 1, "`steer_ipv4` or `steer_ipv6` is required")) << all(r);
}

TEST(config_loader, disabled_components_need_nothing) {
    auto r = load("[dns]\nenabled = false\n[proxy]\nenabled = false\n");
    EXPECT_TRUE(r.cfg) << all(r);
}

TEST(config_loader, unknown_key_suggests_nearest) {
    auto r = load(minimal + "[general]\nworkrs = 2\n");
    ASSERT_FALSE(r.cfg);
    ASSERT_EQ(r.diagnostics.size(), 1u) << all(r);
    const auto& d = r.diagnostics[0];
    EXPECT_EQ(d.file, "/nonexistent-cg/test.toml");
    EXPECT_EQ(d.line, 10);
    EXPECT_EQ(d.column, 1);
    EXPECT_EQ(d.message, "unknown key `general.workrs`; did you mean `workers`?");

    r = load(
        "[dns]\nupstream = [\"192.0.2.1\"]\nsteer_ipv4 = [\"192.0.2.10\"]\n[proxy]\nenabled = "
        "false\n");
    EXPECT_TRUE(has(r, 2, "did you mean `upstreams`?")) << all(r);
    r = load(minimal + "[dsn]\n");
    EXPECT_TRUE(has(r, 9, "unknown key `dsn`; did you mean `dns`?")) << all(r);
    r = load(minimal + "[dns.cache]\nbogus_thing_here = 1\n");
    EXPECT_TRUE(has(r, 10, "unknown key `dns.cache.bogus_thing_here`")) << all(r);
}

TEST(config_loader, the_instance_name_is_read_or_refused_with_the_rule) {
    auto unset = load(minimal);
    ASSERT_TRUE(unset.cfg) << all(unset);
    EXPECT_EQ(unset.cfg->general.instance, "");  // the host name, decided at start
    auto r = load(minimal + "[general]\ninstance = \"egress-fra-1.corp_A\"\n");
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_EQ(r.cfg->general.instance, "egress-fra-1.corp_A");
    for (const char* bad : {"", "two words", "a/b", "caf\u00e9", "x\ty"}) {
        auto b = load(minimal + "[general]\ninstance = \"" + bad + "\"\n");
        EXPECT_FALSE(b.cfg) << bad;
        EXPECT_TRUE(has(b, 10, "general.instance: ")) << bad << all(b);
        EXPECT_TRUE(has(b, 10, "letters, digits")) << bad << all(b);
    }
    auto long_name = load(minimal + "[general]\ninstance = \"" + std::string(65, 'a') + "\"\n");
    EXPECT_TRUE(has(long_name, 10, "1 to 64")) << all(long_name);
    auto typed = load(minimal + "[general]\ninstance = 7\n");
    EXPECT_TRUE(has(typed, 10, "general.instance: expected a string")) << all(typed);
}

TEST(config_loader, wrong_types_say_what_was_expected) {
    auto r = load(minimal + "[general]\nworkers = \"4\"\n[admin]\nenabled = \"true\"\n");
    EXPECT_TRUE(has(r, 10, "general.workers: expected an integer, got a string")) << all(r);
    EXPECT_TRUE(has(r, 12, "admin.enabled: expected a boolean, got a string; write true"))
        << all(r);
    r = load(minimal + "[proxy]\nsni_listen = \"127.0.0.1:443\"\n");
    EXPECT_TRUE(has(r, 10, "write [\"127.0.0.1:443\"]")) << all(r);
    r = load(minimal + "[proxy]\nidle_timeout = 30\n");
    EXPECT_TRUE(has(r, 10, "write e.g. \"30s\"")) << all(r);
    r = load("general = 3\n" + minimal);
    EXPECT_TRUE(has(r, 1, "general: expected a table, got an integer")) << all(r);
}

TEST(config_loader, ranges_and_enums) {
    auto r = load(minimal + R"(
[general]
workers = -1
log_level = "verbose"
[dns]
)");
    // [dns] defined twice in one file is a TOML error, reported alone.
    EXPECT_TRUE(has(r, 0, "TOML syntax error")) << all(r);

    r = load(minimal + R"(
[general]
workers = 5000
log_level = "verbose"
[proxy]
connect_ports = [443, 0, 70000, "80"]
not_inspected = "drop"
max_header_bytes = "1MB"
[dns.cache]
min_ttl = "2d"
)");
    EXPECT_TRUE(has(r, 11, "general.workers: must be from 0 to 1024, got 5000")) << all(r);
    EXPECT_TRUE(
        has(r, 12, "expected one of \"debug\", \"info\", \"warn\", \"error\", got \"verbose\""))
        << all(r);
    EXPECT_TRUE(has(r, 14, "proxy.connect_ports[1]: a port must be from 1 to 65535")) << all(r);
    EXPECT_TRUE(has(r, 14, "proxy.connect_ports[2]")) << all(r);
    EXPECT_TRUE(has(r, 14, "proxy.connect_ports[3]: expected an integer port, got a string"))
        << all(r);
    EXPECT_TRUE(has(r, 15, "\"splice\", \"refuse\"")) << all(r);
    EXPECT_TRUE(has(r, 16, "write KiB, MiB or GiB")) << all(r);
    EXPECT_TRUE(has(r, 0, "min_ttl is greater than")) << all(r);
}

TEST(config_loader, an_inspection_cap_too_small_for_a_sign_in_form_is_refused) {
    for (const char* cap : {"0", "\"512B\"", "1023"}) {
        auto r = load(minimal + "[proxy]\nmax_inspect_body = " + cap + "\n");
        EXPECT_FALSE(r.cfg) << cap;
        EXPECT_TRUE(has(r, 0, "proxy.max_inspect_body must be at least 1KiB")) << all(r);
    }
    EXPECT_TRUE(load(minimal + "[proxy]\nmax_inspect_body = \"1KiB\"\n").cfg);
}

TEST(config_loader, request_body_cap_covers_the_inspected_part) {
    auto ok = load(minimal + "[proxy]\nmax_request_body = \"8MiB\"\n");
    ASSERT_TRUE(ok.cfg) << all(ok);
    EXPECT_EQ(ok.cfg->proxy.max_request_body, 8u * 1024 * 1024);
    auto r = load(minimal + "[proxy]\nmax_inspect_body = \"2MiB\"\nmax_request_body = \"1MiB\"\n");
    EXPECT_FALSE(r.cfg);
    EXPECT_TRUE(has(r, 0, "proxy.max_request_body must be at least proxy.max_inspect_body"))
        << all(r);
}

TEST(config_loader, addresses_and_cidrs) {
    auto r = load(R"(
[dns]
listen = ["127.0.0.1:5353", "[::1]:5353", "::1:5353", "127.0.0.1"]
upstreams = ["192.0.2.1", "[2001:db8::53]:5300", "resolver.corp:53"]
steer_ipv4 = ["::1"]
steer_ipv6 = ["192.0.2.1"]
allow_clients = ["10.1.2.3/8", "10.0.0.0/8"]
[proxy]
enabled = false
)");
    EXPECT_TRUE(has(r, 3, "dns.listen[2]: ")) << all(r);
    EXPECT_TRUE(has(r, 3, "dns.listen[3]: ")) << all(r);
    EXPECT_FALSE(has(r, 3, "dns.listen[0]")) << all(r);
    EXPECT_TRUE(has(r, 4, "dns.upstreams[2]: ")) << all(r);
    EXPECT_TRUE(has(r, 5, "expected an IPv4 address")) << all(r);
    EXPECT_TRUE(has(r, 6, "expected an IPv6 address")) << all(r);
    EXPECT_TRUE(has(r, 7, "host bits set; did you mean \"10.0.0.0/8\"?")) << all(r);
    // Every steering address was wrong, so none is left: said once more at the table.
    EXPECT_TRUE(has(r, 2, "`steer_ipv4` or `steer_ipv6` is required")) << all(r);
    EXPECT_EQ(r.diagnostics.size(), 7u) << all(r);
}

TEST(config_loader, listeners_must_not_collide) {
    auto r = load(minimal + R"(
[proxy]
sni_listen = ["0.0.0.0:9100"]
connect_listen = ["127.0.0.1:3128", "127.0.0.1:3128"]
[admin]
listen = "127.0.0.1:9100"
)");
    EXPECT_TRUE(
        has(r, 12, "proxy.connect_listen[1]: 127.0.0.1:3128 collides with proxy.connect_listen[0]"))
        << all(r);
    EXPECT_TRUE(has(r, 14, "admin.listen: 127.0.0.1:9100 collides with proxy.sni_listen[0]"))
        << all(r);
    // A disabled admin listener collides with nothing.
    r = load(minimal + "[proxy]\nsni_listen = [\"127.0.0.1:9100\"]\n[admin]\nenabled = false\n");
    EXPECT_TRUE(r.cfg) << all(r);
    // Different addresses, same port: fine.
    r = load(minimal + "[proxy]\nsni_listen = [\"127.0.0.2:9100\"]\n");
    EXPECT_TRUE(r.cfg) << all(r);
}

TEST(config_loader, syntax_error_has_its_place) {
    auto r = load("[dns]\nupstreams = [\"192.0.2.1\"\nsteer_ipv4 = 1\n");
    ASSERT_EQ(r.diagnostics.size(), 1u) << all(r);
    EXPECT_EQ(r.diagnostics[0].line, 3);
    EXPECT_NE(r.diagnostics[0].message.find("TOML syntax error"), std::string::npos);
}

TEST(config_loader, steer_names_normalised) {
    auto r = load(R"(
[dns]
upstreams = ["192.0.2.1"]
steer_ipv6 = ["2001:db8::10"]
steer_identity_center = true
steer_names = ["Console.AWS.Amazon.com."]
[proxy]
enabled = false
)");
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_EQ(r.cfg->dns.steer_names, (std::vector<std::string>{"console.aws.amazon.com"}));
    EXPECT_TRUE(r.cfg->dns.steer_identity_center);
}

TEST(config_loader, host_patterns_refuse_question_marks_and_partial_wildcards_with_the_fix) {
    auto r = load(minimal + R"(
[proxy]
inspect_hosts = ["*.aws.amazon.com", "signin.aws.amazon.com",
                 "sig*.aws.amazon.com", "signin.aws.amazon.co?", "*",
                 "signin.aws.amazon.com.."]
)");
    EXPECT_FALSE(r.cfg);
    EXPECT_TRUE(has(r, 12,
                    "proxy.inspect_hosts[2]: host pattern \"sig*.aws.amazon.com\" has '*' "
                    "inside a label"))
        << all(r);
    EXPECT_TRUE(has(r, 12, "\"*.example.com\" matches every name under example.com")) << all(r);
    EXPECT_TRUE(has(r, 12,
                    "proxy.inspect_hosts[3]: host pattern \"signin.aws.amazon.co?\" uses "
                    "'?'"))
        << all(r);
    EXPECT_TRUE(has(r, 12, "proxy.inspect_hosts[4]: host pattern \"*\" would match every name"))
        << all(r);
    EXPECT_TRUE(has(r, 13,
                    "proxy.inspect_hosts[5]: host pattern \"signin.aws.amazon.com..\" has "
                    "an empty label"))
        << all(r);
    EXPECT_EQ(r.diagnostics.size(), 4u) << all(r);
    ASSERT_GE(r.diagnostics.size(), 1u);
    EXPECT_EQ(r.diagnostics[0].column, 18);
}

const std::string steering = R"(
[dns]
upstreams = ["192.0.2.1"]
steer_ipv4 = ["192.0.2.10"]
steer_names = ["signin.aws.amazon.com",
  "*.aws.amazon.com", "Console.AWS.amazon.com."]
[ca]
cert = "ca.crt"
key = "ca.key"
[proxy]
)";

TEST(config_loader, a_steered_name_the_proxy_would_splice_is_an_error) {
    auto r = load(steering +
                  "inspect_hosts = [\"signin.aws.amazon.com\", \"console.aws.amazon.com\"]\n");
    EXPECT_FALSE(r.cfg);
    ASSERT_EQ(r.diagnostics.size(), 1u) << all(r);
    EXPECT_EQ(r.diagnostics[0].line, 6);
    EXPECT_EQ(r.diagnostics[0].column, 3);
    EXPECT_TRUE(has(r, 6,
                    "dns.steer_names[1]: \"*.aws.amazon.com\" is steered to the gateway but "
                    "not covered by proxy.inspect_hosts"))
        << all(r);
    EXPECT_TRUE(has(r, 6, "proxy.pass_through_hosts")) << all(r);
    // Covered by a wider inspect pattern, by the union of several, or on purpose.
    for (const char* fix :
         {"inspect_hosts = [\"*.amazon.com\"]\n",
          "inspect_hosts = [\"signin.aws.amazon.com\", \"*.aws.amazon.com\"]\n"
          "pass_through_hosts = [\"console.aws.amazon.com\"]\n",
          "inspect_hosts = [\"signin.aws.amazon.com\", \"console.aws.amazon.com\"]\n"
          "pass_through_hosts = [\"*.aws.amazon.com\"]\n",
          "inspect_hosts = [\"*.signin.aws.amazon.com\", \"signin.aws.amazon.com\", "
          "\"console.aws.amazon.com\", \"*.*.aws.amazon.com\"]\n"
          "pass_through_hosts = [\"docs.aws.amazon.com\", \"*.aws.amazon.com\"]\n",
          "enabled = false\n"}) {
        r = load(steering + fix);
        EXPECT_TRUE(r.cfg) << fix << all(r);
    }
    // Excepted or blocked names are not steered, so they need no inspection; the rest still do.
    r = load(R"(
[dns]
upstreams = ["192.0.2.1"]
steer_ipv4 = ["192.0.2.10"]
steer_names = ["*.example.com"]
steer_exceptions = ["*.example.com"]
[ca]
cert = "ca.crt"
key = "ca.key"
)");
    EXPECT_TRUE(r.cfg) << all(r);
    r = load(R"(
[dns]
upstreams = ["192.0.2.1"]
steer_ipv4 = ["192.0.2.10"]
steer_names = ["*.example.com"]
steer_exceptions = ["a.example.com"]
block_names = ["*.b.example.com"]
[ca]
cert = "ca.crt"
key = "ca.key"
)");
    EXPECT_TRUE(has(r, 5, "dns.steer_names[0]: \"*.example.com\" is steered")) << all(r);
}

TEST(config_loader, the_portals_steer_identity_center_adds_must_be_inspected) {
    auto r = load(R"(
[dns]
upstreams = ["192.0.2.1"]
steer_ipv4 = ["192.0.2.10"]
steer_identity_center = true
[proxy]
inspect_hosts = ["signin.aws.amazon.com", "*.signin.aws.amazon.com", "console.aws.amazon.com",
                 "*.console.aws.amazon.com"]
[ca]
cert = "ca.crt"
key = "ca.key"
)");
    EXPECT_TRUE(has(r, 2, "dns.steer_identity_center: \"portal.sso.*.amazonaws.com\" is steered"))
        << all(r);
    // The defaults agree with each other.
    r = load(minimal + "[dns.cache]\n");
    EXPECT_FALSE(has(r, 0, "is steered")) << all(r);
    r = load(R"(
[dns]
upstreams = ["192.0.2.1"]
steer_ipv4 = ["192.0.2.10"]
steer_identity_center = true
[ca]
cert = "ca.crt"
key = "ca.key"
)");
    EXPECT_TRUE(r.cfg) << all(r);
}

// Unwritten, dns.steer_names follows proxy.inspect_hosts, so narrowing inspect_hosts narrows
// steering instead of failing the cross-check; written, either key is the operator's word.
TEST(config_loader, dns_steering_follows_the_inspected_names_unless_written) {
    auto r = load(minimal +
                  "[proxy]\ninspect_hosts = [\"signin.aws.amazon.com\", "
                  "\"*.signin.aws.amazon.com\"]\n");
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_EQ(r.cfg->dns.steer_names,
              (std::vector<std::string>{"signin.aws.amazon.com", "*.signin.aws.amazon.com"}));
    EXPECT_FALSE(r.cfg->dns.steer_identity_center);  // the portal is not inspected
    r = load(R"(
[dns]
upstreams = ["192.0.2.1"]
steer_ipv4 = ["192.0.2.10"]
steer_identity_center = false
[ca]
cert = "ca.crt"
key = "ca.key"
)");
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_FALSE(r.cfg->dns.steer_identity_center);
    EXPECT_EQ(r.cfg->dns.steer_names.size(), r.cfg->proxy.inspect_hosts.size() - 1);
    EXPECT_EQ(std::count(r.cfg->dns.steer_names.begin(), r.cfg->dns.steer_names.end(),
                         "portal.sso.*.amazonaws.com"),
              0);
    r = load(R"(
[dns]
upstreams = ["192.0.2.1"]
steer_ipv4 = ["192.0.2.10"]
steer_names = ["signin.aws.amazon.com"]
[ca]
cert = "ca.crt"
key = "ca.key"
)");
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_EQ(r.cfg->dns.steer_names, (std::vector<std::string>{"signin.aws.amazon.com"}));
    EXPECT_TRUE(r.cfg->dns.steer_identity_center);  // inspected by default, so steered
    // With the proxy off there is nothing to follow: the defaults stand, and they are the names
    // the proxy inspects by default (a DNS-only replica steers what another's proxy inspects).
    r = load(minimal + "[proxy]\nenabled = false\n");
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_EQ(r.cfg->dns.steer_names, core::dns_config{}.steer_names);
    EXPECT_EQ(r.cfg->dns.steer_names, core::proxy_config{}.inspect_hosts);
}

TEST(config_loader, pass_through_hosts_are_host_patterns) {
    auto r = load(minimal +
                  "[proxy]\npass_through_hosts = [\"Docs.AWS.amazon.com.\", \"*.example.com\"]\n");
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_EQ(r.cfg->proxy.pass_through_hosts,
              (std::vector<std::string>{"docs.aws.amazon.com", "*.example.com"}));
    r = load(minimal + "[proxy]\npass_through_hosts = [\"docs?.aws.amazon.com\"]\n");
    EXPECT_TRUE(has(r, 10, "proxy.pass_through_hosts[0]: host pattern")) << all(r);
}

TEST(config_loader, upstream_overrides) {
    auto r = load(minimal + R"(
[[proxy.upstream_override]]
host = "Signin.AWS.Amazon.com."
address = "127.0.0.1:9443"
ca_bundle = "origin.pem"
[[proxy.upstream_override]]
host = "*.signin.aws.amazon.com"
address = "127.0.0.1"
[[proxy.upstream_override]]
ca_bundle = 3
)");
    EXPECT_TRUE(has(r, 15, "one exact host (no '*' or '?')")) << all(r);
    EXPECT_TRUE(has(r, 16, "the port is missing")) << all(r);
    EXPECT_TRUE(has(r, 17, "`host` is required")) << all(r);
    EXPECT_TRUE(has(r, 17, "`address` (\"ip:port\") is required")) << all(r);
    EXPECT_TRUE(has(r, 18, "ca_bundle: expected a path string, got an integer")) << all(r);
    EXPECT_EQ(r.diagnostics.size(), 5u) << all(r);
    r = load(minimal +
             "[[proxy.upstream_override]]\nhost = \"Signin.AWS.Amazon.com.\"\naddress = "
             "\"[::1]:9443\"\n");
    ASSERT_TRUE(r.cfg) << all(r);
    ASSERT_EQ(r.cfg->proxy.upstream_overrides.size(), 1u);
    EXPECT_EQ(r.cfg->proxy.upstream_overrides[0].host, "signin.aws.amazon.com");
    EXPECT_EQ(r.cfg->proxy.upstream_overrides[0].address.str(), "[::1]:9443");
}

TEST(config_loader, team_dynamodb_keys) {
    auto r = load(minimal + R"(
[team]
enabled = true
[team.dynamodb]
endpoint = "http://127.0.0.1:8000"
region = "eu-west-1"
table = "requests-abc123-main"
poll_interval = "30s"
request_timeout = "5s"
page_size = 100
profile = "team-reader"
)");
    ASSERT_TRUE(r.cfg) << all(r);
    const auto& d = r.cfg->team.dynamodb;
    EXPECT_EQ(d.table, "requests-abc123-main");
    EXPECT_EQ(d.poll_interval, std::chrono::seconds(30));
    EXPECT_EQ(d.request_timeout, std::chrono::seconds(5));
    EXPECT_EQ(d.page_size, 100u);
    EXPECT_EQ(d.profile, "team-reader");
    auto defaults = load(minimal);
    ASSERT_TRUE(defaults.cfg);
    EXPECT_EQ(defaults.cfg->team.dynamodb.poll_interval, std::chrono::seconds(15));
    for (const char* ok : {"http://localhost:8000", "http://[::1]:4567/", "http://127.0.0.9"}) {
        auto l = load(minimal + "[team]\nenabled = true\n[team.dynamodb]\nendpoint = \"" + ok +
                      "\"\nregion = \"x\"\n");
        EXPECT_TRUE(l.cfg) << ok << all(l);
    }
    for (const char* bad : {"http://dynamodb.eu-west-1.amazonaws.com", "http://127.evil.test",
                            "http://10.0.0.1:8000", "http://[::1]evil"}) {
        auto l = load(minimal + "[team]\nenabled = true\n[team.dynamodb]\nendpoint = \"" + bad +
                      "\"\nregion = \"x\"\n");
        EXPECT_TRUE(has(l, 12, "plain http:// only to a loopback host")) << bad << all(l);
    }
    auto both = load(minimal +
                     "[team]\nenabled = true\nsnapshot_file = \"t.json\"\n[team.dynamodb]\n"
                     "endpoint = \"http://127.0.0.1:1\"\nregion = \"x\"\n");
    EXPECT_TRUE(has(both, 9, "not both")) << all(both);
}

// TEAM elevates accounts of the partition it runs in (core::elevation_window): team.partition
// says which, else the table's Region does, else commercial; a key the table's Region
// contradicts, or that names no partition, is refused at its line.
TEST(config_loader, team_partition_is_the_partition_team_runs_in) {
    auto cfg = [](const std::string& team) {
        return load(minimal + "[team]\nenabled = true\n" + team);
    };
    auto r = cfg("snapshot_file = \"t.json\"\n");
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_EQ(r.cfg->team.aws_partition, partition::aws);
    r = cfg("snapshot_file = \"t.json\"\npartition = \"aws-us-gov\"\n");
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_EQ(r.cfg->team.aws_partition, partition::aws_us_gov);
    const std::string table =
        "[team.dynamodb]\nendpoint = \"https://dynamodb.us-gov-west-1.amazonaws.com\"\n";
    for (auto [keys, want] : {std::pair{"region = \"us-gov-west-1\"\n", partition::aws_us_gov},
                              {"region = \"cn-north-1\"\n", partition::aws_cn},
                              {"region = \"eusc-de-east-1\"\n", partition::aws_eusc},
                              {"region = \"us-isob-east-1\"\n", partition::aws_iso_b},
                              {"region = \"eu-west-1\"\n", partition::aws}}) {
        r = cfg(table + keys);
        ASSERT_TRUE(r.cfg) << keys << all(r);
        EXPECT_EQ(r.cfg->team.aws_partition, want) << keys;
    }
    r = cfg("partition = \"aws-us-gov\"\n" + table + "region = \"us-gov-east-1\"\n");
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_EQ(r.cfg->team.aws_partition, partition::aws_us_gov);
    r = cfg("partition = \"aws\"\n" + table + "region = \"us-gov-west-1\"\n");
    EXPECT_FALSE(r.cfg);
    EXPECT_TRUE(has(r, 11,
                    "is not the partition of team.dynamodb.region \"us-gov-west-1\" "
                    "(aws-us-gov)"))
        << all(r);
    r = cfg("snapshot_file = \"t.json\"\npartition = \"govcloud\"\n");
    EXPECT_TRUE(has(r, 12, "team.partition must be \"aws\", \"aws-us-gov\" or \"aws-cn\""))
        << all(r);
    // A gated rule in a partition TEAM does not run in never allows there: a note at the rule.
    r = load(minimal +
             "[policy]\npartitions = [\"aws\", \"aws-us-gov\"]\n[[policy.rule]]\nname = \"g\"\n"
             "effect = \"allow-with-elevation\"\naccounts = [\"777788889999\"]\n"
             "partitions = [\"aws\", \"aws-us-gov\"]\n[team]\nenabled = true\n"
             "snapshot_file = \"t.json\"\n");
    ASSERT_TRUE(r.cfg) << all(r);
    ASSERT_EQ(r.notes.size(), 1u);
    EXPECT_EQ(r.notes[0].line, 11);
    EXPECT_NE(r.notes[0].message.find("is allow-with-elevation in aws-us-gov, where it never "
                                      "allows"),
              std::string::npos)
        << r.notes[0].message;
    r = load(minimal +
             "[policy]\npartitions = [\"aws\", \"aws-us-gov\"]\n[[policy.rule]]\nname = \"g\"\n"
             "effect = \"allow-with-elevation\"\naccounts = [\"777788889999\"]\n"
             "partitions = [\"aws-us-gov\"]\n[team]\nenabled = true\n"
             "snapshot_file = \"t.json\"\npartition = \"aws-us-gov\"\n");
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_TRUE(r.notes.empty()) << r.notes[0].message;
    r = load(minimal + "[team]\npartition = \"aws-us-gov\"\n");
    EXPECT_TRUE(has(r, 10, "team.partition has no effect while team.enabled is false")) << all(r);
}

// [team] keys that would validate and do nothing are refused at their line, with the fix: the
// feed is read only with `enabled = true`, DynamoDB only with an endpoint, and timings that make
// the feed never (or only now and then) usable are not timings.
TEST(config_loader, team_keys_that_would_do_nothing_are_refused) {
    auto r = load(minimal + "[team]\nsnapshot_file = \"t.json\"\n");
    EXPECT_TRUE(has(r, 10, "team.snapshot_file has no effect while team.enabled is false"))
        << all(r);
    EXPECT_TRUE(has(r, 10, "set `enabled = true`")) << all(r);
    r = load(minimal +
             "[team]\nenabled = false\nstaleness_limit = \"5m\"\nclock_skew = \"30s\"\n"
             "request_url = \"https://team.example/\"\n");
    EXPECT_TRUE(has(r, 11, "team.staleness_limit has no effect")) << all(r);
    EXPECT_TRUE(has(r, 12, "team.clock_skew has no effect")) << all(r);
    EXPECT_EQ(r.diagnostics.size(), 2u) << all(r);  // request_url serves the block page anyway
    r = load(minimal +
             "[team.dynamodb]\nendpoint = \"https://dynamodb.eu-west-1.amazonaws.com\"\n"
             "region = \"eu-west-1\"\n");
    EXPECT_TRUE(has(r, 9, "[team.dynamodb] has no effect while team.enabled is false")) << all(r);
    r = load(minimal +
             "[team]\nenabled = true\nsnapshot_file = \"t.json\"\n[team.dynamodb]\n"
             "region = \"eu-west-1\"\ntable = \"requests-abc-main\"\n");
    EXPECT_TRUE(has(r, 12, "[team.dynamodb] has no `endpoint`, so nothing reads the table"))
        << all(r);
    EXPECT_TRUE(has(r, 12, "https://dynamodb.eu-west-1.amazonaws.com")) << all(r);
    for (const char* bad : {"staleness_limit = \"0s\"",
                            "staleness_limit = \"10s\"\n"
                            "[team.dynamodb]\npoll_interval = \"15s\""}) {
        r = load(minimal + "[team]\nenabled = true\n" + bad +
                 (std::string(bad).find("dynamodb") == std::string::npos
                      ? "\nsnapshot_file = \"t.json\"\n"
                      : "\nendpoint = \"http://127.0.0.1:1\"\nregion = \"x\"\n"));
        EXPECT_TRUE(has(r, 11, "team.staleness_limit")) << bad << all(r);
    }
    r = load(minimal +
             "[team]\nenabled = true\n[team.dynamodb]\nendpoint = \"http://127.0.0.1:1\"\n"
             "region = \"x\"\npoll_interval = \"0s\"\nrequest_timeout = \"0s\"\n");
    EXPECT_TRUE(has(r, 14, "team.dynamodb.poll_interval")) << all(r);
    EXPECT_TRUE(has(r, 15, "team.dynamodb.request_timeout")) << all(r);
    r = load(minimal +
             "[team]\nenabled = true\nsnapshot_file = \"t.json\"\n"
             "staleness_limit = \"1m\"\n");
    EXPECT_TRUE(r.cfg) << all(r);
}

TEST(config_loader, team_secrets_never_in_the_file) {
    auto r = load(minimal + R"(
[team]
enabled = true
[team.dynamodb]
endpoint = "https://dynamodb.eu-west-1.amazonaws.com"
region = "eu-west-1"
secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
access_key_id_env = "1BAD"
)");
    EXPECT_TRUE(has(r, 15, "credentials must not be written in the configuration")) << all(r);
    EXPECT_TRUE(has(r, 15, "`secret_access_key_env`")) << all(r);
    EXPECT_TRUE(has(r, 16, "environment variable name")) << all(r);
    EXPECT_EQ(r.diagnostics.size(), 2u) << all(r);
    r = load(minimal + "[team]\nenabled = true\n");
    EXPECT_TRUE(has(r, 9, "team: enabled needs a feed")) << all(r);
    r = load(minimal + "[team]\nenabled = true\n[team.dynamodb]\nendpoint = \"dynamodb\"\n");
    EXPECT_TRUE(has(r, 12, "http:// or https://")) << all(r);
    EXPECT_TRUE(has(r, 11, "`region` is required")) << all(r);
}

TEST(config_loader, many_problems_in_one_run) {
    auto r = load(R"(
[general]
workers = "two"
[dns]
upstreams = [53]
steer_ipv4 = ["not-an-ip"]
[proxy]
max_inspect_body = "lots"
[ca]
cert = 5
[[policy.rule]]
name = "r"
effect = "maybe"
accounts = [123]
)");
    EXPECT_FALSE(r.cfg);
    EXPECT_GE(r.diagnostics.size(), 7u) << all(r);
    for (int line : {3, 5, 6, 8, 10, 13, 14})
        EXPECT_TRUE(has(r, line, "")) << line << "\n" << all(r);
}

TEST(config_loader, rules_appended_in_name_order) {
    auto dir = cgtest::scratch();
    cgtest::write(dir / "main.toml",
                  "include = [\"policies/*.toml\"]\n" + minimal +
                      "[[policy.rule]]\nname = \"main\"\neffect = \"deny\"\nmatch_all = true\n");
    cgtest::write(dir / "policies/b.toml",
                  "[[policy.rule]]\nname = \"b\"\neffect = \"allow\"\nusers = [\"b\"]\n");
    cgtest::write(dir / "policies/a.toml",
                  "[policy]\nmode = \"report-only\"\n[[policy.rule]]\nname = \"a\"\neffect = "
                  "\"allow\"\nusers = [\"a\"]\n");
    cgtest::write(dir / "policies/ignored.txt", "not toml");
    auto r = load_config(dir / "main.toml");
    ASSERT_TRUE(r.cfg) << all(r);
    ASSERT_EQ(r.cfg->policy.rules.size(), 3u);
    EXPECT_EQ(r.cfg->policy.rules[0].name, "main");
    EXPECT_EQ(r.cfg->policy.rules[1].name, "a");
    EXPECT_EQ(r.cfg->policy.rules[2].name, "b");
    EXPECT_EQ(r.cfg->policy.rules[1].where.file, (dir / "policies/a.toml").string());
    EXPECT_TRUE(r.cfg->policy.report_only);
    EXPECT_EQ(r.cfg->files.size(), 3u);
}

TEST(config_loader, redefinitions_and_duplicates_across_files) {
    auto dir = cgtest::scratch();
    cgtest::write(dir / "main.toml", "include = [\"more.toml\"]\n" + minimal +
                                         "[policy]\nmode = \"enforce\"\n[[policy.rule]]\nname = "
                                         "\"r\"\neffect = \"deny\"\nmatch_all = true\n");
    cgtest::write(dir / "more.toml",
                  "[dns]\nupstreams = [\"192.0.2.9\"]\n[policy]\nmode = \"report-only\"\n"
                  "[[policy.rule]]\nname = \"r\"\neffect = \"allow\"\nmatch_all = true\n");
    auto r = load_config(dir / "main.toml");
    EXPECT_FALSE(r.cfg);
    EXPECT_TRUE(has(r, 1, "`dns` is already defined at " + (dir / "main.toml").string() + ":3:1"))
        << all(r);
    EXPECT_TRUE(has(r, 4, "`policy.mode` is already defined")) << all(r);
    EXPECT_TRUE(has(r, 6, "duplicate rule name")) << all(r);
    EXPECT_EQ(r.diagnostics.size(), 4u) << all(r);
}

// Issue 17 (faults): an include that is not a regular file is refused at once. A FIFO used to
// block the load (open(2) waits for a writer), hanging a reload; a directory is refused too.
TEST(config_loader, an_include_that_is_not_a_regular_file_is_refused_without_blocking) {
    auto dir = cgtest::scratch();
    ASSERT_EQ(::mkfifo((dir / "pipe.toml").c_str(), 0600), 0);
    std::filesystem::create_directories(dir / "dir.toml");
    cgtest::write(dir / "main.toml", "include = [\"pipe.toml\", \"dir.toml\"]\n" + minimal);
    const auto started = std::chrono::steady_clock::now();
    auto r = load_config(dir / "main.toml");
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
    EXPECT_FALSE(r.cfg);
    EXPECT_TRUE(has(
        r, 1,
        "cannot read included file \"" + (dir / "pipe.toml").string() + "\": not a regular file"))
        << all(r);
    EXPECT_TRUE(has(
        r, 1, "cannot read included file \"" + (dir / "dir.toml").string() + "\": Is a directory"))
        << all(r);
}

TEST(config_loader, cycles_and_missing_files) {
    auto dir = cgtest::scratch();
    cgtest::write(dir / "main.toml", "include = [\"a.toml\", \"missing.toml\"]\n" + minimal);
    cgtest::write(dir / "a.toml", "include = [\"sub/b.toml\"]\n");
    cgtest::write(dir / "sub/b.toml", "include = [\"../main.toml\"]\n");
    auto r = load_config(dir / "main.toml");
    EXPECT_TRUE(has(r, 1, "include cycle: main.toml -> a.toml -> b.toml -> main.toml")) << all(r);
    EXPECT_TRUE(has(r, 1,
                    "cannot read included file \"" + (dir / "missing.toml").string() +
                        "\": No such file or directory"))
        << all(r);
    EXPECT_EQ(r.diagnostics.size(), 2u) << all(r);
    // A syntax error in an include is reported in that file.
    cgtest::write(dir / "a.toml", "[[policy.rule]\n");
    cgtest::write(dir / "main.toml", "include = [\"a.toml\"]\n" + minimal);
    r = load_config(dir / "main.toml");
    ASSERT_EQ(r.diagnostics.size(), 1u) << all(r);
    EXPECT_EQ(r.diagnostics[0].file, (dir / "a.toml").string());
    EXPECT_EQ(r.diagnostics[0].line, 1);
    // Patterns only in the file name; a pattern matching nothing is fine.
    cgtest::write(dir / "main.toml",
                  "include = [\"*/x.toml\", \"none/*.toml\", \"empty-*.toml\"]\n" + minimal);
    r = load_config(dir / "main.toml");
    EXPECT_TRUE(has(r, 1, "include[0]: wildcards are allowed only in the file name")) << all(r);
    EXPECT_TRUE(has(r, 1, "include[1]: cannot list directory")) << all(r);
    EXPECT_EQ(r.diagnostics.size(), 2u) << all(r);
}

// Every sample configuration shipped in config/ and deploy/ loads without a single diagnostic, so
// the examples cannot rot. A .toml that is not a configuration by itself (an include fragment,
// an alias map) must be read by one that is.
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

TEST(config_loader, every_toml_loads_cleanly) {
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

TEST(config_loader, demo_is_loopback_only) {
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
    EXPECT_EQ(c.admin.listen.str(), "127.0.0.1:8461");
    auto root = std::filesystem::path(CG_SOURCE_DIR).lexically_normal();
    auto config_dir = root / "config";
    EXPECT_EQ(c.ca.cert, root / "demo-state/ca/ca.crt");
    EXPECT_EQ(c.audit.jsonl_path, root / "demo-state/audit.jsonl");
    EXPECT_EQ(c.audit.sqlite_path, root / "demo-state/audit.sqlite");
    EXPECT_EQ(c.admin.reviewer_token_file, root / "demo-state/reviewer.token");
    EXPECT_EQ(c.admin.operator_token_file, root / "demo-state/operator.token");
    EXPECT_EQ(c.team.snapshot_file, config_dir / "demo-team.json");
    EXPECT_FALSE(c.policy.accounts.empty());
    EXPECT_FALSE(c.policy.aliases.empty());
}

}  // namespace
}  // namespace consolegate::core
