#include "host_routes.hpp"

#include <stdexcept>

namespace consolegate::proxy {
namespace {

core::host_set compile(const std::vector<std::string>& patterns, const char* key) {
    auto s = core::host_set::compile(patterns);
    if (!s) throw std::invalid_argument(std::string("proxy: bad pattern in ") + key);
    return std::move(*s);
}

}  // namespace

host_routes::host_routes(const core::proxy_config& p)
    : inspect_(compile(p.inspect_hosts, "inspect_hosts")),
      pass_(compile(p.pass_through_hosts, "pass_through_hosts")),
      not_inspected_(p.not_inspected) {}

route host_routes::tls(std::string_view connect_host, std::string_view sni) const noexcept {
    const auto host = connect_host.empty() ? sni : connect_host;
    if (!core::is_canonical_host(host)) return route::refuse;  // also: no SNI on the SNI path
    if (!sni.empty() && !core::is_canonical_host(sni)) return route::refuse;
    if (inspected(host) || (!sni.empty() && inspected(sni))) {
        return sni.empty() || sni == host ? route::inspect : route::refuse;
    }
    if (passed_through(host) && (sni.empty() || passed_through(sni))) return route::splice;
    return not_inspected_ == core::not_inspected_action::refuse ? route::refuse : route::splice;
}

route host_routes::connect_target(std::string_view host) const noexcept {
    if (!core::is_canonical_host(host)) return route::refuse;
    return inspected(host) ? route::inspect : route::splice;
}

route host_routes::plain_http(std::string_view host) const noexcept {
    if (!core::is_canonical_host(host)) return route::refuse;
    return inspected(host) ? route::inspect : route::splice;
}

}  // namespace consolegate::proxy
