#include "destination_watch.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "consolegate/core/partition.hpp"
#include "consolegate/log/log.hpp"
#include "regional_names.hpp"
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

// The regional names of one round, resolved by at most `regional_lanes` lookups at a time (a
// round may hold hundreds; the upstream resolvers should not see them as one burst). Unlike the
// literal names, most regional names do not exist (NXDOMAIN, nothing learned), and one that no
// server answers leaves only its own addresses out: it is counted and logged, and does not make
// every destination known by address refused (addresses_known).
constexpr std::size_t regional_lanes = 16;

struct regional_round {
    std::vector<std::string> names;
    std::size_t taken = 0;
    std::size_t lanes = 0;
    std::size_t unresolved = 0;
    std::string an_unresolved;
    std::chrono::seconds next = longest_refresh;
    asio::steady_timer done;
    explicit regional_round(asio::io_context& io)
        : done(io, asio::steady_timer::time_point::max()) {}
};

asio::awaitable<void> regional_lane(std::shared_ptr<service::impl> svc,
                                    std::shared_ptr<regional_round> round) {
    while (round->taken < round->names.size()) {
        const std::string& name = round->names[round->taken++];
        auto r = co_await svc->resolver->resolve(name);
        learn_addresses(*svc, r);
        if (!r.answered()) {
            ++round->unresolved;
            round->an_unresolved = name;
            count(svc->counters().regional_names_unresolved);
        } else {
            count(svc->counters().regional_names_resolved);
            if (!r.addresses.empty()) {
                round->next = std::min(round->next, std::clamp<std::chrono::seconds>(
                                                        r.ttl, shortest_refresh, longest_refresh));
            }
        }
    }
    if (--round->lanes == 0) round->done.cancel();
}

// The next `per_round` of `all`, from where the last round of any worker stopped, wrapping.
// The first round of all takes the whole list: the set starts complete, so a connection by
// address in the gateway's first minutes is not spliced to a front end a later round would
// have named (the other workers' first rounds take their share as usual).
std::vector<std::string> next_slice(service::impl& svc, const std::vector<std::string>& all,
                                    std::size_t per_round) {
    if (std::size_t unclaimed = 0;
        svc.shared.regional_cursor.compare_exchange_strong(unclaimed, all.size())) {
        return all;
    }
    const auto n = std::min(per_round, all.size());
    const auto start = svc.shared.regional_cursor.fetch_add(n, std::memory_order_relaxed);
    std::vector<std::string> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) out.push_back(all[(start + i) % all.size()]);
    return out;
}

// Resolves this round's share of the regional names; returns when the next round is due for
// them: their shortest TTL, but soon enough that the walk over the whole list comes back to
// each name before the set lets its addresses go (inspected_addresses::min_hold).
asio::awaitable<std::chrono::seconds> resolve_regional(std::shared_ptr<service::impl> svc,
                                                       const std::vector<std::string>& all) {
    const std::size_t per_round = svc->opts->regional_names_per_round;
    auto round = std::make_shared<regional_round>(svc->ioc);
    round->names = next_slice(*svc, all, per_round);
    round->lanes = std::min(regional_lanes, round->names.size());
    for (std::size_t i = 0, lanes = round->lanes; i < lanes; ++i) {
        asio::co_spawn(svc->ioc, regional_lane(svc, round), asio::detached);
    }
    if (round->lanes > 0) co_await round->done.async_wait(tok);
    if (round->unresolved > 0) {
        static log::rate_limit limit(std::chrono::seconds(60));
        if (auto suppressed = limit.allow(std::chrono::steady_clock::now())) {
            log::write(log::level::warn, "proxy",
                       "regional sign-in names did not resolve: their addresses are not in the "
                       "set until they do",
                       {{"unresolved", std::to_string(round->unresolved)},
                        {"of", std::to_string(round->names.size())},
                        {"example", round->an_unresolved},
                        {"suppressed", std::to_string(*suppressed)}});
        }
    }
    const auto rounds_per_walk = (all.size() + per_round - 1) / per_round;
    const auto walk_bound = std::chrono::duration_cast<std::chrono::seconds>(
        inspected_addresses::min_hold / static_cast<long>(rounds_per_walk + 1));
    co_return std::min(round->next, std::max<std::chrono::seconds>(walk_bound, shortest_refresh));
}

}  // namespace

namespace {

// Whether `name` is one of an air-gapped partition's (core::partition_names::isolated).
bool of_isolated_partition(std::string_view name) {
    const auto p = core::partition_of_host(name);
    return p && core::names_of(*p).isolated;
}

// The literal inspected names to resolve at all: pass-through names, addresses and overridden
// names left out.
std::vector<std::string> literal_names(const core::proxy_config& p, const host_routes& routes) {
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

}  // namespace

std::vector<std::string> names_to_watch(const core::proxy_config& p, const host_routes& routes) {
    auto out = literal_names(p, routes);
    std::erase_if(out, [](const std::string& n) { return of_isolated_partition(n); });
    return out;
}

std::vector<std::string> regional_names_to_watch(const core::proxy_config& p,
                                                 const host_routes& routes) {
    if (p.regional_names_per_round == 0) return {};
    auto out = regional_names(p.inspect_hosts, p.watch_regions, routes);
    const auto literal = names_to_watch(p, routes);
    std::erase_if(out, [&](const std::string& n) {
        return std::find(literal.begin(), literal.end(), n) != literal.end() ||
               std::any_of(p.upstream_overrides.begin(), p.upstream_overrides.end(),
                           [&](const auto& o) { return o.host == n; });
    });
    // An air-gapped partition's literal names are resolved as these are: a site outside it may
    // get no answer for them, which must not leave every destination known by address refused.
    for (auto& n : literal_names(p, routes)) {
        if (of_isolated_partition(n)) out.push_back(std::move(n));
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
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
    const auto regional = svc->resolver ? regional_names_to_watch(*svc->opts, svc->shared.routes)
                                        : std::vector<std::string>{};
    svc->watches_names = svc->resolver && !names.empty();
    for (;;) {
        auto next = longest_refresh;
        bool resolver_answers = true;
        if (svc->watches_names) {
            const auto started = std::chrono::steady_clock::now();
            auto round = std::make_shared<round_state>(svc->ioc);
            round->pending = names.size();
            for (const auto& n : names) {
                asio::co_spawn(svc->ioc, resolve_one(svc, round, n), asio::detached);
            }
            if (round->pending > 0) co_await round->done.async_wait(tok);
            next = round->next;
            resolver_answers = round->all_answered;
            if (round->all_answered) {
                svc->addresses_known_until = started + round->held;
            } else if (!addresses_known(*svc)) {
                note_addresses_unknown(*svc);
            }
        }
        // Not while the literal names go unanswered: destinations by address are refused then
        // anyway, and the round (and the warm-up every connection by address waits for) would
        // wait out a timeout per regional name.
        if (!regional.empty() && resolver_answers) {
            next = std::min(next, co_await resolve_regional(svc, regional));
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

bool refused_while_unknown(const service::impl& svc, std::string_view host) {
    if (addresses_known(svc)) return false;
    return core::ip_address::parse(host) || !svc.shared.routes.passed_through(host);
}

void note_addresses_unknown(service::impl& svc) {
    count(svc.counters().addresses_unknown);
    static log::rate_limit limit(std::chrono::seconds(60));
    if (auto suppressed = limit.allow(std::chrono::steady_clock::now())) {
        log::write(log::level::warn, "proxy",
                   "the inspected names do not resolve: connections that would be spliced "
                   "(pass-through names aside) are refused until they do",
                   {{"suppressed", std::to_string(*suppressed)}});
    }
}

asio::awaitable<void> wait_until_warm(std::shared_ptr<service::impl> svc) {
    if (svc->warm) co_return;
    co_await svc->warm_signal.async_wait(tok);
}

void learn_addresses(service::impl& svc, const net::resolve_result& r) {
    if (r.addresses.empty()) return;
    const auto now = inspected_addresses::clock::now();
    auto& set = *svc.shared.addresses;
    for (const auto& a : r.addresses) set.add(to_core(a), r.ttl, now);
    auto& st = svc.counters();
    st.inspected_addresses.store(set.size(), std::memory_order_relaxed);
    const auto evicted = set.evictions();
    if (st.inspected_address_evictions.exchange(evicted, std::memory_order_relaxed) == evicted)
        return;
    static log::rate_limit limit(std::chrono::seconds(60));
    if (auto suppressed = limit.allow(std::chrono::steady_clock::now())) {
        log::write(log::level::warn, "proxy",
                   "the inspected names' address set is full: addresses are dropped before they "
                   "expire and are spliceable by address again; raise "
                   "proxy.inspected_address_limit",
                   {{"limit", std::to_string(svc.opts->inspected_address_limit)},
                    {"evicted_total", std::to_string(evicted)},
                    {"suppressed", std::to_string(*suppressed)}});
    }
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
