// The PostgreSQL store against a real server started here (tests/support/audit/
// postgres_cluster.hpp): written through its sink, read back through event_store and compared
// query by query with the in-memory store; two writers sharing one database; the server killed
// mid-stream and restarted (nothing committed lost, everything queued arrives once); the queue
// bound while it is away; migrations, a newer schema refused, retention; the password never in
// a log line.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "audit/postgres_cluster.hpp"
#include "audit/store_conformance.hpp"
#include "consolegate/audit/store.hpp"
#include "consolegate/core/time.hpp"

namespace au = consolegate::audit;
namespace cc = consolegate::core;
using consolegate::test::postgres_cluster;
using namespace std::chrono_literals;

namespace {

// Deterministic events spread over `days` days before `end` (the SQLite store test's mix).
std::vector<au::event> seeded(int n, cc::time_point end, int days, unsigned seed = 7,
                              const std::string& id_prefix = "") {
    std::mt19937 rng(seed);
    const char* accounts[] = {"111111111111", "222222222222", "333333333333", ""};
    const char* users[] = {"alice", "Bob", "carol@example.com", ""};
    const char* rules[] = {"no-prod", "sandbox-ou", ""};
    const char* flows[] = {"iam-user", "saml", "identity-center"};
    const char* reasons[] = {"rule-deny", "rule-allow", "default-deny"};
    std::vector<au::event> out;
    for (int i = 0; i < n; ++i) {
        au::event e;
        char id[40];
        std::snprintf(id, sizeof id, "%032x", i + 1);
        e.id = id_prefix + id;
        auto t = end - std::chrono::milliseconds(rng() % (days * 86'400'000ull));
        e.time = cc::format_rfc3339(t);
        e.gateway = i % 2 ? "gw-a" : "gw-b";
        e.client = "10.0.0." + std::to_string(rng() % 5);
        e.flow = flows[rng() % 3];
        e.account = accounts[rng() % 4];
        e.alias = e.account.empty() ? "Acme-Prod" : "";
        e.ou_path = e.account == "222222222222" ? "o-aaaaaaaaaa/r-abcd/ou-abcd-22222222/" : "";
        e.user = users[rng() % 4];
        auto r = rng() % 3;
        e.reason = reasons[r];
        e.effect = r == 1 ? "allow" : "deny";
        e.report_only = e.effect == "deny" && rng() % 4 == 0;
        e.enforced = e.report_only ? "allow" : e.effect;
        e.rule = r == 2 ? "" : rules[rng() % 2];
        // The person on the corporate network, by position (the random draws stay as they were).
        const char* people[] = {"alice@CORP.EXAMPLE", "CORP\\bob_x%", "", "carol@corp.example"};
        e.corp_user = people[i % 4];
        e.corp_source = e.corp_user.empty() ? "none" : i % 3 ? "kerberos" : "address-map";
        out.push_back(e);
    }
    return out;
}

au::postgres_options options(const postgres_cluster& pg, std::size_t queue_limit = 65536) {
    au::postgres_options o;
    o.connection = pg.connection();
    o.password = postgres_cluster::password;
    o.max_age = 0s;
    o.queue.max_events = queue_limit;
    o.queue.flush_interval = 100ms;
    o.queue.give_up = 60s;
    return o;
}

std::unique_ptr<au::event_store> reader(const postgres_cluster& pg) {
    return au::open_postgres_store(pg.connection(), postgres_cluster::password);
}

using consolegate::test::ids;

// Everything the process writes to stderr (the log facade's lines) while it lives.
class captured_stderr {
  public:
    explicit captured_stderr(const std::filesystem::path& file) : file_(file) {
        std::fflush(stderr);
        saved_ = ::dup(2);
        int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        ::dup2(fd, 2);
        ::close(fd);
    }
    ~captured_stderr() {
        ::dup2(saved_, 2);
        ::close(saved_);
    }
    std::string text() const {
        std::ifstream in(file_);
        return {std::istreambuf_iterator<char>(in), {}};
    }

  private:
    std::filesystem::path file_;
    int saved_;
};

// Waits (bounded) for a condition the writer thread makes true.
template <class F>
bool eventually(F&& f, std::chrono::seconds limit = 60s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (f()) return true;
        std::this_thread::sleep_for(20ms);
    }
    return f();
}

}  // namespace

TEST(postgres_store, every_filter_agrees_with_the_in_memory_store) {
    postgres_cluster pg;
    auto end = *cc::parse_rfc3339("2026-11-23T12:00:00Z");
    auto events = seeded(2000, end, 7);
    // Console requests judged also as the sign-in that opened their session: --flow finds
    // them under that flow too, as a rule's `flows` selects them, whether the session's sign-in
    // was each of them or one of them (also_flows_either), which reads back as written.
    for (std::size_t i = 1; i < events.size(); i += 5) {
        events[i].flow = "console-session";
        events[i].also_flows = i % 2 ? "saml" : "identity-center,custom-broker";
        events[i].also_flows_either = i % 4 == 2;
    }
    // Steps of `aws login` (oauth_action): in the event and in their own column.
    std::size_t tokens = 0;
    for (std::size_t i = 3; i < events.size(); i += 5) {
        events[i].flow = "cli-sign-in";
        events[i].oauth_action = i % 2 ? "token" : "authorize";
        tokens += i % 2;
    }
    {
        auto s = au::make_postgres_sink(options(pg));
        for (auto& e : events) s->record(e);
        s->flush();
        auto st = s->stats();
        EXPECT_EQ(st.written, events.size());
        EXPECT_EQ(st.write_errors, 0u);
    }
    auto db = reader(pg);
    auto mem = au::make_memory_store(events);

    std::vector<au::query> queries(21);
    queries[1].decision = "deny";
    queries[2].mode = "report-only";
    queries[3].mode = "enforced";
    queries[4].since = end - 48h;
    queries[5].until = end - 24h, queries[5].since = end - 72h;
    queries[6].account = "222222222222";
    queries[7].account = "acme-prod";  // alias, case-insensitive
    queries[8].user = "BOB";
    queries[9].ou = "ou-abcd-22222222";
    queries[10].client = "10.0.0.3", queries[10].flow = "saml";
    queries[11].rule = "no-prod", queries[11].reason = "rule-deny";
    queries[12].decision = "deny", queries[12].user = "alice", queries[12].since = end - 96h;
    queries[13].corp_user = "ALICE@corp.example";
    queries[14].corp_user = "*@corp.example";  // alice and carol, whatever the case
    queries[15].corp_user = "corp\\*", queries[15].decision = "deny";
    queries[16].corp_user = "";          // the unidentified
    queries[17].corp_user = "*_x%";      // LIKE's own wildcards are literal in a glob
    queries[18].flow = "saml";           // its own, or the session's sign-in
    queries[19].flow = "custom-broker";  // no event's own: found only as the session's
    queries[20].flow = "console-session";
    for (std::size_t i = 0; i < queries.size(); ++i) {
        SCOPED_TRACE("query " + std::to_string(i));
        consolegate::test::expect_same_answers(*db, *mem, queries[i], end);
    }
    auto one = db->get(events[17].id);
    ASSERT_TRUE(one);
    EXPECT_EQ(*one, events[17]);
    // A session's attempts read back as written, whether judged as each of its sign-in's flows
    // (16) or as one of them (6: also_flows_either).
    for (std::size_t i : {std::size_t{6}, std::size_t{11}, std::size_t{16}}) {
        auto got = db->get(events[i].id);
        ASSERT_TRUE(got) << i;
        EXPECT_EQ(*got, events[i]) << i;
    }
    EXPECT_TRUE(db->get(events[6].id)->also_flows_either);
    EXPECT_FALSE(db->get(events[16].id)->also_flows_either);
    for (std::size_t i : {std::size_t{3}, std::size_t{8}}) {
        auto got = db->get(events[i].id);
        ASSERT_TRUE(got) << i;
        EXPECT_EQ(*got, events[i]) << i;
    }
    EXPECT_EQ(db->get(events[3].id)->oauth_action, "token");
    EXPECT_EQ(db->get(events[8].id)->oauth_action, "authorize");
    EXPECT_EQ(pg.psql("SELECT count(*) FROM consolegate_events WHERE oauth_action = 'token'"),
              std::to_string(tokens));
    EXPECT_EQ(
        pg.psql("SELECT oauth_action FROM consolegate_events WHERE id = '" + events[8].id + "'"),
        "authorize");
    EXPECT_FALSE(db->get("nope"));
    // Unlimited pages ("no limit" is SIZE_MAX) and the follow cursor.
    EXPECT_EQ(db->find({}, 0, SIZE_MAX).size(), events.size());
    std::uint64_t seq = 0;
    auto first = db->after(seq, 1500);
    auto rest = db->after(seq, 1500);
    EXPECT_EQ(first.size() + rest.size(), events.size());
    EXPECT_EQ(seq, db->last_sequence());
    EXPECT_EQ(first.front(), events.front());  // arrival order
    EXPECT_EQ(pg.psql("SELECT version FROM consolegate_schema_version"),
              std::to_string(au::postgres_schema_version));
}

TEST(postgres_store, two_writers_share_one_record_and_each_reader_sees_both) {
    postgres_cluster pg;
    auto end = *cc::parse_rfc3339("2026-11-23T12:00:00Z");
    auto a = seeded(3000, end, 2, 1, "a"), b = seeded(3000, end, 2, 2, "b");
    for (auto& e : a) e.gateway = "gw-a";
    for (auto& e : b) e.gateway = "gw-b";
    // Both writers connect and migrate (once, under the advisory lock) at construction.
    auto sa = au::make_postgres_sink(options(pg));
    auto sb = au::make_postgres_sink(options(pg));
    // A follower from the start, reading while both write: the advisory lock makes sequence
    // order commit order, so "seq > last seen" never skips a batch committed late.
    std::set<std::string> followed;
    std::thread follower([&] {
        auto r = reader(pg);
        std::uint64_t seq = 0;
        auto deadline = std::chrono::steady_clock::now() + 120s;
        while (followed.size() < 6000 && std::chrono::steady_clock::now() < deadline) {
            auto batch = r->after(seq, 500);
            for (auto& e : batch) EXPECT_TRUE(followed.insert(e.id).second) << e.id;
            if (batch.empty()) std::this_thread::sleep_for(10ms);
        }
    });
    std::thread ta([&] {
        for (auto& e : a) sa->record(e);
    });
    std::thread tb([&] {
        for (auto& e : b) sb->record(e);
    });
    ta.join();
    tb.join();
    sa->flush();
    sb->flush();
    EXPECT_EQ(sa->stats().written, a.size());
    EXPECT_EQ(sb->stats().written, b.size());
    follower.join();
    EXPECT_EQ(followed.size(), a.size() + b.size());
    auto r1 = reader(pg), r2 = reader(pg);
    for (auto* r : {r1.get(), r2.get()}) {
        EXPECT_EQ(r->count({}), a.size() + b.size());
        std::set<std::string> gateways;
        for (auto& e : r->find({}, 0, 100)) gateways.insert(e.gateway);
        EXPECT_EQ(gateways, (std::set<std::string>{"gw-a", "gw-b"}));
    }
    EXPECT_EQ(pg.psql("SELECT count(*) FROM consolegate_events WHERE gateway = 'gw-a'"), "3000");
}

TEST(postgres_store, a_server_killed_mid_stream_loses_nothing_committed_and_queued_events_arrive) {
    postgres_cluster pg;
    captured_stderr err(pg.dir() / "stderr.log");
    auto end = *cc::parse_rfc3339("2026-11-23T12:00:00Z");
    auto events = seeded(3000, end, 1);
    auto s = au::make_postgres_sink(options(pg));
    std::size_t i = 0;
    // Stream until some batches have committed, then kill the server while events keep coming.
    for (; i < 1000; ++i) {
        s->record(events[i]);
        if (i % 50 == 0) std::this_thread::sleep_for(1ms);
    }
    ASSERT_TRUE(eventually([&] { return s->stats().written >= 500; }));
    pg.stop();
    auto committed = s->stats().written;  // acknowledged: these must survive the crash
    for (; i < 2000; ++i) s->record(events[i]);
    // The writer meets the dead server and keeps what it could not commit: nothing is counted
    // lost, nothing dropped.
    ASSERT_TRUE(eventually([&] {
        return err.text().find("postgres unavailable: batch kept") != std::string::npos;
    })) << err.text()
        << " written " << s->stats().written << " queued " << s->stats().queued << " errors "
        << s->stats().write_errors;
    auto down = s->stats();
    EXPECT_EQ(down.dropped, 0u);
    EXPECT_EQ(down.write_errors, 0u);
    EXPECT_EQ(down.written + down.queued, 2000u) << "queued " << down.queued;
    pg.start();
    for (; i < 3000; ++i) s->record(events[i]);
    s->flush();
    auto st = s->stats();
    EXPECT_EQ(st.written, 3000u);
    EXPECT_EQ(st.dropped, 0u);
    EXPECT_EQ(st.write_errors, 0u);
    auto db = reader(pg);
    EXPECT_EQ(db->count({}), 3000u);  // once each: a batch resent after the crash is not doubled
    EXPECT_EQ(pg.psql("SELECT count(DISTINCT id) FROM consolegate_events"), "3000");
    for (std::size_t k = 0; k < committed; ++k) ASSERT_TRUE(db->get(events[k].id)) << k;
    s.reset();
    auto log = err.text();
    EXPECT_NE(log.find("postgres unavailable: batch kept, retrying"), std::string::npos) << log;
    EXPECT_NE(log.find("postgres reachable again"), std::string::npos) << log;
    EXPECT_EQ(log.find(postgres_cluster::password), std::string::npos) << log;
}

TEST(postgres_store, while_the_server_is_away_the_queue_bound_holds_and_drops_are_counted) {
    postgres_cluster pg;
    captured_stderr err(pg.dir() / "stderr.log");
    auto end = *cc::parse_rfc3339("2026-11-23T12:00:00Z");
    auto events = seeded(250, end, 1);
    pg.stop();
    auto s = au::make_postgres_sink(options(pg, 100));  // unreachable at start: no error
    for (auto& e : events) s->record(e);
    auto st = s->stats();
    EXPECT_EQ(st.recorded, 100u);
    EXPECT_EQ(st.dropped, 150u);
    pg.start();
    s->flush();
    st = s->stats();
    EXPECT_EQ(st.written, 100u);
    EXPECT_EQ(reader(pg)->count({}), 100u);
    s.reset();
    auto log = err.text();
    EXPECT_NE(log.find("postgres unreachable at start"), std::string::npos) << log;
    EXPECT_NE(log.find("queue full: event dropped"), std::string::npos) << log;
    EXPECT_NE(log.find("database=consolegate@" + pg.dir().string() + ":5432/postgres"),
              std::string::npos)
        << log;
    EXPECT_EQ(log.find(postgres_cluster::password), std::string::npos) << log;
}

TEST(postgres_store, migrations_refuse_a_newer_schema_and_retention_deletes_old_events) {
    postgres_cluster pg;
    // A reader never creates tables.
    EXPECT_THROW(reader(pg), std::runtime_error);
    auto now = std::chrono::system_clock::now();
    auto old_events = seeded(50, now - 200 * 24h, 1, 3, "old");
    auto new_events = seeded(50, now, 1, 4, "new");
    {
        auto s = au::make_postgres_sink(options(pg));  // migrates
        for (auto& e : old_events) s->record(e);
        for (auto& e : new_events) s->record(e);
        s->flush();
    }
    EXPECT_EQ(reader(pg)->count({}), 100u);
    {
        auto o = options(pg);
        o.max_age = std::chrono::hours(24 * 90);
        auto s = au::make_postgres_sink(o);  // retention runs when it connects
    }
    auto db = reader(pg);
    EXPECT_EQ(db->count({}), 50u);
    EXPECT_FALSE(db->get(old_events[0].id));
    EXPECT_TRUE(db->get(new_events[0].id));

    pg.psql("UPDATE consolegate_schema_version SET version = " +
            std::to_string(au::postgres_schema_version + 1));
    EXPECT_THROW(au::make_postgres_sink(options(pg)), std::runtime_error);
    EXPECT_THROW(reader(pg), std::runtime_error);
    // A wrong password is a connection error, and its message carries no password.
    try {
        au::open_postgres_store(pg.connection(), "not-the-password");
        ADD_FAILURE() << "a wrong password was accepted";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("password authentication failed"), std::string::npos)
            << e.what();
        EXPECT_EQ(std::string(e.what()).find("not-the-password"), std::string::npos);
    }
}

// A database written by a build before corp_user (schema 1) is migrated by the first writer of
// this build: the columns are filled in from the stored events, so old attempts are found by
// person too.
TEST(postgres_store, a_schema_1_database_is_migrated_and_its_events_found_by_person) {
    postgres_cluster pg;
    auto end = *cc::parse_rfc3339("2026-11-23T12:00:00Z");
    auto old_events = seeded(40, end - 1h, 1, 5, "old");
    std::string sql =
        "CREATE TABLE consolegate_schema_version (version integer NOT NULL);"
        "INSERT INTO consolegate_schema_version VALUES (1);"
        "CREATE TABLE consolegate_events (seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
        " id text COLLATE \"C\" NOT NULL UNIQUE, time_ms bigint NOT NULL,"
        " effect text COLLATE \"C\" NOT NULL, report_only boolean NOT NULL,"
        " reason text COLLATE \"C\" NOT NULL, flow text COLLATE \"C\" NOT NULL,"
        " account text COLLATE \"C\" NOT NULL, alias text COLLATE \"C\" NOT NULL,"
        " ou_path text COLLATE \"C\" NOT NULL, user_name text COLLATE \"C\" NOT NULL,"
        " client text COLLATE \"C\" NOT NULL, rule text COLLATE \"C\" NOT NULL,"
        " gateway text COLLATE \"C\" NOT NULL, event text NOT NULL);";
    auto lit = [](const std::string& v) {
        std::string out = "'";
        for (char c : v) out += c == '\'' ? std::string("''") : std::string(1, c);
        return out + "'";
    };
    for (auto& e : old_events) {
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      cc::parse_rfc3339(e.time)->time_since_epoch())
                      .count();
        sql +=
            "INSERT INTO consolegate_events (id, time_ms, effect, report_only, reason, flow, "
            "account, alias, ou_path, user_name, client, rule, gateway, event) VALUES (" +
            lit(e.id) + "," + std::to_string(ms) + "," + lit(e.effect) + "," +
            (e.report_only ? "true" : "false") + "," + lit(e.reason) + "," + lit(e.flow) + "," +
            lit(e.account) + "," + lit(e.alias) + "," + lit(e.ou_path) + "," + lit(e.user) + "," +
            lit(e.client) + "," + lit(e.rule) + "," + lit(e.gateway) + "," +
            lit(au::to_json_line(e)) + ");";
    }
    // Through a file: the events' JSON is not for a shell's quotes.
    auto file = pg.dir() / "schema-1.sql";
    std::ofstream(file) << sql;
    pg.psql("\\i " + file.string());
    EXPECT_THROW(reader(pg), std::runtime_error);  // a reader never migrates
    auto new_events = seeded(20, end, 1, 6, "new");
    new_events[0].flow = "cli-sign-in";
    new_events[0].oauth_action = "token";
    {
        auto s = au::make_postgres_sink(options(pg));  // migrates, then appends
        for (auto& e : new_events) s->record(e);
        s->flush();
        EXPECT_EQ(s->stats().written, new_events.size());
    }
    auto db = reader(pg);
    auto all = old_events;
    all.insert(all.end(), new_events.begin(), new_events.end());
    auto mem = au::make_memory_store(all);
    EXPECT_EQ(db->count({}), 60u);
    for (const char* person : {"alice@corp.example", "*@CORP.EXAMPLE", "corp\\bob*", ""}) {
        SCOPED_TRACE(person);
        au::query q;
        q.corp_user = person;
        EXPECT_GT(mem->count(q), 0u);
        EXPECT_EQ(db->count(q), mem->count(q));
    }
    // Schema 4's column: the old events have no step of `aws login`, the new one its own.
    EXPECT_EQ(pg.psql("SELECT count(*) FROM consolegate_events WHERE oauth_action <> ''"), "1");
    EXPECT_EQ(*db->get(new_events[0].id), new_events[0]);
    EXPECT_EQ(db->get(old_events[0].id)->oauth_action, "");
    auto top = db->top_denied({}, au::summary_key::corp_user, 10);
    auto want = mem->top_denied({}, au::summary_key::corp_user, 10);
    ASSERT_EQ(top.size(), want.size());
    for (std::size_t j = 0; j < top.size(); ++j) EXPECT_EQ(top[j].count, want[j].count);
}
