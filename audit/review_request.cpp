// The review page's request (URL parameters to a query) and the data it shows (store queries).
#include <algorithm>

#include "consolegate/audit/review_page.hpp"
#include "consolegate/core/address.hpp"

namespace consolegate::audit {
namespace {

using namespace std::chrono_literals;

// "2026-11-23T08:00" as a datetime-local input sends it, read as UTC; full RFC 3339 too.
std::optional<core::time_point> parse_local(const std::string& s) {
    if (auto t = core::parse_rfc3339(s)) return t;
    if (s.size() == 16) return core::parse_rfc3339(s + ":00Z");
    return std::nullopt;
}

}  // namespace

review_request parse_review_request(const std::vector<std::pair<std::string, std::string>>& params,
                                    core::time_point now) {
    review_request r;
    auto& q = r.q;
    for (auto& [k, v] : params) {
        if (v.empty()) continue;
        if (k == "decision" && (v == "allow" || v == "deny")) q.decision = v;
        if (k == "mode" && (v == "enforced" || v == "report-only")) q.mode = v;
        if (k == "range" && (v == "1h" || v == "24h" || v == "7d" || v == "30d" || v == "custom"))
            r.range = v;
        if (k == "since") r.since_text = v.substr(0, 32);
        if (k == "until") r.until_text = v.substr(0, 32);
        if (k == "account") q.account = v;
        if (k == "ou") q.ou = v;
        if (k == "user") q.user = v;
        if (k == "flow") q.flow = v;
        if (k == "reason") q.reason = v;
        if (k == "client") {
            // Events name the client in the one form the gateway holds it in (10.20.0.5, never
            // ::ffff:10.20.0.5), so the filter is read the same way; text that is no address
            // stays as typed and matches nothing.
            auto a = core::parse_client_address(v);
            q.client = a ? a->str() : v;
        }
        if (k == "rule") q.rule = v;
        if (k == "corp_user") q.corp_user = v.substr(0, 256);
        if (k == "page" && v.size() <= 6 && std::all_of(v.begin(), v.end(), ::isdigit))
            r.page = std::stoul(v);
    }
    if (r.range == "custom") {
        q.since = parse_local(r.since_text);
        q.until = parse_local(r.until_text);
    } else {
        auto span = r.range == "1h"    ? 1h
                    : r.range == "7d"  ? 7 * 24h
                    : r.range == "30d" ? 30 * 24h
                                       : 24h;
        q.since = now - span;
        q.until.reset();
    }
    return r;
}

std::chrono::seconds chart_step(core::time_point since, core::time_point until) {
    constexpr std::chrono::seconds steps[] = {60s,   300s,   900s,   1800s,  3600s,
                                              7200s, 10800s, 21600s, 43200s, 86400s};
    auto span = std::chrono::duration_cast<std::chrono::seconds>(until - since);
    for (auto s : steps) {
        if (span / s <= 60) return s;
    }
    return std::chrono::seconds(std::max<std::int64_t>(86400, span.count() / 60));
}

review_data load_review(event_store& store, const review_request& r, core::time_point now,
                        std::string_view node_name) {
    review_data d;
    d.request = r;
    d.node_name = std::string(node_name);
    d.total = store.count(r.q);
    d.events = store.find(r.q, r.page * review_page_size, review_page_size);
    auto until = r.q.until.value_or(now);
    auto since = r.q.since.value_or(until - 24h);
    if (since < until) {
        d.bucket_size = chart_step(since, until);
        // Buckets aligned to the step, so the bars stay put as the page is reloaded.
        auto step_ms = std::chrono::duration_cast<std::chrono::milliseconds>(d.bucket_size);
        auto start = core::time_point(std::chrono::duration_cast<core::time_point::duration>(
            (since.time_since_epoch() / step_ms) * step_ms));
        d.chart = store.histogram(r.q, start, until, d.bucket_size);
    }
    static constexpr summary_key keys[] = {summary_key::account, summary_key::user,
                                           summary_key::corp_user, summary_key::client,
                                           summary_key::rule};
    auto top = store.top_denied_each(r.q, keys, 10);
    d.top_accounts = std::move(top[0]);
    d.top_users = std::move(top[1]);
    d.top_corp_users = std::move(top[2]);
    d.top_clients = std::move(top[3]);
    d.top_rules = std::move(top[4]);
    return d;
}

}  // namespace consolegate::audit
