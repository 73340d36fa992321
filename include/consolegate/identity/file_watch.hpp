#pragma once
// Change detection for the files identity/ watches (the address map file, the groups file): the
// modification time and size from stat(2), compared at each poll from the control thread. Not
// thread-safe (one caller).

#include <chrono>
#include <cstdint>
#include <filesystem>

namespace consolegate::identity {

class file_watch {
  public:
    enum class change : std::uint8_t {
        none,     // as at the last poll
        changed,  // new, or another modification time or size: read it
        missing,  // cannot be stat'ed (reported once per disappearance)
    };
    explicit file_watch(std::filesystem::path file) : file_(std::move(file)) {}
    const std::filesystem::path& file() const { return file_; }
    change poll();
    // The modification time seen by the last poll that returned `changed`.
    std::chrono::system_clock::time_point modified() const { return modified_; }

  private:
    std::filesystem::path file_;
    std::chrono::system_clock::time_point modified_{};
    std::uintmax_t size_ = 0;
    enum class state : std::uint8_t { unseen, seen, missing } state_ = state::unseen;
};

}  // namespace consolegate::identity
