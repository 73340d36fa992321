#include "consolegate/team/dynamodb_feed.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <iterator>
#include <random>
#include <unordered_set>

#include "consolegate/core/time.hpp"
#include "consolegate/log/log.hpp"
#include "team/credentials.hpp"
#include "team/sigv4.hpp"

namespace consolegate::team {
namespace {

namespace json = boost::json;
using clock = std::chrono::system_clock;

// AWS SDKs adjust at 4 minutes, inside SigV4's 5.
constexpr std::chrono::minutes max_skew{4};

// DynamoDB's error types that mean "slow down" (docs: Programming.Errors, "Error retries and
// exponential backoff"); ThrottlingException is what the control plane and on-demand tables say.
bool throttling(std::string_view type) {
    return type == "ProvisionedThroughputExceededException" || type == "ThrottlingException" ||
           type == "RequestLimitExceeded";
}

// The refusals of a request signed at a time too far from AWS's (SigV4 allows 5 minutes): the
// AWS SDKs' clock-skew error codes (aws-sdk-java-v2 ClockSkewAdjuster, botocore
// `_is_clock_skew_error`).
bool clock_skew_refusal(std::string_view type) {
    return type == "InvalidSignatureException" || type == "SignatureDoesNotMatch" ||
           type == "RequestTimeTooSkewed" || type == "RequestExpired" ||
           type == "RequestInTheFuture" || type == "AuthFailure";
}

// An HTTP Date header in the IMF-fixdate form servers must send (RFC 9110 §5.6.7):
// "Fri, 04 Dec 2026 12:10:00 GMT". Anything else is nullopt.
std::optional<clock::time_point> http_date(std::string_view v) {
    static constexpr std::string_view months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    if (v.size() != 29 || v.substr(3, 2) != ", " || v.substr(25) != " GMT") return std::nullopt;
    auto num = [&](std::size_t at, std::size_t n, int& out) {
        auto [p, ec] = std::from_chars(v.data() + at, v.data() + at + n, out);
        return ec == std::errc{} && p == v.data() + at + n;
    };
    int day = 0, year = 0, h = 0, m = 0, sec = 0;
    if (!num(5, 2, day) || !num(12, 4, year) || !num(17, 2, h) || !num(20, 2, m) ||
        !num(23, 2, sec) || v[7] != ' ' || v[11] != ' ' || v[16] != ' ' || v[19] != ':' ||
        v[22] != ':' || h > 23 || m > 59 || sec > 60) {
        return std::nullopt;
    }
    auto month = std::find(std::begin(months), std::end(months), v.substr(8, 3));
    if (month == std::end(months)) return std::nullopt;
    std::chrono::year_month_day ymd{std::chrono::year(year),
                                    std::chrono::month(unsigned(month - std::begin(months) + 1)),
                                    std::chrono::day(unsigned(day))};
    if (!ymd.ok()) return std::nullopt;
    return clock::time_point(std::chrono::sys_days(ymd)) + std::chrono::hours(h) +
           std::chrono::minutes(m) + std::chrono::seconds(sec);
}

// "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException" -> "ResourceNotFoundException".
std::string error_type(const std::string& body) {
    boost::system::error_code ec;
    auto v = json::parse(body, ec);
    const auto* o = ec ? nullptr : v.if_object();
    const auto* t = o ? o->if_contains("__type") : nullptr;
    if (!t || !t->is_string()) return {};
    std::string s(t->get_string());
    if (auto hash = s.rfind('#'); hash != std::string::npos) s.erase(0, hash + 1);
    if (s.size() > 80) s.resize(80);
    return s;
}

log::rate_limit& limiter(const std::string& kind) {
    static log::rate_limit throttled{std::chrono::minutes(1)}, server{std::chrono::minutes(1)},
        network{std::chrono::minutes(1)}, other{std::chrono::minutes(1)};
    if (kind == "throttled") return throttled;
    if (kind == "server") return server;
    if (kind == "network") return network;
    return other;
}

}  // namespace

struct dynamodb_feed::page_result {
    enum class outcome { ok, retry, fail } what = outcome::fail;
    std::string kind;      // error kind when not ok
    std::string message;   // for the log; never a secret
    std::string body;      // the page when ok
    std::string next_key;  // serialised LastEvaluatedKey, "" on the last page
};

dynamodb_feed::dynamodb_feed(dynamodb_feed_options options,
                             std::shared_ptr<credential_chain> credentials)
    : opt_(std::move(options)), credentials_(std::move(credentials)) {
    if (!opt_.clock) opt_.clock = [] { return clock::now(); };
    if (!opt_.sleep) opt_.sleep = [this](std::chrono::milliseconds d) { return wait(d); };
    if (!opt_.random) {
        auto rng = std::make_shared<std::mt19937_64>(std::random_device{}());
        opt_.random = [rng] { return std::uniform_real_distribution<double>(0, 1)(*rng); };
    }
    health_.source = "dynamodb " + opt_.region + " table " + opt_.table + " index " + opt_.index +
                     " at " + opt_.endpoint;
    auto s = std::make_shared<feed_status>();
    s->problem = "not read yet";
    status_.store(std::move(s));
}

dynamodb_feed::~dynamodb_feed() {
    stop();
}

void dynamodb_feed::start() {
    if (thread_.joinable()) return;
    thread_ = std::thread([this] { run(); });
}

void dynamodb_feed::stop() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

bool dynamodb_feed::wait(std::chrono::milliseconds d) {
    std::unique_lock lock(mu_);
    return !cv_.wait_for(lock, d, [this] { return stopping_; });
}

void dynamodb_feed::run() {
    bool refreshed_before;
    {
        std::lock_guard lock(mu_);
        refreshed_before = health_.last_attempt != clock::time_point{};
    }
    if (refreshed_before && !wait(opt_.interval)) return;
    for (;;) {
        refresh();
        if (!wait(opt_.interval)) return;
    }
}

void dynamodb_feed::record_error(const std::string& kind, const std::string& message) {
    {
        std::lock_guard lock(mu_);
        ++health_.errors[kind];
        health_.last_error = kind + ": " + message;
    }
    if (auto suppressed = limiter(kind).allow(std::chrono::steady_clock::now())) {
        log::write(log::level::warn, "team", "TEAM DynamoDB feed error",
                   {{"kind", kind},
                    {"error", message},
                    {"table", opt_.table},
                    {"suppressed", std::to_string(*suppressed)}});
    }
}

dynamodb_feed::page_result dynamodb_feed::fetch_page(const std::string& start_key) {
    page_result out;
    auto now = opt_.clock();
    auto creds = credentials_->get(now);
    if (!creds.credentials) {
        out.kind = "credentials";
        out.message = creds.source + ": " + creds.error;
        return out;
    }
    auto url = net::parse_http_url(opt_.endpoint);
    if (!url) {
        out.kind = "config";
        out.message = "endpoint is not an http(s) URL";
        return out;
    }
    json::object q;
    q["TableName"] = opt_.table;
    q["IndexName"] = opt_.index;
    q["KeyConditionExpression"] = "#s = :s";  // "status" is a DynamoDB reserved word
    q["ExpressionAttributeNames"] = json::object{{"#s", "status"}};
    q["ExpressionAttributeValues"] = json::object{{":s", json::object{{"S", "in progress"}}}};
    if (opt_.page_size > 0) q["Limit"] = opt_.page_size;
    if (!start_key.empty()) q["ExclusiveStartKey"] = json::parse(start_key);

    net::http_request req;
    req.method = "POST";
    req.url = opt_.endpoint;
    req.body = json::serialize(q);
    req.headers = {{"Host", url->host_header()},
                   {"Content-Type", "application/x-amz-json-1.0"},
                   {"X-Amz-Target", "DynamoDB_20120810.Query"}};
    auto q_pos = url->target.find('?');
    auto signed_req = sigv4_sign(
        {req.method, url->target.substr(0, q_pos),
         q_pos == std::string::npos ? "" : url->target.substr(q_pos + 1), req.headers, req.body},
        *creds.credentials, {opt_.region, "dynamodb"}, now + skew_);
    for (auto& h : signed_req.added_headers) req.headers.push_back(std::move(h));

    auto res = net::http_fetch(req, opt_.http);
    if (!res.ok()) {
        bool transient =
            res.error == net::http_error::timeout || res.error == net::http_error::connect ||
            res.error == net::http_error::resolve || res.error == net::http_error::protocol;
        out.what = transient ? page_result::outcome::retry : page_result::outcome::fail;
        out.kind = "network";
        out.message = std::string(net::to_string(res.error)) + ": " + res.message;
        return out;
    }
    auto status = res.response.status;
    if (status != 200) {
        auto type = error_type(res.response.body);
        out.message = "HTTP " + std::to_string(status) + (type.empty() ? "" : " " + type);
        if (status >= 500) {
            out.kind = "server";
            out.what = page_result::outcome::retry;
        } else if (auto aws_now = http_date(res.response.header("Date"));
                   clock_skew_refusal(type) && aws_now &&
                   (*aws_now - (now + skew_) > max_skew || (now + skew_) - *aws_now > max_skew)) {
            // Signed on AWS's clock from now on (as the SDKs do); the data's time and the
            // elevation windows stay on the gateway's.
            skew_ = *aws_now - now;
            out.kind = "clock-skew";
            out.message +=
                ": AWS's clock is " +
                std::to_string(std::chrono::duration_cast<std::chrono::seconds>(skew_).count()) +
                " s from the gateway's";
            out.what = page_result::outcome::retry;
        } else if (throttling(type)) {
            out.kind = "throttled";
            out.what = page_result::outcome::retry;
        } else {
            out.kind = "client";
        }
        return out;
    }
    boost::system::error_code ec;
    auto v = json::parse(res.response.body, ec);
    const auto* o = ec ? nullptr : v.if_object();
    if (!o || !o->if_contains("Items") || !o->at("Items").is_array()) {
        out.kind = "parse";
        out.message = "Query response is not an object with Items";
        return out;
    }
    if (const auto* k = o->if_contains("LastEvaluatedKey"); k && k->is_object())
        out.next_key = json::serialize(*k);
    out.body = std::move(res.response.body);
    out.what = page_result::outcome::ok;
    return out;
}

bool dynamodb_feed::refresh() {
    if (refresh_once()) return true;
    // Keep the last good set (view() decides on staleness); say why it is not fresh.
    auto old = status_.load();
    auto s = std::make_shared<feed_status>(*old);
    {
        std::lock_guard lock(mu_);
        s->problem = health_.last_error;
    }
    status_.store(std::move(s));
    return false;
}

bool dynamodb_feed::refresh_once() {
    // The set read is as old as its first page: a refresh is stamped with its start, and one that
    // runs past the staleness limit (a throttled table's backoff, page after page) is given up,
    // since its first pages would already be stale when it completed. Until a refresh completes,
    // the feed is as fresh as the last one that did.
    const auto started = opt_.clock();
    {
        std::lock_guard lock(mu_);
        health_.last_attempt = started;
    }
    auto past_deadline = [&](std::size_t pages_read) {
        if (opt_.clock() - started <= opt_.staleness_limit) return false;
        record_error("deadline", "the refresh ran longer than the staleness limit (" +
                                     std::to_string(pages_read) +
                                     " pages read): its first pages would be stale");
        return true;
    };
    std::vector<core::elevation_record> records;
    std::size_t skipped = 0, pages = 0;
    std::string key;
    std::unordered_set<std::string> keys_seen, unreadable;
    do {
        if (past_deadline(pages)) return false;
        if (++pages > opt_.max_pages) {
            record_error("runaway", "more than " + std::to_string(opt_.max_pages) + " pages");
            return false;
        }
        page_result page;
        for (unsigned attempt = 0;; ++attempt) {
            page = fetch_page(key);
            if (page.what != page_result::outcome::retry) break;
            record_error(page.kind, page.message);
            if (attempt + 1 >= opt_.max_attempts) return false;
            if (page.kind == "clock-skew") continue;  // signed anew at once, nothing to wait for
            // Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter").
            auto ceiling = std::min<std::int64_t>(
                opt_.backoff_cap.count(), opt_.backoff_base.count() << std::min(attempt, 20u));
            auto delay = std::chrono::milliseconds(
                static_cast<std::int64_t>(opt_.random() * static_cast<double>(ceiling)));
            if (!opt_.sleep(delay)) return false;
            if (past_deadline(pages - 1)) return false;
        }
        if (page.what != page_result::outcome::ok) {
            record_error(page.kind, page.message);
            return false;
        }
        auto snap = core::parse_team_snapshot(page.body, "dynamodb:" + opt_.table);
        if (!snap.document_ok) {
            record_error("parse", "a Query page is not a list of TEAM items");
            return false;
        }
        skipped += snap.skipped;
        for (auto& r : snap.records) records.push_back(std::move(r));
        for (auto& id : snap.unreadable_ids) unreadable.insert(std::move(id));
        key = std::move(page.next_key);
        // A key given before would read the same pages again, up to max_pages each refresh.
        if (!key.empty() && !keys_seen.insert(key).second) {
            record_error("pagination", "LastEvaluatedKey repeats an earlier page's");
            return false;
        }
    } while (!key.empty());

    // An unreadable copy of a request on one page takes its copies on the others out, as
    // parse_team_snapshot does within a page: it may be the copy that ended it.
    skipped += static_cast<std::size_t>(std::erase_if(
        records, [&](const core::elevation_record& r) { return unreadable.contains(r.id); }));
    auto s = std::make_shared<feed_status>();
    s->data_time = started;
    s->skipped_items = skipped;
    auto items = records.size();
    remember_gone(records, s->data_time);
    for (const auto& g : gone_) records.push_back(g);
    auto old = status_.load();
    // An answer from a replica older than the last one lists ended requests again.
    if (old->set) core::keep_finished(*old->set, records, s->data_time);
    s->set = std::make_shared<const core::elevation_set>(std::move(records), opt_.window);
    auto in_progress = s->set->size();
    status_.store(s);
    std::lock_guard lock(mu_);
    bool changed = !old->set || health_.items != items || health_.skipped != skipped ||
                   !health_.last_error.empty();
    health_.last_success = s->data_time;
    health_.items = items;
    health_.in_progress = in_progress;
    health_.skipped = skipped;
    health_.pages = pages;
    health_.last_error.clear();
    ++health_.refreshes;
    if (changed) {
        changes_.push_back("TEAM DynamoDB feed: " + std::to_string(items) +
                           " in-progress requests (" + std::to_string(skipped) +
                           " malformed skipped) in " + std::to_string(pages) + " pages from " +
                           opt_.table);
    }
    return true;
}

void dynamodb_feed::remember_gone(const std::vector<core::elevation_record>& now_in_progress,
                                  clock::time_point now) {
    // Listed again by a later answer is no return (TEAM's statuses only move forward): that
    // answer came from a replica older than the one that left it out.
    std::erase_if(gone_, [&](const core::elevation_record& g) {
        return now - *g.end_time > opt_.window.expired_lookback;
    });
    auto old = status_.load();
    if (!old->set) return;
    for (const auto& e : old->set->entries()) {
        if (!e.live) continue;
        bool still = std::any_of(now_in_progress.begin(), now_in_progress.end(),
                                 [&](const auto& r) { return r.id == e.id; });
        if (still || e.end <= e.start) continue;
        core::elevation_record g;
        g.id = e.id;
        g.user = e.user_lower;
        g.account = e.account;
        g.account_name = e.account_name;
        g.permission_set = e.permission_set;
        g.status = "ended";
        g.start = e.start;
        g.duration_hours = std::chrono::duration<double, std::ratio<3600>>(e.end - e.start).count();
        g.end_time = std::min(now, e.end);
        g.ticket = e.ticket;
        gone_.push_back(std::move(g));
    }
}

std::string dynamodb_feed::poll() {
    std::lock_guard lock(mu_);
    std::string out;
    for (auto& c : changes_) {
        if (!out.empty()) out += "; ";
        out += c;
    }
    changes_.clear();
    return out;
}

core::elevation_view dynamodb_feed::view(clock::time_point now,
                                         std::shared_ptr<const feed_status>& keep) const {
    keep = status_.load();
    if (!keep->set || now - keep->data_time > opt_.staleness_limit)
        return core::elevation_view::unavailable();
    return core::elevation_view::of(*keep->set);
}

feed_health dynamodb_feed::health() const {
    std::lock_guard lock(mu_);
    return health_;
}

}  // namespace consolegate::team
