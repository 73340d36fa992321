#include "command_config.hpp"

#include <cstdio>

namespace consolegate::app {

std::optional<core::config> load_command_config(const std::string& path) {
    auto loaded = core::load_config(path);
    for (const auto& d : loaded.diagnostics) {
        std::fprintf(stderr, "%s\n", core::format_diagnostic(d).c_str());
    }
    return std::move(loaded.cfg);
}

}  // namespace consolegate::app
