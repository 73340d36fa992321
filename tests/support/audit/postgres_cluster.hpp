#pragma once
// A throwaway PostgreSQL cluster for tests: Debian's initdb/pg_ctl (package postgresql) in a
// temporary directory, owned by `nobody` when the tests run as root (the server refuses root),
// listening only on a unix socket inside that directory (no port to collide with parallel
// tests). The superuser `consolegate` has a password (scram-sha-256), so the tests go through
// the same password path a deployment does. Every step is time-bounded (run_command).

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "../common/run_command.hpp"

namespace consolegate::test {

class postgres_cluster {
  public:
    static constexpr const char* password = "pg-test-Secret-4711";

    // fsync: off for tests (they stop the server, they do not cut the power); on for benchmarks.
    explicit postgres_cluster(bool fsync = false) : fsync_(fsync) {
        bin_ = find_bin();
        char tmpl[] = "/tmp/cg-pg-XXXXXX";
        if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
        dir_ = tmpl;
        std::ofstream(dir_ / "pwfile") << password << "\n";
        if (::geteuid() == 0) {
            as_ = "runuser -u nobody -- ";
            auto r = run_command("chown -R nobody:nogroup " + dir_.string(), 10);
            if (r.exit_code != 0) throw std::runtime_error("chown for nobody failed");
        }
        auto r = run_command(
            as_ + bin_ + "/initdb -D " + data() +
                " -U consolegate --auth=scram-sha-256 --pwfile=" + (dir_ / "pwfile").string() +
                " -E UTF8 --locale=C --no-sync >" + (dir_ / "initdb.log").string() + " 2>&1",
            120);
        if (r.exit_code != 0) throw std::runtime_error("initdb failed: " + log("initdb.log"));
        start();
    }
    ~postgres_cluster() {
        run_command(as_ + bin_ + "/pg_ctl -D " + data() + " -m immediate -w stop >/dev/null 2>&1",
                    30);
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    postgres_cluster(const postgres_cluster&) = delete;
    postgres_cluster& operator=(const postgres_cluster&) = delete;

    void start() {
        auto r =
            run_command(as_ + bin_ + "/pg_ctl -D " + data() + " -l " +
                            (dir_ / "server.log").string() + " -w -t 60 -o \"-k " + dir_.string() +
                            " -c listen_addresses= -p 5432 -c fsync=" + (fsync_ ? "on" : "off") +
                            "\" start >/dev/null",
                        90);
        if (r.exit_code != 0) throw std::runtime_error("pg_ctl start failed: " + log("server.log"));
    }
    // immediate: the server dies as in a crash (no checkpoint; recovery replays the WAL on the
    // next start), so what survives is what had committed.
    void stop() {
        auto r = run_command(
            as_ + bin_ + "/pg_ctl -D " + data() + " -m immediate -w -t 60 stop >/dev/null", 90);
        if (r.exit_code != 0) throw std::runtime_error("pg_ctl stop failed");
    }

    std::string connection(const std::string& db = "postgres") const {
        return "host=" + dir_.string() + " port=5432 user=consolegate dbname=" + db;
    }
    const std::filesystem::path& dir() const { return dir_; }
    // Runs SQL through psql (as the test's superuser); returns its unaligned output.
    std::string psql(const std::string& sql) const {
        auto r = run_command("PGPASSWORD=" + std::string(password) + " " + bin_ +
                                 "/psql -X -q -A -t -v ON_ERROR_STOP=1 \"" + connection() +
                                 "\" -c \"" + sql + "\" 2>&1",
                             30);
        if (r.exit_code != 0) throw std::runtime_error("psql failed: " + r.out);
        while (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
        return r.out;
    }

  private:
    std::string data() const { return (dir_ / "data").string(); }
    std::string log(const char* name) const {
        std::ifstream in(dir_ / name);
        return {std::istreambuf_iterator<char>(in), {}};
    }
    static std::string find_bin() {
        std::string best;
        std::error_code ec;
        for (auto& e : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
            auto bin = e.path() / "bin";
            if (std::filesystem::exists(bin / "initdb") && bin.string() > best) best = bin;
        }
        if (best.empty())
            throw std::runtime_error(
                "PostgreSQL server binaries not found under /usr/lib/postgresql: install the "
                "Debian package 'postgresql' (scripts/setup.sh)");
        return best;
    }

    bool fsync_;
    std::string bin_, as_;
    std::filesystem::path dir_;
};

}  // namespace consolegate::test
