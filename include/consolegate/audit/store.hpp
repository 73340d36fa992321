#pragma once
// Reading the sign-in record back: the review page, the event API and `consolegate logs` ask one
// interface, whichever store holds the events (SQLite, or a JSON-lines file read into memory).
// Every query returns newest first. Thread-safety: one store object per thread (open one per
// reader; SQLite connections are cheap).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "consolegate/audit/query.hpp"
#include "consolegate/audit/sink.hpp"

namespace consolegate::audit {

struct count_row {
    std::string key;
    std::uint64_t count = 0;
};

// Attempts per time bucket: blocked = enforced denials; report_only = denials let through.
struct bucket {
    core::time_point start;
    std::uint64_t blocked = 0, report_only = 0, allowed = 0;
};

// The `n` most frequent of `counts`, count descending, then key ascending: how every store
// ranks a summary.
std::vector<count_row> top_rows(const std::unordered_map<std::string, std::uint64_t>& counts,
                                std::size_t n);

// Where every store's histogram() starts: the empty buckets of `step` (at least a second)
// covering [from, to), oldest first, and `q` narrowed to [from, to).
std::vector<bucket> empty_buckets(core::time_point from, core::time_point to,
                                  std::chrono::seconds step);
query within(const query& q, core::time_point from, core::time_point to);

// What the top-N summaries count over: "account", "user", "client", "rule", and the person on
// the corporate network ("corp_user").
enum class summary_key { account, user, client, rule, corp_user };

class event_store {
  public:
    virtual ~event_store() = default;
    // Matching events, newest first, skipping `offset`; `q.limit` is ignored (use `limit`).
    virtual std::vector<event> find(const query& q, std::size_t offset, std::size_t limit) = 0;
    virtual std::uint64_t count(const query& q) = 0;
    virtual std::optional<event> get(std::string_view id) = 0;
    // The `n` most frequent values among blocked (enforced deny) and report-only denials.
    virtual std::vector<count_row> top_denied(const query& q, summary_key k, std::size_t n) = 0;
    // top_denied() for each of `keys`, in that order. The default asks once per key; the stores
    // that hold millions of events count every key in one pass over the matching denials (the
    // review page shows every summary at once).
    virtual std::vector<std::vector<count_row>> top_denied_each(const query& q,
                                                                std::span<const summary_key> keys,
                                                                std::size_t n);
    // Buckets of `step` covering [from, to), oldest first.
    virtual std::vector<bucket> histogram(const query& q, core::time_point from,
                                          core::time_point to, std::chrono::seconds step) = 0;
    // Events stored after the one with sequence `after` (0 = the start), oldest first, and the
    // sequence of the last one returned: `logs --follow`.
    virtual std::vector<event> after(std::uint64_t& seq, std::size_t limit) = 0;
    virtual std::uint64_t last_sequence() = 0;
};

// Events held in memory (a JSON-lines file read by `logs --file`, tests). Sequence = position.
std::unique_ptr<event_store> make_memory_store(std::vector<event> events_oldest_first);

// The SQLite store. Throws std::runtime_error when the file cannot be opened or migrated (a
// startup error). Read-only opens never create or migrate the file.
struct sqlite_options {
    std::filesystem::path file;
    std::chrono::seconds max_age{std::chrono::hours(24 * 90)};  // 0 = keep forever
    std::uint64_t max_bytes = 0;                                // 0 = no size limit
    queue_options queue;
};
std::unique_ptr<event_store> open_sqlite_store(const std::filesystem::path& file);
std::unique_ptr<sink> make_sqlite_sink(const sqlite_options& o);
// The schema version the store migrates to (the `schema_version` table holds the file's).
inline constexpr int sqlite_schema_version = 9;

// The PostgreSQL store: the shared record of a fleet. Every replica writes to the same tables
// (events carry the writing instance in `gateway`) and every replica's reader sees all of them.
// `connection` is a libpq connection string or URI without a password; `password` (from
// audit.postgres_password_file) is handed to libpq apart from it and never logged.
//
// The writer (make_postgres_sink) connects and migrates at start; a server that cannot be reached
// is not a startup error: events queue (bounded by queue.max_events, then dropped and counted)
// while the writer reconnects with backoff (250 ms doubling to 5 s). An event is acknowledged
// when the transaction holding it has committed (sink_stats::written counts those); a batch
// whose commit was cut off is sent again and a duplicate ID is ignored, so a retry never stores
// an event twice. Throws std::runtime_error only for a database from a newer build.
//
// open_postgres_store connects and checks the schema version; throws std::runtime_error (the
// connection error, or a version mismatch) otherwise. It never creates or migrates tables.
struct postgres_options {
    std::string connection;
    std::string password;
    std::chrono::seconds max_age{std::chrono::hours(24 * 90)};  // 0 = keep forever
    queue_options queue;
};
std::unique_ptr<event_store> open_postgres_store(const std::string& connection,
                                                 const std::string& password);
std::unique_ptr<sink> make_postgres_sink(const postgres_options& o);
// The first line of audit.postgres_password_file (without its line ending); "" for an empty
// path. Throws std::runtime_error naming the file (never its content) when it cannot be read.
std::string read_postgres_password(const std::filesystem::path& file);
inline constexpr int postgres_schema_version = 4;

}  // namespace consolegate::audit
