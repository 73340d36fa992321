#pragma once
// The proxy's inspect/splice/refuse decision for a host, on every path a host arrives by: the
// TLS SNI, a CONNECT target, and a plain-HTTP absolute URL. Pure. The names it is given were
// parsed by core/host_pattern (parse_authority, canonical_host), so an invalid name never gets
// here; a non-canonical one that does is refused, never spliced.
//
// Order: a host matching `pass_through_hosts` is spliced (never inspected, even when it also
// matches `inspect_hosts`, and even when `not_inspected = "refuse"`); a host matching
// `inspect_hosts` is inspected; anything else follows `not_inspected`.
//
// The name alone never decides a splice: front_door.cpp and plain_forward.cpp then check the
// destination's addresses against the inspected names' addresses (destination_set.hpp) and ask
// to_inspected_address() what to do when one matches.

#include <cstdint>
#include <string_view>

#include "consolegate/core/config.hpp"
#include "consolegate/core/host_pattern.hpp"

namespace consolegate::proxy {

enum class route : std::uint8_t { inspect, splice, refuse };

class host_routes {
  public:
    host_routes() = default;  // inspects nothing, passes nothing, splices the rest
    // Throws std::invalid_argument naming a bad pattern (the loader validates first, so this
    // is a wiring bug, not a user-facing path).
    explicit host_routes(const core::proxy_config& p);

    // Once the ClientHello is read. `connect_host` is the CONNECT target ("" on the SNI
    // listener), `sni` the server name ("" when the client sent none). A tunnel whose two names
    // disagree while either is inspected is refused: CONNECT 52.x.x.x with SNI
    // signin.aws.amazon.com (or the reverse) must never become a splice around inspection.
    route tls(std::string_view connect_host, std::string_view sni) const noexcept;
    // A CONNECT target before the ClientHello: whether the tunnel is headed for inspection
    // (resolved when the first request is forwarded) or for a splice (resolved now); `refuse`
    // for a host that is not acceptable (400) or, with not_inspected = "refuse", one that is
    // not listed (403): acceptable() tells the two apart.
    route connect_target(std::string_view host) const noexcept;
    // GET http://host/… on the CONNECT listener: `inspect` = send the browser to https (an
    // inspected host is only ever reached over TLS), `splice` = forward it, `refuse` as above.
    route plain_http(std::string_view host) const noexcept;
    // A connection the names would splice turned out to go to an inspected name's address
    // (`connect_host` "" on the SNI path): `inspect` = bump it under the SNI and judge every
    // request by its Host; `refuse` when the client gave no usable server name (no SNI, an IP
    // literal) or named two different servers. Pass-through names stay spliced: the operator
    // listed them (config/README.md, "Which connections are inspected").
    route to_inspected_address(std::string_view connect_host, std::string_view sni) const noexcept;

    // A host the proxy will route by: canonical (core/host_pattern.hpp) and not a number that
    // resolvers read as an IPv4 address while the matcher reads a name ("3232235777",
    // "0xc0a80101", "0300.0250.1.1", "127.1", "1.2.3.04"): only dotted-quad IPv4 is an address.
    static bool acceptable(std::string_view host) noexcept;

    // A name under a domain AWS serves its own front ends from (aws.amazon.com, amazonaws.com,
    // .aws, cloudfront.net, the other partitions' and the portals' domains): where an ECH
    // ClientHello's public (outer) name there could carry a sign-in or console name encrypted
    // inside, to a front end that serves both. Such a hello is never spliced (front_door.cpp):
    // it is bumped under its outer name as a connection to an inspected address is
    // (to_inspected_address), and the bump, which holds no ECH key, answers for the outer
    // name: a GREASE client goes on, inspected; a real ECH client sees its ECH refused and
    // stops (draft-ietf-tls-esni §6.1.6), never reaching the name inside.
    static bool aws_front(std::string_view host) noexcept;

    bool inspected(std::string_view host) const noexcept {
        return inspect_.matches(host) && !pass_.matches(host);
    }
    bool passed_through(std::string_view host) const noexcept { return pass_.matches(host); }

  private:
    core::host_set inspect_;
    core::host_set pass_;
    core::not_inspected_action not_inspected_ = core::not_inspected_action::splice;
};

}  // namespace consolegate::proxy
