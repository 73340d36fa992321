// Listeners and lifecycle of the proxy service; the sessions start in front_door.cpp.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <stdexcept>
#include <system_error>

#include "consolegate/core/config_derived.hpp"
#include "consolegate/log/log.hpp"
#include "consolegate/net/proxy_protocol.hpp"
#include "destination_watch.hpp"
#include "front_door.hpp"
#include "service_impl.hpp"

namespace consolegate::proxy {

namespace asio = boost::asio;
using asio::ip::tcp;

shared_state::shared_state(std::shared_ptr<const core::config> cfg)
    : impl_(std::make_shared<impl>()) {
    impl_->cfg = cfg;
    const auto& p = cfg->proxy;
    std::string error;
    auto ca = load_ca(cfg->ca.cert.string(), cfg->ca.key.string(), error);
    if (!ca) throw std::runtime_error("[ca]: " + error);
    using std::chrono::duration_cast;
    using std::chrono::seconds;
    impl_->minter =
        std::make_unique<leaf_minter>(std::move(*ca), duration_cast<seconds>(p.leaf_validity),
                                      duration_cast<seconds>(p.leaf_backdate), p.leaf_cache_size);
    impl_->server_ctx = make_server_context(p.tls_session_resumption, p.http2);
    impl_->upstream_ctx = make_upstream_context(p.upstream_ca_bundle.string(), "");
    impl_->sessions.attach(*impl_->upstream_ctx);
    for (const auto& o : p.upstream_overrides) {
        if (o.ca_bundle.empty()) continue;
        auto ctx = make_upstream_context(p.upstream_ca_bundle.string(), o.ca_bundle.string());
        impl_->sessions.attach(*ctx);
        impl_->override_ctx[o.host] = std::move(ctx);
    }
    impl_->routes = host_routes(p);
    impl_->addresses =
        std::make_unique<inspected_addresses>(p.inspected_address_limit, p.nat64_prefixes);
    impl_->block_page = p.block_page;
    impl_->block_page.team_url = core::block_page_team_url(*cfg);
}

shared_state::~shared_state() = default;

const stats& shared_state::counters() const {
    // The leaf counters live in the minter; mirror them so /metrics reads one struct.
    auto& s = impl_->counters;
    s.leaf_mints.store(impl_->minter->mints.load(std::memory_order_relaxed),
                       std::memory_order_relaxed);
    s.leaf_cache_hits.store(impl_->minter->cache_hits.load(std::memory_order_relaxed),
                            std::memory_order_relaxed);
    return s;
}

connection_guard::connection_guard(service::impl& svc, std::function<void()> close)
    : svc_(svc), it_(svc.connections.insert(svc.connections.end(), {std::move(close), false})) {
    svc_.counters().connections_active.fetch_add(1, std::memory_order_relaxed);
}

connection_guard::~connection_guard() {
    svc_.connections.erase(it_);
    svc_.counters().connections_active.fetch_sub(1, std::memory_order_relaxed);
}

void report_refusal(service::impl& svc, refusal_view r) {
    if (!svc.refused) return;
    r.time = std::chrono::system_clock::now();
    try {
        svc.refused(r);
    } catch (const std::exception& e) {
        static log::rate_limit limit(std::chrono::seconds(10));
        if (auto suppressed = limit.allow(std::chrono::steady_clock::now())) {
            log::write(log::level::error, "proxy", "refusal observer failed",
                       {{"error", e.what()}, {"suppressed", std::to_string(*suppressed)}});
        }
    }
}

namespace {

bool client_allowed(const service::impl& svc, const tcp::endpoint& peer) {
    return net::in_networks(to_core(peer.address()), svc.opts->allow_clients);
}

asio::awaitable<void> accept_loop(std::shared_ptr<service::impl> svc, tcp::acceptor* acceptor,
                                  bool connect_listener) {
    auto& st = svc->counters();
    asio::steady_timer backoff(svc->ioc);
    while (!svc->draining) {
        auto [ec, sock] = co_await acceptor->async_accept(asio::as_tuple(asio::use_awaitable));
        if (ec == asio::error::operation_aborted || svc->draining) break;
        if (ec) {
            // EMFILE/ENFILE: back off briefly instead of spinning on the ready listener.
            backoff.expires_after(std::chrono::milliseconds(50));
            co_await backoff.async_wait(asio::as_tuple(asio::use_awaitable));
            continue;
        }
        st.connections_accepted.fetch_add(1, std::memory_order_relaxed);
        boost::system::error_code pec;
        auto peer = sock.remote_endpoint(pec);
        // A load balancer on a listener that requires the PROXY protocol is let in here; the
        // client it relays is checked once its header is read (front_door.cpp).
        const auto pp =
            connect_listener ? svc->opts->connect_proxy_protocol : svc->opts->sni_proxy_protocol;
        const bool balancer =
            !pec && pp == core::proxy_protocol_mode::required &&
            net::in_networks(to_core(peer.address()), svc->opts->proxy_protocol_from);
        if (pec || !(balancer || client_allowed(*svc, peer))) {
            // Outside allow_clients: closed without a byte, so the proxy reveals nothing.
            st.refused_client.fetch_add(1, std::memory_order_relaxed);
            sock.close(pec);
            continue;
        }
        if (st.connections_active.load(std::memory_order_relaxed) >=
            static_cast<std::int64_t>(svc->opts->max_connections)) {
            st.refused_limit.fetch_add(1, std::memory_order_relaxed);
            sock.close(pec);
            continue;
        }
        sock.set_option(tcp::no_delay(true), pec);
        if (connect_listener) {
            asio::co_spawn(svc->ioc, run_connect_session(svc, std::move(sock)), asio::detached);
        } else {
            asio::co_spawn(svc->ioc, run_sni_session(svc, std::move(sock)), asio::detached);
        }
    }
}

std::unique_ptr<tcp::acceptor> bind(asio::io_context& ioc, const core::endpoint& ep) {
    tcp::endpoint where(to_asio(ep.address), ep.port);
    auto acc = std::make_unique<tcp::acceptor>(ioc);
    boost::system::error_code ec;
    acc->open(where.protocol(), ec);
    if (!ec) acc->set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) {
        int one = 1;
        if (::setsockopt(acc->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
            ec.assign(errno, boost::system::system_category());
        }
    }
    if (!ec) acc->bind(where, ec);
    if (!ec) acc->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        throw std::system_error(
            ec, "proxy: cannot listen on " + ep.address.str() + ":" + std::to_string(ep.port));
    }
    return acc;
}

std::vector<std::uint16_t> ports_of(const std::vector<std::unique_ptr<tcp::acceptor>>& accs) {
    std::vector<std::uint16_t> out;
    for (const auto& a : accs) {
        boost::system::error_code ec;
        auto ep = a->local_endpoint(ec);
        out.push_back(ec ? 0 : ep.port());
    }
    return out;
}

// Fail closed: a proxy without an inspector would forward every sign-in unjudged.
inspector required(inspector i) {
    if (!i) throw std::invalid_argument("proxy::service: an inspector is required");
    return i;
}

}  // namespace

service::service(asio::io_context& ioc, shared_state& shared, inspector inspect,
                 std::shared_ptr<net::host_resolver> resolver, response_observer observe,
                 refusal_observer refused, identification who, waiting_hooks waits)
    : impl_(std::make_shared<impl>(ioc, shared.get(), required(std::move(inspect)),
                                   std::move(resolver))) {
    impl_->observe = std::move(observe);
    impl_->refused = std::move(refused);
    impl_->who = std::move(who);
    impl_->waits = std::move(waits);
}

service::~service() {
    // Sessions hold the impl alive; the acceptors must not outlive the io_context's run.
    boost::system::error_code ec;
    for (auto& a : impl_->sni_acceptors) a->close(ec);
    for (auto& a : impl_->connect_acceptors) a->close(ec);
}

void service::start() {
    for (const auto& ep : impl_->opts->sni_listen) {
        impl_->sni_acceptors.push_back(bind(impl_->ioc, ep));
    }
    for (const auto& ep : impl_->opts->connect_listen) {
        impl_->connect_acceptors.push_back(bind(impl_->ioc, ep));
    }
    for (auto& a : impl_->sni_acceptors) {
        asio::co_spawn(impl_->ioc, accept_loop(impl_, a.get(), false), asio::detached);
    }
    for (auto& a : impl_->connect_acceptors) {
        asio::co_spawn(impl_->ioc, accept_loop(impl_, a.get(), true), asio::detached);
    }
    asio::co_spawn(impl_->ioc, watch_inspected_addresses(impl_), asio::detached);
}

void service::stop() {
    asio::post(impl_->ioc, [svc = impl_] {
        svc->draining = true;
        boost::system::error_code ec;
        for (auto& a : svc->sni_acceptors) a->close(ec);
        for (auto& a : svc->connect_acceptors) a->close(ec);
        for (auto& c : svc->connections) {
            if (c.idle && c.close) c.close();
        }
        svc->upstream_pool.clear();
        svc->refresh.cancel();
    });
}

std::vector<std::uint16_t> service::bound_sni_ports() const {
    return ports_of(impl_->sni_acceptors);
}
std::vector<std::uint16_t> service::bound_connect_ports() const {
    return ports_of(impl_->connect_acceptors);
}

}  // namespace consolegate::proxy
