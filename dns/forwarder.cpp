#include "forwarder.hpp"

#include <ares.h>

#include <algorithm>
#include <array>

namespace consolegate::dns {

forwarder::forwarder(boost::asio::io_context& io, stats& st) : io_(io), st_(st) {}

void forwarder::configure(const config& c) {
    net::cares_options co;
    for (const auto& u : c.upstreams) co.servers.push_back({u.address, u.port});
    co.timeout = c.upstream_timeout;
    co.tries = c.upstream_retries + 1;
    co.pass_error_rcodes = true;
    co.queries_carry_edns = true;  // write_upstream_query: an OPT of at most edns_udp_size ≤ 4096
    close();
    if (!co.servers.empty()) channel_ = std::make_unique<net::cares_channel>(io_, co);
}

void forwarder::close() {
    channel_.reset();
    std::fill(in_flight_.begin(), in_flight_.end(), false);
}

std::uint16_t forwarder::fresh_id() {
    std::uint16_t id = ids_.next();
    for (int i = 0; i < 16 && in_flight_[id]; ++i) id = ids_.next();
    in_flight_[id] = true;
    return id;
}

bool forwarder::send(const query& q, std::uint16_t udp_size, net::answer_handler h) {
    if (!channel_) return false;
    std::array<std::uint8_t, max_name_size + 64> wire;
    const std::uint16_t id = fresh_id();
    const auto n = write_upstream_query(q, id, udp_size, wire);
    if (n == 0) {
        in_flight_[id] = false;
        return false;
    }
    st_.forwarded.fetch_add(1, std::memory_order_relaxed);
    channel_->send({wire.data(), n}, [this, id, h = std::move(h)](const net::cares_answer& a) {
        if (a.status != ARES_EDESTRUCTION) {
            in_flight_[id] = false;
            if (a.timeouts > 0) {
                st_.upstream_timeouts.fetch_add(static_cast<std::uint64_t>(a.timeouts),
                                                std::memory_order_relaxed);
            }
        }
        h(a);
    });
    return true;
}

}  // namespace consolegate::dns
