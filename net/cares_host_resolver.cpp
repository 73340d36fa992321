#include <ares.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/errc.hpp>

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

void finish(lookup& l, cares_addresses got) {
    l.result.addresses = std::move(got.addresses);
    l.result.ttl = got.ttl;
    if (l.result.addresses.empty()) {
        switch (got.status) {
            case ARES_ENOTFOUND: l.result.error = asio::error::host_not_found; break;
            case ARES_ENODATA: l.result.error = asio::error::no_data; break;
            case ARES_ETIMEOUT:
                l.result.error = make_error_code(boost::system::errc::timed_out);
                break;
            default: l.result.error = make_error_code(boost::system::errc::host_unreachable);
        }
    }
    l.finished = true;
    l.done.cancel();
}

class cares_host_resolver final : public host_resolver {
  public:
    cares_host_resolver(asio::io_context& io, const cares_options& o) : io_(io), channel_(io, o) {}

    asio::awaitable<resolve_result> resolve(std::string host) override {
        auto l = std::make_shared<lookup>(io_);
        // The handler shares the lookup: it may run after this coroutine is gone (the channel
        // destroyed with the query pending), and then touches only its own copy.
        channel_.resolve(host, [l](cares_addresses got) { finish(*l, std::move(got)); });
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
