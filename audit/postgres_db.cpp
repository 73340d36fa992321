#include "postgres_db.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <optional>

namespace consolegate::audit::pg {
namespace {

// libpq's messages end in a newline; log fields should not.
std::string trimmed(const char* message) {
    std::string s = message ? message : "";
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s.empty() ? "unknown libpq error" : s;
}

}  // namespace

bool error::transient() const {
    // Every error the server reports carries a SQLSTATE; one without comes from libpq itself:
    // the connection closed under a statement ("server closed the connection unexpectedly"),
    // could not be made, or ran out of memory. All of them may pass.
    if (lost_ || sqlstate_.empty()) return true;
    // SQLSTATE classes (PostgreSQL manual, appendix A): 08 connection exception, 40 transaction
    // rollback (serialisation failure, deadlock), 53 insufficient resources (disk full, too many
    // connections), 57 operator intervention (admin/crash shutdown, cannot connect now),
    // 58 system error (I/O). 55P03 lock not available; 25006 read-only transaction (a failover
    // left us on a standby until the connection is re-made).
    auto cls = sqlstate_.substr(0, 2);
    return cls == "08" || cls == "40" || cls == "53" || cls == "57" || cls == "58" ||
           sqlstate_ == "55P03" || sqlstate_ == "25006";
}

std::string result::text(int row, int column) const {
    auto* v = PQgetvalue(r_.get(), row, column);
    return {v, static_cast<std::size_t>(PQgetlength(r_.get(), row, column))};
}

std::int64_t result::integer(int row, int column) const {
    return std::strtoll(PQgetvalue(r_.get(), row, column), nullptr, 10);
}

std::int64_t result::affected() const {
    return std::strtoll(PQcmdTuples(r_.get()), nullptr, 10);
}

std::string describe(const std::string& conninfo) {
    char* err = nullptr;
    PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &err);
    if (err) PQfreemem(err);
    if (!opts) return "(unparsable connection string)";
    std::string host, port, db, user;
    for (auto* o = opts; o->keyword; ++o) {
        if (!o->val) continue;
        std::string_view k = o->keyword;
        if (k == "host" || (k == "hostaddr" && host.empty())) host = o->val;
        if (k == "port") port = o->val;
        if (k == "dbname") db = o->val;
        if (k == "user") user = o->val;
    }
    PQconninfoFree(opts);
    std::string out = (user.empty() ? "" : user + "@") + (host.empty() ? "(default host)" : host);
    if (!port.empty()) out += ":" + port;
    return out + "/" + (db.empty() ? "(default database)" : db);
}

connection::connection(const std::string& conninfo, const std::string& password) {
    // Later keywords override earlier ones, and the expanded connection string sits between the
    // default timeout (which it may override) and the password (which it may not carry).
    std::vector<const char*> keys{"connect_timeout", "dbname"};
    std::vector<const char*> values{"5", conninfo.c_str()};
    if (!password.empty()) {
        keys.push_back("password");
        values.push_back(password.c_str());
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);
    conn_.reset(PQconnectdbParams(keys.data(), values.data(), 1));
    if (!conn_) throw error("out of memory opening a PostgreSQL connection", "", true);
    if (PQstatus(conn_.get()) != CONNECTION_OK) {
        throw error("cannot connect to PostgreSQL " + describe(conninfo) + ": " +
                        trimmed(PQerrorMessage(conn_.get())),
                    "", true);
    }
}

result connection::exec(const std::string& sql, const std::vector<std::string>& params) {
    std::vector<const char*> values;
    values.reserve(params.size());
    for (auto& p : params) values.push_back(p.c_str());
    return checked(result(PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()),
                                       nullptr, values.data(), nullptr, nullptr, 0)));
}

void connection::exec_script(const std::string& sql) {
    checked(result(PQexec(conn_.get(), sql.c_str())));
}

result connection::checked(result r) {
    auto* raw = r.raw();
    auto status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return r;
    const char* state = raw ? PQresultErrorField(raw, PG_DIAG_SQLSTATE) : nullptr;
    throw error(trimmed(raw ? PQresultErrorMessage(raw) : PQerrorMessage(conn_.get())),
                state ? state : "", PQstatus(conn_.get()) != CONNECTION_OK);
}

std::int64_t connection::scalar(const std::string& sql, const std::vector<std::string>& params) {
    auto r = exec(sql, params);
    if (r.rows() < 1) throw error("query returned no row: " + sql, "", false);
    return r.integer(0, 0);
}

connection::connection(const std::string& conninfo, const std::string& password,
                       std::chrono::steady_clock::time_point deadline) {
    std::vector<const char*> keys{"dbname"};
    std::vector<const char*> values{conninfo.c_str()};
    if (!password.empty()) {
        keys.push_back("password");
        values.push_back(password.c_str());
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);
    conn_.reset(PQconnectStartParams(keys.data(), values.data(), 1));
    if (!conn_) throw error("out of memory opening a PostgreSQL connection", "", true);
    auto failed = [&](const std::string& why) {
        auto message = "cannot connect to PostgreSQL " + describe(conninfo) + ": " + why;
        conn_.reset();
        return error(message, "", true);
    };
    if (PQstatus(conn_.get()) == CONNECTION_BAD) throw failed(trimmed(PQerrorMessage(conn_.get())));
    // libpq's documented loop: start as if PQconnectPoll had said "writing".
    auto state = PGRES_POLLING_WRITING;
    while (state != PGRES_POLLING_OK) {
        if (state == PGRES_POLLING_FAILED) throw failed(trimmed(PQerrorMessage(conn_.get())));
        if (!wait_socket(state == PGRES_POLLING_READING, deadline)) throw failed("timed out");
        state = PQconnectPoll(conn_.get());
    }
}

bool connection::wait_socket(bool read, std::chrono::steady_clock::time_point deadline) {
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        pollfd p{PQsocket(conn_.get()), static_cast<short>(read ? POLLIN : POLLOUT), 0};
        if (p.fd < 0) return true;  // no socket: the next libpq call reports why
        int n = ::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left.count() + 1, 60000)));
        if (n > 0) return true;
        if (n < 0 && errno != EINTR) return true;  // the next libpq call reports the failure
    }
}

result connection::exec(const std::string& sql, const std::vector<std::string>& params,
                        std::chrono::steady_clock::time_point deadline) {
    if (!conn_) throw error("the PostgreSQL connection was closed", "", true);
    auto lost = [&](const std::string& why) {
        auto e = error(why, "", true);
        conn_.reset();
        return e;
    };
    std::vector<const char*> values;
    values.reserve(params.size());
    for (auto& p : params) values.push_back(p.c_str());
    if (PQsetnonblocking(conn_.get(), 1) != 0 ||
        !PQsendQueryParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()), nullptr,
                           values.data(), nullptr, nullptr, 0)) {
        throw lost(trimmed(PQerrorMessage(conn_.get())));
    }
    for (;;) {
        int f = PQflush(conn_.get());
        if (f == 0) break;
        if (f < 0) throw lost(trimmed(PQerrorMessage(conn_.get())));
        if (!wait_socket(false, deadline))
            throw lost("PostgreSQL did not take the statement in time");
    }
    // One statement: its result, then the null that ends the query (the first error wins). Each
    // PQgetResult only once libpq has what it needs, so none of them blocks.
    std::optional<result> first;
    for (;;) {
        while (PQisBusy(conn_.get())) {
            if (!wait_socket(true, deadline)) throw lost("PostgreSQL did not answer in time");
            if (!PQconsumeInput(conn_.get())) throw lost(trimmed(PQerrorMessage(conn_.get())));
        }
        PGresult* r = PQgetResult(conn_.get());
        if (!r) break;
        if (!first) {
            first.emplace(r);
        } else {
            PQclear(r);
        }
    }
    if (!first) throw lost("PostgreSQL sent no result");
    PQsetnonblocking(conn_.get(), 0);
    return checked(std::move(*first));
}

}  // namespace consolegate::audit::pg
