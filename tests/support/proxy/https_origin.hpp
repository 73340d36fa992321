#pragma once
// A local origin for the proxy tests: HTTP/1.1 keep-alive over TLS (or plain), answering every
// request with a small text body describing what arrived (method, target, Host, Via, and any
// hop-by-hop header that should have been removed). Each `X-Set-Cookie` header of a request comes
// back as a `Set-Cookie` (as AWS's sign-in answers set session cookies). Runs on its own thread;
// port 0.

#include <cstdint>
#include <memory>
#include <string>

namespace consolegate::test {

class https_origin {
  public:
    // cert/key: PEM files; empty = plain HTTP.
    https_origin(const std::string& cert_pem, const std::string& key_pem);
    ~https_origin();
    std::uint16_t port() const;

    struct impl;

  private:
    std::unique_ptr<impl> impl_;
};

// Test PKI on disk: the corporate CA (as `consolegate ca init` makes it), an origin CA the
// proxy trusts through an override bundle, and origin certificates for given hosts.
struct test_pki {
    explicit test_pki(const std::string& dir);
    std::string dir;
    std::string corp_cert, corp_key;
    std::string origin_ca_cert;
    // Writes DIR/<name>.crt/.key for a leaf with SAN = host, signed by the origin CA.
    std::pair<std::string, std::string> origin_leaf(const std::string& host,
                                                    const std::string& name);
    // A leaf for host from the corporate CA (what a peer reverse proxy presents in benchmarks).
    std::pair<std::string, std::string> corp_leaf(const std::string& host);
    // A leaf for host from a CA nobody trusts.
    std::pair<std::string, std::string> rogue_leaf(const std::string& host);

  private:
    std::string origin_ca_key_;
};

}  // namespace consolegate::test
