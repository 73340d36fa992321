#include "wire.hpp"

#include <gtest/gtest.h>

#include "msg_builder.hpp"

namespace consolegate::dns {
namespace {

using test::msg_builder;

TEST(wire, read_name_follows_backward_pointers_only) {
    std::vector<std::uint8_t> m(12, 0);
    msg_builder tmp(0, 0, 0, 0, 0, 0);
    tmp.name("a.example");
    m.insert(m.end(), tmp.b.begin() + 12, tmp.b.end());
    m.push_back(1);
    m.push_back('b');
    m.push_back(0xc0);
    m.push_back(12);
    std::size_t off = 23;
    wire_name n;
    ASSERT_TRUE(read_name(m, off, &n));
    EXPECT_EQ(to_text(n.view()), "b.a.example");
    EXPECT_EQ(off, m.size());
    // A pointer to itself, forwards, or truncated: rejected.
    std::vector<std::uint8_t> loop(12, 0);
    loop.push_back(0xc0);
    loop.push_back(12);
    off = 12;
    EXPECT_FALSE(read_name(loop, off, &n));
    loop[13] = 14;
    off = 12;
    EXPECT_FALSE(read_name(loop, off, &n));
    loop.pop_back();
    off = 12;
    EXPECT_FALSE(read_name(loop, off, &n));
}

// The header is rewritten when an answer is kept (ID, flags, counts): a name read through a
// pointer into it would read other bytes afterwards (found by fuzz_dns_message).
TEST(wire, read_name_refuses_pointers_into_the_header) {
    std::vector<std::uint8_t> m = {0x9b, 0xf9, 0x81, 0x03, 0x00, 0x01, 0x00, 0x00,
                                   0x00, 0x01, 0x00, 0x00, 0x01, 'x',  0xc0, 0x03};
    wire_name n;
    std::size_t off = 12;
    EXPECT_FALSE(read_name(m, off, &n));
    for (std::uint8_t target = 0; target < header_size; ++target) {
        m.back() = target;
        off = 12;
        EXPECT_FALSE(read_name(m, off, &n)) << int(target);
    }
}

TEST(wire, text_round_trip_and_escapes) {
    wire_name n;
    ASSERT_TRUE(from_text("WWW.Example.COM.", n));
    EXPECT_EQ(to_text(n.view()), "WWW.Example.COM");
    EXPECT_FALSE(from_text("a..b", n));
    EXPECT_FALSE(from_text(std::string(64, 'a'), n));
    const std::uint8_t odd[] = {3, 'a', '.', 'b', 0};
    EXPECT_EQ(to_text(odd), "a\\046b");
}

}  // namespace
}  // namespace consolegate::dns
