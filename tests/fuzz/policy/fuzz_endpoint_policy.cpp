// Endpoint policy import: any bytes give rules or diagnostics (never both, never a crash), and
// whatever is imported compiles and evaluates.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "consolegate/core/endpoint_policy.hpp"
#include "consolegate/core/policy.hpp"

namespace cc = consolegate::core;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto r = cc::import_endpoint_policy(text, "fuzz.json");
    if (!r.ok() && !r.rules.empty()) std::abort();  // a partial import could drop a Deny
    if (r.ok()) {
        cc::policy_config c;
        c.org_id = "o-a1b2c3d4e5";
        c.accounts = {
            {*cc::account_id::parse("012345678901"), "a", "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"}};
        c.rules = r.rules;
        cc::compiled_policy p(c);
        cc::sign_in_attempt a;
        a.account = cc::account_id::parse("012345678901");
        (void)cc::evaluate(a, p, cc::elevation_view::unavailable(), {});
        a.account.reset();
        (void)cc::evaluate(a, p, cc::elevation_view::unavailable(), {});
    }
    return 0;
}
