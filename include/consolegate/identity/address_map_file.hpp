#pragma once
// The address map's watched file (identity.address_map_file; docs/identity.md):
//
//   # one mapping per line: ADDRESS USER ('#' starts a comment line; blank lines are skipped)
//   10.1.2.3      alice@CORP.EXAMPLE
//   2001:db8::17  bob@CORP.EXAMPLE
//
// Mappings from the file carry no time to live: they hold while the file lists them, stamped
// with its modification time (a newer push for the same address wins; a newer file wins over an
// older push). A file with any bad line is refused whole, and the mappings already loaded stay.

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "consolegate/core/address.hpp"
#include "consolegate/identity/file_watch.hpp"

namespace consolegate::identity {

class address_map;

inline constexpr std::size_t max_address_map_file = 64 * 1024 * 1024;

struct file_problem {
    int line = 0;  // 1-based; 0 = the file as a whole
    std::string message;
};

struct parsed_address_map {
    std::vector<std::pair<core::ip_address, std::string>> entries;
    std::vector<file_problem> problems;  // empty = usable
};

// Pure: the text of a file. Duplicate addresses are a problem (which line would win?).
parsed_address_map parse_address_map(std::string_view text);
// Reads `file` (at most max_address_map_file bytes) and parses it.
parsed_address_map read_address_map(const std::filesystem::path& file);
// "FILE:LINE: message".
std::string format_problem(const std::filesystem::path& file, const file_problem& p);

// Watches the file by its modification time and size (a stat(2) per poll, called from the
// control thread): loads it into the map when it changed. Not thread-safe (one caller).
class address_map_watch {
  public:
    explicit address_map_watch(std::filesystem::path file) : watch_(std::move(file)) {}
    const std::filesystem::path& file() const { return watch_.file(); }
    // Loads the file when it changed since the last poll (always on the first). Returns what
    // happened for the log ("" = unchanged); `ok` false when the file was refused.
    std::string poll(address_map& map, bool& ok);

  private:
    file_watch watch_;
};

}  // namespace consolegate::identity
