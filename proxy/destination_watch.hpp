#pragma once
// Keeping the inspected names' addresses (destination_set.hpp) filled, and asking them (private
// to the sessions). Each worker resolves the literal names of proxy.inspect_hosts, and a share of
// the regional names behind its wildcard patterns, through its own resolver when it starts and
// again as their TTLs run out, into the one shared set.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "service_impl.hpp"

namespace consolegate::proxy {

// The literal (wildcard-free) inspected names, pass-through names and an air-gapped partition's
// names (core::partition_names::isolated) left out: what a worker resolves to warm the set, and
// what must answer for it to be known. Wildcard patterns' names get in as they are resolved
// (learn).
std::vector<std::string> names_to_watch(const core::proxy_config& p, const host_routes& routes);

// The regional names behind inspect_hosts' wildcard patterns (regional_names.hpp) a worker
// resolves too, the literal and overridden names left out, and an air-gapped partition's literal
// names (one unanswered leaves its own addresses out); none when
// proxy.regional_names_per_round is 0.
std::vector<std::string> regional_names_to_watch(const core::proxy_config& p,
                                                 const host_routes& routes);

// Resolves names_to_watch() now (in parallel), then this round's share of
// regional_names_to_watch() (regional_names_per_round of them, 16 at a time, the workers walking
// the list together; all of them in the gateway's first round; skipped while the literal names
// go unanswered), marks the worker warm, and
// again after the shortest TTL (at least 30 s, at most an hour; 30 s after a failure; soon
// enough that the walk comes back to each regional name before the set lets it go) until stop().
boost::asio::awaitable<void> watch_inspected_addresses(std::shared_ptr<service::impl> svc);

// Returns once this worker's first round is done (bounded by the resolver's own timeout, times
// regional_names_per_round / 16 when it answers the literal names but not the regional ones), so a
// connection by address in the gateway's first seconds is judged against a warm set.
boost::asio::awaitable<void> wait_until_warm(std::shared_ptr<service::impl> svc);

// Whether the set holds every watched name's current addresses on this worker (always, when no
// name is watched). While not (the resolver has failed for longer than the set holds an
// answer, or never answered), no destination can be shown not to be AWS sign-in, and a splice
// is refused (fail closed, refused_while_unknown); note_addresses_unknown() counts and logs
// that.
bool addresses_known(const service::impl& svc);
void note_addresses_unknown(service::impl& svc);

// Whether a connection to `host` that the names would splice (or forward as plain HTTP) is
// refused because the set is not known (!addresses_known): every destination but a
// pass-through name, which the operator listed to be spliced (an IP literal never is one). By
// name too: a resolver that fails for the sign-in names may still resolve another name that
// points at sign-in's front ends (an attacker's zone, a CNAME), and a splice there is a tunnel
// to sign-in that nothing judges. Call after wait_until_warm().
bool refused_while_unknown(const service::impl& svc, std::string_view host);

// `host`, an inspected name, resolved to `r`: its addresses join the set.
void learn_addresses(service::impl& svc, const net::resolve_result& r);

// Whether `a` (or any of `eps`) is an inspected name's address.
bool inspected_address(service::impl& svc, const core::ip_address& a);
bool inspected_address(service::impl& svc, const std::vector<boost::asio::ip::tcp::endpoint>& eps);

}  // namespace consolegate::proxy
