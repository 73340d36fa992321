// The watched file: its format, refusal of a bad file, reloading on change.

#include "consolegate/identity/address_map_file.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "consolegate/identity/address_map.hpp"

namespace consolegate::identity {
namespace {

using namespace std::chrono_literals;

TEST(address_map_file, lines_comments_and_blank_lines) {
    auto p = parse_address_map(
        "# DHCP leases\n\n10.1.2.3 alice@CORP.EXAMPLE\r\n  2001:db8::17\t bob@CORP.EXAMPLE  \n"
        "10.1.2.4 CORP\\carol");
    ASSERT_TRUE(p.problems.empty()) << p.problems.front().message;
    ASSERT_EQ(p.entries.size(), 3u);
    EXPECT_EQ(p.entries[0].first.str(), "10.1.2.3");
    EXPECT_EQ(p.entries[0].second, "alice@CORP.EXAMPLE");
    EXPECT_EQ(p.entries[1].first.str(), "2001:db8::17");
    EXPECT_EQ(p.entries[1].second, "bob@CORP.EXAMPLE");
    EXPECT_EQ(p.entries[2].second, "CORP\\carol");
}

// One address in two spellings is one entry (the second line is the duplicate), and a spelling
// that could be read as another address is a problem naming why.
TEST(address_map_file, spellings_of_one_address_are_one_entry) {
    auto p = parse_address_map(
        "10.20.0.5 carol\n::FFFF:10.20.0.5 mallory\n010.020.000.005 eve\nfe80::1%eth0 eve\n"
        "::10.20.0.5 eve\n");
    ASSERT_EQ(p.entries.size(), 1u);
    EXPECT_EQ(p.entries[0].second, "carol");
    ASSERT_EQ(p.problems.size(), 4u);
    EXPECT_NE(p.problems[0].message.find("mapped already on line 1"), std::string::npos);
    EXPECT_NE(p.problems[1].message.find("leading zero"), std::string::npos);
    EXPECT_NE(p.problems[2].message.find("zone id"), std::string::npos);
    EXPECT_NE(p.problems[3].message.find("IPv4-compatible"), std::string::npos);
}

TEST(address_map_file, every_bad_line_is_named) {
    auto p = parse_address_map(
        "10.1.2.3\n10.0.0.0/8 alice\nnot-an-ip bob\n10.1.2.5 two words\n10.1.2.6 a\n10.1.2.6 b\n");
    ASSERT_EQ(p.problems.size(), 5u);
    EXPECT_EQ(p.problems[0].line, 1);
    EXPECT_NE(p.problems[0].message.find("ADDRESS USER"), std::string::npos);
    EXPECT_EQ(p.problems[1].line, 2);
    EXPECT_EQ(p.problems[2].line, 3);
    EXPECT_EQ(p.problems[3].line, 4);
    EXPECT_EQ(p.problems[4].line, 6);
    EXPECT_NE(p.problems[4].message.find("line 5"), std::string::npos);
    EXPECT_EQ(format_problem("/x/map.txt", p.problems[0]).substr(0, 13), "/x/map.txt:1:");
}

TEST(address_map_file, an_unreadable_file_is_one_problem) {
    auto p = read_address_map("/nonexistent-cg/map.txt");
    ASSERT_EQ(p.problems.size(), 1u);
    EXPECT_EQ(p.problems[0].line, 0);
}

class watched_file : public ::testing::Test {
  protected:
    void SetUp() override {
        auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir = std::filesystem::path(CG_BINARY_DIR) / "test-scratch" / "identity" / info->name();
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);
        file = dir / "map.txt";
    }
    // Each write gets its own modification time, so a change is seen whatever the clock's grain.
    void write(const std::string& text) {
        std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
        std::filesystem::last_write_time(file, stamp += 1s);
    }
    std::filesystem::path dir, file;
    std::filesystem::file_time_type stamp = std::filesystem::file_time_type::clock::now();
};

TEST_F(watched_file, loads_on_change_keeps_the_old_mappings_when_a_bad_file_arrives) {
    address_map m(100);
    address_map_watch w(file);
    const auto now = std::chrono::system_clock::now();
    write("10.1.2.3 alice\n");
    bool ok = false;
    EXPECT_NE(w.poll(m, ok).find("1 mappings loaded"), std::string::npos);
    EXPECT_TRUE(ok);
    ASSERT_TRUE(m.find(*core::ip_address::parse("10.1.2.3"), now));
    EXPECT_EQ(w.poll(m, ok), "");  // unchanged: nothing read

    write("10.1.2.3 alice\n10.1.2.4 bob\nbroken\n");
    auto what = w.poll(m, ok);
    EXPECT_FALSE(ok);
    EXPECT_NE(what.find(":3: "), std::string::npos) << what;
    EXPECT_TRUE(m.find(*core::ip_address::parse("10.1.2.3"), now));
    EXPECT_FALSE(m.find(*core::ip_address::parse("10.1.2.4"), now));
    EXPECT_EQ(w.poll(m, ok), "");  // the same bad file is reported once

    write("10.1.2.4 bob\n");
    w.poll(m, ok);
    EXPECT_TRUE(ok);
    EXPECT_FALSE(m.find(*core::ip_address::parse("10.1.2.3"), now));
    EXPECT_EQ(m.find(*core::ip_address::parse("10.1.2.4"), now)->user, "bob");

    std::filesystem::remove(file);
    EXPECT_NE(w.poll(m, ok).find("cannot be read"), std::string::npos);
    EXPECT_FALSE(ok);
    EXPECT_EQ(w.poll(m, ok), "");                                    // reported once
    EXPECT_TRUE(m.find(*core::ip_address::parse("10.1.2.4"), now));  // what was loaded stays
}

}  // namespace
}  // namespace consolegate::identity
