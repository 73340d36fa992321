// consolegate export aws-policies: the gateway's policy as the AWS-side policy that matches it
// (core/endpoint_policy_export.cpp), so the network and AWS sides can be kept in agreement.
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>

#include "cli.hpp"
#include "command_config.hpp"
#include "commands.hpp"
#include "consolegate/core/config.hpp"
#include "consolegate/core/endpoint_policy.hpp"

namespace consolegate::app {

namespace {

constexpr const char* usage =
    "usage: consolegate export aws-policies --config FILE\n"
    "           [--policy sign-in-endpoint|console-endpoint|sign-in-rcp] [--out FILE]\n"
    "\n"
    "Writes an AWS-side policy that matches the configuration to stdout or --out:\n"
    "  sign-in-endpoint  (default; also `endpoint`) the VPC endpoint policy of the AWS Sign-In\n"
    "                    endpoint of Console Private Access: per enforcing rule, which accounts\n"
    "                    and organizations may be signed in to, before authentication\n"
    "                    (signin:Authenticate, aws:ResourceAccount / aws:ResourceOrgID) and after\n"
    "                    it (the OAuth 2.0 actions, aws:PrincipalAccount / aws:PrincipalOrgID);\n"
    "                    account sign-up (signin:CreateAccount).\n"
    "  console-endpoint  the VPC endpoint policy of the console endpoint of Console Private\n"
    "                    Access: Action \"*\" per enforcing rule, on aws:PrincipalAccount /\n"
    "                    aws:PrincipalOrgID.\n"
    "  sign-in-rcp       the resource control policy for AWS Sign-In that refuses console\n"
    "                    sign-in from anywhere but policy.aws_side's egress_networks and\n"
    "                    vpc_endpoints, except its excluded_principals.\n"
    "What an endpoint policy cannot say (roles, users, networks, corporate identity, Identity\n"
    "Center instances, OU paths, some flows only, TEAM elevation, report-only rules, other\n"
    "partitions) is listed on stderr as notes. `check-config` re-imports an endpoint policy\n"
    "through policy.endpoint_policies.\n"
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
    auto cfg_loaded = load_command_config(*a.value("config"));
    if (!cfg_loaded) return 2;
    auto kind = a.value("policy").value_or("sign-in-endpoint");
    if (kind == "sign-in-rcp") {
        auto out = core::export_sign_in_network_policy(cfg_loaded->policy.aws_side);
        if (!out.error.empty()) {
            std::fprintf(stderr, "consolegate export: %s\n", out.error.c_str());
            return 2;
        }
        for (const auto& n : out.notes) std::fprintf(stderr, "note: %s\n", n.c_str());
        return write_document(a.value("out"), out.json);
    }
    auto which = kind == "console-endpoint" ? core::endpoint_document::console
                                            : core::endpoint_document::sign_in;
    if (kind != "sign-in-endpoint" && kind != "endpoint" && kind != "console-endpoint") {
        std::fprintf(stderr,
                     "consolegate export: --policy must be sign-in-endpoint, console-endpoint or "
                     "sign-in-rcp\n");
        return 2;
    }
    auto out = core::export_endpoint_policy(cfg_loaded->policy, which);
    for (const auto& n : out.notes) std::fprintf(stderr, "note: %s\n", n.c_str());
    return write_document(a.value("out"), out.json);
}

}  // namespace consolegate::app
