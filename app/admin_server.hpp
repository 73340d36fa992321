#pragma once
// The admin listener: /healthz, /readyz, /metrics (Prometheus text), /review (sign-in review page),
// /api/events (JSON lines), POST /reload. Loopback by default; it has no authentication of its
// own, so it must never listen where untrusted clients reach it.
// Runs on the control io_context (the main thread), never on a data-plane worker.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "consolegate/audit/sink.hpp"
#include "consolegate/core/address.hpp"

namespace boost::asio {
class io_context;
}

namespace consolegate::app {

struct admin_handlers {
    std::function<std::string()> metrics;              // Prometheus text exposition
    std::function<bool()> ready;                       // listeners up, config loaded
    std::function<bool(std::string& message)> reload;  // false + message when refused
    std::shared_ptr<audit::recent_events> recent;
    std::string node_name;
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
