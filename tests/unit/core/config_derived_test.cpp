#include "consolegate/core/config_derived.hpp"

#include <gtest/gtest.h>

namespace cg = consolegate;

namespace {
cg::core::config load(std::string_view toml) {
    auto r = cg::core::load_config_text(toml, "/etc/consolegate/test.toml");
    EXPECT_TRUE(r.cfg) << (r.diagnostics.empty() ? ""
                                                 : cg::core::format_diagnostic(r.diagnostics[0]));
    return r.cfg ? *r.cfg : cg::core::config{};
}

constexpr std::string_view gateway = R"(
[dns]
listen = ["127.0.0.1:5300"]
upstreams = ["192.0.2.53:5353"]
steer_ipv4 = ["192.0.2.10"]
[proxy]
sni_listen = ["127.0.0.1:8443"]
connect_listen = ["127.0.0.1:3128"]
max_request_body = "8MiB"
[proxy.block_page]
contact = "secops"
[team]
request_url = "https://team.example/requests"
[ca]
cert = "ca/ca.crt"
key = "ca/ca.key"
)";
}  // namespace

TEST(config_derived, proxy_resolvers_never_default_to_the_gateway_itself) {
    auto c = load(gateway);
    auto r = cg::core::proxy_upstream_resolution(c);
    ASSERT_EQ(r.servers.size(), 1u);
    EXPECT_EQ(r.servers[0].port, 5353);  // dns.upstreams, not dns.listen
    EXPECT_EQ(r.tries, 3u);
    EXPECT_EQ(r.timeout, c.dns.upstream_timeout);
    // What the proxy reads straight from the one schema.
    EXPECT_EQ(c.proxy.block_page.contact, "secops");
    EXPECT_EQ(c.ca.cert, "/etc/consolegate/ca/ca.crt");  // relative to the config file
    EXPECT_EQ(c.proxy.max_request_body, 8u * 1024 * 1024);
}

TEST(config_derived, proxy_resolvers_of_their_own_win) {
    auto c = load(gateway);
    c.proxy.upstream_resolvers = {{*cg::core::ip_address::parse("192.0.2.99"), 53}};
    auto r = cg::core::proxy_upstream_resolution(c);
    ASSERT_EQ(r.servers.size(), 1u);
    EXPECT_EQ(r.servers[0], c.proxy.upstream_resolvers[0]);
}

TEST(config_derived, block_page_team_url_falls_back_to_the_team_request_url) {
    auto c = load(gateway);
    EXPECT_EQ(cg::core::block_page_team_url(c), "https://team.example/requests");
    c.proxy.block_page.team_url = "https://elevate.example/";
    EXPECT_EQ(cg::core::block_page_team_url(c), "https://elevate.example/");
    c.proxy.block_page.team_url.clear();
    c.team.request_url.clear();
    EXPECT_EQ(cg::core::block_page_team_url(c), "");
}
