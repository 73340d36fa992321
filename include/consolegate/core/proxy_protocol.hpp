#pragma once
// The PROXY protocol header (HAProxy's spec, versions 1 and 2) as a pure parser: bytes in, a
// status and the client's real address out. No sockets; the I/O edge that reads a header from a
// connection and decides whom to trust is net/proxy_protocol (include/consolegate/net/).
//
// Contract: parse_proxy_header looks only at `in`, never reads past it, never allocates, and
// never throws. It answers for the bytes seen so far:
//   need_more  – every byte so far is a prefix of a header (call again with more);
//   not_proxy  – the bytes cannot start a header (the connection speaks its own protocol);
//   complete   – a valid header of `consumed` bytes; the bytes after it belong to the client;
//   malformed  – a header was started but is invalid (`error` says why).
// A PROXY command whose transport is not TCP over IPv4/IPv6 (UNIX sockets, UDP, AF_UNSPEC) is
// malformed: the gateway's policy needs a client IP address and never guesses one.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "consolegate/core/address.hpp"

namespace consolegate::core {

enum class proxy_parse_status : std::uint8_t { need_more, not_proxy, complete, malformed };

// `proxy`: the connection was relayed for a client (addresses below). `local`: the balancer
// speaks for itself (v2 LOCAL, v1 "PROXY UNKNOWN"), e.g. a health check; the socket's own peer
// address stays the client (spec §2.1 and §2.2).
enum class proxy_command : std::uint8_t { local, proxy };

struct proxy_header {
    std::uint8_t version = 0;  // 1 or 2
    proxy_command command = proxy_command::local;
    ip_address source;  // meaningful only for proxy_command::proxy
    ip_address destination;
    std::uint16_t source_port = 0;
    std::uint16_t destination_port = 0;
};

struct proxy_parse_result {
    proxy_parse_status status = proxy_parse_status::need_more;
    std::size_t consumed = 0;  // header length when complete
    proxy_header header;
    std::string_view error;  // static text when malformed
};

// Spec §2.1: a v1 line is at most 107 bytes with its CRLF. §2.2: a v2 header is 16 bytes plus a
// 16-bit length, so never more than 16 + 65535 bytes.
inline constexpr std::size_t proxy_v1_max_bytes = 107;
inline constexpr std::size_t proxy_v2_max_bytes = 16 + 65535;

proxy_parse_result parse_proxy_header(std::span<const std::uint8_t> in) noexcept;

}  // namespace consolegate::core
