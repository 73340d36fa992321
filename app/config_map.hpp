#pragma once
// The configuration (core::config, as loaded and validated) mapped onto the proxy's options (the
// DNS service takes core::dns_config itself).
// Pure: no I/O. The modules own their option structs so they never depend on the loader.

#include "consolegate/core/config.hpp"
#include "consolegate/net/cares_resolver.hpp"
#include "consolegate/proxy/options.hpp"

namespace consolegate::app {

proxy::options proxy_options(const core::config& c);
// The resolver the proxy asks for real upstream addresses: proxy.upstream_resolvers, or
// dns.upstreams when empty; never the gateway's own listener (it would answer with itself).
net::cares_options upstream_resolver_options(const core::config& c);

}  // namespace consolegate::app
