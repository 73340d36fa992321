#include "block_page.hpp"

#include <cstdio>

#include "consolegate/core/time.hpp"

namespace consolegate::proxy {
using core::html_escape;
namespace {

bool icontains(std::string_view hay, std::string_view needle) {
    if (needle.size() > hay.size()) return false;
    for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i) {
        bool eq = true;
        for (std::size_t j = 0; j < needle.size() && eq; ++j) {
            char a = hay[i + j];
            if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
            eq = a == needle[j];
        }
        if (eq) return true;
    }
    return false;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && icontains(a, b);
}

// Only http(s) links are rendered as links: a configured URL must never become javascript:.
bool is_web_url(std::string_view u) {
    return u.starts_with("https://") || u.starts_with("http://");
}

void field(std::string& out, const char* name, std::string_view value) {
    if (value.empty()) return;
    out += "<dt>";
    out += name;
    out += "</dt><dd>";
    out += html_escape(value);
    out += "</dd>\n";
}

void json_field(std::string& out, const char* name, std::string_view value, bool& first) {
    out += first ? "" : ",";
    first = false;
    out += '"';
    out += name;
    out += "\":\"";
    out += json_escape(value);
    out += '"';
}

// A TEAM elevation can lift only these denials; for the others (a deny rule, an account outside
// the organisation, an unreadable request) the page points at the security team instead of
// sending people to request an elevation that would change nothing.
bool elevation_may_help(const verdict& v) {
    if (v.basis != verdict_basis::policy) return false;
    return v.why == core::reason::elevation_missing || v.why == core::reason::elevation_expired ||
           v.why == core::reason::ams_guarded_change || v.why == core::reason::ams_reserved_role;
}

// "your elevation REQ (ticket T) ended at 2026-…Z": only for elevation_expired, where the user is
// known and the request is theirs; never for a denial that names no user.
std::string elevation_note(const verdict& v) {
    if (v.basis != verdict_basis::policy || v.why != core::reason::elevation_expired ||
        v.elevation_id.empty() || !v.elevation_end)
        return {};
    std::string s = "your elevation " + v.elevation_id;
    if (!v.elevation_ticket.empty()) s += " (ticket " + v.elevation_ticket + ")";
    return s + " ended at " + core::format_rfc3339(*v.elevation_end);
}

// The attempt as people name it: the account ID, or the alias the request used.
std::string shown_account(const verdict& v) {
    return v.account ? v.account->str() : v.alias;
}
std::string_view shown_role(const verdict& v) {
    return v.role_name.empty() ? v.permission_set : v.role_name;
}
std::string_view shown_flow(const verdict& v) {
    return v.flow ? core::to_string(*v.flow) : std::string_view();
}

}  // namespace

std::string_view reason_code(const verdict& v) noexcept {
    switch (v.basis) {
        case verdict_basis::no_verdict: return "no-verdict";
        case verdict_basis::inspector_error: return "inspector_error";
        case verdict_basis::no_sign_in: return "no-sign-in";
        case verdict_basis::policy: return core::to_string(v.why);
    }
    return "no-verdict";
}

std::string_view reason_text(const verdict& v) noexcept {
    switch (v.basis) {
        case verdict_basis::no_verdict: return "No inspector judged this request.";
        case verdict_basis::inspector_error: return "The request could not be inspected.";
        case verdict_basis::no_sign_in:
            return "The request carries no sign-in information; it is forwarded.";
        case verdict_basis::policy: return core::describe(v.why);
    }
    return "No inspector judged this request.";
}

std::string json_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20 || c == '<' || c == '>') {  // also <> so JSON never forms HTML tags
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", u);
            out += buf;
        } else {
            out += c;
        }
    }
    return out;
}

bool is_navigation(std::string_view sec_fetch_mode, std::string_view accept) {
    if (!sec_fetch_mode.empty()) return iequals(sec_fetch_mode, "navigate");
    return icontains(accept, "text/html");
}

rendered_response render_block_page(const verdict& v, bool navigation, std::string_view host,
                                    const core::block_page_config& opts,
                                    std::string_view corp_user) {
    rendered_response r;
    r.status = 403;
    if (v.expire_console_cookies) {
        // The console's session cookies (observed on console.aws.amazon.com) are set for
        // .amazon.com and host-only; both variants must be expired or the browser keeps one.
        for (const char* name : {"aws-userInfo", "aws-userInfo-signed", "aws-creds"}) {
            std::string base = std::string(name) + "=; Path=/; Max-Age=0; Secure";
            r.set_cookies.push_back(base + "; Domain=.amazon.com");
            r.set_cookies.push_back(base);
        }
    }
    if (!navigation) {
        r.content_type = "application/json";
        bool first = true;
        r.body = "{\"blocked\":true,";
        r.body += "\"status\":403";
        first = false;
        json_field(r.body, "host", host, first);
        json_field(r.body, "account", shown_account(v), first);
        json_field(r.body, "role", shown_role(v), first);
        json_field(r.body, "flow", shown_flow(v), first);
        json_field(r.body, "reason_code", reason_code(v), first);
        json_field(r.body, "reason", reason_text(v), first);
        json_field(r.body, "rule", v.rule, first);
        json_field(r.body, "event_id", v.event_id, first);
        if (!corp_user.empty()) json_field(r.body, "corp_user", corp_user, first);
        if (auto note = elevation_note(v); !note.empty()) {
            json_field(r.body, "elevation_request", v.elevation_id, first);
            json_field(r.body, "elevation", note, first);
        }
        if (is_web_url(opts.team_url) && elevation_may_help(v)) {
            json_field(r.body, "team_url", opts.team_url, first);
        }
        if (!opts.contact.empty()) json_field(r.body, "contact", opts.contact, first);
        r.body += "}\n";
        return r;
    }
    r.content_type = "text/html; charset=utf-8";
    std::string& b = r.body;
    b = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<title>AWS sign-in blocked</title>\n"
        "<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;"
        "padding:0 1rem;line-height:1.5;color:#111;background:#fff}dt{font-weight:bold}"
        "dd{margin:0 0 .5rem 0}</style>\n</head>\n<body>\n<main>\n"
        "<h1>This AWS sign-in was blocked</h1>\n"
        "<p>The corporate gateway did not allow this request to ";
    b += html_escape(host);
    b += ".</p>\n";
    if (!corp_user.empty()) {
        b += "<p>You are signed in to the network as <strong>";
        b += html_escape(corp_user);
        b += "</strong>.</p>\n";
    }
    b += "<dl>\n";
    field(b, "Account", shown_account(v));
    field(b, "Role", shown_role(v));
    field(b, "Sign-in type", shown_flow(v));
    field(b, "Why", reason_text(v));
    if (auto note = elevation_note(v); !note.empty()) field(b, "TEAM elevation", note);
    field(b, "Rule", v.rule);
    field(b, "Event ID", v.event_id);
    b += "</dl>\n<h2>What you can do</h2>\n";
    if (is_web_url(opts.team_url) && elevation_may_help(v)) {
        b += "<p>If you need this access, request a temporary elevation in "
             "<a href=\"";
        b += html_escape(opts.team_url);
        b += "\">TEAM</a>, then sign in again.</p>\n";
    }
    if (!opts.contact.empty()) {
        b += "<p>If you believe you need this access, contact: ";
        b += html_escape(opts.contact);
        b += "</p>\n";
    }
    if ((!is_web_url(opts.team_url) || !elevation_may_help(v)) && opts.contact.empty()) {
        b += "<p>Contact your cloud security team";
        b += v.event_id.empty() ? "" : " and quote the event ID above";
        b += ".</p>\n";
    } else if (!v.event_id.empty()) {
        b += "<p>When asking for help, quote the event ID above.</p>\n";
    }
    b += "</main>\n</body>\n</html>\n";
    return r;
}

rendered_response render_upstream_error(std::string_view host, std::string_view reason,
                                        bool navigation) {
    rendered_response r;
    r.status = 502;
    if (!navigation) {
        r.content_type = "application/json";
        r.body = "{\"error\":\"upstream\",\"host\":\"" + json_escape(host) + "\",\"reason\":\"" +
                 json_escape(reason) + "\"}\n";
        return r;
    }
    r.content_type = "text/html; charset=utf-8";
    r.body =
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<title>Upstream unavailable</title>\n</head>\n<body>\n<main>\n"
        "<h1>The gateway could not reach " +
        html_escape(host) + " safely</h1>\n<p>" + html_escape(reason) +
        "</p>\n<p>The connection was not forwarded. This is not a policy decision; "
        "if it persists, contact your network team.</p>\n</main>\n</body>\n</html>\n";
    return r;
}

}  // namespace consolegate::proxy
