// consolegate logs: review sign-in attempts from the audit log.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "cli.hpp"
#include "commands.hpp"
#include "consolegate/audit/query.hpp"
#include "consolegate/core/config.hpp"

namespace consolegate::app {
namespace {

constexpr const char* usage =
    "usage: consolegate logs (--config FILE | --file AUDIT.jsonl) [--decision allow|deny]\n"
    "                        [--since 1h|RFC3339]\n"
    "                        [--account ID|ALIAS] [--user NAME] [--flow FLOW] [--limit N]\n"
    "                        [--format table|json|csv]\n";

}  // namespace

int cmd_logs(int argc, char** argv) {
    args a(argc, argv,
           {"file", "config", "decision", "since", "account", "user", "flow", "limit", "format"},
           {"help"});
    if (!a.ok() || a.flag("help") || !a.positional().empty()) {
        std::fputs(a.ok() ? usage : (a.error() + "\n" + usage).c_str(), stderr);
        return a.flag("help") ? 0 : 2;
    }
    auto file = a.value("file");
    if (!file && a.value("config")) {
        // The audit log the gateway writes under this configuration.
        auto loaded = core::load_config(*a.value("config"));
        if (!loaded.cfg) {
            for (auto& d : loaded.diagnostics) {
                std::fprintf(stderr, "%s\n", core::format_diagnostic(d).c_str());
            }
            return 2;
        }
        if (loaded.cfg->audit.jsonl_path.empty()) {
            std::fprintf(stderr, "consolegate logs: %s sets no audit.jsonl_path\n",
                         a.value("config")->c_str());
            return 2;
        }
        file = loaded.cfg->audit.jsonl_path.string();
    }
    if (!file) {
        std::fputs("consolegate logs: --config or --file is required\n", stderr);
        std::fputs(usage, stderr);
        return 2;
    }
    audit::query q;
    if (auto d = a.value("decision")) {
        if (*d != "allow" && *d != "deny") {
            std::fprintf(stderr, "consolegate logs: --decision must be allow or deny, not '%s'\n",
                         d->c_str());
            return 2;
        }
        q.decision = *d;
    }
    if (auto s = a.value("since")) {
        if (auto t = core::parse_rfc3339(*s)) {
            q.since = *t;
        } else if (auto d = core::parse_duration(*s)) {
            q.since = std::chrono::system_clock::now() - *d;
        } else {
            std::fprintf(stderr,
                         "consolegate logs: --since takes a duration (30m, 12h, 7d) or an RFC 3339 "
                         "time (2026-11-23T08:00:00Z), not '%s'\n",
                         s->c_str());
            return 2;
        }
    }
    q.account = a.value("account");
    q.user = a.value("user");
    q.flow = a.value("flow");
    if (auto l = a.value("limit")) {
        try {
            q.limit = std::stoul(*l);
        } catch (const std::exception&) {
            std::fprintf(stderr, "consolegate logs: --limit takes a number, not '%s'\n",
                         l->c_str());
            return 2;
        }
    }
    auto format = audit::output_format_from_string(a.value("format").value_or("table"));
    if (!format) {
        std::fputs("consolegate logs: --format must be table, json or csv\n", stderr);
        return 2;
    }

    std::ifstream in(*file);
    if (!in) {
        std::fprintf(stderr, "consolegate logs: cannot read %s\n", file->c_str());
        return 1;
    }
    std::vector<audit::event> events;
    std::string line;
    std::size_t line_no = 0, bad = 0;
    while (std::getline(in, line)) {
        ++line_no;
        if (line.empty()) continue;
        std::string error;
        auto e = audit::from_json_line(line, &error);
        if (!e) {
            // A torn last line (crash mid-write) or a foreign line: say so, keep going.
            if (++bad <= 5) {
                std::fprintf(stderr, "%s:%zu: skipped: %s\n", file->c_str(), line_no,
                             error.c_str());
            }
            continue;
        }
        if (audit::matches(*e, q)) events.push_back(std::move(*e));
    }
    if (bad > 5) std::fprintf(stderr, "%s: %zu unreadable lines skipped\n", file->c_str(), bad);
    // The file is in write order (oldest first); reviewers want the newest first.
    std::reverse(events.begin(), events.end());
    if (q.limit && events.size() > q.limit) events.resize(q.limit);
    std::fputs(audit::format_events(events, *format).c_str(), stdout);
    return 0;
}

}  // namespace consolegate::app
