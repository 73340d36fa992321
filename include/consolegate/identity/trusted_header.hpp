#pragma once
// A trusted upstream proxy's user header (identity.trusted_header, e.g. "X-Authenticated-User"):
// sites that chain this gateway behind an authenticating proxy (Squid with
// negotiate_kerberos_auth, a vendor's cloud proxy) let that proxy say who the user is. The
// header is believed only from identity.trusted_header_from; the proxy strips it from every
// request before forwarding, whoever sent it (docs/identity.md).
//
// Pure and thread-safe.

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "consolegate/core/address.hpp"
#include "consolegate/core/corp_identity.hpp"

namespace consolegate::identity {

enum class header_outcome : std::uint8_t {
    identified,  // one valid value from a trusted network
    untrusted,   // the client is outside trusted_header_from: ignored (and stripped)
    invalid,     // from a trusted network, but not a user name (user_name.hpp)
    ambiguous,   // from a trusted network, several values: which one is meant?
};

struct header_identity {
    header_outcome outcome = header_outcome::untrusted;
    std::shared_ptr<const core::corp_identity> who;  // set when identified
};

// `values`: every value of the header on one request (CONNECT or a request in a tunnel); not
// empty. Leading and trailing spaces of a value are not part of it (RFC 9110 §5.5).
header_identity from_trusted_header(const core::ip_address& client,
                                    const std::vector<core::cidr>& trusted,
                                    std::span<const std::string_view> values);

}  // namespace consolegate::identity
