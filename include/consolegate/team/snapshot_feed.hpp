#pragma once
// The TEAM elevation feed from a snapshot file (a JSON export of TEAM's `requests` table; format
// in core/elevation.hpp). The file is re-read when it changes; the data's age is the file's
// modification time (never later than its inode change time, which no writer sets), so an
// exporter that stops running makes the feed go stale.
//
// When the file is missing, unreadable, invalid, or older than the staleness limit, the feed is
// unavailable and every elevation-gated sign-in is denied with reason elevation_feed_stale.
//
// Thread-safety: poll() from one thread (the control loop); status() and view() from any thread.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "consolegate/core/elevation.hpp"
#include "consolegate/core/policy.hpp"
#include "consolegate/team/feed.hpp"

namespace consolegate::team {

class snapshot_feed final : public feed {
  public:
    snapshot_feed(std::filesystem::path file, std::chrono::milliseconds staleness_limit,
                  core::elevation_window window = {});

    // Re-reads the file when its modification time, size or inode changed (or on the first
    // call). Returns a one-line description of what changed for the log, or "" when nothing did.
    std::string poll() override;

    std::shared_ptr<const feed_status> status() const override { return status_.load(); }
    const std::filesystem::path& file() const { return file_; }

    // What the policy sees at `now`. `keep` receives the status that `view` points into; keep
    // it alive for as long as the view is used.
    core::elevation_view view(std::chrono::system_clock::time_point now,
                              std::shared_ptr<const feed_status>& keep) const override;

  private:
    std::filesystem::path file_;
    std::chrono::milliseconds staleness_limit_;
    core::elevation_window window_;
    std::atomic<std::shared_ptr<const feed_status>> status_;
    // Identity of the file last read, to skip re-parsing an unchanged file.
    std::filesystem::file_time_type last_mtime_{};
    std::uintmax_t last_size_ = 0;
    std::uint64_t last_inode_ = 0;
    bool read_once_ = false;
    // The last set read, kept across unreadable files: its finished requests stay finished in
    // the next one (core::keep_finished), so a file put back from before an end undoes nothing.
    std::shared_ptr<const core::elevation_set> last_set_;
};

}  // namespace consolegate::team
