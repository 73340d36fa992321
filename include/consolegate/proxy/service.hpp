#pragma once
// The TLS-inspecting proxy: an SNI listener (DNS-steered :443) and an explicit proxy listener
// (CONNECT, plus absolute-form GET for PAC setups), per worker thread.
//
//   auto cfg = std::make_shared<const core::config>(...);   // as loaded: [proxy] and [ca] are read
//   proxy::shared_state shared(cfg);           // once per process: CA, leaf key + cache, TLS
//   // per worker thread, each with its own io_context:
//   proxy::service svc(ioc, shared, inspect, resolver);  // inspect: never empty
//   svc.start();  ioc.run();                   // SIGTERM: svc.stop() from any thread
//
// Settings come from the one config schema (core/config.hpp: core::proxy_config, core::ca_config;
// defaults there), values derived from several sections from core/config_derived.hpp. The
// proxy keeps no defaults of its own. The config is fixed for the service's life.
//
// Errors: the shared_state constructor and start() throw std::runtime_error / std::system_error
// with a message fit for the operator (bad CA, key permissions, bind failure). Nothing else
// throws out of the service: a connection that fails is dropped alone and counted in `stats`.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "consolegate/core/config.hpp"
#include "consolegate/proxy/identification.hpp"
#include "consolegate/proxy/inspection.hpp"

namespace boost::asio {
class io_context;
}
namespace consolegate::net {
class host_resolver;
}

namespace consolegate::proxy {

// Counters for /metrics; all relaxed atomics, shared by every worker.
struct stats {
    std::atomic<std::uint64_t> connections_accepted{0};
    std::atomic<std::int64_t> connections_active{0};    // gauge
    std::atomic<std::uint64_t> refused_client{0};       // outside allow_clients
    std::atomic<std::uint64_t> refused_limit{0};        // over max_connections
    std::atomic<std::uint64_t> refused_port{0};         // CONNECT port not in connect_ports
    std::atomic<std::uint64_t> refused_destination{0};  // internal address not allowed
    std::atomic<std::uint64_t> refused_host{
        0};  // no SNI, SNI/CONNECT mismatch, not_inspected=refuse
    std::atomic<std::uint64_t> bad_client_hello{0};
    std::atomic<std::uint64_t> proxy_protocol_relayed{0};  // real client from a PROXY header
    std::atomic<std::uint64_t> proxy_protocol_refused{
        0};                                            // header from outside proxy_protocol_from
    std::atomic<std::uint64_t> proxy_protocol_bad{0};  // balancer without a valid header
    std::atomic<std::uint64_t> client_handshake_failures{0};
    std::atomic<std::uint64_t> timeouts{0};
    std::atomic<std::uint64_t> bumped{0};
    std::atomic<std::uint64_t> bumped_by_address{0};  // of bumped: by destination address
    std::atomic<std::uint64_t> bumped_ech{0};  // of bumped: ECH to an AWS front (host_routes)
    // Requests on the SNI listener carrying the trusted user header: stripped unread.
    std::atomic<std::uint64_t> user_header_ignored{0};
    // Watch rounds that left the inspected names' addresses unknown (destination_watch.hpp).
    std::atomic<std::uint64_t> addresses_unknown{0};
    // The inspected names' addresses held (destination_set.hpp), and those dropped from a full
    // set before they expired: a dropped sign-in address is spliceable by address again.
    std::atomic<std::uint64_t> inspected_addresses{0};
    std::atomic<std::uint64_t> inspected_address_evictions{0};
    // Regional names (proxy/regional_names.hpp) resolved, and those no name server answered.
    std::atomic<std::uint64_t> regional_names_resolved{0};
    std::atomic<std::uint64_t> regional_names_unresolved{0};
    std::atomic<std::uint64_t> spliced{0};
    std::atomic<std::uint64_t> plain_http{0};
    std::atomic<std::uint64_t> requests{0};
    std::atomic<std::uint64_t> requests_denied{0};
    std::atomic<std::uint64_t> bad_requests{0};  // malformed, oversized headers (431), body (413)
    std::atomic<std::uint64_t> upgrades{0};
    std::atomic<std::uint64_t> http2_connections{0};   // inspected connections that chose h2
    std::atomic<std::uint64_t> http2_flood_closes{0};  // closed: SETTINGS/PING/RST_STREAM flood
    std::atomic<std::uint64_t> upstream_connect_failures{0};
    std::atomic<std::uint64_t> upstream_cert_failures{0};
    std::atomic<std::uint64_t> upstream_body_failures{0};  // response cut short mid-body
    std::atomic<std::uint64_t> upstream_resumed{0};
    std::atomic<std::uint64_t> upstream_pool_full{0};  // clean legs closed: the pool was full
    std::atomic<std::uint64_t> leaf_mints{0};
    std::atomic<std::uint64_t> leaf_cache_hits{0};
    std::atomic<std::uint64_t> idle_buffer_releases{0};  // keep-alive waits that gave buffers back
    // Request header block sizes (request line, fields, cookies) on inspected connections: a
    // histogram to size max_header_bytes by what browsers really send to the console. Counts
    // per bucket, not cumulative; the last bucket is everything above the last bound.
    static constexpr std::array<std::uint64_t, 7> header_bytes_bounds{2048,  4096,  8192,  16384,
                                                                      32768, 65536, 131072};
    std::array<std::atomic<std::uint64_t>, 8> header_bytes_buckets{};
    std::atomic<std::uint64_t> header_bytes_sum{0};
    std::atomic<std::uint64_t> header_bytes_max{0};

    void observe_header_bytes(std::uint64_t n) noexcept;
};

// Appends the Prometheus text exposition of `s` (consolegate_proxy_*).
void write_prometheus(std::string& out, const stats& s);

// Process-wide state shared by every worker: the CA, the one leaf key pair, the leaf cache with
// single-flight, the TLS contexts and the upstream session cache. Thread-safe.
class shared_state {
  public:
    // Loads [ca] and makes the TLS contexts (proxy.tls_session_resumption); throws on failure.
    explicit shared_state(std::shared_ptr<const core::config> cfg);
    ~shared_state();
    shared_state(const shared_state&) = delete;
    shared_state& operator=(const shared_state&) = delete;

    const stats& counters() const;
    struct impl;
    // Sessions keep the state alive until their last byte, even past this object's lifetime.
    std::shared_ptr<impl> get() const { return impl_; }

  private:
    std::shared_ptr<impl> impl_;
};

class service {
  public:
    // `inspect` judges every request on an inspected connection; an empty one throws
    // std::invalid_argument (there is no default: the proxy never forwards unjudged). Reads its
    // settings from the config `shared` was made from. `observe` (optional) sees every response
    // on an inspected connection, `refused` (optional) every refusal before judgement
    // (inspection.hpp). `who` (optional) says who is behind each connection
    // (identification.hpp); without it every attempt's corporate user is unknown. `waits`
    // (optional) are work the gateway finishes off the worker threads before a request is judged
    // or a response released (inspection.hpp).
    service(boost::asio::io_context& ioc, shared_state& shared, inspector inspect,
            std::shared_ptr<net::host_resolver> resolver, response_observer observe = {},
            refusal_observer refused = {}, identification who = {}, waiting_hooks waits = {});
    ~service();
    service(const service&) = delete;
    service& operator=(const service&) = delete;

    // Binds every listener (SO_REUSEPORT, so each worker binds the same addresses) and starts
    // accepting. Port 0 binds an ephemeral port; see bound_*_ports().
    void start();
    // Graceful drain, callable from any thread: stop accepting, close idle keep-alive
    // connections, let requests in flight finish (answered with Connection: close). Tunnels
    // (splice, WebSocket) end at their idle timeout; the caller bounds the drain.
    void stop();

    std::vector<std::uint16_t> bound_sni_ports() const;
    std::vector<std::uint16_t> bound_connect_ports() const;

    struct impl;

  private:
    std::shared_ptr<impl> impl_;
};

}  // namespace consolegate::proxy
