// Endpoint policy import: any bytes give rules or diagnostics (never both, never a crash), every
// diagnostic of a document that parsed is placed at a line and column inside it, and whatever is
// imported compiles and evaluates.
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
    int lines = 1;
    for (char c : text) lines += c == '\n' ? 1 : 0;
    for (const auto& d : r.diagnostics) {
        if (d.where.line > lines || d.where.column < 0) std::abort();
        if (d.where.line == 0 && size <= cc::endpoint_policy_max_bytes &&
            d.message.find("invalid JSON") == std::string_view::npos &&
            d.message.find("duplicate key") == std::string_view::npos)
            std::abort();  // parsed, so every element has a place
    }
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
