#pragma once
// Kerberos through SPNEGO (`Proxy-Authenticate: Negotiate`, RFC 4559) for the CONNECT listener
// (docs/identity.md "Kerberos"): the service keytab checked, a client's token accepted against
// it. GSSAPI (MIT krb5) stays inside kerberos.cpp: nothing here names a GSSAPI type.
//
// Thread-safety: accept() may run on every worker at once (each call has its own security
// context; the acceptor credential is shared read-only). One accept is CPU work against the
// local keytab (decrypt the ticket, check the authenticator, the replay cache): no network.

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace consolegate::identity {

// Empty when `keytab` is usable for `principal`: a regular file the gateway can read, not
// readable by everyone, holding a key for the principal. Else the problem and its fix, for the
// operator (check-config, the start, a reload).
std::string check_keytab(const std::filesystem::path& keytab, std::string_view principal);

enum class negotiate_outcome {
    identified,  // a valid ticket for our service: `user` is the client principal
    malformed,   // not "Negotiate <base64>", or base64 that is not a GSSAPI token
    refused,     // a token GSSAPI refused (bad, expired, replayed, for another service, …)
    continued,   // a multi-round negotiation (not Kerberos): not supported, treated as refused
};

struct negotiate_result {
    negotiate_outcome outcome = negotiate_outcome::malformed;
    std::string user;    // "alice@CORP.EXAMPLE" when identified
    std::string reason;  // GSSAPI's words when refused ("Request ticket server ... not found");
                         // never any token material
    std::chrono::microseconds took{0};
};

class negotiate_acceptor {
  public:
    // The acceptor credential for `principal` from `keytab`; null with `problem` set when it
    // cannot be had (check_keytab's findings, or GSSAPI's).
    static std::unique_ptr<negotiate_acceptor> open(const std::filesystem::path& keytab,
                                                    std::string_view principal,
                                                    std::string& problem);
    ~negotiate_acceptor();
    negotiate_acceptor(const negotiate_acceptor&) = delete;
    negotiate_acceptor& operator=(const negotiate_acceptor&) = delete;

    // One Proxy-Authorization value ("Negotiate YII…"); the scheme is matched
    // case-insensitively. Single round: Kerberos through SPNEGO completes in one token.
    negotiate_result accept(std::string_view authorization) const;

    const std::string& principal() const noexcept;

  private:
    struct impl;
    explicit negotiate_acceptor(std::unique_ptr<impl> p);
    std::unique_ptr<impl> impl_;
};

// Whether a Proxy-Authorization value uses the Negotiate scheme (case-insensitive).
bool is_negotiate(std::string_view authorization) noexcept;

}  // namespace consolegate::identity
