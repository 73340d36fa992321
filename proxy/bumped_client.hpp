#pragma once
// What every bumped client connection knows of itself, HTTP/1.1 (bumped_session.cpp) and HTTP/2
// (h2_connection.hpp) alike: the service, the client's socket and its guard, the host and port it
// was bumped for, the SNI, and who is behind it. Private to the sessions.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "bump_terms.hpp"
#include "consolegate/proxy/identification.hpp"
#include "service_impl.hpp"
#include "tls_socket.hpp"

namespace consolegate::proxy {

struct bumped_client {
    bumped_client(std::shared_ptr<service::impl> s, tls_socket& cl, connection_guard& g,
                  std::string h, std::uint16_t p, std::string n, core::ip_address ip,
                  shared_identity who, bump_terms terms)
        : svc(std::move(s)),
          o(*svc->opts),
          st(svc->counters()),
          client(cl),
          guard(g),
          host(std::move(h)),
          port(p),
          sni(std::move(n)),
          client_ip(ip),
          corp(std::move(who)),
          user_header(terms.user_header),
          by_address(terms.at_sign_in_address) {}
    // Not copyable or movable: the sessions and their exchanges hold references into it.
    bumped_client(const bumped_client&) = delete;
    bumped_client& operator=(const bumped_client&) = delete;

    std::shared_ptr<service::impl> svc;
    const core::proxy_config& o;
    stats& st;
    tls_socket& client;
    connection_guard& guard;
    std::string host;
    std::uint16_t port;
    std::string sni;
    core::ip_address client_ip;
    shared_identity corp;  // the connection's; a request's trusted header overrides it
    bool user_header;      // bump_terms.hpp
    bool by_address;       // bump_terms::at_sign_in_address
};

}  // namespace consolegate::proxy
