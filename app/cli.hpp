#pragma once
// A tiny argument reader shared by the subcommands: `--name value`, `--name=value`, flags, and
// positional arguments; unknown options are reported, never ignored.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace consolegate::app {

class args {
  public:
    // argv[0] is the command's name. `with_value` lists options that take a value; `flags` those
    // that do not.
    args(int argc, char** argv, std::set<std::string> with_value, std::set<std::string> flags);

    bool ok() const { return error_.empty(); }
    const std::string& error() const { return error_; }
    std::optional<std::string> value(const std::string& name) const;
    std::vector<std::string> values(const std::string& name) const;  // repeated options
    bool flag(const std::string& name) const { return flags_.count(name) != 0; }
    const std::vector<std::string>& positional() const { return positional_; }

  private:
    std::multimap<std::string, std::string> values_;
    std::set<std::string> flags_;
    std::vector<std::string> positional_;
    std::string error_;
};

}  // namespace consolegate::app
