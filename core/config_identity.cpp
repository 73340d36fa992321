// [identity] (config/README.md, docs/identity.md): the address-to-user map, the trusted
// upstream proxy's user header, Kerberos on the CONNECT listener, LDAP groups and the mapping to
// the IAM Identity Center user name (idc_user).

#include <algorithm>
#include <array>

#include "config_reader.hpp"
#include "consolegate/core/glob.hpp"
#include "consolegate/core/idc_user.hpp"

namespace consolegate::core::config_detail {

namespace {

// RFC 9110 §5.6.2 token characters.
bool is_tchar(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Fields the proxy or the inspector read for themselves: a user header of that name would make
// one field mean two things.
constexpr std::array<std::string_view, 12> reserved_fields{
    "host",   "connection",       "content-length",      "transfer-encoding",
    "cookie", "authorization",    "proxy-authorization", "upgrade",
    "te",     "proxy-connection", "keep-alive",          "x-amz-security-token"};

}  // namespace

}  // namespace consolegate::core::config_detail

namespace consolegate::core {

std::string check_service_principal(std::string_view p) {
    auto fix = std::string(
        " (write \"HTTP/<the proxy's name as clients use it>@<REALM>\", e.g. "
        "\"HTTP/proxy.corp.example@CORP.EXAMPLE\")");
    if (!p.starts_with("HTTP/")) return "not an HTTP service principal" + fix;
    auto at = p.find('@');
    if (at == std::string_view::npos) return "names no realm" + fix;
    auto host = p.substr(5, at - 5);
    auto realm = p.substr(at + 1);
    if (host.empty() || host.size() > 253 || !std::all_of(host.begin(), host.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '-' || c == '.';
        })) {
        return "the host part is not a host name" + fix;
    }
    if (realm.empty() || realm.size() > 253 || !std::all_of(realm.begin(), realm.end(), [](char c) {
            return c > 0x20 && c < 0x7f && c != '@' && c != '/' && c != '\\';
        })) {
        return "the realm is empty or holds a character a realm may not" + fix;
    }
    return "";
}

proxy_auth_mode kerberos_mode(const identity_config& id, const ip_address& client) noexcept {
    if (!id.kerberos_enabled()) return proxy_auth_mode::off;
    auto mode = proxy_auth_mode::off;
    int best = -1;
    auto consider = [&](const std::vector<cidr>& nets, proxy_auth_mode m) {
        for (const auto& n : nets) {
            // Prefixes compare over the 128-bit (mapped) form, so an IPv4 /8 is /104.
            int len = n.prefix_length() + (n.network().is_v4() ? 96 : 0);
            if (len > best && n.contains(client)) {
                best = len;
                mode = m;
            }
        }
    };
    consider(id.kerberos_required, proxy_auth_mode::required);
    consider(id.kerberos_optional, proxy_auth_mode::optional);
    consider(id.kerberos_off, proxy_auth_mode::off);
    return mode;
}

}  // namespace consolegate::core

namespace consolegate::core::config_detail {

// The keytab itself (readable, not world-readable, holding the principal) is checked where
// Kerberos is linked: check-config and the start (identity/kerberos.hpp).
// Every ldap_* key needs ldap_uri; the searches must be able to name the user.
void loader::check_ldap(const toml::table& t) {
    const auto& l = cfg.identity.ldap;
    auto at = [&](const char* key) -> const toml::node& {
        const auto* n = t.get(key);
        return n ? *n : static_cast<const toml::node&>(t);
    };
    if (!l.enabled()) {
        for (const char* key :
             {"ldap_starttls", "ldap_ca_file", "ldap_bind_dn", "ldap_password_file",
              "ldap_user_base", "ldap_user_filter", "ldap_group_base", "ldap_group_filter",
              "ldap_group_attribute", "ldap_cache_ttl", "ldap_timeout"}) {
            if (t.contains(key))
                error(at(key), std::string("identity.") + key +
                                   " is set but identity.ldap_uri is not: LDAP groups are off");
        }
        return;
    }
    const bool ldaps = l.uri.starts_with("ldaps://");
    if (!ldaps && !l.uri.starts_with("ldap://"))
        error(at("ldap_uri"), "identity.ldap_uri: \"" + l.uri.substr(0, 64) +
                                  "\" is not an ldap:// or ldaps:// URI");
    if (l.starttls && ldaps)
        error(at("ldap_starttls"),
              "identity.ldap_starttls: ldaps:// is TLS already; StartTLS is for ldap://");
    if (l.group_base.empty() || l.group_filter.empty())
        error(at("ldap_uri"),
              "identity.ldap_uri needs identity.ldap_group_base and identity.ldap_group_filter "
              "(e.g. \"(&(objectClass=groupOfNames)(member={dn}))\")");
    auto names_user = [](const std::string& f) {
        return f.find("{user}") != std::string::npos || f.find("{name}") != std::string::npos;
    };
    if (!l.group_filter.empty() && !names_user(l.group_filter) &&
        l.group_filter.find("{dn}") == std::string::npos)
        error(at("ldap_group_filter"),
              "identity.ldap_group_filter names no user: use {user}, {name} or {dn}");
    if (l.user_base.empty() != l.user_filter.empty())
        error(at(l.user_base.empty() ? "ldap_user_filter" : "ldap_user_base"),
              "identity.ldap_user_base and identity.ldap_user_filter go together (the search "
              "that finds the user's DN for {dn})");
    if (!l.user_filter.empty() && !names_user(l.user_filter))
        error(at("ldap_user_filter"),
              "identity.ldap_user_filter names no user: use {user} or "
              "{name}");
    if (l.group_filter.find("{dn}") != std::string::npos && l.user_base.empty())
        error(at("ldap_group_filter"),
              "identity.ldap_group_filter uses {dn}: set identity.ldap_user_base and "
              "identity.ldap_user_filter to find it");
    if (!l.bind_dn.empty() && l.password_file.empty())
        error(at("ldap_bind_dn"), "identity.ldap_bind_dn needs identity.ldap_password_file");
    if (l.bind_dn.empty() && !l.password_file.empty())
        error(at("ldap_password_file"),
              "identity.ldap_password_file is set but identity.ldap_bind_dn is not");
    if (!l.ca_file.empty() && !ldaps && !l.starttls)
        error(at("ldap_ca_file"),
              "identity.ldap_ca_file is set but the connection is not TLS: use ldaps:// or "
              "ldap_starttls = true");
    for (const char* key : {"ldap_user_filter", "ldap_group_filter"}) {
        const auto& f = key[5] == 'u' ? l.user_filter : l.group_filter;
        if (f.find("{name}") != std::string::npos && cfg.identity.realms.empty())
            error(at(key), std::string("identity.") + key +
                               " uses {name}, which drops the user's realm: list the site's own "
                               "realms and domains in identity.realms (e.g. [\"CORP.EXAMPLE\", "
                               "\"CORP\"]), or a user of another realm would find the site's "
                               "user of that name and their groups");
    }
    if (l.group_attribute.empty()) error(at("ldap_group_attribute"), "must not be empty");
    if (l.cache_ttl < std::chrono::seconds(1))
        error(at("ldap_cache_ttl"), "identity.ldap_cache_ttl: must be at least 1s");
    if (l.timeout < std::chrono::milliseconds(100) || l.timeout > std::chrono::minutes(1))
        error(at("ldap_timeout"), "identity.ldap_timeout: must be from 100ms to 1m");
}

void loader::check_kerberos(const toml::table& t) {
    auto& id = cfg.identity;
    const bool networks = !id.kerberos_required.empty() || !id.kerberos_optional.empty();
    if (id.kerberos_keytab.empty()) {
        if (networks || !id.kerberos_off.empty() || !id.kerberos_principal.empty())
            error(t.source(),
                  "identity.kerberos_*: Kerberos needs identity.kerberos_keytab (the proxy's "
                  "service keytab, e.g. \"/etc/consolegate/proxy.keytab\")");
        return;
    }
    const auto& at = id.kerberos_keytab_at;
    if (const auto* n = t.get("kerberos_principal"); n && !id.kerberos_principal.empty()) {
        if (auto bad = check_service_principal(id.kerberos_principal); !bad.empty())
            error(*n, "identity.kerberos_principal: " + bad);
    }
    if (id.kerberos_principal.empty())
        error(at,
              "identity.kerberos_keytab is set but identity.kerberos_principal is not: name "
              "the proxy's service principal, e.g. \"HTTP/proxy.corp.example@CORP.EXAMPLE\"");
    if (!networks)
        error(at,
              "identity.kerberos_keytab is set but no client network asks for Kerberos: list "
              "networks in identity.kerberos_required or identity.kerberos_optional "
              "(e.g. [\"0.0.0.0/0\", \"::/0\"])");
    // The same network in two lists would make the longest prefix undecided.
    const std::pair<const char*, const std::vector<cidr>*> lists[] = {
        {"kerberos_required", &id.kerberos_required},
        {"kerberos_optional", &id.kerberos_optional},
        {"kerberos_off", &id.kerberos_off}};
    for (std::size_t a = 0; a < 3; ++a) {
        for (std::size_t b = a + 1; b < 3; ++b) {
            for (const auto& x : *lists[a].second) {
                if (std::find(lists[b].second->begin(), lists[b].second->end(), x) !=
                    lists[b].second->end())
                    error(t.source(), "identity." + std::string(lists[a].first) + " and identity." +
                                          lists[b].first + " both list " + x.str() +
                                          ": say once what that network gets");
            }
        }
    }
}

void loader::read_identity(const toml::table& t) {
    section s(*this, t, "identity");
    auto& id = cfg.identity;
    s.get_path("address_map_file", id.address_map_file);
    s.get_uint("address_map_max", id.address_map_max, 1, 10'000'000);
    s.get_duration("address_map_max_ttl", id.address_map_max_ttl);
    s.get("trusted_header", id.trusted_header);
    s.get_cidrs("trusted_header_from", id.trusted_header_from);
    s.get_path("groups_file", id.groups_file);
    if (const auto* n = s.table().get("kerberos_keytab"))
        id.kerberos_keytab_at = location(n->source());
    s.get_path("kerberos_keytab", id.kerberos_keytab);
    s.get("kerberos_principal", id.kerberos_principal);
    s.get_cidrs("kerberos_required", id.kerberos_required);
    s.get_cidrs("kerberos_optional", id.kerberos_optional);
    s.get_cidrs("kerberos_off", id.kerberos_off);
    auto& l = id.ldap;
    s.get("ldap_uri", l.uri);
    s.get("ldap_starttls", l.starttls);
    s.get_path("ldap_ca_file", l.ca_file);
    s.get("ldap_bind_dn", l.bind_dn);
    s.get_path("ldap_password_file", l.password_file);
    s.get("ldap_user_base", l.user_base);
    s.get("ldap_user_filter", l.user_filter);
    s.get("ldap_group_base", l.group_base);
    s.get("ldap_group_filter", l.group_filter);
    s.get("ldap_group_attribute", l.group_attribute);
    s.get_duration("ldap_cache_ttl", l.cache_ttl);
    s.get_duration("ldap_timeout", l.timeout);
    s.get("idc_user", id.idc_user);
    s.get_strings("realms", id.realms);
    s.finish();
    if (const auto* n = t.get("idc_user"); n && n->is_string()) {
        if (auto bad = check_idc_user_template(id.idc_user); !bad.empty())
            error(*n, "identity.idc_user " + bad);
        else if (idc_user_drops_realm(id.idc_user) && id.realms.empty())
            error(*n,
                  "identity.idc_user uses {name}, which drops the user's realm: list the "
                  "site's own realms and domains in identity.realms (e.g. [\"CORP.EXAMPLE\", "
                  "\"CORP\"]), or a user of another realm (alice@PARTNER.EXAMPLE, PARTNER\\alice) "
                  "would map to the site's user of that name");
    }
    if (const auto* n = t.get("realms"); n && n->is_array()) {
        for (const auto& r : id.realms) {
            bool bad = r.size() > 255;
            for (unsigned char c : r)
                bad =
                    bad || c <= 0x20 || c == 0x7f || c == '@' || c == '\\' || c == '"' || c == ',';
            if (bad)
                error(*n, "identity.realms: \"" + r.substr(0, 64) +
                              "\" is not a realm or domain (no '@', '\\', spaces or control "
                              "characters; e.g. \"CORP.EXAMPLE\", \"CORP\")");
        }
    }
    check_kerberos(t);
    check_ldap(t);
    // Whether anything uses the realms is checked with the rules (cross_check).
    if (const auto* n = t.get("realms"); n && !id.realms.empty()) realms_at = location(n->source());
    if (id.address_map_max_ttl.count() < 1000)
        error(t.source(), "identity.address_map_max_ttl: must be at least 1s");
    const auto& h = id.trusted_header;
    if (!h.empty()) {
        if (h.size() > 64 || !std::all_of(h.begin(), h.end(), is_tchar)) {
            error(t.source(), "identity.trusted_header: \"" + h.substr(0, 64) +
                                  "\" is not an HTTP field name (letters, digits, '-')");
        } else if (std::any_of(reserved_fields.begin(), reserved_fields.end(),
                               [&](std::string_view r) { return iequals(r, h); })) {
            error(t.source(), "identity.trusted_header: \"" + h +
                                  "\" is a field the proxy reads for itself; name the header "
                                  "your upstream proxy adds, e.g. \"X-Authenticated-User\"");
        }
        if (id.trusted_header_from.empty())
            error(t.source(),
                  "identity.trusted_header is set but identity.trusted_header_from names no "
                  "network: the header would be trusted from nobody");
    } else if (!id.trusted_header_from.empty()) {
        error(t.source(),
              "identity.trusted_header_from is set but identity.trusted_header names no header");
    }
}

}  // namespace consolegate::core::config_detail
