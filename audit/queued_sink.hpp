#pragma once
// The bounded queue and writer thread every sink shares (sink.hpp states the contract). A sink is
// a queued_sink around a batch_target that knows how to write one batch to its medium.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "consolegate/audit/sink.hpp"
#include "consolegate/log/log.hpp"

namespace consolegate::audit {

// Runs on the writer thread only, so implementations need no locking of their own.
class batch_target {
  public:
    virtual ~batch_target() = default;
    // false when the batch could not be written (the target has logged why).
    virtual bool write(const std::vector<event>& batch) = 0;
    // Make everything written durable (fsync, commit). Called at least every flush interval.
    virtual void sync() {}
    virtual void reopen() {}
    // After write() returned false: how long to wait before the same batch is offered again.
    // Zero (the default): the batch is lost and counted in write_errors. A store that went away
    // (PostgreSQL) asks for a retry: the batch goes back to the head of the queue, where it
    // counts against the bound, so new events are dropped (and counted) while it stays away.
    virtual std::chrono::milliseconds retry_after() { return {}; }
};

class queued_sink final : public sink {
  public:
    queued_sink(std::string name, std::unique_ptr<batch_target> target, queue_options o);
    ~queued_sink() override;  // drains and syncs everything queued

    void record(event e) override;
    void flush() override;
    void reopen() override;
    sink_stats stats() const override;
    std::string name() const override { return name_; }

  private:
    void run();
    // A failed batch the target wants retried: back to the head of the queue (lock held).
    void requeue(std::vector<event>& batch);

    std::string name_;
    std::unique_ptr<batch_target> target_;
    queue_options opts_;
    mutable std::mutex mutex_;
    std::condition_variable wake_, done_;
    std::vector<event> pending_;
    std::size_t in_flight_ = 0;  // taken by the writer, not yet written: counts against the bound
    std::uint64_t queued_seq_ = 0, synced_seq_ = 0;
    sink_stats stats_;
    bool stopping_ = false, flush_requested_ = false, reopen_requested_ = false;
    log::rate_limit drop_log_{std::chrono::seconds(10)};
    std::thread writer_;
};

}  // namespace consolegate::audit
