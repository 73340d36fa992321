#pragma once
// Counters of the DNS gateway, shared by every worker's service (relaxed atomics), and their
// Prometheus text exposition (names consolegate_dns_<counter>_total, gauges without _total).

#include <atomic>
#include <cstdint>
#include <string>

namespace consolegate::dns {

struct stats {
    std::atomic<std::uint64_t> queries_udp{0};
    std::atomic<std::uint64_t> queries_tcp{0};
    std::atomic<std::uint64_t> steered{0};
    std::atomic<std::uint64_t> cname_rewritten{0};
    std::atomic<std::uint64_t> doh_canary{0};
    std::atomic<std::uint64_t> relay_canary{0};  // iCloud Private Relay's (dns/policy.cpp)
    std::atomic<std::uint64_t> local_zone{0};    // unbound's default local zones (local_zones.hpp)
    std::atomic<std::uint64_t> blocked{0};
    std::atomic<std::uint64_t> forwarded{0};
    std::atomic<std::uint64_t> cache_hits{0};
    std::atomic<std::uint64_t> cache_misses{0};
    std::atomic<std::uint64_t> stale_served{0};
    std::atomic<std::uint64_t> prefetches{0};
    std::atomic<std::uint64_t> servfail{0};
    std::atomic<std::uint64_t> refused{0};
    std::atomic<std::uint64_t> formerr{0};
    std::atomic<std::uint64_t> notimp{0};
    std::atomic<std::uint64_t> truncated{0};
    std::atomic<std::uint64_t> rate_limited{0};
    std::atomic<std::uint64_t> rate_limit_evicted{0};   // idle buckets dropped for a new client
    std::atomic<std::uint64_t> rate_limit_overflow{0};  // judged by the shared bucket, table full
    std::atomic<std::uint64_t> dropped{0};  // unparseable, responses, oversized datagrams
    std::atomic<std::uint64_t> upstream_timeouts{0};
    std::atomic<std::uint64_t> upstream_errors{0};
    std::atomic<std::uint64_t> answer_timeouts{0};  // answered before upstream, at a deadline
    std::atomic<std::uint64_t> pending_full{0};     // dropped over max_pending_queries
    std::atomic<std::uint64_t> joined{0};           // waited on a question already asked upstream
    std::atomic<std::uint64_t> tcp_accepted{0};
    std::atomic<std::uint64_t> tcp_rejected{0};            // over max_tcp_connections
    std::atomic<std::uint64_t> proxy_protocol_relayed{0};  // client from a PROXY header
    std::atomic<std::uint64_t> proxy_protocol_refused{
        0};                                            // header from outside proxy_protocol_from
    std::atomic<std::uint64_t> proxy_protocol_bad{0};  // balancer without a valid header in time
    std::atomic<std::int64_t> tcp_connections{0};      // gauge
    std::atomic<std::int64_t> cache_entries{0};        // gauge, summed over workers
};

// Appends the Prometheus text format (version 0.0.4) of `s` to `out`.
void write_prometheus(std::string& out, const stats& s);

}  // namespace consolegate::dns
