#pragma once
// `consolegate run`: the gateway process (app/gateway.hpp).

#include <filesystem>

namespace consolegate::app {

struct run_options {
    std::filesystem::path config;
    bool dns = true;    // --only proxy turns it off
    bool proxy = true;  // --only dns turns it off
};

// Returns the process exit status: 0 after a clean shutdown, 1 when start-up fails (a port in
// use, a missing CA), 2 when the configuration is invalid.
int run_gateway(const run_options& o);

int cmd_run(int argc, char** argv);

}  // namespace consolegate::app
