// The proxy's host resolver (c-ares through cares_channel::resolve) against nsd on loopback.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <future>
#include <set>

#include "consolegate/net/cares_resolver.hpp"
#include "harness.hpp"
#include "zone.hpp"

namespace consolegate::net {
namespace {

using namespace std::chrono_literals;
namespace t = dns::test;

core::ip_address ip(const char* s) {
    return *core::ip_address::parse(s);
}

boost::asio::awaitable<resolve_result> resolve_once(host_resolver* r, std::string host) {
    co_return co_await r->resolve(std::move(host));
}

TEST(cares_host_resolver, finds_real_addresses_not_steered_ones) {
    t::nsd_server nsd{"example.test", t::example_zone()};
    boost::asio::io_context io;
    cares_options co;
    co.servers = {{ip("127.0.0.1"), nsd.port()}};
    co.timeout = 500ms;
    co.tries = 1;
    auto resolver = make_cares_host_resolver(io, co);
    auto ok = boost::asio::co_spawn(io, resolve_once(resolver.get(), "www.example.test"),
                                    boost::asio::use_future);
    auto missing = boost::asio::co_spawn(io, resolve_once(resolver.get(), "nope.example.test"),
                                         boost::asio::use_future);
    io.run_for(5s);
    ASSERT_EQ(ok.wait_for(0s), std::future_status::ready);
    const auto r = ok.get();
    EXPECT_FALSE(r.error);
    std::set<std::string> got;
    for (const auto& a : r.addresses) got.insert(a.to_string());
    EXPECT_EQ(got, (std::set<std::string>{"198.51.100.1", "2001:db8::1"}));
    ASSERT_EQ(missing.wait_for(0s), std::future_status::ready);
    const auto m = missing.get();
    EXPECT_TRUE(m.error);
    EXPECT_TRUE(m.addresses.empty());
}

}  // namespace
}  // namespace consolegate::net
