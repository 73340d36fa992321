#include <ares.h>
#include <netinet/in.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/errc.hpp>
#include <cstring>

#include "consolegate/net/cares_resolver.hpp"

namespace consolegate::net {

namespace asio = boost::asio;

namespace {

struct lookup {
    explicit lookup(asio::io_context& io) : done(io, asio::steady_timer::time_point::max()) {}
    resolve_result result;
    asio::steady_timer done;  // cancelled when the answer is in: the coroutine's wake-up
    bool finished = false;
};

void on_addrinfo(void* arg, int status, int /*timeouts*/, ares_addrinfo* res) {
    std::unique_ptr<std::shared_ptr<lookup>> holder(static_cast<std::shared_ptr<lookup>*>(arg));
    auto& l = **holder;
    if (status == ARES_SUCCESS && res) {
        for (auto* n = res->nodes; n; n = n->ai_next) {
            if (n->ai_family == AF_INET && n->ai_addrlen >= sizeof(sockaddr_in)) {
                const auto* sa = reinterpret_cast<const sockaddr_in*>(n->ai_addr);
                l.result.addresses.emplace_back(asio::ip::address_v4(ntohl(sa->sin_addr.s_addr)));
            } else if (n->ai_family == AF_INET6 && n->ai_addrlen >= sizeof(sockaddr_in6)) {
                const auto* sa = reinterpret_cast<const sockaddr_in6*>(n->ai_addr);
                asio::ip::address_v6::bytes_type b;
                std::memcpy(b.data(), &sa->sin6_addr, 16);
                l.result.addresses.emplace_back(asio::ip::address_v6(b));
            }
        }
    }
    if (res) ares_freeaddrinfo(res);
    if (l.result.addresses.empty()) {
        l.result.error = status == ARES_ETIMEOUT
                             ? make_error_code(boost::system::errc::timed_out)
                             : make_error_code(boost::system::errc::host_unreachable);
    }
    l.finished = true;
    l.done.cancel();
}

class cares_host_resolver final : public host_resolver {
  public:
    cares_host_resolver(asio::io_context& io, const cares_options& o) : io_(io), channel_(io, o) {}

    asio::awaitable<resolve_result> resolve(std::string host) override {
        auto l = std::make_shared<lookup>(io_);
        ares_addrinfo_hints hints{};
        hints.ai_family = AF_UNSPEC;      // A and AAAA
        hints.ai_flags = ARES_AI_NOSORT;  // RFC 6724 sorting would connect() probe sockets
        ares_getaddrinfo(static_cast<ares_channel>(channel_.native()), host.c_str(), nullptr,
                         &hints, &on_addrinfo, new std::shared_ptr<lookup>(l));
        channel_.rearm();
        if (!l->finished) co_await l->done.async_wait(asio::as_tuple(asio::use_awaitable));
        co_return std::move(l->result);
    }

  private:
    asio::io_context& io_;
    cares_channel channel_;
};

}  // namespace

std::unique_ptr<host_resolver> make_cares_host_resolver(asio::io_context& io,
                                                        const cares_options& o) {
    return std::make_unique<cares_host_resolver>(io, o);
}

}  // namespace consolegate::net
