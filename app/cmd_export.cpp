// consolegate export aws-policies: the gateway's policy as the AWS-side policy that matches it
// (core/endpoint_policy_export.cpp), so the network and AWS sides can be kept in agreement.
#include <cstdio>
#include <fstream>

#include "cli.hpp"
#include "commands.hpp"
#include "consolegate/core/config.hpp"
#include "consolegate/core/endpoint_policy.hpp"

namespace consolegate::app {

namespace {

constexpr const char* usage =
    "usage: consolegate export aws-policies --config FILE [--out FILE]\n"
    "\n"
    "Writes the AWS Management Console Private Access VPC endpoint policy that matches the\n"
    "configuration's enforcing rules (accounts, organizations, OU paths; account sign-up) to\n"
    "stdout or --out. What the endpoint policy grammar cannot say (roles, users, networks,\n"
    "corporate identity, Identity Center instances, TEAM elevation, report-only rules) is listed\n"
    "on stderr as notes. `check-config` re-imports the document through\n"
    "policy.endpoint_policies. Exit status: 0 written, 1 write failed, 2 usage or config error.\n";

}  // namespace

int cmd_export(int argc, char** argv) {
    args a(argc, argv, {"config", "out"}, {"help"});
    if (a.flag("help")) {
        std::fputs(usage, stdout);
        return 0;
    }
    if (!a.ok() || !a.value("config") ||
        a.positional() != std::vector<std::string>{"aws-policies"}) {
        if (!a.ok()) std::fprintf(stderr, "consolegate export: %s\n", a.error().c_str());
        std::fputs(usage, stderr);
        return 2;
    }
    auto loaded = core::load_config(*a.value("config"));
    if (!loaded.cfg) {
        for (auto& d : loaded.diagnostics)
            std::fprintf(stderr, "%s\n", core::format_diagnostic(d).c_str());
        return 2;
    }
    auto out = core::export_endpoint_policy(loaded.cfg->policy);
    for (const auto& n : out.notes) std::fprintf(stderr, "note: %s\n", n.c_str());
    if (auto file = a.value("out")) {
        std::ofstream f(*file, std::ios::binary | std::ios::trunc);
        f << out.json << '\n';
        if (!f.flush()) {
            std::fprintf(stderr, "consolegate export: cannot write %s\n", file->c_str());
            return 1;
        }
        return 0;
    }
    std::printf("%s\n", out.json.c_str());
    return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace consolegate::app
