#include "consolegate/audit/review_page.hpp"

#include <algorithm>

#include "consolegate/core/html.hpp"
#include "consolegate/core/sign_in.hpp"

namespace consolegate::audit {
using core::html_escape;

namespace {

constexpr const char* style =
    "body{font-family:system-ui,sans-serif;margin:1.5rem;color:#111}"
    "table{border-collapse:collapse;font-size:.9rem}table.events{width:100%}"
    "th,td{border-bottom:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}"
    "th{background:#f2f2f2}tr.deny td.effect{color:#a00;font-weight:bold}"
    "tr.allow td.effect{color:#060}tr.report-only{background:#fff4d6}"
    "tr.report-only td.effect{color:#8a5a00}.badge{font-size:.75rem;border:1px solid #8a5a00;"
    "border-radius:.3rem;padding:0 .3rem;margin-left:.3rem;color:#8a5a00}"
    "td:first-child{white-space:nowrap}code{font-size:.8rem}"
    "form{margin:1rem 0;display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:end}"
    "label{display:flex;flex-direction:column;font-size:.85rem}"
    ".summaries{display:flex;flex-wrap:wrap;gap:1.5rem;margin:1rem 0}"
    ".summaries h3{font-size:.95rem;margin:.2rem 0}nav.pages a{margin-right:1rem}"
    "svg .blocked{fill:#c0392b}svg .report-only{fill:#e6a700}svg text{font-size:11px}"
    ".legend span{margin-right:1rem}.sw{display:inline-block;width:.8rem;height:.8rem;"
    "margin-right:.3rem;vertical-align:middle}";

std::string head(std::string_view title) {
    return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>" +
           html_escape(title) + "</title><style>" + style + "</style></head><body>\n";
}

std::string option(std::string_view value, std::string_view label, bool selected) {
    return "<option value=\"" + html_escape(value) + "\"" + (selected ? " selected" : "") + ">" +
           html_escape(label) + "</option>";
}

std::string cell(std::string_view v) {
    return "<td>" + (v.empty() ? "&ndash;" : html_escape(v)) + "</td>";
}

std::string text_input(const char* name, const char* label, const std::optional<std::string>& v) {
    return std::string("<label>") + label + " <input name=\"" + name + "\" value=\"" +
           html_escape(v.value_or("")) + "\"></label>";
}

std::string select(const char* name, const char* label, const std::optional<std::string>& v,
                   const std::vector<std::pair<std::string, std::string>>& choices) {
    std::string h =
        std::string("<label>") + label + " <select name=\"" + name + "\">" + option("", "any", !v);
    for (auto& [value, text] : choices) h += option(value, text, v == value);
    return h + "</select></label>";
}

std::string url_encode(std::string_view s) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

// The review URL of `r` at page `page`, for the pagination links.
std::string page_url(const review_request& r, std::size_t page) {
    std::string u = "/review?range=" + url_encode(r.range);
    auto add = [&](const char* k, const std::optional<std::string>& v) {
        if (v) u += std::string("&") + k + "=" + url_encode(*v);
    };
    if (r.range == "custom") {
        u += "&since=" + url_encode(r.since_text) + "&until=" + url_encode(r.until_text);
    }
    add("decision", r.q.decision);
    add("mode", r.q.mode);
    add("reason", r.q.reason);
    add("flow", r.q.flow);
    add("account", r.q.account);
    add("ou", r.q.ou);
    add("user", r.q.user);
    add("client", r.q.client);
    add("rule", r.q.rule);
    add("corp_user", r.q.corp_user);
    return html_escape(u + "&page=" + std::to_string(page));
}

std::string filter_form(const review_request& r) {
    std::vector<std::pair<std::string, std::string>> reasons, flows;
    for (int i = 0; i < 32; ++i) {
        auto s = core::to_string(static_cast<core::reason>(i));
        if (s.empty() || s == "unknown") break;
        reasons.emplace_back(s, s);
    }
    for (int i = 0; i < core::sign_in_flow_count; ++i) {
        auto s = core::to_string(static_cast<core::sign_in_flow>(i));
        flows.emplace_back(s, s);
    }
    std::string h =
        "<form method=\"get\" action=\"/review\" aria-label=\"Filter sign-in attempts\">";
    h += "<label>Range <select name=\"range\">";
    for (auto v : {"1h", "24h", "7d", "30d", "custom"}) {
        h += option(v, std::string(v) == "custom" ? "custom (below)" : std::string("last ") + v,
                    r.range == v);
    }
    h += "</select></label><label>From (UTC) <input type=\"datetime-local\" name=\"since\" "
         "value=\"" +
         html_escape(r.since_text) +
         "\"></label><label>To (UTC) <input type=\"datetime-local\" name=\"until\" value=\"" +
         html_escape(r.until_text) + "\"></label>";
    h += select("decision", "Decision", r.q.decision, {{"deny", "deny"}, {"allow", "allow"}});
    h += select("mode", "Enforcement", r.q.mode,
                {{"enforced", "enforced"}, {"report-only", "report-only"}});
    h += select("reason", "Reason", r.q.reason, reasons);
    h += select("flow", "Flow", r.q.flow, flows);
    h += text_input("account", "Account or alias", r.q.account);
    h += text_input("ou", "OU", r.q.ou);
    h += text_input("user", "User", r.q.user);
    h += text_input("corp_user", "Person (corporate user, * wildcards)", r.q.corp_user);
    h += text_input("client", "Client", r.q.client);
    h += text_input("rule", "Rule", r.q.rule);
    return h + "<button type=\"submit\">Filter</button></form>\n";
}

// Blocked and report-only attempts per bucket, stacked bars; allowed ones are not drawn.
std::string chart_svg(const std::vector<bucket>& chart, std::chrono::seconds step) {
    constexpr int width = 960, height = 180, left = 40, bottom = 20, top = 10;
    std::uint64_t max = 1;
    for (auto& b : chart) max = std::max(max, b.blocked + b.report_only);
    std::string h =
        "<figure><svg role=\"img\" aria-label=\"Blocked and report-only attempts over "
        "time\" width=\"" +
        std::to_string(width) + "\" height=\"" + std::to_string(height) + "\" viewBox=\"0 0 " +
        std::to_string(width) + " " + std::to_string(height) +
        "\" xmlns=\"http://www.w3.org/2000/svg\">";
    const double plot_w = width - left - 5, plot_h = height - bottom - top;
    h += "<line x1=\"" + std::to_string(left) + "\" y1=\"" + std::to_string(height - bottom) +
         "\" x2=\"" + std::to_string(width - 5) + "\" y2=\"" + std::to_string(height - bottom) +
         "\" stroke=\"#888\"/>";
    h += "<text x=\"2\" y=\"" + std::to_string(top + 10) + "\">" + std::to_string(max) +
         "</text><text x=\"2\" y=\"" + std::to_string(height - bottom) + "\">0</text>";
    if (!chart.empty()) {
        const double bw = plot_w / static_cast<double>(chart.size());
        for (std::size_t i = 0; i < chart.size(); ++i) {
            auto& b = chart[i];
            if (b.blocked + b.report_only == 0) continue;
            double x = left + bw * static_cast<double>(i) + 1;
            double hb = plot_h * static_cast<double>(b.blocked) / static_cast<double>(max);
            double hr = plot_h * static_cast<double>(b.report_only) / static_cast<double>(max);
            double y = height - bottom - hb;
            auto title = "<title>" + core::format_rfc3339(b.start) + ": " +
                         std::to_string(b.blocked) + " blocked, " + std::to_string(b.report_only) +
                         " report-only</title>";
            auto rect = [&](const char* cls, double ry, double rh) {
                char buf[200];
                std::snprintf(buf, sizeof buf,
                              "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                              "height=\"%.1f\">",
                              cls, x, ry, std::max(bw - 2, 1.0), rh);
                return std::string(buf) + title + "</rect>";
            };
            if (b.blocked) h += rect("blocked", y, hb);
            if (b.report_only) h += rect("report-only", y - hr, hr);
        }
        h += "<text x=\"" + std::to_string(left) + "\" y=\"" + std::to_string(height - 4) + "\">" +
             core::format_rfc3339(chart.front().start).substr(0, 16) + "Z</text>";
        h += "<text x=\"" + std::to_string(width - 5) + "\" y=\"" + std::to_string(height - 4) +
             "\" text-anchor=\"end\">" +
             core::format_rfc3339(chart.back().start + step).substr(0, 16) + "Z</text>";
    }
    return h +
           "</svg><figcaption class=\"legend\"><span><i class=\"sw\" style=\"background:"
           "#c0392b\"></i>blocked</span><span><i class=\"sw\" style=\"background:#e6a700\">"
           "</i>report-only (denied by policy, let through)</span> per " +
           std::to_string(step.count() / 60) + " min</figcaption></figure>\n";
}

// `filter`: the review parameter each row links to (that row's attempts), or none.
std::string summary_table(const char* title, const std::vector<count_row>& rows,
                          const char* filter = nullptr) {
    std::string h = std::string("<div><h3>Most denied ") + title +
                    "</h3><table><thead><tr><th scope=\"col\">" + title +
                    "</th><th scope=\"col\">Denied</th></tr></thead><tbody>";
    if (rows.empty()) h += "<tr><td colspan=\"2\">none</td></tr>";
    for (auto& r : rows) {
        auto key =
            filter ? "<td><a href=\"" +
                         html_escape("/review?" + std::string(filter) + "=" + url_encode(r.key)) +
                         "\">" + html_escape(r.key) + "</a></td>"
                   : cell(r.key);
        h += "<tr>" + key + cell(std::to_string(r.count)) + "</tr>";
    }
    return h + "</tbody></table></div>";
}

std::string events_table(const std::vector<event>& events) {
    std::string h =
        "<table class=\"events\"><thead><tr><th scope=\"col\">Time (UTC)</th>"
        "<th scope=\"col\">Decision</th><th scope=\"col\">Enforced</th><th scope=\"col\">Reason"
        "</th><th scope=\"col\">Rule</th><th scope=\"col\">Flow</th><th scope=\"col\">Account"
        "</th><th scope=\"col\">Alias</th><th scope=\"col\">OU path</th><th scope=\"col\">Role / "
        "permission set</th><th scope=\"col\">User</th><th scope=\"col\">Person</th>"
        "<th scope=\"col\">Client</th>"
        "<th scope=\"col\">Host</th><th scope=\"col\">Event ID</th></tr></thead><tbody>\n";
    for (auto& e : events) {
        // A cli-sign-in attempt's step of `aws login`, and the flows of the sign-in that opened
        // the session, as `logs` shows them.
        auto flow = flow_shown(e);
        if (!e.also_flows.empty()) flow += "+" + also_flows_shown(e);
        h += "<tr class=\"" + html_escape(e.effect) + (e.report_only ? " report-only" : "") +
             "\">" + cell(e.time) + "<td class=\"effect\">" + html_escape(e.effect) +
             (e.report_only ? "<span class=\"badge\">report-only</span>" : "") +
             (e.flagged ? " (flagged)" : "") +
             (e.count > 1 ? " &times;" + std::to_string(e.count) : std::string()) + "</td>" +
             cell(e.enforced) + cell(e.reason) + cell(e.rule) + cell(flow) + cell(e.account) +
             cell(e.alias) + cell(e.ou_path) +
             cell(e.permission_set.empty() ? e.role : e.role + " (" + e.permission_set + ")") +
             cell(e.user) + cell(e.corp_user) + cell(e.client) + cell(e.host) +
             "<td><a href=\"/review/event/" + html_escape(e.id) + "\"><code>" + html_escape(e.id) +
             "</code></a></td></tr>\n";
    }
    return h + "</tbody></table>\n";
}

}  // namespace

std::string render_review_page(const review_data& d) {
    auto& r = d.request;
    std::string h = head("consolegate: sign-in review");
    h.reserve(16384 + d.events.size() * 700);
    h += "<h1>Sign-in attempts</h1>\n<p>Gateway <strong>" + html_escape(d.node_name) +
         "</strong>. Newest first. <span class=\"badge\">report-only</span> rows were denied by "
         "the policy and let through (decision <em>deny</em>, enforced <em>allow</em>).</p>\n";
    h += filter_form(r);
    h += chart_svg(d.chart, d.bucket_size);
    h += "<section class=\"summaries\" aria-label=\"Summaries\">" +
         summary_table("accounts", d.top_accounts) + summary_table("users", d.top_users) +
         summary_table("people", d.top_corp_users, "corp_user") +
         summary_table("clients", d.top_clients) + summary_table("rules", d.top_rules) +
         "</section>\n";
    auto pages = (d.total + review_page_size - 1) / review_page_size;
    h += "<p>" + std::to_string(d.total) + " attempt" + (d.total == 1 ? "" : "s") + ".";
    if (pages > 1) {
        h += " Page " + std::to_string(r.page + 1) + " of " + std::to_string(pages) + ".";
    }
    h += "</p>\n";
    std::string nav;
    if (r.page > 0) nav += "<a rel=\"prev\" href=\"" + page_url(r, r.page - 1) + "\">newer</a>";
    if (r.page + 1 < pages)
        nav += "<a rel=\"next\" href=\"" + page_url(r, r.page + 1) + "\">older</a>";
    if (!nav.empty()) nav = "<nav class=\"pages\" aria-label=\"Pages\">" + nav + "</nav>\n";
    h += nav + events_table(d.events) + nav + "</body></html>\n";
    return h;
}

std::string render_review_page(const std::vector<event>& events, const query& q,
                               std::string_view node_name) {
    review_data d;
    d.request.q = q;
    d.request.range = "custom";
    d.events = events;
    d.total = events.size();
    d.node_name = std::string(node_name);
    return render_review_page(d);
}

std::string render_event_page(const event& e, std::string_view node_name) {
    std::string h = head("consolegate: sign-in attempt " + e.id);
    h += "<p><a href=\"/review\">&larr; all attempts</a></p><h1>Sign-in attempt <code>" +
         html_escape(e.id) + "</code></h1>\n<p>Judged by gateway <strong>" +
         html_escape(e.gateway.empty() ? node_name : e.gateway) + "</strong>." +
         (e.report_only ? " <span class=\"badge\">report-only</span>: denied by the policy, let "
                          "through."
                        : "") +
         "</p>\n<table class=\"detail\"><tbody>\n";
    auto row = [&](const char* name, std::string_view v) {
        h += std::string("<tr><th scope=\"row\">") + name + "</th>" + cell(v) + "</tr>\n";
    };
    row("Time (UTC)", e.time);
    if (e.count > 1) {
        // Repeated requests counted on one event (docs/audit.md "Repeated requests").
        row("Requests", std::to_string(e.count) +
                            " identical requests on one connection, the last at " + e.time_last);
    }
    row("Decision", e.effect);
    row("Enforced", e.enforced);
    row("Report-only", e.report_only ? "yes" : "no");
    row("Flagged", e.flagged ? "yes" : "no");
    row("Reason", e.reason);
    row("Rule", e.rule);
    row("Flow", e.flow);
    if (e.oauth_action == "authorize") {
        row("OAuth 2.0 step", "authorize (/v1/authorize, signin:AuthorizeOAuth2Access)");
    } else if (e.oauth_action == "token") {
        row("OAuth 2.0 step", "token (/v1/token, signin:CreateOAuth2Token)");
    } else if (!e.oauth_action.empty()) {
        row("OAuth 2.0 step", e.oauth_action);
    }
    if (!e.also_flows.empty() && e.also_flows_either) {
        row("Also judged as one of (the session's sign-in, which one unknown)",
            also_flows_shown(e));
    } else if (!e.also_flows.empty()) {
        row("Also judged as (the session's sign-in)", e.also_flows);
    }
    row("Phase", e.phase);
    row("Account", e.account);
    row("Alias", e.alias);
    row("OU path", e.ou_path);
    row("Organization", e.org);
    row("Principal ARN", e.principal_arn);
    row("Role", e.role);
    row("Permission set", e.permission_set);
    row("User", e.user);
    row("Person (corporate user)", e.corp_user);
    row("Person identified by", e.corp_source);
    // Who the session or portal token is bound to: with session-user-mismatch, not the person
    // above, and the reviewer needs both to see whose session was presented by whom.
    if (!e.session_corp_user.empty()) {
        row("Session opened by (corporate user)", e.session_corp_user);
    }
    row("Client", e.client);
    row("Host", e.host);
    row("Method", e.method);
    row("Path", e.path);
    row("Query parameters", e.query);
    row("Found in", e.source);
    row("AMS change type", e.change_type);
    row("Identity Center instance", e.idc_instance);
    row("Parse error", e.parse_error);
    row("TEAM request", e.team_request_id);
    row("TEAM ticket", e.team_ticket);
    row("TEAM elevation ends", e.team_end);
    return h + "</tbody></table>\n</body></html>\n";
}

std::string render_login_page(std::string_view message) {
    return head("consolegate: sign in to the review page") + "<h1>Sign-in review</h1>\n<p>" +
           html_escape(message) +
           "</p>\n<form method=\"post\" action=\"/login\"><label>Reviewer token "
           "<input type=\"password\" name=\"token\" autocomplete=\"off\" required></label>"
           "<button type=\"submit\">Open the review page</button></form>\n</body></html>\n";
}

}  // namespace consolegate::audit
