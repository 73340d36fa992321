// The bounded writer behind every sink, against real media that misbehave: a FIFO nobody reads
// (a stalled sink) and a file past RLIMIT_FSIZE (a failing one).
#include "queued_sink.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "consolegate/audit/sink.hpp"
#include "consolegate/core/time.hpp"

namespace au = consolegate::audit;
namespace cc = consolegate::core;

#ifdef __SANITIZE_ADDRESS__
// Under ASan (scripts/test.sh's build-asan) every freed block waits in a 256 MiB quarantine before
// it is reused, so the 200 000 dropped events below would show as RSS growth the sink never
// caused. A small quarantine keeps the RSS bound meaningful there; ASAN_OPTIONS can still
// override it.
extern "C" const char* __asan_default_options() {
    return "quarantine_size_mb=4";
}
#endif

namespace {

au::event sample(std::string id) {
    cc::sign_in_attempt a;
    a.flow = cc::sign_in_flow::saml;
    a.host = "signin.aws.amazon.com";
    a.account = cc::account_id::parse("012345678901");
    a.role_name = "Admin";
    a.user = "alice@example.com";
    a.client = *cc::ip_address::parse("10.1.2.3");
    a.time = *cc::parse_rfc3339("2026-11-23T04:15:46.123Z");
    cc::decision d;
    d.verdict = cc::effect::deny;
    d.why = cc::reason::rule_deny;
    d.rule = "no-prod";
    return au::make_event(std::move(id), a, d, "POST", "/saml");
}

std::filesystem::path temp_dir(const char* name) {
    auto dir =
        std::filesystem::temp_directory_path() / ("cg-queued-" + std::to_string(::getpid())) / name;
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

long rss_kib() {
    std::ifstream in("/proc/self/status");
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    }
    return -1;
}

// Sends this process's stderr (the log facade's output) to a file for the test's duration.
class captured_stderr {
  public:
    explicit captured_stderr(const std::filesystem::path& file) : file_(file) {
        saved_ = ::dup(STDERR_FILENO);
        int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        ::dup2(fd, STDERR_FILENO);
        ::close(fd);
    }
    ~captured_stderr() { restore(); }
    std::string text() {
        restore();
        std::ifstream in(file_);
        return {std::istreambuf_iterator<char>(in), {}};
    }

  private:
    void restore() {
        if (saved_ < 0) return;
        ::dup2(saved_, STDERR_FILENO);
        ::close(saved_);
        saved_ = -1;
    }
    std::filesystem::path file_;
    int saved_ = -1;
};

}  // namespace

TEST(queued_sink, a_stalled_fifo_never_blocks_the_producer_and_shutdown_flushes_the_queue) {
    auto dir = temp_dir("fifo");
    auto fifo = dir / "audit.jsonl";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    // A reader that exists (so the sink can open the FIFO) but reads nothing until told to.
    int rfd = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    ASSERT_GE(rfd, 0);
    captured_stderr err(dir / "stderr.log");

    constexpr std::size_t limit = 1000;
    constexpr int produced = 200'000;
    au::jsonl_options o;
    o.file = fifo;
    o.queue.max_events = limit;
    o.queue.flush_interval = std::chrono::milliseconds(50);
    auto s = au::make_jsonl_sink(o);
    auto before = rss_kib();
    for (int i = 0; i < produced; ++i) s->record(sample("e" + std::to_string(i)));
    // Reaching this line at all is the point: the writer is stuck in write(2) on a full pipe.
    auto after = rss_kib();
    auto st = s->stats();
    EXPECT_EQ(st.recorded + st.dropped, std::uint64_t{produced});
    EXPECT_GT(st.dropped, std::uint64_t{produced} - 2 * limit - 1000);
    EXPECT_LE(st.queued, limit);
    // 200,000 queued events would take ~100 MB; the bound keeps the growth to a few MB.
    EXPECT_LT(after - before, 32 * 1024) << "RSS grew by " << (after - before) << " KiB";

    // Now read: shutdown must deliver every event that was queued, none lost.
    int flags = ::fcntl(rfd, F_GETFL);
    ::fcntl(rfd, F_SETFL, flags & ~O_NONBLOCK);
    std::size_t lines = 0;
    std::thread reader([&] {
        char buf[65536];
        for (;;) {
            auto n = ::read(rfd, buf, sizeof buf);
            if (n <= 0) break;
            for (ssize_t i = 0; i < n; ++i) lines += buf[i] == '\n';
        }
    });
    s.reset();
    reader.join();
    ::close(rfd);
    EXPECT_EQ(lines, st.recorded);
    auto log = err.text();
    EXPECT_NE(log.find("msg=\"queue full: event dropped\" sink=jsonl"), std::string::npos) << log;
    // Rate-limited: one line per 10 s, not one per dropped event.
    EXPECT_LT(std::count(log.begin(), log.end(), '\n'), 5);
}

TEST(queued_sink, a_full_file_counts_write_errors_and_logs_them_without_blocking) {
    auto dir = temp_dir("fsize");
    auto file = dir / "audit.jsonl";
    captured_stderr err(dir / "stderr.log");
    // RLIMIT_FSIZE: writes past 4 KiB fail with EFBIG (SIGXFSZ ignored), like a full disk.
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    struct sigaction old_action {};
    ::sigaction(SIGXFSZ, &ignore, &old_action);
    rlimit old_limit{};
    ::getrlimit(RLIMIT_FSIZE, &old_limit);
    rlimit small = old_limit;
    small.rlim_cur = 4096;
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);

    au::sink_stats st;
    {
        auto s = au::make_jsonl_sink(file, std::chrono::milliseconds(20));
        for (int round = 0; round < 20; ++round) {
            for (int i = 0; i < 10; ++i) s->record(sample(std::to_string(round * 10 + i)));
            s->flush();  // returns even though the write failed
        }
        st = s->stats();
    }
    ::setrlimit(RLIMIT_FSIZE, &old_limit);
    ::sigaction(SIGXFSZ, &old_action, nullptr);

    EXPECT_EQ(st.recorded, 200u);
    EXPECT_EQ(st.dropped, 0u);
    EXPECT_GT(st.write_errors, 0u);
    EXPECT_EQ(st.written + st.write_errors, 200u);
    EXPECT_LE(std::filesystem::file_size(file), 4096u);
    auto log = err.text();
    EXPECT_NE(log.find("component=audit msg=\"write failed\" sink=jsonl"), std::string::npos)
        << log;
    EXPECT_NE(log.find("error=\"File too large\""), std::string::npos) << log;
}

TEST(queued_sink, flush_and_shutdown_deliver_everything_recorded_from_many_threads) {
    auto dir = temp_dir("threads");
    auto file = dir / "audit.jsonl";
    au::jsonl_options o;
    o.file = file;
    o.queue.max_events = 100'000;
    o.queue.flush_interval = std::chrono::hours(1);  // only flush/shutdown can sync in time
    constexpr int threads = 4, per_thread = 5000;
    au::sink_stats st;
    {
        auto s = au::make_jsonl_sink(o);
        std::vector<std::thread> ts;
        for (int t = 0; t < threads; ++t) {
            ts.emplace_back([&, t] {
                for (int i = 0; i < per_thread; ++i) {
                    s->record(sample(std::to_string(t) + "-" + std::to_string(i)));
                }
            });
        }
        for (auto& t : ts) t.join();
        st = s->stats();
    }
    EXPECT_EQ(st.dropped, 0u);
    std::ifstream in(file);
    int lines = 0;
    for (std::string line; std::getline(in, line);) ++lines;
    EXPECT_EQ(lines, threads * per_thread);
}
