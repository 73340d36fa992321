// The sign-in record under load, on this machine. Prints one line per figure:
//  1. events/s each sink sustains from record() to durable (flush() returned), paired with a
//     no-op sink in the same round (alternating order, 5 rounds, the median reported): jsonl,
//     sqlite, and — when their environment is set — postgres (CG_BENCH_POSTGRES = a libpq
//     connection string, CG_BENCH_POSTGRES_PASSWORD) and syslog (CG_BENCH_SYSLOG =
//     tcp://host:port);
//  2. the review page's default query (last 24 h, newest first, one page of 100, plus the total
//     and the chart) over an SQLite store of `sqlite_rows` events spread over 90 days.
//
//   bench_audit [events per round (default 200000)] [sqlite_rows (default 10000000)]
//
// Run it alone (the machine otherwise idle): it measures throughput, and every sink's writer
// thread competes with the producer for the two cores.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "consolegate/audit/review_page.hpp"
#include "consolegate/audit/store.hpp"
#include "consolegate/audit/syslog_sink.hpp"
#include "consolegate/core/time.hpp"

namespace au = consolegate::audit;
namespace cc = consolegate::core;
using steady = std::chrono::steady_clock;

namespace {

std::vector<au::event> make_events(std::size_t n, cc::time_point end, std::chrono::hours spread,
                                   unsigned seed) {
    std::mt19937_64 rng(seed);
    const char* flows[] = {"iam-user", "saml", "identity-center", "switch-role"};
    std::vector<au::event> out(n);
    for (std::size_t i = 0; i < n; ++i) {
        auto& e = out[i];
        char id[40];
        std::snprintf(id, sizeof id, "%016llx%016llx", static_cast<unsigned long long>(rng()),
                      static_cast<unsigned long long>(i));
        e.id = id;
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(spread).count();
        e.time = cc::format_rfc3339(end - std::chrono::milliseconds(rng() % ms));
        e.gateway = "bench-gw";
        e.client = "10.0." + std::to_string(rng() % 256) + "." + std::to_string(rng() % 256);
        e.flow = flows[rng() % 4];
        e.phase = "pre-auth";
        e.host = "signin.aws.amazon.com";
        e.method = "POST";
        e.path = "/authenticate";
        char account[16];
        std::snprintf(account, sizeof account, "%012llu",
                      static_cast<unsigned long long>(100000000000ull + rng() % 5000));
        e.account = account;
        e.user = "user" + std::to_string(rng() % 2000);
        bool deny = rng() % 3 == 0;
        e.effect = deny ? "deny" : "allow";
        e.report_only = deny && rng() % 5 == 0;
        e.enforced = e.report_only ? "allow" : e.effect;
        e.reason = deny ? "rule-deny" : "rule-allow";
        e.rule = deny ? "no-prod" : "sandbox-ou";
    }
    return out;
}

class null_sink final : public au::sink {
  public:
    void record(au::event e) override { last_ = std::move(e); }
    void flush() override {}

  private:
    au::event last_;
};

double rate(au::sink& s, const std::vector<au::event>& events) {
    auto t0 = steady::now();
    for (auto& e : events) s.record(e);
    s.flush();
    auto sec = std::chrono::duration<double>(steady::now() - t0).count();
    auto st = s.stats();
    if (st.dropped)
        std::printf("  (note: %llu dropped: the queue bound was reached)\n",
                    static_cast<unsigned long long>(st.dropped));
    return static_cast<double>(events.size()) / sec;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 200000;
    std::size_t rows = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 10000000;
    auto dir =
        std::filesystem::temp_directory_path() / ("cg-bench-audit-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto now = std::chrono::system_clock::now();
    auto events = make_events(n, now, std::chrono::hours(1), 1);
    au::queue_options queue;
    queue.max_events = n + 1;  // measure the medium, not the bound

    using factory = std::function<std::unique_ptr<au::sink>(int)>;
    const char* pg = std::getenv("CG_BENCH_POSTGRES");
    const char* pg_password = std::getenv("CG_BENCH_POSTGRES_PASSWORD");
    const char* syslog = std::getenv("CG_BENCH_SYSLOG");  // tcp://host:port
    const factory jsonl = [&](int round) {
        au::jsonl_options o;
        o.file = dir / ("bench-" + std::to_string(round) + ".jsonl");
        o.queue = queue;
        return au::make_jsonl_sink(o);
    };
    const factory sqlite = [&](int round) {
        au::sqlite_options o;
        o.file = dir / ("bench-" + std::to_string(round) + ".sqlite");
        o.max_age = std::chrono::seconds(0);
        o.queue = queue;
        return au::make_sqlite_sink(o);
    };
    const factory postgres = [&](int) {
        au::postgres_options o;
        o.connection = pg;
        if (pg_password) o.password = pg_password;
        o.max_age = std::chrono::seconds(0);
        o.queue = queue;
        return au::make_postgres_sink(o);
    };
    const factory syslog_tcp = [&](int) {
        std::string t = syslog;
        auto hostport = t.substr(t.find("//") + 2);
        au::syslog_options o;
        o.host = hostport.substr(0, hostport.rfind(':'));
        o.port = static_cast<std::uint16_t>(std::stoi(hostport.substr(hostport.rfind(':') + 1)));
        o.queue = queue;
        return au::make_syslog_sink(o);
    };
    struct bench_sink {
        const char* name;
        const factory* make;
        bool enabled;
    };
    const bench_sink sinks[] = {{"jsonl", &jsonl, true},
                                {"sqlite", &sqlite, true},
                                {"postgres", &postgres, pg != nullptr},
                                {"syslog-tcp", &syslog_tcp, syslog != nullptr}};
    for (auto& [name, make, enabled] : sinks) {
        if (!enabled) continue;
        std::vector<double> with, without;
        for (int round = 0; round < 5; ++round) {
            // Paired: the no-op sink and the real one in the same round, order alternating.
            for (int k = 0; k < 2; ++k) {
                if ((k == 0) == (round % 2 == 0)) {
                    null_sink s;
                    without.push_back(rate(s, events));
                } else {
                    auto s = (*make)(round);
                    with.push_back(rate(*s, events));
                }
            }
        }
        std::printf("sink %-10s %10.0f events/s   (no-op sink %10.0f events/s, ratio %.3f)\n", name,
                    median(with), median(without), median(with) / median(without));
    }

    // The review page's default query over a large SQLite store.
    auto file = dir / "large.sqlite";
    {
        au::sqlite_options o;
        o.file = file;
        o.max_age = std::chrono::seconds(0);
        o.queue.max_events = 200000;
        auto s = au::make_sqlite_sink(o);
        for (std::size_t done = 0; done < rows; done += 100000) {
            for (auto& e : make_events(std::min<std::size_t>(100000, rows - done), now,
                                       std::chrono::hours(24 * 90), 1000 + done))
                s->record(e);
            s->flush();
        }
    }
    auto store = au::open_sqlite_store(file);
    std::vector<double> ms;
    for (int i = 0; i < 7; ++i) {
        std::vector<std::pair<std::string, std::string>> params{{"range", "24h"}};
        auto rq = au::parse_review_request(params, now);
        auto t0 = steady::now();
        auto d = au::load_review(*store, rq, now, "bench-gw");
        ms.push_back(std::chrono::duration<double, std::milli>(steady::now() - t0).count());
        if (d.events.empty()) std::printf("  (note: the default range holds no events)\n");
    }
    std::printf("review default query over %zu SQLite rows: median %.1f ms (7 runs)\n", rows,
                median(ms));
    std::filesystem::remove_all(dir);
    return 0;
}
