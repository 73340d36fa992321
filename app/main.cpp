// consolegate: one binary, subcommands (STYLE.md §3).
#include <cstdio>
#include <cstring>
#include <string_view>

#include "cmd_check_config.hpp"
#include "cmd_run.hpp"
#include "commands.hpp"

int cmd_ca(int argc, char** argv);  // app/cmd_ca.cpp (logic in proxy/ca.cpp)

namespace {

struct command {
    const char* name;
    int (*run)(int, char**);
    const char* summary;
};

constexpr command commands[] = {
    {"run", consolegate::app::cmd_run, "the gateway: DNS policy gateway and inspecting proxy"},
    {"check-config", consolegate::app::cmd_check_config,
     "validate a configuration: FILE:LINE:COL: message for every problem"},
    {"ca", cmd_ca, "corporate CA for the proxy: ca init --dir DIR (key 0600, never overwrites)"},
    {"explain", consolegate::app::cmd_explain,
     "policy simulator: one JSON decision per raw HTTP request file"},
    {"logs", consolegate::app::cmd_logs, "review sign-in attempts (filters; table, JSON, CSV)"},
    {"elevations", consolegate::app::cmd_elevations,
     "what the gateway believes TEAM says now, and the feed's health"},
    {"export", consolegate::app::cmd_export,
     "export aws-policies: the AWS-side endpoint policy matching the gateway's policy"},
    {"dns-zones", consolegate::app::cmd_dns_zones,
     "the DNS zones the corporate resolvers must forward to the gateway"},
};

void print_usage(std::FILE* out) {
    std::fputs("usage: consolegate <command> [options]\n\ncommands:\n", out);
    for (auto& c : commands) std::fprintf(out, "  %-13s %s\n", c.name, c.summary);
    std::fputs(
        "  version       print the version\n\n"
        "`consolegate <command> --help` describes each command.\n",
        out);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        print_usage(stderr);
        return 2;
    }
    std::string_view name = argv[1];
    if (name == "--help" || name == "-h" || name == "help") {
        print_usage(stdout);
        return 0;
    }
    if (name == "version" || name == "--version") {
        std::puts("consolegate " CG_VERSION);
        return 0;
    }
    for (auto& c : commands) {
        if (name == c.name) return c.run(argc - 1, argv + 1);  // argv[0] = the command
    }
    std::fprintf(stderr, "consolegate: unknown command '%s'\n\n", argv[1]);
    print_usage(stderr);
    return 2;
}
