#pragma once
// Reads what AWS will act on from a SAML 2.0 Response posted to signin.aws.amazon.com/saml:
// every Role attribute value and the RoleSessionName.
//
// The gateway only reads: it does NOT verify the IdP's XML signature (AWS does that). Because an
// unsigned addition could make the gateway see roles AWS ignores, the reader is strict about where
// roles may appear (exactly one unencrypted Assertion, one Role Attribute inside its
// AttributeStatement) and reports anything else as an error so the caller fails closed.
// DTDs are refused outright (SAML 2.0 core: documents must not contain a DTD), so no entity of
// any kind is ever expanded.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "consolegate/core/principal.hpp"

namespace consolegate::inspect {

inline constexpr std::string_view saml_role_attribute =
    "https://aws.amazon.com/SAML/Attributes/Role";
inline constexpr std::string_view saml_session_attribute =
    "https://aws.amazon.com/SAML/Attributes/RoleSessionName";

struct saml_role {
    std::string role_arn;      // arn:aws:iam::ACCT:role/NAME as read (trimmed)
    std::string provider_arn;  // arn:aws:iam::ACCT:saml-provider/NAME
    core::principal role;      // parsed role_arn (kind role)
};

struct saml_read {
    std::vector<saml_role> roles;  // in document order, duplicates removed; never empty
    std::string session_name;      // RoleSessionName, empty when absent
};

struct saml_limits {
    std::size_t max_decoded_bytes = 256 * 1024;  // cap on the decoded XML
    std::size_t max_roles = 64;                  // Role values per assertion
};

// Base64 of a SAML Response (standard or URL-safe alphabet, whitespace ignored, padding
// optional; the caller has already undone form percent-encoding). Returns nullopt and a reason in
// `why` (if non-null) on: bad base64, over the cap, not well-formed XML, a DTD, no or several
// Assertions, an EncryptedAssertion, a Role attribute outside the assertion's AttributeStatement
// or given twice, no role, a value that is not "role ARN,provider ARN" (either order), or a value
// whose text is split by a comment in a way that reads as a different role.
std::optional<saml_read> read_saml_response(std::string_view base64, const saml_limits& limits,
                                            std::string* why);

// The same over already decoded XML (used by the above and by tests).
std::optional<saml_read> read_saml_xml(std::string_view xml, const saml_limits& limits,
                                       std::string* why);

// Base64 (standard or URL-safe, whitespace ignored, padding optional) with an output cap.
std::optional<std::string> decode_base64(std::string_view text, std::size_t max_out);

}  // namespace consolegate::inspect
