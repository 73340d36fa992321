#pragma once
// The admin listener's sign-in review pages, as plain server-rendered HTML: no scripts and no
// outside resources (it renders under `default-src 'none'`, the table and filters work with
// JavaScript off), the chart an inline SVG. Pure: data in, text out.

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "consolegate/audit/query.hpp"
#include "consolegate/audit/store.hpp"

namespace consolegate::audit {

// What the review URL asks for: /review?range=7d&decision=deny&…&page=2
struct review_request {
    query q;                             // since/until set from range (or from since/until fields)
    std::string range = "24h";           // 1h | 24h | 7d | 30d | custom
    std::string since_text, until_text;  // the custom range as typed (YYYY-MM-DDTHH:MM, UTC)
    std::size_t page = 0;                // 0-based
};
inline constexpr std::size_t review_page_size = 100;

// Unknown parameters and values that do not parse are ignored (the filter is then off).
review_request parse_review_request(const std::vector<std::pair<std::string, std::string>>& params,
                                    core::time_point now);

// Everything one page shows; the admin server fills it from an event_store.
struct review_data {
    review_request request;
    std::vector<event> events;  // this page, newest first
    std::uint64_t total = 0;    // events matching the filters in range
    std::vector<bucket> chart;
    std::chrono::seconds bucket_size{3600};
    std::vector<count_row> top_accounts, top_users, top_clients, top_rules;
    std::vector<count_row> top_corp_users;  // the person on the corporate network
    std::string node_name;
};
// The chart's bucket size for a range: about 48 bars.
std::chrono::seconds chart_step(core::time_point since, core::time_point until);

// Fills review_data from the store for `r`.
review_data load_review(event_store& store, const review_request& r, core::time_point now,
                        std::string_view node_name);

std::string render_review_page(const review_data& d);
// One event, every field.
std::string render_event_page(const event& e, std::string_view node_name);
// The sign-in form for reviewers without a bearer header (posts the token once; the session then
// rides on an HttpOnly, SameSite=Strict cookie). `message` explains why it is shown.
std::string render_login_page(std::string_view message);

// The former one-table page, kept for callers that have only a list of events.
std::string render_review_page(const std::vector<event>& events, const query& q,
                               std::string_view node_name);

}  // namespace consolegate::audit
