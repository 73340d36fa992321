#pragma once
// Values derived from more than one config section, computed once here so every module (the
// proxy, the app's wiring, check-config) derives them the same way. Pure: no I/O.

#include <string>
#include <vector>

#include "consolegate/core/config.hpp"

namespace consolegate::core {

// The resolvers the proxy asks for the real addresses of upstream hosts: proxy.upstream_resolvers,
// or dns.upstreams when that is empty; never the gateway's own DNS listener (it would answer with
// the gateway itself). Timeout and attempts per server come from [dns].
struct upstream_resolution {
    std::vector<endpoint> servers;
    duration timeout{};
    unsigned tries = 0;  // attempts per server: dns.upstream_retries + 1
};
upstream_resolution proxy_upstream_resolution(const config& c);

// Where the block page sends a person to request elevation: proxy.block_page.team_url, or
// team.request_url when that is empty (the block page's own URL wins when both are set).
const std::string& block_page_team_url(const config& c);

}  // namespace consolegate::core
