// consolegate logs: review sign-in attempts from whichever store the configuration names (the
// SQLite store, else the JSON-lines file) or from a file given with --file.
#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "cli.hpp"
#include "command_config.hpp"
#include "commands.hpp"
#include "consolegate/audit/query.hpp"
#include "consolegate/audit/store.hpp"
#include "consolegate/core/config.hpp"

namespace consolegate::app {
namespace {

constexpr const char* usage =
    "usage: consolegate logs (--config FILE | --file AUDIT.jsonl|AUDIT.sqlite)\n"
    "         [--since 1h|RFC3339] [--until 1h|RFC3339] [--decision allow|deny]\n"
    "         [--mode enforced|report-only] [--reason CODE] [--rule NAME] [--client ADDR]\n"
    "         [--account ID|ALIAS] [--ou OU-ID|PATH] [--user NAME] [--flow FLOW] [--limit N]\n"
    "         [--corp-user GLOB] [--format table|json|csv] [--summary] [--follow]\n"
    "--corp-user selects the person on the corporate network (alice@CORP.EXAMPLE, *@CORP.EXAMPLE;\n"
    "case-insensitive; \"\" = unidentified).\n"
    "--summary counts the attempts in range and lists the most denied accounts, users,\n"
    "corporate users, clients and rules; --follow prints matching attempts as they are recorded "
    "(Ctrl-C ends).\n";

constexpr auto follow_poll = std::chrono::milliseconds(500);

int fail(const std::string& message) {
    std::fprintf(stderr, "consolegate logs: %s\n", message.c_str());
    return 2;
}

std::optional<core::time_point> parse_when(const std::string& s) {
    if (auto t = core::parse_rfc3339(s)) return *t;
    if (auto d = core::parse_duration(s)) return std::chrono::system_clock::now() - *d;
    return std::nullopt;
}

bool is_sqlite_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    char magic[16] = {};
    in.read(magic, sizeof magic);
    return in && std::string_view(magic, sizeof magic) == std::string_view("SQLite format 3\0", 16);
}

// Reads JSON lines from `in`, from where it stands to the end; a torn or foreign line is
// reported (the first five) and skipped.
void read_lines(std::istream& in, const std::string& file, std::size_t& line_no, std::size_t& bad,
                std::vector<audit::event>& out) {
    std::string line;
    while (std::getline(in, line)) {
        ++line_no;
        if (line.empty()) continue;
        std::string error;
        auto e = audit::from_json_line(line, &error);
        if (!e) {
            // A line with invalid UTF-8 (written before writers replaced it) is read repaired
            // and shown flagged, never hidden.
            bool replaced = false;
            auto repaired = audit::valid_utf8(line, &replaced);
            if (replaced) e = audit::from_json_line(repaired, nullptr);
            if (e) {
                e->flagged = true;
                std::fprintf(stderr, "%s:%zu: invalid UTF-8 replaced; shown flagged\n",
                             file.c_str(), line_no);
            }
        }
        if (!e) {
            if (++bad <= 5) {
                std::fprintf(stderr, "%s:%zu: skipped: %s\n", file.c_str(), line_no, error.c_str());
            }
            continue;
        }
        out.push_back(std::move(*e));
    }
}

std::string summary_text(audit::event_store& s, const audit::query& q, audit::output_format f) {
    audit::query deny = q, report = q, allow = q;
    deny.decision = report.decision = "deny";
    deny.mode = "enforced";
    report.mode = "report-only";
    allow.decision = "allow";
    auto total = s.count(q);
    auto blocked = q.mode == std::optional<std::string>("report-only") || q.decision == "allow"
                       ? 0
                       : s.count(deny);
    auto reported = q.mode == std::optional<std::string>("enforced") || q.decision == "allow"
                        ? 0
                        : s.count(report);
    auto allowed = q.decision == "deny" ? 0 : s.count(allow);
    const std::pair<const char*, audit::summary_key> keys[] = {
        {"accounts", audit::summary_key::account},
        {"users", audit::summary_key::user},
        {"corp_users", audit::summary_key::corp_user},
        {"clients", audit::summary_key::client},
        {"rules", audit::summary_key::rule}};
    std::string out;
    if (f == audit::output_format::table) {
        out += "attempts " + std::to_string(total) + "  blocked " + std::to_string(blocked) +
               "  report-only " + std::to_string(reported) + "  allowed " +
               std::to_string(allowed) + "\n";
        for (auto& [title, k] : keys) {
            out += std::string("\nmost denied ") + title + ":\n";
            for (auto& r : s.top_denied(q, k, 10)) {
                char line[32];
                std::snprintf(line, sizeof line, "%10llu  ",
                              static_cast<unsigned long long>(r.count));
                out += line + audit::terminal_text(r.key) + "\n";
            }
        }
        return out;
    }
    // json: one object; csv: section,key,count rows.
    if (f == audit::output_format::csv) {
        out = "section,key,count\n";
        out += "total,attempts," + std::to_string(total) + "\ntotal,blocked," +
               std::to_string(blocked) + "\ntotal,report-only," + std::to_string(reported) +
               "\ntotal,allowed," + std::to_string(allowed) + "\n";
        for (auto& [title, k] : keys) {
            for (auto& r : s.top_denied(q, k, 10)) {
                out += std::string(title) + "," + audit::csv_cell(r.key) + "," +
                       std::to_string(r.count) + "\n";
            }
        }
        return out;
    }
    out = "{\"attempts\":" + std::to_string(total) + ",\"blocked\":" + std::to_string(blocked) +
          ",\"report_only\":" + std::to_string(reported) +
          ",\"allowed\":" + std::to_string(allowed);
    for (auto& [title, k] : keys) {
        out += std::string(",\"top_denied_") + title + "\":[";
        bool first = true;
        for (auto& r : s.top_denied(q, k, 10)) {
            out += std::string(first ? "" : ",") +
                   "{\"key\":" + boost::json::serialize(boost::json::string(r.key)) +
                   ",\"count\":" + std::to_string(r.count) + "}";
            first = false;
        }
        out += "]";
    }
    return out + "}\n";
}

// Prints what the store receives from now on, oldest first, until the process is stopped.
[[noreturn]] void follow_store(audit::event_store& s, const audit::query& q, audit::output_format f,
                               std::uint64_t seq) {
    for (;;) {
        auto batch = s.after(seq, 10000);
        std::vector<audit::event> shown;
        for (auto& e : batch) {
            if (audit::matches(e, q)) shown.push_back(std::move(e));
        }
        if (!shown.empty()) {
            std::fputs(audit::format_events(shown, f, false).c_str(), stdout);
            std::fflush(stdout);
        }
        if (batch.empty()) std::this_thread::sleep_for(follow_poll);
    }
}

// The JSON-lines file grows, and may be rotated under us: reopen when the file shrank.
[[noreturn]] void follow_file(const std::string& file, std::ifstream in, const audit::query& q,
                              audit::output_format f, std::size_t line_no, std::size_t bad) {
    for (;;) {
        in.clear();
        auto pos = in.tellg();
        std::error_code ec;
        auto size = std::filesystem::file_size(file, ec);
        if (!ec && pos > 0 && size < static_cast<std::uintmax_t>(pos)) {
            in = std::ifstream(file);
            line_no = 0;
        }
        std::vector<audit::event> batch, shown;
        read_lines(in, file, line_no, bad, batch);
        for (auto& e : batch) {
            if (audit::matches(e, q)) shown.push_back(std::move(e));
        }
        if (!shown.empty()) {
            std::fputs(audit::format_events(shown, f, false).c_str(), stdout);
            std::fflush(stdout);
        }
        if (batch.empty()) std::this_thread::sleep_for(follow_poll);
    }
}

}  // namespace

int cmd_logs(int argc, char** argv) {
    args a(argc, argv,
           {"file", "config", "decision", "mode", "since", "until", "account", "ou", "user", "flow",
            "reason", "client", "rule", "limit", "format", "corp-user"},
           {"help", "summary", "follow"});
    if (!a.ok() || a.flag("help") || !a.positional().empty()) {
        std::fputs(a.ok() ? usage : (a.error() + "\n" + usage).c_str(), stderr);
        return a.flag("help") ? 0 : 2;
    }
    auto file = a.value("file");
    std::string pg_connection, pg_password;
    if (!file && a.value("config")) {
        // The store the gateway writes under this configuration: PostgreSQL (every replica's
        // events), then SQLite, then the JSON-lines file.
        auto cfg_loaded = load_command_config(*a.value("config"));
        if (!cfg_loaded) return 2;
        auto& au = cfg_loaded->audit;
        if (!au.postgres_connection.empty()) {
            pg_connection = au.postgres_connection;
            try {
                pg_password = audit::read_postgres_password(au.postgres_password_file);
            } catch (const std::exception& e) {
                std::fprintf(stderr, "consolegate logs: %s\n", e.what());
                return 1;
            }
        } else if (au.sqlite_path.empty() && au.jsonl_path.empty()) {
            return fail(*a.value("config") +
                        " sets none of audit.postgres_connection, sqlite_path, jsonl_path");
        } else {
            file = (au.sqlite_path.empty() ? au.jsonl_path : au.sqlite_path).string();
        }
    }
    if (!file && pg_connection.empty()) {
        std::fputs("consolegate logs: --config or --file is required\n", stderr);
        std::fputs(usage, stderr);
        return 2;
    }
    audit::query q;
    if (auto d = a.value("decision")) {
        if (*d != "allow" && *d != "deny")
            return fail("--decision must be allow or deny, not '" + *d + "'");
        q.decision = *d;
    }
    if (auto m = a.value("mode")) {
        if (*m != "enforced" && *m != "report-only")
            return fail("--mode must be enforced or report-only, not '" + *m + "'");
        q.mode = *m;
    }
    for (auto [name, slot] : {std::pair{"since", &q.since}, std::pair{"until", &q.until}}) {
        if (auto s = a.value(name)) {
            auto t = parse_when(*s);
            if (!t) {
                return fail(std::string("--") + name +
                            " takes a duration (30m, 12h, 7d) or an RFC 3339 time "
                            "(2026-11-23T08:00:00Z), not '" +
                            *s + "'");
            }
            *slot = *t;
        }
    }
    if (auto r = a.value("reason")) {
        bool known = false;
        for (int i = 0; i < 32 && !known; ++i) {
            auto code = core::to_string(static_cast<core::reason>(i));
            known = code != "unknown" && code == *r;
        }
        if (!known)
            return fail("--reason takes a reason code (rule-deny, default-deny, …), not '" + *r +
                        "'");
        q.reason = *r;
    }
    if (auto c = a.value("client")) {
        std::string client_problem;
        auto client = core::parse_client_address(*c, &client_problem);
        if (!client) return fail("--client '" + *c + "': " + client_problem);
        q.client = client->str();  // as events name it: ::ffff:10.20.0.5 is 10.20.0.5
    }
    q.rule = a.value("rule");
    q.account = a.value("account");
    q.ou = a.value("ou");
    q.user = a.value("user");
    if (auto f = a.value("flow")) {
        // A flow's name, or "refused" (connections refused before judging): the table's
        // console-session+saml|iam-user names three, and finding nothing for it would say none.
        if (*f != "refused" && !core::sign_in_flow_from_string(*f))
            return fail(
                "--flow takes one sign-in flow (iam-user, saml, console-session, …) or "
                "refused, not '" +
                *f + "'");
        q.flow = *f;
    }
    if (auto c = a.value("corp-user")) {
        if (c->size() > 256) return fail("--corp-user takes a name or glob of at most 256 bytes");
        q.corp_user = *c;
    }
    if (auto l = a.value("limit")) {
        try {
            q.limit = std::stoul(*l);
        } catch (const std::exception&) {
            return fail("--limit takes a number, not '" + *l + "'");
        }
    }
    auto format = audit::output_format_from_string(a.value("format").value_or("table"));
    if (!format) return fail("--format must be table, json or csv");
    if (a.flag("summary") && a.flag("follow"))
        return fail("--summary and --follow exclude each other");

    std::unique_ptr<audit::event_store> store;
    std::ifstream in;
    std::size_t line_no = 0, bad = 0;
    try {
        if (!pg_connection.empty()) {
            store = audit::open_postgres_store(pg_connection, pg_password);
        } else if (is_sqlite_file(*file)) {
            store = audit::open_sqlite_store(*file);
        } else {
            in.open(*file);
            if (!in) {
                std::fprintf(stderr, "consolegate logs: cannot read %s\n", file->c_str());
                return 1;
            }
            std::vector<audit::event> events;
            read_lines(in, *file, line_no, bad, events);
            if (bad > 5)
                std::fprintf(stderr, "%s: %zu unreadable lines skipped\n", file->c_str(), bad);
            store = audit::make_memory_store(std::move(events));
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "consolegate logs: %s\n", e.what());
        return 1;
    }
    if (a.flag("summary")) {
        std::fputs(summary_text(*store, q, *format).c_str(), stdout);
        return 0;
    }
    auto seq = store->last_sequence();
    auto shown = store->find(q, 0, q.limit ? q.limit : SIZE_MAX);
    if (a.flag("follow")) std::reverse(shown.begin(), shown.end());  // then new ones below
    std::fputs(audit::format_events(shown, *format).c_str(), stdout);
    if (!a.flag("follow")) return 0;
    std::fflush(stdout);
    if (in.is_open()) follow_file(*file, std::move(in), q, *format, line_no, bad);
    follow_store(*store, q, *format, seq);
}

}  // namespace consolegate::app
