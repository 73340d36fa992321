#pragma once
// Looks up a host's real addresses (A and AAAA) for the proxy's upstream connections. The
// implementation asks the configured upstream resolvers through c-ares, never the gateway's own
// steering answers, so an inspected connection can never loop back into the gateway.
//
// Thread-safety: one instance per io_context (worker thread); not shared across threads.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <string>
#include <vector>

namespace consolegate::net {

struct resolve_result {
    // Set when no address could be found: asio::error::host_not_found (NXDOMAIN) or no_data
    // (the name has no address) when a name server said so; anything else when none answered.
    boost::system::error_code error;
    std::vector<boost::asio::ip::address> addresses;
    std::chrono::seconds ttl{0};  // how long the answer holds (its shortest TTL); 0 = unknown

    // Whether a name server answered (addresses, or that there are none), not a failure.
    bool answered() const {
        return !addresses.empty() || error == boost::asio::error::host_not_found ||
               error == boost::asio::error::no_data;
    }
};

class host_resolver {
  public:
    virtual ~host_resolver() = default;
    // Completes within the resolver's configured timeout; never throws for lookup failures.
    virtual boost::asio::awaitable<resolve_result> resolve(std::string host) = 0;
};

}  // namespace consolegate::net
