#include "ca.hpp"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "consolegate/core/host_pattern.hpp"
#include "consolegate/core/key_file.hpp"

namespace consolegate::proxy {

std::string openssl_error_text() {
    unsigned long e = ERR_get_error();
    std::string out = "unknown OpenSSL error";
    if (e != 0) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        out = buf;
    }
    ERR_clear_error();
    return out;
}

pkey_ptr generate_p256_key() {
    return pkey_ptr(EVP_EC_gen("P-256"));
}

bool add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    std::unique_ptr<X509_EXTENSION, openssl_free> ext(
        X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
    return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

namespace {

// Writes `data` to a new file with `mode`; O_EXCL so an existing file is never overwritten.
bool write_new_file(const std::string& path, const std::string& data, mode_t mode,
                    std::string& error) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        error = path + ": " + std::strerror(errno);
        return false;
    }
    ::fchmod(fd, mode);  // umask must not widen or narrow what we asked for
    std::size_t done = 0;
    while (done < data.size()) {
        auto n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            error = path + ": " + std::strerror(errno);
            ::close(fd);
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        error = path + ": " + std::strerror(errno);
        return false;
    }
    return true;
}

std::string bio_string(BIO* bio) {
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    return len > 0 ? std::string(data, static_cast<std::size_t>(len)) : std::string();
}

}  // namespace

std::optional<ca_files> init_ca(const ca_init_options& opts, std::string& error) {
    namespace fs = std::filesystem;
    if (opts.dir.empty()) {
        error = "--dir is required";
        return std::nullopt;
    }
    if (opts.common_name.empty() || opts.common_name.size() > 64) {
        error = "the CA name must be 1 to 64 characters (RFC 5280 ub-common-name)";
        return std::nullopt;
    }
    std::string constraints;
    for (const auto& d : opts.permitted_dns) {
        auto n = core::canonical_host(d.starts_with(".") ? std::string_view(d).substr(1) : d);
        if (!n) {
            error = "invalid --permitted-dns entry: " + d + " (" + n.error().message() + ")";
            return std::nullopt;
        }
        constraints += (constraints.empty() ? "critical,permitted;DNS:" : ",permitted;DNS:") + *n;
    }
    ca_files files{(fs::path(opts.dir) / "ca.crt").string(),
                   (fs::path(opts.dir) / "ca.key").string()};
    std::error_code ec;
    fs::create_directories(opts.dir, ec);
    if (ec) {
        error = opts.dir + ": " + ec.message();
        return std::nullopt;
    }
    if (fs::exists(files.cert, ec) || fs::exists(files.key, ec)) {
        error = "refusing to overwrite an existing CA in " + opts.dir;
        return std::nullopt;
    }

    pkey_ptr key = generate_p256_key();
    x509_ptr cert(X509_new());
    std::unique_ptr<BIGNUM, openssl_free> serial(BN_new());
    if (!key || !cert || !serial) {
        error = openssl_error_text();
        return std::nullopt;
    }
    X509_set_version(cert.get(), X509_VERSION_3);
    BN_rand(serial.get(), 128, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY);
    BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get()));
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()),
                    std::chrono::duration_cast<std::chrono::seconds>(opts.validity).count());
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(opts.common_name.c_str()), -1,
                               -1, 0);
    X509_set_issuer_name(cert.get(), name);
    X509_set_pubkey(cert.get(), key.get());
    // pathlen:0 so a stolen leaf can never act as a CA; keyCertSign only.
    bool ok =
        add_ext(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0") &&
        add_ext(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign") &&
        add_ext(cert.get(), cert.get(), NID_subject_key_identifier, "hash") &&
        add_ext(cert.get(), cert.get(), NID_authority_key_identifier, "keyid:always");
    if (ok && !constraints.empty()) {
        ok = add_ext(cert.get(), cert.get(), NID_name_constraints, constraints);
    }
    if (!ok || X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) {
        error = openssl_error_text();
        return std::nullopt;
    }
    bio_ptr kb(BIO_new(BIO_s_mem())), cb(BIO_new(BIO_s_mem()));
    if (!PEM_write_bio_PrivateKey(kb.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) ||
        !PEM_write_bio_X509(cb.get(), cert.get())) {
        error = openssl_error_text();
        return std::nullopt;
    }
    if (!write_new_file(files.key, bio_string(kb.get()), 0600, error)) return std::nullopt;
    if (!write_new_file(files.cert, bio_string(cb.get()), 0644, error)) {
        fs::remove(files.key, ec);
        return std::nullopt;
    }
    return files;
}

std::optional<certificate_authority> load_ca(const std::string& cert_path,
                                             const std::string& key_path, std::string& error) {
    struct stat st {};
    if (::stat(key_path.c_str(), &st) != 0) {
        error = key_path + ": " + std::strerror(errno);
        return std::nullopt;
    }
    if (auto problem = core::key_file_mode_problem(st.st_mode, st.st_uid); !problem.empty()) {
        error = key_path + ": the CA key " + problem;
        return std::nullopt;
    }
    bio_ptr cb(BIO_new_file(cert_path.c_str(), "r"));
    bio_ptr kb(BIO_new_file(key_path.c_str(), "r"));
    if (!cb || !kb) {
        error = (!cb ? cert_path : key_path) + ": cannot open";
        ERR_clear_error();
        return std::nullopt;
    }
    certificate_authority ca;
    ca.cert.reset(PEM_read_bio_X509(cb.get(), nullptr, nullptr, nullptr));
    ca.key.reset(PEM_read_bio_PrivateKey(kb.get(), nullptr, nullptr, nullptr));
    if (!ca.cert || !ca.key) {
        error = (!ca.cert ? cert_path : key_path) + ": not a PEM " +
                (!ca.cert ? "certificate" : "private key") + " (" + openssl_error_text() + ")";
        return std::nullopt;
    }
    int type = EVP_PKEY_get_base_id(ca.key.get());
    if (type != EVP_PKEY_RSA && type != EVP_PKEY_EC) {
        error = key_path + ": only RSA and ECDSA CA keys are supported";
        return std::nullopt;
    }
    if (X509_check_private_key(ca.cert.get(), ca.key.get()) != 1) {
        error = key_path + ": key does not match " + cert_path;
        ERR_clear_error();
        return std::nullopt;
    }
    if (X509_check_ca(ca.cert.get()) < 1) {
        error = cert_path + ": not a CA certificate (basicConstraints CA:TRUE missing)";
        return std::nullopt;
    }
    return ca;
}

}  // namespace consolegate::proxy
