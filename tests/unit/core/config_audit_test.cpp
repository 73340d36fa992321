// The [audit] section's PostgreSQL keys: the connection string is checked without libpq, a
// password inside it is refused (and never echoed), and keys that would do nothing are refused.

#include <gtest/gtest.h>

#include "config_test_support.hpp"

namespace consolegate::core {
namespace {

using namespace std::chrono_literals;
using cgtest::all;
using cgtest::has;
using cgtest::load;
using cgtest::minimal;

TEST(config_audit, postgres_connection_in_either_form_with_a_password_file) {
    auto dir = cgtest::scratch();
    cgtest::write(dir / "pg.pass", "s3cret-Pass\n");
    for (std::string conn :
         {"host=db.corp.example port=5432 dbname=audit user=consolegate sslmode=verify-full",
          "host='/run/postgresql' dbname = 'audit log' application_name='cg \\' gw'",
          "postgresql://consolegate@db.corp.example:5432/audit?sslmode=verify-full",
          "postgres://db1,db2/audit?target_session_attrs=read-write"}) {
        SCOPED_TRACE(conn);
        cgtest::write(dir / "gw.toml", minimal + "[audit]\npostgres_connection = '''" + conn +
                                           "'''\npostgres_password_file = \"pg.pass\"\n"
                                           "postgres_retention = \"30d\"\n");
        auto r = load_config(dir / "gw.toml");
        ASSERT_TRUE(r.cfg) << all(r);
        EXPECT_EQ(r.cfg->audit.postgres_connection, conn);
        EXPECT_EQ(r.cfg->audit.postgres_password_file, dir / "pg.pass");
        EXPECT_EQ(r.cfg->audit.postgres_retention, 30 * 24h);
    }
    auto r = load(minimal);
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_EQ(r.cfg->audit.postgres_connection, "");
    EXPECT_EQ(r.cfg->audit.postgres_retention, 90 * 24h);
}

TEST(config_audit, a_password_in_the_connection_string_is_refused_and_never_echoed) {
    for (std::string conn :
         {"host=db password=Hunter2xyz dbname=audit", "host=db sslpassword='Hunter2xyz'",
          "postgresql://cg:Hunter2xyz@db/audit",
          "postgresql://db/audit?sslmode=require&password=Hunter2xyz"}) {
        SCOPED_TRACE(conn);
        auto r = load(minimal + "[audit]\npostgres_connection = \"" + conn + "\"\n");
        EXPECT_FALSE(r.cfg);
        EXPECT_TRUE(has(r, 10, "postgres_password_file")) << all(r);
        EXPECT_EQ(all(r).find("Hunter2xyz"), std::string::npos) << all(r);
    }
}

TEST(config_audit, malformed_connection_strings_and_keys_that_do_nothing_are_refused) {
    const std::pair<std::string, std::string> bad[] = {
        {"postgres_connection = \"\"", "is empty"},
        {"postgres_connection = \"host=db dbnme=audit\"", "unknown keyword `dbnme`"},
        {"postgres_connection = \"host=db dbname='audit\"", "unterminated quoted value"},
        {"postgres_connection = \"host db\"", "expected key=value pairs"},
        {"postgres_password_file = \"/etc/hostname\"", "postgres_connection is not"},
        {"postgres_retention = \"7d\"", "postgres_connection is not"},
        {"postgres_connection = \"host=db\"\npostgres_password_file = \"/nonexistent-cg/pw\"",
         "cannot read audit.postgres_password_file"},
    };
    for (auto& [text, message] : bad) {
        SCOPED_TRACE(text);
        auto r = load(minimal + "[audit]\n" + text + "\n");
        EXPECT_FALSE(r.cfg);
        EXPECT_TRUE(has(r, 0, message)) << all(r);
    }
}

TEST(config_audit, syslog_targets_and_their_tls_files) {
    auto r = load(minimal +
                  "[audit]\nsyslog_target = \"tls://siem.corp.example\"\n"
                  "syslog_facility = \"local3\"\n");
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_EQ(r.cfg->audit.syslog, syslog_transport::tls);
    EXPECT_EQ(r.cfg->audit.syslog_host, "siem.corp.example");
    EXPECT_EQ(r.cfg->audit.syslog_port, 6514);
    EXPECT_EQ(r.cfg->audit.syslog_facility, 19);
    r = load(minimal + "[audit]\nsyslog_target = \"udp://[2001:db8::5]:5514\"\n");
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_EQ(r.cfg->audit.syslog, syslog_transport::udp);
    EXPECT_EQ(r.cfg->audit.syslog_host, "2001:db8::5");
    EXPECT_EQ(r.cfg->audit.syslog_port, 5514);
    r = load(minimal + "[audit]\nsyslog_target = \"tcp://10.1.2.3\"\n");
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_EQ(r.cfg->audit.syslog_port, 514);
    EXPECT_EQ(r.cfg->audit.syslog_facility, 10);  // authpriv

    const std::pair<std::string, std::string> bad[] = {
        {"syslog_target = \"syslog://siem\"", "must start with udp://, tcp:// or tls://"},
        {"syslog_target = \"tcp://siem:70000\"", "not 1-65535"},
        {"syslog_target = \"tcp://\"", "names no host"},
        {"syslog_target = \"tcp://si em\"", "neither a DNS name nor an address"},
        {"syslog_target = \"tcp://siem\"\nsyslog_ca_file = \"/etc/hostname\"",
         "applies to a tls:// syslog_target only"},
        {"syslog_facility = \"local3\"", "syslog_target is not"},
        {"syslog_target = \"tls://siem\"\nsyslog_facility = \"local9\"",
         "expected a facility name"},
        {"syslog_target = \"tls://siem\"\nsyslog_cert_file = \"/etc/hostname\"", "go together"},
    };
    for (auto& [text, message] : bad) {
        SCOPED_TRACE(text);
        auto b = load(minimal + "[audit]\n" + text + "\n");
        EXPECT_FALSE(b.cfg);
        EXPECT_TRUE(has(b, 0, message)) << all(b);
    }
}

TEST(config_audit, admin_tls_files_go_together_and_must_be_pem) {
    auto dir = cgtest::scratch();
    cgtest::write(dir / "admin.pem",
                  "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    cgtest::write(dir / "admin.key",
                  "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n");
    auto with = [&](const std::string& admin) {
        cgtest::write(dir / "gw.toml", minimal + "[admin]\n" + admin + "\n");
        return load_config(dir / "gw.toml");
    };
    auto r = with("tls_cert_file = \"admin.pem\"\ntls_key_file = \"admin.key\"");
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_EQ(r.cfg->admin.tls_cert_file, dir / "admin.pem");
    EXPECT_EQ(r.cfg->admin.tls_key_file, dir / "admin.key");
    r = with("tls_cert_file = \"admin.pem\"");
    EXPECT_TRUE(has(r, 0, "tls_cert_file and tls_key_file go together")) << all(r);
    r = with("tls_cert_file = \"admin.key\"\ntls_key_file = \"admin.pem\"");
    EXPECT_TRUE(has(r, 0, "is not a PEM file with a CERTIFICATE")) << all(r);
    EXPECT_TRUE(has(r, 0, "is not a PEM file with a PRIVATE KEY")) << all(r);
    r = with("tls_cert_file = \"missing.pem\"\ntls_key_file = \"admin.key\"");
    EXPECT_TRUE(has(r, 0, "cannot read admin.tls_cert_file")) << all(r);
}

TEST(config_audit, repeats_are_counted_by_default_or_written_each) {
    auto r = load(minimal);
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_EQ(r.cfg->audit.repeats, audit_repeats::count);
    EXPECT_EQ(r.cfg->audit.repeat_window, 10s);
    r = load(minimal + "[audit]\nrepeats = \"each\"\nrepeat_window = \"2m\"\n");
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_EQ(r.cfg->audit.repeats, audit_repeats::each);
    EXPECT_EQ(r.cfg->audit.repeat_window, 2min);
    r = load(minimal + "[audit]\nrepeats = \"sometimes\"\n");
    EXPECT_FALSE(r.cfg);
    EXPECT_TRUE(has(r, 0, "audit.repeats")) << all(r);
    r = load(minimal + "[audit]\nrepeat_window = 10\n");
    EXPECT_FALSE(r.cfg);
    EXPECT_TRUE(has(r, 0, "audit.repeat_window")) << all(r);
}

}  // namespace
}  // namespace consolegate::core
