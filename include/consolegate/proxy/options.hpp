#pragma once
// The proxy's settings, pre-parsed from `[proxy]`, `[proxy.block_page]`,
// `[[proxy.upstream_override]]` and `[ca]` so no hot path ever parses a string. Member initialisers
// are the defaults. Immutable once handed to the service (shared as std::shared_ptr<const
// options>).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "consolegate/core/address.hpp"

namespace consolegate::proxy {

struct endpoint {
    core::ip_address address;
    std::uint16_t port = 0;
    friend bool operator==(const endpoint&, const endpoint&) = default;
};

struct upstream_override {
    std::string host;       // exact host name, lower case, no trailing dot
    endpoint address;       // where to connect instead of resolving `host`
    std::string ca_bundle;  // extra PEM bundle trusted for this host ("" = only the usual store)
};

enum class not_inspected_action { splice, refuse };

struct block_page_options {
    std::string team_url;  // where to request elevation (TEAM); shown on the block page
    std::string contact;   // free text shown when there is no TEAM URL
};

struct options {
    bool enabled = true;
    std::vector<endpoint> sni_listen;      // the DNS-steered path (":443")
    std::vector<endpoint> connect_listen;  // explicit proxy (CONNECT and absolute-form GET)
    // `*.x` = strict subdomains of x on label boundaries; `*` elsewhere = exactly one label.
    std::vector<std::string> inspect_hosts{"signin.aws.amazon.com", "*.signin.aws.amazon.com",
                                           "console.aws.amazon.com", "*.console.aws.amazon.com",
                                           "portal.sso.*.amazonaws.com"};
    not_inspected_action not_inspected = not_inspected_action::splice;
    std::vector<std::uint16_t> connect_ports{443};
    std::vector<core::cidr> allow_clients;       // empty = nobody (fail closed)
    std::vector<core::cidr> allow_destinations;  // allowed although loopback/private/link-local
    std::chrono::milliseconds handshake_timeout{std::chrono::seconds(10)};
    std::chrono::milliseconds header_timeout{std::chrono::seconds(30)};
    std::chrono::milliseconds idle_timeout{std::chrono::seconds(120)};
    std::chrono::milliseconds upstream_timeout{std::chrono::seconds(10)};
    std::size_t max_header_bytes = 128 * 1024;
    std::size_t max_inspect_body = 1024 * 1024;
    std::size_t max_request_body = 64 * 1024 * 1024;  // streamed past max_inspect_body
    bool client_resumption = true;  // not a config key: benchmarks turn it off for fresh handshakes
    std::size_t max_connections = 20000;
    std::size_t leaf_cache_size = 10000;
    std::chrono::seconds leaf_validity{std::chrono::hours(24 * 7)};
    std::chrono::seconds leaf_backdate{std::chrono::hours(1)};
    std::vector<endpoint> upstream_resolvers;  // used by the app's host_resolver, not here
    std::string upstream_ca_bundle;            // "" = the system trust store
    std::vector<upstream_override> upstream_overrides;
    block_page_options block_page;
    std::string ca_cert;  // [ca] cert: PEM path
    std::string ca_key;   // [ca] key: PEM path (must not be group/world readable)
};

}  // namespace consolegate::proxy
