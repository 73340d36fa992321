#pragma once
// The configuration file a `consolegate <command> --config FILE` names.

#include <optional>
#include <string>

#include "consolegate/core/config.hpp"

namespace consolegate::app {

// The configuration at `path`, or nothing once every problem in it is printed to stderr as
// FILE:LINE:COL: message (the command then exits 2).
std::optional<core::config> load_command_config(const std::string& path);

}  // namespace consolegate::app
