// app/portal_users.cpp: who holds an access-portal token, as AWS said, and the pipeline naming
// that user (or the mapped corporate user) on the portal's federation requests.
#include "portal_users.hpp"

#include <gtest/gtest.h>

#include "consolegate/core/time.hpp"
#include "enforcement.hpp"
#include "explain.hpp"

namespace consolegate::app {
namespace {

using namespace std::chrono_literals;
using core::reason;

const auto t0 = *core::parse_rfc3339("2026-11-23T09:00:00Z");
const std::string tok_a = "portal-token-aaaaaaaaaaaaaaaaaaaaaaaa";
const std::string tok_b = "portal-token-bbbbbbbbbbbbbbbbbbbbbbbb";
const std::string tok_c = "portal-token-cccccccccccccccccccccccc";
constexpr const char* gated_account = "111122223333";

portal_user_table::limits lim(std::size_t n = 100, std::chrono::seconds life = 1h) {
    return {n, life};
}

TEST(portal_users, learns_refreshes_and_expires) {
    portal_user_table t;
    EXPECT_FALSE(t.user_of(tok_a, t0));
    t.learn(tok_a, "alice", t0, lim());
    EXPECT_EQ(t.user_of(tok_a, t0 + 59min).value_or(""), "alice");
    EXPECT_FALSE(t.user_of(tok_b, t0));
    EXPECT_FALSE(t.user_of(tok_a, t0 + 1h));     // expired
    t.learn(tok_a, "alice", t0 + 30min, lim());  // AWS named her again: refreshed
    EXPECT_EQ(t.user_of(tok_a, t0 + 80min).value_or(""), "alice");
    EXPECT_EQ(t.size(), 1u);
    EXPECT_EQ(t.learned(), 2u);
}

TEST(portal_users, a_token_named_for_two_users_names_nobody_until_it_expires) {
    portal_user_table t;
    t.learn(tok_a, "alice", t0, lim());
    t.learn(tok_a, "bob", t0 + 1min, lim());
    EXPECT_FALSE(t.user_of(tok_a, t0 + 2min));
    t.learn(tok_a, "alice", t0 + 3min, lim());  // contradicted stays contradicted
    EXPECT_FALSE(t.user_of(tok_a, t0 + 4min));
    EXPECT_FALSE(t.user_of(tok_a, t0 + 2h));
    t.learn(tok_a, "alice", t0 + 2h, lim());  // after expiry: learned afresh
    EXPECT_EQ(t.user_of(tok_a, t0 + 2h).value_or(""), "alice");
}

TEST(portal_users, bounded_the_soonest_to_expire_go_first) {
    portal_user_table t;
    t.learn(tok_a, "alice", t0, lim(2));
    t.learn(tok_b, "bob", t0 + 1min, lim(2));
    t.learn(tok_c, "carol", t0 + 2min, lim(2));
    EXPECT_EQ(t.size(), 2u);
    EXPECT_FALSE(t.user_of(tok_a, t0 + 3min));
    EXPECT_EQ(t.user_of(tok_b, t0 + 3min).value_or(""), "bob");
    EXPECT_EQ(t.user_of(tok_c, t0 + 3min).value_or(""), "carol");
    t.learn(tok_a, "alice", t0 + 4min, lim(0));  // no room at all: nothing kept
    EXPECT_FALSE(t.user_of(tok_a, t0 + 4min));
}

TEST(portal_users, keys_are_keyed_digests) {
    // Another process (another key) finds nothing: the table holds no token, only HMACs.
    portal_user_table::key_type k1{}, k2{};
    k2[0] = 1;
    portal_user_table a(k1), b(k2);
    a.learn(tok_a, "alice", t0, lim());
    b.learn(tok_b, "bob", t0, lim());
    EXPECT_EQ(a.user_of(tok_a, t0).value_or(""), "alice");
    EXPECT_FALSE(a.user_of(tok_b, t0));
    EXPECT_FALSE(b.user_of(tok_a, t0));
}

// The portal's GET /user and AWS's answer.
struct exchange {
    std::vector<std::pair<std::string_view, std::string_view>> headers;
    core::http_request_view req;
    proxy::response_view resp;
    exchange(std::string_view host, std::string_view target, std::string_view token,
             std::string_view body, unsigned status = 200) {
        if (!token.empty()) headers.emplace_back("x-amz-sso_bearer_token", token);
        req.method = "GET";
        req.host = host;
        req.target = target;
        req.headers = headers;
        req.time = t0;
        resp.status = status;
        resp.body = body;
        resp.body_complete = true;
    }
};

TEST(portal_users, observe_learns_only_from_the_portal_s_answer_to_get_user) {
    const std::string_view host = "portal.sso.eu-west-1.amazonaws.com";
    const std::string_view alice = R"({"subject":"alice","userId":"9067-a"})";
    portal_user_table t;
    EXPECT_TRUE(t.observe(exchange(host, "/user", tok_a, alice).req,
                          exchange(host, "/user", tok_a, alice).resp, lim()));
    EXPECT_EQ(t.user_of(tok_a, t0).value_or(""), "alice");
    struct refused {
        const char* why;
        exchange x;
    };
    refused cases[] = {
        {"another host", exchange("portal.sso.example.com", "/user", tok_b, alice)},
        {"another path", exchange(host, "/token/whoAmI", tok_b, alice)},
        {"no token", exchange(host, "/user", "", alice)},
        {"not 200", exchange(host, "/user", tok_b, alice, 401)},
        {"no subject", exchange(host, "/user", tok_b, R"({"userId":"x"})")},
    };
    for (auto& c : cases) {
        EXPECT_FALSE(t.observe(c.x.req, c.x.resp, lim())) << c.why;
        EXPECT_FALSE(t.user_of(tok_b, t0)) << c.why;
    }
    exchange streamed(host, "/user", tok_b, "");
    streamed.resp.body_complete = false;  // a body that streamed past the observer
    EXPECT_FALSE(t.observe(streamed.req, streamed.resp, lim()));
}

// ---- the pipeline names the user -----------------------------------------------------------

std::shared_ptr<const policy_snapshot> gated(std::string idc_user_template = "") {
    auto cfg = std::make_shared<core::config>();
    core::rule_config r;
    r.name = "gated";
    r.effect = core::rule_effect::allow_with_elevation;
    r.accounts = {*core::account_id::parse(gated_account)};
    cfg->policy.rules = {r};
    cfg->identity.idc_user = std::move(idc_user_template);
    cfg->identity.realms = {"CORP.EXAMPLE", "CORP"};
    return make_policy_snapshot(std::move(cfg));
}

const core::elevation_set& carol_elevated() {
    static const core::elevation_set set([] {
        core::elevation_record r;
        r.id = "req-carol";
        r.user = "carol";
        r.account = *core::account_id::parse(gated_account);
        r.permission_set = "Admin";
        r.status = "in progress";
        r.start = t0 - 1h;
        r.duration_hours = 4;
        return std::vector<core::elevation_record>{r};
    }());
    return set;
}

struct federation {
    std::vector<std::pair<std::string_view, std::string_view>> headers;
    core::corp_identity corp;
    core::http_request_view req;
    explicit federation(std::string_view token, std::string_view corp_user = {},
                        std::string_view target =
                            "/federation/credentials?account_id=111122223333&role_name=Admin") {
        if (!token.empty()) headers.emplace_back("x-amz-sso_bearer_token", token);
        req.method = "GET";
        req.host = "portal.sso.eu-west-1.amazonaws.com";
        req.target = target;
        req.headers = headers;
        req.time = t0;
        if (!corp_user.empty()) {
            corp.user = std::string(corp_user);
            corp.source = core::corp_source::kerberos;
            req.corp = &corp;
        }
    }
};

struct pipeline_row {
    const char* label;
    const char* template_;     // identity.idc_user
    const std::string* token;  // presented; nullptr = none
    const char* corp_user;     // "" = unknown
    bool portal_table = true;  // the gateway's (explain has none)
    bool want_allow;
    reason want;
    const char* user;  // the event's user
    const char* identity_source;
};

std::ostream& operator<<(std::ostream& os, const pipeline_row& r) {
    return os << r.label;
}

class portal_user_pipeline : public ::testing::TestWithParam<pipeline_row> {};

TEST_P(portal_user_pipeline, judges_the_person_signed_in) {
    const auto& r = GetParam();
    portal_user_table table;
    table.learn(tok_a, "dave", t0 - 1min, lim());   // not elevated
    table.learn(tok_b, "carol", t0 - 1min, lim());  // elevated
    auto snap = gated(r.template_);
    enforcement_inputs in;
    in.policy = snap.get();
    in.elevations = core::elevation_view::of(carol_elevated());
    if (r.portal_table) in.portal_users = &table;
    federation f(r.token ? std::string_view(*r.token) : std::string_view(), r.corp_user);
    auto out = enforce(f.req, in);
    ASSERT_EQ(out.attempts.size(), 1u);
    EXPECT_EQ(out.verdict.allows(), r.want_allow);
    EXPECT_EQ(core::to_string(out.verdict.why), core::to_string(r.want));
    ASSERT_EQ(out.events.size(), 1u);
    EXPECT_EQ(out.events[0].user, r.user);
    EXPECT_EQ(out.events[0].identity_source, r.identity_source);
    // A user nobody named is never told about "your" elevation.
    if (std::string_view(r.user).empty()) {
        EXPECT_EQ(core::describe(out.verdict.why).find("you hold"), std::string_view::npos);
    }
}

INSTANTIATE_TEST_SUITE_P(
    who, portal_user_pipeline,
    ::testing::Values(
        pipeline_row{"token of an unelevated user while another is elevated", "", &tok_a, "", true,
                     false, reason::elevation_missing, "dave", "portal-token"},
        pipeline_row{"token of the elevated user", "", &tok_b, "", true, true,
                     reason::elevation_active, "carol", "portal-token"},
        pipeline_row{"token nobody named", "", &tok_c, "", true, false,
                     reason::elevation_user_unknown, "", ""},
        pipeline_row{"no token", "", nullptr, "", true, false, reason::elevation_user_unknown, "",
                     ""},
        pipeline_row{"no table (explain)", "", &tok_b, "", false, false,
                     reason::elevation_user_unknown, "", ""},
        pipeline_row{"corporate user mapped, elevated", "{name}", &tok_c, "carol@CORP.EXAMPLE",
                     true, true, reason::elevation_active, "carol", "corp-mapping"},
        pipeline_row{"corporate user mapped, not elevated", "{name}", nullptr, "CORP\\dave", true,
                     false, reason::elevation_missing, "dave", "corp-mapping"},
        pipeline_row{"AWS's user beats the corporate mapping", "{name}", &tok_a,
                     "carol@CORP.EXAMPLE", true, false, reason::elevation_missing, "dave",
                     "portal-token"},
        pipeline_row{"corporate user without a mapping", "", &tok_c, "carol@CORP.EXAMPLE", true,
                     false, reason::elevation_user_unknown, "", ""},
        pipeline_row{"mapping to another name space", "{name}@corp.example", nullptr,
                     "carol@CORP.EXAMPLE", true, false, reason::elevation_missing,
                     "carol@corp.example", "corp-mapping"},
        pipeline_row{"another realm's namesake maps to nobody", "{name}", &tok_c,
                     "carol@PARTNER.EXAMPLE", true, false, reason::elevation_user_unknown, "",
                     ""}));

TEST(portal_users, the_console_link_follows_the_named_user_not_anyone) {
    portal_user_table table;
    table.learn(tok_a, "dave", t0 - 1min, lim());
    auto snap = gated();
    enforcement_inputs in;
    in.policy = snap.get();
    in.elevations = core::elevation_view::of(carol_elevated());
    in.portal_users = &table;
    federation dave(tok_a, {}, "/federation/console?account_id=111122223333&role_name=Admin");
    auto out = enforce(dave.req, in);
    EXPECT_FALSE(out.verdict.allows());
    EXPECT_EQ(out.verdict.why, reason::elevation_missing);
    // Without a user, the documented choice (policy.portal_console_without_user, default
    // "anyone-elevated") lets the console link through while carol is elevated.
    federation nobody(tok_c, {}, "/federation/console?account_id=111122223333&role_name=Admin");
    EXPECT_TRUE(enforce(nobody.req, in).verdict.allows());
}

// explain has no portal table: with --corp-user it shows the mapped user TEAM was matched on.
TEST(portal_users, explain_shows_the_mapped_user) {
    auto snap = gated("{name}");
    enforcement_inputs in;
    in.policy = snap.get();
    in.elevations = core::elevation_view::of(carol_elevated());
    federation f(tok_c, "carol@CORP.EXAMPLE");
    auto out = explain_request(f.req, in);
    EXPECT_EQ(out.at("effect").as_string(), "allow");
    const auto& a = out.at("attempts").as_array().at(0).as_object();
    EXPECT_EQ(a.at("user").as_string(), "");
    EXPECT_EQ(a.at("idc_user").as_string(), "carol");
    EXPECT_EQ(a.at("identity_source").as_string(), "corp-mapping");
    EXPECT_EQ(a.at("reason").as_string(), "elevation-active");
    // The deciding attempt's TEAM answer is on the top line too, with the user it was matched
    // on: a script reading explain's summary sees which request let the sign-in through.
    EXPECT_EQ(out.at("idc_user").as_string(), "carol");
    EXPECT_EQ(out.at("identity_source").as_string(), "corp-mapping");
    EXPECT_EQ(out.at("elevation_request").as_string(), a.at("elevation_request").as_string());
    EXPECT_FALSE(out.at("elevation_request").as_string().empty());
    EXPECT_EQ(out.at("elevation_end").as_string(), a.at("elevation_end").as_string());
    EXPECT_TRUE(out.contains("elevation_ticket"));
}

// A fleet's table (app/session_sharing.hpp): one key from the fleet's session key, the rows of
// the shared store, and the contradiction rule across replicas.
TEST(portal_users, the_fleet_key_is_the_same_for_every_replica_and_never_the_session_key) {
    std::array<unsigned char, 32> session_key{7}, other{8};
    EXPECT_EQ(portal_user_table::for_sessions(session_key),
              portal_user_table::for_sessions(session_key));
    EXPECT_NE(portal_user_table::for_sessions(session_key), portal_user_table::for_sessions(other));
    EXPECT_NE(portal_user_table::for_sessions(session_key), session_key);
    portal_user_table a(portal_user_table::for_sessions(session_key)),
        b(portal_user_table::for_sessions(session_key));
    EXPECT_EQ(a.digest_of("some-token-0123456789"), b.digest_of("some-token-0123456789"));
}

TEST(portal_users, a_row_round_trips_and_a_bad_one_is_refused) {
    portal_user_table t;
    auto d = t.digest_of("some-token-0123456789");
    auto exp = std::chrono::system_clock::time_point(std::chrono::milliseconds(1'900'000'000'000));
    auto [d2, e2] =
        portal_user_table::parse_entry(portal_user_table::entry_text(d, {"carol", exp, ""}));
    EXPECT_EQ(d2, d);
    EXPECT_EQ(e2.user, "carol");
    EXPECT_EQ(e2.expires, exp);
    // Contradicted travels as "".
    EXPECT_EQ(
        portal_user_table::parse_entry(portal_user_table::entry_text(d, {"", exp, ""})).second.user,
        "");
    for (std::string bad :
         {std::string("not json"), std::string("[]"),
          std::string(R"({"d":"zz","exp":1,"portal_user":"a"})"),
          R"({"d":")" + std::string(64, 'a') + R"(","exp":"1","portal_user":"a"})",
          R"({"d":")" + std::string(64, 'a') + R"(","exp":1})",
          R"({"d":")" + std::string(64, 'a') + R"(","exp":1,"portal_user":"a b"})",
          R"({"d":")" + std::string(64, 'a') + R"(","exp":1,"portal_user":")" +
              std::string(129, 'a') + R"("})"}) {
        EXPECT_THROW(portal_user_table::parse_entry(bad), std::invalid_argument) << bad;
    }
}

TEST(portal_users, a_restored_row_follows_the_contradiction_rule_and_the_local_bounds) {
    auto now = std::chrono::system_clock::now();
    portal_user_table t(portal_user_table::random_key(), lim(2, 1h));
    auto d = t.digest_of("some-token-0123456789");
    // Another replica's row: kept no longer than this replica would keep it.
    t.restore(d, {"carol", now + 100h, ""}, now);
    EXPECT_EQ(t.user_of("some-token-0123456789", now), "carol");
    EXPECT_EQ(t.user_of("some-token-0123456789", now + 2h), std::nullopt);
    // Another user for the same token, from the store or learned here: nobody.
    t.restore(d, {"mallory", now + 1h, ""}, now);
    EXPECT_EQ(t.user_of("some-token-0123456789", now), std::nullopt);
    // A contradicted row contradicts what this replica knows.
    t.learn("token-two-0123456789", "dave", now, lim(2, 1h));
    t.restore(t.digest_of("token-two-0123456789"), {"", now + 1h, ""}, now);
    EXPECT_EQ(t.user_of("token-two-0123456789", now), std::nullopt);
    // Expired rows teach nothing; the bound holds.
    t.restore(t.digest_of("token-three-0123456789"), {"erin", now - 1s, ""}, now);
    EXPECT_EQ(t.user_of("token-three-0123456789", now), std::nullopt);
    t.restore(t.digest_of("token-four-0123456789"), {"frank", now + 1h, ""}, now);
    EXPECT_LE(t.size(), 2u);
}

// The person (docs/inspection.md "The portal's user", "The person"): a token is its opener's.
TEST(portal_users, keeps_the_first_opener_known) {
    portal_user_table t;
    t.learn(tok_a, "carol", t0, lim(), "alice");
    // bob's browser asking /user with alice's copied token does not make it his.
    t.learn(tok_a, "carol", t0 + 1min, lim(), "bob");
    EXPECT_EQ(t.entry_of(tok_a, t0 + 2min).value().corp_user, "alice");
    EXPECT_EQ(t.entry_of(tok_a, t0 + 2min).value().user, "carol");
    // Learned where nobody was named: no opener, until one is known.
    t.learn(tok_b, "carol", t0, lim());
    EXPECT_EQ(t.entry_of(tok_b, t0).value().corp_user, "");
    t.learn(tok_b, "carol", t0 + 1min, lim(), "alice");
    EXPECT_EQ(t.entry_of(tok_b, t0 + 1min).value().corp_user, "alice");
    // A contradicted token is nobody's entry at all.
    t.learn(tok_c, "carol", t0, lim(), "alice");
    t.learn(tok_c, "dave", t0, lim(), "alice");
    EXPECT_FALSE(t.entry_of(tok_c, t0));
}

TEST(portal_users, observe_keeps_the_corporate_user_of_the_connection) {
    const std::string_view host = "portal.sso.eu-west-1.amazonaws.com";
    const std::string_view carol = R"({"subject":"carol","userId":"9067-c"})";
    portal_user_table t;
    exchange named(host, "/user", tok_a, carol);
    core::corp_identity corp;
    corp.user = "alice@CORP.EXAMPLE";
    corp.source = core::corp_source::kerberos;
    named.req.corp = &corp;
    EXPECT_TRUE(t.observe(named.req, named.resp, lim()));
    EXPECT_EQ(t.entry_of(tok_a, t0).value().corp_user, "alice@CORP.EXAMPLE");
    exchange nobody(host, "/user", tok_b, carol);
    EXPECT_TRUE(t.observe(nobody.req, nobody.resp, lim()));
    EXPECT_EQ(t.entry_of(tok_b, t0).value().corp_user, "");
}

struct person_row {
    const char* label;
    const char* opener;     // who the token was learned for ("" = nobody named)
    const char* presenter;  // the federation request's corporate user ("" = nobody named)
    bool want_allow;
    reason want;
    const char* session_corp_user;  // the event's
};

std::ostream& operator<<(std::ostream& os, const person_row& r) {
    return os << r.label;
}

class portal_token_person : public ::testing::TestWithParam<person_row> {};

// carol's token (elevated) learned on `opener`'s connection, presented by `presenter`, on both
// federation paths: another person, or nobody, is refused as the console session rule refuses
// a copied session, never judged on carol's elevation.
TEST_P(portal_token_person, is_judged_for_its_opener_only) {
    const auto& r = GetParam();
    portal_user_table table;
    table.learn(tok_b, "carol", t0 - 1min, lim(), r.opener);
    auto snap = gated();
    enforcement_inputs in;
    in.policy = snap.get();
    in.elevations = core::elevation_view::of(carol_elevated());
    in.portal_users = &table;
    for (const char* target : {"/federation/credentials?account_id=111122223333&role_name=Admin",
                               "/federation/console?account_id=111122223333&role_name=Admin"}) {
        SCOPED_TRACE(target);
        federation f(tok_b, r.presenter, target);
        auto out = enforce(f.req, in);
        ASSERT_EQ(out.attempts.size(), 1u);
        EXPECT_EQ(out.verdict.allows(), r.want_allow);
        EXPECT_EQ(core::to_string(out.verdict.why), core::to_string(r.want));
        ASSERT_EQ(out.events.size(), 1u);
        EXPECT_EQ(out.events[0].session_corp_user, r.session_corp_user);
        EXPECT_EQ(out.events[0].corp_user, r.presenter);
    }
}

INSTANTIATE_TEST_SUITE_P(
    who, portal_token_person,
    ::testing::Values(
        person_row{"its opener", "alice", "alice", true, reason::elevation_active, "alice"},
        person_row{"its opener in another case", "alice", "ALICE", true, reason::elevation_active,
                   "alice"},
        person_row{"its opener by Kerberos, learned by the address map", "alice",
                   "alice@CORP.EXAMPLE", true, reason::elevation_active, "alice"},
        person_row{"another person", "alice", "bob", false, reason::session_user_mismatch, "alice"},
        person_row{"a namesake of another realm", "alice@CORP.EXAMPLE", "alice@PARTNER.EXAMPLE",
                   false, reason::session_user_mismatch, "alice@CORP.EXAMPLE"},
        person_row{"a connection naming nobody", "alice", "", false, reason::session_user_mismatch,
                   "alice"},
        person_row{"an opener not known: judged as before", "", "bob", true,
                   reason::elevation_active, ""}));

TEST(portal_users, a_row_carries_the_opener_and_an_older_row_reads_as_not_known) {
    portal_user_table t;
    auto d = t.digest_of("some-token-0123456789");
    auto exp = std::chrono::system_clock::time_point(std::chrono::milliseconds(1'900'000'000'000));
    auto [d2, e2] = portal_user_table::parse_entry(
        portal_user_table::entry_text(d, {"carol", exp, "alice@CORP.EXAMPLE"}));
    EXPECT_EQ(e2.user, "carol");
    EXPECT_EQ(e2.corp_user, "alice@CORP.EXAMPLE");
    const std::string hex(64, 'a');
    EXPECT_EQ(portal_user_table::parse_entry(R"({"d":")" + hex + R"(","exp":1,"portal_user":"c"})")
                  .second.corp_user,
              "");
    for (std::string bad : {R"({"d":")" + hex + R"(","exp":1,"portal_user":"c","corp_user":1})",
                            R"({"d":")" + hex + R"(","exp":1,"portal_user":"c","corp_user":"a b"})",
                            R"({"d":")" + hex + R"(","exp":1,"portal_user":"c","corp_user":")" +
                                std::string(257, 'a') + R"("})"}) {
        EXPECT_THROW(portal_user_table::parse_entry(bad), std::invalid_argument) << bad;
    }
    // Restored, the opener known here stays; one not known here is taken from the row.
    auto now = std::chrono::system_clock::now();
    portal_user_table r;
    r.learn("token-one-0123456789", "carol", now, lim(), "alice");
    r.restore(r.digest_of("token-one-0123456789"), {"carol", now + 1h, "bob"}, now);
    EXPECT_EQ(r.entry_of("token-one-0123456789", now).value().corp_user, "alice");
    r.restore(r.digest_of("token-two-0123456789"), {"carol", now + 1h, "bob"}, now);
    EXPECT_EQ(r.entry_of("token-two-0123456789", now).value().corp_user, "bob");
}

}  // namespace
}  // namespace consolegate::app
