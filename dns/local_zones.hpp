#pragma once
// The zones unbound answers itself in its default configuration (services/localzone.c,
// local_zone_enter_defaults; RFC 6761, RFC 6303, RFC 7686, RFC 8375): localhost, the loopback
// reverse zones, home.arpa, onion, invalid and the AS112 reverse zones of private, shared,
// link-local and documentation addresses. A forwarder that sent them upstream would leak local
// lookups (and .onion names) to the upstream and answer what unbound's clients never see. The
// gateway answers them as unbound does. test. (also an unbound default) is forwarded, as
// RFC 6761 §6.2 lets test setups use it, and the reference unbound here is configured so.

#include <cstdint>
#include <span>
#include <string_view>

#include "query.hpp"

namespace consolegate::dns {

// Writes the gateway's own answer when `q` (class IN; `lower` its name as to_text gives the
// lowercased wire name) falls in one of those zones: the zone's data with AA, else NODATA or
// NXDOMAIN with the zone's SOA. A DS query at a zone's apex is the parent's business and not
// answered here, as by unbound. Returns 0 when the name is not in them (or `out` is too small).
std::size_t write_local_zone_answer(const query& q, std::string_view lower,
                                    std::uint16_t our_udp_size,
                                    std::span<std::uint8_t> out) noexcept;

}  // namespace consolegate::dns
