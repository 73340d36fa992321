// A fleet's session bindings in PostgreSQL (include/consolegate/audit/session_rows.hpp). Digests
// are stored as 64 hex digits (text compares bytewise under COLLATE "C"), so every parameter and
// result is text, as everywhere else in this store.
#include <string_view>

#include "consolegate/audit/session_rows.hpp"
#include "consolegate/core/hex.hpp"
#include "postgres_db.hpp"

namespace consolegate::audit {
namespace {

// Serialises the tables' creation across the fleet (the events' migrations use another key).
constexpr const char* advisory_key = "7142018573106237442";

constexpr const char* schema = R"sql(
    CREATE TABLE IF NOT EXISTS consolegate_session_bindings (
        digest text COLLATE "C" PRIMARY KEY,
        expires_ms bigint NOT NULL,
        entry text NOT NULL
    );
    CREATE INDEX IF NOT EXISTS consolegate_session_bindings_expires
        ON consolegate_session_bindings (expires_ms);
    CREATE TABLE IF NOT EXISTS consolegate_session_key (
        id integer PRIMARY KEY CHECK (id = 1),
        fingerprint text NOT NULL
    );
)sql";

std::string hex(const std::array<unsigned char, 32>& d) {
    return core::to_hex(d);
}

bool unhex(std::string_view s, std::array<unsigned char, 32>& out) {
    return core::from_hex(s, out);
}

class postgres_session_rows final : public session_rows {
  public:
    postgres_session_rows(const std::string& connection, const std::string& password,
                          const std::string& fingerprint, deadline until)
        : db_(connection, password, until) {
        db_.exec("BEGIN", {}, until);
        // "relation … already exists, skipping" on every connection would go to stderr.
        db_.exec("SET LOCAL client_min_messages = warning", {}, until);
        db_.exec(std::string("SELECT pg_advisory_xact_lock(") + advisory_key + ")", {}, until);
        for (std::string_view rest = schema; !rest.empty();) {
            auto semi = rest.find(';');
            auto statement = rest.substr(0, semi);
            rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
            if (statement.find_first_not_of(" \n") == std::string_view::npos) continue;
            db_.exec(std::string(statement), {}, until);
        }
        db_.exec(
            "INSERT INTO consolegate_session_key (id, fingerprint) VALUES (1, $1) "
            "ON CONFLICT (id) DO NOTHING",
            {fingerprint}, until);
        auto stored =
            db_.exec("SELECT fingerprint FROM consolegate_session_key WHERE id = 1", {}, until);
        db_.exec("COMMIT", {}, until);
        if (stored.rows() != 1 || stored.text(0, 0) != fingerprint) {
            throw session_key_mismatch(
                "the session key (sessions.key_file) differs from the one the fleet's "
                "PostgreSQL was first used with (consolegate_session_key): this replica's session "
                "digests would never match the others'");
        }
    }

    std::vector<session_row> lookup(std::span<const std::array<unsigned char, 32>> digests,
                                    std::int64_t now_ms, deadline until) override {
        std::vector<session_row> out;
        if (digests.empty()) return out;
        std::vector<std::string> params{std::to_string(now_ms)};
        std::string sql =
            "SELECT digest, expires_ms, entry FROM consolegate_session_bindings "
            "WHERE expires_ms > $1 AND digest IN (";
        for (std::size_t i = 0; i < digests.size(); ++i) {
            params.push_back(hex(digests[i]));
            sql += (i ? ", $" : "$") + std::to_string(i + 2);
        }
        sql += ")";
        auto r = db_.exec(sql, params, until);
        for (int row = 0; row < r.rows(); ++row) {
            session_row s;
            if (!unhex(r.text(row, 0), s.digest)) continue;  // not ours to read
            s.expires_ms = r.integer(row, 1);
            s.entry = r.text(row, 2);
            out.push_back(std::move(s));
        }
        return out;
    }

    void write(std::span<const session_row> rows, deadline until) override {
        if (rows.empty()) return;
        std::vector<std::string> params;
        params.reserve(rows.size() * 3);
        std::string sql =
            "INSERT INTO consolegate_session_bindings (digest, expires_ms, entry) VALUES ";
        for (std::size_t i = 0; i < rows.size(); ++i) {
            auto n = i * 3;
            sql += (i ? ", ($" : "($") + std::to_string(n + 1) + ", $" + std::to_string(n + 2) +
                   ", $" + std::to_string(n + 3) + ")";
            params.push_back(hex(rows[i].digest));
            params.push_back(std::to_string(rows[i].expires_ms));
            params.push_back(rows[i].entry);
        }
        // A cookie AWS set again (a switch-role answer re-using one) takes the newer binding.
        sql +=
            " ON CONFLICT (digest) DO UPDATE SET expires_ms = EXCLUDED.expires_ms, "
            "entry = EXCLUDED.entry";
        db_.exec(sql, params, until);
    }

    std::int64_t purge(std::int64_t now_ms, deadline until) override {
        return db_
            .exec("DELETE FROM consolegate_session_bindings WHERE expires_ms <= $1",
                  {std::to_string(now_ms)}, until)
            .affected();
    }

  private:
    pg::connection db_;
};

}  // namespace

std::unique_ptr<session_rows> open_postgres_session_rows(const std::string& connection,
                                                         const std::string& password,
                                                         const std::string& key_fingerprint,
                                                         session_rows::deadline until) {
    return std::make_unique<postgres_session_rows>(connection, password, key_fingerprint, until);
}

}  // namespace consolegate::audit
