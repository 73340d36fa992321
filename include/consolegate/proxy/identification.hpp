#pragma once
// Who is behind a client connection, as the proxy asks it (app/ answers from identity/; the proxy
// does not know where identities come from). docs/identity.md has the order:
//
//   CONNECT carrying the trusted header, from a trusted network  -> that user (source header)
//   otherwise Kerberos (Proxy-Authorization: Negotiate), where the client's network asks for it
//                                                                -> that user (source kerberos)
//   otherwise the client's address in the address map            -> that user (source address-map)
//   otherwise nobody (source none)
//
// asked once per client connection, after the PROXY protocol header named the real client. A
// request inside an inspected tunnel that carries the trusted header is asked again (by_header);
// the identity it establishes holds for that request alone, except in a tunnel whose CONNECT
// named its user (header or Kerberos), where another user is a conflict and the request is
// refused (proxy/http_wire.hpp request_user). The header itself is stripped from every request
// before it is forwarded, whoever sent it.
//
// Both functions are called on worker threads, concurrently; they must be fast and never block
// (no I/O). A null identity means nobody established one.

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "consolegate/core/address.hpp"
#include "consolegate/core/corp_identity.hpp"

namespace consolegate::proxy {

using shared_identity = std::shared_ptr<const core::corp_identity>;

struct identification {
    // The trusted user header's field name ("X-Authenticated-User"); empty = none (nothing is
    // stripped or asked). Fixed for the service's life.
    std::string header;
    // The identity a client address carries (the address map); may be empty (= nobody).
    std::function<shared_identity(const core::ip_address& client)> by_address;
    // The identity the trusted header's values establish for `client`; null when they establish
    // none (an untrusted client, several values, an invalid one: the callee counts and logs).
    std::function<shared_identity(const core::ip_address& client,
                                  std::span<const std::string_view> values)>
        by_header;

    // Kerberos on the CONNECT listener; null = off everywhere.
    struct negotiate_answer {
        shared_identity who;     // the authenticated user (source kerberos); null = none
        bool challenge = false;  // answer 407 with `Proxy-Authenticate: Negotiate`
        bool refused = false;    // a token was offered and refused (recorded as a refusal)
    };
    // What a request's Proxy-Authorization values establish for `client`, under the mode of the
    // client's network (required: no valid token = challenge; optional: none offered = go on
    // unidentified, a refused one = challenge; off: nothing). CPU work against the local keytab
    // (identity/kerberos.hpp); the callee counts and logs, never the token.
    std::function<negotiate_answer(const core::ip_address& client,
                                   std::span<const std::string_view> proxy_authorization)>
        negotiate;
};

}  // namespace consolegate::proxy
