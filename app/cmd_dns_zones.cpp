// consolegate dns-zones: the zones a site's corporate resolvers must forward to the gateway for
// its configuration (core/forward_zones.hpp), so a site that steers names of its own learns
// which conditional forwarders to add beside deploy/dns/README.md's.
#include <cstdio>

#include "cli.hpp"
#include "command_config.hpp"
#include "commands.hpp"
#include "consolegate/core/config.hpp"
#include "consolegate/core/forward_zones.hpp"

namespace consolegate::app {

namespace {

constexpr const char* usage =
    "usage: consolegate dns-zones --config FILE [--why]\n"
    "\n"
    "Prints the DNS zones the corporate resolvers must forward to the gateway, one a line: the\n"
    "zone of every name it steers (dns.steer_names, which is proxy.inspect_hosts unless written,\n"
    "and the Identity Center portals), blocks (dns.block_names) or answers as a canary. A name\n"
    "in a zone deploy/dns/README.md forwards is printed as that zone; any other as the narrowest\n"
    "zone holding it. A name outside every forwarded zone is resolved around the gateway.\n"
    "  --why  after each zone, a tab and the names that need it\n"
    "Exit status: 0 printed, 2 usage or config error, or DNS disabled.\n";

}  // namespace

int cmd_dns_zones(int argc, char** argv) {
    args a(argc, argv, {"config"}, {"help", "why"});
    if (a.flag("help")) {
        std::fputs(usage, stdout);
        return 0;
    }
    if (!a.ok() || !a.value("config") || !a.positional().empty()) {
        if (!a.ok()) std::fprintf(stderr, "consolegate dns-zones: %s\n", a.error().c_str());
        std::fputs(usage, stderr);
        return 2;
    }
    auto cfg_loaded = load_command_config(*a.value("config"));
    if (!cfg_loaded) return 2;
    if (!cfg_loaded->dns.enabled) {
        std::fprintf(stderr,
                     "consolegate dns-zones: dns.enabled is false: the gateway answers no DNS "
                     "query, so no zone can be forwarded to it\n");
        return 2;
    }
    for (const auto& z : core::forward_zones(cfg_loaded->dns)) {
        std::string line = z.zone;
        if (a.flag("why")) {
            for (std::size_t i = 0; i < z.names.size(); ++i) {
                line += (i == 0 ? "\t" : " ") + z.names[i].name;
            }
        }
        std::printf("%s\n", line.c_str());
    }
    return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace consolegate::app
