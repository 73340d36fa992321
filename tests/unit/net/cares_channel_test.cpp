#include <ares.h>
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <cstring>
#include <memory>
#include <vector>

#include "consolegate/net/cares_resolver.hpp"

namespace consolegate::net {
namespace {

using namespace std::chrono_literals;

// A query for example.test A (ID 0x1234, RD).
std::vector<std::uint8_t> query_bytes() {
    std::vector<std::uint8_t> q{0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
    for (const char* label : {"example", "test"}) {
        q.push_back(static_cast<std::uint8_t>(std::strlen(label)));
        for (const char* c = label; *c; ++c) q.push_back(static_cast<std::uint8_t>(*c));
    }
    q.insert(q.end(), {0, 0, 1, 0, 1});
    return q;
}

// The handlers own what they capture: destroying the channel with queries pending runs each
// handler exactly once with ARES_EDESTRUCTION and frees it (no leak, no second call).
TEST(cares_channel, pending_handlers_run_once_on_destruction_and_are_freed) {
    boost::asio::io_context io;
    // A server that receives and never answers.
    boost::asio::ip::udp::socket silent(
        io, boost::asio::ip::udp::endpoint(boost::asio::ip::address_v4::loopback(), 0));
    cares_options o;
    o.servers = {{*core::ip_address::parse("127.0.0.1"), silent.local_endpoint().port()}};
    o.timeout = 5s;
    o.tries = 1;
    auto owned = std::make_shared<int>(0);
    std::vector<int> statuses;
    {
        cares_channel ch(io, o);
        const auto q = query_bytes();
        ch.send(q, [owned, &statuses](const cares_answer& a) {
            statuses.push_back(a.status);
            EXPECT_TRUE(a.answer.empty());
        });
        ch.resolve("example.test", [owned, &statuses](cares_addresses a) {
            statuses.push_back(a.status);
            EXPECT_TRUE(a.addresses.empty());
        });
        EXPECT_TRUE(statuses.empty());
        EXPECT_EQ(owned.use_count(), 3);
    }
    EXPECT_EQ(statuses, (std::vector<int>{ARES_EDESTRUCTION, ARES_EDESTRUCTION}));
    EXPECT_EQ(owned.use_count(), 1);
}

TEST(cares_channel, a_refused_server_reaches_the_handler_as_an_error) {
    boost::asio::io_context io;
    std::uint16_t port = 0;
    {
        // A port nobody listens on: the kernel answers ICMP port unreachable.
        boost::asio::ip::udp::socket s(
            io, boost::asio::ip::udp::endpoint(boost::asio::ip::address_v4::loopback(), 0));
        port = s.local_endpoint().port();
    }
    cares_options o;
    o.servers = {{*core::ip_address::parse("127.0.0.1"), port}};
    o.timeout = 200ms;
    o.tries = 1;
    cares_channel ch(io, o);
    int calls = 0;
    int status = ARES_SUCCESS;
    ch.send(query_bytes(), [&](const cares_answer& a) {
        ++calls;
        status = a.status;
    });
    for (int i = 0; i < 100 && calls == 0; ++i) io.run_for(50ms);
    EXPECT_EQ(calls, 1);
    EXPECT_NE(status, ARES_SUCCESS);
    EXPECT_NE(status, ARES_EDESTRUCTION);
}

}  // namespace
}  // namespace consolegate::net
