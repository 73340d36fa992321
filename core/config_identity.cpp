// [identity] (config/README.md, docs/identity.md): the address-to-user map and the trusted
// upstream proxy's user header.

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

void loader::read_identity(const toml::table& t) {
    section s(*this, t, "identity");
    auto& id = cfg.identity;
    s.get_path("address_map_file", id.address_map_file);
    s.get_uint("address_map_max", id.address_map_max, 1, 10'000'000);
    s.get_duration("address_map_max_ttl", id.address_map_max_ttl);
    s.get("trusted_header", id.trusted_header);
    s.get_cidrs("trusted_header_from", id.trusted_header_from);
    s.get_path("groups_file", id.groups_file);
    s.finish();
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
