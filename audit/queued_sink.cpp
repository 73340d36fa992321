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
        if (pending_.size() + in_flight_ >= opts_.max_events) {
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
    s.queued = pending_.size() + in_flight_;
    return s;
}

void queued_sink::requeue(std::vector<event>& batch) {
    pending_.insert(pending_.begin(), std::make_move_iterator(batch.begin()),
                    std::make_move_iterator(batch.end()));
    batch.clear();
}

void queued_sink::run() {
    std::unique_lock lock(mutex_);
    auto next_sync = std::chrono::steady_clock::now() + opts_.flush_interval;
    bool unsynced = false;
    // Set once a flush or stop waits on a target that keeps asking for retries: past it, what is
    // queued is counted lost rather than holding the shutdown forever.
    std::chrono::steady_clock::time_point give_up_at{};
    bool give_up_set = false, gave_up = false;
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
        in_flight_ = batch.size();
        auto seq = queued_seq_;
        bool stop = stopping_;
        bool reopen = reopen_requested_;
        bool flushing = flush_requested_;
        bool sync = flushing || stop || std::chrono::steady_clock::now() >= next_sync;
        flush_requested_ = reopen_requested_ = false;
        if (!stop && !flushing) {  // giving up holds for one flush, never for later events
            give_up_set = gave_up = false;
        }
        lock.unlock();
        bool ok = true;
        std::chrono::milliseconds retry{0};
        if (reopen) target_->reopen();
        if (!batch.empty() && gave_up) {
            ok = false;  // the store stayed away through the give-up time: count, do not wait
        } else if (!batch.empty()) {
            ok = target_->write(batch);
            if (!ok) retry = target_->retry_after();
            unsynced = true;
        }
        if (retry.count() > 0 && (stop || flushing)) {
            auto now = std::chrono::steady_clock::now();
            if (!give_up_set) {
                give_up_at = now + opts_.give_up;
                give_up_set = true;
            }
            if (now >= give_up_at) {
                gave_up = true;
                retry = std::chrono::milliseconds(0);
                log::write(
                    log::level::error, "audit",
                    "store still unreachable at flush: queued events are lost",
                    {{"sink", name_}, {"give_up_ms", std::to_string(opts_.give_up.count())}});
            }
        }
        if (retry.count() > 0) {
            // Nothing of this batch is durable yet: it waits at the head of the queue, and the
            // flush or stop that was asked for is asked for again.
            lock.lock();
            in_flight_ = 0;
            requeue(batch);
            flush_requested_ = flush_requested_ || flushing;
            wake_.wait_for(lock, retry, [&] { return stopping_ && !stop; });
            continue;
        }
        if (sync) {
            if (unsynced) target_->sync();
            unsynced = false;
            next_sync = std::chrono::steady_clock::now() + opts_.flush_interval;
        }
        lock.lock();
        in_flight_ = 0;
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
