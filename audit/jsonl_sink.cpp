// The JSON-lines sink: one event per line, appended; size-based rotation and reopen.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "consolegate/audit/sink.hpp"
#include "consolegate/log/log.hpp"
#include "queued_sink.hpp"

namespace consolegate::audit {
namespace {

class jsonl_target final : public batch_target {
  public:
    explicit jsonl_target(const jsonl_options& o) : opts_(o) {
        if (opts_.file.has_parent_path()) {
            std::filesystem::create_directories(opts_.file.parent_path());
        }
        if (!open()) {
            throw std::system_error(errno, std::generic_category(),
                                    "cannot open audit log " + opts_.file.string());
        }
    }
    ~jsonl_target() override {
        if (fd_ >= 0) ::close(fd_);
    }

    bool write(const std::vector<event>& batch) override {
        std::string data;
        data.reserve(batch.size() * 512);
        for (auto& e : batch) {
            data += to_json_line(e);
            data += '\n';
        }
        if (opts_.rotate_bytes && size_ > 0 && size_ + data.size() > opts_.rotate_bytes) rotate();
        if (fd_ < 0 && !open()) {
            report("open failed", errno);
            return false;
        }
        std::size_t off = 0;
        while (off < data.size()) {
            auto n = ::write(fd_, data.data() + off, data.size() - off);
            if (n < 0) {
                if (errno == EINTR) continue;
                // Disk full, file too large, I/O error: keep serving; say so in the log.
                report("write failed", errno);
                return false;
            }
            off += static_cast<std::size_t>(n);
            size_ += static_cast<std::uint64_t>(n);
        }
        return true;
    }

    void sync() override {
        if (fd_ >= 0) ::fdatasync(fd_);
    }

    // After logrotate (or an operator) renamed the file: continue in a new file at the path.
    void reopen() override {
        if (fd_ >= 0) {
            ::fdatasync(fd_);
            ::close(fd_);
            fd_ = -1;
        }
        if (!open()) report("reopen failed", errno);
    }

  private:
    bool open() {
        // O_APPEND: several writers (a restarted process) never interleave inside a line;
        // 0640: the log names users and accounts.
        fd_ = ::open(opts_.file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (fd_ < 0) return false;
        struct stat st {};
        size_ = ::fstat(fd_, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
        return true;
    }

    void rotate() {
        ::fdatasync(fd_);
        ::close(fd_);
        fd_ = -1;
        auto numbered = [&](unsigned i) {
            auto p = opts_.file;
            p += "." + std::to_string(i);
            return p;
        };
        std::error_code ec;
        if (opts_.keep == 0) {
            std::filesystem::remove(opts_.file, ec);
        } else {
            std::filesystem::remove(numbered(opts_.keep), ec);
            for (unsigned i = opts_.keep; i > 1; --i) {
                std::filesystem::rename(numbered(i - 1), numbered(i), ec);
            }
            std::filesystem::rename(opts_.file, numbered(1), ec);
            if (ec) report("rotate failed", ec.value());
        }
        if (!open()) report("open after rotate failed", errno);
    }

    void report(const char* what, int err) {
        static log::rate_limit limit(std::chrono::seconds(10));
        if (auto suppressed = limit.allow(std::chrono::steady_clock::now())) {
            log::write(log::level::error, "audit", what,
                       {{"sink", "jsonl"},
                        {"file", opts_.file.string()},
                        {"error", std::strerror(err)},
                        {"suppressed", std::to_string(*suppressed)}});
        }
    }

    jsonl_options opts_;
    int fd_ = -1;
    std::uint64_t size_ = 0;
};

}  // namespace

std::unique_ptr<sink> make_jsonl_sink(const jsonl_options& o) {
    return std::make_unique<queued_sink>("jsonl", std::make_unique<jsonl_target>(o), o.queue);
}

std::unique_ptr<sink> make_jsonl_sink(const std::filesystem::path& file,
                                      std::chrono::milliseconds flush_interval,
                                      std::chrono::milliseconds linger) {
    jsonl_options o;
    o.file = file;
    o.queue.flush_interval = flush_interval;
    o.queue.linger = linger;
    return make_jsonl_sink(o);
}

}  // namespace consolegate::audit
