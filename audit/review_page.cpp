#include "consolegate/audit/review_page.hpp"

#include "consolegate/core/html.hpp"

namespace consolegate::audit {
using core::html_escape;

namespace {

std::string option(std::string_view value, std::string_view label, bool selected) {
    return "<option value=\"" + html_escape(value) + "\"" + (selected ? " selected" : "") + ">" +
           html_escape(label) + "</option>";
}

std::string cell(std::string_view v) {
    return "<td>" + (v.empty() ? "&ndash;" : html_escape(v)) + "</td>";
}

}  // namespace

std::string render_review_page(const std::vector<event>& events, const query& q,
                               std::string_view node_name) {
    std::string d = q.decision.value_or("");
    std::string h;
    h.reserve(4096 + events.size() * 512);
    h +=
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<title>consolegate: sign-in review</title><style>"
        "body{font-family:system-ui,sans-serif;margin:1.5rem;color:#111}"
        "table{border-collapse:collapse;width:100%;font-size:.9rem}"
        "th,td{border-bottom:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}"
        "th{background:#f2f2f2}tr.deny td.effect{color:#a00;font-weight:bold}"
        "td:first-child,td:last-child{white-space:nowrap}td:last-child code{font-size:.8rem}"
        "tr.allow td.effect{color:#060}form{margin:1rem 0}label{margin-right:1rem}"
        "</style></head><body>\n<h1>Sign-in attempts</h1>\n<p>Gateway <strong>" +
        html_escape(node_name) +
        "</strong>. Newest first. Report-only denials show as <em>deny</em> with enforced "
        "<em>allow</em>.</p>\n"
        "<form method=\"get\" action=\"/review\" aria-label=\"Filter sign-in attempts\">"
        "<label>Decision <select name=\"decision\">" +
        option("", "any", d.empty()) + option("deny", "deny", d == "deny") +
        option("allow", "allow", d == "allow") +
        "</select></label><label>Account or alias <input name=\"account\" value=\"" +
        html_escape(q.account.value_or("")) +
        "\"></label><label>User <input name=\"user\" value=\"" + html_escape(q.user.value_or("")) +
        "\"></label><button type=\"submit\">Filter</button></form>\n";
    h += "<p>" + std::to_string(events.size()) + " attempt" + (events.size() == 1 ? "" : "s") +
         ".</p>\n<table><thead><tr><th scope=\"col\">Time (UTC)</th><th scope=\"col\">Decision</th>"
         "<th scope=\"col\">Enforced</th><th scope=\"col\">Reason</th><th scope=\"col\">Rule</th>"
         "<th scope=\"col\">Flow</th><th scope=\"col\">Account</th><th scope=\"col\">Alias</th>"
         "<th scope=\"col\">Role / permission set</th><th scope=\"col\">User</th>"
         "<th scope=\"col\">Client</th><th scope=\"col\">Host</th><th scope=\"col\">Event ID</th>"
         "</tr></thead><tbody>\n";
    for (auto& e : events) {
        h += "<tr class=\"" + html_escape(e.effect) + "\">" + cell(e.time) +
             "<td class=\"effect\">" + html_escape(e.effect) + (e.flagged ? " (flagged)" : "") +
             "</td>" + cell(e.enforced) + cell(e.reason) + cell(e.rule) + cell(e.flow) +
             cell(e.account) + cell(e.alias) +
             cell(e.permission_set.empty() ? e.role : e.role + " (" + e.permission_set + ")") +
             cell(e.user) + cell(e.client) + cell(e.host) + "<td><code>" + html_escape(e.id) +
             "</code></td></tr>\n";
    }
    h += "</tbody></table>\n</body></html>\n";
    return h;
}

}  // namespace consolegate::audit
