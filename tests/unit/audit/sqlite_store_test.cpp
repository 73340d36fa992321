// The SQLite store against a real database file: written through its sink, read back through
// event_store, compared query by query with the in-memory store (audit::matches() semantics).
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "audit/store_conformance.hpp"
#include "consolegate/audit/store.hpp"
#include "consolegate/core/time.hpp"
#include "sample_event.hpp"

namespace au = consolegate::audit;
namespace cc = consolegate::core;
using namespace std::chrono_literals;

namespace {

std::filesystem::path temp_dir(const char* name) {
    auto dir =
        std::filesystem::temp_directory_path() / ("cg-sqlite-" + std::to_string(::getpid())) / name;
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

// Deterministic events spread over `days` days before `end`.
std::vector<au::event> seeded(int n, cc::time_point end, int days, unsigned seed = 7) {
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
        e.id = id;
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
        const char* people[] = {"alice@CORP.EXAMPLE", "CORP\\bob", "", "carol@corp.example"};
        e.corp_user = people[i % 4];
        e.corp_source = e.corp_user.empty() ? "none" : i % 3 ? "kerberos" : "address-map";
        out.push_back(e);
    }
    return out;
}

void write_all(const std::filesystem::path& file, const std::vector<au::event>& events,
               std::chrono::seconds max_age = 0s, std::uint64_t max_bytes = 0) {
    au::sqlite_options o;
    o.file = file;
    o.max_age = max_age;
    o.max_bytes = max_bytes;
    auto s = au::make_sqlite_sink(o);
    for (auto& e : events) s->record(e);
    s->flush();
    auto st = s->stats();
    EXPECT_EQ(st.written, events.size());
    EXPECT_EQ(st.write_errors, 0u);
}

// A file as a build of schema `version` (1, 2 or 3) left it, holding `events`: schema 1 as it
// shipped (audit/sqlite_store.cpp, migration 0) with the event's JSON in each row, then the
// shipped migrations 2 and 3 applied to it as they were written.
void write_legacy(const std::filesystem::path& file, const std::vector<au::event>& events,
                  int version) {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(file.c_str(), &raw), SQLITE_OK);
    const char* v1 = R"sql(
        CREATE TABLE schema_version (version INTEGER NOT NULL);
        INSERT INTO schema_version VALUES (1);
        CREATE TABLE events (
            seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, time_ms INTEGER NOT NULL,
            effect TEXT NOT NULL, report_only INTEGER NOT NULL, reason TEXT NOT NULL,
            flow TEXT NOT NULL, account TEXT NOT NULL, alias TEXT NOT NULL,
            ou_path TEXT NOT NULL, user TEXT NOT NULL, client TEXT NOT NULL,
            rule TEXT NOT NULL, gateway TEXT NOT NULL, event TEXT NOT NULL);
        CREATE INDEX events_time ON events (time_ms);
        CREATE INDEX events_effect_time ON events (effect, time_ms);
        CREATE INDEX events_account_time ON events (account, time_ms);
        CREATE INDEX events_user_time ON events (user, time_ms);
        CREATE INDEX events_client_time ON events (client, time_ms);
        CREATE INDEX events_rule_time ON events (rule, time_ms);
        CREATE INDEX events_reason_time ON events (reason, time_ms);)sql";
    ASSERT_EQ(sqlite3_exec(raw, v1, nullptr, nullptr, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(raw, "BEGIN", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_stmt* ins = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(raw,
                                 "INSERT INTO events (id, time_ms, effect, report_only, "
                                 "reason, flow, account, alias, ou_path, user, client, rule, "
                                 "gateway, event) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                                 "?, ?)",
                                 -1, &ins, nullptr),
              SQLITE_OK);
    for (auto& e : events) {
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      cc::parse_rfc3339(e.time)->time_since_epoch())
                      .count();
        int i = 1;
        sqlite3_bind_text(ins, i++, e.id.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(ins, i++, ms);
        for (auto* v : {&e.effect}) sqlite3_bind_text(ins, i++, v->c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(ins, i++, e.report_only);
        for (auto* v : {&e.reason, &e.flow, &e.account, &e.alias, &e.ou_path, &e.user, &e.client,
                        &e.rule, &e.gateway}) {
            sqlite3_bind_text(ins, i++, v->c_str(), -1, SQLITE_TRANSIENT);
        }
        auto json = au::to_json_line(e);
        sqlite3_bind_text(ins, i++, json.c_str(), -1, SQLITE_TRANSIENT);
        ASSERT_EQ(sqlite3_step(ins), SQLITE_DONE);
        sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    ASSERT_EQ(sqlite3_exec(raw, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
    const char* v2 = R"sql(
        ALTER TABLE events ADD COLUMN corp_user TEXT NOT NULL DEFAULT '';
        ALTER TABLE events ADD COLUMN corp_source TEXT NOT NULL DEFAULT '';
        UPDATE events SET corp_user = coalesce(json_extract(event, '$.corp_user'), ''),
                          corp_source = coalesce(json_extract(event, '$.corp_source'), '')
            WHERE json_valid(event);
        CREATE INDEX events_corp_user_time ON events (corp_user, time_ms);
        UPDATE schema_version SET version = 2;)sql";
    const char* v3 = R"sql(
        DROP INDEX IF EXISTS events_time;
        CREATE INDEX events_time ON events (time_ms, effect, report_only);
        DROP INDEX IF EXISTS events_effect_time;
        CREATE INDEX events_effect_time
            ON events (effect, time_ms, account, alias, user, client, rule, corp_user);
        UPDATE schema_version SET version = 3;)sql";
    if (version >= 2) {
        ASSERT_EQ(sqlite3_exec(raw, v2, nullptr, nullptr, nullptr), SQLITE_OK);
    }
    if (version >= 3) {
        ASSERT_EQ(sqlite3_exec(raw, v3, nullptr, nullptr, nullptr), SQLITE_OK);
    }
    sqlite3_close(raw);
}

int file_version(const std::filesystem::path& file) {
    sqlite3* raw = nullptr;
    EXPECT_EQ(sqlite3_open(file.c_str(), &raw), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(raw, "SELECT version FROM schema_version", -1, &st, nullptr);
    int v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    sqlite3_close(raw);
    return v;
}

using consolegate::test::ids;

}  // namespace

TEST(sqlite_store, every_filter_agrees_with_the_in_memory_store) {
    auto dir = temp_dir("agree");
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
    write_all(dir / "audit.sqlite", events);
    auto db = au::open_sqlite_store(dir / "audit.sqlite");
    auto mem = au::make_memory_store(events);

    std::vector<au::query> queries(20);
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
    queries[17].flow = "saml";           // its own, or the session's sign-in
    queries[18].flow = "custom-broker";  // no event's own: found only as the session's
    queries[19].flow = "console-session";
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
    EXPECT_FALSE(db->get("nope"));
}

TEST(sqlite_store, survives_a_restart_and_records_its_schema_version) {
    auto dir = temp_dir("restart");
    auto end = *cc::parse_rfc3339("2026-11-23T12:00:00Z");
    auto events = seeded(300, end, 2);
    write_all(dir / "audit.sqlite", {events.begin(), events.begin() + 100});
    write_all(dir / "audit.sqlite", {events.begin() + 100, events.end()});  // a second process
    auto db = au::open_sqlite_store(dir / "audit.sqlite");
    EXPECT_EQ(db->count({}), 300u);
    std::uint64_t seq = 0;
    auto first = db->after(seq, 1000);
    EXPECT_EQ(ids(first), ids(events));  // arrival order across both runs
    EXPECT_TRUE(db->after(seq, 1000).empty());

    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open((dir / "audit.sqlite").c_str(), &raw), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(raw, "SELECT version FROM schema_version", -1, &st, nullptr);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int(st, 0), au::sqlite_schema_version);
    sqlite3_finalize(st);
    sqlite3_prepare_v2(raw, "PRAGMA journal_mode", -1, &st, nullptr);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "wal");
    sqlite3_finalize(st);
    // A file from a newer build is refused, not misread.
    sqlite3_exec(raw, "UPDATE schema_version SET version = 99", nullptr, nullptr, nullptr);
    sqlite3_close(raw);
    EXPECT_THROW(au::open_sqlite_store(dir / "audit.sqlite"), std::runtime_error);
    au::sqlite_options o;
    o.file = dir / "audit.sqlite";
    EXPECT_THROW(au::make_sqlite_sink(o), std::runtime_error);
}

// The query plan of `sql` on `file`, one line per step.
std::string query_plan(const std::filesystem::path& file, const std::string& sql) {
    sqlite3* raw = nullptr;
    EXPECT_EQ(sqlite3_open(file.c_str(), &raw), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(raw, ("EXPLAIN QUERY PLAN " + sql).c_str(), -1, &st, nullptr),
              SQLITE_OK);
    std::string plan;
    while (sqlite3_step(st) == SQLITE_ROW) {
        plan += reinterpret_cast<const char*>(sqlite3_column_text(st, 3));
        plan += "\n";
    }
    sqlite3_finalize(st);
    sqlite3_close(raw);
    return plan;
}

TEST(sqlite_store, a_version_2_file_is_migrated_and_the_review_summaries_use_covering_indexes) {
    auto dir = temp_dir("migrate");
    auto file = dir / "audit.sqlite";
    auto end = *cc::parse_rfc3339("2026-11-23T12:00:00Z");
    auto events = seeded(200, end, 2);
    write_legacy(file, events, 2);  // what a version-2 build left: its narrower indexes
    const std::string summary =
        "SELECT client, count(*) FROM events WHERE time_ms >= 0 AND effect = 'deny' AND "
        "client != '' GROUP BY 1";
    const std::string chart =
        "SELECT time_ms / 60000, sum(effect = 'deny' AND report_only = 0) FROM events WHERE "
        "time_ms >= 0 GROUP BY 1";
    EXPECT_EQ(query_plan(file, summary).find("COVERING INDEX"), std::string::npos);

    write_all(file, {});  // a writer of this build opens it
    auto db = au::open_sqlite_store(file);
    EXPECT_EQ(db->count({}), 200u);
    // The summaries read the denials' own index, the chart the time index: neither the rows.
    EXPECT_NE(query_plan(file, summary).find("COVERING INDEX events_denied"), std::string::npos)
        << query_plan(file, summary);
    EXPECT_NE(query_plan(file, chart).find("COVERING INDEX events_time"), std::string::npos)
        << query_plan(file, chart);
}

// Schema 4 keeps each event once, in columns: a version-3 file (the event's JSON beside copies
// of its filtered fields) is rebuilt in place, and every event reads back field for field as
// it was written, its sequence (`logs --follow`) and the ID lookup kept.
TEST(sqlite_store, a_version_3_file_is_rebuilt_in_columns_and_reads_back_every_field) {
    auto dir = temp_dir("migrate3");
    auto file = dir / "audit.sqlite";
    auto end = *cc::parse_rfc3339("2026-11-23T12:00:00Z");
    auto events = seeded(300, end, 3);
    for (std::size_t i = 0; i < events.size(); ++i) {  // the fields only the JSON held
        auto& e = events[i];
        e.phase = i % 2 ? "pre-auth" : "session";
        e.host = "signin.aws.amazon.com";
        e.org = "o-aaaaaaaaaa";
        e.principal_arn = e.account.empty() ? "" : "arn:aws:iam::" + e.account + ":user/x";
        e.role = "Admin", e.permission_set = "ps-" + std::to_string(i % 3);
        e.source = "form:account", e.change_type = i % 7 ? "" : "ct-1";
        e.parse_error = i % 11 ? "" : "truncated body";
        e.idc_instance = "d-1234", e.identity_source = i % 2 ? "" : "bound";
        e.method = "POST", e.path = "/authenticate", e.query = "Action=login&redirect_uri=";
        e.team_request_id = i % 5 ? "" : "req-" + std::to_string(i);
        e.team_ticket = e.team_request_id.empty() ? "" : "CHG-1";
        e.team_end = e.team_request_id.empty() ? "" : "2026-11-23T13:00:00Z";
        e.flagged = i % 13 == 0;
    }
    write_legacy(file, events, 3);
    EXPECT_THROW(au::open_sqlite_store(file), std::runtime_error);  // readers wait for a writer
    auto later = seeded(20, end + 1h, 1, 9);
    for (auto& e : later) e.id = "new-" + e.id;
    write_all(file, later);
    EXPECT_EQ(file_version(file), au::sqlite_schema_version);

    auto db = au::open_sqlite_store(file);
    std::uint64_t seq = 0;
    auto all = db->after(seq, 1000);
    auto want = events;
    want.insert(want.end(), later.begin(), later.end());
    ASSERT_EQ(all.size(), want.size());
    for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i], want[i]) << i;
    EXPECT_EQ(seq, db->last_sequence());
    auto one = db->get(events[42].id);
    ASSERT_TRUE(one);
    EXPECT_EQ(*one, events[42]);
    auto mem = au::make_memory_store(want);
    au::query deny;
    deny.decision = "deny";
    consolegate::test::expect_same_answers(*db, *mem, deny, end);
}

// The view events_json gives a reader with only sqlite3 each event as to_json_line() writes it.
TEST(sqlite_store, the_json_view_gives_each_event_as_every_sink_writes_it) {
    auto dir = temp_dir("view");
    auto events = seeded(20, *cc::parse_rfc3339("2026-11-23T12:00:00Z"), 1);
    events[3] = au::testing::sample_event(events[3].id);  // quotes, a newline, report-only
    events[5].flagged = true;
    events[7].count = 42;  // counted repeats (docs/audit.md "Repeated requests")
    events[7].time_last = "2026-11-23T12:00:09.500Z";
    events[9].flow = "console-session";  // judged as one of its session's sign-in flows
    events[9].also_flows = "saml,iam-user";
    events[9].also_flows_either = true;
    events[11].flow = "cli-sign-in";  // a step of `aws login`
    events[11].oauth_action = "token";
    write_all(dir / "audit.sqlite", events);
    auto back = au::open_sqlite_store(dir / "audit.sqlite")->get(events[7].id);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, events[7]);
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open((dir / "audit.sqlite").c_str(), &raw), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(
        sqlite3_prepare_v2(raw, "SELECT event FROM events_json ORDER BY seq", -1, &st, nullptr),
        SQLITE_OK);
    std::size_t i = 0;
    for (; sqlite3_step(st) == SQLITE_ROW; ++i) {
        ASSERT_LT(i, events.size());
        EXPECT_EQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)),
                  au::to_json_line(events[i]));
    }
    EXPECT_EQ(i, events.size());
    sqlite3_finalize(st);
    sqlite3_close(raw);
}

// Bytes that are not UTF-8 are stored repaired and the event flagged, as every sink writes them.
TEST(sqlite_store, invalid_utf8_is_stored_repaired_and_flagged) {
    auto dir = temp_dir("utf8");
    auto end = *cc::parse_rfc3339("2026-11-23T12:00:00Z");
    auto events = seeded(3, end, 1);
    events[1].user = "bad\xff\xfe user";
    write_all(dir / "audit.sqlite", events);
    auto db = au::open_sqlite_store(dir / "audit.sqlite");
    auto e = db->get(events[1].id);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->user, "bad\xEF\xBF\xBD\xEF\xBF\xBD user");
    EXPECT_TRUE(e->flagged);
    EXPECT_EQ(au::to_json_line(*e), au::to_json_line(events[1]));
    auto fine = db->get(events[0].id);
    ASSERT_TRUE(fine);
    EXPECT_EQ(*fine, events[0]);
}

TEST(sqlite_store, retention_deletes_by_age_and_by_size) {
    auto dir = temp_dir("retention");
    auto now = std::chrono::system_clock::now();
    auto events = seeded(400, now, 10);  // ten days, to now
    write_all(dir / "age.sqlite", events, std::chrono::hours(24 * 3));
    // Retention runs when the sink opens: a restart applies it to what the last run wrote.
    write_all(dir / "age.sqlite", {}, std::chrono::hours(24 * 3));
    auto db = au::open_sqlite_store(dir / "age.sqlite");
    au::query old;
    old.until = now - std::chrono::hours(24 * 3) - 1min;
    EXPECT_EQ(db->count(old), 0u);
    auto kept = db->count({});
    EXPECT_GT(kept, 60u);
    EXPECT_LT(kept, 200u);

    auto many = seeded(20000, now, 1, 11);
    write_all(dir / "size.sqlite", many);
    auto full = std::filesystem::file_size(dir / "size.sqlite");
    write_all(dir / "size.sqlite", {}, 0s, full / 4);
    auto small = au::open_sqlite_store(dir / "size.sqlite");
    auto left = small->count({});
    EXPECT_LT(left, 20000u / 3);
    EXPECT_GT(left, 0u);
    // The newest survive: the oldest are deleted first.
    std::uint64_t seq = 0;
    auto rest = small->after(seq, 100000);
    ASSERT_FALSE(rest.empty());
    EXPECT_EQ(rest.back().id, many.back().id);
}

// A file written by a build before corp_user (schema 1) is migrated in place when the writer
// opens it: the new columns are filled in from the stored events, so old attempts are found by
// person too, and new ones are written with them.
TEST(sqlite_store, a_schema_1_file_is_migrated_and_its_events_found_by_person) {
    auto dir = temp_dir("migrate");
    auto file = dir / "audit.sqlite";
    auto end = *cc::parse_rfc3339("2026-11-23T12:00:00Z");
    auto old_events = seeded(40, end - 1h, 1, 5);
    write_legacy(file, old_events, 1);
    // A reader of this build refuses the old file until a writer has migrated it.
    EXPECT_THROW(au::open_sqlite_store(file), std::runtime_error);
    auto new_events = seeded(20, end, 1, 6);
    for (auto& e : new_events) e.id = "new-" + e.id;
    write_all(file, new_events);  // the writer migrates, then appends

    auto db = au::open_sqlite_store(file);
    auto all = old_events;
    all.insert(all.end(), new_events.begin(), new_events.end());
    auto mem = au::make_memory_store(all);
    EXPECT_EQ(db->count({}), 60u);
    for (const char* person : {"alice@corp.example", "*@CORP.EXAMPLE", "corp\\bob", ""}) {
        SCOPED_TRACE(person);
        au::query q;
        q.corp_user = person;
        EXPECT_GT(mem->count(q), 0u);
        EXPECT_EQ(db->count(q), mem->count(q));
        EXPECT_EQ(ids(db->find(q, 0, 100)), ids(mem->find(q, 0, 100)));
    }
    auto top = db->top_denied({}, au::summary_key::corp_user, 10);
    auto want = mem->top_denied({}, au::summary_key::corp_user, 10);
    ASSERT_EQ(top.size(), want.size());
    for (std::size_t j = 0; j < top.size(); ++j) {
        EXPECT_EQ(top[j].key, want[j].key);
        EXPECT_EQ(top[j].count, want[j].count);
    }
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(file.c_str(), &raw), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(raw, "SELECT version FROM schema_version", -1, &st, nullptr);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int(st, 0), au::sqlite_schema_version);
    sqlite3_finalize(st);
    sqlite3_close(raw);
}

// also_flows (schema 6) and also_flows_either (schema 8), columns with defaults, are written
// and read back as every field is, and the events_json view for sqlite3 readers carries them.
TEST(sqlite_store, the_flows_a_session_was_judged_also_as_read_back) {
    auto dir = temp_dir("also_flows");
    auto file = dir / "audit.sqlite";
    auto events = seeded(30, *cc::parse_rfc3339("2026-11-23T12:00:00Z"), 1);
    for (std::size_t i = 0; i < events.size(); ++i) {
        events[i].also_flows = i % 3 == 0   ? "saml"
                               : i % 3 == 1 ? "identity-center,custom-broker"
                                            : "";
        events[i].also_flows_either = i % 6 == 1;
    }
    write_all(file, events);
    auto db = au::open_sqlite_store(file);
    std::uint64_t seq = 0;
    auto all = db->after(seq, 1000);
    ASSERT_EQ(all.size(), events.size());
    for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i], events[i]) << i;

    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(file.c_str(), &raw), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(raw,
                                 "SELECT json_extract(event, '$.also_flows') FROM events_json "
                                 "ORDER BY seq LIMIT 1",
                                 -1, &st, nullptr),
              SQLITE_OK);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "saml");
    sqlite3_finalize(st);
    // The view writes the boolean as to_json_line does: every event's JSON from the view reads
    // back as that event.
    ASSERT_EQ(
        sqlite3_prepare_v2(raw, "SELECT event FROM events_json ORDER BY seq", -1, &st, nullptr),
        SQLITE_OK);
    std::size_t n = 0;
    for (; sqlite3_step(st) == SQLITE_ROW; ++n) {
        std::string json = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
        std::string err;
        auto e = au::from_json_line(json, &err);
        ASSERT_TRUE(e) << err << json;
        ASSERT_LT(n, events.size());
        EXPECT_EQ(e->also_flows_either, events[n].also_flows_either) << json;
        EXPECT_EQ(e->also_flows, events[n].also_flows) << json;
    }
    EXPECT_EQ(n, events.size());
    sqlite3_finalize(st);
    sqlite3_close(raw);
}

// session_corp_user (schema 7: a column with a default) is written and read back as every field
// is, and the events_json view for sqlite3 readers carries it.
TEST(sqlite_store, the_sessions_opener_reads_back) {
    auto dir = temp_dir("session_corp_user");
    auto file = dir / "audit.sqlite";
    auto events = seeded(30, *cc::parse_rfc3339("2026-11-23T12:00:00Z"), 1);
    for (std::size_t i = 0; i < events.size(); ++i)
        events[i].session_corp_user = i % 2 == 0 ? "alice@CORP.EXAMPLE" : "";
    write_all(file, events);
    auto db = au::open_sqlite_store(file);
    std::uint64_t seq = 0;
    auto all = db->after(seq, 1000);
    ASSERT_EQ(all.size(), events.size());
    for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i], events[i]) << i;

    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(file.c_str(), &raw), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(raw,
                                 "SELECT json_extract(event, '$.session_corp_user') FROM "
                                 "events_json ORDER BY seq LIMIT 1",
                                 -1, &st, nullptr),
              SQLITE_OK);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "alice@CORP.EXAMPLE");
    sqlite3_finalize(st);
    sqlite3_close(raw);
}

// oauth_action (schema 9: a column with a default) is written and read back as every field is,
// the events_json view carries it, and a schema-8 file (written before it existed) is migrated:
// its events read back with none, later ones with theirs.
TEST(sqlite_store, the_oauth_step_of_a_cli_sign_in_reads_back_and_a_version_8_file_is_migrated) {
    auto dir = temp_dir("oauth_action");
    auto file = dir / "audit.sqlite";
    auto end = *cc::parse_rfc3339("2026-11-23T12:00:00Z");
    auto old_events = seeded(10, end - 1h, 1, 3);
    write_all(file, old_events);
    {
        // What a schema-8 build left: no column, the view without it.
        sqlite3* raw = nullptr;
        ASSERT_EQ(sqlite3_open(file.c_str(), &raw), SQLITE_OK);
        ASSERT_EQ(sqlite3_exec(raw,
                               "DROP VIEW events_json; ALTER TABLE events DROP COLUMN "
                               "oauth_action; UPDATE schema_version SET version = 8",
                               nullptr, nullptr, nullptr),
                  SQLITE_OK);
        sqlite3_close(raw);
    }
    EXPECT_EQ(file_version(file), 8);
    auto events = seeded(30, end, 1, 4);
    for (std::size_t i = 0; i < events.size(); ++i) {
        events[i].id = "new-" + events[i].id;
        events[i].flow = i % 3 == 2 ? "switch-role" : "cli-sign-in";
        events[i].oauth_action = i % 3 == 0 ? "authorize" : i % 3 == 1 ? "token" : "";
    }
    write_all(file, events);  // the writer migrates, then appends
    EXPECT_EQ(file_version(file), au::sqlite_schema_version);
    auto db = au::open_sqlite_store(file);
    std::uint64_t seq = 0;
    auto all = db->after(seq, 1000);
    auto want = old_events;
    want.insert(want.end(), events.begin(), events.end());
    ASSERT_EQ(all.size(), want.size());
    for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i], want[i]) << i;
    EXPECT_EQ(db->get(events[1].id)->oauth_action, "token");
    EXPECT_EQ(db->get(old_events[0].id)->oauth_action, "");

    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(file.c_str(), &raw), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(
        sqlite3_prepare_v2(raw, "SELECT event FROM events_json ORDER BY seq", -1, &st, nullptr),
        SQLITE_OK);
    std::size_t n = 0;
    for (; sqlite3_step(st) == SQLITE_ROW; ++n) {
        ASSERT_LT(n, want.size());
        EXPECT_EQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)),
                  au::to_json_line(want[n]));
    }
    EXPECT_EQ(n, want.size());
    sqlite3_finalize(st);
    sqlite3_close(raw);
}
