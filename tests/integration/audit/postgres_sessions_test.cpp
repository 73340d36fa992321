// A fleet's session bindings in a real PostgreSQL (audit/postgres_sessions.cpp, started here:
// tests/support/audit/postgres_cluster.hpp): rows written are found by digest until they expire
// and are purged; a replica with another key's fingerprint is refused; and every call keeps its
// deadline against a server that stops answering (a stopped backend, a stopped postmaster).
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <string>

#include "audit/postgres_cluster.hpp"
#include "consolegate/audit/session_rows.hpp"

namespace au = consolegate::audit;
using consolegate::test::postgres_cluster;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

const std::string fingerprint(64, 'a');

au::session_row row(unsigned char first, std::int64_t expires_ms, std::string entry) {
    au::session_row r;
    r.digest[0] = first;
    r.digest[31] = 0x5a;
    r.expires_ms = expires_ms;
    r.entry = std::move(entry);
    return r;
}

std::unique_ptr<au::session_rows> open(const postgres_cluster& pg, const std::string& fp) {
    return au::open_postgres_session_rows(pg.connection(), postgres_cluster::password, fp,
                                          steady::now() + 10s);
}

TEST(postgres_sessions, rows_are_found_by_digest_until_they_expire_and_are_purged) {
    postgres_cluster pg;
    auto a = open(pg, fingerprint);
    auto b = open(pg, fingerprint);  // another replica: the same tables, the same key
    std::vector<au::session_row> rows{row(1, 2000, "{\"one\":1}"), row(2, 500, "{\"two\":2}")};
    a->write(rows, steady::now() + 10s);
    std::vector<std::array<unsigned char, 32>> asked{rows[0].digest, rows[1].digest,
                                                     row(3, 0, "").digest};
    auto found = b->lookup(asked, 1000, steady::now() + 10s);
    ASSERT_EQ(found.size(), 1u);  // the second expired at 500, the third was never written
    EXPECT_EQ(found[0].digest, rows[0].digest);
    EXPECT_EQ(found[0].expires_ms, 2000);
    EXPECT_EQ(found[0].entry, "{\"one\":1}");
    // Written again (AWS set the cookie again): the newer binding replaces the row.
    std::vector<au::session_row> again{row(1, 3000, "{\"one\":2}")};
    b->write(again, steady::now() + 10s);
    found = a->lookup(asked, 1000, steady::now() + 10s);
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].entry, "{\"one\":2}");
    EXPECT_EQ(a->purge(1000, steady::now() + 10s), 1);
    EXPECT_EQ(pg.psql("SELECT count(*) FROM consolegate_session_bindings"), "1");
}

TEST(postgres_sessions, another_key_is_refused) {
    postgres_cluster pg;
    open(pg, fingerprint);
    EXPECT_THROW(open(pg, std::string(64, 'b')), au::session_key_mismatch);
    EXPECT_NO_THROW(open(pg, fingerprint));
    EXPECT_EQ(pg.psql("SELECT fingerprint FROM consolegate_session_key"), fingerprint);
}

TEST(postgres_sessions, a_server_that_stops_answering_is_left_at_the_deadline) {
    postgres_cluster pg;
    auto rows = open(pg, fingerprint);
    // This connection's backend, stopped: the statement is sent and never answered.
    auto backend = std::stoi(
        pg.psql("SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> "
                "pg_backend_pid()"));
    ASSERT_EQ(::kill(backend, SIGSTOP), 0);
    std::vector<std::array<unsigned char, 32>> asked{row(1, 0, "").digest};
    auto t0 = steady::now();
    EXPECT_THROW(rows->lookup(asked, 0, steady::now() + 300ms), std::runtime_error);
    auto took = steady::now() - t0;
    ::kill(backend, SIGCONT);
    EXPECT_GE(took, 250ms);
    EXPECT_LT(took, 5s);
    // The postmaster stopped: a new connection is not made past its deadline either.
    std::ifstream pid_file(pg.dir() / "data" / "postmaster.pid");
    int postmaster = 0;
    ASSERT_TRUE(pid_file >> postmaster);
    ASSERT_EQ(::kill(postmaster, SIGSTOP), 0);
    t0 = steady::now();
    EXPECT_THROW(au::open_postgres_session_rows(pg.connection(), postgres_cluster::password,
                                                fingerprint, steady::now() + 300ms),
                 std::runtime_error);
    took = steady::now() - t0;
    ::kill(postmaster, SIGCONT);
    EXPECT_GE(took, 250ms);
    EXPECT_LT(took, 5s);
    EXPECT_NO_THROW(open(pg, fingerprint));  // and it answers again
}

}  // namespace
