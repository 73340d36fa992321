// The sign-in record under load, on this machine. Prints one line per figure:
//  1. events/s each sink sustains from record() to durable (flush() returned), paired with a
//     no-op sink in the same round (alternating order, 5 rounds, the median reported): jsonl,
//     sqlite, and — when their environment is set — postgres (CG_BENCH_POSTGRES = a libpq
//     connection string, CG_BENCH_POSTGRES_PASSWORD) and syslog (CG_BENCH_SYSLOG =
//     tcp://host:port);
//  2. the review page's default query (last 24 h, newest first, one page of 100, plus the total
//     and the chart) over an SQLite store of `rows` events spread over 90 days, and over a
//     PostgreSQL store of as many rows when one is benched. The large stores are filled through
//     the sinks themselves, in time order as a gateway writes them.
//
//   bench_audit [events per round (default 200000)] [rows (default 10000000)] [--postgres]
//               [--sqlite-file FILE] [--no-sqlite-review]
//
// --sqlite-file times the review query on an existing store (migrated first, as a gateway's
// writer would) instead of filling a new one; with rows 0 nothing is filled at all.
// --postgres starts a throwaway PostgreSQL cluster (Debian's initdb/pg_ctl, the tests' fixture,
// fsync on) for the PostgreSQL rows, unless CG_BENCH_POSTGRES names a server already.
//
// Run it alone (the machine otherwise idle): it measures throughput, and every sink's writer
// thread competes with the producer for the two cores.
#include <sys/resource.h>
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

#include "audit/postgres_cluster.hpp"
#include "consolegate/audit/review_page.hpp"
#include "consolegate/audit/store.hpp"
#include "consolegate/audit/syslog_sink.hpp"
#include "consolegate/core/time.hpp"

namespace au = consolegate::audit;
namespace cc = consolegate::core;
using steady = std::chrono::steady_clock;

namespace {

// n events with times spread over [end - spread, end), in time order when `ordered`.
std::vector<au::event> make_events(std::size_t n, cc::time_point end,
                                   std::chrono::system_clock::duration spread, unsigned seed,
                                   bool ordered = false) {
    std::mt19937_64 rng(seed);
    const char* flows[] = {"iam-user", "saml", "identity-center", "switch-role"};
    std::vector<au::event> out(n);
    for (std::size_t i = 0; i < n; ++i) {
        auto& e = out[i];
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(spread).count();
        auto back = ordered ? ms - 1 - static_cast<long long>(i * static_cast<std::size_t>(ms) / n)
                            : static_cast<long long>(rng() % static_cast<std::size_t>(ms));
        auto t = std::chrono::time_point_cast<std::chrono::milliseconds>(
            end - std::chrono::milliseconds(back));
        e.time = cc::format_rfc3339(t);
        // As the gateway makes them (app/enforcement.cpp): 48 bits of time, 80 random bits.
        char id[40];
        std::snprintf(id, sizeof id, "%012llx%016llx%04llx",
                      static_cast<unsigned long long>(t.time_since_epoch().count()),
                      static_cast<unsigned long long>(rng()),
                      static_cast<unsigned long long>(rng() & 0xffff));
        e.id = id;
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

double cpu_seconds() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    auto tv = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
    return tv(u.ru_utime) + tv(u.ru_stime);
}

// Events/s from record() to durable; `cpu` gets the process's CPU time per event (µs), the
// producer's and the writer's.
double rate(au::sink& s, const std::vector<au::event>& events, double* cpu = nullptr) {
    auto t0 = steady::now();
    auto c0 = cpu_seconds();
    for (auto& e : events) s.record(e);
    s.flush();
    if (cpu) *cpu = (cpu_seconds() - c0) * 1e6 / static_cast<double>(events.size());
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

// Fills `s` with `rows` events over the 90 days before `now`, in time order, 100 000 at a time.
void fill(au::sink& s, std::size_t rows, cc::time_point now) {
    constexpr std::size_t chunk = 100000;
    const auto span = std::chrono::duration_cast<std::chrono::system_clock::duration>(
        std::chrono::hours(24 * 90));
    const auto slices = (rows + chunk - 1) / chunk;
    for (std::size_t k = 0; k < slices; ++k) {
        auto slice_end = now - span + span * static_cast<long>(k + 1) / static_cast<long>(slices);
        auto n = std::min(chunk, rows - k * chunk);
        for (auto& e : make_events(n, slice_end, span / static_cast<long>(slices),
                                   1000 + static_cast<unsigned>(k), true))
            s.record(std::move(e));
        s.flush();
    }
}

double review_ms(au::event_store& store, cc::time_point now) {
    std::vector<double> ms;
    for (int i = 0; i < 7; ++i) {
        std::vector<std::pair<std::string, std::string>> params{{"range", "24h"}};
        auto rq = au::parse_review_request(params, now);
        auto t0 = steady::now();
        auto d = au::load_review(store, rq, now, "bench-gw");
        ms.push_back(std::chrono::duration<double, std::milli>(steady::now() - t0).count());
        if (d.events.empty()) std::printf("  (note: the default range holds no events)\n");
    }
    return median(ms);
}

}  // namespace

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // each figure as soon as it is known
    std::vector<std::string> args(argv + 1, argv + argc);
    bool start_postgres = std::erase(args, "--postgres") > 0;
    bool skip_sqlite = std::erase(args, "--no-sqlite-review") > 0;
    std::filesystem::path existing;
    if (auto it = std::find(args.begin(), args.end(), "--sqlite-file");
        it != args.end() && it + 1 != args.end()) {
        existing = *(it + 1);
        args.erase(it, it + 2);
    }
    std::size_t n = args.size() > 0 ? std::strtoull(args[0].c_str(), nullptr, 10) : 200000;
    std::size_t rows = args.size() > 1 ? std::strtoull(args[1].c_str(), nullptr, 10) : 10000000;
    std::unique_ptr<consolegate::test::postgres_cluster> cluster;
    std::string pg_connection, pg_password_own;
    if (!std::getenv("CG_BENCH_POSTGRES") && start_postgres) {
        cluster = std::make_unique<consolegate::test::postgres_cluster>(/*fsync=*/true);
        pg_connection = cluster->connection();
        pg_password_own = consolegate::test::postgres_cluster::password;
    }
    auto dir =
        std::filesystem::temp_directory_path() / ("cg-bench-audit-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto now = std::chrono::system_clock::now();
    auto events =
        make_events(n, now, std::chrono::hours(1), 1, true);  // as a gateway: in time order
    au::queue_options queue;
    queue.max_events = n + 1;  // measure the medium, not the bound

    using factory = std::function<std::unique_ptr<au::sink>(int)>;
    const char* pg = cluster ? pg_connection.c_str() : std::getenv("CG_BENCH_POSTGRES");
    const char* pg_password =
        cluster ? pg_password_own.c_str() : std::getenv("CG_BENCH_POSTGRES_PASSWORD");
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
        std::vector<double> with, without, cpu_with, cpu_without;
        for (int round = 0; round < 5; ++round) {
            // Paired: the no-op sink and the real one in the same round, order alternating.
            for (int k = 0; k < 2; ++k) {
                double cpu = 0;
                if ((k == 0) == (round % 2 == 0)) {
                    null_sink s;
                    without.push_back(rate(s, events, &cpu));
                    cpu_without.push_back(cpu);
                } else {
                    auto s = (*make)(round);
                    with.push_back(rate(*s, events, &cpu));
                    cpu_with.push_back(cpu);
                }
            }
        }
        std::printf(
            "sink %-10s %10.0f events/s   (no-op sink %10.0f events/s, ratio %.3f); "
            "CPU %.2f us/event more than the no-op sink\n",
            name, median(with), median(without), median(with) / median(without),
            median(cpu_with) - median(cpu_without));
    }

    // The review page's default query over large stores.
    auto file = existing.empty() ? dir / "large.sqlite" : existing;
    if (!existing.empty()) {
        au::sqlite_options o;
        o.file = file;
        o.max_age = std::chrono::seconds(0);
        auto t0 = steady::now();
        au::make_sqlite_sink(o);  // migrates
        auto store = au::open_sqlite_store(file);
        rows = store->count({});
        std::printf("opened %s (%zu rows) in %.0f s\n", file.c_str(), rows,
                    std::chrono::duration<double>(steady::now() - t0).count());
        // The store's events end when it was filled: the review's "now" is its newest event.
        auto newest = store->find({}, 0, 1);
        if (!newest.empty()) now = *cc::parse_rfc3339(newest[0].time);
    } else if (rows > 0 && !skip_sqlite) {
        au::sqlite_options o;
        o.file = file;
        o.max_age = std::chrono::seconds(0);
        o.queue.max_events = 200000;
        auto t0 = steady::now();
        fill(*au::make_sqlite_sink(o), rows, now);
        std::printf("filled SQLite with %zu rows in %.0f s\n", rows,
                    std::chrono::duration<double>(steady::now() - t0).count());
    }
    if (rows > 0 && !skip_sqlite)
        std::printf("review default query over %zu SQLite rows: median %.1f ms (7 runs)\n", rows,
                    review_ms(*au::open_sqlite_store(file), now));
    if (pg && rows > 0) {
        std::string password = pg_password ? pg_password : "";
        {
            au::postgres_options o;
            o.connection = pg;
            o.password = password;
            o.max_age = std::chrono::seconds(0);
            o.queue.max_events = 200000;
            auto t0 = steady::now();
            fill(*au::make_postgres_sink(o), rows, now);
            std::printf("filled PostgreSQL with %zu rows in %.0f s\n", rows,
                        std::chrono::duration<double>(steady::now() - t0).count());
        }
        // A table filled this fast has neither planner statistics nor a visibility map yet;
        // autovacuum (insert-triggered since PostgreSQL 13) gives a growing table both long
        // before a gateway has written 10 M rows. Without them the planner scans the heap.
        auto vacuum = "PGPASSWORD='" + password +
                      "' psql -X -q -c 'VACUUM ANALYZE consolegate_events' '" + std::string(pg) +
                      "'";
        if (std::system(vacuum.c_str()) != 0) std::printf("  (note: VACUUM ANALYZE failed)\n");
        std::printf("review default query over %zu PostgreSQL rows: median %.1f ms (7 runs)\n",
                    rows, review_ms(*au::open_postgres_store(pg, password), now));
    }
    std::filesystem::remove_all(dir);
    return 0;
}
