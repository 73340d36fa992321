#pragma once
// The DNS policy gateway of one worker thread: UDP and TCP listeners (SO_REUSEPORT, so every
// worker binds the same addresses and the kernel spreads clients), steering, forwarding through
// its own c-ares channel, and its own cache (per worker: no lock on the hot path; a name may be
// cached once per worker).
//
// It runs on the [dns] section of the one configuration schema (core::dns_config): that struct's
// member initialisers are the only defaults, and durations are converted where they are used.
//
// Thread-safety: construct, start and destroy on any thread while the io_context is not running
// the service; stop() and update() may be called from any thread (they post to the io_context).
// Destroy the service after its io_context has stopped running and before the io_context itself.

#include <chrono>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "consolegate/core/config.hpp"
#include "consolegate/dns/stats.hpp"

namespace boost::asio {
class io_context;
}

namespace consolegate::dns {

using config = core::dns_config;

// Monotonic time as the service reads it for cache TTLs, serve-stale, prefetch and the rate
// limiter, and its whole seconds for the order of each RRset's records (unbound's
// rrset-roundrobin turns with time(0)); called on the worker's thread only. The default reads
// std::chrono::steady_clock, shifted once to read as the wall clock's time since the epoch: a
// clock step later moves no TTL, and its seconds turn when time(0)'s do, so cached TTLs count
// down at the second boundaries unbound counts them at and RRsets rotate as unbound's in the
// same second. Tests inject a clock they
// advance, so they never sleep. Upstream timeouts (c-ares) and the TCP idle timer run on the
// io_context's real time.
using time_source = std::function<std::chrono::milliseconds()>;
time_source steady_time();

class worker;

class service {
  public:
    service(boost::asio::io_context& io, std::shared_ptr<const config> c, stats& s,
            time_source now = steady_time());
    ~service();
    service(const service&) = delete;
    service& operator=(const service&) = delete;

    // Opens the UDP and TCP listeners of config::listen. A port of 0 binds an ephemeral UDP port
    // and TCP on the same number. Throws std::system_error when a listener cannot be opened.
    void start();
    // Closes listeners and connections; forwarded queries in flight are abandoned.
    void stop();
    // Applies a new snapshot: steering, exceptions, block list, ACL, limits, cache bounds,
    // upstreams (a new c-ares channel when they change). Listen addresses are kept as started.
    // Throws std::invalid_argument (on the caller's thread) for a pattern policy cannot compile.
    void update(std::shared_ptr<const config> c);

    // The bound listeners (after start()), e.g. to learn the port chosen for port 0.
    std::vector<core::endpoint> local_endpoints() const;

    // Receives one line per sampled query (config::query_log_sample); default: the log facade.
    void set_query_log(std::function<void(std::string_view line)> sink);

  private:
    std::unique_ptr<worker> worker_;
};

}  // namespace consolegate::dns
