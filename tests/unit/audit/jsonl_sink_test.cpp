// audit/jsonl_sink.cpp: the JSON-lines sink and the review page's ring of recent events.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "consolegate/audit/event.hpp"
#include "consolegate/audit/sink.hpp"
#include "consolegate/core/time.hpp"
#include "sample_event.hpp"

namespace au = consolegate::audit;
namespace cc = consolegate::core;

namespace {

using consolegate::audit::testing::sample_event;

std::filesystem::path temp_file(const char* name) {
    auto dir = std::filesystem::temp_directory_path() / ("cg-audit-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto p = dir / name;
    std::filesystem::remove(p);
    return p;
}

}  // namespace

TEST(jsonl_sink, everything_recorded_from_many_threads_reaches_the_file_on_destruction) {
    auto path = temp_file("events.jsonl");
    constexpr int threads = 4, per_thread = 500;
    {
        // A long flush interval: only the destructor's drain can write these in time.
        auto s = au::make_jsonl_sink(path, std::chrono::hours(1));
        std::vector<std::thread> ts;
        for (int t = 0; t < threads; ++t) {
            ts.emplace_back([&, t] {
                for (int i = 0; i < per_thread; ++i) {
                    s->record(sample_event(std::to_string(t) + "-" + std::to_string(i)));
                }
            });
        }
        for (auto& t : ts) t.join();
    }
    std::ifstream in(path);
    std::string line;
    std::set<std::string> ids;
    while (std::getline(in, line)) {
        auto e = au::from_json_line(line, nullptr);
        ASSERT_TRUE(e) << line;
        ids.insert(e->id);
    }
    EXPECT_EQ(ids.size(), std::size_t{threads * per_thread});
}

// Every field reaches the file and reads back as written (logs reads a JSON-lines file with
// from_json_line): a cli-sign-in attempt's step of `aws login` (oauth_action) among them.
TEST(jsonl_sink, each_event_reads_back_from_the_file_as_recorded) {
    auto path = temp_file("fields.jsonl");
    std::vector<au::event> sent;
    for (int i = 0; i < 6; ++i) {
        auto e = sample_event("f" + std::to_string(i));
        e.flow = i % 3 == 2 ? "iam-user" : "cli-sign-in";
        e.oauth_action = i % 3 == 0 ? "authorize" : i % 3 == 1 ? "token" : "";
        sent.push_back(e);
    }
    {
        auto s = au::make_jsonl_sink(path, std::chrono::hours(1));
        for (auto& e : sent) s->record(e);
    }
    std::ifstream in(path);
    std::string line;
    std::vector<au::event> got;
    while (std::getline(in, line)) {
        std::string error;
        auto e = au::from_json_line(line, &error);
        ASSERT_TRUE(e) << error << ": " << line;
        got.push_back(*e);
    }
    EXPECT_EQ(got, sent);
}

TEST(jsonl_sink, flush_makes_events_visible_before_the_interval) {
    auto path = temp_file("flush.jsonl");
    auto s = au::make_jsonl_sink(path, std::chrono::hours(1));
    s->record(sample_event("one"));
    s->flush();
    std::ifstream in(path);
    std::string line;
    ASSERT_TRUE(std::getline(in, line));
    EXPECT_EQ(au::from_json_line(line, nullptr)->id, "one");
}

TEST(jsonl_sink, a_burst_is_written_in_a_few_batches_not_one_write_per_event) {
    auto path = temp_file("burst.jsonl");
    auto s = au::make_jsonl_sink(path, std::chrono::hours(1), std::chrono::milliseconds(50));
    constexpr int n = 2000;
    for (int i = 0; i < n; ++i) s->record(sample_event("b" + std::to_string(i)));
    s->flush();
    auto st = s->stats();
    EXPECT_EQ(st.recorded, std::uint64_t{n});
    EXPECT_EQ(st.written, std::uint64_t{n});
    EXPECT_EQ(st.write_errors, 0u);
    // Each batch is one wake-up of the writer thread; per-event wake-ups would be ~2000.
    EXPECT_GE(st.batches, 1u);
    EXPECT_LE(st.batches, 50u) << "the writer woke per event";
    std::ifstream in(path);
    int lines = 0;
    for (std::string line; std::getline(in, line);) ++lines;
    EXPECT_EQ(lines, n);
}

TEST(jsonl_sink, unopenable_path_is_a_startup_error) {
    EXPECT_THROW(au::make_jsonl_sink("/proc/no/such/dir/x.jsonl", std::chrono::seconds(1)),
                 std::exception);
}

TEST(recent_events, keeps_newest_first_within_capacity) {
    au::recent_events r(2);
    r.add(sample_event("1"));
    r.add(sample_event("2"));
    r.add(sample_event("3"));
    auto snap = r.snapshot();
    ASSERT_EQ(snap.size(), 2u);
    EXPECT_EQ(snap[0].id, "3");
    EXPECT_EQ(snap[1].id, "2");
}

TEST(recent_events, stays_newest_first_across_many_wraps) {
    // Every fill level from empty through three wraps of a ring of three.
    au::recent_events r(3);
    EXPECT_TRUE(r.snapshot().empty());
    for (int n = 1; n <= 10; ++n) {
        r.add(sample_event(std::to_string(n)));
        auto snap = r.snapshot();
        ASSERT_EQ(snap.size(), std::size_t(std::min(n, 3)));
        for (std::size_t i = 0; i < snap.size(); ++i)
            EXPECT_EQ(snap[i].id, std::to_string(n - int(i)));
    }
    au::recent_events none(0);
    none.add(sample_event("x"));
    EXPECT_TRUE(none.snapshot().empty());
}

TEST(jsonl_sink, events_are_visible_long_before_the_sync_interval) {
    auto path = temp_file("visible.jsonl");
    auto s = au::make_jsonl_sink(path, std::chrono::hours(1));
    s->record(sample_event("seen"));
    // No flush(): the event must reach the file without waiting for the hour-long interval.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    std::string line;
    while (std::chrono::steady_clock::now() < deadline) {
        std::ifstream in(path);
        if (std::getline(in, line)) break;
        std::this_thread::yield();
    }
    ASSERT_FALSE(line.empty());
    EXPECT_EQ(au::from_json_line(line, nullptr)->id, "seen");
}

// Size-based rotation and reopen after an external rename.
namespace rotation {

au::event event_with_id(std::string id) {
    cc::sign_in_attempt a;
    a.host = "signin.aws.amazon.com";
    a.account = cc::account_id::parse("012345678901");
    a.client = *cc::ip_address::parse("10.1.2.3");
    a.time = *cc::parse_rfc3339("2026-11-23T04:15:46.123Z");
    return au::make_event(std::move(id), a, cc::decision{}, "GET", "/console");
}

std::filesystem::path temp_dir(const char* name) {
    auto dir =
        std::filesystem::temp_directory_path() / ("cg-jsonl-" + std::to_string(::getpid())) / name;
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

std::vector<std::string> ids_in(const std::filesystem::path& p) {
    std::vector<std::string> ids;
    std::ifstream in(p);
    for (std::string line; std::getline(in, line);) {
        auto e = au::from_json_line(line, nullptr);
        EXPECT_TRUE(e) << line;
        if (e) ids.push_back(e->id);
    }
    return ids;
}

}  // namespace rotation
using rotation::event_with_id;
using rotation::ids_in;

TEST(jsonl_sink, rotates_by_size_and_keeps_the_configured_number_of_files) {
    auto dir = rotation::temp_dir("rotate");
    au::jsonl_options o;
    o.file = dir / "audit.jsonl";
    o.rotate_bytes = 4096;
    o.keep = 2;
    o.queue.flush_interval = std::chrono::hours(1);
    auto s = au::make_jsonl_sink(o);
    auto line_size = au::to_json_line(event_with_id("00000")).size() + 1;
    constexpr int n = 100;
    for (int i = 0; i < n; ++i) {
        char id[8];
        std::snprintf(id, sizeof id, "%05d", i);
        s->record(event_with_id(id));
        s->flush();  // one batch per event, so every rotation point is exercised
    }
    s.reset();
    ASSERT_TRUE(std::filesystem::exists(dir / "audit.jsonl.1"));
    ASSERT_TRUE(std::filesystem::exists(dir / "audit.jsonl.2"));
    EXPECT_FALSE(std::filesystem::exists(dir / "audit.jsonl.3"));
    for (auto name : {"audit.jsonl", "audit.jsonl.1", "audit.jsonl.2"}) {
        EXPECT_LE(std::filesystem::file_size(dir / name), o.rotate_bytes) << name;
    }
    // The newest events are in the live file, in order, and the rotated ones continue them.
    auto live = ids_in(dir / "audit.jsonl"), one = ids_in(dir / "audit.jsonl.1"),
         two = ids_in(dir / "audit.jsonl.2");
    ASSERT_FALSE(live.empty());
    EXPECT_EQ(live.back(), "00099");
    EXPECT_EQ(std::stoi(one.back()) + 1, std::stoi(live.front()));
    EXPECT_EQ(std::stoi(two.back()) + 1, std::stoi(one.front()));
    EXPECT_EQ(one.size(), 4096 / line_size);
}

TEST(jsonl_sink, reopen_continues_in_a_new_file_after_an_external_rename) {
    auto dir = rotation::temp_dir("reopen");
    auto file = dir / "audit.jsonl";
    auto s = au::make_jsonl_sink(file, std::chrono::hours(1));
    s->record(event_with_id("before"));
    s->flush();
    std::filesystem::rename(file, dir / "audit.jsonl.old");  // what logrotate does
    s->reopen();
    s->record(event_with_id("after"));
    s->flush();
    EXPECT_EQ(ids_in(dir / "audit.jsonl.old"), std::vector<std::string>{"before"});
    EXPECT_EQ(ids_in(file), std::vector<std::string>{"after"});
}
