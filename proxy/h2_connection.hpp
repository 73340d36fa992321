#pragma once
// One HTTP/2 client connection's state, shared by its reader and writer (h2_session.cpp) and its
// streams' exchanges (h2_exchange.cpp). Single-threaded: all of it runs on the connection's
// worker. Private to those two files.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "bumped_client.hpp"
#include "h2_framing.hpp"
#include "service_impl.hpp"
#include "upstream_leg.hpp"

namespace consolegate::proxy {

struct h2_exchange;

struct h2_connection final : bumped_client, h2_framing::events {
    h2_connection(std::shared_ptr<service::impl> s, tls_socket& cl, connection_guard& g,
                  std::string h, std::uint16_t p, std::string n, core::ip_address ip,
                  shared_identity who, bump_terms terms);

    std::unique_ptr<core::connection_memo> memo;  // the inspection hook's, one judgement at a time
    h2_framing frames;
    boost::asio::steady_timer write_signal;  // cancelled: the writer has frames to send
    boost::asio::steady_timer done_signal;   // cancelled: a coroutine of the connection ended
    std::unordered_map<std::int32_t, h2_exchange*> exchanges;  // by stream id
    std::size_t running = 0;  // exchange coroutines and the writer still alive
    bool writing = false;     // the writer has a write pending
    bool closing = false;     // the connection ends: exchanges stop at their next step

    void kick() { write_signal.cancel(); }
    void wake(std::int32_t id);

    // h2_framing::events
    void on_request(std::shared_ptr<h2_stream> s) override;
    void on_body(h2_stream& s) override { wake(s.id); }
    void on_close(h2_stream& s) override;
    void on_drained(h2_stream& s) override { wake(s.id); }
    void on_malformed(h2_stream& s) override;
};

// h2_exchange.cpp: one stream's request, judged and answered; counted in c.running.
boost::asio::awaitable<void> run_exchange(h2_connection& c, std::shared_ptr<h2_stream> s);
// Wakes the exchange's waits; `abort` also closes its upstream connection (the stream is gone).
void wake_exchange(h2_exchange& x, bool abort);

}  // namespace consolegate::proxy
