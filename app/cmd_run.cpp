#include "cmd_run.hpp"

#include <cstdio>

#include "cli.hpp"
#include "consolegate/core/config.hpp"
#include "consolegate/log/log.hpp"
#include "gateway.hpp"

namespace consolegate::app {

int run_gateway(const run_options& o) {
    auto loaded = core::load_config(o.config);
    if (!loaded.cfg) {
        for (auto& d : loaded.diagnostics) {
            std::fprintf(stderr, "%s\n", core::format_diagnostic(d).c_str());
        }
        std::fprintf(stderr, "consolegate: %s is not valid (%zu problems); nothing started\n",
                     o.config.c_str(), loaded.diagnostics.size());
        return 2;
    }
    auto cfg = std::make_shared<const core::config>(std::move(*loaded.cfg));
    log::set_level(static_cast<log::level>(cfg->general.level));
    // Valid, but a selector that cannot match as the rest stands (check-config's notes).
    for (const auto& n : loaded.notes)
        log::write(log::level::warn, "app", "configuration note",
                   {{"note", core::format_diagnostic(n)}});
    try {
        gateway g(cfg, o);
        return g.run();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "consolegate: cannot start: %s\n", e.what());
        return 1;
    }
}

int cmd_run(int argc, char** argv) {
    args a(argc, argv, {"config", "only"}, {"help"});
    constexpr const char* usage =
        "usage: consolegate run --config FILE [--only dns|proxy]\n"
        "Runs the gateway: the DNS policy gateway and the inspecting proxy (or one of them).\n"
        "SIGHUP reloads the configuration; SIGTERM drains connections and flushes the audit log.\n";
    if (a.flag("help")) {
        std::fputs(usage, stdout);
        return 0;
    }
    if (!a.ok() || !a.value("config") || !a.positional().empty()) {
        if (!a.ok()) std::fprintf(stderr, "consolegate run: %s\n", a.error().c_str());
        std::fputs(usage, stderr);
        return 2;
    }
    run_options o;
    o.config = *a.value("config");
    if (auto only = a.value("only")) {
        if (*only == "dns") {
            o.proxy = false;
        } else if (*only == "proxy") {
            o.dns = false;
        } else {
            std::fprintf(stderr, "consolegate run: --only takes dns or proxy, not '%s'\n",
                         only->c_str());
            return 2;
        }
    }
    return run_gateway(o);
}

}  // namespace consolegate::app
