// [identity]: the address map's bounds and the trusted header's rules.

#include <gtest/gtest.h>

#include <algorithm>

#include "config_test_support.hpp"

namespace consolegate::core {
namespace {

using namespace std::chrono_literals;
using cgtest::all;
using cgtest::has;
using cgtest::load;
using cgtest::minimal;

TEST(config_identity, defaults_identify_nobody_by_header) {
    auto r = load(minimal);
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_TRUE(r.cfg->identity.address_map_file.empty());
    EXPECT_EQ(r.cfg->identity.address_map_max, 100000u);
    EXPECT_EQ(r.cfg->identity.address_map_max_ttl, 7 * 24h);
    EXPECT_TRUE(r.cfg->identity.trusted_header.empty());
    EXPECT_TRUE(r.cfg->identity.trusted_header_from.empty());
}

TEST(config_identity, every_key_is_read) {
    auto r = load(minimal + R"(
[identity]
address_map_file = "map.txt"
address_map_max = 500
address_map_max_ttl = "12h"
trusted_header = "X-Authenticated-User"
trusted_header_from = ["10.9.0.0/24"]
groups_file = "groups.json"
)");
    ASSERT_TRUE(r.cfg) << all(r);
    const auto& id = r.cfg->identity;
    EXPECT_EQ(id.address_map_file, std::filesystem::path("/nonexistent-cg/map.txt"));
    EXPECT_EQ(id.address_map_max, 500u);
    EXPECT_EQ(id.address_map_max_ttl, 12h);
    EXPECT_EQ(id.trusted_header, "X-Authenticated-User");
    ASSERT_EQ(id.trusted_header_from.size(), 1u);
    EXPECT_EQ(id.trusted_header_from[0].str(), "10.9.0.0/24");
    EXPECT_EQ(id.groups_file, std::filesystem::path("/nonexistent-cg/groups.json"));
}

TEST(config_identity, a_header_without_networks_and_networks_without_a_header_are_refused) {
    auto a = load(minimal + "[identity]\ntrusted_header = \"X-Authenticated-User\"\n");
    EXPECT_FALSE(a.cfg);
    EXPECT_TRUE(has(a, 0, "trusted from nobody")) << all(a);
    auto b = load(minimal + "[identity]\ntrusted_header_from = [\"10.0.0.0/8\"]\n");
    EXPECT_FALSE(b.cfg);
    EXPECT_TRUE(has(b, 0, "names no header")) << all(b);
}

TEST(config_identity, a_header_name_must_be_a_field_name_the_proxy_does_not_read_itself) {
    for (const char* name : {"X User", "X:User", "Cookie", "proxy-authorization", "HOST"}) {
        auto r = load(minimal + "[identity]\ntrusted_header = \"" + name +
                      "\"\ntrusted_header_from = [\"10.0.0.0/8\"]\n");
        EXPECT_FALSE(r.cfg) << name;
        EXPECT_TRUE(has(r, 0, "identity.trusted_header")) << name << all(r);
    }
}

TEST(config_identity, bounds_and_unknown_keys_are_refused) {
    auto r = load(minimal + R"(
[identity]
address_map_max = 0
address_map_max_ttl = "500ms"
adress_map_file = "x"
)");
    EXPECT_FALSE(r.cfg);
    EXPECT_TRUE(has(r, 0, "identity.address_map_max: must be from 1")) << all(r);
    EXPECT_TRUE(has(r, 0, "address_map_max_ttl: must be at least 1s")) << all(r);
    EXPECT_TRUE(has(r, 0, "adress_map_file")) << all(r);
}

TEST(config_identity, kerberos_keys_are_read_and_the_longest_prefix_decides_the_mode) {
    auto r = load(minimal + R"(
[identity]
kerberos_keytab = "proxy.keytab"
kerberos_principal = "HTTP/proxy.corp.example@CORP.EXAMPLE"
kerberos_required = ["10.0.0.0/8"]
kerberos_optional = ["10.5.0.0/16", "2001:db8::/32"]
kerberos_off = ["10.5.9.0/24"]
)");
    ASSERT_TRUE(r.cfg) << all(r);
    const auto& id = r.cfg->identity;
    EXPECT_TRUE(id.kerberos_enabled());
    EXPECT_EQ(id.kerberos_keytab, std::filesystem::path("/nonexistent-cg/proxy.keytab"));
    // The key's own line, after `minimal`'s lines and the table header.
    EXPECT_EQ(id.kerberos_keytab_at.line, std::count(minimal.begin(), minimal.end(), '\n') + 3);
    EXPECT_EQ(id.kerberos_principal, "HTTP/proxy.corp.example@CORP.EXAMPLE");
    auto mode = [&](const char* a) { return kerberos_mode(id, *ip_address::parse(a)); };
    EXPECT_EQ(mode("10.1.2.3"), proxy_auth_mode::required);
    EXPECT_EQ(mode("10.5.1.1"), proxy_auth_mode::optional);
    EXPECT_EQ(mode("10.5.9.1"), proxy_auth_mode::off);
    EXPECT_EQ(mode("2001:db8::7"), proxy_auth_mode::optional);
    EXPECT_EQ(mode("192.0.2.1"), proxy_auth_mode::off);  // listed nowhere
    EXPECT_EQ(mode("::ffff:10.1.2.3"), proxy_auth_mode::required);
}

TEST(config_identity, kerberos_off_by_default_and_for_every_address) {
    auto r = load(minimal);
    ASSERT_TRUE(r.cfg) << all(r);
    EXPECT_FALSE(r.cfg->identity.kerberos_enabled());
    EXPECT_EQ(kerberos_mode(r.cfg->identity, *ip_address::parse("10.1.2.3")), proxy_auth_mode::off);
}

// "::/0" in a Kerberos list is every IPv6 client and no IPv4 one, although IPv4 clients are held
// IPv4-mapped inside its bits: an IPv4 client takes the IPv4 networks' mode, or off.
TEST(config_identity, an_ipv6_network_sets_no_mode_for_ipv4_clients) {
    auto r = load(minimal +
                  "[identity]\nkerberos_keytab = \"k\"\n"
                  "kerberos_principal = \"HTTP/p.example@EXAMPLE\"\n"
                  "kerberos_required = [\"::/0\"]\nkerberos_optional = [\"10.0.0.0/8\"]\n");
    ASSERT_TRUE(r.cfg) << all(r);
    const auto& id = r.cfg->identity;
    EXPECT_EQ(kerberos_mode(id, *ip_address::parse("2001:db8::1")), proxy_auth_mode::required);
    EXPECT_EQ(kerberos_mode(id, *ip_address::parse("10.1.2.3")), proxy_auth_mode::optional);
    EXPECT_EQ(kerberos_mode(id, *ip_address::parse("192.0.2.1")), proxy_auth_mode::off);
}

TEST(config_identity, kerberos_settings_that_would_do_nothing_are_refused) {
    auto no_keytab = load(minimal + "[identity]\nkerberos_required = [\"10.0.0.0/8\"]\n");
    EXPECT_TRUE(has(no_keytab, 0, "Kerberos needs identity.kerberos_keytab")) << all(no_keytab);
    auto no_networks = load(minimal +
                            "[identity]\nkerberos_keytab = \"k\"\n"
                            "kerberos_principal = \"HTTP/p.example@EXAMPLE\"\n");
    EXPECT_TRUE(has(no_networks, 0, "no client network asks for Kerberos")) << all(no_networks);
    auto no_principal =
        load(minimal + "[identity]\nkerberos_keytab = \"k\"\nkerberos_optional = [\"::/0\"]\n");
    EXPECT_TRUE(has(no_principal, 0, "kerberos_principal is not")) << all(no_principal);
    auto twice = load(minimal +
                      "[identity]\nkerberos_keytab = \"k\"\n"
                      "kerberos_principal = \"HTTP/p.example@EXAMPLE\"\n"
                      "kerberos_required = [\"10.0.0.0/8\"]\nkerberos_off = [\"10.0.0.0/8\"]\n");
    EXPECT_TRUE(has(twice, 0, "both list 10.0.0.0/8")) << all(twice);
}

TEST(config_identity, kerberos_with_the_connect_listener_off_is_refused_at_the_keytab) {
    const std::string kerberos =
        "[identity]\nkerberos_keytab = \"k\"\n"
        "kerberos_principal = \"HTTP/p.example@EXAMPLE\"\n"
        "kerberos_required = [\"10.0.0.0/8\"]\n";
    const int keytab_line = static_cast<int>(std::count(minimal.begin(), minimal.end(), '\n')) + 2;
    auto on = load(minimal + kerberos);
    EXPECT_TRUE(on.cfg) << all(on);
    auto no_listener = load(minimal + "[proxy]\nconnect_listen = []\n" + kerberos);
    EXPECT_FALSE(no_listener.cfg);
    EXPECT_TRUE(has(no_listener, keytab_line + 2, "proxy.connect_listen is empty"))
        << all(no_listener);
    auto no_proxy = load(minimal + "[proxy]\nenabled = false\n" + kerberos);
    EXPECT_FALSE(no_proxy.cfg);
    EXPECT_TRUE(has(no_proxy, keytab_line + 2, "proxy.enabled = false")) << all(no_proxy);
}

TEST(config_identity, a_kerberos_principal_must_be_an_http_service_with_a_realm) {
    for (const char* bad : {"alice@CORP.EXAMPLE", "HTTP/proxy.corp.example", "HTTP/@CORP",
                            "HTTP/pro xy@CORP", "HTTP/proxy@", "host/proxy@CORP"}) {
        auto r = load(minimal + "[identity]\nkerberos_keytab = \"k\"\nkerberos_principal = \"" +
                      bad + "\"\nkerberos_required = [\"10.0.0.0/8\"]\n");
        const int line = static_cast<int>(std::count(minimal.begin(), minimal.end(), '\n')) + 3;
        EXPECT_TRUE(has(r, line, "identity.kerberos_principal: ")) << bad << all(r);
        EXPECT_FALSE(check_service_principal(bad).empty()) << bad;
    }
    EXPECT_EQ(check_service_principal("HTTP/proxy.corp.example@CORP.EXAMPLE"), "");
}

TEST(config_identity, ldap_keys_are_read) {
    auto r = load(minimal + R"toml(
[identity]
ldap_uri = "ldap://dir.corp.example"
ldap_starttls = true
ldap_ca_file = "corp-ca.pem"
ldap_bind_dn = "cn=gateway,dc=corp,dc=example"
ldap_password_file = "ldap.pw"
ldap_user_base = "ou=people,dc=corp,dc=example"
ldap_user_filter = "(userPrincipalName={user})"
ldap_group_base = "ou=groups,dc=corp,dc=example"
ldap_group_filter = "(member={dn})"
ldap_group_attribute = "cn"
ldap_cache_ttl = "5m"
ldap_timeout = "2s"
)toml");
    ASSERT_TRUE(r.cfg) << all(r);
    const auto& l = r.cfg->identity.ldap;
    EXPECT_TRUE(l.enabled());
    EXPECT_TRUE(l.starttls);
    EXPECT_EQ(l.password_file, std::filesystem::path("/nonexistent-cg/ldap.pw"));
    EXPECT_EQ(l.group_filter, "(member={dn})");
    EXPECT_EQ(l.cache_ttl, 5min);
    EXPECT_EQ(l.timeout, 2s);
    EXPECT_FALSE(load(minimal).cfg->identity.ldap.enabled());
}

TEST(config_identity, ldap_settings_that_cannot_work_or_would_do_nothing_are_refused) {
    auto with = [](const std::string& keys) { return load(minimal + "[identity]\n" + keys); };
    const std::string base =
        "realms = [\"CORP.EXAMPLE\"]\nldap_uri = \"ldap://d\"\nldap_group_base = \"ou=g\"\n"
        "ldap_group_filter = \"(memberUid={name})\"\n";
    ASSERT_TRUE(with(base).cfg) << all(with(base));
    // {name} drops the realm: without the site's realms another realm's namesake would match.
    auto realmless = with(
        "ldap_uri = \"ldap://d\"\nldap_group_base = \"ou=g\"\n"
        "ldap_group_filter = \"(memberUid={name})\"\n");
    EXPECT_TRUE(has(realmless, 0, "identity.ldap_group_filter uses {name}")) << all(realmless);
    auto user_search = with(
        "ldap_uri = \"ldap://d\"\nldap_group_base = \"ou=g\"\nldap_user_base = \"ou=u\"\n"
        "ldap_user_filter = \"(uid={name})\"\nldap_group_filter = \"(member={dn})\"\n");
    EXPECT_TRUE(has(user_search, 0, "identity.ldap_user_filter uses {name}")) << all(user_search);
    auto off = with("ldap_group_base = \"ou=g\"\n");
    EXPECT_TRUE(has(off, 0, "identity.ldap_group_base is set but identity.ldap_uri is not"))
        << all(off);
    auto scheme = with(
        "ldap_uri = \"http://d\"\nldap_group_base = \"ou=g\"\n"
        "ldap_group_filter = \"(memberUid={name})\"\n");
    EXPECT_TRUE(has(scheme, 0, "not an ldap:// or ldaps:// URI")) << all(scheme);
    auto no_groups = with("ldap_uri = \"ldap://d\"\n");
    EXPECT_TRUE(has(no_groups, 0, "needs identity.ldap_group_base")) << all(no_groups);
    auto nobody = with(
        "ldap_uri = \"ldap://d\"\nldap_group_base = \"ou=g\"\n"
        "ldap_group_filter = \"(cn=admins)\"\n");
    EXPECT_TRUE(has(nobody, 0, "names no user")) << all(nobody);
    auto dn = with(
        "ldap_uri = \"ldap://d\"\nldap_group_base = \"ou=g\"\n"
        "ldap_group_filter = \"(member={dn})\"\n");
    EXPECT_TRUE(has(dn, 0, "uses {dn}")) << all(dn);
    auto tls = with(base + "ldap_ca_file = \"ca.pem\"\n");
    EXPECT_TRUE(has(tls, 0, "the connection is not TLS")) << all(tls);
    auto starttls = with(
        "ldap_uri = \"ldaps://d\"\nldap_starttls = true\n"
        "ldap_group_base = \"ou=g\"\nldap_group_filter = \"(uid={user})\"\n");
    EXPECT_TRUE(has(starttls, 0, "ldaps:// is TLS already")) << all(starttls);
    auto password = with(base + "ldap_bind_dn = \"cn=gw\"\n");
    EXPECT_TRUE(has(password, 0, "needs identity.ldap_password_file")) << all(password);
    auto half = with(base + "ldap_user_base = \"ou=p\"\n");
    EXPECT_TRUE(has(half, 0, "go together")) << all(half);
    auto ttl = with(base + "ldap_cache_ttl = \"10ms\"\n");
    EXPECT_TRUE(has(ttl, 0, "at least 1s")) << all(ttl);
}

// Issue 15 point 6: the corporate user -> IAM Identity Center user name, checked at its line.
TEST(config_identity, idc_user_template) {
    auto def = load(minimal);
    ASSERT_TRUE(def.cfg) << all(def);
    EXPECT_TRUE(def.cfg->identity.idc_user.empty());
    auto ok = load(minimal +
                   "[identity]\nidc_user = \"{name}@corp.example\"\nrealms = [\"CORP.EXAMPLE\", "
                   "\"CORP\"]\n");
    ASSERT_TRUE(ok.cfg) << all(ok);
    EXPECT_EQ(ok.cfg->identity.idc_user, "{name}@corp.example");
    EXPECT_EQ(ok.cfg->identity.realms, (std::vector<std::string>{"CORP.EXAMPLE", "CORP"}));
    // {name} drops the realm, so the site's realms must be named; templates that keep the realm
    // need none.
    auto realmless = load(minimal + "[identity]\nidc_user = \"{name}@corp.example\"\n");
    EXPECT_FALSE(realmless.cfg);
    EXPECT_TRUE(has(realmless, 10, "identity.idc_user uses {name}")) << all(realmless);
    auto unused = load(minimal + "[identity]\nidc_user = \"{user}\"\nrealms = [\"CORP\"]\n");
    EXPECT_TRUE(has(unused, 0, "identity.realms is set but nothing uses it")) << all(unused);
    EXPECT_TRUE(has(unused, 0, "identity.trusted_header")) << all(unused);
    // The groups file and corp_users selectors know a site user under every spelling, and a
    // session's opener is compared with its presenter so (app::same_person) wherever an identity
    // source names people: each a use.
    for (const std::string uses :
         {"[identity]\ngroups_file = \"groups.json\"\nrealms = [\"CORP\"]\n",
          "[identity]\nrealms = [\"CORP\"]\n[[policy.rule]]\nname = \"no-alice\"\n"
          "effect = \"deny\"\ncorp_users = [\"alice@CORP\"]\n",
          "[identity]\ntrusted_header = \"X-Authenticated-User\"\n"
          "trusted_header_from = [\"10.9.0.0/24\"]\nrealms = [\"CORP\"]\n",
          "[identity]\nkerberos_keytab = \"proxy.keytab\"\nkerberos_principal = \"HTTP/p@CORP\"\n"
          "kerberos_optional = [\"::/0\"]\nrealms = [\"CORP\"]\n",
          "[identity]\naddress_map_file = \"map.txt\"\nrealms = [\"CORP\"]\n",
          "[admin]\noperator_token_file = \"operator.token\"\n"
          "[identity]\nrealms = [\"CORP\"]\n"}) {
        auto r = load(minimal + uses);
        ASSERT_TRUE(r.cfg) << uses << ": " << all(r);
        EXPECT_EQ(r.cfg->policy.site_realms, std::vector<std::string>{"CORP"});
    }
    for (const char* keeps : {"{user}", "{name}@{realm}"}) {
        auto r = load(minimal + "[identity]\nidc_user = \"" + keeps + "\"\n");
        EXPECT_TRUE(r.cfg) << keeps << ": " << all(r);
    }
    for (const char* bad : {"alice@CORP", "CORP\\\\X", "A B", ""}) {
        auto r = load(minimal + "[identity]\nidc_user = \"{user}\"\nrealms = [\"" + bad + "\"]\n");
        EXPECT_FALSE(r.cfg) << bad;
        EXPECT_TRUE(has(r, 0, "identity.realms")) << bad << ": " << all(r);
    }
    for (const char* bad : {"", "{nme}", "{realm}", "a b", "{name}}", "corp.example"}) {
        auto r = load(minimal + "[identity]\nidc_user = \"" + bad + "\"\n");
        EXPECT_FALSE(r.cfg) << bad;
        EXPECT_TRUE(has(r, 10, "identity.idc_user ")) << bad << ": " << all(r);
    }
    auto typed = load(minimal + "[identity]\nidc_user = 3\n");
    EXPECT_FALSE(typed.cfg);
}

}  // namespace
}  // namespace consolegate::core
