#pragma once
// The DNS policy gateway of one worker thread: UDP and TCP listeners (SO_REUSEPORT, so every
// worker binds the same addresses and the kernel spreads clients), steering, forwarding through
// its own c-ares channel, and its own cache (per worker: no lock on the hot path; a name may be
// cached once per worker).
//
// Thread-safety: construct, start and destroy on any thread while the io_context is not running
// the service; stop() and update() may be called from any thread (they post to the io_context).
// Destroy the service after its io_context has stopped running and before the io_context itself.

#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "consolegate/dns/options.hpp"
#include "consolegate/dns/stats.hpp"

namespace boost::asio {
class io_context;
}

namespace consolegate::dns {

class service {
  public:
    service(boost::asio::io_context& io, std::shared_ptr<const options> o, stats& s);
    ~service();
    service(const service&) = delete;
    service& operator=(const service&) = delete;

    // Opens the UDP and TCP listeners of options::listen. A port of 0 binds an ephemeral UDP port
    // and TCP on the same number. Throws std::system_error when a listener cannot be opened.
    void start();
    // Closes listeners and connections; forwarded queries in flight are abandoned.
    void stop();
    // Applies a new snapshot: steering, exceptions, block list, ACL, limits, cache bounds,
    // upstreams (a new c-ares channel when they change). Listen addresses are kept as started.
    void update(std::shared_ptr<const options> o);

    // The bound listeners (after start()), e.g. to learn the port chosen for port 0.
    std::vector<endpoint> local_endpoints() const;

    // Receives one line per sampled query (options::query_log_sample); default: stderr.
    void set_query_log(std::function<void(std::string_view line)> sink);

    struct impl;  // opaque; named here only so the service's own coroutines can take it

  private:
    std::unique_ptr<impl> impl_;
};

}  // namespace consolegate::dns
