#pragma once
// An HTTP/1.1 request as the browser sent it after TLS, viewed without copying: the proxy builds
// one over its parser's buffers, `consolegate explain` over a request file. Handed to the pure
// sign-in inspector; every view is valid only for the duration of that call.

#include <chrono>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "consolegate/core/address.hpp"
#include "consolegate/core/corp_identity.hpp"

namespace consolegate::core {

// What an inspection hook keeps between the requests of one connection (app/judgement_memo.hpp);
// the connection owns it and destroys it with itself.
struct connection_memo {
    virtual ~connection_memo() = default;
};

struct http_request_view {
    std::string_view method;  // as sent ("GET", "POST", …)
    std::string_view target;  // origin-form "/path?query" (absolute-form already reduced)
    std::string_view host;    // Host header as sent (case, port and trailing dot not normalised)
    std::string_view sni;     // TLS server name of the connection; empty if none
    // The connection was inspected because its destination is an address an inspected name
    // resolves to, not because of its name (docs/proxy.md): a name the gateway does not know that
    // serves what a sign-in host serves. The inspector judges it as a sign-in host.
    bool by_address = false;
    std::vector<std::pair<std::string_view, std::string_view>>
        headers;                  // in order, duplicates kept
    std::string_view body;        // de-chunked, at most the inspection cap
    bool body_truncated = false;  // the body exceeded the inspection cap (body holds the prefix)
    // The body ended with trailer fields (a chunked body's trailer section, an HTTP/2 trailing
    // HEADERS block). They are in `headers` too, after the head's, as the proxy's parsers keep
    // them; this says that some arrived after the body.
    bool trailers = false;
    ip_address client;
    // The corporate user behind the connection (Kerberos, trusted header, address map); null
    // when nobody established one. Owned by the caller, valid for the call like the rest.
    const corp_identity* corp = nullptr;
    std::chrono::system_clock::time_point time;
    // The connection's slot for the hook's memory; null where requests have no connection
    // (`consolegate explain`). Only the connection's own worker touches it, one request at a time.
    std::unique_ptr<connection_memo>* memo = nullptr;
};

}  // namespace consolegate::core
