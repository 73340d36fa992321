#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <system_error>
#include <thread>

#include "consolegate/audit/sink.hpp"
#include "consolegate/log/log.hpp"

namespace consolegate::audit {
namespace {

class jsonl_sink final : public sink {
  public:
    jsonl_sink(const std::filesystem::path& file, std::chrono::milliseconds interval,
               std::chrono::milliseconds linger)
        : interval_(interval), linger_(linger) {
        if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
        // O_APPEND: several writers (a restarted process, logrotate copytruncate) never interleave
        // inside a line; 0640: the log names users and accounts.
        fd_ = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (fd_ < 0) {
            throw std::system_error(errno, std::generic_category(),
                                    "cannot open audit log " + file.string());
        }
        writer_ = std::thread([this] { run(); });
    }

    ~jsonl_sink() override {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        writer_.join();  // run() drains the queue before it returns
        ::close(fd_);
    }

    void record(event e) override {
        std::string line = to_json_line(e);
        line.push_back('\n');
        bool was_empty;
        {
            std::lock_guard lock(mutex_);
            was_empty = pending_.empty();
            pending_ += line;
            ++queued_seq_;
        }
        // Only the first event of a batch wakes the writer (it lingers for the rest), so a busy
        // worker does not hand the CPU to the writer for every event.
        if (was_empty) wake_.notify_one();
    }

    sink_stats stats() const override {
        std::lock_guard lock(mutex_);
        return stats_;
    }

    void flush() override {
        std::unique_lock lock(mutex_);
        auto target = queued_seq_;
        flush_requested_ = true;
        wake_.notify_all();
        done_.wait(lock, [&] { return synced_seq_ >= target || stopping_; });
    }

  private:
    void run() {
        std::unique_lock lock(mutex_);
        auto next_sync = std::chrono::steady_clock::now() + interval_;
        bool unsynced = false;
        for (;;) {
            wake_.wait_until(lock, next_sync,
                             [&] { return stopping_ || flush_requested_ || !pending_.empty(); });
            if (!pending_.empty() && !stopping_ && !flush_requested_) {
                // Let the burst this event starts coalesce into one write.
                wake_.wait_for(lock, linger_, [&] { return stopping_ || flush_requested_; });
            }
            std::string batch;
            batch.swap(pending_);
            auto seq = queued_seq_;
            auto events = seq - written_seq_;
            written_seq_ = seq;
            bool stop = stopping_;
            bool sync = flush_requested_ || stop || std::chrono::steady_clock::now() >= next_sync;
            flush_requested_ = false;
            lock.unlock();
            bool ok = true;
            if (!batch.empty()) {
                ok = write_all(batch);
                unsynced = true;
            }
            if (sync) {
                if (unsynced) ::fdatasync(fd_);
                unsynced = false;
                next_sync = std::chrono::steady_clock::now() + interval_;
            }
            lock.lock();
            if (!batch.empty()) {
                ++stats_.batches;
                (ok ? stats_.written : stats_.write_errors) += events;
            }
            stats_.recorded = queued_seq_;
            if (sync) {
                synced_seq_ = seq;
                done_.notify_all();
            }
            if (stop && pending_.empty()) return;
        }
    }

    bool write_all(const std::string& data) {
        std::size_t off = 0;
        while (off < data.size()) {
            auto n = ::write(fd_, data.data() + off, data.size() - off);
            if (n < 0) {
                if (errno == EINTR) continue;
                // Disk full or I/O error: keep the process serving; the error shows in the log,
                // once per interval however many batches fail meanwhile.
                const int err = errno;
                static log::rate_limit limit(std::chrono::seconds(10));
                if (auto suppressed = limit.allow(std::chrono::steady_clock::now())) {
                    log::write(log::level::error, "audit", "write failed",
                               {{"error", std::strerror(err)},
                                {"suppressed", std::to_string(*suppressed)}});
                }
                return false;
            }
            off += static_cast<std::size_t>(n);
        }
        return true;
    }

    int fd_ = -1;
    std::chrono::milliseconds interval_, linger_;
    mutable std::mutex mutex_;
    std::condition_variable wake_, done_;
    std::string pending_;
    std::uint64_t queued_seq_ = 0, synced_seq_ = 0, written_seq_ = 0;
    sink_stats stats_;
    bool stopping_ = false, flush_requested_ = false;
    std::thread writer_;
};

}  // namespace

std::unique_ptr<sink> make_jsonl_sink(const std::filesystem::path& file,
                                      std::chrono::milliseconds flush_interval,
                                      std::chrono::milliseconds linger) {
    return std::make_unique<jsonl_sink>(file, flush_interval, linger);
}

sink_stats sink::stats() const {
    return {};
}

void recent_events::add(const event& e) {
    std::lock_guard lock(mutex_);
    events_.push_front(e);
    if (events_.size() > capacity_) events_.pop_back();
}

std::vector<event> recent_events::snapshot() const {
    std::lock_guard lock(mutex_);
    return {events_.begin(), events_.end()};
}

void tee_sink::record(event e) {
    if (recent_) recent_->add(e);
    for (std::size_t i = 0; i + 1 < sinks_.size(); ++i) sinks_[i]->record(e);
    if (!sinks_.empty()) sinks_.back()->record(std::move(e));
}

void tee_sink::flush() {
    for (auto& s : sinks_) s->flush();
}

}  // namespace consolegate::audit
