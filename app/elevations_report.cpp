#include "elevations_report.hpp"

#include <boost/json.hpp>

#include "consolegate/audit/query.hpp"
#include "consolegate/core/elevation.hpp"
#include "consolegate/core/glob.hpp"
#include "consolegate/core/idc_user.hpp"
#include "consolegate/core/time.hpp"
#include "consolegate/team/dynamodb_feed.hpp"

namespace consolegate::app {
namespace json = boost::json;
using clock = std::chrono::system_clock;

namespace {

std::string when(clock::time_point t) {
    return t == clock::time_point{} ? "" : core::format_rfc3339(t);
}

}  // namespace

bool filter_names_user(const elevations_filter& filter, std::string_view team_user) {
    if (filter.user.empty()) return true;
    // The spellings: as written; TEAM's username (core::strip_idc_prefix, as the feed reads it);
    // the Identity Center user identity.idc_user maps a corporate user to. Each compared as a
    // `users` selector compares (case-insensitive glob).
    auto names = [&](std::string_view spelling) {
        return !spelling.empty() &&
               core::glob_match(spelling, team_user, core::glob_case::insensitive);
    };
    if (names(filter.user) || names(core::strip_idc_prefix(filter.user))) return true;
    return !filter.idc_user_template.empty() &&
           names(core::idc_user_of(filter.idc_user_template, filter.user, filter.realms));
}

json::object elevations_report(const team::feed* feed, std::string_view source,
                               core::partition partition, clock::time_point now,
                               const elevations_filter& filter) {
    json::object out;
    json::object f;
    f["source"] = feed ? std::string(source) : "none (TEAM is off)";
    // Its accounts are this partition's: alice's elevation for 777788889999 is not GovCloud's
    // 777788889999 when TEAM runs in the commercial partition, so a reader needs to know which.
    if (feed) f["partition"] = std::string(core::to_string(partition));
    json::array list;
    if (feed) {
        std::shared_ptr<const team::feed_status> keep;
        auto view = feed->view(now, keep);
        f["available"] = view.available();
        f["problem"] = keep->problem.empty() && !view.available() && keep->set
                           ? "older than the staleness limit"
                           : keep->problem;
        f["data_time"] = when(keep->data_time);
        f["age_seconds"] = keep->data_time == clock::time_point{}
                               ? json::value(nullptr)
                               : json::value(std::chrono::duration_cast<std::chrono::seconds>(
                                                 now - keep->data_time)
                                                 .count());
        f["skipped"] = keep->skipped_items;
        f["in_progress"] = keep->set ? keep->set->size() : 0;
        if (const auto* d = dynamic_cast<const team::dynamodb_feed*>(feed)) {
            auto h = d->health();
            f["source"] = h.source;
            f["last_success"] = when(h.last_success);
            f["last_attempt"] = when(h.last_attempt);
            f["items"] = h.items;
            f["pages"] = h.pages;
            json::object errors;
            for (const auto& [kind, n] : h.errors) errors[kind] = n;
            f["errors"] = std::move(errors);
            f["last_error"] = h.last_error;
        } else {
            f["last_success"] = when(keep->data_time);
        }
        // What the running configuration sees; shown even when stale (then marked unavailable),
        // since "what did it last know" is the question during an outage.
        if (keep->set) {
            for (const auto& e : keep->set->entries()) {
                if (!keep->set->is_active(e, now)) continue;
                if (!filter_names_user(filter, e.user_lower)) continue;
                if (filter.account && *filter.account != e.account) continue;
                json::object o;
                o["id"] = e.id;
                o["ticket"] = e.ticket;
                o["user"] = e.user_lower;
                o["account"] = e.account.str();
                o["account_name"] = e.account_name;
                o["permission_set"] = e.permission_set;
                o["start"] = core::format_rfc3339(e.start);
                o["end"] = core::format_rfc3339(e.end);
                list.push_back(std::move(o));
            }
        }
    } else {
        f["available"] = false;
        f["problem"] = "TEAM is not enabled in this configuration";
    }
    out["now"] = core::format_rfc3339(now);
    out["feed"] = std::move(f);
    out["elevations"] = std::move(list);
    return out;
}

std::string elevations_text(const json::object& r) {
    const auto& f = r.at("feed").as_object();
    // Shown in a terminal: a feed's values (a requester's ticket, a user name) are written by
    // others and shown without their control or formatting characters (audit::terminal_text).
    auto str = [](const json::value* v) {
        if (!v) return std::string();
        if (v->is_string()) {
            std::string_view s = v->get_string();
            return s.empty() ? std::string() : audit::terminal_text(s);
        }
        if (v->is_null()) return std::string("-");
        return json::serialize(*v);
    };
    std::string out = "feed: " + str(f.if_contains("source")) + "\n";
    out +=
        "  available: " + str(f.if_contains("available")) +
        (str(f.if_contains("problem")).empty() ? "" : " (" + str(f.if_contains("problem")) + ")") +
        "\n";
    for (const char* k : {"partition", "last_success", "age_seconds", "items", "in_progress",
                          "skipped", "pages", "errors", "last_error"}) {
        if (const auto* v = f.if_contains(k)) out += std::string("  ") + k + ": " + str(v) + "\n";
    }
    const auto& list = r.at("elevations").as_array();
    out += "active elevations at " + str(r.if_contains("now")) + ": " +
           std::to_string(list.size()) + "\n";
    for (const auto& v : list) {
        const auto& e = v.as_object();
        out += "  " + str(e.if_contains("user")) + "  " + str(e.if_contains("account")) + "  " +
               str(e.if_contains("permission_set")) + "  until " + str(e.if_contains("end")) +
               "  request " + str(e.if_contains("id")) +
               (str(e.if_contains("ticket")).empty() ? ""
                                                     : " ticket " + str(e.if_contains("ticket"))) +
               "\n";
    }
    return out;
}

}  // namespace consolegate::app
