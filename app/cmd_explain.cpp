// consolegate explain: the policy simulator. Reads raw HTTP requests (as the browser sends them
// after TLS), runs each through the enforcement pipeline the live proxy's hook runs (enforce(),
// app/enforcement.hpp), and prints one JSON object per request.
#include <boost/json.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "cli.hpp"
#include "command_config.hpp"
#include "commands.hpp"
#include "consolegate/audit/event.hpp"
#include "consolegate/core/host_pattern.hpp"
#include "consolegate/core/time.hpp"
#include "consolegate/identity/groups.hpp"
#include "consolegate/inspect/http_file.hpp"
#include "consolegate/inspect/portal_user.hpp"
#include "consolegate/team/snapshot_feed.hpp"
#include "enforcement.hpp"
#include "explain.hpp"
#include "portal_users.hpp"
#include "session_binding.hpp"
#include "team_feed.hpp"

namespace consolegate::app {
namespace json = boost::json;

namespace {

constexpr const char* usage =
    "usage: consolegate explain --config FILE [--user U] [--now RFC3339] [--client IP]\n"
    "                           [--sni HOST] [--corp-user U] [--corp-group G,...]\n"
    "                           [--session-flow F,...] [--session-opened-by U]\n"
    "                           [--portal-user U [--portal-opened-by C]]\n"
    "                           REQUEST.http... (or - for standard input)\n"
    "\n"
    "Prints one JSON object per request: flow, phase, account, alias, principal, user, effect,\n"
    "reason, rule, and every sign-in attempt the request carries with the rules considered.\n"
    "--user fills in the user for attempts that do not name one (e.g. to check a TEAM\n"
    "elevation: the user as the sign-in names it, alice, not TEAM's idc_alice, since a user\n"
    "really named idc_x is idc_idc_x in TEAM); --now evaluates at another time (elevation\n"
    "windows); --client sets the client address for client_networks selectors (default\n"
    "127.0.0.1).\n"
    "--corp-user is the person on the corporate network (corp_users selectors; without it\n"
    "the corporate user is unknown, see policy.unknown_corp_user); --corp-group gives that\n"
    "person's groups, comma-separated (corp_groups selectors; needs --corp-user); without it\n"
    "the person has the groups identity.groups_file gives them (LDAP is not asked).\n"
    "explain has no session table: a console session is judged on its aws-userInfo cookie as\n"
    "sent (identity_source \"cookie\"), as the gateway does with policy.unbound_sessions =\n"
    "\"cookie\"; the gateway judges a session it saw AWS sign in on what AWS said, and its\n"
    "console requests also as the flow of the sign-in that opened it: --session-flow names\n"
    "that flow (e.g. saml) for the session the request's cookie names: a,b when the session\n"
    "is each (identity-center,custom-broker: the portal's sign-in through the federation\n"
    "endpoint), a|b when it is one of them and the gateway could not tell which (a grant must\n"
    "then name every one, a deny any: \"also_flows_either\": true).\n"
    "--session-opened-by names the corporate user who opened that session (the gateway keeps\n"
    "the person whose connection AWS's sign-in answer came on): a request from another\n"
    "--corp-user, or without one, is then refused (session-user-mismatch).\n"
    "--portal-user names the Identity Center user AWS's answer to the access portal's GET\n"
    "/user named for the request's bearer token (x-amz-sso_bearer_token), as the gateway\n"
    "learns it; --portal-opened-by the corporate user whose connection that answer came on:\n"
    "the token's federation requests from another --corp-user, or without one, are then\n"
    "refused (session-user-mismatch). Without --portal-user a portal request is matched on\n"
    "--user, else the corporate user mapped through identity.idc_user.\n"
    "Exit status: 0 all requests read, 1 a request could not be read, 2 usage or config error.\n";

std::string read_all(std::istream& in) {
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

json::object attempt_json(const judged_attempt& ja) {
    auto& a = ja.attempt;
    auto& d = ja.decision;
    auto& ex = *ja.trace;
    json::object o;
    o["flow"] = core::to_string(a.flow);
    if (a.also_flows != 0) {
        json::array also;
        for (int f = 0; f < core::sign_in_flow_count; ++f) {
            auto flow = static_cast<core::sign_in_flow>(f);
            if (a.also_flows & core::flow_bit(flow)) also.emplace_back(core::to_string(flow));
        }
        o["also_flows"] = std::move(also);
        if (a.also_flows_either) o["also_flows_either"] = true;
    }
    // A cli-sign-in attempt's step of `aws login`, as the record has it (oauth_action).
    if (a.oauth_action != core::oauth2_action::none) {
        o["oauth_action"] = core::to_string(a.oauth_action);
    }
    o["phase"] = core::to_string(a.phase);
    o["host"] = a.host;
    o["account"] = ex.account ? ex.account->str() : (a.account ? a.account->str() : "");
    o["alias"] = a.alias;
    o["role"] = a.role_name;
    o["permission_set"] = a.permission_set;
    o["user"] = a.user;
    // TEAM matched on the mapped corporate user (identity.idc_user; explain has no portal table).
    if (a.user.empty() && !a.idc_user.empty()) o["idc_user"] = a.idc_user;
    o["source"] = a.source;
    if (auto from = event_identity_source(a); !from.empty()) o["identity_source"] = from;
    o["corp_user"] = a.corp.user;
    if (!a.session_corp_user.empty()) o["session_corp_user"] = a.session_corp_user;
    json::array groups;
    for (auto& g : a.corp.groups) groups.emplace_back(g);
    o["corp_groups"] = std::move(groups);
    if (!a.change_type.empty()) o["change_type"] = a.change_type;
    if (!a.idc_instance.empty()) o["idc_instance"] = a.idc_instance;
    if (!a.parse_error.empty()) o["parse_error"] = a.parse_error;
    o["effect"] = core::to_string(d.verdict);
    o["enforced"] = core::to_string(d.enforced());
    o["reason"] = core::to_string(d.why);
    o["reason_text"] = core::describe(d.why);
    o["rule"] = d.rule;
    o["report_only"] = d.report_only;
    if (!d.elevation_id.empty()) {
        o["elevation_request"] = d.elevation_id;
        o["elevation_ticket"] = d.elevation_ticket;
        o["elevation_end"] = d.elevation_end ? core::format_rfc3339(*d.elevation_end) : "";
    }
    o["flagged"] = d.flagged;
    json::array considered, matched;
    for (auto& r : ex.considered) considered.emplace_back(r);
    for (auto& r : ex.matched) matched.emplace_back(r);
    o["rules_considered"] = std::move(considered);
    o["rules_matched"] = std::move(matched);
    if (!ex.conditions.empty()) {
        json::array conditions;
        for (auto& c : ex.conditions) conditions.emplace_back(c);
        o["conditions"] = std::move(conditions);
    }
    o["event_id"] = ja.event_id;
    return o;
}

// Request bytes (a percent-decoded alias, a role or user name, the file name) are printed as
// valid UTF-8, as every audit sink writes them (audit::valid_utf8; JSON is UTF-8, RFC 8259
// §8.1): a byte sequence that is not UTF-8 becomes U+FFFD instead of making the line unreadable.
void repair_utf8(json::value& v) {
    if (auto* s = v.if_string()) {
        if (!audit::is_valid_utf8(*s)) *s = audit::valid_utf8(*s);
    } else if (auto* a = v.if_array()) {
        for (auto& e : *a) repair_utf8(e);
    } else if (auto* o = v.if_object()) {
        for (auto& kv : *o) repair_utf8(kv.value());
    }
}

void print_line(json::object out) {
    json::value v(std::move(out));
    repair_utf8(v);
    std::puts(json::serialize(v).c_str());
}

}  // namespace

json::object explain_request(const core::http_request_view& req, enforcement_inputs in) {
    in.trace = true;
    auto r = enforce(req, in);
    json::object out;
    out["method"] = req.method;
    auto host = core::parse_authority(req.host, 443);  // "" when not a host (denied)
    out["host"] = host ? core::authority_host(host->host) : std::string();
    out["path"] = req.target.substr(0, req.target.find('?'));
    json::array attempts;
    for (auto& ja : r.attempts) attempts.emplace_back(attempt_json(ja));
    out["effect"] = core::to_string(r.outcome.effect);
    if (r.attempts.empty()) {
        out["reason"] = "no-sign-in";
        out["reason_text"] = "The request carries no sign-in information; it is forwarded.";
    } else {
        auto deciding = r.outcome.deciding >= 0 ? r.outcome.deciding : 0;
        auto& top = attempts[std::size_t(deciding)].as_object();
        for (auto key : {"flow", "phase", "account", "alias", "role", "permission_set", "user",
                         "corp_user", "reason", "reason_text", "rule"}) {
            out[key] = top.at(key);
        }
        // Present only where the deciding attempt has them: the user TEAM was matched on when
        // the request named none, where it came from, the sign-in flows its session was judged
        // also as, and the TEAM request that decided.
        for (auto key :
             {"oauth_action", "idc_user", "identity_source", "also_flows", "also_flows_either",
              "session_corp_user", "elevation_request", "elevation_ticket", "elevation_end"}) {
            if (const auto* v = top.if_contains(key)) out[key] = *v;
        }
    }
    out["attempts"] = std::move(attempts);
    return out;
}

int cmd_explain(int argc, char** argv) {
    args a(argc, argv,
           {"config", "user", "now", "client", "sni", "corp-user", "corp-group", "session-flow",
            "session-opened-by", "portal-user", "portal-opened-by"},
           {"help"});
    if (a.flag("help")) {
        std::fputs(usage, stdout);
        return 0;
    }
    if (!a.ok() || !a.value("config") || a.positional().empty()) {
        if (!a.ok()) std::fprintf(stderr, "consolegate explain: %s\n", a.error().c_str());
        std::fputs(usage, stderr);
        return 2;
    }
    auto cfg_loaded = load_command_config(*a.value("config"));
    if (!cfg_loaded) return 2;
    auto now = std::chrono::system_clock::now();
    if (auto t = a.value("now")) {
        auto parsed = core::parse_rfc3339(*t);
        if (!parsed) {
            std::fprintf(stderr,
                         "consolegate explain: --now takes an RFC 3339 time such as "
                         "2026-11-23T09:30:00Z, not '%s'\n",
                         t->c_str());
            return 2;
        }
        now = *parsed;
    }
    std::string client_problem;
    auto client =
        core::parse_client_address(a.value("client").value_or("127.0.0.1"), &client_problem);
    if (!client) {
        std::fprintf(stderr, "consolegate explain: --client: %s\n", client_problem.c_str());
        return 2;
    }
    core::sign_in_flow_set session_flows = 0;
    bool session_flows_either = false;
    if (auto list = a.value("session-flow")) {
        std::string_view rest = *list;
        // ',' the session is each (an Identity Center sign-in through the federation endpoint:
        // identity-center,custom-broker); '|' it is one of them, which one the gateway could not
        // tell (flows_either): as the gateway judges them, a grant must name every one.
        const bool all = rest.find(',') != std::string_view::npos;
        session_flows_either = rest.find('|') != std::string_view::npos;
        if (all && session_flows_either) {
            std::fprintf(stderr,
                         "consolegate explain: --session-flow takes flows that are each the "
                         "session's (a,b) or alternatives (a|b), not both: \"%s\"\n",
                         list->c_str());
            return 2;
        }
        const char sep = session_flows_either ? '|' : ',';
        while (true) {
            auto comma = rest.find(sep);
            auto name = rest.substr(0, comma);
            auto flow = core::sign_in_flow_from_string(name);
            if (!flow) {
                std::fprintf(stderr,
                             "consolegate explain: --session-flow takes sign-in flow names "
                             "(iam-user, root, saml, identity-center, custom-broker, "
                             "switch-role, ...): \"%.*s\"\n",
                             static_cast<int>(name.size()), name.data());
                return 2;
            }
            session_flows |= core::flow_bit(*flow);
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
        }
    }
    core::corp_identity corp;
    corp.user = a.value("corp-user").value_or("");
    if (auto g = a.value("corp-group")) {
        if (corp.user.empty()) {
            std::fprintf(stderr, "consolegate explain: --corp-group needs --corp-user\n");
            return 2;
        }
        std::string_view rest = *g;
        while (!rest.empty()) {
            auto comma = rest.find(',');
            auto name = rest.substr(0, comma);
            if (!name.empty()) corp.groups.emplace_back(name);
            rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        }
    }
    auto cfg = std::make_shared<const core::config>(std::move(*cfg_loaded));
    auto snap = make_policy_snapshot(cfg);
    // Without --corp-group the person's groups are the gateway's: identity.groups_file's, under
    // every spelling of a site user (identity_hub::add_groups), so a corp_groups rule decides
    // here as it does there. The directory (LDAP) is not asked: give its groups with --corp-group.
    if (!corp.user.empty() && !a.value("corp-group") && !cfg->identity.groups_file.empty()) {
        auto parsed = identity::read_groups(cfg->identity.groups_file);
        if (!parsed.table) {
            std::fprintf(stderr, "consolegate explain: identity.groups_file %s: %s\n",
                         cfg->identity.groups_file.c_str(), parsed.problem.c_str());
            return 2;
        }
        auto who = identity::with_groups(std::make_shared<const core::corp_identity>(corp),
                                         parsed.table.get(), cfg->identity.realms);
        corp.groups = who->groups;
    }

    // The simulator reads the TEAM snapshot as it is now, without its staleness limit, so
    // `--now` can replay any moment; the output says which feed it used.
    std::string feed_note =
        cfg->team.enabled
            ? "TEAM DynamoDB feed: explain reads only a team.snapshot_file, so elevation-gated "
              "rules deny (elevation-feed-stale)"
            : "TEAM feed disabled: elevation-gated rules deny";
    std::shared_ptr<const team::feed_status> feed_keep;
    auto elevations = core::elevation_view::unavailable();
    std::optional<team::snapshot_feed> feed;
    if (cfg->team.enabled && !cfg->team.snapshot_file.empty()) {
        feed.emplace(cfg->team.snapshot_file, std::chrono::milliseconds::max(), team_window(*cfg));
        feed->poll();
        feed_keep = feed->status();
        if (feed_keep->set) {
            elevations = core::elevation_view::of(*feed_keep->set);
            feed_note = "snapshot " + cfg->team.snapshot_file.string() + " (" +
                        std::to_string(feed_keep->set->size()) +
                        " in progress; staleness not checked)";
        } else {
            feed_note = "unavailable: " + feed_keep->problem;
        }
    }

    auto user = a.value("user").value_or("");
    auto session_opened_by = a.value("session-opened-by").value_or("");
    // The gateway's portal table (app/portal_users.hpp), taught what AWS's GET /user answer would
    // have said for each request's token, so the pipeline names the user (and judges the
    // token's opener) by the code the gateway runs.
    auto portal_user = a.value("portal-user").value_or("");
    auto portal_opened_by = a.value("portal-opened-by").value_or("");
    if (!portal_opened_by.empty() && portal_user.empty()) {
        std::fprintf(stderr, "consolegate explain: --portal-opened-by needs --portal-user\n");
        return 2;
    }
    if (portal_user.size() > inspect::max_portal_user) {
        std::fprintf(stderr, "consolegate explain: --portal-user is longer than %zu characters\n",
                     inspect::max_portal_user);
        return 2;
    }
    portal_user_table portal_users;
    const portal_user_table::limits portal_limits;
    int status = 0;
    for (auto& name : a.positional()) {
        std::string text;
        if (name == "-") {
            text = read_all(std::cin);
        } else {
            std::ifstream in(name, std::ios::binary);
            if (!in) {
                std::fprintf(stderr, "consolegate explain: cannot read %s\n", name.c_str());
                status = 1;
                continue;
            }
            text = read_all(in);
        }
        inspect::http_file_limits limits;
        limits.max_header_bytes = cfg->proxy.max_header_bytes;
        limits.max_body = cfg->proxy.max_inspect_body;
        std::string why;
        auto file = inspect::http_file::parse(text, a.value("sni").value_or(""), limits, &why);
        json::object out;
        out["request"] = name;
        if (!file) {
            out["error"] = "not an HTTP request: " + why;
            print_line(std::move(out));
            status = 1;
            continue;
        }
        auto view = file->view();
        view.client = *client;
        view.corp = &corp;
        view.time = now;
        enforcement_inputs in;
        in.policy = snap.get();
        in.elevations = elevations;
        in.default_user = user;
        in.session_flows = session_flows;
        in.session_flows_either = session_flows_either;
        in.session_corp_user = session_opened_by;
        if (!portal_user.empty()) {
            if (auto token = inspect::portal_bearer_token(view)) {
                portal_users.learn(*token, portal_user, now, portal_limits, portal_opened_by);
            }
            in.portal_users = &portal_users;
        }
        auto result = explain_request(view, in);
        for (auto& kv : result) out.insert_or_assign(kv.key(), std::move(kv.value()));
        out["elevation_feed"] = feed_note;
        out["now"] = core::format_rfc3339(now);
        print_line(std::move(out));
    }
    return status;
}

}  // namespace consolegate::app
