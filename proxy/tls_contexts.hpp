#pragma once
// TLS settings of both legs. Client leg: TLS 1.2+, ALPN h2 (when on) and http/1.1, the leaf set per
// connection. Upstream leg: full verification (system store or bundle, plus a per-override
// bundle), SNI and hostname check per connection, a client session cache for resumption.

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "openssl_ptr.hpp"

namespace consolegate::proxy {

// `resumption` false: no tickets and no session cache, every handshake is a full one. `http2`:
// ALPN offers h2 before http/1.1 (proxy.http2).
std::unique_ptr<boost::asio::ssl::context> make_server_context(bool resumption = true,
                                                               bool http2 = false);

// `bundle` "" = the system store; `extra` is trusted in addition (per-override CA). Throws
// std::runtime_error naming the file on failure.
std::unique_ptr<boost::asio::ssl::context> make_upstream_context(const std::string& bundle,
                                                                 const std::string& extra);

// Upstream sessions by host for resumption (TLS 1.3 tickets arrive after the handshake, hence
// the new-session callback). Thread-safe; bounded.
class upstream_sessions {
  public:
    void attach(boost::asio::ssl::context& ctx);  // installs the callback on ctx
    // Returns a session for host with its reference count raised, or null.
    SSL_SESSION* get1(const std::string& host);
    void put(const std::string& host, SSL_SESSION* taken);

  private:
    std::mutex mutex_;
    std::unordered_map<std::string, session_ptr> map_;
};

}  // namespace consolegate::proxy
