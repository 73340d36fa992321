#pragma once
// The corporate CA the proxy mints leaves from: `consolegate ca init` creates one (ECDSA P-256,
// optional name constraints, key 0600, never overwrites), `load_ca` reads an existing one (PEM,
// RSA or ECDSA) and refuses a key file readable by group or others.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "openssl_ptr.hpp"

namespace consolegate::proxy {

struct ca_init_options {
    std::string dir;
    std::string common_name = "consolegate corporate CA";
    std::vector<std::string> permitted_dns;  // RFC 5280 §4.2.1.10 nameConstraints; empty = none
    std::chrono::hours validity{24 * 3650};
};

struct ca_files {
    std::string cert;  // DIR/ca.crt (PEM)
    std::string key;   // DIR/ca.key (PEM, PKCS#8, mode 0600)
};

// Creates DIR if missing. Fails without touching anything if either file already exists.
std::optional<ca_files> init_ca(const ca_init_options& opts, std::string& error);

struct certificate_authority {
    x509_ptr cert;
    pkey_ptr key;
};

// Checks that the key matches the certificate, that the certificate is a CA (basicConstraints
// CA:TRUE) and that the key file is not accessible to group or others.
std::optional<certificate_authority> load_ca(const std::string& cert_path,
                                             const std::string& key_path, std::string& error);

// A fresh ECDSA P-256 key pair.
pkey_ptr generate_p256_key();

// Adds an X.509v3 extension written in OpenSSL's config syntax ("critical,CA:FALSE"), with
// `issuer` as the issuer context (for authorityKeyIdentifier). False on any OpenSSL failure.
bool add_ext(X509* cert, X509* issuer, int nid, const std::string& value);

}  // namespace consolegate::proxy
