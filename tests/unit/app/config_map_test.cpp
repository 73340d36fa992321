#include "config_map.hpp"

#include <gtest/gtest.h>

namespace cg = consolegate;
using namespace std::chrono_literals;

namespace {
cg::core::config load(std::string_view toml) {
    auto r = cg::core::load_config_text(toml, "/etc/consolegate/test.toml");
    EXPECT_TRUE(r.cfg) << (r.diagnostics.empty() ? ""
                                                 : cg::core::format_diagnostic(r.diagnostics[0]));
    return r.cfg ? *r.cfg : cg::core::config{};
}
}  // namespace

TEST(config_map, proxy_resolvers_never_default_to_the_gateway_itself) {
    auto c = load(R"(
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
)");
    auto p = cg::app::proxy_options(c);
    ASSERT_EQ(p.upstream_resolvers.size(), 1u);
    EXPECT_EQ(p.upstream_resolvers[0].port, 5353);  // dns.upstreams, not dns.listen
    EXPECT_EQ(p.block_page.team_url, "https://team.example/requests");
    EXPECT_EQ(p.block_page.contact, "secops");
    EXPECT_EQ(p.ca_cert, "/etc/consolegate/ca/ca.crt");  // relative to the config file
    EXPECT_EQ(p.max_request_body, 8u * 1024 * 1024);
    auto r = cg::app::upstream_resolver_options(c);
    ASSERT_EQ(r.servers.size(), 1u);
    EXPECT_EQ(r.servers[0].port, 5353);
    EXPECT_EQ(r.tries, 3u);
}
