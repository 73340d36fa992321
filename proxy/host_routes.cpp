#include "host_routes.hpp"

#include <algorithm>
#include <stdexcept>

#include "consolegate/core/partition.hpp"

namespace consolegate::proxy {
namespace {

core::host_set compile(const std::vector<std::string>& patterns, const char* key) {
    auto s = core::host_set::compile(patterns);
    if (!s) throw std::invalid_argument(std::string("proxy: bad pattern in ") + key);
    return std::move(*s);
}

bool hex_digit(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

// The WHATWG URL parser's "ends in a number": the last label is digits, or 0x and hex digits.
bool ends_in_number(std::string_view host) {
    auto last = host.substr(host.rfind('.') == std::string_view::npos ? 0 : host.rfind('.') + 1);
    if (last.empty()) return false;
    if (last.size() >= 2 && last[0] == '0' && last[1] == 'x') {
        return std::all_of(last.begin() + 2, last.end(), hex_digit);
    }
    return std::all_of(last.begin(), last.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

bool host_routes::acceptable(std::string_view host) noexcept {
    if (!core::is_canonical_host(host)) return false;
    if (host.find(':') != std::string_view::npos) return true;  // IPv6, canonical
    if (!ends_in_number(host)) return true;
    auto a = core::ip_address::parse(host);  // inet_pton: dotted quad, no leading zeros
    return a && a->is_v4();
}

bool host_routes::aws_front(std::string_view host) noexcept {
    // AWS's own zones, not the customers' names served by them: an ECH config's public name is
    // the operator's. amazon.com itself is the retail site; only aws.amazon.com is AWS's.
    static constexpr std::string_view domains[] = {
        "aws.amazon.com",           "amazonaws.com", "amazonaws.com.cn",
        "amazonaws-us-gov.com",     "amazonaws.cn",  "aws",
        "cloudfront.net",           "awsapps.com",   "awsapps.cn",
        "amazonwebservices.com.cn", "awsstatic.com", "awsglobalaccelerator.com"};
    auto under = [&](std::string_view d) {
        return host == d || (host.size() > d.size() && host.ends_with(d) &&
                             host[host.size() - d.size() - 1] == '.');
    };
    for (auto d : domains) {
        if (under(d)) return true;
    }
    // Every partition's console, service and dual-stack domains (the ISO partitions' and the
    // European Sovereign Cloud's among them: core/partition.hpp).
    for (const auto& p : core::partitions) {
        if (under(p.site_domain) || under(p.service_domain) || under(p.dual_stack_domain))
            return true;
    }
    return false;
}

host_routes::host_routes(const core::proxy_config& p)
    : inspect_(compile(p.inspect_hosts, "inspect_hosts")),
      pass_(compile(p.pass_through_hosts, "pass_through_hosts")),
      not_inspected_(p.not_inspected) {}

route host_routes::tls(std::string_view connect_host, std::string_view sni) const noexcept {
    const auto host = connect_host.empty() ? sni : connect_host;
    if (!acceptable(host)) return route::refuse;  // also: no SNI on the SNI path
    if (!sni.empty() && !acceptable(sni)) return route::refuse;
    if (inspected(host) || (!sni.empty() && inspected(sni))) {
        return sni.empty() || sni == host ? route::inspect : route::refuse;
    }
    if (passed_through(host) && (sni.empty() || passed_through(sni))) return route::splice;
    return not_inspected_ == core::not_inspected_action::refuse ? route::refuse : route::splice;
}

route host_routes::connect_target(std::string_view host) const noexcept {
    if (!acceptable(host)) return route::refuse;
    if (inspected(host)) return route::inspect;
    if (passed_through(host)) return route::splice;
    return not_inspected_ == core::not_inspected_action::refuse ? route::refuse : route::splice;
}

route host_routes::plain_http(std::string_view host) const noexcept {
    return connect_target(host);
}

route host_routes::to_inspected_address(std::string_view connect_host,
                                        std::string_view sni) const noexcept {
    // Pass-through needs the operator's name where the client named the server: a CONNECT by
    // IP literal to such an address never splices, whatever the SNI says.
    const bool by_literal = !connect_host.empty() && core::ip_address::parse(connect_host);
    const bool passed = connect_host.empty() ? !sni.empty() && passed_through(sni)
                                             : !by_literal && passed_through(connect_host) &&
                                                   (sni.empty() || passed_through(sni));
    if (passed) return route::splice;
    if (sni.empty() || !acceptable(sni) || core::ip_address::parse(sni)) return route::refuse;
    if (!connect_host.empty() && connect_host != sni) return route::refuse;
    return route::inspect;
}

}  // namespace consolegate::proxy
