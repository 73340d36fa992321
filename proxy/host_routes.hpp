#pragma once
// The proxy's inspect/splice/refuse decision for a host, on every path a host arrives by: the
// TLS SNI, a CONNECT target, and a plain-HTTP absolute URL. Pure. The names it is given were
// parsed by core/host_pattern (parse_authority, canonical_host), so an invalid name never gets
// here; a non-canonical one that does is refused, never spliced.
//
// Order: a host matching `pass_through_hosts` is spliced (never inspected, even when it also
// matches `inspect_hosts`, and even when `not_inspected = "refuse"`); a host matching
// `inspect_hosts` is inspected; anything else follows `not_inspected`.

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
    // (resolved when the first request is forwarded) or for a splice (resolved now).
    route connect_target(std::string_view host) const noexcept;
    // GET http://host/… on the CONNECT listener: `inspect` = send the browser to https (an
    // inspected host is only ever reached over TLS), `splice` = forward it.
    route plain_http(std::string_view host) const noexcept;

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
