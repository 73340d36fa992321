#include "cmd_check_config.hpp"

#include <cstdio>
#include <string_view>

#include "consolegate/core/config.hpp"

namespace consolegate::app {

int cmd_check_config(int argc, char** argv) {
    if (argc != 2 || std::string_view(argv[1]).empty() || std::string_view(argv[1]) == "--help" ||
        std::string_view(argv[1]) == "-h") {
        std::fputs(
            "usage: consolegate check-config FILE\n"
            "Validates FILE and every file it names; prints each problem as "
            "FILE:LINE:COL: message.\nExit status: 0 valid, 2 invalid.\n",
            stderr);
        return 2;
    }
    core::load_result r = core::load_config(argv[1]);
    for (const auto& d : r.diagnostics) {
        std::fprintf(stderr, "%s\n", core::format_diagnostic(d).c_str());
    }
    if (!r.cfg) {
        std::fprintf(stderr, "%s: %zu problem%s\n", argv[1], r.diagnostics.size(),
                     r.diagnostics.size() == 1 ? "" : "s");
        return 2;
    }
    std::printf("%s: ok\n", argv[1]);
    return 0;
}

}  // namespace consolegate::app
