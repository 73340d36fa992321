#pragma once
// The upstream leg of one worker: its c-ares channel to config::upstreams, and the transaction
// IDs of its queries in flight. c-ares 1.18 sends the caller's ID unchanged and matches answers
// by ID alone first, so every query goes out under a fresh random ID (RFC 5452 §9.2) that no
// other query of this worker holds; answer.cpp restores the client's on the way back.
//
// Belongs to one worker's io_context; not thread-safe.

#include <cstdint>
#include <memory>
#include <vector>

#include "consolegate/dns/service.hpp"
#include "consolegate/net/cares_resolver.hpp"
#include "id_source.hpp"
#include "query.hpp"

namespace consolegate::dns {

class forwarder {
  public:
    forwarder(boost::asio::io_context& io, stats& st);

    // (Re)builds the channel for c.upstreams, c.upstream_timeout and c.upstream_retries. Queries
    // in flight are abandoned: their handlers run now with ARES_EDESTRUCTION. No upstreams: no
    // channel, and send() refuses everything.
    void configure(const config& c);
    // Abandons the queries in flight (as above) and drops the channel.
    void close();

    // Sends `q` upstream under a fresh ID, advertising `udp_size`. False, without calling `h`,
    // when there is no channel or the query cannot be encoded. Otherwise `h` runs exactly once;
    // on ARES_EDESTRUCTION it must touch nothing it does not own (the worker may be going away).
    bool send(const query& q, std::uint16_t udp_size, net::answer_handler h);

  private:
    std::uint16_t fresh_id();

    boost::asio::io_context& io_;
    stats& st_;
    id_source ids_;
    std::vector<bool> in_flight_ = std::vector<bool>(65536);
    std::unique_ptr<net::cares_channel> channel_;
};

}  // namespace consolegate::dns
