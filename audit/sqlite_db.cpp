#include "sqlite_db.hpp"

#include <stdexcept>

namespace consolegate::audit::sqlite {

namespace {
[[noreturn]] void fail(sqlite3* db, std::string_view what) {
    throw std::runtime_error(std::string(what) + ": " + sqlite3_errmsg(db));
}
}  // namespace

statement::statement(sqlite3* db, std::string_view sql) : db_(db) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &s, nullptr) !=
        SQLITE_OK) {
        fail(db, "audit store: cannot prepare statement");
    }
    stmt_.reset(s);
}

void statement::bind(int index, const value& v) {
    int rc;
    if (auto* i = std::get_if<std::int64_t>(&v)) {
        rc = sqlite3_bind_int64(stmt_.get(), index, *i);
    } else {
        auto& s = std::get<std::string>(v);
        rc = sqlite3_bind_text(stmt_.get(), index, s.data(), static_cast<int>(s.size()),
                               SQLITE_TRANSIENT);
    }
    if (rc != SQLITE_OK) fail(db_, "audit store: bind");
}

void statement::bind_view(int index, std::string_view text) {
    if (sqlite3_bind_text(stmt_.get(), index, text.data(), static_cast<int>(text.size()),
                          SQLITE_STATIC) != SQLITE_OK)
        fail(db_, "audit store: bind");
}

void statement::bind(const std::vector<value>& values) {
    for (std::size_t i = 0; i < values.size(); ++i) bind(static_cast<int>(i + 1), values[i]);
}

bool statement::step() {
    int rc = sqlite3_step(stmt_.get());
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail(db_, "audit store");
}

void statement::reset() {
    sqlite3_reset(stmt_.get());
    sqlite3_clear_bindings(stmt_.get());
}

std::string statement::text(int column) const {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_.get(), column));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_.get(), column)))
             : std::string();
}

database::database(const std::filesystem::path& file, bool read_only) {
    sqlite3* d = nullptr;
    // A reader opens read-write without create when it may: reading a WAL file wants to map
    // the -shm index, which a read-only connection cannot create. Read-only is the fallback.
    int flags = SQLITE_OPEN_READWRITE | (read_only ? 0 : SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(file.c_str(), &d, flags, nullptr);
    if (rc != SQLITE_OK && read_only) {
        sqlite3_close_v2(d);
        d = nullptr;
        rc = sqlite3_open_v2(file.c_str(), &d, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
    }
    db_.reset(d);
    if (rc != SQLITE_OK) {
        throw std::runtime_error("cannot open audit store " + file.string() + ": " +
                                 (d ? sqlite3_errmsg(d) : "out of memory"));
    }
    // Readers and the writer share the file (WAL): wait for a lock rather than fail.
    sqlite3_busy_timeout(d, 5000);
}

void database::exec(std::string_view sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_.get(), std::string(sql).c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
        std::string message = err ? err : "unknown error";
        sqlite3_free(err);
        throw std::runtime_error("audit store: " + message);
    }
}

std::int64_t database::scalar(std::string_view sql, const std::vector<value>& binds) {
    auto s = prepare(sql);
    s.bind(binds);
    return s.step() ? s.integer(0) : 0;
}

}  // namespace consolegate::audit::sqlite
