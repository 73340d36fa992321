#pragma once
// Where audit events go. record() is called on the proxy's worker threads and must not block on
// disk: implementations queue and write from their own thread.

#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

#include "consolegate/audit/event.hpp"

namespace consolegate::audit {

class sink {
  public:
    virtual ~sink() = default;
    virtual void record(event e) = 0;
    // Blocks until every event recorded before the call is durably written (fsync'd).
    virtual void flush() = 0;
    virtual struct sink_stats stats() const;
};

// The last N events in memory, for the admin review page. Thread-safe.
class recent_events {
  public:
    explicit recent_events(std::size_t capacity) : capacity_(capacity) {}
    void add(const event& e);
    std::vector<event> snapshot() const;  // newest first

  private:
    mutable std::mutex mutex_;
    std::deque<event> events_;
    std::size_t capacity_;
};

struct sink_stats {
    std::uint64_t recorded = 0;
    std::uint64_t written = 0;
    std::uint64_t write_errors = 0;
    std::uint64_t batches = 0;  // write() calls of queued events
};

// Appends JSON lines to a file from a background thread. The writer is woken only when the
// queue turns non-empty and then lingers `linger` so a burst becomes one write (waking it per
// event cost two context switches per audited request); events are visible to readers within
// about `linger`, fsync'd every `flush_interval`, on flush() and on destruction, so shutdown loses
// nothing that was recorded. Opening failures throw std::system_error at construction (a startup
// error).
std::unique_ptr<sink> make_jsonl_sink(
    const std::filesystem::path& file, std::chrono::milliseconds flush_interval,
    std::chrono::milliseconds linger = std::chrono::milliseconds(5));

// Fans one event out to several sinks (and the review page's ring).
class tee_sink final : public sink {
  public:
    tee_sink(std::vector<std::unique_ptr<sink>> sinks, std::shared_ptr<recent_events> recent)
        : sinks_(std::move(sinks)), recent_(std::move(recent)) {}
    void record(event e) override;
    void flush() override;

  private:
    std::vector<std::unique_ptr<sink>> sinks_;
    std::shared_ptr<recent_events> recent_;
};

}  // namespace consolegate::audit
