#include "consolegate/log/log.hpp"

#include <gtest/gtest.h>

namespace lg = consolegate::log;
using namespace std::chrono_literals;

TEST(log, logfmt_line_quotes_hostile_values_onto_one_line) {
    auto line = lg::format_line(lg::level::warn, "proxy", "client refused",
                                {{"client", "10.0.0.1"}, {"host", "evil\nlevel=error \"x\""}});
    EXPECT_EQ(line,
              "level=warn component=proxy msg=\"client refused\" client=10.0.0.1 "
              "host=\"evil\\x0alevel=error \\\"x\\\"\"");
    EXPECT_EQ(lg::format_line(lg::level::info, "dns", "up", {{"empty", ""}}),
              "level=info component=dns msg=up empty=\"\"");
}

TEST(log, levels) {
    lg::set_level(lg::level::warn);
    EXPECT_FALSE(lg::enabled(lg::level::info));
    EXPECT_TRUE(lg::enabled(lg::level::error));
    lg::set_level(lg::level::info);
    EXPECT_EQ(lg::level_from_string("debug"), lg::level::debug);
    EXPECT_EQ(lg::level_from_string("verbose"), std::nullopt);
}

TEST(log, rate_limit_counts_what_it_suppressed) {
    lg::rate_limit rl(1s);
    auto t0 = std::chrono::steady_clock::time_point(100s);
    EXPECT_EQ(rl.allow(t0), 0u);
    EXPECT_EQ(rl.allow(t0 + 10ms), std::nullopt);
    EXPECT_EQ(rl.allow(t0 + 999ms), std::nullopt);
    EXPECT_EQ(rl.allow(t0 + 1s), 2u);
    EXPECT_EQ(rl.allow(t0 + 1500ms), std::nullopt);
}
