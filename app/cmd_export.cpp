// consolegate export aws-policies: the gateway's policy as the AWS-side policy that matches it
// (core/endpoint_policy_export.cpp), so the network and AWS sides can be kept in agreement.
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>

#include "cli.hpp"
#include "commands.hpp"
#include "consolegate/core/config.hpp"
#include "consolegate/core/endpoint_policy.hpp"

namespace consolegate::app {

namespace {

constexpr const char* usage =
    "usage: consolegate export aws-policies --config FILE [--policy endpoint|sign-in-rcp]\n"
    "                                        [--out FILE]\n"
    "\n"
    "Writes an AWS-side policy that matches the configuration to stdout or --out:\n"
    "  endpoint     (default) the AWS Management Console Private Access VPC endpoint policy of\n"
    "               the enforcing rules (accounts, organizations, OU paths; account sign-up).\n"
    "               What its grammar cannot say (roles, users, networks, corporate identity,\n"
    "               Identity Center instances, TEAM elevation, report-only rules, other\n"
    "               partitions) is listed on stderr as notes. `check-config` re-imports it\n"
    "               through policy.endpoint_policies.\n"
    "  sign-in-rcp  the resource control policy for AWS Sign-In that refuses console sign-in\n"
    "               from anywhere but policy.aws_side's egress_networks and vpc_endpoints,\n"
    "               except its excluded_principals.\n"
    "Exit status: 0 written, 1 write failed, 2 usage or config error.\n";

// Writes `json` to --out or stdout: 0, or 1 when the write failed.
int write_document(const std::optional<std::string>& file, const std::string& json) {
    if (file) {
        std::ofstream f(*file, std::ios::binary | std::ios::trunc);
        f << json << '\n';
        if (!f.flush()) {
            std::fprintf(stderr, "consolegate export: cannot write %s\n", file->c_str());
            return 1;
        }
        return 0;
    }
    std::printf("%s\n", json.c_str());
    return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace

int cmd_export(int argc, char** argv) {
    args a(argc, argv, {"config", "out", "policy"}, {"help"});
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
    auto kind = a.value("policy").value_or("endpoint");
    if (kind == "sign-in-rcp") {
        auto out = core::export_sign_in_network_policy(loaded.cfg->policy.aws_side);
        if (!out.error.empty()) {
            std::fprintf(stderr, "consolegate export: %s\n", out.error.c_str());
            return 2;
        }
        for (const auto& n : out.notes) std::fprintf(stderr, "note: %s\n", n.c_str());
        return write_document(a.value("out"), out.json);
    }
    if (kind != "endpoint") {
        std::fprintf(stderr, "consolegate export: --policy must be endpoint or sign-in-rcp\n");
        return 2;
    }
    auto out = core::export_endpoint_policy(loaded.cfg->policy);
    for (const auto& n : out.notes) std::fprintf(stderr, "note: %s\n", n.c_str());
    return write_document(a.value("out"), out.json);
}

}  // namespace consolegate::app
