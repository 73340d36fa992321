#include "consolegate/core/elevation.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <tuple>
#include <unordered_set>

#include "consolegate/core/glob.hpp"
#include "consolegate/core/time.hpp"
#include "json_doc.hpp"

namespace consolegate::core {
namespace {

namespace json = boost::json;
using clock = std::chrono::system_clock;

// TEAM caps a request at its configured maximum (9 hours by default); anything beyond a year
// is a corrupt item, and refusing it keeps start + duration far from overflow.
constexpr double max_duration_hours = 24.0 * 366;
constexpr std::size_t max_diagnostics = 100;
constexpr std::size_t max_field_bytes = 1024;

int compare_icase(std::string_view a, std::string_view b) noexcept {
    auto n = std::min(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i) {
        char x = ascii_lower(a[i]), y = ascii_lower(b[i]);
        if (x != y) return x < y ? -1 : 1;
    }
    return a.size() == b.size() ? 0 : (a.size() < b.size() ? -1 : 1);
}

std::string lowered(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), ascii_lower);
    return out;
}

}  // namespace

std::string_view strip_idc_prefix(std::string_view u) noexcept {
    if (u.size() > 4 && iequals(u.substr(0, 4), "idc_")) u.remove_prefix(4);
    return u;
}

elevation_set::elevation_set(std::vector<elevation_record> records, elevation_window window)
    : window_(window) {
    auto granted = [](const elevation_record& r) {
        return r.status == "in progress" || r.status == "ended" || r.status == "revoked";
    };
    auto finished = [](const elevation_record& r) {
        return r.status == "ended" || r.status == "revoked" || r.end_time.has_value();
    };
    // TEAM's statuses only move forward (in progress, then ended or revoked; endTime once
    // written stays): a request listed more than once (a snapshot pasted from two exports, a
    // stale copy beside a fresh one) is as far as its furthest copy says, so its in-progress
    // copies are left out rather than granting after the revoke.
    std::unordered_set<std::string> ended_ids;  // copies: the ids are moved out below
    for (const auto& r : records) {
        if (!r.id.empty() && granted(r) && finished(r)) ended_ids.insert(r.id);
    }
    entries_.reserve(records.size());
    for (auto& r : records) {
        // Only granted requests; records built by hand get the parser's bounds too.
        if (!granted(r) || !(r.duration_hours > 0) || r.duration_hours > max_duration_hours) {
            continue;
        }
        if (!finished(r) && ended_ids.contains(r.id)) continue;
        auto length = std::chrono::seconds(std::llround(r.duration_hours * 3600));
        auto end = r.start + length;
        if (r.end_time && *r.end_time < end) end = *r.end_time;
        bool live = r.status == "in progress" && !r.end_time;
        // "ended" or "revoked" without an endTime: TEAM's revoke state machine sets the status
        // first and writes endTime only after deleteAccountAssignment returns, so such an item
        // ended at a time TEAM has not written yet (or never will: a failed revoke).
        bool end_known = live || r.end_time.has_value();
        live_ += live ? 1 : 0;
        entries_.push_back({r.account, std::move(r.permission_set), lowered(r.user), r.start, end,
                            live, end_known, std::move(r.id), std::move(r.ticket),
                            std::move(r.status), std::move(r.account_name), r.duration_hours});
    }
    std::sort(entries_.begin(), entries_.end(), [](const entry& a, const entry& b) {
        return std::tie(a.account, a.permission_set, a.user_lower, a.start) <
               std::tie(b.account, b.permission_set, b.user_lower, b.start);
    });
}

void keep_finished(const elevation_set& previous, std::vector<elevation_record>& records,
                   clock::time_point now) {
    auto finished = [](const elevation_record& r) {
        return r.status == "ended" || r.status == "revoked" || r.end_time.has_value();
    };
    std::unordered_set<std::string> have;
    for (const auto& r : records) {
        if (finished(r)) have.insert(r.id);
    }
    for (const auto& e : previous.entries()) {
        if (e.live || e.id.empty() || have.contains(e.id)) continue;
        auto window_end = e.start + std::chrono::seconds(std::llround(e.duration_hours * 3600));
        if (now >= window_end && now - e.end > previous.window().expired_lookback) continue;
        elevation_record r;
        r.id = e.id;
        r.user = e.user_lower;
        r.account = e.account;
        r.account_name = e.account_name;
        r.permission_set = e.permission_set;
        r.status = e.status;
        r.start = e.start;
        r.duration_hours = e.duration_hours;
        if (e.end_known) r.end_time = e.end;
        r.ticket = e.ticket;
        have.insert(r.id);
        records.push_back(std::move(r));
    }
}

bool elevation_set::is_active(const entry& e, clock::time_point now) const noexcept {
    return e.live && e.start - window_.skew <= now && now < e.end;
}

std::optional<clock::time_point> elevation_set::ended_by(const entry& e,
                                                         clock::time_point now) const noexcept {
    // Never began, or ended before it began (an endTime before the start): no grant ended.
    if (e.start - window_.skew > now || e.end < e.start - window_.skew) return std::nullopt;
    if (e.live) return now < e.end ? std::nullopt : std::optional(e.end);
    // Ended or revoked: TEAM says so, so it has ended by now whatever the clocks say (an endTime
    // a little in the gateway's future is TEAM's clock ahead), and by its window's end at the
    // latest.
    return std::min(now, e.end);
}

bool elevation_set::active(std::string_view user, account_id account,
                           std::string_view permission_set, clock::time_point now) const noexcept {
    return match(user, account, permission_set, now).what == elevation_match::state::active;
}

elevation_match elevation_set::match(std::string_view user, account_id account,
                                     std::string_view permission_set,
                                     clock::time_point now) const noexcept {
    elevation_match out;
    if (user.empty() || permission_set.empty()) return out;
    // Lower bound on (account, permission_set, user) without building a key.
    auto before = [&](const entry& e) {
        if (e.account != account) return e.account < account;
        if (int c = e.permission_set.compare(permission_set); c != 0) return c < 0;
        return compare_icase(e.user_lower, user) < 0;
    };
    std::size_t lo = 0, hi = entries_.size();
    while (lo < hi) {
        auto mid = lo + (hi - lo) / 2;
        if (before(entries_[mid])) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    const entry* active = nullptr;
    const entry* ended = nullptr;
    clock::time_point ended_at{};
    for (auto i = lo; i < entries_.size(); ++i) {
        const auto& e = entries_[i];
        if (e.account != account || e.permission_set != permission_set ||
            compare_icase(e.user_lower, user) != 0) {
            break;
        }
        if (is_active(e, now)) {
            if (!active || e.end > active->end) active = &e;
        } else if (auto by = ended_by(e, now);
                   by && now - *by <= window_.expired_lookback && (!ended || *by > ended_at)) {
            ended = &e;
            ended_at = *by;
        }
    }
    if (const entry* e = active ? active : ended) {
        out.what = active ? elevation_match::state::active : elevation_match::state::expired;
        out.id = e->id;
        out.ticket = e->ticket;
        if (e->end_known) out.end = e->end;
    }
    return out;
}

bool elevation_set::active_for_anyone(account_id account, std::string_view permission_set,
                                      clock::time_point now) const noexcept {
    if (permission_set.empty()) return false;
    auto it = std::lower_bound(entries_.begin(), entries_.end(), 0, [&](const entry& e, int) {
        if (e.account != account) return e.account < account;
        return e.permission_set.compare(permission_set) < 0;
    });
    for (; it != entries_.end() && it->account == account && it->permission_set == permission_set;
         ++it) {
        if (is_active(*it, now)) return true;
    }
    return false;
}

elevation_match elevation_set::active_in_account(std::string_view user, account_id account,
                                                 clock::time_point now) const noexcept {
    elevation_match out;
    if (user.empty()) return out;
    auto it = std::lower_bound(entries_.begin(), entries_.end(), account,
                               [](const entry& e, account_id a) { return e.account < a; });
    const entry* best = nullptr;
    for (; it != entries_.end() && it->account == account; ++it) {
        if (compare_icase(it->user_lower, user) == 0 && is_active(*it, now) &&
            (!best || it->end > best->end))
            best = &*it;
    }
    if (best) {
        out.what = elevation_match::state::active;
        out.id = best->id;
        out.ticket = best->ticket;
        out.end = best->end;
    }
    return out;
}

std::optional<clock::time_point> parse_iso8601(std::string_view s) noexcept {
    // TEAM's startTime and endTime are AppSync AWSDateTime: RFC 3339 with a 'T' between date
    // and time (no space form), except that the seconds (and with them any fraction) may be
    // left out ("2026-11-23T08:00Z") and the offset may carry seconds ("+05:30:00"). Rewritten
    // to RFC 3339 here (at most 64 bytes; a longer value is no date-time), then parsed.
    auto two_digits = [&](std::size_t at) {
        return at + 1 < s.size() && s[at] >= '0' && s[at] <= '9' && s[at + 1] >= '0' &&
               s[at + 1] <= '9';
    };
    if (s.size() < 17 || s.size() > 64 || s[10] == ' ' || s[13] != ':') return std::nullopt;
    char buf[72];
    std::size_t n = 0;
    auto put = [&](std::string_view part) {
        for (char c : part) buf[n++] = c;
    };
    put(s.substr(0, 16));  // YYYY-MM-DDThh:mm
    std::size_t pos = 16;
    if (s[pos] == ':') {
        // seconds and fraction as they are
        pos = s.find_first_of("Zz+-", pos);
        if (pos == std::string_view::npos) return std::nullopt;
        put(s.substr(16, pos - 16));
    } else if (s[pos] == 'Z' || s[pos] == 'z' || s[pos] == '+' || s[pos] == '-') {
        put(":00");  // no seconds, so no fraction either
    } else {
        return std::nullopt;
    }
    std::chrono::seconds offset_seconds{0};
    auto zone = s.substr(pos);
    if (zone.size() == 9 && (zone[0] == '+' || zone[0] == '-') && zone[6] == ':') {
        if (!two_digits(pos + 7) || (s[pos + 7] - '0') * 10 + (s[pos + 8] - '0') > 59)
            return std::nullopt;
        offset_seconds = std::chrono::seconds((s[pos + 7] - '0') * 10 + (s[pos + 8] - '0'));
        if (zone[0] == '-') offset_seconds = -offset_seconds;
        zone = zone.substr(0, 6);
    }
    put(zone);
    auto t = parse_rfc3339(std::string_view(buf, n));
    if (!t) return std::nullopt;
    return *t - offset_seconds;
}

namespace {

// A string attribute: plain JSON string, or DynamoDB {"S": "…"}. Numbers only for "duration".
const json::string* string_field(const json::object& item, std::string_view key) {
    const auto* v = item.if_contains(json::string_view(key.data(), key.size()));
    if (!v) return nullptr;
    if (const auto* o = v->if_object(); o && o->size() == 1) {
        if (const auto* s = o->if_contains("S")) v = s;
    }
    return v->if_string();
}

std::optional<double> duration_hours(const json::object& item, std::string& why) {
    const auto* v = item.if_contains("duration");
    if (!v) {
        why = "missing \"duration\"";
        return std::nullopt;
    }
    if (const auto* o = v->if_object(); o && o->size() == 1) {
        if (const auto* n = o->if_contains("N"))
            v = n;
        else if (const auto* s = o->if_contains("S"))
            v = s;
    }
    double h = 0;
    if (v->is_int64()) {
        h = static_cast<double>(v->get_int64());
    } else if (v->is_uint64()) {
        h = static_cast<double>(v->get_uint64());
    } else if (v->is_double()) {
        h = v->get_double();
    } else if (const auto* s = v->if_string()) {
        std::string_view text(s->data(), s->size());
        if (text.empty() || text.size() > 32) {
            why = "\"duration\" is not a number of hours";
            return std::nullopt;
        }
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), h);
        if (ec != std::errc{} || end != text.data() + text.size()) {
            why = "\"duration\" is not a number of hours: \"" + std::string(text) + "\"";
            return std::nullopt;
        }
    } else {
        why = "\"duration\" must be a string or a number of hours";
        return std::nullopt;
    }
    if (!std::isfinite(h) || h <= 0 || h > max_duration_hours) {
        why = "\"duration\" must be more than 0 and at most " +
              std::to_string(static_cast<int>(max_duration_hours)) + " hours";
        return std::nullopt;
    }
    return h;
}

std::optional<elevation_record> read_item(const json::value& v, std::string& why) {
    const auto* item = v.if_object();
    if (!item) {
        why = "not a JSON object";
        return std::nullopt;
    }
    // DynamoDB's typed form wraps a whole item as {"M": {...}} in some exports.
    if (item->size() == 1) {
        if (const auto* m = item->if_contains("M"); m && m->is_object()) item = &m->get_object();
    }
    elevation_record r;
    auto need = [&](std::string_view key, std::string& out) {
        const auto* s = string_field(*item, key);
        if (!s) {
            why = "missing or non-string \"" + std::string(key) + "\"";
            return false;
        }
        if (s->size() > max_field_bytes) {
            why = "\"" + std::string(key) + "\" is longer than " + std::to_string(max_field_bytes) +
                  " bytes";
            return false;
        }
        out.assign(s->data(), s->size());
        return true;
    };
    std::string account, start, username;
    if (!need("id", r.id) || !need("username", username) || !need("accountId", account) ||
        !need("role", r.permission_set) || !need("startTime", start) || !need("status", r.status)) {
        return std::nullopt;
    }
    if (const auto* n = string_field(*item, "accountName"); n && n->size() <= max_field_bytes) {
        r.account_name.assign(n->data(), n->size());
    }
    // TEAM writes its statuses in lower case, exactly these (teamRouter and the step
    // functions). Another spelling ("In Progress", " revoked") is no status TEAM wrote: read
    // leniently it could grant, and ignored it could leave a revoked request's in-progress copy
    // granting, so the item is unreadable (and takes the other copies of its request out).
    static constexpr std::string_view team_statuses[] = {
        "pending",     "approved", "rejected", "cancelled", "scheduled",
        "in progress", "ended",    "revoked",  "expired",   "error"};
    if (std::find(std::begin(team_statuses), std::end(team_statuses), r.status) ==
        std::end(team_statuses)) {
        why =
            "\"status\" is not one of TEAM's statuses (pending, approved, rejected, cancelled, "
            "scheduled, in progress, ended, revoked, expired, error; lower case): \"" +
            r.status + "\"";
        return std::nullopt;
    }
    r.user = std::string(strip_idc_prefix(username));
    if (r.user.empty()) {
        why = "\"username\" is empty";
        return std::nullopt;
    }
    if (r.permission_set.empty()) {
        why = "\"role\" (the permission set name) is empty";
        return std::nullopt;
    }
    auto acct = account_id::parse(account);
    if (!acct) {
        why = "\"accountId\" is not a 12-digit account ID: \"" + account + "\"";
        return std::nullopt;
    }
    r.account = *acct;
    auto t = parse_iso8601(start);
    if (!t) {
        why = "\"startTime\" is not an ISO 8601 date-time with a zone: \"" + start + "\"";
        return std::nullopt;
    }
    r.start = *t;
    auto hours = duration_hours(*item, why);
    if (!hours) return std::nullopt;
    r.duration_hours = *hours;
    // endTime: written when access ended; present but unreadable means the item cannot be
    // trusted either way (it might have ended), so it is skipped like any malformed item.
    // DynamoDB's typed null ({"NULL": true}) is the plain JSON null: not written yet.
    auto dynamodb_null = [](const json::value& x) {
        const auto* o = x.if_object();
        const auto* n = o && o->size() == 1 ? o->if_contains("NULL") : nullptr;
        return n && n->is_bool() && n->get_bool();
    };
    if (const auto* et = item->if_contains("endTime");
        et && !et->is_null() && !dynamodb_null(*et)) {
        const auto* e = string_field(*item, "endTime");
        auto end = e && e->size() <= 64 ? parse_iso8601(std::string_view(e->data(), e->size()))
                                        : std::nullopt;
        if (!end) {
            why = "\"endTime\" is not an ISO 8601 date-time with a zone";
            return std::nullopt;
        }
        r.end_time = end;
    }
    if (const auto* n = string_field(*item, "ticketNo"); n && n->size() <= max_field_bytes)
        r.ticket.assign(n->data(), n->size());
    return r;
}

}  // namespace

team_snapshot parse_team_snapshot(std::string_view text, std::string_view file,
                                  std::size_t max_bytes) {
    team_snapshot out;
    auto diag = [&](int line, int column, std::string message) {
        out.diagnostics.push_back({{std::string(file), line, column}, std::move(message)});
    };
    if (text.size() > max_bytes) {
        diag(0, 0, "TEAM snapshot is larger than " + std::to_string(max_bytes) + " bytes");
        return out;
    }
    auto doc = detail::parse_json_strict(text);
    if (!doc.ok) {
        diag(doc.line, doc.column, doc.error);
        return out;
    }
    const json::array* items = doc.value.if_array();
    if (const auto* top = doc.value.if_object()) {
        if (const auto* it = top->if_contains("Items")) items = it->if_array();
    }
    if (!items) {
        diag(1, 1, "TEAM snapshot must be a JSON array of request items (or {\"Items\": [...]})");
        return out;
    }
    out.document_ok = true;
    out.records.reserve(items->size());
    std::size_t bad = 0;
    // The ids of unreadable items: such a copy may be the one that ended its request (TEAM's
    // statuses only move forward, and the furthest copy decides), so the request's readable
    // copies are left out too rather than granting on a copy it outdated.
    std::unordered_set<std::string> unreadable;
    std::vector<std::size_t> index;  // each record's item, for its diagnostic
    for (std::size_t i = 0; i < items->size(); ++i) {
        std::string why;
        auto r = read_item((*items)[i], why);
        if (r) {
            out.records.push_back(std::move(*r));
            index.push_back(i);
            continue;
        }
        std::string id;
        if (const auto* o = (*items)[i].if_object()) {
            if (const auto* s = string_field(*o, "id"); s && !s->empty()) {
                unreadable.emplace(s->data(), s->size());
                if (s->size() <= 64) id = " (id " + std::string(s->data(), s->size()) + ")";
            }
        }
        if (++bad <= max_diagnostics) {
            diag(0, 0, detail::json_path("", i) + id + ": " + why + "; item ignored");
        }
    }
    if (!unreadable.empty()) {
        std::size_t kept = 0;
        for (std::size_t k = 0; k < out.records.size(); ++k) {
            auto& r = out.records[k];
            if (!unreadable.contains(r.id)) {
                if (kept != k) out.records[kept] = std::move(r);
                ++kept;
                continue;
            }
            if (++bad <= max_diagnostics) {
                diag(0, 0,
                     detail::json_path("", index[k]) +
                         (r.id.size() <= 64 ? " (id " + r.id + ")" : std::string()) +
                         ": another copy of this request cannot be read; item ignored");
            }
        }
        out.records.resize(kept);
    }
    out.skipped = bad;
    out.unreadable_ids.assign(unreadable.begin(), unreadable.end());
    if (bad > max_diagnostics) {
        diag(0, 0, std::to_string(bad - max_diagnostics) + " more bad items not listed");
    }
    return out;
}

}  // namespace consolegate::core
