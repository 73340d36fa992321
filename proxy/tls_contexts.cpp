#include "tls_contexts.hpp"

#include <openssl/err.h>

#include <stdexcept>

namespace consolegate::proxy {
namespace {

// RFC 7301 §3.2: the server picks, from our list in our order (`arg`, a wire-format list): h2
// first when proxy.http2 is on (h2_session.hpp), else HTTP/1.1 only. A client offering nothing
// we speak gets no ALPN and falls back to HTTP/1.1 as browsers do.
const unsigned char alpn_h1[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
const unsigned char alpn_h2_h1[] = {2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void* arg) {
    const bool h2 = arg != nullptr;
    const unsigned char* ours = h2 ? alpn_h2_h1 : alpn_h1;
    const unsigned int size = h2 ? sizeof alpn_h2_h1 : sizeof alpn_h1;
    unsigned char* selected = nullptr;
    if (SSL_select_next_proto(&selected, outlen, ours, size, in, inlen) == OPENSSL_NPN_NEGOTIATED) {
        *out = selected;
        return SSL_TLSEXT_ERR_OK;
    }
    return SSL_TLSEXT_ERR_NOACK;
}

int session_index() {
    static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

int on_new_session(SSL* ssl, SSL_SESSION* session) {
    auto* cache =
        static_cast<upstream_sessions*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), session_index()));
    const char* host = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (cache == nullptr || host == nullptr) return 0;
    cache->put(host, session);
    return 1;  // we own the reference now
}

void harden(SSL_CTX* ctx) {
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    // TLS 1.2: forward-secret AEAD suites only. TLS 1.3: all three AEADs, AES-128-GCM first as
    // browsers and Mozilla's intermediate profile order them (OpenSSL's default puts AES-256
    // first, which costs ~40% more per record for no security the X25519/P-256 key exchange
    // keeps: both are 128-bit).
    SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20");
    SSL_CTX_set_ciphersuites(
        ctx, "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256");
    SSL_CTX_set_options(
        ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
}

}  // namespace

std::unique_ptr<boost::asio::ssl::context> make_server_context(bool resumption, bool http2) {
    auto ctx = std::make_unique<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
    harden(ctx->native_handle());
    // No SSL_MODE_RELEASE_BUFFERS: freeing and reallocating both 16 KiB record buffers around
    // every record cost 4% of the keep-alive CPU. Idle connections give them back through the
    // deadline sweeper instead (tls_socket::release_idle), after a second of idleness.
    SSL_CTX_set_alpn_select_cb(ctx->native_handle(), select_alpn,
                               http2 ? const_cast<unsigned char*>(alpn_h2_h1) : nullptr);
    if (resumption) {
        SSL_CTX_set_session_cache_mode(ctx->native_handle(), SSL_SESS_CACHE_SERVER);
    } else {
        SSL_CTX_set_session_cache_mode(ctx->native_handle(), SSL_SESS_CACHE_OFF);
        SSL_CTX_set_options(ctx->native_handle(), SSL_OP_NO_TICKET);
        SSL_CTX_set_num_tickets(ctx->native_handle(), 0);
    }
    return ctx;
}

std::unique_ptr<boost::asio::ssl::context> make_upstream_context(const std::string& bundle,
                                                                 const std::string& extra) {
    auto ctx = std::make_unique<boost::asio::ssl::context>(boost::asio::ssl::context::tls_client);
    SSL_CTX* c = ctx->native_handle();
    harden(c);
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER, nullptr);
    if (bundle.empty()) {
        if (SSL_CTX_set_default_verify_paths(c) != 1) {
            ERR_clear_error();
            throw std::runtime_error("cannot load the system trust store");
        }
    } else if (SSL_CTX_load_verify_locations(c, bundle.c_str(), nullptr) != 1) {
        throw std::runtime_error("upstream_ca_bundle " + bundle + ": " + openssl_error_text());
    }
    if (!extra.empty() && SSL_CTX_load_verify_locations(c, extra.c_str(), nullptr) != 1) {
        throw std::runtime_error("upstream_override ca_bundle " + extra + ": " +
                                 openssl_error_text());
    }
    SSL_CTX_set_alpn_protos(c, alpn_h1, sizeof alpn_h1);
    return ctx;
}

void upstream_sessions::attach(boost::asio::ssl::context& ctx) {
    SSL_CTX* c = ctx.native_handle();
    SSL_CTX_set_ex_data(c, session_index(), this);
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(c, on_new_session);
}

SSL_SESSION* upstream_sessions::get1(const std::string& host) {
    std::lock_guard lock(mutex_);
    auto it = map_.find(host);
    if (it == map_.end()) return nullptr;
    SSL_SESSION_up_ref(it->second.get());
    return it->second.get();
}

void upstream_sessions::put(const std::string& host, SSL_SESSION* taken) {
    std::lock_guard lock(mutex_);
    if (map_.size() >= 4096 && !map_.contains(host)) map_.clear();  // crude bound; rare
    map_[host].reset(taken);
}

}  // namespace consolegate::proxy
