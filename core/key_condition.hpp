#pragma once
// IAM's evaluation of an imported endpoint policy's key_condition (policy_config.hpp) against what
// the gateway knows of the attempt's account (IAM JSON policy elements: Condition operators,
// "Condition operators", "…IfExists", "Null check", and "Single-valued vs multivalued keys"):
//   - a key absent from the request: a positive operator is false, a negated one (StringNot…)
//     true; …IfExists is true; Null "true" is true, "false" false; ForAnyValue: is false and
//     ForAllValues: true (the empty set);
//   - a key present: a negated operator is true when the request's value matches none of the
//     condition's values; ForAnyValue: asks it of some request value, ForAllValues: of every one.
// The gateway knows an account's organization and path from the org export only. An account
// outside the export is in no organization (the key is absent) or in another one (a value it does
// not know); a condition that decides the same either way is decided, any other is unknown.

#include <string>
#include <string_view>
#include <vector>

#include "consolegate/core/policy_config.hpp"

namespace consolegate::core {

struct condition_context {
    std::string account;                // the 12 digits; empty: the account is unknown
    std::string_view org_id;            // the org export's organization ("" without one)
    const std::string* path = nullptr;  // the account's path in the export, or outside it
};

// One condition; the account must be known (an attempt naming none matches no rule that
// selects on its account, whatever the operator: policy.hpp).
tri evaluate_condition(const key_condition& c, const condition_context& x);

// All of them (IAM ANDs a Condition's operators and keys): no if one is no, else unknown if one
// is unknown. The first that is not yes is put in `deciding` when given.
tri evaluate_conditions(const std::vector<key_condition>& cs, const condition_context& x,
                        const key_condition** deciding = nullptr);

}  // namespace consolegate::core
