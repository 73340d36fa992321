#pragma once
// The admin listener: /healthz, /readyz, /metrics (Prometheus text), /review (sign-in review page),
// /review/event/<id>, /api/events (JSON lines), /api/events/<id>, /api/elevations (JSON),
// POST /reload, /api/address-map (identity/address_map_api.hpp). Plain HTTP, or HTTPS with
// admin.tls_cert_file/tls_key_file.
// Access (docs/audit.md "Admin access"):
//  - /healthz, /readyz and /metrics are open: scrapers and probes carry no token, and the
//    listener is on loopback by default (a documented choice);
//  - the review pages, the event API and /api/elevations need the reviewer or the operator token,
//  as
//    `Authorization: Bearer <token>` or as the session cookie POST /login sets for browsers;
//  - POST /reload and the address map's POST and DELETE (anything that changes state) need the
//    operator token in the header (never the cookie, so another site cannot make a reviewer's
//    browser reload); listing the address map needs the reviewer or the operator token;
//  - a role whose token is not configured is refused (403), never open.
// Runs on the control io_context (the main thread), never on a data-plane worker; review queries
// run there too (indexed SQLite reads).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "consolegate/audit/sink.hpp"
#include "consolegate/audit/store.hpp"
#include "consolegate/core/address.hpp"
#include "consolegate/identity/address_map_api.hpp"

namespace boost::asio {
class io_context;
}

namespace consolegate::app {

struct admin_handlers {
    std::function<std::string()> metrics;              // Prometheus text exposition
    std::function<bool()> ready;                       // listeners up, config loaded
    std::function<bool(std::string& message)> reload;  // false + message when refused
    // /api/elevations?user=U&account=A: what the gateway believes TEAM says (JSON)
    std::function<std::string(const std::string& user, const std::string& account)> elevations;
    // /api/address-map: method ("GET", "POST", "DELETE"), the address after the path's slash
    // (DELETE), ?user= (DELETE), the body (POST). Unset: 404.
    std::function<identity::api_answer(std::string_view method, std::string_view address,
                                       const std::optional<std::string>& user,
                                       std::string_view body)>
        address_map;
    std::shared_ptr<audit::recent_events> recent;
    // The store the review pages read; when unset, the recent events in memory are shown.
    std::function<std::unique_ptr<audit::event_store>()> open_store;
    std::string node_name;
    std::string reviewer_token, operator_token;  // empty: that role is refused
    std::function<std::chrono::system_clock::time_point()> now = [] {
        return std::chrono::system_clock::now();
    };
    // Both set: the listener speaks HTTPS only (TLS 1.2+; the review cookie is then `Secure`).
    // PEM files, the certificate file may carry the chain. Loaded by start(), which throws with
    // OpenSSL's reason when they do not load or do not match.
    std::filesystem::path tls_cert_file, tls_key_file;
    bool secure = false;  // set by start() when TLS is on
};

class admin_server {
  public:
    admin_server(boost::asio::io_context& ioc, core::ip_address address, std::uint16_t port,
                 admin_handlers handlers);
    ~admin_server();
    // Binds and starts accepting; throws std::system_error when the address cannot be bound.
    void start();
    void stop();
    std::uint16_t port() const;  // the bound port (useful with port 0)

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace consolegate::app
