// identity/ldap_groups.cpp without a directory: filter escaping and expansion, and a cache whose
// directory cannot be reached (the lookup fails in the background; asking never blocks). A real
// slapd: tests/e2e/identity/test_ldap.py.

#include "consolegate/identity/ldap_groups.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace consolegate::identity {
namespace {

using namespace std::chrono_literals;

TEST(ldap_groups, filter_values_are_escaped_as_rfc_4515_says) {
    EXPECT_EQ(ldap_filter_escape("alice@CORP.EXAMPLE"), "alice@CORP.EXAMPLE");
    EXPECT_EQ(ldap_filter_escape("*)(uid=*"), "\\2a\\29\\28uid=\\2a");
    EXPECT_EQ(ldap_filter_escape("CORP\\bob"), "CORP\\5cbob");
    EXPECT_EQ(ldap_filter_escape(std::string_view("a\0b", 3)), "a\\00b");
}

TEST(ldap_groups, placeholders_take_the_user_its_bare_name_and_the_dn) {
    const std::vector<std::string> site{"CORP.EXAMPLE", "CORP"};
    auto expand = [&](std::string_view f, std::string_view user, std::string_view dn) {
        return expand_ldap_filter(f, user, dn, site).value_or("(nobody)");
    };
    EXPECT_EQ(expand("(mail={user})", "alice@CORP.EXAMPLE", ""), "(mail=alice@CORP.EXAMPLE)");
    EXPECT_EQ(expand("(memberUid={name})", "alice@CORP.EXAMPLE", ""), "(memberUid=alice)");
    EXPECT_EQ(expand("(memberUid={name})", "alice@corp.example", ""), "(memberUid=alice)");
    EXPECT_EQ(expand("(memberUid={name})", "CORP\\bob", ""), "(memberUid=bob)");
    EXPECT_EQ(expand("(memberUid={name})", "bob", ""), "(memberUid=bob)");
    EXPECT_EQ(expand("(&(objectClass=groupOfNames)(member={dn}))", "x", "uid=a(b),dc=corp"),
              "(&(objectClass=groupOfNames)(member=uid=a\\28b\\29,dc=corp))");
    // A user name cannot widen the filter.
    EXPECT_EQ(expand("(uid={name})", "*)(objectClass=*", ""), "(uid=\\2a\\29\\28objectClass=\\2a)");
    EXPECT_EQ(expand("{unknown}{user", "u", ""), "{unknown}{user");
    // Another realm's (or domain's) alice cannot find the site's alice by her bare name; the
    // full name still goes where {user} asks for it.
    EXPECT_EQ(expand_ldap_filter("(uid={name})", "alice@PARTNER.EXAMPLE", "", site), std::nullopt);
    EXPECT_EQ(expand_ldap_filter("(uid={name})", "PARTNER\\alice", "", site), std::nullopt);
    EXPECT_EQ(expand_ldap_filter("(uid={name})", "alice@CORP.EXAMPLE", "", {}), std::nullopt);
    EXPECT_EQ(expand("(mail={user})", "alice@PARTNER.EXAMPLE", ""), "(mail=alice@PARTNER.EXAMPLE)");
}

TEST(ldap_groups, an_unreachable_directory_leaves_the_groups_unknown_and_never_blocks) {
    ldap_settings s;
    s.uri = "ldap://127.0.0.1:1";  // nothing listens on port 1
    s.group_base = "ou=groups,dc=corp,dc=example";
    s.group_filter = "(memberUid={name})";
    s.timeout = 500ms;
    ldap_group_cache cache(s);
    auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(cache.groups("alice@CORP.EXAMPLE"));
    EXPECT_FALSE(cache.groups("ALICE@corp.example"));  // the same user: one lookup queued
    EXPECT_LT(std::chrono::steady_clock::now() - start, 100ms);
    for (int i = 0; i < 200 && cache.counters().failures.load() == 0; ++i) {
        std::this_thread::sleep_for(25ms);  // bounded: 5 s for a refused connection
    }
    EXPECT_EQ(cache.counters().failures.load(), 1u);
    EXPECT_EQ(cache.counters().lookups.load(), 0u);
    EXPECT_EQ(cache.counters().misses.load(), 2u);
    EXPECT_FALSE(cache.groups("alice@CORP.EXAMPLE"));  // still unknown; asked again
    EXPECT_EQ(cache.users(), 1u);
}

}  // namespace
}  // namespace consolegate::identity
