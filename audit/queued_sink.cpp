#include "queued_sink.hpp"

namespace consolegate::audit {

queued_sink::queued_sink(std::string name, std::unique_ptr<batch_target> target, queue_options o)
    : name_(std::move(name)), target_(std::move(target)), opts_(o) {
    if (opts_.max_events == 0) opts_.max_events = 1;
    writer_ = std::thread([this] { run(); });
}

queued_sink::~queued_sink() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    writer_.join();  // run() drains the queue before it returns
}

void queued_sink::record(event e) {
    bool was_empty;
    {
        std::lock_guard lock(mutex_);
        if (pending_.size() >= opts_.max_events) {
            // Never wait for the medium: a stalled disk or database must not stall sign-ins.
            ++stats_.dropped;
            if (auto suppressed = drop_log_.allow(std::chrono::steady_clock::now())) {
                log::write(log::level::error, "audit", "queue full: event dropped",
                           {{"sink", name_},
                            {"queue_limit", std::to_string(opts_.max_events)},
                            {"dropped_total", std::to_string(stats_.dropped)},
                            {"suppressed", std::to_string(*suppressed)}});
            }
            return;
        }
        was_empty = pending_.empty();
        pending_.push_back(std::move(e));
        ++queued_seq_;
        ++stats_.recorded;
    }
    // Only the first event of a batch wakes the writer (it lingers for the rest), so a busy
    // worker does not hand the CPU to the writer for every event.
    if (was_empty) wake_.notify_one();
}

void queued_sink::flush() {
    std::unique_lock lock(mutex_);
    auto target = queued_seq_;
    flush_requested_ = true;
    wake_.notify_all();
    done_.wait(lock, [&] { return synced_seq_ >= target; });
}

void queued_sink::reopen() {
    {
        std::lock_guard lock(mutex_);
        reopen_requested_ = true;
    }
    wake_.notify_all();
}

sink_stats queued_sink::stats() const {
    std::lock_guard lock(mutex_);
    auto s = stats_;
    s.queued = pending_.size();
    return s;
}

void queued_sink::run() {
    std::unique_lock lock(mutex_);
    auto next_sync = std::chrono::steady_clock::now() + opts_.flush_interval;
    bool unsynced = false;
    std::vector<event> batch;
    for (;;) {
        wake_.wait_until(lock, next_sync, [&] {
            return stopping_ || flush_requested_ || reopen_requested_ || !pending_.empty();
        });
        if (!pending_.empty() && !stopping_ && !flush_requested_) {
            // Let the burst this event starts coalesce into one write.
            wake_.wait_for(lock, opts_.linger, [&] { return stopping_ || flush_requested_; });
        }
        batch.clear();
        batch.swap(pending_);
        auto seq = queued_seq_;
        bool stop = stopping_;
        bool reopen = reopen_requested_;
        bool sync = flush_requested_ || stop || std::chrono::steady_clock::now() >= next_sync;
        flush_requested_ = reopen_requested_ = false;
        lock.unlock();
        bool ok = true;
        if (reopen) target_->reopen();
        if (!batch.empty()) {
            ok = target_->write(batch);
            unsynced = true;
        }
        if (sync) {
            if (unsynced) target_->sync();
            unsynced = false;
            next_sync = std::chrono::steady_clock::now() + opts_.flush_interval;
        }
        lock.lock();
        if (!batch.empty()) {
            ++stats_.batches;
            (ok ? stats_.written : stats_.write_errors) += batch.size();
        }
        if (sync) {
            synced_seq_ = seq;
            done_.notify_all();
        }
        if (stop && pending_.empty()) {
            synced_seq_ = queued_seq_;
            done_.notify_all();
            return;
        }
    }
}

}  // namespace consolegate::audit
