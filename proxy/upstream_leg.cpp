#include "upstream_leg.hpp"

#include <openssl/x509_vfy.h>

#include "consolegate/log/log.hpp"
#include "stream_io.hpp"

namespace consolegate::proxy {

namespace asio = boost::asio;

asio::awaitable<std::string> open_upstream(std::shared_ptr<service::impl> svc, upstream_leg& leg,
                                           std::string host, std::uint16_t port,
                                           bool& cert_failure) {
    auto& st = svc->counters();
    cert_failure = false;
    auto dest = co_await resolve_destination(svc, host, port);
    if (dest.failure != upstream_failure::none) {
        count(dest.failure == upstream_failure::forbidden ? st.refused_destination
                                                          : st.upstream_connect_failures);
        co_return dest.reason;
    }
    auto tcp_res = co_await connect_tcp(svc, dest.endpoints);
    if (!tcp_res.stream) {
        count(st.upstream_connect_failures);
        co_return tcp_res.reason;
    }
    leg.tls = std::make_shared<tls_socket>(tcp_res.stream->release_socket(),
                                           svc->shared.upstream_context_for(host).native_handle(),
                                           svc->sweeper);
    leg.buf.clear();
    leg.reused = false;
    SSL* ssl = leg.tls->native_handle();
    bool is_ip = core::ip_address::parse(host).has_value();
    if (is_ip) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str());
    } else {
        SSL_set_tlsext_host_name(ssl, host.c_str());
        SSL_set1_host(ssl, host.c_str());  // RFC 6125 name check by OpenSSL
        if (SSL_SESSION* s = svc->shared.sessions.get1(host)) {
            SSL_set_session(ssl, s);
            SSL_SESSION_free(s);
        }
    }
    leg.tls->expires_after(svc->opts->upstream_timeout);
    auto ec = co_await leg.tls->handshake(false);
    if (ec) {
        long vr = SSL_get_verify_result(ssl);
        leg.tls.reset();
        if (vr != X509_V_OK) {
            cert_failure = true;
            count(st.upstream_cert_failures);
            std::string why = std::string("the certificate of ") + host +
                              " failed verification: " + X509_verify_cert_error_string(vr);
            // A refused upstream certificate is what an operator must see at once (an
            // interception upstream of the gateway, a broken trust bundle): logged, rate-limited.
            static log::rate_limit limit(std::chrono::seconds(10));
            if (auto suppressed = limit.allow(std::chrono::steady_clock::now())) {
                log::write(log::level::warn, "proxy", "upstream certificate refused",
                           {{"host", host},
                            {"error", X509_verify_cert_error_string(vr)},
                            {"suppressed", std::to_string(*suppressed)}});
            }
            co_return why;
        }
        count(ec == asio::error::timed_out ? st.timeouts : st.upstream_connect_failures);
        co_return "TLS handshake with " + host + " failed: " + ec.message();
    }
    if (SSL_session_reused(ssl)) count(st.upstream_resumed);
    co_return std::string();
}

namespace {

std::shared_ptr<tls_socket> take_pooled(service::impl& svc, const std::string& key) {
    auto it = svc.upstream_pool.find(key);
    if (it == svc.upstream_pool.end()) return nullptr;
    auto now = std::chrono::steady_clock::now();
    while (!it->second.empty()) {
        auto p = std::move(it->second.back());
        it->second.pop_back();
        // Origins close idle connections; older than our own idle timeout is not worth a try.
        // One the origin sent bytes on while it idled would answer the next request with them.
        auto conn = std::static_pointer_cast<tls_socket>(p.conn);
        if (now - p.since < svc.opts->idle_timeout && conn->quiet()) return conn;
    }
    return nullptr;
}

}  // namespace

asio::awaitable<std::string> take_or_open_upstream(std::shared_ptr<service::impl> svc,
                                                   upstream_leg& leg, const std::string& key,
                                                   std::string host, std::uint16_t port,
                                                   bool pooled_ok) {
    if (auto pooled = pooled_ok ? take_pooled(*svc, key) : nullptr) {
        leg.tls = std::move(pooled);
        leg.buf.clear();
        leg.reused = true;
        co_return std::string();
    }
    bool cert_failure = false;
    co_return co_await open_upstream(std::move(svc), leg, std::move(host), port, cert_failure);
}

std::optional<verdict> observe_upstream_response(service::impl& svc,
                                                 const core::http_request_view& view,
                                                 unsigned status, const response_head_store& head,
                                                 std::string_view body, bool complete,
                                                 pending& release) {
    response_view resp;
    resp.status = status;
    const std::string_view bytes(head.bytes);
    for (const auto& f : head.fields) {
        resp.headers.emplace_back(bytes.substr(f.name_at, f.name_len),
                                  bytes.substr(f.value_at, f.value_len));
    }
    resp.body = body;
    resp.body_complete = complete;
    std::optional<verdict> v;
    try {
        if (svc.observe) v = svc.observe(view, resp);
    } catch (const std::exception& e) {
        log::write(log::level::error, "proxy", "response observer failed",
                   {{"host", std::string(view.host)}, {"error", e.what()}});
    }
    if (v && v->allows()) v.reset();
    if (!v && svc.waits.before_release) {
        try {
            release = svc.waits.before_release(view, resp);
        } catch (const std::exception& e) {
            log::write(log::level::error, "proxy", "pre-release hook failed",
                       {{"host", std::string(view.host)}, {"error", e.what()}});
        }
    }
    return v;
}

pool_return::~pool_return() {
    if (!clean || !leg.tls || svc.draining || !leg.tls->socket().is_open()) return;
    auto& v = svc.upstream_pool[key];
    if (v.size() < svc.opts->upstream_pool_per_host) {
        leg.tls->expires_never();
        v.push_back({std::chrono::steady_clock::now(), std::move(leg.tls)});
        return;
    }
    // The pool is full: this connection closes, and the next request to the host pays a new
    // handshake. Many of these mean more requests in flight per host than the pool holds (HTTP/2
    // streams each hold one upstream connection): counted, logged rate-limited.
    count(svc.shared.counters.upstream_pool_full);
    static log::rate_limit limit(std::chrono::seconds(60));
    if (auto suppressed = limit.allow(std::chrono::steady_clock::now())) {
        log::write(log::level::info, "proxy", "upstream pool full: a clean connection closed",
                   {{"host", key},
                    {"pool", std::to_string(svc.opts->upstream_pool_per_host)},
                    {"fix", "raise proxy.upstream_pool_per_host if this repeats"},
                    {"suppressed", std::to_string(*suppressed)}});
    }
}

}  // namespace consolegate::proxy
