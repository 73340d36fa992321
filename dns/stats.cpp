#include "consolegate/dns/stats.hpp"

#include "consolegate/net/prometheus.hpp"

namespace consolegate::dns {
namespace {

template <class T>
void metric(std::string& out, const char* name, const char* type, const char* help,
            const std::atomic<T>& v) {
    const bool counter = type[0] == 'c';
    net::write_metric(out, std::string("consolegate_dns_") + name + (counter ? "_total" : ""), type,
                      help, v.load(std::memory_order_relaxed));
}

}  // namespace

void write_prometheus(std::string& out, const stats& s) {
    const char* c = "counter";
    metric(out, "queries_udp", c, "Queries received over UDP.", s.queries_udp);
    metric(out, "queries_tcp", c, "Queries received over TCP.", s.queries_tcp);
    metric(out, "steered", c, "Queries answered with the gateway's addresses.", s.steered);
    metric(out, "cname_rewritten", c, "Upstream CNAME chains into steered names rewritten.",
           s.cname_rewritten);
    metric(out, "doh_canary", c, "use-application-dns.net queries answered NXDOMAIN.",
           s.doh_canary);
    metric(out, "private_relay_canary", c,
           "mask.icloud.com and mask-h2.icloud.com queries answered NXDOMAIN (iCloud Private "
           "Relay stays off).",
           s.relay_canary);
    metric(out, "local_zone", c,
           "Queries in unbound's default local zones (localhost, private reverse zones, onion).",
           s.local_zone);
    metric(out, "blocked", c, "Queries for block-listed names.", s.blocked);
    metric(out, "forwarded", c, "Queries sent upstream.", s.forwarded);
    metric(out, "cache_hits", c, "Answers served from the cache.", s.cache_hits);
    metric(out, "cache_misses", c, "Cache lookups that missed.", s.cache_misses);
    metric(out, "stale_served", c, "Stale answers served while upstream failed (RFC 8767).",
           s.stale_served);
    metric(out, "prefetches", c, "Background refreshes of cached answers about to expire.",
           s.prefetches);
    metric(out, "servfail", c, "SERVFAIL answers sent.", s.servfail);
    metric(out, "refused", c, "REFUSED answers sent (ACL, rate limit over TCP).", s.refused);
    metric(out, "formerr", c, "FORMERR answers sent.", s.formerr);
    metric(out, "notimp", c, "NOTIMP answers sent.", s.notimp);
    metric(out, "truncated", c, "UDP answers truncated (TC=1).", s.truncated);
    metric(out, "rate_limited", c, "Queries over a client's rate limit.", s.rate_limited);
    metric(out, "rate_limit_evicted", c,
           "Idle rate-limit buckets (back at full tokens) evicted to make room for a new client.",
           s.rate_limit_evicted);
    metric(out, "rate_limit_overflow", c,
           "Queries from clients a full rate-limit table could not hold, judged by one shared "
           "bucket.",
           s.rate_limit_overflow);
    metric(out, "dropped", c, "Datagrams dropped unanswered.", s.dropped);
    metric(out, "upstream_timeouts", c, "Upstream attempts that timed out.", s.upstream_timeouts);
    metric(out, "upstream_errors", c, "Forwarded queries that failed upstream.", s.upstream_errors);
    metric(out, "answer_timeouts", c,
           "Forwarded queries answered (stale or SERVFAIL) at a deadline before upstream did.",
           s.answer_timeouts);
    metric(out, "pending_full", c,
           "Queries dropped (a TCP connection closed) over max_pending_queries.", s.pending_full);
    metric(out, "joined", c, "Queries answered by an upstream query another client's asked.",
           s.joined);
    metric(out, "tcp_accepted", c, "TCP connections accepted.", s.tcp_accepted);
    metric(out, "tcp_rejected", c, "TCP connections refused over max_tcp_connections.",
           s.tcp_rejected);
    metric(out, "proxy_protocol_relayed", c,
           "TCP connections whose client came from a PROXY header.", s.proxy_protocol_relayed);
    metric(out, "proxy_protocol_refused", c,
           "PROXY headers refused from outside proxy_protocol_from.", s.proxy_protocol_refused);
    metric(out, "proxy_protocol_bad", c,
           "Load-balancer TCP connections without a valid PROXY header in time.",
           s.proxy_protocol_bad);
    metric(out, "tcp_connections", "gauge", "Open TCP connections.", s.tcp_connections);
    metric(out, "cache_entries", "gauge", "Cached answers over all workers.", s.cache_entries);
}

}  // namespace consolegate::dns
