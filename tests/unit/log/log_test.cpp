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

// A value's characters that would act on a terminal or a log viewer (C1 controls such as U+0085
// NEL and U+009B CSI, U+2028, a bidi override) or that are not UTF-8 are written \xNN; the other
// non-ASCII characters stay as they are.
TEST(log, logfmt_line_escapes_c1_controls_formatting_characters_and_broken_utf8) {
    auto line = lg::format_line(lg::level::warn, "proxy", "client refused",
                                {{"host",
                                  "Jos\u00e9\u0085x\u2028y\u202ez\xc2\x9b"
                                  "1m\xff\xe2\x80"}});
    EXPECT_EQ(line,
              "level=warn component=proxy msg=\"client refused\" host=\"Jos\u00e9\\xc2\\x85x"
              "\\xe2\\x80\\xa8y\\xe2\\x80\\xaez\\xc2\\x9b1m\\xff\\xe2\\x80\"");
}

TEST(log, char_at_reads_one_utf8_character) {
    EXPECT_EQ(lg::char_at("a", 0).length, 1u);
    EXPECT_TRUE(lg::char_at("a", 0).shows_itself);
    EXPECT_FALSE(lg::char_at("\t", 0).shows_itself);
    EXPECT_EQ(lg::char_at("\u00e9", 0).length, 2u);
    EXPECT_TRUE(lg::char_at("\u00e9", 0).shows_itself);
    EXPECT_EQ(lg::char_at("\U0001F600", 0).length, 4u);
    EXPECT_TRUE(lg::char_at("\U0001F600", 0).shows_itself);
    for (std::string_view hidden : {"\u061c", "\u200b", "\u200f", "\u2029", "\u202a", "\u2066",
                                    "\u2069", "\ufeff", "\u0080", "\u009f", "\x7f"})
        EXPECT_FALSE(lg::char_at(hidden, 0).shows_itself) << hidden.size();
    EXPECT_TRUE(lg::char_at("\u00a0", 0).shows_itself);
    EXPECT_TRUE(lg::char_at("\u2030", 0).shows_itself);
    // A lone continuation byte, a cut sequence, a lead followed by ASCII: one byte each.
    EXPECT_EQ(lg::char_at("\x80", 0).length, 1u);
    EXPECT_FALSE(lg::char_at("\x80", 0).shows_itself);
    EXPECT_EQ(lg::char_at("\xe2\x80", 0).length, 1u);
    EXPECT_EQ(lg::char_at("\xe2"
                          "ab",
                          0)
                  .length,
              1u);
    EXPECT_FALSE(lg::char_at("\xe2"
                             "ab",
                             0)
                     .shows_itself);
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
