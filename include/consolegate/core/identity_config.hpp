#pragma once
// [identity]: how the gateway learns who the person behind a connection is (docs/identity.md,
// config/README.md). A plain value inside core::config; identity/ acts on it.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "consolegate/core/address.hpp"
#include "consolegate/core/policy_config.hpp"

namespace consolegate::core {

// Group membership from an LDAP directory (identity/ldap_groups.hpp; docs/identity.md "Groups
// from LDAP"). Off while `uri` is empty.
struct ldap_config {
    std::string uri;                      // ldap://host[:port] or ldaps://host[:port]
    bool starttls = false;                // ldap:// only: upgrade with StartTLS before binding
    std::filesystem::path ca_file;        // CA bundle for ldaps:// / StartTLS; empty = the system's
    std::string bind_dn;                  // empty = anonymous
    std::filesystem::path password_file;  // the bind password, first line; required with bind_dn
    std::string user_base, user_filter;   // optional: the user's DN, for {dn} in group_filter
    std::string group_base, group_filter;
    std::string group_attribute = "cn";
    std::chrono::milliseconds cache_ttl = std::chrono::minutes(10);
    std::chrono::milliseconds timeout = std::chrono::seconds(5);

    bool enabled() const { return !uri.empty(); }
};

struct identity_config {
    // The address-to-user map (DNS-steered SNI path): mappings pushed over the admin API, and a
    // file the gateway watches (empty = none). Every mapping counts against address_map_max;
    // a push beyond it is refused and counted.
    std::filesystem::path address_map_file;
    std::uint64_t address_map_max = 100000;
    std::chrono::milliseconds address_map_max_ttl = std::chrono::hours(24 * 7);
    // A trusted upstream proxy's user header ("X-Authenticated-User"); empty = off. Honoured only
    // from trusted_header_from; stripped from every request before it is forwarded.
    std::string trusted_header;
    std::vector<cidr> trusted_header_from;
    // Group membership (identity/groups.hpp): a JSON file user -> groups, watched; empty = none.
    std::filesystem::path groups_file;
    // Kerberos (Proxy-Authenticate: Negotiate) on the CONNECT listener (identity/kerberos.hpp):
    // the service keytab and principal ("HTTP/proxy.corp.example@CORP.EXAMPLE"), and per client
    // network whether it is required, optional (identify when the client offers it) or off: the
    // longest prefix among the three lists decides; an address none lists is off. Empty lists =
    // Kerberos off (keytab and principal are then refused).
    std::filesystem::path kerberos_keytab;
    source_location kerberos_keytab_at;  // where the keytab was named (check-config's report)
    std::string kerberos_principal;
    std::vector<cidr> kerberos_required, kerberos_optional, kerberos_off;

    bool kerberos_enabled() const { return !kerberos_keytab.empty(); }
    ldap_config ldap;
    // The IAM Identity Center user name of a corporate user, for TEAM matching where AWS names
    // no user (core/idc_user.hpp: "{name}@corp.example"); empty = no mapping.
    std::string idc_user;
    // The site's own Kerberos realms and Windows domains ("CORP.EXAMPLE", "CORP"): {name} in
    // idc_user and the LDAP filters drops the realm, so it is taken only from a user of one of
    // these (or one without a realm); a user of another realm maps to nobody and has no
    // directory groups (core/idc_user.hpp site_name_of). Required where {name} is used.
    std::vector<std::string> realms;
};

// What Kerberos is for a client address: the longest prefix among kerberos_required,
// kerberos_optional and kerberos_off decides; an address none of them lists is off (as is every
// address when no keytab is configured).
enum class proxy_auth_mode : std::uint8_t { off, optional, required };
proxy_auth_mode kerberos_mode(const identity_config& id, const ip_address& client) noexcept;

// Empty when `principal` is a service principal as identity.kerberos_principal takes it
// ("HTTP/host@REALM"), else why not and how to write it.
std::string check_service_principal(std::string_view principal);

}  // namespace consolegate::core
