#pragma once
// Internals of the proxy service shared by service.cpp, upstream.cpp and the sessions
// (front_door.cpp, bumped_session.cpp, plain_forward.cpp, upstream_leg.cpp).

#include <algorithm>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <chrono>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "consolegate/net/host_resolver.hpp"
#include "consolegate/proxy/service.hpp"
#include "destination_set.hpp"
#include "host_routes.hpp"
#include "leaf_minter.hpp"
#include "tls_contexts.hpp"
#include "tls_socket.hpp"

namespace consolegate::proxy {

struct shared_state::impl {
    std::shared_ptr<const core::config> cfg;
    // The block page's settings with team_url derived (core::block_page_team_url).
    core::block_page_config block_page;
    stats counters;
    std::unique_ptr<leaf_minter> minter;
    std::unique_ptr<boost::asio::ssl::context> server_ctx;
    upstream_sessions sessions;
    std::unique_ptr<boost::asio::ssl::context> upstream_ctx;
    std::unordered_map<std::string, std::unique_ptr<boost::asio::ssl::context>> override_ctx;
    host_routes routes;
    // The inspected names' addresses, shared by every worker (destination_set.hpp).
    std::unique_ptr<inspected_addresses> addresses;
    // Where the next refresh round of any worker takes up the regional names
    // (destination_watch.cpp): the workers walk the one list together.
    std::atomic<std::size_t> regional_cursor{0};

    boost::asio::ssl::context& upstream_context_for(const std::string& host) {
        auto it = override_ctx.find(host);
        return it != override_ctx.end() ? *it->second : *upstream_ctx;
    }
};

// A live connection, so stop() can close the idle ones.
struct tracked_connection {
    std::function<void()> close;
    bool idle = false;
};

struct service::impl : std::enable_shared_from_this<service::impl> {
    boost::asio::io_context& ioc;
    std::shared_ptr<shared_state::impl> shared_owner;
    shared_state::impl& shared;
    const core::proxy_config* opts;  // shared.cfg->proxy, fixed for the service's life
    inspector inspect;
    response_observer observe;  // may be empty
    refusal_observer refused;   // may be empty
    identification who;         // its functions may be empty
    waiting_hooks waits;        // its functions may be empty
    std::shared_ptr<net::host_resolver> resolver;
    std::vector<std::unique_ptr<boost::asio::ip::tcp::acceptor>> sni_acceptors, connect_acceptors;
    std::list<tracked_connection> connections;
    bool draining = false;
    // Deadlines of the bumped connections' sockets (both legs); declared before the pool so
    // pooled sockets go first.
    deadline_sweeper sweeper;
    // Idle upstream TLS connections by "host:port", reused by the next client connection on this
    // worker (nginx's upstream keepalive). Type-erased: the stream type is upstream_leg.hpp's.
    struct pooled {
        std::chrono::steady_clock::time_point since;
        std::shared_ptr<void> conn;
    };
    // At most opts->upstream_pool_per_host each.
    std::unordered_map<std::string, std::vector<pooled>> upstream_pool;
    // The first round of resolving the inspected names on this worker (destination_watch.hpp):
    // `warm` once it is done; `warm_signal` is cancelled then, waking whoever waits for it.
    // `refresh` times the next round; stop() cancels it.
    bool warm = false;
    boost::asio::steady_timer warm_signal{ioc, boost::asio::steady_timer::time_point::max()};
    // Until when the set is known to hold every watched name's addresses: the last round in
    // which every name was answered, plus the shortest time the set holds what it learned then.
    // Past it (the resolver failing since) an address outside the set may be a sign-in address.
    std::chrono::steady_clock::time_point addresses_known_until{};
    bool watches_names = false;
    boost::asio::steady_timer refresh{ioc};

    impl(boost::asio::io_context& c, std::shared_ptr<shared_state::impl> s, inspector i,
         std::shared_ptr<net::host_resolver> r)
        : ioc(c),
          shared_owner(std::move(s)),
          shared(*shared_owner),
          opts(&shared.cfg->proxy),
          inspect(std::move(i)),
          resolver(std::move(r)),
          sweeper(
              c, sweep_period(*opts),
              std::min<std::chrono::milliseconds>(std::chrono::seconds(1), opts->idle_timeout / 4),
              &shared.counters.idle_buffer_releases) {}
    // A quarter of the shortest timeout, within [10 ms, 250 ms]: deadlines fire at most that late.
    static std::chrono::milliseconds sweep_period(const core::proxy_config& o) {
        auto shortest =
            std::min({o.handshake_timeout, o.header_timeout, o.idle_timeout, o.upstream_timeout});
        return std::clamp(shortest / 4, std::chrono::milliseconds(10),
                          std::chrono::milliseconds(250));
    }
    stats& counters() { return shared.counters; }
};

// Registers a connection for the lifetime of a session (single worker thread: no lock).
class connection_guard {
  public:
    connection_guard(service::impl& svc, std::function<void()> close);
    ~connection_guard();
    connection_guard(const connection_guard&) = delete;
    connection_guard& operator=(const connection_guard&) = delete;
    void set_idle(bool idle) { it_->idle = idle; }

  private:
    service::impl& svc_;
    std::list<tracked_connection>::iterator it_;
};

// Hands a refusal to the service's refusal observer, if any (inspection.hpp), with the time set;
// an observer that throws is logged (rate-limited) and the refusal stands.
void report_refusal(service::impl& svc, refusal_view r);

core::ip_address to_core(const boost::asio::ip::address& a);
boost::asio::ip::address to_asio(const core::ip_address& a);

// --- upstream.cpp -------------------------------------------------------------------------------
enum class upstream_failure { none, resolve, forbidden, connect, timeout, certificate, tls };

struct resolved {
    upstream_failure failure = upstream_failure::none;
    std::string reason;
    std::vector<boost::asio::ip::tcp::endpoint> endpoints;
};

// Override first, then the resolver, then an IP literal; internal addresses filtered out unless
// in allow_destinations (the RESOLVED address is what is checked).
boost::asio::awaitable<resolved> resolve_destination(std::shared_ptr<service::impl> svc,
                                                     std::string host, std::uint16_t port);

struct tcp_connect_result {
    upstream_failure failure = upstream_failure::none;
    std::string reason;
    std::optional<boost::beast::tcp_stream> stream;
};
boost::asio::awaitable<tcp_connect_result> connect_tcp(
    std::shared_ptr<service::impl> svc, std::vector<boost::asio::ip::tcp::endpoint> eps);

}  // namespace consolegate::proxy
