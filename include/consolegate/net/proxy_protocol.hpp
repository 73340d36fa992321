#pragma once
// The I/O edge of the PROXY protocol (core/proxy_protocol.hpp is the parser): who the client of
// an accepted TCP connection really is. Used by the proxy's SNI and CONNECT listeners and by DNS
// over TCP; include it only where a connection is accepted.
//
// Per listener (core::proxy_protocol_mode):
//   refused  – nothing is read; the client is the socket's peer (the behaviour without a balancer).
//   required – a peer inside `from` (a load balancer) must open with a v1 or v2 header within
//              `timeout`: PROXY gives the real client; LOCAL (v2) or UNKNOWN (v1), the balancer's
//              own health check, keeps the peer as the client; a connection closed before its
//              first byte (a TCP connect check) is closed quietly. A peer outside `from` is a
//              direct client, served as such, unless it sends a header: then it is refused.
// Bytes read past the header belong to the client's own protocol and come back in `early`.
//
// Not thread-safe: one call per connection, on the socket's executor.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <string_view>
#include <vector>

#include "consolegate/core/address.hpp"
#include "consolegate/core/config.hpp"

namespace consolegate::net {

enum class proxied_outcome : std::uint8_t {
    serve,             // `address` is the client; serve the connection
    closed,            // peer gone before a byte (or before the header ended); nothing to count
    refused_stranger,  // a header from outside the balancer networks
    bad_header,        // a balancer's connection without a valid header (malformed or missing)
    timeout,           // a balancer's header did not complete in time
};

struct proxied_client {
    proxied_outcome outcome = proxied_outcome::closed;
    core::ip_address address;         // the client: the header's source, else the socket's peer
    core::ip_address peer;            // the socket's peer (the balancer when relayed)
    bool relayed = false;             // address came from a PROXY header
    std::vector<std::uint8_t> early;  // client bytes already read after the header
    std::string_view error;           // parser's reason for bad_header
};

// Whether `a` is in one of `nets`, read as a client: an address no client is held as
// (core::parse_client_address's rule: the IPv4-compatible ::a.b.c.d, ip_address::is_v4_compatible)
// is in none, "::/0" included. The allow-lists (the proxy's and the DNS resolver's allow_clients)
// and the balancers' networks ask this of a socket's peer, so a peer is refused in the spelling a
// PROXY header's source is.
bool in_networks(const core::ip_address& a, const std::vector<core::cidr>& nets) noexcept;

boost::asio::awaitable<proxied_client> accept_proxied(boost::asio::ip::tcp::socket& s,
                                                      core::proxy_protocol_mode mode,
                                                      const std::vector<core::cidr>& from,
                                                      std::chrono::milliseconds timeout);

}  // namespace consolegate::net
