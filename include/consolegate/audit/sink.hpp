#pragma once
// Where audit events go. record() is called on the proxy's worker threads and never blocks on a
// disk, a pipe or a database: every sink owns a bounded queue and one writer thread. A full queue
// drops the event and counts it (sink_stats::dropped, exported as
// consolegate_audit_dropped_total{sink="…"}) with a rate-limited log line; it never waits.
//
// What survives what:
//  - flush() and destruction (SIGTERM) write and sync everything queued before they return;
//  - a kill -9 loses what sits in the queue and what was written but not yet synced: at most
//    about one flush interval of events (the writer lingers a few ms, then writes the batch).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "consolegate/audit/event.hpp"

namespace consolegate::audit {

struct sink_stats {
    std::uint64_t recorded = 0;      // events handed to record() and queued
    std::uint64_t written = 0;       // events the target accepted
    std::uint64_t write_errors = 0;  // events in batches the target failed to write
    std::uint64_t dropped = 0;       // events refused because the queue was full
    std::uint64_t batches = 0;       // write calls of queued events
    std::uint64_t queued = 0;        // events waiting now, the batch being written included
};

class sink {
  public:
    virtual ~sink() = default;
    virtual void record(event e) = 0;
    // Blocks until every event recorded before the call is written and synced.
    virtual void flush() = 0;
    // Close and reopen files (after an external rotation); asynchronous, never blocks.
    virtual void reopen() {}
    virtual sink_stats stats() const;
    virtual std::string name() const { return "sink"; }
};

// The queue shared by every sink. max_events bounds memory: events beyond it are dropped.
struct queue_options {
    std::size_t max_events = 65536;
    std::chrono::milliseconds flush_interval{1000};  // sync (fsync / commit) at least this often
    std::chrono::milliseconds linger{5};             // a burst coalesces into one write
    // A flush or shutdown waits this long for a store that went away (PostgreSQL, syslog over
    // TCP); what is still queued then is counted in write_errors and logged, never waited on.
    std::chrono::milliseconds give_up{10000};
};

// Appends JSON lines to `file`. With rotate_bytes > 0, a write that would take the file past it
// first renames file -> file.1 -> … -> file.<keep> (the oldest is removed) and starts a new file,
// so logrotate's copytruncate is not needed; reopen() (SIGHUP/SIGUSR1) reopens `file` after an
// external rename. Opening failures throw std::system_error at construction (a startup error);
// later write failures are logged (rate-limited) and counted in write_errors.
struct jsonl_options {
    std::filesystem::path file;
    std::uint64_t rotate_bytes = 0;  // 0 = never rotate
    unsigned keep = 5;               // rotated files kept
    queue_options queue;
};
std::unique_ptr<sink> make_jsonl_sink(const jsonl_options& o);
std::unique_ptr<sink> make_jsonl_sink(
    const std::filesystem::path& file, std::chrono::milliseconds flush_interval,
    std::chrono::milliseconds linger = std::chrono::milliseconds(5));

// The last N events in memory. Thread-safe.
class recent_events {
  public:
    explicit recent_events(std::size_t capacity) : capacity_(capacity) {}
    void add(const event& e);
    std::vector<event> snapshot() const;  // newest first

  private:
    // A ring: a full ring overwrites its oldest slot in place, reusing that event's string
    // buffers, so keeping the recent events costs no allocation per judged request.
    mutable std::mutex mutex_;
    std::vector<event> events_;
    std::size_t capacity_;
    std::size_t next_ = 0;  // the slot the next event goes to once the ring is full
};

// Fans one event out to several sinks (and an optional in-memory ring).
class tee_sink final : public sink {
  public:
    tee_sink(std::vector<std::unique_ptr<sink>> sinks, std::shared_ptr<recent_events> recent)
        : sinks_(std::move(sinks)), recent_(std::move(recent)) {}
    void record(event e) override;
    void flush() override;
    void reopen() override;
    struct named_stats {
        std::string sink;
        sink_stats stats;
    };
    std::vector<named_stats> stats_by_sink() const;

  private:
    std::vector<std::unique_ptr<sink>> sinks_;
    std::shared_ptr<recent_events> recent_;
};

}  // namespace consolegate::audit
