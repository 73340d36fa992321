#pragma once
// How the front door came to bump a connection, and so what its requests may say of themselves
// (private to the sessions; front_door.cpp decides, bumped_client.hpp keeps it).

namespace consolegate::proxy {

struct bump_terms {
    // Whether a request's trusted user header may name its user: on the CONNECT listener only
    // (docs/identity.md). On the SNI listener the request arrives inside TLS from whoever opened
    // the connection: a NAT or relay in identity.trusted_header_from in front of :443 forwards
    // clients' own TLS, and a header there is the client's word for itself.
    bool user_header = false;
    // Bumped because its destination is an inspected name's address, not for its name: its
    // requests are judged as on a sign-in host (an alias AWS may serve sign-in under). Not for a
    // name bumped because its ClientHello offered ECH (host_routes::aws_front): it is judged
    // under its name, as its splice would have gone unjudged.
    bool at_sign_in_address = false;
};

}  // namespace consolegate::proxy
