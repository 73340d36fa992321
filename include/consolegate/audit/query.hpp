#pragma once
// Reviewing sign-in attempts: filters and output formats of `consolegate logs` and the admin
// review page. Pure: events in, text out.

#include <optional>
#include <string>
#include <vector>

#include "consolegate/audit/event.hpp"
#include "consolegate/core/time.hpp"

namespace consolegate::audit {

struct query {
    std::optional<std::string> decision;  // "allow" | "deny": the policy's verdict (report-only
                                          // denials included, since reviewers need to see them)
    std::optional<std::string> mode;      // "enforced" | "report-only"
    std::optional<core::time_point> since, until;  // [since, until)
    std::optional<std::string> account;            // exact account ID or alias
    std::optional<std::string> ou;    // substring of the OU path (an OU ID or a path prefix)
    std::optional<std::string> user;  // case-insensitive substring of user
    std::optional<std::string> flow;
    std::optional<std::string> reason;  // reason code
    std::optional<std::string> client;  // client address, exact
    std::optional<std::string> rule;    // deciding rule, exact
    // The person on the corporate network (event corp_user): a `*` / `?` glob, ASCII
    // case-insensitive as corp_users rules compare (core/glob.hpp); "" matches unidentified.
    std::optional<std::string> corp_user;
    std::size_t limit = 0;  // 0 = no limit; keeps the newest
};

bool matches(const event& e, const query& q);

enum class output_format { table, json, csv };
std::optional<output_format> output_format_from_string(std::string_view s);

// Events in the order given. table: aligned columns for a terminal; json: one JSON object per
// line; csv: RFC 4180 with a header row (fields quoted, and cells starting with = + - @ prefixed
// with ' so a spreadsheet never evaluates a user-supplied name).
// `header` false: the table and CSV header rows are left out (a follow-up batch).
std::string format_events(const std::vector<event>& events, output_format f, bool header = true);

// One user-supplied value as format_events writes it: for a terminal (control and formatting
// characters shown as '?', "-" for empty) and as a CSV cell (quoted, formulas defused). For
// other listings of the record (`logs --summary`).
std::string terminal_text(std::string_view v);
std::string csv_cell(std::string_view v);

}  // namespace consolegate::audit
