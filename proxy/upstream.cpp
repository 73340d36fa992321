// Finding and reaching the real upstream: overrides, the c-ares resolver, the destination rules.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "destination.hpp"
#include "destination_watch.hpp"
#include "service_impl.hpp"

namespace consolegate::proxy {

namespace asio = boost::asio;
using asio::ip::tcp;

core::ip_address to_core(const asio::ip::address& a) {
    if (a.is_v4()) return core::ip_address::from_v4(a.to_v4().to_uint());
    auto v6 = a.to_v6();
    if (v6.is_v4_mapped()) {
        return core::ip_address::from_v4(
            asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_uint());
    }
    return core::ip_address::from_v6(v6.to_bytes());
}

asio::ip::address to_asio(const core::ip_address& a) {
    if (a.is_v4()) return asio::ip::address_v4(a.v4());
    return asio::ip::address_v6(a.bytes());
}

asio::awaitable<resolved> resolve_destination(std::shared_ptr<service::impl> svc, std::string host,
                                              std::uint16_t port) {
    resolved out;
    std::vector<asio::ip::address> addrs;
    for (const auto& o : svc->opts->upstream_overrides) {
        if (o.host == host) {
            addrs.push_back(to_asio(o.address.address));
            port = o.address.port;
            break;
        }
    }
    if (addrs.empty()) {
        if (auto lit = core::ip_address::parse(host)) {
            addrs.push_back(to_asio(*lit));
        } else if (svc->resolver) {
            auto r = co_await svc->resolver->resolve(host);
            if (r.error || r.addresses.empty()) {
                out.failure = upstream_failure::resolve;
                out.reason = "cannot resolve " + host +
                             (r.error ? " (" + r.error.message() + ")" : std::string());
                co_return out;
            }
            // An inspected name's addresses are inspected whatever name a client gives them.
            if (svc->shared.routes.inspected(host)) learn_addresses(*svc, r);
            addrs = std::move(r.addresses);
        } else {
            out.failure = upstream_failure::resolve;
            out.reason = "no upstream resolver configured for " + host;
            co_return out;
        }
    }
    for (const auto& a : addrs) {
        if (destination_allowed(to_core(a), svc->opts->allow_destinations,
                                svc->opts->nat64_prefixes)) {
            out.endpoints.emplace_back(a, port);
        }
    }
    if (out.endpoints.empty()) {
        out.failure = upstream_failure::forbidden;
        out.reason = host + " resolves only to internal addresses, which are not allowed";
    }
    co_return out;
}

asio::awaitable<tcp_connect_result> connect_tcp(std::shared_ptr<service::impl> svc,
                                                std::vector<tcp::endpoint> eps) {
    tcp_connect_result out;
    boost::beast::tcp_stream s(svc->ioc);
    s.expires_after(svc->opts->upstream_timeout);
    auto [ec, ep] = co_await s.async_connect(eps, asio::as_tuple(asio::use_awaitable));
    if (ec) {
        out.failure = ec == boost::beast::error::timeout ? upstream_failure::timeout
                                                         : upstream_failure::connect;
        out.reason = "cannot connect upstream: " + ec.message();
        co_return out;
    }
    s.socket().set_option(tcp::no_delay(true), ec);
    out.stream.emplace(std::move(s));
    co_return out;
}

}  // namespace consolegate::proxy
