#include "consolegate/audit/query.hpp"

#include <algorithm>
#include <array>

#include "consolegate/core/glob.hpp"
#include "consolegate/log/log.hpp"

namespace consolegate::audit {
namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

struct column {
    const char* title;
    std::string event::*member;
};
constexpr std::array<column, 11> columns{{
    {"TIME", &event::time},
    {"DECISION", &event::effect},
    {"ENFORCED", &event::enforced},
    {"REASON", &event::reason},
    {"FLOW", &event::flow},
    {"ACCOUNT", &event::account},
    {"ALIAS", &event::alias},
    {"ROLE", &event::role},
    {"USER", &event::user},
    {"CLIENT", &event::client},
    {"EVENT", &event::id},
}};

}  // namespace

// A cell a spreadsheet would read as a formula starts with '=', '+', '-' or '@', or with a tab
// or carriage return before one (OWASP's CSV injection list): it is shown as text.
std::string csv_cell(std::string_view v) {
    std::string cell(v);
    if (!cell.empty() && (cell[0] == '=' || cell[0] == '+' || cell[0] == '-' || cell[0] == '@' ||
                          cell[0] == '\t' || cell[0] == '\r')) {
        cell.insert(cell.begin(), '\'');
    }
    std::string out = "\"";
    for (char c : cell) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
    return out;
}

// Terminal output must not carry control or formatting characters from user-supplied names
// (log::char_at): each is shown as '?', as is a byte that begins no UTF-8 sequence (events are
// stored as valid UTF-8, so that is only a hand-edited record).
std::string terminal_text(std::string_view v) {
    std::string out;
    out.reserve(v.size());
    for (std::size_t i = 0; i < v.size();) {
        auto ch = log::char_at(v, i);
        if (ch.shows_itself)
            out.append(v.substr(i, ch.length));
        else
            out += '?';
        i += ch.length;
    }
    return out.empty() ? "-" : out;
}

namespace {

// A cell of the table; an event that stands for repeated requests says how many after its
// decision ("allow x37"); a session attempt judged also as the flows of the sign-in that
// opened its session names them after its own ("console-session+saml"; "+saml|iam-user" when
// it was judged as one of them, which the gateway could not tell): the rule that decided may name
// only those.
std::string table_cell(const event& e, std::size_t column) {
    auto cell = columns[column].member == &event::flow ? terminal_text(flow_shown(e))
                                                       : terminal_text(e.*(columns[column].member));
    if (columns[column].member == &event::effect && e.count > 1)
        cell += " x" + std::to_string(e.count);
    if (columns[column].member == &event::flow && !e.also_flows.empty())
        cell += "+" + terminal_text(also_flows_shown(e));
    return cell;
}

}  // namespace

bool matches(const event& e, const query& q) {
    if (q.decision && e.effect != *q.decision) return false;
    // A flow selects what a rule's `flows` selects: the attempt's own flow, or one it was judged
    // also as (also_flows, comma-separated: a session's console requests under the sign-in that
    // opened it). The stores compare the same way (',' around both).
    if (q.flow && e.flow != *q.flow &&
        ("," + e.also_flows + ",").find("," + *q.flow + ",") == std::string::npos)
        return false;
    if (q.account && e.account != *q.account && lower(e.alias) != lower(*q.account)) return false;
    if (q.user && lower(e.user).find(lower(*q.user)) == std::string::npos) return false;
    if (q.mode && (*q.mode == "report-only") != e.report_only) return false;
    if (q.ou && e.ou_path.find(*q.ou) == std::string::npos) return false;
    if (q.reason && e.reason != *q.reason) return false;
    if (q.client && e.client != *q.client) return false;
    if (q.rule && e.rule != *q.rule) return false;
    if (q.corp_user && !core::glob_match(*q.corp_user, e.corp_user, core::glob_case::insensitive))
        return false;
    if (q.since || q.until) {
        auto t = core::parse_rfc3339(e.time);
        if (!t || (q.since && *t < *q.since) || (q.until && *t >= *q.until)) return false;
    }
    return true;
}

std::optional<output_format> output_format_from_string(std::string_view s) {
    if (s == "table") return output_format::table;
    if (s == "json") return output_format::json;
    if (s == "csv") return output_format::csv;
    return std::nullopt;
}

std::string format_events(const std::vector<event>& events, output_format f, bool header) {
    std::string out;
    switch (f) {
        case output_format::json:
            for (auto& e : events) out += to_json_line(e) + "\n";
            break;
        case output_format::csv: {
            for (std::size_t i = 0; header && i < columns.size(); ++i) {
                out += (i ? "," : "") + lower(columns[i].title);
            }
            if (header)
                out += ",rule,report_only,flagged,count,time_last,also_flows,oauth_action\n";
            for (auto& e : events) {
                for (std::size_t i = 0; i < columns.size(); ++i) {
                    out += (i ? "," : "") + csv_cell(e.*(columns[i].member));
                }
                out += "," + csv_cell(e.rule) + (e.report_only ? ",true" : ",false") +
                       (e.flagged ? ",true," : ",false,") + std::to_string(e.count) + "," +
                       csv_cell(e.time_last) + "," + csv_cell(also_flows_shown(e)) + "," +
                       csv_cell(e.oauth_action) + "\n";
            }
            break;
        }
        case output_format::table: {
            std::array<std::size_t, columns.size()> width{};
            for (std::size_t i = 0; i < columns.size(); ++i) {
                width[i] = std::string_view(columns[i].title).size();
                for (auto& e : events) {
                    width[i] = std::max(width[i], table_cell(e, i).size());
                }
            }
            auto row = [&](auto cell_of) {
                std::string line;
                for (std::size_t i = 0; i < columns.size(); ++i) {
                    std::string cell = cell_of(i);
                    line += cell;
                    if (i + 1 < columns.size())
                        line += std::string(width[i] - cell.size() + 2, ' ');
                }
                out += line + "\n";
            };
            if (header) row([&](std::size_t i) { return std::string(columns[i].title); });
            for (auto& e : events) {
                row([&](std::size_t i) { return table_cell(e, i); });
            }
            break;
        }
    }
    return out;
}

}  // namespace consolegate::audit
