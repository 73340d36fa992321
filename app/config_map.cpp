#include "config_map.hpp"

namespace consolegate::app {
namespace {

template <class Endpoint>
std::vector<Endpoint> endpoints(const std::vector<core::endpoint>& in) {
    std::vector<Endpoint> out;
    for (auto& e : in) out.push_back({e.address, e.port});
    return out;
}

std::chrono::seconds secs(core::duration d) {
    return std::chrono::duration_cast<std::chrono::seconds>(d);
}

}  // namespace

proxy::options proxy_options(const core::config& c) {
    const auto& p = c.proxy;
    proxy::options o;
    o.enabled = p.enabled;
    o.sni_listen = endpoints<proxy::endpoint>(p.sni_listen);
    o.connect_listen = endpoints<proxy::endpoint>(p.connect_listen);
    o.inspect_hosts = p.inspect_hosts;
    o.not_inspected = p.not_inspected == core::not_inspected_action::refuse
                          ? proxy::not_inspected_action::refuse
                          : proxy::not_inspected_action::splice;
    o.connect_ports = p.connect_ports;
    o.allow_clients = p.allow_clients;
    o.allow_destinations = p.allow_destinations;
    o.handshake_timeout = p.handshake_timeout;
    o.header_timeout = p.header_timeout;
    o.idle_timeout = p.idle_timeout;
    o.upstream_timeout = p.upstream_timeout;
    o.max_header_bytes = p.max_header_bytes;
    o.max_inspect_body = p.max_inspect_body;
    o.max_request_body = p.max_request_body;
    o.max_connections = p.max_connections;
    o.leaf_cache_size = p.leaf_cache_size;
    o.leaf_validity = secs(p.leaf_validity);
    o.leaf_backdate = secs(p.leaf_backdate);
    o.upstream_resolvers = endpoints<proxy::endpoint>(
        p.upstream_resolvers.empty() ? c.dns.upstreams : p.upstream_resolvers);
    o.upstream_ca_bundle = p.upstream_ca_bundle.string();
    for (auto& ov : p.upstream_overrides) {
        o.upstream_overrides.push_back(
            {ov.host, {ov.address.address, ov.address.port}, ov.ca_bundle.string()});
    }
    // Elevation-gated denials point at TEAM; the block page's own URL wins when both are set.
    o.block_page.team_url =
        p.block_page.team_url.empty() ? c.team.request_url : p.block_page.team_url;
    o.block_page.contact = p.block_page.contact;
    o.ca_cert = c.ca.cert.string();
    o.ca_key = c.ca.key.string();
    return o;
}

net::cares_options upstream_resolver_options(const core::config& c) {
    net::cares_options o;
    const auto& from =
        c.proxy.upstream_resolvers.empty() ? c.dns.upstreams : c.proxy.upstream_resolvers;
    for (auto& e : from) o.servers.push_back({e.address, e.port});
    o.timeout = c.dns.upstream_timeout;
    o.tries = c.dns.upstream_retries + 1;
    return o;
}

}  // namespace consolegate::app
