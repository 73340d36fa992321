// Fuzzes the org export parser (config/README.md, "Org export") over JSON text.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "config_values.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    consolegate::core::policy_config policy;
    std::vector<consolegate::core::diagnostic> diags;
    consolegate::core::config_detail::parse_org_export(text, "org.json", policy, diags);
    // Every account kept is valid: a 12-digit ID and a path under the organization.
    for (const auto& a : policy.accounts) {
        if (a.id.str().size() != 12 || !a.path.starts_with(policy.org_id + "/")) std::abort();
    }
    for (const auto& d : diags) {
        if (d.message.empty()) std::abort();
    }
    return 0;
}
