// The TEAM DynamoDB feed against dynalite, a real DynamoDB implementation (npm), started here on
// loopback with a TEAM-shaped `requests` table (hash key id, GSI byStatus on status) holding more
// than one Query page of items. Elevations appear, expire and get revoked; with dynalite stopped
// the feed keeps its last set until the staleness limit, then elevation-gated access is denied
// (elevation-feed-stale) while ungated accounts keep working; with dynalite back it recovers.
// The feed's clock and backoff sleeps are injected: nothing here waits on wall-clock time except
// dynalite's own start-up (bounded).
#include "consolegate/team/dynamodb_feed.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <thread>

#include "consolegate/core/policy.hpp"
#include "consolegate/core/time.hpp"
#include "consolegate/net/http_client.hpp"
#include "team/credentials.hpp"
#include "team/sigv4.hpp"

extern char** environ;

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace consolegate;
using namespace std::chrono_literals;
using clock_type = std::chrono::system_clock;

const fs::path support_dir = fs::path(CG_SOURCE_DIR) / "tests" / "support" / "team";
const clock_type::time_point t0 = *core::parse_rfc3339("2026-12-04T12:00:00Z");
const char* gated = "333333333333";
const char* open_account = "444455556666";

// dynalite as a child process: `node dynalite_serve.js PORT DB_DIR`, port read from its stdout.
class dynalite_process {
  public:
    dynalite_process(std::uint16_t port, const std::string& db_dir) {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
        std::string script = (support_dir / "dynalite_serve.js").string();
        std::string port_arg = std::to_string(port);
        std::vector<char*> argv = {const_cast<char*>("node"), script.data(), port_arg.data(),
                                   const_cast<char*>(db_dir.c_str()), nullptr};
        int rc = posix_spawnp(&pid_, "node", &fa, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&fa);
        ::close(fds[1]);
        if (rc != 0) {
            ::close(fds[0]);
            throw std::runtime_error("cannot start node");
        }
        std::string line;
        auto deadline = std::chrono::steady_clock::now() + 30s;
        while (line.find('\n') == std::string::npos &&
               std::chrono::steady_clock::now() < deadline) {
            pollfd p{fds[0], POLLIN, 0};
            if (::poll(&p, 1, 1000) <= 0) continue;
            char buf[64];
            auto n = ::read(fds[0], buf, sizeof buf);
            if (n <= 0) break;
            line.append(buf, static_cast<std::size_t>(n));
        }
        ::close(fds[0]);
        port_ = static_cast<std::uint16_t>(std::atoi(line.c_str()));
        if (port_ == 0) {
            stop();
            throw std::runtime_error("dynalite did not report its port");
        }
    }
    ~dynalite_process() { stop(); }
    void stop() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
    }
    std::uint16_t port() const { return port_; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  private:
    pid_t pid_ = -1;
    std::uint16_t port_ = 0;
};

bool dynalite_installed() {
    return fs::exists(support_dir / "node_modules" / "dynalite" / "package.json") &&
           std::system("command -v node >/dev/null 2>&1") == 0;
}

const team::aws_credentials test_keys{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                      ""};

// One signed DynamoDB call (the test's own client for setting up and changing the table).
json::value dynamo(const std::string& endpoint, const std::string& op, const json::object& body) {
    auto url = *net::parse_http_url(endpoint);
    net::http_request req{"POST",
                          endpoint,
                          {{"Host", url.host_header()},
                           {"Content-Type", "application/x-amz-json-1.0"},
                           {"X-Amz-Target", "DynamoDB_20120810." + op}},
                          json::serialize(body)};
    auto s = team::sigv4_sign({req.method, "/", "", req.headers, req.body}, test_keys,
                              {"eu-west-1", "dynamodb"}, clock_type::now());
    for (auto& h : s.added_headers) req.headers.push_back(h);
    auto res = net::http_fetch(req, {});
    if (!res.ok() || res.response.status != 200)
        throw std::runtime_error(op + " failed: " + res.message + " " + res.response.body);
    return json::parse(res.response.body);
}

json::object item(const std::string& id, const std::string& user, const std::string& account,
                  const std::string& role, const std::string& start, const std::string& hours,
                  const std::string& status) {
    auto s = [](const std::string& v) { return json::object{{"S", v}}; };
    return {{"id", s(id)},
            {"username", s("idc_" + user)},
            {"email", s(user + "@corp")},
            {"accountId", s(account)},
            {"accountName", s("acct")},
            {"role", s(role)},
            {"roleId", s("arn:aws:sso:::permissionSet/ssoins-1/ps-1")},
            {"startTime", s(start)},
            {"duration", s(hours)},
            {"status", s(status)},
            {"ticketNo", s("CHG" + id)},
            {"justification", s("test")}};
}

class dynamodb_feed_live : public ::testing::Test {
  protected:
    void SetUp() override {
        if (!dynalite_installed())
            GTEST_SKIP() << "dynalite is not installed: run scripts/setup.sh (npm ci into "
                         << support_dir.string() << ")";
        db_dir = fs::temp_directory_path() / ("cg_dynalite_" + std::to_string(::getpid()));
        fs::remove_all(db_dir);
        fs::create_directories(db_dir);
        dyn = std::make_unique<dynalite_process>(0, db_dir.string());
        create_table();
    }
    void TearDown() override {
        feed.reset();
        dyn.reset();
        fs::remove_all(db_dir);
    }

    void create_table() {
        auto attr = [](const char* n) {
            return json::object{{"AttributeName", n}, {"AttributeType", "S"}};
        };
        json::object body{
            {"TableName", "requests"},
            {"AttributeDefinitions", json::array{attr("id"), attr("status")}},
            {"KeySchema", json::array{json::object{{"AttributeName", "id"}, {"KeyType", "HASH"}}}},
            {"GlobalSecondaryIndexes",
             json::array{json::object{
                 {"IndexName", "byStatus"},
                 {"KeySchema",
                  json::array{json::object{{"AttributeName", "status"}, {"KeyType", "HASH"}}}},
                 {"Projection", json::object{{"ProjectionType", "ALL"}}},
                 {"ProvisionedThroughput",
                  json::object{{"ReadCapacityUnits", 5}, {"WriteCapacityUnits", 5}}}}}},
            {"ProvisionedThroughput",
             json::object{{"ReadCapacityUnits", 5}, {"WriteCapacityUnits", 5}}}};
        dynamo(dyn->url(), "CreateTable", body);
        // A table is usable once DescribeTable says ACTIVE (dynalite too: it creates in the
        // background, and a PutItem before then is ResourceNotFoundException). Bounded.
        const auto deadline = std::chrono::steady_clock::now() + 20s;
        for (;;) {
            auto t = dynamo(dyn->url(), "DescribeTable", {{"TableName", "requests"}});
            if (t.at("Table").at("TableStatus") == "ACTIVE") return;
            if (std::chrono::steady_clock::now() > deadline)
                throw std::runtime_error("the test table never became ACTIVE");
            std::this_thread::sleep_for(10ms);
        }
    }
    void put(const json::object& it) {
        dynamo(dyn->url(), "PutItem", {{"TableName", "requests"}, {"Item", it}});
    }
    void set_status(const std::string& id, const std::string& status) {
        dynamo(dyn->url(), "UpdateItem",
               {{"TableName", "requests"},
                {"Key", json::object{{"id", json::object{{"S", id}}}}},
                {"UpdateExpression", "SET #s = :s"},
                {"ExpressionAttributeNames", json::object{{"#s", "status"}}},
                {"ExpressionAttributeValues", json::object{{":s", json::object{{"S", status}}}}}});
    }

    void make_feed() {
        team::dynamodb_feed_options o;
        o.endpoint = dyn->url();
        o.region = "eu-west-1";
        o.page_size = 4;  // TEAM tables hold hundreds of items; force several pages here
        o.staleness_limit = 10min;
        o.http.timeout = 5s;
        o.backoff_base = 100ms;
        o.max_attempts = 3;
        o.clock = [this] { return now; };
        o.sleep = [this](std::chrono::milliseconds d) {
            slept.push_back(d);
            return true;
        };
        o.random = [] { return 0.5; };
        team::credential_options c;
        c.getenv = [](const std::string& n) -> std::optional<std::string> {
            if (n == "AWS_ACCESS_KEY_ID") return test_keys.access_key_id;
            if (n == "AWS_SECRET_ACCESS_KEY") return test_keys.secret_access_key;
            return std::nullopt;
        };
        feed = std::make_unique<team::dynamodb_feed>(
            o, std::make_shared<team::credential_chain>(std::move(c)));
    }

    bool elevated(const std::string& user, const std::string& account, const std::string& role) {
        std::shared_ptr<const team::feed_status> keep;
        auto v = feed->view(now, keep);
        return v.available() && v.set()->active(user, *core::account_id::parse(account), role, now);
    }

    // The decision for a console session of `user` in `account` as `role`, through the policy.
    core::decision decide(const std::string& user, const std::string& account) {
        core::policy_config pc;
        core::rule_config g;
        g.name = "gated";
        g.effect = core::rule_effect::allow_with_elevation;
        g.accounts = {*core::account_id::parse(gated)};
        core::rule_config a;
        a.name = "open";
        a.effect = core::rule_effect::allow;
        a.accounts = {*core::account_id::parse(open_account)};
        pc.rules = {g, a};
        core::compiled_policy policy(pc);
        core::sign_in_attempt at;
        at.flow = core::sign_in_flow::console_session;
        at.phase = core::auth_phase::post_auth;
        at.account = core::account_id::parse(account);
        at.permission_set = "Admin";
        at.role_name = "AWSReservedSSO_Admin_0123456789abcdef";
        at.user = user;
        at.time = now;
        std::shared_ptr<const team::feed_status> keep;
        return core::evaluate(at, policy, feed->view(now, keep), now);
    }

    fs::path db_dir;
    std::unique_ptr<dynalite_process> dyn;
    std::unique_ptr<team::dynamodb_feed> feed;
    clock_type::time_point now = t0;
    std::vector<std::chrono::milliseconds> slept;
};

TEST_F(dynamodb_feed_live, elevations_appear_expire_and_get_revoked_across_pages) {
    // 13 in-progress requests of other users (4 pages at Limit 4), plus history in other states.
    for (int i = 0; i < 13; ++i)
        put(item("other" + std::to_string(i), "user" + std::to_string(i), gated, "Admin",
                 "2026-12-04T11:00:00.000Z", "4", "in progress"));
    put(item("old", "alice", gated, "Admin", "2026-12-04T08:00:00Z", "1", "ended"));
    put(item("rej", "alice", gated, "Admin", "2026-12-04T11:00:00Z", "4", "rejected"));
    make_feed();
    ASSERT_TRUE(feed->refresh()) << feed->health().last_error;
    auto h = feed->health();
    EXPECT_EQ(h.items, 13u);
    EXPECT_GE(h.pages, 4u);
    EXPECT_FALSE(elevated("alice", gated, "Admin"));
    EXPECT_EQ(decide("alice", gated).why, core::reason::elevation_missing);
    EXPECT_NE(feed->poll().find("13 in-progress requests"), std::string::npos);

    // Appears: TEAM grants alice (startTime in a +02:00 offset, as before the grant rewrites it).
    put(item("r1", "alice", gated, "Admin", "2026-12-04T13:30:00+02:00", "1", "in progress"));
    ASSERT_TRUE(feed->refresh());
    EXPECT_TRUE(elevated("alice", gated, "Admin"));
    EXPECT_TRUE(elevated("ALICE", gated, "Admin"));
    EXPECT_FALSE(elevated("alice", gated, "ReadOnly"));
    EXPECT_EQ(decide("alice", gated).why, core::reason::elevation_active);

    // Expires: the window (11:30 + 1 h UTC) passes while the item still says in progress.
    now = t0 + 31min;
    ASSERT_TRUE(feed->refresh());
    EXPECT_FALSE(elevated("alice", gated, "Admin"));
    auto ran_out = decide("alice", gated);
    EXPECT_EQ(ran_out.why, core::reason::elevation_expired);
    EXPECT_EQ(ran_out.elevation_id, "r1");
    EXPECT_EQ(ran_out.elevation_ticket, "CHGr1");

    // Revoked: a fresh grant, then TEAM sets status revoked.
    put(item("r2", "alice", gated, "Admin", "2026-12-04T12:20:00.123Z", "2", "in progress"));
    ASSERT_TRUE(feed->refresh());
    EXPECT_TRUE(elevated("alice", gated, "Admin"));
    auto granted = decide("alice", gated);
    EXPECT_EQ(granted.why, core::reason::elevation_active);
    EXPECT_EQ(granted.elevation_id, "r2");
    EXPECT_EQ(granted.elevation_end, *core::parse_rfc3339("2026-12-04T14:20:00.123Z"));
    set_status("r2", "revoked");
    now = t0 + 40min;
    ASSERT_TRUE(feed->refresh());
    EXPECT_FALSE(elevated("alice", gated, "Admin"));
    // Gone from the in-progress index: remembered as ended when the refresh noticed.
    auto revoked = decide("alice", gated);
    EXPECT_EQ(revoked.why, core::reason::elevation_expired);
    EXPECT_EQ(revoked.elevation_id, "r2");
    EXPECT_EQ(revoked.elevation_end, now);
    EXPECT_EQ(feed->health().errors.size(), 0u);
}

// An elevation ended early as TEAM's own state machines write it (amplify/backend/custom/
// stepfunctions): the revoke machine's "DynamoDB UpdateEndTime" step runs `SET endTime = :time`
// with Step Functions' $$.State.EnteredTime (milliseconds, Z) while the item still says
// "in progress" and so stays in the byStatus index; only then does teamStatus write "ended".
// It stops counting at the refresh that reads the endTime, not when the status follows. An
// endTime that AppSync wrote as null ({"NULL": true}) is unset.
TEST_F(dynamodb_feed_live, an_end_time_written_while_in_progress_ends_it_at_once) {
    auto r3 = item("r3", "alice", gated, "Admin", "2026-12-04T11:50:00.000Z", "4", "in progress");
    r3["endTime"] = json::object{{"NULL", true}};
    put(r3);
    put(item("r4", "bob", gated, "Admin", "2026-12-04T11:50:00.000Z", "4", "in progress"));
    make_feed();
    ASSERT_TRUE(feed->refresh()) << feed->health().last_error;
    EXPECT_TRUE(elevated("alice", gated, "Admin"));
    EXPECT_EQ(decide("alice", gated).why, core::reason::elevation_active);

    dynamo(dyn->url(), "UpdateItem",
           {{"TableName", "requests"},
            {"Key", json::object{{"id", json::object{{"S", "r3"}}}}},
            {"UpdateExpression", "SET endTime = :time"},
            {"ExpressionAttributeValues",
             json::object{{":time", json::object{{"S", "2026-12-04T12:05:00.456Z"}}}}}});
    now = t0 + 6min;
    ASSERT_TRUE(feed->refresh()) << feed->health().last_error;
    EXPECT_EQ(feed->health().items, 2u);  // still in the index, status still in progress
    EXPECT_FALSE(elevated("alice", gated, "Admin"));
    auto ended = decide("alice", gated);
    EXPECT_EQ(ended.why, core::reason::elevation_expired);
    EXPECT_EQ(ended.elevation_id, "r3");
    EXPECT_EQ(ended.elevation_end, *core::parse_rfc3339("2026-12-04T12:05:00.456Z"));
    EXPECT_TRUE(elevated("bob", gated, "Admin"));  // another request is untouched

    set_status("r3", "ended");  // teamStatus: "revoke" in the event -> ended
    ASSERT_TRUE(feed->refresh());
    EXPECT_EQ(feed->health().items, 1u);
    EXPECT_FALSE(elevated("alice", gated, "Admin"));
    EXPECT_EQ(decide("alice", gated).why, core::reason::elevation_expired);
    EXPECT_EQ(feed->health().errors.size(), 0u);
}

TEST_F(dynamodb_feed_live, outage_fails_closed_after_the_staleness_limit_and_recovers) {
    put(item("r1", "bob", gated, "Admin", "2026-12-04T11:00:00Z", "8", "in progress"));
    make_feed();
    ASSERT_TRUE(feed->refresh());
    EXPECT_EQ(decide("bob", gated).why, core::reason::elevation_active);
    auto port = dyn->port();
    dyn->stop();  // DynamoDB unreachable

    now = t0 + 5min;
    EXPECT_FALSE(feed->refresh());
    EXPECT_EQ(slept.size(), 2u);  // max_attempts 3: two backoffs, each within its ceiling
    EXPECT_LE(slept[0], 100ms);
    EXPECT_LE(slept[1], 200ms);
    EXPECT_EQ(feed->health().errors.at("network"), 3u);
    // Within the staleness limit the last good set still answers.
    EXPECT_EQ(decide("bob", gated).why, core::reason::elevation_active);
    EXPECT_NE(feed->status()->problem.find("network"), std::string::npos);

    now = t0 + 11min;
    EXPECT_FALSE(feed->refresh());
    auto d = decide("bob", gated);
    EXPECT_EQ(d.verdict, core::effect::deny);
    EXPECT_EQ(d.why, core::reason::elevation_feed_stale);
    // Ungated accounts keep working.
    auto open = decide("bob", open_account);
    EXPECT_EQ(open.verdict, core::effect::allow);
    EXPECT_EQ(open.why, core::reason::rule_allow);

    // Back on the same port with the same data.
    dyn = std::make_unique<dynalite_process>(port, db_dir.string());
    now = t0 + 12min;
    ASSERT_TRUE(feed->refresh()) << feed->health().last_error;
    EXPECT_EQ(decide("bob", gated).why, core::reason::elevation_active);
    EXPECT_EQ(feed->status()->problem, "");
    EXPECT_EQ(feed->health().last_success, now);
}

TEST_F(dynamodb_feed_live, the_feed_thread_refreshes_on_its_own) {
    put(item("r1", "carol", gated, "Admin", "2026-12-04T11:00:00Z", "8", "in progress"));
    make_feed();
    feed->start();
    // Bounded wait for the thread's first refresh (it runs at once).
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (feed->health().refreshes == 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(10ms);
    feed->stop();
    EXPECT_EQ(feed->health().refreshes, 1u);
    EXPECT_TRUE(elevated("carol", gated, "Admin"));
}

}  // namespace
