// Bytes as SAML XML and as base64: never crashes; a read always has at least one role ARN of
// kind role with its provider.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "consolegate/inspect/saml.hpp"

namespace {
void check(const std::optional<consolegate::inspect::saml_read>& r) {
    if (!r) return;
    if (r->roles.empty()) std::abort();
    for (auto& role : r->roles) {
        if (role.role.kind != consolegate::core::principal_kind::role) std::abort();
        if (role.provider_arn.empty()) std::abort();
    }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    consolegate::inspect::saml_limits limits;
    limits.max_decoded_bytes = 64 * 1024;
    std::string why;
    check(consolegate::inspect::read_saml_xml(bytes, limits, &why));
    check(consolegate::inspect::read_saml_response(bytes, limits, &why));
    return 0;
}
