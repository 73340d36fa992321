#pragma once
// OpenSSL handles in unique_ptrs with their free functions (STYLE.md rule 9).

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>

namespace consolegate::proxy {

struct openssl_free {
    void operator()(X509* p) const noexcept { X509_free(p); }
    void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
    void operator()(BIO* p) const noexcept { BIO_free_all(p); }
    void operator()(X509_NAME* p) const noexcept { X509_NAME_free(p); }
    void operator()(X509_EXTENSION* p) const noexcept { X509_EXTENSION_free(p); }
    void operator()(BIGNUM* p) const noexcept { BN_free(p); }
    void operator()(SSL_SESSION* p) const noexcept { SSL_SESSION_free(p); }
    void operator()(EVP_PKEY_CTX* p) const noexcept { EVP_PKEY_CTX_free(p); }
    void operator()(NAME_CONSTRAINTS* p) const noexcept { NAME_CONSTRAINTS_free(p); }
    void operator()(GENERAL_NAMES* p) const noexcept { GENERAL_NAMES_free(p); }
    void operator()(SSL_CTX* p) const noexcept { SSL_CTX_free(p); }
};

using x509_ptr = std::unique_ptr<X509, openssl_free>;
using pkey_ptr = std::unique_ptr<EVP_PKEY, openssl_free>;
using bio_ptr = std::unique_ptr<BIO, openssl_free>;
using session_ptr = std::unique_ptr<SSL_SESSION, openssl_free>;
using ssl_ctx_ptr = std::unique_ptr<SSL_CTX, openssl_free>;

// Shared ownership of an X509 that can be handed to several SSL objects.
using shared_x509 = std::shared_ptr<X509>;
inline shared_x509 share(x509_ptr p) {
    return shared_x509(p.release(), X509_free);
}

// The last OpenSSL error queue entry as text (queue cleared).
std::string openssl_error_text();

}  // namespace consolegate::proxy
