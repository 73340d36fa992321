#include "consolegate/identity/file_watch.hpp"

#include <sys/stat.h>

namespace consolegate::identity {

file_watch::change file_watch::poll() {
    struct stat st {};
    if (::stat(file_.c_str(), &st) != 0) {
        if (state_ == state::missing) return change::none;
        state_ = state::missing;
        return change::missing;
    }
    using namespace std::chrono;
    auto modified = system_clock::time_point(duration_cast<system_clock::duration>(
        seconds(st.st_mtim.tv_sec) + nanoseconds(st.st_mtim.tv_nsec)));
    auto size = static_cast<std::uintmax_t>(st.st_size);
    if (state_ == state::seen && modified == modified_ && size == size_) return change::none;
    state_ = state::seen;
    modified_ = modified;
    size_ = size;
    return change::changed;
}

}  // namespace consolegate::identity
