#include "consolegate/core/time.hpp"

#include <gtest/gtest.h>

namespace cc = consolegate::core;
using namespace std::chrono;

TEST(rfc3339, round_trips_utc_milliseconds) {
    auto t = cc::parse_rfc3339("2026-11-23T04:15:46.123Z");
    ASSERT_TRUE(t);
    EXPECT_EQ(cc::format_rfc3339(*t), "2026-11-23T04:15:46.123Z");
}

TEST(rfc3339, offsets_fractions_and_lowercase) {
    auto a = cc::parse_rfc3339("2026-11-23T05:15:46+01:00");
    auto b = cc::parse_rfc3339("2026-11-23t04:15:46z");
    auto c = cc::parse_rfc3339("2026-11-22T23:45:46.000000999-04:30");
    ASSERT_TRUE(a && b && c);
    EXPECT_EQ(*a, *b);
    EXPECT_EQ(*c, *b + 999ns);  // nanoseconds kept
    EXPECT_EQ(cc::format_rfc3339(sys_days{year{1970} / 1 / 1}), "1970-01-01T00:00:00.000Z");
}

TEST(rfc3339, rejects_invalid) {
    for (const char* bad :
         {"", "2026-11-23", "2026-11-23T04:15:46", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
          "2026-11-23T24:00:00Z", "2026-11-23T04:15:46.Z", "2026-11-23T04:15:46Zjunk",
          "2026-11-23T04:15:46+1:00", "9999-12-31T23:59:59Z", "1969-12-31T23:59:59Z"}) {
        EXPECT_FALSE(cc::parse_rfc3339(bad)) << bad;
    }
}

TEST(duration, units) {
    EXPECT_EQ(cc::parse_duration("500ms"), milliseconds{500});
    EXPECT_EQ(cc::parse_duration("15m"), minutes{15});
    EXPECT_EQ(cc::parse_duration("7d"), days{7});
    EXPECT_FALSE(cc::parse_duration("7"));
    EXPECT_FALSE(cc::parse_duration("m"));
    EXPECT_FALSE(cc::parse_duration("5w"));
    EXPECT_FALSE(cc::parse_duration("99999999999999999999s"));
}
