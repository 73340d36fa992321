#pragma once
// Settings of the DNS policy gateway, pre-parsed from the [dns] and [dns.cache] config sections
// (field names = config keys). Member initialisers are the defaults. An instance is immutable once
// handed to a service (shared as std::shared_ptr<const options>).

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "consolegate/core/address.hpp"

namespace consolegate::dns {

struct endpoint {
    core::ip_address address;
    std::uint16_t port = 53;
    friend bool operator==(const endpoint&, const endpoint&) = default;
};

enum class block_response { nxdomain, refused };

struct cache_options {
    std::size_t max_entries = 100000;  // per worker thread (each worker has its own cache)
    std::chrono::seconds min_ttl{0};
    std::chrono::seconds max_ttl{86400};
    std::chrono::seconds negative_max_ttl{3600};  // RFC 2308 §5
    bool serve_stale = false;                     // RFC 8767
    std::chrono::seconds stale_answer_ttl{30};
    std::chrono::seconds max_stale{86400};
    // Refresh a popular answer in the background when a hit finds < 10% of its lifetime left
    // (lifetimes ≥ 10 s only), so clients keep hitting the cache.
    bool prefetch = false;
};

struct options {
    bool enabled = true;
    std::vector<endpoint> listen{
        {*core::ip_address::parse("127.0.0.1"), 53}};  // fixed for the process life
    std::vector<endpoint> upstreams;
    std::chrono::milliseconds upstream_timeout{2000};  // per attempt; c-ares doubles it each round
    unsigned upstream_retries = 2;
    std::vector<core::ip_address> steer_ipv4;
    std::vector<core::ip_address> steer_ipv6;  // empty: AAAA for steered names is NODATA
    std::vector<std::string> steer_names{"console.aws.amazon.com", "*.console.aws.amazon.com",
                                         "signin.aws.amazon.com", "*.signin.aws.amazon.com"};
    bool steer_identity_center = false;  // adds portal.sso.*.amazonaws.com
    std::vector<std::string> steer_exceptions{"docs.aws.amazon.com", "health.aws.amazon.com",
                                              "status.aws.amazon.com"};
    std::chrono::seconds steer_ttl{60};
    std::vector<std::string> block_names;
    block_response block_rcode = block_response::nxdomain;
    // Clients allowed to query; everybody else gets REFUSED. Default: loopback and private ranges.
    std::vector<core::cidr> allow_clients{
        *core::cidr::parse("127.0.0.0/8"),    *core::cidr::parse("::1/128"),
        *core::cidr::parse("10.0.0.0/8"),     *core::cidr::parse("172.16.0.0/12"),
        *core::cidr::parse("192.168.0.0/16"), *core::cidr::parse("fc00::/7")};
    std::uint32_t rate_limit_qps = 0;    // per client address and worker; 0 = off
    std::uint32_t rate_limit_burst = 0;  // 0 = same as rate_limit_qps
    std::uint16_t edns_udp_size = 1232;  // DNS flag day 2020; capped at 4096
    std::chrono::seconds tcp_idle_timeout{10};
    std::size_t max_tcp_connections = 1024;  // over all workers
    std::uint32_t query_log_sample = 0;      // 0 = off, N = log one query in N
    cache_options cache;
};

}  // namespace consolegate::dns
