#pragma once
// The upstream leg of a bumped connection (private to the sessions): a verified TLS connection to
// the real host, opened fresh or taken from this worker's keep-alive pool, and given back to the
// pool when the client connection ends.

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "consolegate/proxy/inspection.hpp"
#include "service_impl.hpp"
#include "tls_socket.hpp"
#include "upstream_response.hpp"

namespace consolegate::proxy {

struct upstream_leg {
    std::shared_ptr<tls_socket> tls;  // null: no connection (yet, or any more)
    boost::beast::flat_buffer buf;    // bytes read from it and not yet parsed
    bool reused = false;              // it has carried a request before this one
};

// Resolves (destination rules applied), connects and verifies the real host (RFC 6125 name or
// IP check, session resumption from the shared cache) into `leg`. Returns "" on success, else the
// operator-facing reason, with `cert_failure` set when the certificate was what failed. Counts
// its failures in the service's stats.
boost::asio::awaitable<std::string> open_upstream(std::shared_ptr<service::impl> svc,
                                                  upstream_leg& leg, std::string host,
                                                  std::uint16_t port, bool& cert_failure);

// Into `leg`: an idle pooled connection for `key` ("host:port") when `pooled_ok` and one younger
// than the idle timeout is there (leg.reused), else a fresh one (open_upstream). "" on success,
// else open_upstream's reason. A retry after a stale reused connection passes pooled_ok false.
boost::asio::awaitable<std::string> take_or_open_upstream(std::shared_ptr<service::impl> svc,
                                                          upstream_leg& leg, const std::string& key,
                                                          std::string host, std::uint16_t port,
                                                          bool pooled_ok);

// Returns a clean upstream connection (last response complete, keep-alive) to the pool when the
// client connection ends, whatever path it ends by.
struct pool_return {
    service::impl& svc;
    std::string key;  // "host:port"
    upstream_leg& leg;
    bool clean = false;
    ~pool_return();
};

// The service's response observer and pre-release hook on an upstream response, HTTP/1.1 and
// HTTP/2 alike, before the client sees a byte of it. `view`: the request as judged (what sign-in
// the answer is to); `body`: the whole body when it was buffered. Returns the observer's verdict
// when it does not allow (the caller answers with its block page instead), else nullopt with
// `release` set to the gateway's work before the response goes out (waiting_hooks), if any. A hook
// that throws is logged, and the response goes on (inspection.hpp says why that fails closed).
std::optional<verdict> observe_upstream_response(service::impl& svc,
                                                 const core::http_request_view& view,
                                                 unsigned status, const response_head_store& head,
                                                 std::string_view body, bool complete,
                                                 pending& release);

}  // namespace consolegate::proxy
