// The PostgreSQL store: the shared record of a fleet. The same table shape and queries as the
// SQLite store (the full event as JSON plus the columns the review queries filter and sort on),
// written by every replica, read by any.
//
// Ordering across writers: each batch is one transaction that first takes a transaction-scoped
// advisory lock, so the identity values (`seq`) of one batch are all below those of any batch
// that commits after it. `logs --follow` reads "seq > last seen" and therefore never skips a
// batch that another replica committed late with lower sequence numbers.
#include <algorithm>
#include <array>
#include <fstream>
#include <random>
#include <stdexcept>

#include "consolegate/audit/store.hpp"
#include "consolegate/log/log.hpp"
#include "postgres_db.hpp"
#include "queued_sink.hpp"

namespace consolegate::audit {
namespace {

// Migration i takes the database from version i to i + 1; never edit one that has shipped.
// Text columns compare bytewise (COLLATE "C"), as SQLite does, so sorting and ties agree
// whatever the database's locale, and the indexes need no locale either. Every index ends in
// (time_ms, seq): the review query's order, so a filtered page is one backward index range scan.
constexpr std::array<const char*, postgres_schema_version> migrations{{
    R"sql(
    CREATE TABLE consolegate_events (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id text COLLATE "C" NOT NULL UNIQUE,
        time_ms bigint NOT NULL,
        effect text COLLATE "C" NOT NULL,
        report_only boolean NOT NULL,
        reason text COLLATE "C" NOT NULL,
        flow text COLLATE "C" NOT NULL,
        account text COLLATE "C" NOT NULL,
        alias text COLLATE "C" NOT NULL,
        ou_path text COLLATE "C" NOT NULL,
        user_name text COLLATE "C" NOT NULL,
        client text COLLATE "C" NOT NULL,
        rule text COLLATE "C" NOT NULL,
        gateway text COLLATE "C" NOT NULL,
        event text NOT NULL
    );
    CREATE INDEX consolegate_events_time ON consolegate_events (time_ms, seq);
    CREATE INDEX consolegate_events_effect_time ON consolegate_events (effect, time_ms, seq);
    CREATE INDEX consolegate_events_account_time ON consolegate_events (account, time_ms, seq);
    CREATE INDEX consolegate_events_alias_time ON consolegate_events (lower(alias), time_ms, seq);
    CREATE INDEX consolegate_events_user_time ON consolegate_events (user_name, time_ms, seq);
    CREATE INDEX consolegate_events_client_time ON consolegate_events (client, time_ms, seq);
    CREATE INDEX consolegate_events_rule_time ON consolegate_events (rule, time_ms, seq);
    CREATE INDEX consolegate_events_reason_time ON consolegate_events (reason, time_ms, seq);
    CREATE INDEX consolegate_events_gateway_time ON consolegate_events (gateway, time_ms, seq);
    )sql",
    // 2: the person on the corporate network (issue 15), filled in from the stored events.
    R"sql(
    ALTER TABLE consolegate_events ADD COLUMN corp_user text COLLATE "C" NOT NULL DEFAULT '';
    ALTER TABLE consolegate_events ADD COLUMN corp_source text COLLATE "C" NOT NULL DEFAULT '';
    UPDATE consolegate_events
        SET corp_user = coalesce(event::jsonb ->> 'corp_user', ''),
            corp_source = coalesce(event::jsonb ->> 'corp_source', '');
    CREATE INDEX consolegate_events_corp_user_time
        ON consolegate_events (corp_user, time_ms, seq);
    )sql",
    // 3: the review page's chart and summaries read a day of events out of millions: covering
    // indexes (index-only scans once autovacuum has visited), never the ~1 KiB rows.
    R"sql(
    DROP INDEX IF EXISTS consolegate_events_time;
    CREATE INDEX consolegate_events_time ON consolegate_events (time_ms, seq)
        INCLUDE (effect, report_only);
    DROP INDEX IF EXISTS consolegate_events_effect_time;
    CREATE INDEX consolegate_events_effect_time ON consolegate_events (effect, time_ms, seq)
        INCLUDE (account, alias, user_name, client, rule, corp_user);
    )sql",
    // 4: a cli-sign-in attempt's step of `aws login` (oauth_action). No stored event has one
    // (its writers predate the field), so nothing is filled in: a default, no table rewrite;
    // a replica of an older build goes on inserting without it.
    R"sql(
    ALTER TABLE consolegate_events ADD COLUMN oauth_action text COLLATE "C" NOT NULL DEFAULT '';
    )sql",
}};

// Serialises migrations and batch inserts across the fleet (any constant unique to us).
constexpr const char* advisory_key = "7142018573106237441";
constexpr std::size_t rows_per_statement = 500;  // 17 parameters each, far below libpq's 65535
constexpr int columns_per_row = 17;
constexpr auto backoff_min = std::chrono::milliseconds(250);
constexpr auto backoff_max = std::chrono::milliseconds(5000);

std::int64_t to_ms(core::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::string num(std::int64_t v) {
    return std::to_string(v);
}

void rollback(pg::connection& db) noexcept {
    try {
        if (db.ok()) db.exec("ROLLBACK");
    } catch (const std::exception&) {
        // the connection is gone; the server rolls back on its own
    }
}

std::int64_t version_of(pg::connection& db) {
    auto exists = db.scalar(
        "SELECT count(*) FROM pg_catalog.pg_tables WHERE tablename = "
        "'consolegate_schema_version' AND schemaname = current_schema()");
    if (exists == 0) return 0;
    return db.scalar("SELECT coalesce(max(version), 0) FROM consolegate_schema_version");
}

// One transaction under the fleet-wide lock, so replicas starting together migrate once.
void migrate(pg::connection& db) {
    db.exec("BEGIN");
    try {
        db.exec(std::string("SELECT pg_advisory_xact_lock(") + advisory_key + ")");
        db.exec("CREATE TABLE IF NOT EXISTS consolegate_schema_version (version integer NOT NULL)");
        auto have = version_of(db);
        if (have > postgres_schema_version) {
            throw std::runtime_error("audit database has schema version " + num(have) +
                                     ", newer than this build's " + num(postgres_schema_version));
        }
        for (auto v = have; v < postgres_schema_version; ++v) {
            db.exec_script(migrations[static_cast<std::size_t>(v)]);
            db.exec("DELETE FROM consolegate_schema_version");
            db.exec("INSERT INTO consolegate_schema_version VALUES ($1)", {num(v + 1)});
        }
        db.exec("COMMIT");
    } catch (...) {
        rollback(db);
        throw;
    }
}

// The WHERE clause of a query with its parameters, in the same terms as audit::matches() and
// the SQLite store.
class where_clause {
  public:
    explicit where_clause(const query& q) {
        eq("effect", q.decision);
        if (q.flow) {
            // Its own flow or one it was judged also as (audit::matches); also_flows is in the
            // event's JSON alone (absent from events written before it existed).
            auto p = bind(*q.flow);
            sql_ += " AND (flow = " + p + " OR strpos(',' || coalesce(event::jsonb ->> " +
                    "'also_flows', '') || ',', ',' || " + p + "::text || ',') > 0)";
        }
        eq("reason", q.reason);
        eq("client", q.client);
        eq("rule", q.rule);
        if (q.mode) sql_ += " AND report_only = " + bind(*q.mode == "report-only" ? "t" : "f");
        if (q.since) sql_ += " AND time_ms >= " + bind(num(to_ms(*q.since)));
        if (q.until) sql_ += " AND time_ms < " + bind(num(to_ms(*q.until)));
        if (q.account) {
            auto p = bind(*q.account);
            sql_ += " AND (account = " + p + " OR lower(alias) = lower(" + p + "::text))";
        }
        if (q.ou) sql_ += " AND strpos(ou_path, " + bind(*q.ou) + "::text) > 0";
        if (q.user) sql_ += " AND strpos(lower(user_name), lower(" + bind(*q.user) + "::text)) > 0";
        if (q.corp_user) {
            sql_ += " AND lower(corp_user) LIKE " + bind(like_pattern(*q.corp_user)) +
                    "::text ESCAPE '\\'";
        }
    }
    // A core::glob as LIKE: `*` -> `%`, `?` -> `_`, the rest literal; ASCII lower case (the
    // column is compared lowered: ASCII case-insensitive, as audit::matches()).
    static std::string like_pattern(std::string_view glob) {
        std::string out;
        for (char c : glob) {
            if (c == '*') {
                out += '%';
            } else if (c == '?') {
                out += '_';
            } else {
                if (c == '%' || c == '_' || c == '\\') out += '\\';
                out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
            }
        }
        return out;
    }
    // "$n" for a new parameter.
    std::string bind(std::string v) {
        params_.push_back(std::move(v));
        return "$" + std::to_string(params_.size());
    }
    const std::string& sql() const { return sql_; }
    std::vector<std::string>& params() { return params_; }

  private:
    void eq(const char* column, const std::optional<std::string>& v) {
        if (v) sql_ += std::string(" AND ") + column + " = " + bind(*v);
    }
    std::string sql_ = " WHERE true";
    std::vector<std::string> params_;
};

event parse_row(const std::string& json) {
    std::string error;
    auto e = from_json_line(json, &error);
    if (!e) throw std::runtime_error("audit database holds an unreadable event: " + error);
    return std::move(*e);
}

class postgres_store final : public event_store {
  public:
    postgres_store(const std::string& connection, const std::string& password)
        : db_(connection, password) {
        auto v = version_of(db_);
        if (v != postgres_schema_version) {
            throw std::runtime_error("audit database " + pg::describe(connection) +
                                     " has schema version " + num(v) + ", this build reads " +
                                     num(postgres_schema_version));
        }
    }

    std::vector<event> find(const query& q, std::size_t offset, std::size_t limit) override {
        where_clause w(q);
        auto sql = "SELECT event FROM consolegate_events" + w.sql() +
                   " ORDER BY time_ms DESC, seq DESC LIMIT " + w.bind(num(clamp(limit))) +
                   " OFFSET " + w.bind(num(clamp(offset)));
        auto r = db_.exec(sql, w.params());
        std::vector<event> out;
        for (int i = 0; i < r.rows(); ++i) out.push_back(parse_row(r.text(i, 0)));
        return out;
    }

    std::uint64_t count(const query& q) override {
        where_clause w(q);
        return static_cast<std::uint64_t>(
            db_.scalar("SELECT count(*) FROM consolegate_events" + w.sql(), w.params()));
    }

    std::optional<event> get(std::string_view id) override {
        auto r = db_.exec("SELECT event FROM consolegate_events WHERE id = $1", {std::string(id)});
        if (r.rows() == 0) return std::nullopt;
        return parse_row(r.text(0, 0));
    }

    std::vector<count_row> top_denied(const query& q, summary_key k, std::size_t n) override {
        const char* column = k == summary_key::account
                                 ? "(CASE WHEN account <> '' THEN account ELSE alias END)"
                             : k == summary_key::user      ? "user_name"
                             : k == summary_key::client    ? "client"
                             : k == summary_key::corp_user ? "corp_user"
                                                           : "rule";
        where_clause w(q);
        auto sql = std::string("SELECT ") + column + ", count(*) FROM consolegate_events" +
                   w.sql() + " AND effect = 'deny' AND " + column + " <> '' GROUP BY 1 " +
                   "ORDER BY 2 DESC, 1 LIMIT " + w.bind(num(clamp(n)));
        auto r = db_.exec(sql, w.params());
        std::vector<count_row> out;
        for (int i = 0; i < r.rows(); ++i)
            out.push_back({r.text(i, 0), static_cast<std::uint64_t>(r.integer(i, 1))});
        return out;
    }

    // Every key's counts from one scan of the matching denials; ranked here.
    std::vector<std::vector<count_row>> top_denied_each(const query& q,
                                                        std::span<const summary_key> keys,
                                                        std::size_t n) override {
        where_clause w(q);
        std::string values;
        for (std::size_t i = 0; i < keys.size(); ++i) {
            const char* column = keys[i] == summary_key::account
                                     ? "CASE WHEN account <> '' THEN account ELSE alias END"
                                 : keys[i] == summary_key::user      ? "user_name"
                                 : keys[i] == summary_key::client    ? "client"
                                 : keys[i] == summary_key::corp_user ? "corp_user"
                                                                     : "rule";
            values += (i ? ", (" : "(") + std::to_string(i) + ", " + column + ")";
        }
        std::vector<std::unordered_map<std::string, std::uint64_t>> counts(keys.size());
        if (!keys.empty()) {
            auto sql =
                "SELECT s.k, s.v, count(*) FROM consolegate_events CROSS JOIN LATERAL (VALUES " +
                values + ") AS s(k, v)" + w.sql() + " AND effect = 'deny' AND s.v <> '' " +
                "GROUP BY 1, 2";
            auto r = db_.exec(sql, w.params());
            for (int i = 0; i < r.rows(); ++i) {
                auto k = static_cast<std::size_t>(r.integer(i, 0));
                if (k < counts.size())
                    counts[k][r.text(i, 1)] += static_cast<std::uint64_t>(r.integer(i, 2));
            }
        }
        std::vector<std::vector<count_row>> out;
        out.reserve(keys.size());
        for (const auto& c : counts) out.push_back(top_rows(c, n));
        return out;
    }

    std::vector<bucket> histogram(const query& q, core::time_point from, core::time_point to,
                                  std::chrono::seconds step) override {
        auto out = empty_buckets(from, to, step);
        if (out.empty()) return out;
        const auto step_ms = std::max<std::int64_t>(1000, step.count() * 1000);
        const auto r = within(q, from, to);
        where_clause w(r);
        auto origin = w.bind(num(to_ms(from)));
        auto width = w.bind(num(step_ms));
        auto sql = "SELECT (time_ms - " + origin + "::bigint) / " + width +
                   "::bigint, count(*) FILTER (WHERE effect = 'deny' AND NOT report_only), "
                   "count(*) FILTER (WHERE effect = 'deny' AND report_only), "
                   "count(*) FILTER (WHERE effect = 'allow') FROM consolegate_events" +
                   w.sql() + " GROUP BY 1";
        auto res = db_.exec(sql, w.params());
        for (int i = 0; i < res.rows(); ++i) {
            auto b = res.integer(i, 0);
            if (b < 0 || static_cast<std::size_t>(b) >= out.size()) continue;
            auto& slot = out[static_cast<std::size_t>(b)];
            slot.blocked = static_cast<std::uint64_t>(res.integer(i, 1));
            slot.report_only = static_cast<std::uint64_t>(res.integer(i, 2));
            slot.allowed = static_cast<std::uint64_t>(res.integer(i, 3));
        }
        return out;
    }

    std::vector<event> after(std::uint64_t& seq, std::size_t limit) override {
        auto r = db_.exec(
            "SELECT seq, event FROM consolegate_events WHERE seq > $1 ORDER BY seq LIMIT $2",
            {num(static_cast<std::int64_t>(seq)), num(clamp(limit))});
        std::vector<event> out;
        for (int i = 0; i < r.rows(); ++i) {
            seq = static_cast<std::uint64_t>(r.integer(i, 0));
            out.push_back(parse_row(r.text(i, 1)));
        }
        return out;
    }

    std::uint64_t last_sequence() override {
        return static_cast<std::uint64_t>(
            db_.scalar("SELECT coalesce(max(seq), 0) FROM consolegate_events"));
    }

  private:
    // SIZE_MAX ("no limit") as the largest bigint.
    static std::int64_t clamp(std::size_t v) {
        return static_cast<std::int64_t>(
            std::min<std::size_t>(v, static_cast<std::size_t>(INT64_MAX)));
    }

    pg::connection db_;
};

// The writer side: one transaction per batch; on a lost server the batch waits at the head of
// the queue (queued_sink) while this target reconnects with backoff.
class postgres_target final : public batch_target {
  public:
    explicit postgres_target(const postgres_options& o)
        : opts_(o), where_(pg::describe(o.connection)), rng_(std::random_device{}()) {
        try {
            connect();
        } catch (const pg::error& e) {
            // Not a startup error: a fleet keeps answering sign-ins while its database restarts.
            log::write(log::level::error, "audit",
                       "postgres unreachable at start: events queue (bounded) until it is back",
                       {{"sink", "postgres"}, {"database", where_}, {"error", e.what()}});
        }
    }

    bool write(const std::vector<event>& batch) override {
        try {
            if (!db_ || !db_->ok()) connect();
            insert(batch);
            if (failing_) {
                log::write(log::level::info, "audit", "postgres reachable again",
                           {{"sink", "postgres"}, {"database", where_}});
            }
            failing_ = false;
            backoff_ = std::chrono::milliseconds(0);
            return true;
        } catch (const pg::error& e) {
            if (db_) rollback(*db_);
            if (!e.transient()) {
                backoff_ = std::chrono::milliseconds(0);
                report("write failed: batch dropped", e.what(), batch.size());
                return false;
            }
            if (!db_ || !db_->ok()) db_.reset();
            failing_ = true;
            backoff_ = next_backoff();
            report("postgres unavailable: batch kept, retrying", e.what(), batch.size());
            return false;
        } catch (const std::exception& e) {
            // A database migrated by a newer build since we started: never misread it.
            db_.reset();
            backoff_ = std::chrono::milliseconds(0);
            report("write refused: batch dropped", e.what(), batch.size());
            return false;
        }
    }

    std::chrono::milliseconds retry_after() override { return backoff_; }

    void sync() override {
        auto now = std::chrono::steady_clock::now();
        if (now < next_retention_ || !db_ || !db_->ok()) return;
        next_retention_ = now + std::chrono::minutes(1);
        retain();
    }

  private:
    void connect() {
        db_.reset();
        auto c = std::make_unique<pg::connection>(opts_.connection, opts_.password);
        migrate(*c);  // throws std::runtime_error for a newer schema: a startup error
        db_ = std::move(c);
        log::write(log::level::info, "audit", "postgres connected",
                   {{"sink", "postgres"}, {"database", where_}});
        retain();
    }

    void insert(const std::vector<event>& batch) {
        db_->exec("BEGIN");
        db_->exec(std::string("SELECT pg_advisory_xact_lock(") + advisory_key + ")");
        for (std::size_t at = 0; at < batch.size(); at += rows_per_statement) {
            auto end = std::min(batch.size(), at + rows_per_statement);
            std::string sql =
                "INSERT INTO consolegate_events (id, time_ms, effect, report_only, reason, flow, "
                "account, alias, ou_path, user_name, client, rule, gateway, event, corp_user, "
                "corp_source, oauth_action) VALUES ";
            std::vector<std::string> params;
            params.reserve((end - at) * columns_per_row);
            for (auto i = at; i < end; ++i) {
                auto& e = batch[i];
                auto t = core::parse_rfc3339(e.time);
                sql += i == at ? "(" : ",(";
                for (int p = 0; p < columns_per_row; ++p) {
                    sql += (p ? ",$" : "$") + std::to_string(params.size() + 1 + p);
                }
                sql += ")";
                // Columns as valid UTF-8 (a UTF8 database refuses anything else, and one bad
                // byte would fail the whole batch); the JSON is already (to_json_line).
                params.push_back(valid_utf8(e.id));
                params.push_back(num(t ? to_ms(*t) : 0));
                params.push_back(e.effect);
                params.push_back(e.report_only ? "t" : "f");
                for (auto* v : {&e.reason, &e.flow, &e.account, &e.alias, &e.ou_path, &e.user,
                                &e.client, &e.rule, &e.gateway}) {
                    params.push_back(valid_utf8(*v));
                }
                params.push_back(to_json_line(e));
                params.push_back(valid_utf8(e.corp_user));
                params.push_back(valid_utf8(e.corp_source));
                params.push_back(valid_utf8(e.oauth_action));
            }
            // A batch whose COMMIT answer was lost is sent again: its IDs are already stored.
            sql += " ON CONFLICT (id) DO NOTHING";
            db_->exec(sql, params);
        }
        db_->exec("COMMIT");
    }

    // Deletes what is older than max_age in slices, so no transaction grows with the backlog.
    void retain() {
        if (opts_.max_age.count() <= 0) return;
        try {
            auto cutoff = to_ms(std::chrono::system_clock::now() - opts_.max_age);
            for (int round = 0; round < 100; ++round) {
                auto r = db_->exec(
                    "DELETE FROM consolegate_events WHERE seq IN (SELECT seq FROM "
                    "consolegate_events WHERE time_ms < $1 ORDER BY time_ms LIMIT 10000)",
                    {num(cutoff)});
                if (r.affected() < 10000) break;
            }
        } catch (const pg::error& e) {
            report("retention failed", e.what(), 0);
        }
    }

    // 250 ms doubling to 5 s, each with up to a fifth of jitter so a fleet does not reconnect in
    // step after a database restart.
    std::chrono::milliseconds next_backoff() {
        auto base = backoff_.count() == 0 ? backoff_min : std::min(backoff_ * 2, backoff_max);
        std::uniform_int_distribution<long> jitter(0, base.count() / 5);
        backoff_ = base;
        return base + std::chrono::milliseconds(jitter(rng_));
    }

    void report(const char* what, const std::string& error, std::size_t events) {
        if (auto suppressed = limit_.allow(std::chrono::steady_clock::now())) {
            log::write(log::level::error, "audit", what,
                       {{"sink", "postgres"},
                        {"database", where_},
                        {"error", error},
                        {"batch", std::to_string(events)},
                        {"suppressed", std::to_string(*suppressed)}});
        }
    }

    postgres_options opts_;
    std::string where_;  // host/database for log lines; never the password
    std::unique_ptr<pg::connection> db_;
    std::chrono::milliseconds backoff_{0};
    bool failing_ = false;
    std::mt19937 rng_;
    std::chrono::steady_clock::time_point next_retention_ =
        std::chrono::steady_clock::now() + std::chrono::minutes(1);
    log::rate_limit limit_{std::chrono::seconds(10)};
};

}  // namespace

std::unique_ptr<event_store> open_postgres_store(const std::string& connection,
                                                 const std::string& password) {
    return std::make_unique<postgres_store>(connection, password);
}

std::string read_postgres_password(const std::filesystem::path& file) {
    if (file.empty()) return {};
    std::ifstream in(file);
    std::string line;
    if (!in || !std::getline(in, line))
        throw std::runtime_error("cannot read audit.postgres_password_file " + file.string());
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty())
        throw std::runtime_error("audit.postgres_password_file " + file.string() +
                                 " holds no password on its first line");
    return line;
}

std::unique_ptr<sink> make_postgres_sink(const postgres_options& o) {
    return std::make_unique<queued_sink>("postgres", std::make_unique<postgres_target>(o), o.queue);
}

}  // namespace consolegate::audit
