// The RFC 5424 syslog sink (syslog_sink.hpp states the contract). Blocking sockets on the
// sink's own writer thread, every step bounded by io_timeout (SO_SNDTIMEO/SO_RCVTIMEO and a
// polled connect); TLS through OpenSSL with the collector's name verified.
#include "consolegate/audit/syslog_sink.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <stdexcept>

#include "consolegate/log/log.hpp"
#include "queued_sink.hpp"

namespace consolegate::audit {
namespace {

constexpr auto backoff_min = std::chrono::milliseconds(250);
constexpr auto backoff_max = std::chrono::milliseconds(5000);

// RFC 5424 §6.2: HOSTNAME is 1-255 printable US-ASCII characters without spaces, or "-".
std::string header_field(std::string_view s, std::size_t max) {
    std::string out;
    for (char c : s.substr(0, max)) out += (c > 32 && c < 127) ? c : '_';
    return out.empty() ? "-" : out;
}

// Severity (RFC 5424 table 2): what a SIEM rule most often keys on.
int severity_of(const event& e) {
    if (e.effect == "deny") return e.report_only ? 5 : 4;  // notice : warning
    return 6;                                              // informational
}

std::string openssl_error() {
    char buf[256] = "unknown TLS error";
    if (auto code = ERR_get_error()) ERR_error_string_n(code, buf, sizeof buf);
    ERR_clear_error();
    return buf;
}

struct ssl_ctx_free {
    void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct ssl_free {
    void operator()(SSL* s) const { SSL_free(s); }
};

class syslog_target final : public batch_target {
  public:
    explicit syslog_target(const syslog_options& o)
        : opts_(o),
          where_(std::string(o.transport == syslog_transport::udp   ? "udp://"
                             : o.transport == syslog_transport::tcp ? "tcp://"
                                                                    : "tls://") +
                 o.host + ":" + std::to_string(o.port)),
          pid_(static_cast<int>(::getpid())),
          rng_(std::random_device{}()) {
        if (o.transport == syslog_transport::tls) ctx_ = make_context(o);
    }
    ~syslog_target() override { disconnect(); }

    bool write(const std::vector<event>& batch) override {
        // The writer thread alone writes to the socket: a collector that closed the connection
        // must not kill the process with SIGPIPE (OpenSSL writes with write(2)).
        sigset_t pipe;
        sigemptyset(&pipe);
        sigaddset(&pipe, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
        if (opts_.transport == syslog_transport::udp) return send_datagrams(batch);
        std::string out, error;
        for (auto& e : batch) {
            auto m = syslog_message(e, opts_.facility, pid_);
            out += std::to_string(m.size()) + " " + m;  // RFC 6587 §3.4.1 octet counting
        }
        if (fd_ >= 0 && peer_closed()) disconnect();
        if (fd_ < 0 && !connect(error)) return retry(error, batch.size());
        if (!send_all(out, error)) {
            disconnect();
            return retry(error, batch.size());
        }
        if (failing_) {
            log::write(log::level::info, "audit", "syslog collector reachable again",
                       {{"sink", "syslog"}, {"collector", where_}});
        }
        failing_ = false;
        backoff_ = std::chrono::milliseconds(0);
        return true;
    }

    std::chrono::milliseconds retry_after() override { return backoff_; }

  private:
    static std::unique_ptr<SSL_CTX, ssl_ctx_free> make_context(const syslog_options& o) {
        std::unique_ptr<SSL_CTX, ssl_ctx_free> ctx(SSL_CTX_new(TLS_client_method()));
        if (!ctx) throw std::runtime_error("syslog TLS: " + openssl_error());
        SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);  // RFC 9325
        SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
        int ok = o.ca_file.empty()
                     ? SSL_CTX_set_default_verify_paths(ctx.get())
                     : SSL_CTX_load_verify_locations(ctx.get(), o.ca_file.c_str(), nullptr);
        if (ok != 1)
            throw std::runtime_error("syslog TLS: cannot load CA file " + o.ca_file.string() +
                                     ": " + openssl_error());
        if (!o.cert_file.empty()) {
            if (SSL_CTX_use_certificate_chain_file(ctx.get(), o.cert_file.c_str()) != 1 ||
                SSL_CTX_use_PrivateKey_file(ctx.get(), o.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
                SSL_CTX_check_private_key(ctx.get()) != 1)
                throw std::runtime_error("syslog TLS: cannot load client certificate " +
                                         o.cert_file.string() + ": " + openssl_error());
        }
        return ctx;
    }

    bool send_datagrams(const std::vector<event>& batch) {
        std::string error;
        if (fd_ < 0 && !connect(error)) {
            report("syslog send failed: batch lost", error, batch.size());
            return false;
        }
        bool ok = true;
        for (auto& e : batch) {
            auto m = syslog_message(e, opts_.facility, pid_);
            // A refused datagram (ICMP port unreachable) shows up as ECONNREFUSED on a later
            // send; it is counted, never retried: UDP promises nothing anyway.
            if (::send(fd_, m.data(), m.size(), MSG_NOSIGNAL) < 0) {
                ok = false;
                error = std::strerror(errno);
            }
        }
        if (!ok) report("syslog send failed: events lost", error, batch.size());
        return ok;
    }

    bool retry(const std::string& error, std::size_t events) {
        failing_ = true;
        auto base = backoff_.count() == 0 ? backoff_min : std::min(backoff_ * 2, backoff_max);
        backoff_ = base;
        std::uniform_int_distribution<long> jitter(0, base.count() / 5);
        backoff_ += std::chrono::milliseconds(jitter(rng_));
        report("syslog collector unavailable: batch kept, retrying", error, events);
        return false;
    }

    // Resolves and connects (each address in turn), then the TLS handshake; every step bounded.
    bool connect(std::string& error) {
        addrinfo hints{};
        hints.ai_socktype = opts_.transport == syslog_transport::udp ? SOCK_DGRAM : SOCK_STREAM;
        addrinfo* res = nullptr;
        auto port = std::to_string(opts_.port);
        if (int rc = ::getaddrinfo(opts_.host.c_str(), port.c_str(), &hints, &res); rc != 0) {
            error = std::string("cannot resolve: ") + gai_strerror(rc);
            return false;
        }
        std::unique_ptr<addrinfo, void (*)(addrinfo*)> list(res, ::freeaddrinfo);
        for (auto* ai = res; ai; ai = ai->ai_next) {
            int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                              ai->ai_protocol);
            if (fd < 0) continue;
            if (!connect_bounded(fd, ai, error)) {
                ::close(fd);
                continue;
            }
            fd_ = fd;
            if (opts_.transport == syslog_transport::tls && !handshake(error)) {
                disconnect();
                return false;
            }
            return true;
        }
        if (error.empty()) error = "no address to connect to";
        return false;
    }

    bool connect_bounded(int fd, const addrinfo* ai, std::string& error) {
        if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
            error = std::strerror(errno);
            return false;
        }
        pollfd p{fd, POLLOUT, 0};
        if (::poll(&p, 1, static_cast<int>(opts_.io_timeout.count())) != 1) {
            error = "connect timed out";
            return false;
        }
        int so_error = 0;
        socklen_t len = sizeof so_error;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
        if (so_error != 0) {
            error = std::strerror(so_error);
            return false;
        }
        // Blocking from here on, each send and receive bounded by the timeout.
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        timeval tv{static_cast<time_t>(opts_.io_timeout.count() / 1000),
                   static_cast<suseconds_t>((opts_.io_timeout.count() % 1000) * 1000)};
        ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        return true;
    }

    bool handshake(std::string& error) {
        ssl_.reset(SSL_new(ctx_.get()));
        if (!ssl_ || SSL_set_fd(ssl_.get(), fd_) != 1) {
            error = openssl_error();
            return false;
        }
        // The collector's certificate must name the host we were given (DNS name or address).
        auto* param = SSL_get0_param(ssl_.get());
        if (X509_VERIFY_PARAM_set1_ip_asc(param, opts_.host.c_str()) != 1) {
            SSL_set_tlsext_host_name(ssl_.get(), opts_.host.c_str());
            SSL_set1_host(ssl_.get(), opts_.host.c_str());
        }
        ERR_clear_error();
        if (SSL_connect(ssl_.get()) != 1) {
            auto verify = SSL_get_verify_result(ssl_.get());
            error = verify != X509_V_OK
                        ? std::string("certificate: ") + X509_verify_cert_error_string(verify)
                        : "TLS handshake: " + openssl_error();
            return false;
        }
        return true;
    }

    bool send_all(const std::string& data, std::string& error) {
        std::size_t at = 0;
        while (at < data.size()) {
            long n;
            if (ssl_) {
                ERR_clear_error();
                n = SSL_write(ssl_.get(), data.data() + at, static_cast<int>(data.size() - at));
                if (n <= 0) {
                    error = "TLS write: " + openssl_error();
                    return false;
                }
            } else {
                n = ::send(fd_, data.data() + at, data.size() - at, MSG_NOSIGNAL);
                if (n < 0 && errno == EINTR) continue;
                if (n < 0) {
                    error = errno == EAGAIN ? "send timed out" : std::strerror(errno);
                    return false;
                }
            }
            at += static_cast<std::size_t>(n);
        }
        return true;
    }

    // A collector that closed its end (restart, idle timeout) shows as a read hang-up; writing
    // into that socket would lose the batch to the reset that follows. (Readable alone means
    // nothing: a TLS 1.3 server sends session tickets after the handshake.)
    bool peer_closed() const {
        pollfd p{fd_, POLLRDHUP, 0};
        return ::poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
    }

    void disconnect() {
        if (ssl_) SSL_shutdown(ssl_.get());
        ssl_.reset();
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

    void report(const char* what, const std::string& error, std::size_t events) {
        if (auto suppressed = limit_.allow(std::chrono::steady_clock::now())) {
            log::write(log::level::error, "audit", what,
                       {{"sink", "syslog"},
                        {"collector", where_},
                        {"error", error},
                        {"batch", std::to_string(events)},
                        {"suppressed", std::to_string(*suppressed)}});
        }
    }

    syslog_options opts_;
    std::string where_;
    int pid_;
    std::unique_ptr<SSL_CTX, ssl_ctx_free> ctx_;
    std::unique_ptr<SSL, ssl_free> ssl_;
    int fd_ = -1;
    std::chrono::milliseconds backoff_{0};
    bool failing_ = false;
    std::mt19937 rng_;
    log::rate_limit limit_{std::chrono::seconds(10)};
};

}  // namespace

std::string syslog_message(const event& e, int facility, int pid) {
    // <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG (RFC 5424 §6)
    return "<" + std::to_string(facility * 8 + severity_of(e)) + ">1 " + header_field(e.time, 64) +
           " " + header_field(e.gateway, 255) + " consolegate " + std::to_string(pid) +
           " signin - " + to_json_line(e);
}

std::unique_ptr<sink> make_syslog_sink(const syslog_options& o) {
    return std::make_unique<queued_sink>("syslog", std::make_unique<syslog_target>(o), o.queue);
}

}  // namespace consolegate::audit
