#include "destination_watch.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "consolegate/log/log.hpp"
#include "stream_io.hpp"

namespace consolegate::proxy {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr auto shortest_refresh = 30s;
constexpr auto longest_refresh = std::chrono::seconds(3600);

// One round over `names`, all at once; `next` becomes the shortest time until a name needs
// resolving again.
struct round_state {
    std::size_t pending = 0;
    std::chrono::seconds next = longest_refresh;
    bool all_answered = true;                     // every name got an answer (NXDOMAIN counts)
    std::chrono::seconds held = longest_refresh;  // the shortest time the set holds an answer
    asio::steady_timer done;
    explicit round_state(asio::io_context& io) : done(io, asio::steady_timer::time_point::max()) {}
};

asio::awaitable<void> resolve_one(std::shared_ptr<service::impl> svc,
                                  std::shared_ptr<round_state> round, std::string name) {
    auto r = co_await svc->resolver->resolve(name);
    learn_addresses(*svc, r);
    if (!r.answered()) round->all_answered = false;
    round->held = std::min(round->held, std::max(r.ttl, inspected_addresses::min_hold));
    const auto again = r.addresses.empty() ? shortest_refresh
                                           : std::clamp<std::chrono::seconds>(
                                                 r.ttl, shortest_refresh, longest_refresh);
    round->next = std::min(round->next, again);
    if (--round->pending == 0) round->done.cancel();
}

}  // namespace

std::vector<std::string> names_to_watch(const core::proxy_config& p, const host_routes& routes) {
    std::vector<std::string> out;
    for (const auto& s : p.inspect_hosts) {
        if (s.find('*') != std::string::npos || !routes.inspected(s)) continue;
        if (core::ip_address::parse(s)) continue;  // an address needs no resolving: see below
        // A name sent to a configured address is never resolved on its way to AWS.
        if (std::any_of(p.upstream_overrides.begin(), p.upstream_overrides.end(),
                        [&](const auto& o) { return o.host == s; }))
            continue;
        out.push_back(s);
    }
    return out;
}

asio::awaitable<void> watch_inspected_addresses(std::shared_ptr<service::impl> svc) {
    // An inspect_hosts entry that is an IP literal is an inspected address as it stands.
    for (const auto& s : svc->opts->inspect_hosts) {
        if (auto a = core::ip_address::parse(s)) {
            svc->shared.addresses->add(*a, longest_refresh * 24 * 365,
                                       inspected_addresses::clock::now());
        }
    }
    const auto names = names_to_watch(*svc->opts, svc->shared.routes);
    svc->watches_names = svc->resolver && !names.empty();
    for (;;) {
        auto next = longest_refresh;
        if (svc->watches_names) {
            const auto started = std::chrono::steady_clock::now();
            auto round = std::make_shared<round_state>(svc->ioc);
            round->pending = names.size();
            for (const auto& n : names) {
                asio::co_spawn(svc->ioc, resolve_one(svc, round, n), asio::detached);
            }
            if (round->pending > 0) co_await round->done.async_wait(tok);
            next = round->next;
            if (round->all_answered) {
                svc->addresses_known_until = started + round->held;
            } else if (!addresses_known(*svc)) {
                note_addresses_unknown(*svc);
            }
        }
        if (!svc->warm) {
            svc->warm = true;
            svc->warm_signal.cancel();
        }
        if (svc->draining) co_return;
        svc->refresh.expires_after(next);
        auto [ec] = co_await svc->refresh.async_wait(tok);
        if (ec || svc->draining) co_return;
    }
}

bool addresses_known(const service::impl& svc) {
    return !svc.watches_names || std::chrono::steady_clock::now() < svc.addresses_known_until;
}

void note_addresses_unknown(service::impl& svc) {
    count(svc.counters().addresses_unknown);
    static log::rate_limit limit(std::chrono::seconds(60));
    if (auto suppressed = limit.allow(std::chrono::steady_clock::now())) {
        log::write(log::level::warn, "proxy",
                   "the inspected names do not resolve: destinations known only by address are "
                   "refused until they do",
                   {{"suppressed", std::to_string(*suppressed)}});
    }
}

asio::awaitable<void> wait_until_warm(std::shared_ptr<service::impl> svc) {
    if (svc->warm) co_return;
    co_await svc->warm_signal.async_wait(tok);
}

void learn_addresses(service::impl& svc, const net::resolve_result& r) {
    const auto now = inspected_addresses::clock::now();
    for (const auto& a : r.addresses) svc.shared.addresses->add(to_core(a), r.ttl, now);
}

bool inspected_address(service::impl& svc, const core::ip_address& a) {
    return svc.shared.addresses->contains(a, inspected_addresses::clock::now());
}

bool inspected_address(service::impl& svc, const std::vector<boost::asio::ip::tcp::endpoint>& eps) {
    for (const auto& ep : eps) {
        if (inspected_address(svc, to_core(ep.address()))) return true;
    }
    return false;
}

}  // namespace consolegate::proxy
