#include "consolegate/core/hex.hpp"

#include <gtest/gtest.h>

#include <array>

namespace consolegate::core {
namespace {

TEST(hex, round_trips_and_refuses_what_no_writer_produces) {
    const std::array<unsigned char, 4> bytes{0x00, 0x1f, 0xa0, 0xff};
    EXPECT_EQ(to_hex(bytes), "001fa0ff");
    std::array<unsigned char, 4> back{};
    ASSERT_TRUE(from_hex("001fa0ff", back));
    EXPECT_EQ(back, bytes);
    for (const char* bad : {"001FA0FF", "001fa0f", "001fa0ff00", "001fa0fg", "001f a0f", ""}) {
        EXPECT_FALSE(from_hex(bad, back)) << bad;
    }
    EXPECT_EQ(to_hex({}), "");
}

}  // namespace
}  // namespace consolegate::core
