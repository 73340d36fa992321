#include "consolegate/core/elevation.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

namespace cc = consolegate::core;
using namespace std::chrono_literals;
using tp = std::chrono::system_clock::time_point;

namespace {

tp at(const char* iso) {
    return *cc::parse_iso8601(iso);
}
cc::account_id aid(const char* s) {
    return *cc::account_id::parse(s);
}

std::string read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

const std::string data_dir = std::string(CG_SOURCE_DIR) + "/tests/unit/core/data/";

cc::elevation_record rec(const char* user, const char* account, const char* ps, const char* status,
                         const char* start, int hours) {
    cc::elevation_record r;
    r.user = std::string(cc::strip_idc_prefix(user));
    r.account = aid(account);
    r.permission_set = ps;
    r.status = status;
    r.start = at(start);
    r.duration_hours = hours;
    return r;
}

cc::elevation_set sample_set() {
    return cc::elevation_set({
        rec("idc_Alice@Example.com", "012345678901", "AdminAccess", "in progress",
            "2026-11-23T08:00:00Z", 2),
        rec("idc_idc_zed", "012345678901", "AdminAccess", "in progress", "2026-11-23T08:00:00Z", 2),
        rec("bob@example.com", "111122223333", "AdminAccess", "ended", "2026-11-23T08:00:00Z", 8),
        rec("carol@example.com", "111122223333", "AdminAccess", "pending", "2026-11-23T08:00:00Z",
            8),
        rec("dave@example.com", "111122223333", "PowerUser", "in progress", "2026-11-23T08:00:00Z",
            1),
        rec("dave@example.com", "111122223333", "PowerUser", "in progress", "2026-11-23T12:00:00Z",
            1),
    });
}

struct active_row {
    const char* label;
    const char* user;
    const char* account;
    const char* permission_set;
    const char* now;
    bool expected;
};

std::ostream& operator<<(std::ostream& os, const active_row& r) {
    return os << r.label;
}

class elevation_table : public ::testing::TestWithParam<active_row> {};

}  // namespace

TEST_P(elevation_table, active) {
    static const auto set = sample_set();
    const auto& r = GetParam();
    EXPECT_EQ(set.active(r.user, aid(r.account), r.permission_set, at(r.now)), r.expected);
}

INSTANTIATE_TEST_SUITE_P(
    windows, elevation_table,
    ::testing::Values(
        active_row{"exactly at start", "alice@example.com", "012345678901", "AdminAccess",
                   "2026-11-23T08:00:00Z", true},
        // Issue 13: a 60 s clock skew (the default) at the start only.
        active_row{"one ns before start minus the skew", "alice@example.com", "012345678901",
                   "AdminAccess", "2026-11-23T07:58:59.999999999Z", false},
        active_row{"start minus the skew", "alice@example.com", "012345678901", "AdminAccess",
                   "2026-11-23T07:59:00Z", true},
        active_row{"inside", "alice@example.com", "012345678901", "AdminAccess",
                   "2026-11-23T09:30:00Z", true},
        active_row{"one ns before end", "alice@example.com", "012345678901", "AdminAccess",
                   "2026-11-23T09:59:59.999999999Z", true},
        active_row{"exactly at end", "alice@example.com", "012345678901", "AdminAccess",
                   "2026-11-23T10:00:00Z", false},
        active_row{"user case-insensitive", "ALICE@EXAMPLE.COM", "012345678901", "AdminAccess",
                   "2026-11-23T09:00:00Z", true},
        active_row{"idc_ is TEAM's prefix, not the asker's", "idc_alice@example.com",
                   "012345678901", "AdminAccess", "2026-11-23T09:00:00Z", false},
        active_row{"a user really named idc_zed", "IDC_Zed", "012345678901", "AdminAccess",
                   "2026-11-23T09:00:00Z", true},
        active_row{"permission set case-sensitive", "alice@example.com", "012345678901",
                   "adminaccess", "2026-11-23T09:00:00Z", false},
        active_row{"other account", "alice@example.com", "012345678902", "AdminAccess",
                   "2026-11-23T09:00:00Z", false},
        active_row{"other user", "alicia@example.com", "012345678901", "AdminAccess",
                   "2026-11-23T09:00:00Z", false},
        active_row{"user prefix is not the user", "alice", "012345678901", "AdminAccess",
                   "2026-11-23T09:00:00Z", false},
        active_row{"ended does not count", "bob@example.com", "111122223333", "AdminAccess",
                   "2026-11-23T09:00:00Z", false},
        active_row{"pending does not count", "carol@example.com", "111122223333", "AdminAccess",
                   "2026-11-23T09:00:00Z", false},
        active_row{"second window of the same key", "dave@example.com", "111122223333", "PowerUser",
                   "2026-11-23T12:30:00Z", true},
        active_row{"between two windows", "dave@example.com", "111122223333", "PowerUser",
                   "2026-11-23T10:30:00Z", false},
        active_row{"empty user", "", "111122223333", "PowerUser", "2026-11-23T08:30:00Z", false}));

TEST(elevation, only_in_progress_records_are_kept) {
    EXPECT_EQ(sample_set().size(), 4u);
}

TEST(elevation, idc_prefix) {
    EXPECT_EQ(cc::strip_idc_prefix("idc_alice"), "alice");
    EXPECT_EQ(cc::strip_idc_prefix("IDC_alice"), "alice");
    EXPECT_EQ(cc::strip_idc_prefix("alice"), "alice");
    EXPECT_EQ(cc::strip_idc_prefix("idc_"), "idc_");  // nothing would be left
    EXPECT_EQ(cc::strip_idc_prefix("xidc_alice"), "xidc_alice");
}

TEST(iso8601, accepts_rfc3339_forms) {
    auto base = at("2026-11-23T08:00:00Z");
    EXPECT_EQ(at("2026-11-23T08:00:00.000Z"), base);
    EXPECT_EQ(at("2026-11-23t08:00:00z"), base);
    EXPECT_EQ(at("2026-11-23T09:30:00+01:30"), base);
    EXPECT_EQ(at("2026-11-23T03:00:00-05:00"), base);
    EXPECT_EQ(at("2026-11-23T08:00:00.5Z"), base + 500ms);
    EXPECT_EQ(at("2024-02-29T00:00:00Z") + 24h, at("2024-03-01T00:00:00Z"));
}

// TEAM's startTime and endTime are AppSync AWSDateTime values: seconds (and with them the
// fraction) are optional, and the offset may carry seconds (±hh:mm:ss). A request written through
// TEAM's GraphQL API in those forms is a valid item, not a malformed one to skip.
TEST(iso8601, accepts_appsync_awsdatetime_forms) {
    auto base = at("2026-11-23T08:00:00Z");
    EXPECT_EQ(at("2026-11-23T08:00Z"), base);
    EXPECT_EQ(at("2026-11-23T09:30+01:30"), base);
    EXPECT_EQ(at("2026-11-23T13:30:00+05:30:00"), base);
    EXPECT_EQ(at("2026-11-23T08:00:30+00:00:30"), base);
    EXPECT_EQ(at("2026-11-23T07:59:30.250-00:00:30"), base + 250ms);
    EXPECT_EQ(at("2026-11-23T08:00:00.123456789Z"), base + 123456789ns);
    for (const char* bad :
         {"2026-11-23T08:00", "2026-11-23T08Z", "2026-11-23T08:00.5Z",
          "2026-11-23T08:00:00+05:30:0", "2026-11-23T08:00:00+05:30:60",
          "2026-11-23T08:00:00+05:30:00:00", "2026-11-23T08:0Z", "2026-11-23T08:00+0530"}) {
        EXPECT_FALSE(cc::parse_iso8601(bad)) << bad;
    }
}

TEST(team_snapshot, reads_awsdatetime_without_seconds) {
    auto snap = cc::parse_team_snapshot(
        R"([{"id":"r1","username":"idc_alice","accountId":"333333333333","role":"Admin",)"
        R"("startTime":"2026-11-23T09:00+01:00","duration":"1","status":"ended",)"
        R"("endTime":"2026-11-23T08:30:00+00:00:00"}])",
        "team.json");
    ASSERT_TRUE(snap.document_ok);
    ASSERT_EQ(snap.records.size(), 1u)
        << (snap.diagnostics.empty() ? "" : snap.diagnostics[0].message);
    EXPECT_EQ(snap.records[0].start, at("2026-11-23T08:00:00Z"));
    EXPECT_EQ(snap.records[0].end_time, at("2026-11-23T08:30:00Z"));
}

TEST(iso8601, rejects_everything_else) {
    for (const char* bad :
         {"", "2026-11-23", "2026-11-23T08:00:00", "2026-11-23 08:00:00Z", "2026-13-01T00:00:00Z",
          "2026-02-30T00:00:00Z", "2026-11-23T24:00:00Z", "2026-11-23T08:00:00+2400",
          "2026-11-23T08:00:00.Z", "2026-11-23T08:00:00Zjunk", "1700000000", "1969-12-31T23:59:59Z",
          "9999-12-31T23:59:59Z", "２026-11-23T08:00:00Z"}) {
        EXPECT_FALSE(cc::parse_iso8601(bad)) << bad;
    }
}

TEST(team_snapshot, parses_the_sample_with_its_bad_items) {
    auto snap = cc::parse_team_snapshot(read(data_dir + "team_snapshot.json"), "team.json");
    ASSERT_TRUE(snap.document_ok);
    ASSERT_EQ(snap.records.size(), 4u);
    const auto& a = snap.records[0];
    EXPECT_EQ(a.id, "2f0c1f9e-6d0a-4f59-9bd4-0c7c3e4a1b01");
    EXPECT_EQ(a.user, "alice@example.com");  // idc_ stripped
    EXPECT_EQ(a.account.str(), "012345678901");
    EXPECT_EQ(a.permission_set, "AdministratorAccess");
    EXPECT_EQ(a.status, "in progress");
    EXPECT_EQ(a.start, at("2026-11-23T08:00:00Z"));
    EXPECT_EQ(a.duration_hours, 2.0);
    EXPECT_EQ(snap.records[1].duration_hours, 4.0);  // number, not string
    EXPECT_EQ(snap.records[3].duration_hours, 0.5);  // "0.5" hours

    // One diagnostic per bad item, each naming its index and id.
    ASSERT_EQ(snap.diagnostics.size(), 7u);
    for (const auto& d : snap.diagnostics) {
        EXPECT_EQ(d.where.file, "team.json");
        EXPECT_NE(d.message.find("item ignored"), std::string::npos) << d.message;
    }
    EXPECT_NE(snap.diagnostics[0].message.find("[4] (id bad-account)"), std::string::npos)
        << snap.diagnostics[0].message;
    EXPECT_NE(snap.diagnostics[0].message.find("accountId"), std::string::npos);

    cc::elevation_set set(std::move(snap.records));
    EXPECT_EQ(set.size(), 3u);
    EXPECT_TRUE(set.active("Alice@example.com", aid("012345678901"), "AdministratorAccess",
                           at("2026-11-23T09:59:59Z")));
}

TEST(team_snapshot, dynamodb_typed_items) {
    auto text = R"({"Items": [{"id": {"S": "r1"}, "username": {"S": "idc_bob"},
        "accountId": {"S": "000000000042"}, "role": {"S": "ReadOnly"},
        "startTime": {"S": "2026-11-23T08:00:00Z"}, "duration": {"S": "1"},
        "status": {"S": "in progress"}},
        {"M": {"id": {"S": "r2"}, "username": {"S": "carol"}, "accountId": {"S": "000000000042"},
        "role": {"S": "ReadOnly"}, "startTime": {"S": "2026-11-23T08:00:00Z"},
        "duration": {"N": "3"}, "status": {"S": "ended"}}}]})";
    auto snap = cc::parse_team_snapshot(text, "scan.json");
    ASSERT_TRUE(snap.document_ok);
    EXPECT_TRUE(snap.diagnostics.empty()) << snap.diagnostics[0].message;
    ASSERT_EQ(snap.records.size(), 2u);
    EXPECT_EQ(snap.records[0].user, "bob");
    EXPECT_EQ(snap.records[0].account.str(), "000000000042");
    EXPECT_EQ(snap.records[1].duration_hours, 3.0);
}

struct bad_document_row {
    const char* label;
    const char* text;
    int line;
};

std::ostream& operator<<(std::ostream& os, const bad_document_row& r) {
    return os << r.label;
}

class team_snapshot_bad_documents : public ::testing::TestWithParam<bad_document_row> {};

TEST_P(team_snapshot_bad_documents, invalid_feed_with_position) {
    const auto& r = GetParam();
    auto snap = cc::parse_team_snapshot(r.text, "t.json");
    EXPECT_FALSE(snap.document_ok);
    EXPECT_TRUE(snap.records.empty());
    ASSERT_EQ(snap.diagnostics.size(), 1u);
    EXPECT_EQ(snap.diagnostics[0].where.line, r.line) << snap.diagnostics[0].message;
}

INSTANTIATE_TEST_SUITE_P(documents, team_snapshot_bad_documents,
                         ::testing::Values(bad_document_row{"empty", "", 1},
                                           bad_document_row{"not an array", "{\"a\": 1}", 1},
                                           bad_document_row{"truncated", "[\n{\"id\": \"x\",\n", 3},
                                           bad_document_row{"trailing garbage", "[]\n]", 2},
                                           bad_document_row{"duplicate key",
                                                            "[\n{\"status\": \"ended\",\n"
                                                            " \"status\": \"in progress\"}]",
                                                            3},
                                           bad_document_row{
                                               "too deep",
                                               "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
                                               "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
                                               1}));

TEST(team_snapshot, size_cap) {
    auto snap = cc::parse_team_snapshot("[]", "t.json", 1);
    EXPECT_FALSE(snap.document_ok);
    ASSERT_EQ(snap.diagnostics.size(), 1u);
    EXPECT_TRUE(cc::parse_team_snapshot("[]", "t.json").document_ok);
}

TEST(team_snapshot, diagnostics_are_capped) {
    std::string text = "[";
    for (int i = 0; i < 500; ++i) text += (i ? ",1" : "1");
    text += "]";
    auto snap = cc::parse_team_snapshot(text, "t.json");
    EXPECT_TRUE(snap.document_ok);
    EXPECT_EQ(snap.diagnostics.size(), 101u);
    EXPECT_NE(snap.diagnostics.back().message.find("400 more"), std::string::npos);
}

TEST(team_snapshot, a_dynamodb_query_response_body_parses_as_is) {
    // What the team/ DynamoDB poller receives from Query on the byStatus index.
    auto text = R"({"Count": 1, "ScannedCount": 1,
        "Items": [{"id": {"S": "q1"}, "status": {"S": "in progress"},
                   "username": {"S": "idc_Erin@Example.com"}, "accountId": {"S": "012345678901"},
                   "accountName": {"S": "payments-prod"}, "role": {"S": "AdministratorAccess"},
                   "roleId": {"S": "arn:aws:sso:::permissionSet/ssoins-1/ps-1"},
                   "startTime": {"S": "2026-11-23T08:00:00.000Z"}, "duration": {"S": "1"},
                   "approvers": {"L": [{"S": "bob@example.com"}]}}],
        "LastEvaluatedKey": {"id": {"S": "q1"}, "status": {"S": "in progress"}}})";
    auto snap = cc::parse_team_snapshot(text, "dynamodb");
    ASSERT_TRUE(snap.document_ok);
    ASSERT_TRUE(snap.diagnostics.empty()) << snap.diagnostics[0].message;
    ASSERT_EQ(snap.records.size(), 1u);
    cc::elevation_set set(std::move(snap.records));
    EXPECT_TRUE(set.active("erin@example.com", aid("012345678901"), "AdministratorAccess",
                           at("2026-11-23T08:59:59Z")));
    EXPECT_FALSE(set.active("erin@example.com", aid("012345678901"), "AdministratorAccess",
                            at("2026-11-23T09:00:00Z")));
}

TEST(elevation, fractional_hours_and_hand_built_records_out_of_bounds) {
    auto half = rec("frank", "444455556666", "PowerUserAccess", "in progress",
                    "2026-11-23T08:00:00+01:00", 0);
    half.duration_hours = 0.5;
    auto nan = half;
    nan.user = "nan";
    nan.duration_hours = std::numeric_limits<double>::quiet_NaN();
    auto huge = half;
    huge.user = "huge";
    huge.duration_hours = 1e300;
    cc::elevation_set set({half, nan, huge});
    EXPECT_EQ(set.size(), 1u);
    EXPECT_TRUE(
        set.active("frank", aid("444455556666"), "PowerUserAccess", at("2026-11-23T07:29:59Z")));
    EXPECT_FALSE(
        set.active("frank", aid("444455556666"), "PowerUserAccess", at("2026-11-23T07:30:00Z")));
}

TEST(team_snapshot, demo_team_snapshot_parses) {
    auto file = std::filesystem::path(CG_SOURCE_DIR) / "config" / "demo-team.json";
    std::ifstream in(file, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    auto snap = cc::parse_team_snapshot(text, file.string());
    EXPECT_TRUE(snap.document_ok);
    for (auto& d : snap.diagnostics) ADD_FAILURE() << d.where.line << ": " << d.message;
    ASSERT_EQ(snap.records.size(), 2u);
    // The demo's standing elevation: alice, security tooling, AdministratorAccess.
    cc::elevation_set set(snap.records);
    auto now = *cc::parse_iso8601("2026-11-23T12:00:00Z");
    EXPECT_TRUE(
        set.active("alice", *cc::account_id::parse("333333333333"), "AdministratorAccess", now));
    EXPECT_FALSE(
        set.active("bob", *cc::account_id::parse("333333333333"), "AdministratorAccess", now));
}

// policy.ams.elevation = "any-for-account": any permission set of the account, the user's only.
TEST(elevation, active_in_account_any_permission_set) {
    cc::elevation_set set(
        {rec("idc_alice", "111122223333", "ReadOnly", "in progress", "2026-11-23T08:00:00Z", 2),
         rec("idc_alice", "111122223333", "Admin", "in progress", "2026-11-23T08:30:00Z", 4),
         rec("idc_bob", "222233334444", "Admin", "in progress", "2026-11-23T08:00:00Z", 2),
         rec("idc_carol", "111122223333", "Admin", "revoked", "2026-11-23T08:00:00Z", 2)});
    auto m = set.active_in_account("ALICE", aid("111122223333"), at("2026-11-23T09:00:00Z"));
    EXPECT_EQ(m.what, cc::elevation_match::state::active);
    EXPECT_EQ(m.end, at("2026-11-23T12:30:00Z"));  // the one ending last
    EXPECT_EQ(set.active_in_account("alice", aid("222233334444"), at("2026-11-23T09:00:00Z")).what,
              cc::elevation_match::state::none);
    EXPECT_EQ(set.active_in_account("carol", aid("111122223333"), at("2026-11-23T09:00:00Z")).what,
              cc::elevation_match::state::none);
    EXPECT_EQ(set.active_in_account("", aid("111122223333"), at("2026-11-23T09:00:00Z")).what,
              cc::elevation_match::state::none);
    // The window still holds: after both ended, none.
    EXPECT_EQ(set.active_in_account("alice", aid("111122223333"), at("2026-11-23T13:00:00Z")).what,
              cc::elevation_match::state::none);
}

// DynamoDB's own null ({"NULL": true}, as `aws dynamodb scan` prints an attribute set to null)
// is the plain JSON null: an endTime not written yet. It was read as an unreadable endTime, so
// every such request was skipped as malformed.
TEST(team_snapshot, a_dynamodb_null_end_time_is_no_end_time) {
    auto text = R"([{"id": {"S": "n1"}, "status": {"S": "in progress"},
        "username": {"S": "idc_alice"}, "accountId": {"S": "012345678901"},
        "role": {"S": "Admin"}, "startTime": {"S": "2026-11-23T08:00:00Z"},
        "duration": {"N": "2"}, "endTime": {"NULL": true}}])";
    auto snap = cc::parse_team_snapshot(text, "scan");
    ASSERT_EQ(snap.records.size(), 1u) << snap.diagnostics[0].message;
    EXPECT_FALSE(snap.records[0].end_time);
    // {"NULL": false} is no DynamoDB value: unreadable, skipped.
    std::string odd = text;
    odd.replace(odd.find("true"), 4, "false");
    EXPECT_EQ(cc::parse_team_snapshot(odd, "scan").skipped, 1u);
}

// A copy of a request that cannot be read (an endTime of another type, a status that is not a
// string) might be the copy that ended it: the request's readable copies grant nothing either.
// A snapshot pasted from two exports, with the revoked copy's endTime written as epoch seconds,
// went on granting on the stale in-progress copy.
TEST(team_snapshot, an_unreadable_copy_of_a_request_takes_its_other_copies_out) {
    auto text = R"([
        {"id": "d1", "status": "in progress", "username": "idc_alice",
         "accountId": "012345678901", "role": "Admin", "startTime": "2026-11-23T08:00:00Z",
         "duration": "2"},
        {"id": "d1", "status": "revoked", "username": "idc_alice",
         "accountId": "012345678901", "role": "Admin", "startTime": "2026-11-23T08:00:00Z",
         "duration": "2", "endTime": {"N": "1795425000"}},
        {"id": "d2", "status": "in progress", "username": "idc_alice",
         "accountId": "012345678901", "role": "Viewer", "startTime": "2026-11-23T08:00:00Z",
         "duration": "2"}])";
    auto snap = cc::parse_team_snapshot(text, "export");
    EXPECT_EQ(snap.skipped, 2u);  // the unreadable copy and the copy it takes out
    cc::elevation_set set(std::move(snap.records));
    EXPECT_FALSE(set.active("alice", aid("012345678901"), "Admin", at("2026-11-23T08:30:00Z")));
    EXPECT_TRUE(set.active("alice", aid("012345678901"), "Viewer", at("2026-11-23T08:30:00Z")));
}

// A status TEAM never writes (its statuses are lower case, exactly): the item is unreadable, so
// neither "In Progress" grants nor a " revoked" or "REVOKED" copy is ignored beside the
// request's in-progress copy (which it then takes out).
TEST(team_snapshot, a_status_in_another_spelling_is_unreadable_and_takes_its_copies_out) {
    auto item = [](const char* id, const char* status, const char* role) {
        return std::string(R"({"id": ")") + id + R"(", "status": ")" + status +
               R"(", "username": "idc_alice", "accountId": "012345678901", "role": ")" + role +
               R"(", "startTime": "2026-11-23T08:00:00Z", "duration": "2"})";
    };
    for (const char* spelling : {"In Progress", "in progress ", " in progress", "IN PROGRESS",
                                 "in  progress", "in_progress", "active", ""}) {
        auto snap = cc::parse_team_snapshot("[" + item("s1", spelling, "Admin") + "]", "export");
        EXPECT_TRUE(snap.records.empty()) << "'" << spelling << "'";
        ASSERT_EQ(snap.diagnostics.size(), 1u) << "'" << spelling << "'";
        EXPECT_NE(snap.diagnostics[0].message.find("status"), std::string::npos);
    }
    for (const char* spelling : {"Revoked", " revoked", "ENDED", "ended\\t"}) {
        auto text = "[" + item("s2", "in progress", "Admin") + "," + item("s2", spelling, "Admin") +
                    "," + item("s3", "in progress", "Viewer") + "]";
        auto snap = cc::parse_team_snapshot(text, "export");
        EXPECT_EQ(snap.skipped, 2u) << "'" << spelling << "'";
        cc::elevation_set set(std::move(snap.records));
        EXPECT_FALSE(set.active("alice", aid("012345678901"), "Admin", at("2026-11-23T08:30:00Z")))
            << "'" << spelling << "'";
        EXPECT_TRUE(set.active("alice", aid("012345678901"), "Viewer", at("2026-11-23T08:30:00Z")));
    }
    // TEAM's own statuses read as before; only "in progress" grants.
    for (const char* status : {"pending", "approved", "rejected", "cancelled", "scheduled",
                               "in progress", "ended", "revoked", "expired", "error"}) {
        auto snap = cc::parse_team_snapshot("[" + item("s4", status, "Admin") + "]", "export");
        EXPECT_EQ(snap.records.size(), 1u) << status;
        cc::elevation_set set(std::move(snap.records));
        EXPECT_EQ(set.active("alice", aid("012345678901"), "Admin", at("2026-11-23T08:30:00Z")),
                  std::string_view(status) == "in progress")
            << status;
    }
}
