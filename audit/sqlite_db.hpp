#pragma once
// Thin RAII over the SQLite C API for the audit store: one connection, prepared statements with
// positional binds, errors as std::runtime_error naming the file and SQLite's message.

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace consolegate::audit::sqlite {

using value = std::variant<std::int64_t, std::string>;

class statement {
  public:
    statement(sqlite3* db, std::string_view sql);
    void bind(const std::vector<value>& values);
    void bind(int index, const value& v);
    // Binds `text` without copying it: it must stay alive and unchanged until reset().
    void bind_view(int index, std::string_view text);
    bool step();  // true: a row is ready; false: done. Throws on errors.
    void reset();
    std::int64_t integer(int column) const { return sqlite3_column_int64(stmt_.get(), column); }
    std::string text(int column) const;

  private:
    struct finalizer {
        void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
    };
    sqlite3* db_;
    std::unique_ptr<sqlite3_stmt, finalizer> stmt_;
};

class database {
  public:
    database(const std::filesystem::path& file, bool read_only);
    void exec(std::string_view sql);
    std::int64_t scalar(std::string_view sql, const std::vector<value>& binds = {});
    statement prepare(std::string_view sql) { return statement(db_.get(), sql); }
    sqlite3* handle() const { return db_.get(); }

  private:
    struct closer {
        void operator()(sqlite3* d) const { sqlite3_close_v2(d); }
    };
    std::unique_ptr<sqlite3, closer> db_;
};

}  // namespace consolegate::audit::sqlite
