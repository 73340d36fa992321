// [identity] (config/README.md, docs/identity.md): the address-to-user map, the trusted
// upstream proxy's user header and Kerberos on the CONNECT listener.

#include <algorithm>
#include <array>

#include "config_reader.hpp"

namespace consolegate::core::config_detail {

namespace {

// RFC 9110 §5.6.2 token characters.
bool is_tchar(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
               return lower(x) == lower(y);
           });
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
    s.finish();
    check_kerberos(t);
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
