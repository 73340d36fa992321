// The DynamoDB feed's error handling against an in-process fake (dynalite never throttles):
// throttling and 5xx are retried with full-jitter exponential backoff, other 4xx are not, every
// failure is counted by kind, and the last good set survives until the staleness limit.
#include "consolegate/team/dynamodb_feed.hpp"

#include <gtest/gtest.h>

#include "consolegate/core/time.hpp"
#include "fake_http.hpp"
#include "team/credentials.hpp"

namespace {

using namespace consolegate;
using namespace std::chrono_literals;
using test::fake_http_server;
using test::fake_request;
using test::fake_response;

const auto t0 = *core::parse_rfc3339("2026-12-04T12:00:00Z");

const char* page_one = R"({"Count":1,"Items":[{"id":{"S":"r1"},"username":{"S":"idc_alice"},
  "accountId":{"S":"333333333333"},"role":{"S":"Admin"},"startTime":{"S":"2026-12-04T11:00:00Z"},
  "duration":{"S":"4"},"status":{"S":"in progress"}}],"LastEvaluatedKey":{"id":{"S":"r1"},
  "status":{"S":"in progress"}}})";
const char* page_two = R"({"Count":2,"Items":[{"id":{"S":"r2"},"username":{"S":"idc_bob"},
  "accountId":{"S":"333333333333"},"role":{"S":"Admin"},"startTime":{"S":"2026-12-04T11:00:00Z"},
  "duration":{"S":"4"},"status":{"S":"in progress"}},{"id":{"S":"bad"}}]})";

fake_response error(unsigned status, const std::string& type) {
    return {status, "application/x-amz-json-1.0",
            R"({"__type":"com.amazonaws.dynamodb.v20120810#)" + type + R"(","message":"m"})",
            false};
}

struct feed_rig {
    std::vector<std::chrono::milliseconds> slept;
    std::chrono::system_clock::time_point now = t0;
    std::unique_ptr<team::dynamodb_feed> feed;

    explicit feed_rig(const std::string& endpoint) {
        team::dynamodb_feed_options o;
        o.endpoint = endpoint;
        o.region = "eu-west-1";
        o.staleness_limit = 10min;
        o.max_attempts = 4;
        o.backoff_base = 100ms;
        o.backoff_cap = 250ms;
        o.http.timeout = 5s;
        o.clock = [this] { return now; };
        o.sleep = [this](std::chrono::milliseconds d) {
            slept.push_back(d);
            return true;
        };
        o.random = [] { return 0.999; };
        team::credential_options c;
        c.getenv = [](const std::string& n) -> std::optional<std::string> {
            if (n == "AWS_ACCESS_KEY_ID") return "AKIDFEED";
            if (n == "AWS_SECRET_ACCESS_KEY") return "feedsecret";
            return std::nullopt;
        };
        feed = std::make_unique<team::dynamodb_feed>(
            o, std::make_shared<team::credential_chain>(std::move(c)));
    }
    bool available() {
        std::shared_ptr<const team::feed_status> keep;
        return feed->view(now, keep).available();
    }
};

TEST(dynamodb_feed, reads_every_page_with_a_signed_query) {
    fake_http_server server([](const fake_request& r) {
        return fake_response{
            200, "application/x-amz-json-1.0",
            r.body.find("ExclusiveStartKey") == std::string::npos ? page_one : page_two, false};
    });
    feed_rig rig(server.url());
    ASSERT_TRUE(rig.feed->refresh()) << rig.feed->health().last_error;
    auto h = rig.feed->health();
    EXPECT_EQ(h.pages, 2u);
    EXPECT_EQ(h.items, 2u);
    EXPECT_EQ(h.skipped, 1u);
    auto reqs = server.requests();
    ASSERT_EQ(reqs.size(), 2u);
    EXPECT_EQ(reqs[0].header("x-amz-target"), "DynamoDB_20120810.Query");
    EXPECT_EQ(reqs[0]
                  .header("authorization")
                  .find("AWS4-HMAC-SHA256 Credential=AKIDFEED/20261204/"
                        "eu-west-1/dynamodb/aws4_request"),
              0u);
    EXPECT_NE(reqs[0].body.find(R"("IndexName":"byStatus")"), std::string::npos);
    EXPECT_NE(reqs[0].body.find(R"(":s":{"S":"in progress"})"), std::string::npos);
    EXPECT_NE(reqs[1].body.find(R"("ExclusiveStartKey":{"id":{"S":"r1"})"), std::string::npos);
    std::shared_ptr<const team::feed_status> keep;
    auto v = rig.feed->view(t0, keep);
    ASSERT_TRUE(v.available());
    EXPECT_TRUE(v.set()->active("bob", *core::account_id::parse("333333333333"), "Admin", t0));
}

TEST(dynamodb_feed, throttling_and_5xx_are_retried_with_jittered_backoff) {
    int calls = 0;
    fake_http_server server([&calls](const fake_request&) {
        switch (++calls) {
            case 1: return error(400, "ProvisionedThroughputExceededException");
            case 2: return error(400, "ThrottlingException");
            case 3: return error(503, "InternalServerError");
            default: return fake_response{200, "application/x-amz-json-1.0", page_two, false};
        }
    });
    feed_rig rig(server.url());
    ASSERT_TRUE(rig.feed->refresh()) << rig.feed->health().last_error;
    auto h = rig.feed->health();
    EXPECT_EQ(h.errors.at("throttled"), 2u);
    EXPECT_EQ(h.errors.at("server"), 1u);
    EXPECT_EQ(h.last_error, "");
    // Full jitter under base * 2^attempt, capped at 250 ms (random() pinned near 1).
    ASSERT_EQ(rig.slept.size(), 3u);
    EXPECT_EQ(rig.slept[0], 99ms);
    EXPECT_EQ(rig.slept[1], 199ms);
    EXPECT_EQ(rig.slept[2], 249ms);
}

TEST(dynamodb_feed, persistent_throttling_keeps_the_last_set_until_stale) {
    bool throttle = false;
    fake_http_server server([&throttle](const fake_request&) {
        if (throttle) return error(400, "ThrottlingException");
        return fake_response{200, "application/x-amz-json-1.0", page_two, false};
    });
    feed_rig rig(server.url());
    ASSERT_TRUE(rig.feed->refresh());
    throttle = true;
    rig.now = t0 + 9min;
    EXPECT_FALSE(rig.feed->refresh());
    EXPECT_EQ(rig.feed->health().errors.at("throttled"), 4u);  // max_attempts
    EXPECT_TRUE(rig.available());
    rig.now = t0 + 10min + 1s;
    EXPECT_FALSE(rig.available());
}

TEST(dynamodb_feed, other_client_errors_are_not_retried) {
    fake_http_server server(
        [](const fake_request&) { return error(400, "AccessDeniedException"); });
    feed_rig rig(server.url());
    EXPECT_FALSE(rig.feed->refresh());
    EXPECT_EQ(server.requests().size(), 1u);
    EXPECT_TRUE(rig.slept.empty());
    auto h = rig.feed->health();
    EXPECT_EQ(h.errors.at("client"), 1u);
    EXPECT_EQ(h.last_error, "client: HTTP 400 AccessDeniedException");
    EXPECT_FALSE(rig.available());
    EXPECT_EQ(rig.feed->status()->problem, h.last_error);
}

TEST(dynamodb_feed, bad_bodies_and_missing_credentials_are_errors) {
    fake_http_server server([](const fake_request&) {
        return fake_response{200, "application/x-amz-json-1.0", R"({"Nope":1})", false};
    });
    feed_rig rig(server.url());
    EXPECT_FALSE(rig.feed->refresh());
    EXPECT_EQ(rig.feed->health().errors.at("parse"), 1u);

    team::dynamodb_feed_options o;
    o.endpoint = server.url();
    o.region = "eu-west-1";
    team::credential_options c;
    c.getenv = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
    team::dynamodb_feed no_creds(o, std::make_shared<team::credential_chain>(std::move(c)));
    EXPECT_FALSE(no_creds.refresh());
    EXPECT_EQ(no_creds.health().errors.at("credentials"), 1u);
    EXPECT_EQ(server.requests().size(), 1u);  // never sent unsigned
}

// The byStatus index is read eventually consistently: a Query can answer from a replica older
// than the one before. A request gone from "in progress" (ended or revoked) that such an answer
// lists again must stay ended (TEAM's statuses only move forward), whatever answers follow.
TEST(dynamodb_feed, an_older_answer_never_undoes_an_end) {
    int calls = 0;
    fake_http_server server([&calls](const fake_request&) {
        ++calls;
        std::string items = calls == 2 || calls == 4 ? "" : R"({"id":{"S":"r1"},
          "username":{"S":"idc_alice"},"accountId":{"S":"333333333333"},"role":{"S":"Admin"},
          "startTime":{"S":"2026-12-04T11:00:00Z"},"duration":{"S":"4"},
          "status":{"S":"in progress"}})";
        return fake_response{200, "application/x-amz-json-1.0", R"({"Items":[)" + items + "]}",
                             false};
    });
    feed_rig rig(server.url());
    auto alice = [&rig] {
        std::shared_ptr<const team::feed_status> keep;
        auto v = rig.feed->view(rig.now, keep);
        return v.available() &&
               v.set()->active("alice", *core::account_id::parse("333333333333"), "Admin", rig.now);
    };
    ASSERT_TRUE(rig.feed->refresh());
    EXPECT_TRUE(alice());
    for (int i = 0; i < 4; ++i) {  // gone, back (stale), gone, back (stale)
        rig.now += 1min;
        ASSERT_TRUE(rig.feed->refresh());
        EXPECT_FALSE(alice()) << "answer " << calls;
    }
    // Its window over (11:00 + 4 h) and the lookback past, nothing of it is kept.
    rig.now = t0 + 4h;
    ASSERT_TRUE(rig.feed->refresh());
    EXPECT_FALSE(alice());
    EXPECT_EQ(rig.feed->status()->set->entries().size(), 1u);  // the stale copy alone
}

// A LastEvaluatedKey the feed was already given (a proxy or a table that loops) ends the
// refresh at once instead of reading the same pages until max_pages.
TEST(dynamodb_feed, a_repeated_last_evaluated_key_ends_the_refresh) {
    fake_http_server server([](const fake_request&) {
        return fake_response{200, "application/x-amz-json-1.0", page_one, false};
    });
    feed_rig rig(server.url());
    EXPECT_FALSE(rig.feed->refresh());
    EXPECT_EQ(server.requests().size(), 2u);
    EXPECT_EQ(rig.feed->health().errors.at("pagination"), 1u);
    EXPECT_FALSE(rig.available());
}

// SigV4 signs with the gateway's clock, and AWS refuses a signature more than 5 minutes off
// its own ("Signature expired" / "not yet current"). As the AWS SDKs do, the feed reads AWS's
// clock from the refusal's Date header and signs again with the difference; it is kept for the
// next refreshes (elevation windows stay on the gateway's clock). It failed every refresh until
// the feed went stale.
TEST(dynamodb_feed, a_refusal_for_clock_skew_is_signed_again_on_aws_s_clock) {
    const std::string aws_date = "20261204T121000Z";  // AWS is 10 minutes ahead
    fake_http_server server([&aws_date](const fake_request& r) {
        if (r.header("x-amz-date") != aws_date) {
            auto e = error(400, "InvalidSignatureException");
            e.headers.emplace_back("Date", "Fri, 04 Dec 2026 12:10:00 GMT");
            return e;
        }
        return fake_response{200, "application/x-amz-json-1.0", page_two, false};
    });
    feed_rig rig(server.url());
    ASSERT_TRUE(rig.feed->refresh()) << rig.feed->health().last_error;
    EXPECT_EQ(server.requests().size(), 2u);
    EXPECT_EQ(rig.feed->health().errors.at("clock-skew"), 1u);
    EXPECT_TRUE(rig.slept.empty());
    // The next refresh signs on AWS's clock at once; the data's time is the gateway's.
    ASSERT_TRUE(rig.feed->refresh());
    EXPECT_EQ(server.requests().size(), 3u);
    EXPECT_EQ(rig.feed->status()->data_time, t0);
}

// Without a Date header, or with one that agrees with the gateway's clock, the refusal is a
// client error as before (not retried: something else is wrong with the signature).
TEST(dynamodb_feed, a_signature_refusal_without_skew_is_not_retried) {
    fake_http_server server([](const fake_request&) {
        auto e = error(400, "InvalidSignatureException");
        e.headers.emplace_back("Date", "Fri, 04 Dec 2026 12:01:00 GMT");
        return e;
    });
    feed_rig rig(server.url());
    EXPECT_FALSE(rig.feed->refresh());
    EXPECT_EQ(server.requests().size(), 1u);
    EXPECT_EQ(rig.feed->health().errors.at("client"), 1u);
}

// An unreadable copy of a request on a later page takes its readable copy on an earlier page
// out too, as it does within one page (core::parse_team_snapshot): it may be the copy that
// ended it.
TEST(dynamodb_feed, an_unreadable_copy_on_another_page_takes_the_request_out) {
    fake_http_server server([](const fake_request& r) {
        if (r.body.find("ExclusiveStartKey") == std::string::npos) {
            return fake_response{200, "application/x-amz-json-1.0", page_one, false};
        }
        return fake_response{200, "application/x-amz-json-1.0",
                             R"({"Items":[{"id":{"S":"r1"},"username":{"S":"idc_alice"},
          "accountId":{"S":"333333333333"},"role":{"S":"Admin"},
          "startTime":{"S":"2026-12-04T11:00:00Z"},"duration":{"S":"4"},
          "status":{"S":"in progress"},"endTime":{"N":"1796382000"}}]})",
                             false};
    });
    feed_rig rig(server.url());
    ASSERT_TRUE(rig.feed->refresh()) << rig.feed->health().last_error;
    EXPECT_EQ(rig.feed->health().skipped, 2u);
    std::shared_ptr<const team::feed_status> keep;
    auto v = rig.feed->view(t0, keep);
    ASSERT_TRUE(v.available());
    EXPECT_FALSE(v.set()->active("alice", *core::account_id::parse("333333333333"), "Admin", t0));
}

}  // namespace

// A throttled table stretches one refresh over many backoffs: the set it reads is as old as its
// first page, so it is stamped with the refresh's start and is stale staleness_limit after that;
// a refresh running past the limit is given up (its first pages would be stale at once), and the
// feed stays as fresh as the last refresh that completed.
TEST(dynamodb_feed, a_long_refresh_is_as_old_as_its_first_page) {
    int throttles_left = 0;
    fake_http_server server([&throttles_left](const fake_request& r) {
        if (r.body.find("ExclusiveStartKey") == std::string::npos)
            return fake_response{200, "application/x-amz-json-1.0", page_one, false};
        if (throttles_left > 0) {
            --throttles_left;
            return error(400, "ThrottlingException");
        }
        return fake_response{200, "application/x-amz-json-1.0", page_two, false};
    });
    feed_rig rig(server.url());
    auto step = 4min;  // each backoff, as the table's throttling stretches it
    rig.feed = nullptr;
    {
        team::dynamodb_feed_options o;
        o.endpoint = server.url();
        o.region = "eu-west-1";
        o.staleness_limit = 10min;
        o.max_attempts = 4;
        o.clock = [&rig] { return rig.now; };
        o.sleep = [&rig, &step](std::chrono::milliseconds) {
            rig.now += step;
            return true;
        };
        o.random = [] { return 0.5; };
        team::credential_options c;
        c.getenv = [](const std::string& n) -> std::optional<std::string> {
            if (n == "AWS_ACCESS_KEY_ID") return "AKIDFEED";
            if (n == "AWS_SECRET_ACCESS_KEY") return "feedsecret";
            return std::nullopt;
        };
        rig.feed = std::make_unique<team::dynamodb_feed>(
            o, std::make_shared<team::credential_chain>(std::move(c)));
    }
    // Two backoffs: the refresh completes 8 minutes after its first page was read.
    throttles_left = 2;
    ASSERT_TRUE(rig.feed->refresh()) << rig.feed->health().last_error;
    EXPECT_EQ(rig.now, t0 + 8min);
    EXPECT_TRUE(rig.available());
    EXPECT_EQ(rig.feed->health().last_success, t0);
    rig.now = t0 + 10min + 1s;  // 10 minutes after the first page, not after the last
    EXPECT_FALSE(rig.available());

    // Three backoffs of 4 minutes: past the staleness limit, the refresh is given up, and the
    // feed is as old as the last refresh that completed (stale here).
    rig.now = t0 + 20min;
    throttles_left = 3;
    EXPECT_FALSE(rig.feed->refresh());
    auto h = rig.feed->health();
    EXPECT_EQ(h.errors.at("deadline"), 1u);
    EXPECT_NE(h.last_error.find("longer than the staleness limit"), std::string::npos)
        << h.last_error;
    EXPECT_EQ(h.last_success, t0);
    EXPECT_FALSE(rig.available());
    // The next one reads in time and is fresh again, as of its start.
    throttles_left = 0;
    auto start = rig.now;
    ASSERT_TRUE(rig.feed->refresh()) << rig.feed->health().last_error;
    EXPECT_EQ(rig.feed->health().last_success, start);
    EXPECT_TRUE(rig.available());
}
