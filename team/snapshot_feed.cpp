#include "consolegate/team/snapshot_feed.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace consolegate::team {

snapshot_feed::snapshot_feed(std::filesystem::path file, std::chrono::milliseconds limit,
                             core::elevation_window window)
    : file_(std::move(file)), staleness_limit_(limit), window_(window) {
    auto s = std::make_shared<feed_status>();
    s->problem = "not read yet";
    status_.store(std::move(s));
}

std::string snapshot_feed::poll() {
    struct ::stat st {};
    if (::stat(file_.c_str(), &st) != 0) {
        std::string problem = "cannot read " + file_.string() + ": " + std::strerror(errno);
        auto old = status_.load();
        if (old->set == nullptr && old->problem == problem) return "";
        auto s = std::make_shared<feed_status>();
        s->problem = problem;
        status_.store(s);
        read_once_ = false;
        return problem;
    }
    auto mtime = std::filesystem::last_write_time(file_);
    auto size = static_cast<std::uintmax_t>(st.st_size);
    auto inode = static_cast<std::uint64_t>(st.st_ino);
    if (read_once_ && mtime == last_mtime_ && size == last_size_ && inode == last_inode_) {
        return "";
    }
    read_once_ = true;
    last_mtime_ = mtime;
    last_size_ = size;
    last_inode_ = inode;

    auto s = std::make_shared<feed_status>();
    // The data's age: its modification time, but never later than the inode's change time. A
    // writer sets mtime at will (touch -d, rsync -t or cp -p from a host whose clock is ahead);
    // the kernel sets ctime from this host's clock on every write, rename or utime, so the file
    // cannot be younger than that. A future mtime alone kept the snapshot fresh that much longer
    // than the staleness limit after the exporter stopped.
    auto changed = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::seconds(st.st_ctim.tv_sec) +
            std::chrono::nanoseconds(st.st_ctim.tv_nsec)));
    s->data_time = std::min(std::chrono::file_clock::to_sys(mtime), changed);
    if (size > core::team_snapshot_max_bytes) {
        s->problem = file_.string() + " is larger than the snapshot limit";
        status_.store(s);
        return s->problem;
    }
    std::ifstream in(file_, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in) {
        s->problem = "cannot read " + file_.string();
        status_.store(s);
        return s->problem;
    }
    auto snap = core::parse_team_snapshot(text.str(), file_.string());
    if (!snap.document_ok) {
        s->problem = snap.diagnostics.empty() ? file_.string() + " is not a TEAM snapshot"
                                              : snap.diagnostics.front().message;
        status_.store(s);
        return "invalid TEAM snapshot: " + s->problem;
    }
    s->skipped_items = snap.skipped;
    auto records = snap.records.size();
    if (last_set_) core::keep_finished(*last_set_, snap.records, s->data_time);
    s->set = std::make_shared<const core::elevation_set>(std::move(snap.records), window_);
    last_set_ = s->set;
    status_.store(s);
    return "loaded " + std::to_string(records) + " TEAM requests (" +
           std::to_string(s->set->size()) + " in progress, " + std::to_string(s->skipped_items) +
           " malformed skipped) from " + file_.string();
}

core::elevation_view snapshot_feed::view(std::chrono::system_clock::time_point now,
                                         std::shared_ptr<const feed_status>& keep) const {
    keep = status_.load();
    if (!keep->set || now - keep->data_time > staleness_limit_) {
        return core::elevation_view::unavailable();
    }
    return core::elevation_view::of(*keep->set);
}

}  // namespace consolegate::team
