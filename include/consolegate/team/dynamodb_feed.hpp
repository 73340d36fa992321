#pragma once
// The TEAM elevation feed read from TEAM's own DynamoDB `requests` table: a Query on the
// `byStatus` global secondary index for status "in progress", every page (LastEvaluatedKey),
// SigV4-signed with credentials from the AWS chain (team/credentials.hpp), every `interval` on
// the feed's own thread.
//
// Failures: throttling (ProvisionedThroughputExceededException, ThrottlingException,
// RequestLimitExceeded), 5xx and network errors are retried within a refresh with full-jitter
// exponential backoff (base * 2^attempt, capped); other 4xx (AccessDenied, ResourceNotFound, bad
// signature) and credential failures are not retried until the next interval. Every failure is
// counted by kind and logged (warn, rate-limited per kind; never a key, token or item). The last
// good set is kept and used until `staleness_limit` after its last successful refresh began (its
// first page is that old); after that view() is unavailable and elevation-gated sign-ins are
// denied with elevation-feed-stale. A refresh still running `staleness_limit` after it began is
// given up (error kind "deadline"): what it read first would be stale when it completed.
//
// Time, sleeping and randomness are injected (options) so tests never sleep.
// Thread-safety: start()/stop() from one owner; refresh() from one thread at a time (the feed's
// thread once started); poll(), status(), view() and health() from any thread.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "consolegate/core/elevation.hpp"
#include "consolegate/core/policy.hpp"
#include "consolegate/net/http_client.hpp"
#include "consolegate/team/feed.hpp"

namespace consolegate::team {

class credential_chain;

struct dynamodb_feed_options {
    std::string endpoint;  // "https://dynamodb.eu-west-1.amazonaws.com" or "http://127.0.0.1:N"
    std::string region;
    std::string table = "requests";
    std::string index = "byStatus";
    std::chrono::milliseconds interval{15'000};
    std::chrono::milliseconds staleness_limit{15 * 60'000};
    unsigned page_size = 0;       // Query Limit; 0 = DynamoDB's own (1 MB pages)
    unsigned max_pages = 10'000;  // a refresh reading more is refused (a runaway table)
    unsigned max_attempts = 5;    // per page, for retryable failures
    std::chrono::milliseconds backoff_base{200};
    std::chrono::milliseconds backoff_cap{10'000};
    net::http_client_options http;
    core::elevation_window window;  // skew at the start, look-back for "expired"

    std::function<std::chrono::system_clock::time_point()> clock;  // default system_clock::now
    // Waits between retries; returns false when the feed is stopping. Default: an interruptible
    // wait on the feed's own condition variable.
    std::function<bool(std::chrono::milliseconds)> sleep;
    std::function<double()> random;  // uniform in [0, 1); default: a seeded mt19937_64
};

struct feed_health {
    std::string source;  // "dynamodb eu-west-1 table requests index byStatus at https://…"
    std::chrono::system_clock::time_point last_attempt{}, last_success{};  // epoch = never
    std::size_t items = 0;        // well-formed items of the last good refresh
    std::size_t in_progress = 0;  // of which status "in progress" (what the set holds)
    std::size_t skipped = 0;      // malformed items left out of the last good refresh
    std::size_t pages = 0;        // pages read by the last good refresh
    std::uint64_t refreshes = 0;  // successful refreshes since start
    std::map<std::string, std::uint64_t> errors;  // by kind, cumulative: throttled, server, …
    std::string last_error;                       // "" after a success
};

class dynamodb_feed final : public feed {
  public:
    dynamodb_feed(dynamodb_feed_options options, std::shared_ptr<credential_chain> credentials);
    ~dynamodb_feed() override;
    dynamodb_feed(const dynamodb_feed&) = delete;
    dynamodb_feed& operator=(const dynamodb_feed&) = delete;

    // Starts the feed's thread: refresh() now (unless one already ran), then every interval. stop()
    // (also the destructor) interrupts a wait or a backoff and joins; an HTTP exchange in flight
    // ends by its deadline.
    void start();
    void stop();

    // One full Query (all pages, with retries). True when a new set was published.
    bool refresh();

    // What changed since the last call, for the gateway's log ("" when nothing did). Never blocks.
    std::string poll() override;
    std::shared_ptr<const feed_status> status() const override { return status_.load(); }
    core::elevation_view view(std::chrono::system_clock::time_point now,
                              std::shared_ptr<const feed_status>& keep) const override;
    feed_health health() const;
    const dynamodb_feed_options& options() const { return opt_; }

  private:
    struct page_result;
    bool refresh_once();
    void remember_gone(const std::vector<core::elevation_record>& now_in_progress,
                       std::chrono::system_clock::time_point now);
    page_result fetch_page(const std::string& start_key);
    void record_error(const std::string& kind, const std::string& message);
    bool wait(std::chrono::milliseconds d);
    void run();

    dynamodb_feed_options opt_;
    std::shared_ptr<credential_chain> credentials_;
    std::atomic<std::shared_ptr<const feed_status>> status_;
    mutable std::mutex mu_;  // health_, changes_, stopping_
    std::condition_variable cv_;
    feed_health health_;
    std::vector<std::string> changes_;
    // Requests that left the "in progress" set (revoked or ended in TEAM; the Query no longer
    // returns them), kept as ended at the refresh that noticed, for the expired look-back.
    std::vector<core::elevation_record> gone_;
    // AWS's clock minus the gateway's, learned from a clock-skew refusal's Date header: added to
    // the signing time only. Touched by the refreshing thread alone.
    std::chrono::system_clock::duration skew_{};
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace consolegate::team
