// consolegate elevations: what the gateway believes TEAM says now, and the feed's health, read
// through the same feed the running configuration builds (app/team_feed.cpp).
#include <boost/json.hpp>
#include <cstdio>

#include "cli.hpp"
#include "command_config.hpp"
#include "commands.hpp"
#include "consolegate/core/config.hpp"
#include "consolegate/core/time.hpp"
#include "elevations_report.hpp"
#include "team_feed.hpp"

namespace consolegate::app {

namespace {

constexpr const char* usage =
    "usage: consolegate elevations --config FILE [--user U] [--account ID] [--now RFC3339]\n"
    "                              [--json]\n"
    "\n"
    "Reads the TEAM feed the configuration names (snapshot file or DynamoDB table) once, and\n"
    "prints the elevations active now (or at --now), optionally for one user and/or account,\n"
    "with the feed's health. --user takes what a policy `users` selector takes: the Identity\n"
    "Center user name or TEAM's username (idc_<name>), any case, a * or ? glob, or a\n"
    "corporate user that identity.idc_user maps (alice@CORP.EXAMPLE, CORP\\alice). Health:\n"
    "source, last success, age, items, skipped, errors by kind. --json prints the object the\n"
    "admin listener serves at /api/elevations.\n"
    "Exit status: 0 feed available, 1 feed unavailable or TEAM off, 2 usage or config error.\n";

}  // namespace

int cmd_elevations(int argc, char** argv) {
    args a(argc, argv, {"config", "user", "account", "now"}, {"help", "json"});
    if (a.flag("help")) {
        std::fputs(usage, stdout);
        return 0;
    }
    if (!a.ok() || !a.value("config") || !a.positional().empty()) {
        if (!a.ok()) std::fprintf(stderr, "consolegate elevations: %s\n", a.error().c_str());
        std::fputs(usage, stderr);
        return 2;
    }
    elevations_filter filter;
    filter.user = a.value("user").value_or("");
    if (auto acct = a.value("account")) {
        filter.account = core::account_id::parse(*acct);
        if (!filter.account) {
            std::fprintf(stderr, "consolegate elevations: --account takes a 12-digit ID\n");
            return 2;
        }
    }
    auto now = std::chrono::system_clock::now();
    if (auto t = a.value("now")) {
        auto parsed = core::parse_rfc3339(*t);
        if (!parsed) {
            std::fprintf(stderr, "consolegate elevations: --now takes an RFC 3339 time\n");
            return 2;
        }
        now = *parsed;
    }
    auto cfg_loaded = load_command_config(*a.value("config"));
    if (!cfg_loaded) return 2;
    const auto& cfg = *cfg_loaded;
    filter.idc_user_template = cfg.identity.idc_user;
    filter.realms = cfg.identity.realms;
    auto feed = make_team_feed(cfg);
    std::string source =
        cfg.team.snapshot_file.empty() ? "dynamodb" : "snapshot " + cfg.team.snapshot_file.string();
    auto report = elevations_report(feed.get(), source, cfg.team.aws_partition, now, filter);
    if (a.flag("json")) {
        std::printf("%s\n", boost::json::serialize(report).c_str());
    } else {
        std::fputs(elevations_text(report).c_str(), stdout);
    }
    return report.at("feed").as_object().at("available").as_bool() ? 0 : 1;
}

}  // namespace consolegate::app
