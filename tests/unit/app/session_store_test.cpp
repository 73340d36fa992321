// app/session_store.cpp: the session table across restarts. What is written reads back into a
// table that knows the same sessions (same key, same digests), expired entries are dropped, the
// file is 0600 and holds no cookie, and a file that cannot be trusted stops the start.
#include "session_store.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "session_learning.hpp"

namespace consolegate::app {
namespace {

namespace fs = std::filesystem;
using state = session_table::binding_state;

const auto t0 = std::chrono::system_clock::time_point{} + std::chrono::hours(24 * 365 * 56);
const std::string user_info =
    "%7B%22arn%22%3A%22arn%3Aaws%3Asts%3A%3A111111111111%3Aassumed-role%2FAWSReservedSSO_Admin_"
    "0123456789abcdef%2Falice%22%7D";
const std::string creds = "aws-creds=SECRETSECRETSECRETSECRET";

struct temp_dir {
    fs::path path = fs::temp_directory_path() /
                    ("cg-session-store-" + std::to_string(::getpid()) + "-" +
                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    temp_dir() { fs::create_directories(path); }
    ~temp_dir() { fs::remove_all(path); }
};

session_table::lookup_result ask(const session_table& t, const std::string& cookie,
                                 std::chrono::system_clock::time_point now) {
    core::http_request_view req;
    req.headers.emplace_back("Cookie", cookie);
    return t.lookup(request_cookies(req), now);
}

void sign_in(session_table& t, std::chrono::system_clock::time_point when) {
    core::http_request_view req;
    req.host = "signin.aws.amazon.com";
    req.target = "/saml";
    req.time = when;
    proxy::response_view resp;
    std::string a = "aws-userInfo=" + user_info, b = creds + "; Secure";
    resp.headers.emplace_back("Set-Cookie", a);
    resp.headers.emplace_back("Set-Cookie", b);
    ASSERT_EQ(session_learner(t).learn(req, resp), 1u);  // aws-userInfo is never a key
}

TEST(session_store, a_written_table_reads_back_knowing_the_same_sessions) {
    temp_dir d;
    auto file = d.path / "sessions.jsonl";
    session_table before({}, session_table::random_key());
    sign_in(before, t0);
    write_session_file(file, {before.key(), before.snapshot(t0)});
    struct stat st {};
    ASSERT_EQ(::stat(file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    std::ifstream in(file);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(text.find("SECRETSECRET"), std::string::npos) << "digests only";
    EXPECT_EQ(text.find(user_info), std::string::npos);

    auto saved = read_session_file(file);
    ASSERT_TRUE(saved);
    session_table after({}, saved->key);
    EXPECT_EQ(after.restore(std::move(saved->entries), t0 + std::chrono::hours(1)), 1u);
    auto r = ask(after, creds, t0 + std::chrono::hours(1));
    ASSERT_EQ(r.state, state::bound);
    EXPECT_EQ(r.identity.account->str(), "111111111111");
    EXPECT_EQ(r.identity.role_name, "AWSReservedSSO_Admin_0123456789abcdef");
    EXPECT_EQ(r.identity.permission_set, "Admin");
    EXPECT_EQ(r.identity.aws_user, "alice");
    EXPECT_EQ(r.identity.named_at, t0);
    EXPECT_EQ(r.identity.learned_on, "signin.aws.amazon.com/saml");
    // A fresh key would not know them: the key is what persists the sessions.
    session_table other({}, session_table::random_key());
    auto again = read_session_file(file);
    other.restore(std::move(again->entries), t0);
    EXPECT_EQ(ask(other, creds, t0).state, state::unbound);
}

TEST(session_store, expired_entries_are_dropped_and_the_lifetime_still_holds) {
    session_table before({}, session_table::key_type{1});
    sign_in(before, t0);
    auto text = session_file_text({before.key(), before.snapshot(t0)});
    auto parsed = parse_session_file(text, "test");
    session_table late({}, parsed.key);
    EXPECT_EQ(late.restore(parsed.entries, t0 + std::chrono::hours(13)), 0u);
    // A shorter lifetime than when it was written bounds the restored entries too.
    session_table shorter({10, std::chrono::hours(1)}, parsed.key);
    EXPECT_EQ(shorter.restore(parsed.entries, t0 + std::chrono::hours(2)), 0u);
    EXPECT_EQ(shorter.restore(parsed.entries, t0 + std::chrono::minutes(30)), 1u);
    EXPECT_EQ(ask(shorter, creds, t0 + std::chrono::minutes(61)).state, state::unbound);
}

TEST(session_store, a_file_it_cannot_trust_stops_the_start) {
    temp_dir d;
    EXPECT_FALSE(read_session_file(d.path / "absent.jsonl"));  // a first start
    auto write = [&](const std::string& name, const std::string& text, mode_t mode) {
        auto p = d.path / name;
        std::ofstream(p) << text;
        ::chmod(p.c_str(), mode);
        return p;
    };
    session_table t({}, session_table::key_type{2});
    sign_in(t, t0);
    auto good = session_file_text({t.key(), t.snapshot(t0)});
    EXPECT_THROW(read_session_file(write("open.jsonl", good, 0644)), std::runtime_error);
    EXPECT_NO_THROW(read_session_file(write("ok.jsonl", good, 0600)));
    for (std::string bad :
         {std::string(""), std::string("not json\n"), std::string("{\"consolegate_sessions\":2}\n"),
          std::string("{\"consolegate_sessions\":1,\"key\":\"abc\"}\n"), good + "{\"d\":\"zz\"}\n",
          good.substr(0, good.size() - 10) + "\n"}) {
        EXPECT_THROW(read_session_file(write("bad.jsonl", bad, 0600)), std::runtime_error) << bad;
    }
}

TEST(session_store, an_entry_line_reads_back_as_it_was) {
    session_table t({}, session_table::key_type{3});
    sign_in(t, t0);
    auto snap = t.snapshot(t0);
    ASSERT_EQ(snap.size(), 1u);
    auto line = session_entry_text(snap[0]);
    EXPECT_EQ(line.find('\n'), std::string::npos);
    EXPECT_EQ(line.find("SECRETSECRET"), std::string::npos);  // a digest, never the cookie
    auto back = parse_session_entry(line);
    EXPECT_EQ(back.key, snap[0].key);
    EXPECT_EQ(back.expires, snap[0].expires);
    EXPECT_EQ(back.identity.principal_arn, snap[0].identity.principal_arn);
    EXPECT_EQ(back.identity.aws_user, "alice");
    EXPECT_EQ(back.identity.sign_in_at, std::chrono::system_clock::time_point{});
    // A sign-in's mark and a pending entry read back as they were (a fleet's replicas and a
    // restart must not lose either: an answer would then inherit the old session's identity).
    auto marked = snap[0];
    marked.identity.sign_in_at = t0 + std::chrono::seconds(5);
    marked.identity.learned_by = binding_source::pending_sign_in;
    auto again = parse_session_entry(session_entry_text(marked));
    EXPECT_EQ(again.identity.sign_in_at, marked.identity.sign_in_at);
    EXPECT_TRUE(again.identity.pending());
    // The flows of the sign-in that established the session (its console requests are judged
    // as them): kept across a restart and a fleet, absent (not known) in older entries.
    EXPECT_EQ(back.identity.flows, 0u);
    EXPECT_EQ(line.find("flows"), std::string::npos);
    auto opened = snap[0];
    opened.identity.flows = core::flow_bit(core::sign_in_flow::saml) |
                            core::flow_bit(core::sign_in_flow::identity_center);
    EXPECT_EQ(parse_session_entry(session_entry_text(opened)).identity.flows,
              opened.identity.flows);
    auto text = session_entry_text(opened);
    auto at = text.find("\"saml\"");
    ASSERT_NE(at, std::string::npos) << text;
    EXPECT_THROW(parse_session_entry(text.replace(at, 6, "\"sam1\"")), std::invalid_argument);
    // The opener reads back; a row naming one no identity source would accept is refused.
    auto by_alice = snap[0];
    by_alice.identity.corporate_user = "alice@CORP.EXAMPLE";
    auto alice_text = session_entry_text(by_alice);
    EXPECT_EQ(parse_session_entry(alice_text).identity.corporate_user, "alice@CORP.EXAMPLE");
    for (std::string bad : {"ali ce", "alice,bob", "alice\\u0000", "\\u00e9\\u0001"}) {
        auto row = alice_text;
        auto at_name = row.find("alice@CORP.EXAMPLE");
        ASSERT_NE(at_name, std::string::npos);
        EXPECT_THROW(parse_session_entry(row.replace(at_name, 18, bad)), std::invalid_argument)
            << bad;
    }
    EXPECT_THROW(parse_session_entry("{\"d\":\"zz\"}"), std::invalid_argument);
    EXPECT_THROW(parse_session_entry("not json"), std::invalid_argument);
}

TEST(session_store, the_fleet_key_file_is_64_hex_digits_kept_from_others) {
    temp_dir d;
    auto file = d.path / "sessions.key";
    std::ofstream(file) << "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n";
    fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write);
    auto key = read_session_key_file(file);
    EXPECT_EQ(key[0], 0x00);
    EXPECT_EQ(key[1], 0x11);
    EXPECT_EQ(key[31], 0xff);
    // The fingerprint is stable, depends on the key, and is not the key.
    auto fp = session_key_fingerprint(key);
    EXPECT_EQ(fp.size(), 64u);
    EXPECT_EQ(fp, session_key_fingerprint(key));
    EXPECT_NE(fp, session_key_fingerprint(session_table::key_type{1}));
    EXPECT_EQ(fp.find("00112233"), std::string::npos);
    fs::permissions(file, fs::perms::others_read, fs::perm_options::add);
    EXPECT_THROW(read_session_key_file(file), std::runtime_error);
    fs::permissions(file, fs::perms::owner_read | fs::perms::group_read | fs::perms::group_write);
    EXPECT_THROW(read_session_key_file(file), std::runtime_error);
    // Group read on a root-owned key (a Kubernetes Secret with fsGroup: 0440) is allowed; on
    // anyone else's, refused (core/key_file.hpp).
    fs::permissions(file, fs::perms::owner_read | fs::perms::group_read);
    if (::geteuid() == 0) {
        EXPECT_EQ(read_session_key_file(file)[1], 0x11);
    } else {
        EXPECT_THROW(read_session_key_file(file), std::runtime_error);
    }
    std::ofstream(file) << "short\n";
    fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write);
    EXPECT_THROW(read_session_key_file(file), std::runtime_error);
    EXPECT_THROW(read_session_key_file(d.path / "missing.key"), std::runtime_error);
}

}  // namespace
}  // namespace consolegate::app
