// The address map: newest mapping wins, TTLs, the bound, removal, concurrent readers.

#include "consolegate/identity/address_map.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace consolegate::identity {
namespace {

using namespace std::chrono_literals;

const time_point t0 = time_point(std::chrono::seconds(1'800'000'000));

core::ip_address ip(const char* s) {
    return *core::ip_address::parse(s);
}

std::string user_at(const address_map& m, const char* address, time_point now) {
    auto id = m.find(ip(address), now);
    if (!id) return "";
    EXPECT_EQ(id->source, core::corp_source::address_map);
    return id->user;
}

TEST(address_map, a_pushed_mapping_holds_until_its_ttl) {
    address_map m(10);
    EXPECT_EQ(m.put(ip("10.1.2.3"), "alice@CORP.EXAMPLE", t0, t0 + 60s, t0), put_outcome::stored);
    EXPECT_EQ(user_at(m, "10.1.2.3", t0), "alice@CORP.EXAMPLE");
    EXPECT_EQ(user_at(m, "10.1.2.3", t0 + 59s), "alice@CORP.EXAMPLE");
    EXPECT_EQ(user_at(m, "10.1.2.3", t0 + 60s), "");
    EXPECT_EQ(user_at(m, "10.1.2.4", t0), "");
    EXPECT_EQ(m.prune(t0 + 60s), 1u);
    EXPECT_EQ(m.size(), 0u);
    EXPECT_EQ(m.counters().expired.load(), 1u);
}

TEST(address_map, ipv4_and_its_mapped_ipv6_form_are_one_address) {
    address_map m(10);
    m.put(ip("10.1.2.3"), "alice", t0, t0 + 60s, t0);
    EXPECT_EQ(user_at(m, "::ffff:10.1.2.3", t0), "alice");
}

TEST(address_map, a_refresh_extends_and_a_newer_push_replaces) {
    address_map m(10);
    m.put(ip("10.1.2.3"), "alice", t0, t0 + 60s, t0);
    EXPECT_EQ(m.put(ip("10.1.2.3"), "alice", t0 + 50s, t0 + 110s, t0 + 50s), put_outcome::replaced);
    EXPECT_EQ(user_at(m, "10.1.2.3", t0 + 100s), "alice");
    EXPECT_EQ(m.put(ip("10.1.2.3"), "bob", t0 + 101s, t0 + 200s, t0 + 101s), put_outcome::replaced);
    EXPECT_EQ(user_at(m, "10.1.2.3", t0 + 102s), "bob");
}

TEST(address_map, an_older_lease_pushed_late_does_not_replace_a_newer_one) {
    address_map m(10);
    m.put(ip("10.1.2.3"), "bob", t0 + 30s, t0 + 90s, t0 + 30s);
    EXPECT_EQ(m.put(ip("10.1.2.3"), "alice", t0, t0 + 60s, t0 + 31s), put_outcome::stale);
    EXPECT_EQ(user_at(m, "10.1.2.3", t0 + 31s), "bob");
    // Once the newer one has expired, an older lease may be stored again.
    EXPECT_EQ(m.put(ip("10.1.2.3"), "alice", t0 + 20s, t0 + 200s, t0 + 95s), put_outcome::replaced);
    EXPECT_EQ(user_at(m, "10.1.2.3", t0 + 96s), "alice");
}

TEST(address_map, the_newest_of_file_and_push_wins) {
    address_map m(10);
    m.replace_file({{ip("10.1.2.3"), "filed"}, {ip("10.1.2.4"), "carol"}}, t0 + 10s);
    m.put(ip("10.1.2.3"), "pushed-before", t0, t0 + 600s, t0);
    EXPECT_EQ(user_at(m, "10.1.2.3", t0 + 11s), "filed");  // the file is newer
    m.put(ip("10.1.2.3"), "pushed-after", t0 + 20s, t0 + 600s, t0 + 20s);
    EXPECT_EQ(user_at(m, "10.1.2.3", t0 + 21s), "pushed-after");
    // When the push expires the file's mapping shows again.
    EXPECT_EQ(user_at(m, "10.1.2.3", t0 + 700s), "filed");
    EXPECT_EQ(user_at(m, "10.1.2.4", t0 + 700s), "carol");
    // A new file replaces the old one whole.
    m.replace_file({{ip("10.1.2.5"), "dave"}}, t0 + 800s);
    EXPECT_EQ(user_at(m, "10.1.2.4", t0 + 801s), "");
    EXPECT_EQ(user_at(m, "10.1.2.5", t0 + 801s), "dave");
}

TEST(address_map, removal_by_address_and_only_for_the_named_user) {
    address_map m(10);
    m.put(ip("10.1.2.3"), "bob", t0, t0 + 60s, t0);
    EXPECT_FALSE(m.remove(ip("10.1.2.3"), std::string("alice")));  // alice's late release
    EXPECT_EQ(user_at(m, "10.1.2.3", t0), "bob");
    EXPECT_TRUE(m.remove(ip("10.1.2.3"), std::string("bob")));
    EXPECT_EQ(user_at(m, "10.1.2.3", t0), "");
    m.put(ip("10.1.2.3"), "bob", t0, t0 + 60s, t0);
    EXPECT_TRUE(m.remove(ip("10.1.2.3"), std::nullopt));
    EXPECT_FALSE(m.remove(ip("10.1.2.3"), std::nullopt));
    EXPECT_EQ(m.counters().removals.load(), 2u);
}

TEST(address_map, a_full_map_refuses_new_addresses_after_pruning_and_counts_them) {
    address_map m(2);
    EXPECT_EQ(m.put(ip("10.0.0.1"), "a", t0, t0 + 10s, t0), put_outcome::stored);
    EXPECT_EQ(m.put(ip("10.0.0.2"), "b", t0, t0 + 100s, t0), put_outcome::stored);
    EXPECT_EQ(m.put(ip("10.0.0.3"), "c", t0, t0 + 100s, t0 + 1s), put_outcome::full);
    EXPECT_EQ(m.counters().refused_full.load(), 1u);
    // A refresh of a held address is never refused.
    EXPECT_EQ(m.put(ip("10.0.0.2"), "b", t0 + 2s, t0 + 100s, t0 + 2s), put_outcome::replaced);
    // Once one has expired there is room again.
    EXPECT_EQ(m.put(ip("10.0.0.3"), "c", t0 + 11s, t0 + 100s, t0 + 11s), put_outcome::stored);
    EXPECT_EQ(user_at(m, "10.0.0.3", t0 + 12s), "c");
    EXPECT_EQ(m.size(), 2u);
}

TEST(address_map, file_lines_beyond_the_bound_are_refused_and_counted) {
    address_map m(3);
    m.put(ip("10.0.0.1"), "a", t0, t0 + 100s, t0);
    auto refused =
        m.replace_file({{ip("10.0.1.1"), "x"}, {ip("10.0.1.2"), "y"}, {ip("10.0.1.3"), "z"}}, t0);
    EXPECT_EQ(refused, 1u);
    EXPECT_EQ(m.size(), 3u);
    EXPECT_EQ(m.counters().refused_full.load(), 1u);
    EXPECT_EQ(user_at(m, "10.0.1.3", t0), "");
}

TEST(address_map, a_lower_limit_keeps_what_is_held_and_refuses_new_ones) {
    address_map m(5);
    m.put(ip("10.0.0.1"), "a", t0, t0 + 100s, t0);
    m.put(ip("10.0.0.2"), "b", t0, t0 + 100s, t0);
    m.set_limit(1);
    EXPECT_EQ(m.limit(), 1u);
    EXPECT_EQ(user_at(m, "10.0.0.2", t0), "b");
    EXPECT_EQ(m.put(ip("10.0.0.3"), "c", t0, t0 + 100s, t0), put_outcome::full);
}

TEST(address_map, list_shows_live_mappings_in_address_order) {
    address_map m(10);
    m.put(ip("10.0.0.9"), "late", t0, t0 + 100s, t0);
    m.put(ip("10.0.0.1"), "gone", t0, t0 + 1s, t0);
    m.replace_file({{ip("10.0.0.5"), "filed"}}, t0);
    auto l = m.list(t0 + 2s);
    ASSERT_EQ(l.size(), 2u);
    EXPECT_EQ(l[0].user, "filed");
    EXPECT_EQ(l[0].origin, mapping_origin::file);
    EXPECT_EQ(l[1].user, "late");
    EXPECT_EQ(l[1].expires, t0 + 100s);
}

TEST(address_map, concurrent_readers_and_a_writer_see_whole_mappings) {
    address_map m(1000);
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> seen{0};
    std::vector<std::thread> readers;
    for (int r = 0; r < 3; ++r) {
        readers.emplace_back([&] {
            while (!stop.load()) {
                if (auto id = m.find(ip("10.0.0.1"), t0)) {
                    // Either name, never a torn one.
                    EXPECT_TRUE(id->user == "alice" || id->user == "bob") << id->user;
                    seen.fetch_add(1);
                }
            }
        });
    }
    for (int i = 0; i < 2000; ++i) {
        m.put(ip("10.0.0.1"), i % 2 ? "alice" : "bob", t0, t0 + 100s, t0);
        if (i % 100 == 0) m.remove(ip("10.0.0.1"), std::nullopt);
    }
    stop = true;
    for (auto& t : readers) t.join();
    EXPECT_EQ(user_at(m, "10.0.0.1", t0), "alice");  // the last push (i = 1999)
}

}  // namespace
}  // namespace consolegate::identity
