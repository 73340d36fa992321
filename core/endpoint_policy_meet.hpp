#pragma once
// What two endpoint policy statements' selectors both select: IAM requires every test of a
// Condition and, for a console sign-in through the Sign-In endpoint, an Allow of each of its
// actions (core/endpoint_policy.cpp), and a rule holds one list per selector. Private to core.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace consolegate::core::detail {

// Both selector lists at once (IAM ANDs two statements' conditions): an empty list is every
// value, so the other one stands; false when no value is in both.
template <class T>
bool meet(std::vector<T>& x, const std::vector<T>& y) {
    if (y.empty()) return true;
    if (x.empty()) {
        x = y;
        return true;
    }
    std::vector<T> both;
    for (const auto& v : x) {
        if (std::find(y.begin(), y.end(), v) != y.end()) both.push_back(v);
    }
    x = std::move(both);
    return !x.empty();
}

// The paths two aws:PrincipalOrgPaths values both match, for the shapes a rule selects
// accounts by: "o-…/r-…/ou-…/" (exactly) and "o-…/r-…/ou-…/*" (it and below). nullopt when the
// shapes are others; "" when nothing matches both.
std::optional<std::string> path_meet(const std::string& p, const std::string& q);

enum class met : std::uint8_t { some, nothing, cannot };

// Both lists of OU paths at once, as meet() does for IDs; `cannot` (with the pair in `bad`)
// when two paths' shapes cannot be intersected into one.
met meet_paths(std::vector<std::string>& x, const std::vector<std::string>& y, std::string& bad);

}  // namespace consolegate::core::detail
