#include "leaf_minter.hpp"

#include <openssl/err.h>

#include <algorithm>

#include "consolegate/core/address.hpp"

namespace consolegate::proxy {

leaf_minter::leaf_minter(certificate_authority ca, std::chrono::seconds validity,
                         std::chrono::seconds backdate, std::size_t cache_size)
    : ca_(std::move(ca)),
      leaf_key_(generate_p256_key()),
      validity_(validity),
      backdate_(backdate),
      cache_size_(std::max<std::size_t>(cache_size, 1)) {}

shared_x509 leaf_minter::get(const std::string& host) {
    auto now = std::chrono::system_clock::now();
    std::shared_future<shared_x509> wait_for;
    std::promise<shared_x509> promise;
    {
        std::lock_guard lock(mutex_);
        auto it = cache_.find(host);
        if (it != cache_.end() && it->second.not_after > now) {
            lru_.splice(lru_.begin(), lru_, it->second.lru);
            cache_hits.fetch_add(1, std::memory_order_relaxed);
            wait_for = it->second.leaf;
        } else {
            if (it != cache_.end()) {
                lru_.erase(it->second.lru);
                cache_.erase(it);
            }
            while (cache_.size() >= cache_size_ && !lru_.empty()) {
                cache_.erase(lru_.back());
                lru_.pop_back();
            }
            lru_.push_front(host);
            // Re-mint once half the validity has passed so a cached leaf never nears expiry.
            cache_.emplace(host,
                           entry{promise.get_future().share(), now + validity_ / 2, lru_.begin()});
        }
    }
    if (wait_for.valid()) return wait_for.get();
    shared_x509 leaf = mint(host);
    promise.set_value(leaf);
    if (!leaf) {
        std::lock_guard lock(mutex_);
        auto it = cache_.find(host);
        if (it != cache_.end()) {
            lru_.erase(it->second.lru);
            cache_.erase(it);
        }
    }
    return leaf;
}

shared_x509 leaf_minter::mint(const std::string& host) {
    x509_ptr cert(X509_new());
    std::unique_ptr<BIGNUM, openssl_free> serial(BN_new());
    if (!cert || !serial || host.empty() || host.find(',') != std::string::npos) return nullptr;
    X509_set_version(cert.get(), X509_VERSION_3);
    // CA/B Forum BR §7.1: at least 64 bits of CSPRNG output in the serial; we use 128.
    if (BN_rand(serial.get(), 128, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
        !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get()))) {
        return nullptr;
    }
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -backdate_.count());
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), validity_.count());
    // Never outlive the CA: clients reject a leaf whose validity exceeds the issuer's.
    if (ASN1_TIME_compare(X509_get0_notAfter(cert.get()), X509_get0_notAfter(ca_.cert.get())) > 0) {
        X509_set1_notAfter(cert.get(), X509_get0_notAfter(ca_.cert.get()));
    }
    X509_NAME* name = X509_get_subject_name(cert.get());
    std::string cn = host.substr(0, 64);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
    X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_.cert.get()));
    X509_set_pubkey(cert.get(), leaf_key_.get());
    bool is_ip = core::ip_address::parse(host).has_value();
    bool ok = add_ext(cert.get(), ca_.cert.get(), NID_subject_alt_name,
                      (is_ip ? "IP:" : "DNS:") + host) &&
              add_ext(cert.get(), ca_.cert.get(), NID_basic_constraints, "critical,CA:FALSE") &&
              add_ext(cert.get(), ca_.cert.get(), NID_key_usage, "critical,digitalSignature") &&
              add_ext(cert.get(), ca_.cert.get(), NID_ext_key_usage, "serverAuth") &&
              add_ext(cert.get(), ca_.cert.get(), NID_authority_key_identifier, "keyid");
    if (!ok || X509_sign(cert.get(), ca_.key.get(), EVP_sha256()) <= 0) {
        ERR_clear_error();
        return nullptr;
    }
    // Read back from its DER: a parsed certificate keeps its encoding, a built one is encoded
    // again (ASN1) for every handshake that sends it (~17k instructions each, callgrind).
    unsigned char* der = nullptr;
    int len = i2d_X509(cert.get(), &der);
    if (len <= 0) {
        ERR_clear_error();
        return nullptr;
    }
    const unsigned char* p = der;
    x509_ptr parsed(d2i_X509(nullptr, &p, len));
    OPENSSL_free(der);
    if (!parsed) {
        ERR_clear_error();
        return nullptr;
    }
    mints.fetch_add(1, std::memory_order_relaxed);
    return share(std::move(parsed));
}

}  // namespace consolegate::proxy
