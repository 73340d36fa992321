#pragma once
// Thin RAII over libpq for the audit store: one connection, parameterised statements (text
// parameters, text results), errors as postgres_error carrying the SQLSTATE so the writer can
// tell a server that went away (retry) from a statement it will never accept (count and drop).
// Not thread-safe: one connection per thread.

#include <libpq-fe.h>

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace consolegate::audit::pg {

class error : public std::runtime_error {
  public:
    error(const std::string& what, std::string sqlstate, bool connection_lost)
        : std::runtime_error(what), sqlstate_(std::move(sqlstate)), lost_(connection_lost) {}
    const std::string& sqlstate() const { return sqlstate_; }
    // True when the server, not the statement, is the problem: the connection broke, the server
    // is shutting down or starting up, out of resources, or a lock or serialisation conflict.
    // The same statement may succeed later.
    bool transient() const;

  private:
    std::string sqlstate_;
    bool lost_;
};

class result {
  public:
    explicit result(PGresult* r) : r_(r) {}
    int rows() const { return PQntuples(r_.get()); }
    std::string text(int row, int column) const;
    std::int64_t integer(int row, int column) const;
    std::int64_t affected() const;  // rows an INSERT/DELETE touched
    PGresult* raw() const { return r_.get(); }

  private:
    struct clear {
        void operator()(PGresult* r) const { PQclear(r); }
    };
    std::unique_ptr<PGresult, clear> r_;
};

// Where a connection string points, for log lines: host, port, database, user. Never the
// password (the string may not carry one: check-config refuses it, but be safe anyway).
std::string describe(const std::string& conninfo);

class connection {
  public:
    // `conninfo`: a libpq connection string or URI. `password` (may be empty) is passed apart
    // from it, so it is never part of a string that could be logged. A connect_timeout of 5 s
    // applies unless the string sets one. Throws pg::error (transient) when the server cannot be
    // reached or refuses the login.
    connection(const std::string& conninfo, const std::string& password);
    // The same bounded by `deadline` (callers that must not wait past one: a fleet's session
    // lookups, app/session_sharing.hpp): the connection is made without blocking past it, and
    // libpq's connect_timeout does not apply. Throws pg::error (transient) when it passes.
    connection(const std::string& conninfo, const std::string& password,
               std::chrono::steady_clock::time_point deadline);
    result exec(const std::string& sql, const std::vector<std::string>& params = {});
    // exec, waiting for the answer no later than `deadline`: past it the connection is closed
    // (ok() is false from then on; the server abandons the statement) and pg::error (transient)
    // thrown. A statement that was sent may still have taken effect.
    result exec(const std::string& sql, const std::vector<std::string>& params,
                std::chrono::steady_clock::time_point deadline);
    std::int64_t scalar(const std::string& sql, const std::vector<std::string>& params = {});
    // Several statements without parameters (a migration), through the simple query protocol.
    void exec_script(const std::string& sql);
    bool ok() const { return PQstatus(conn_.get()) == CONNECTION_OK; }

  private:
    // Waits until the connection's socket is readable (`read`) or writable; false at `deadline`.
    bool wait_socket(bool read, std::chrono::steady_clock::time_point deadline);
    result checked(result r);  // r, or pg::error with the server's message and SQLSTATE
    struct finish {
        void operator()(PGconn* c) const { PQfinish(c); }
    };
    std::unique_ptr<PGconn, finish> conn_;
};

}  // namespace consolegate::audit::pg
