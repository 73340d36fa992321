#pragma once
// Who the person behind a request is on the corporate network, and how the gateway knows it:
// Kerberos (Proxy-Authenticate: Negotiate on the CONNECT listener), a trusted upstream proxy's
// header, or the address-to-user map (DESIGN.md "Who the person is"). A pure value: identity/
// establishes it, the proxy carries it on the request view, the policy selects on it, audit
// records it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace consolegate::core {

enum class corp_source : std::uint8_t {
    none,         // nobody established who it is
    kerberos,     // SPNEGO/Kerberos on the CONNECT listener
    header,       // a trusted upstream proxy's header, from a configured network
    address_map,  // the address-to-user map (DHCP/VPN/NAC pushes, or the watched file)
};

// Stable names (audit events, logs): "none", "kerberos", "header", "address-map".
std::string_view to_string(corp_source s) noexcept;
std::optional<corp_source> corp_source_from_string(std::string_view s) noexcept;

struct corp_identity {
    std::string user;  // as established: "alice@CORP.EXAMPLE", "CORP\\alice", "alice"
    corp_source source = corp_source::none;
    std::vector<std::string> groups;  // group names, as the group source spells them

    bool known() const noexcept { return !user.empty(); }
};

}  // namespace consolegate::core
