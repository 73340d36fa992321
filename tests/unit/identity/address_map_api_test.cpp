// The admin API's bodies and answers (the tokens are checked by app/admin_server.cpp).

#include "consolegate/identity/address_map_api.hpp"

#include <gtest/gtest.h>

namespace consolegate::identity {
namespace {

using namespace std::chrono_literals;

const time_point t0 = time_point(std::chrono::seconds(1'800'000'000));  // 2027-01-15T08:00:00Z

std::string user_at(const address_map& m, const char* a, time_point now) {
    auto id = m.find(*core::ip_address::parse(a), now);
    return id ? id->user : "";
}

TEST(address_map_api, one_push_then_a_batch) {
    address_map m(10);
    auto r = post_mappings(
        m, R"({"address":"10.1.2.3","user":"alice@CORP.EXAMPLE","ttl_seconds":60})", 24h, t0);
    EXPECT_EQ(r.status, 200u);
    EXPECT_NE(r.body.find("\"stored\":1"), std::string::npos) << r.body;
    EXPECT_EQ(user_at(m, "10.1.2.3", t0 + 59s), "alice@CORP.EXAMPLE");
    EXPECT_EQ(user_at(m, "10.1.2.3", t0 + 60s), "");
    r = post_mappings(m,
                      R"([{"address":"10.1.2.3","user":"bob","ttl_seconds":60},
                          {"address":"2001:db8::5","user":"carol","ttl_seconds":30}])",
                      24h, t0 + 10s);
    EXPECT_EQ(r.status, 200u);
    EXPECT_NE(r.body.find("\"replaced\":1"), std::string::npos) << r.body;
    EXPECT_EQ(user_at(m, "10.1.2.3", t0 + 11s), "bob");
    EXPECT_EQ(user_at(m, "2001:db8::5", t0 + 11s), "carol");
}

TEST(address_map_api, at_orders_leases_and_a_future_at_counts_from_now) {
    address_map m(10);
    post_mappings(
        m, R"({"address":"10.1.2.3","user":"bob","ttl_seconds":600,"at":"2027-01-15T08:00:30Z"})",
        24h, t0 + 40s);
    auto r = post_mappings(
        m, R"({"address":"10.1.2.3","user":"alice","ttl_seconds":600,"at":"2027-01-15T08:00:00Z"})",
        24h, t0 + 41s);
    EXPECT_NE(r.body.find("\"stale\":1"), std::string::npos) << r.body;
    EXPECT_EQ(user_at(m, "10.1.2.3", t0 + 42s), "bob");
    post_mappings(
        m, R"({"address":"10.1.2.9","user":"dave","ttl_seconds":10,"at":"2030-01-01T00:00:00Z"})",
        24h, t0);
    EXPECT_EQ(user_at(m, "10.1.2.9", t0 + 9s), "dave");
    EXPECT_EQ(user_at(m, "10.1.2.9", t0 + 10s), "");
}

// An entry names its person whatever spelling the pushing system uses for the address, and the
// spellings that could name another address are refused with why.
TEST(address_map_api, every_spelling_of_an_address_names_the_same_person) {
    for (const char* pushed : {"10.20.0.5", "::ffff:10.20.0.5", "::FFFF:0A14:0005"}) {
        address_map m(10);
        const std::string body =
            std::string(R"({"address":")") + pushed + R"(","user":"carol","ttl_seconds":60})";
        ASSERT_EQ(post_mappings(m, body, 24h, t0).status, 200u) << pushed;
        for (const char* seen : {"10.20.0.5", "::ffff:10.20.0.5"})
            EXPECT_EQ(user_at(m, seen, t0), "carol") << pushed << " seen as " << seen;
        EXPECT_NE(list_mappings(m, t0).body.find(R"("address":"10.20.0.5")"), std::string::npos);
        EXPECT_EQ(delete_mapping(m, "::FFFF:10.20.0.5", std::nullopt).status, 200u) << pushed;
        EXPECT_EQ(user_at(m, "10.20.0.5", t0), "");
    }
    for (const char* refused : {"010.020.000.005", "fe80::1%eth0", "::10.20.0.5"}) {
        address_map m(10);
        const std::string body =
            std::string(R"({"address":")") + refused + R"(","user":"carol","ttl_seconds":60})";
        auto r = post_mappings(m, body, 24h, t0);
        EXPECT_EQ(r.status, 400u) << refused;
        EXPECT_NE(r.body.find("address"), std::string::npos) << r.body;
        EXPECT_EQ(user_at(m, "10.20.0.5", t0), "") << refused;
        EXPECT_EQ(user_at(m, "10.20.0.8", t0), "") << refused;  // octal 010.020.000.005
    }
}

TEST(address_map_api, a_bad_item_refuses_the_whole_batch) {
    address_map m(10);
    for (const char* body : {
             "not json",
             "42",
             R"({"address":"10.1.2.3","user":"alice"})",
             R"({"address":"10.1.2.3","user":"alice","ttl_seconds":0})",
             R"({"address":"10.1.2.3","user":"alice","ttl_seconds":"60"})",
             R"({"address":"10.1.2.3","user":"alice","ttl_seconds":90000})",
             // Would overflow in milliseconds (found by fuzz_identity under UBSan).
             R"({"address":"10.1.2.3","user":"alice","ttl_seconds":602222222222222222})",
             R"({"address":"10.1.2.3","user":"alice","ttl_seconds":9223372036854775807})",
             R"({"address":"10.0.0.0/8","user":"alice","ttl_seconds":60})",
             R"({"address":"10.1.2.3","user":"al ice","ttl_seconds":60})",
             R"({"address":"10.1.2.3","user":"alice","ttl_seconds":60,"at":"yesterday"})",
             R"({"address":"10.1.2.3","user":"alice","ttl_seconds":60,"groups":[]})",
             R"([{"address":"10.1.2.4","user":"ok","ttl_seconds":60},{"address":"x"}])",
         }) {
        auto r = post_mappings(m, body, 24h, t0);
        EXPECT_EQ(r.status, 400u) << body;
        EXPECT_NE(r.body.find("\"error\""), std::string::npos) << body;
    }
    EXPECT_EQ(m.size(), 0u);  // not even the batch's good first item
}

TEST(address_map_api, a_full_map_answers_507_with_the_counts) {
    address_map m(1);
    post_mappings(m, R"({"address":"10.1.2.3","user":"a","ttl_seconds":60})", 24h, t0);
    auto r = post_mappings(m, R"([{"address":"10.1.2.3","user":"a","ttl_seconds":60},
                                  {"address":"10.1.2.4","user":"b","ttl_seconds":60}])",
                           24h, t0);
    EXPECT_EQ(r.status, 507u);
    EXPECT_NE(r.body.find("\"replaced\":1"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("\"refused_full\":1"), std::string::npos) << r.body;
}

TEST(address_map_api, delete_and_list) {
    address_map m(10);
    post_mappings(m, R"({"address":"10.1.2.3","user":"bob","ttl_seconds":60})", 24h, t0);
    EXPECT_EQ(delete_mapping(m, "10.1.2.3", std::string("alice")).status, 404u);
    auto l = list_mappings(m, t0);
    EXPECT_EQ(l.status, 200u);
    EXPECT_EQ(l.body,
              "{\"address\":\"10.1.2.3\",\"user\":\"bob\",\"origin\":\"api\","
              "\"at\":\"2027-01-15T08:00:00.000Z\",\"expires\":\"2027-01-15T08:01:00.000Z\"}\n");
    EXPECT_EQ(delete_mapping(m, "10.1.2.3", std::nullopt).status, 200u);
    EXPECT_EQ(delete_mapping(m, "10.1.2.3", std::nullopt).status, 404u);
    EXPECT_EQ(delete_mapping(m, "nope", std::nullopt).status, 400u);
    EXPECT_EQ(list_mappings(m, t0).body, "");
}

}  // namespace
}  // namespace consolegate::identity
