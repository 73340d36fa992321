#include "consolegate/team/snapshot_feed.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "consolegate/core/time.hpp"

namespace cc = consolegate::core;
namespace tm_ = consolegate::team;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr const char* one_elevation = R"([{"id": "r1", "username": "idc_alice",
    "accountId": "333333333333", "role": "Admin", "startTime": "2026-11-23T08:00:00Z",
    "duration": "2", "status": "in progress"}])";

class snapshot_feed_test : public ::testing::Test {
  protected:
    void SetUp() override {
        dir = fs::temp_directory_path() /
              ("cg-team-" + std::to_string(::getpid()) + "-" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir);
        fs::create_directories(dir);
        file = dir / "team.json";
    }
    void TearDown() override { fs::remove_all(dir); }
    void write(const std::string& text, fs::file_time_type mtime) {
        std::ofstream(file, std::ios::trunc) << text;
        fs::last_write_time(file, mtime);
    }
    static fs::file_time_type at(const char* rfc3339) {
        return std::chrono::file_clock::from_sys(*cc::parse_rfc3339(rfc3339));
    }
    bool elevated(const tm_::snapshot_feed& f, const char* now) {
        std::shared_ptr<const tm_::feed_status> keep;
        auto t = *cc::parse_rfc3339(now);
        auto v = f.view(t, keep);
        return v.available() &&
               v.set()->active("alice", *cc::account_id::parse("333333333333"), "Admin", t);
    }
    bool available(const tm_::snapshot_feed& f, const char* now) {
        std::shared_ptr<const tm_::feed_status> keep;
        return f.view(*cc::parse_rfc3339(now), keep).available();
    }

    fs::path dir, file;
};

}  // namespace

TEST_F(snapshot_feed_test, loads_and_answers_within_the_staleness_limit) {
    write(one_elevation, at("2026-11-23T08:30:00Z"));
    tm_::snapshot_feed f(file, 15min);
    EXPECT_NE(f.poll().find("1 in progress"), std::string::npos);
    EXPECT_TRUE(elevated(f, "2026-11-23T08:40:00Z"));
    EXPECT_TRUE(available(f, "2026-11-23T08:45:00Z"));       // exactly at the limit: still fresh
    EXPECT_FALSE(available(f, "2026-11-23T08:45:00.001Z"));  // past it: stale
}

// The data's age is the file's modification time, which a writer sets at will: a time in the
// future (touch -d, rsync -t or cp -p from a host whose clock is ahead) kept the snapshot fresh
// that far ahead plus the staleness limit after the exporter stopped. The inode's change time,
// which the kernel sets on every write, bounds it. (The file is written now, so the times here
// are the real clock's.)
TEST_F(snapshot_feed_test, a_modification_time_in_the_future_is_no_freshness) {
    auto now = std::chrono::system_clock::now();
    write(one_elevation, std::chrono::file_clock::from_sys(now + 24h));
    tm_::snapshot_feed f(file, 15min);
    f.poll();
    std::shared_ptr<const tm_::feed_status> keep;
    EXPECT_TRUE(f.view(now + 1min, keep).available());  // as old as its writing, no older
    EXPECT_LE(keep->data_time, now + 1min);
    EXPECT_FALSE(f.view(now + 24h - 1min, keep).available());  // a day old, not a minute
    // A past modification time is the age, as before.
    write(one_elevation, std::chrono::file_clock::from_sys(now - 20min));
    f.poll();
    EXPECT_FALSE(f.view(now, keep).available());
    EXPECT_TRUE(f.view(now - 10min, keep).available());
}

TEST_F(snapshot_feed_test, unchanged_file_is_not_re_read_and_changes_are) {
    write(one_elevation, at("2026-11-23T08:30:00Z"));
    tm_::snapshot_feed f(file, 1h);
    EXPECT_FALSE(f.poll().empty());
    EXPECT_EQ(f.poll(), "");
    write("[]", at("2026-11-23T08:31:00Z"));
    EXPECT_NE(f.poll().find("loaded 0"), std::string::npos);
    EXPECT_TRUE(available(f, "2026-11-23T08:40:00Z"));
    EXPECT_FALSE(elevated(f, "2026-11-23T08:40:00Z"));
}

TEST_F(snapshot_feed_test, missing_or_invalid_file_makes_the_feed_unavailable) {
    tm_::snapshot_feed f(file, 1h);
    EXPECT_NE(f.poll().find("cannot read"), std::string::npos);
    EXPECT_FALSE(available(f, "2026-11-23T08:40:00Z"));
    EXPECT_EQ(f.poll(), "");  // the same problem is reported once

    write(one_elevation, at("2026-11-23T08:30:00Z"));
    f.poll();
    EXPECT_TRUE(elevated(f, "2026-11-23T08:40:00Z"));

    // A torn write: the previous good set must NOT stay in force.
    write("[{\"id\": \"r1\", \"user", at("2026-11-23T08:35:00Z"));
    EXPECT_NE(f.poll().find("invalid TEAM snapshot"), std::string::npos);
    EXPECT_FALSE(available(f, "2026-11-23T08:40:00Z"));
    EXPECT_FALSE(f.status()->problem.empty());
}

TEST_F(snapshot_feed_test, malformed_items_are_skipped_and_counted) {
    write(R"([{"id": "bad"}, )" + std::string(one_elevation).substr(1), at("2026-11-23T08:30:00Z"));
    tm_::snapshot_feed f(file, 1h);
    f.poll();
    EXPECT_EQ(f.status()->skipped_items, 1u);
    EXPECT_TRUE(elevated(f, "2026-11-23T08:40:00Z"));
}

// Every malformed item is counted (`skipped` in `consolegate elevations`, the log line), not the
// diagnostics, which stop at a cap and end with a "… more not listed" line of their own.
TEST_F(snapshot_feed_test, every_malformed_item_is_counted_past_the_diagnostics_cap) {
    std::string text = "[";
    for (int i = 0; i < 150; ++i) text += R"({"id": "bad"}, )";
    write(text + std::string(one_elevation).substr(1), at("2026-11-23T08:30:00Z"));
    tm_::snapshot_feed f(file, 1h);
    EXPECT_NE(f.poll().find("150 malformed skipped"), std::string::npos);
    EXPECT_EQ(f.status()->skipped_items, 150u);
    EXPECT_TRUE(elevated(f, "2026-11-23T08:40:00Z"));
}

// TEAM's statuses only move forward: a snapshot older than one already read (an export put
// back, a replica's copy written late, rsync from a lagging host) must not bring an ended
// request back into force, even with a torn write in between.
TEST_F(snapshot_feed_test, an_older_snapshot_never_undoes_an_end) {
    write(one_elevation, at("2026-11-23T08:30:00Z"));
    tm_::snapshot_feed f(file, 1h);
    f.poll();
    EXPECT_TRUE(elevated(f, "2026-11-23T08:40:00Z"));
    std::string ended = one_elevation;
    ended.replace(ended.find("in progress"), 11, "ended");
    ended.insert(ended.rfind('}'), R"(, "endTime": "2026-11-23T08:45:00Z")");
    write(ended, at("2026-11-23T08:50:00Z"));
    f.poll();
    EXPECT_FALSE(elevated(f, "2026-11-23T08:55:00Z"));
    write(one_elevation, at("2026-11-23T08:30:00Z"));
    f.poll();
    EXPECT_TRUE(available(f, "2026-11-23T08:55:00Z"));
    EXPECT_FALSE(elevated(f, "2026-11-23T08:55:00Z"));
    write("[{\"id\": \"r1\", \"user", at("2026-11-23T08:56:00Z"));
    f.poll();
    write(one_elevation, at("2026-11-23T08:31:00Z"));
    f.poll();
    EXPECT_FALSE(elevated(f, "2026-11-23T08:57:00Z"));
    // Another request of the same user is granted as usual.
    std::string other = one_elevation;
    other.replace(other.find("r1"), 2, "r2");
    write(other, at("2026-11-23T08:58:00Z"));
    f.poll();
    EXPECT_TRUE(elevated(f, "2026-11-23T08:59:00Z"));
}
