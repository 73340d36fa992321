#include "consolegate/core/config_derived.hpp"

namespace consolegate::core {

upstream_resolution proxy_upstream_resolution(const config& c) {
    upstream_resolution r;
    r.servers = c.proxy.upstream_resolvers.empty() ? c.dns.upstreams : c.proxy.upstream_resolvers;
    r.timeout = c.dns.upstream_timeout;
    r.tries = c.dns.upstream_retries + 1;
    return r;
}

const std::string& block_page_team_url(const config& c) {
    return c.proxy.block_page.team_url.empty() ? c.team.request_url : c.proxy.block_page.team_url;
}

}  // namespace consolegate::core
