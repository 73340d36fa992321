#include "consolegate/net/prometheus.hpp"
#include "consolegate/proxy/service.hpp"

namespace consolegate::proxy {
namespace {

template <class T>
void metric(std::string& out, const char* name, const char* help, const char* type,
            const std::atomic<T>& v) {
    net::write_metric(out, std::string("consolegate_proxy_") + name, type, help,
                      v.load(std::memory_order_relaxed));
}

}  // namespace

void stats::observe_header_bytes(std::uint64_t n) noexcept {
    std::size_t i = 0;
    while (i < header_bytes_bounds.size() && n > header_bytes_bounds[i]) ++i;
    header_bytes_buckets[i].fetch_add(1, std::memory_order_relaxed);
    header_bytes_sum.fetch_add(n, std::memory_order_relaxed);
    auto max = header_bytes_max.load(std::memory_order_relaxed);
    while (n > max && !header_bytes_max.compare_exchange_weak(max, n, std::memory_order_relaxed)) {
    }
}

void write_prometheus(std::string& out, const stats& s) {
    auto counter = [&](const char* name, const char* help, const std::atomic<std::uint64_t>& v) {
        metric(out, name, help, "counter", v);
    };
    counter("connections_accepted_total", "TCP connections accepted.", s.connections_accepted);
    metric(out, "connections_active", "Connections open now.", "gauge", s.connections_active);
    counter("refused_client_total", "Connections from outside allow_clients.", s.refused_client);
    counter("refused_limit_total", "Connections over max_connections.", s.refused_limit);
    counter("refused_port_total", "CONNECT to a port not in connect_ports.", s.refused_port);
    counter("refused_destination_total", "Upstreams on internal addresses refused.",
            s.refused_destination);
    counter("refused_host_total", "Missing SNI, SNI/CONNECT mismatch or refused host.",
            s.refused_host);
    counter("bad_client_hello_total", "Malformed, oversized or non-TLS ClientHellos.",
            s.bad_client_hello);
    counter("proxy_protocol_relayed_total", "Connections whose client came from a PROXY header.",
            s.proxy_protocol_relayed);
    counter("proxy_protocol_refused_total",
            "PROXY headers refused from outside proxy_protocol_from.", s.proxy_protocol_refused);
    counter("proxy_protocol_bad_total",
            "Load-balancer connections without a valid PROXY header (malformed, missing, late).",
            s.proxy_protocol_bad);
    counter("client_handshake_failures_total", "Failed TLS handshakes with clients.",
            s.client_handshake_failures);
    counter("timeouts_total", "Connections closed by a handshake, header or idle timeout.",
            s.timeouts);
    counter("bumped_total", "Connections terminated and inspected.", s.bumped);
    counter("bumped_by_address_total",
            "Connections inspected because they went to an inspected name's address.",
            s.bumped_by_address);
    counter("bumped_ech_total",
            "Connections inspected because their ClientHello offered ECH (real or GREASE) under "
            "an AWS name that would have been spliced.",
            s.bumped_ech);
    counter("user_header_ignored_total",
            "Requests on the SNI listener carrying the trusted user header, stripped unread "
            "(believed on the CONNECT listener only).",
            s.user_header_ignored);
    counter("inspected_addresses_unknown_total",
            "Rounds in which the inspected names could not be resolved past the time the "
            "address set holds them: connections that would be spliced are refused meanwhile.",
            s.addresses_unknown);
    metric(out, "inspected_addresses", "Addresses of inspected names held now.", "gauge",
           s.inspected_addresses);
    counter("inspected_address_evictions_total",
            "Addresses of inspected names dropped from the full set before they expired "
            "(raise proxy.inspected_address_limit).",
            s.inspected_address_evictions);
    counter("regional_names_resolved_total",
            "Regional names behind inspect_hosts' wildcard patterns resolved into the address set.",
            s.regional_names_resolved);
    counter("regional_names_unresolved_total",
            "Regional names no name server answered for (NXDOMAIN is an answer).",
            s.regional_names_unresolved);
    counter("spliced_total", "Connections relayed without inspection.", s.spliced);
    counter("plain_http_total", "Absolute-form plain HTTP requests on the CONNECT listener.",
            s.plain_http);
    counter("requests_total", "HTTP requests on inspected connections.", s.requests);
    counter("requests_denied_total", "Requests answered with the block page.", s.requests_denied);
    counter("bad_requests_total", "Malformed or oversized requests.", s.bad_requests);
    counter("upgrades_total", "Upgraded (WebSocket) connections passed through.", s.upgrades);
    counter("http2_connections_total", "Inspected client connections that chose HTTP/2.",
            s.http2_connections);
    counter("http2_flood_closes_total",
            "HTTP/2 connections closed with GOAWAY ENHANCE_YOUR_CALM: more SETTINGS, PING or "
            "RST_STREAM frames in a second than proxy.http2_*_per_second allow.",
            s.http2_flood_closes);
    counter("upstream_connect_failures_total", "Upstream resolve/connect/TLS failures.",
            s.upstream_connect_failures);
    counter("upstream_cert_failures_total", "Upstream certificates that failed verification.",
            s.upstream_cert_failures);
    counter("upstream_body_failures_total",
            "Responses the upstream cut short mid-body (reset, timeout, early end).",
            s.upstream_body_failures);
    counter("upstream_resumed_total", "Upstream TLS sessions resumed.", s.upstream_resumed);
    counter("upstream_pool_full_total",
            "Clean upstream connections closed because the host's pool was full "
            "(proxy.upstream_pool_per_host).",
            s.upstream_pool_full);
    counter("leaf_mints_total", "Leaf certificates minted.", s.leaf_mints);
    counter("leaf_cache_hits_total", "Leaf certificates served from the cache.", s.leaf_cache_hits);
    counter("idle_buffer_releases_total",
            "Keep-alive waits long enough to give the connection's TLS buffers back.",
            s.idle_buffer_releases);

    const std::string hist = "consolegate_proxy_request_header_bytes";
    net::write_metric_header(out, hist, "histogram",
                             "Request header block sizes on inspected connections, in bytes.");
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < s.header_bytes_buckets.size(); ++i) {
        cumulative += s.header_bytes_buckets[i].load(std::memory_order_relaxed);
        std::string le = i < s.header_bytes_bounds.size() ? std::to_string(s.header_bytes_bounds[i])
                                                          : std::string("+Inf");
        net::write_sample(out, hist + "_bucket{le=\"" + le + "\"}", cumulative);
    }
    net::write_sample(out, hist + "_sum", s.header_bytes_sum.load(std::memory_order_relaxed));
    net::write_sample(out, hist + "_count", cumulative);
    metric(out, "request_header_bytes_max", "Largest request header block seen, in bytes.", "gauge",
           s.header_bytes_max);
}

}  // namespace consolegate::proxy
