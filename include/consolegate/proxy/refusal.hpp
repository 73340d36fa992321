#pragma once
// Why the proxy refused a connection or request before judging it: the refusal's code, the audit
// event's `reason` (flow and phase "refused", app/refusal_record.hpp) and the word docs/proxy.md
// uses. `refusal_codes` is every code there is: a refusal_code is made only from a literal in it
// (checked when compiled), so a new refusal cannot reach the record under a code the table, and
// with it docs/audit-event.schema.json and docs/audit.md (refusal_code_test), does not list.

#include <array>
#include <string_view>

namespace consolegate::proxy {

inline constexpr std::array<std::string_view, 20> refusal_codes{
    "not-a-host",                   // a CONNECT target, SNI, URL or Host that is not a host name
    "names-disagree",               // CONNECT and SNI name different hosts
    "no-server-name",               // TLS naming no host: no CONNECT target and no SNI
    "inspected-address-literal",    // CONNECT or a URL to a sign-in address by IP
    "inspected-address-unnamed",    // a tunnel to a sign-in address (or ECH front) without SNI
    "inspected-addresses-unknown",  // the resolver fails for the sign-in names (503)
    "not-inspected-refused",        // not_inspected = "refuse"
    "proxy-auth-refused",           // a Kerberos token the acceptor refused (407)
    "unreadable-request",           // a head or body the parser refuses, or over its limits
    "transfer-coding",              // a Transfer-Encoding other than chunked (501)
    "ambiguous-framing",            // framing another server could read otherwise (400)
    "bad-request-target",           // CONNECT, OPTIONS * or a target that is not a path (400)
    "misdirected",                  // a Host other than the connection's (421)
    "duplicate-host",               // two Host fields on a request the inspector allowed (400)
    "upgrade-refused",              // an upgrade other than WebSocket, or bytes behind one (400)
    "identity-conflict",            // the trusted header for another user than the CONNECT's
    "h2-malformed",                 // an HTTP/2 header block RFC 9113 §8 calls malformed
    "h2-connection-field",          // a connection-specific field in HTTP/2
    "h2-authority-conflict",        // :authority and host disagree
    "h2-content-length",            // content-length unreadable, repeated or not the DATA's
};

class refusal_code {
  public:
    constexpr refusal_code() noexcept = default;  // none: "" (a request nothing refused)
    // Only a literal of refusal_codes (or "" for none): anything else does not compile.
    consteval refusal_code(const char* code) : code_(code) {
        if (code_.empty()) return;
        for (auto known : refusal_codes) {
            if (known == code_) return;
        }
        not_in_refusal_codes();
    }
    constexpr std::string_view str() const noexcept { return code_; }
    constexpr bool empty() const noexcept { return code_.empty(); }
    friend constexpr bool operator==(refusal_code, refusal_code) noexcept = default;

  private:
    static void not_in_refusal_codes();  // never defined: a call is not a constant expression
    std::string_view code_;
};

}  // namespace consolegate::proxy
