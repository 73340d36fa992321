#include "key_condition.hpp"

#include <algorithm>

#include "consolegate/core/glob.hpp"

namespace consolegate::core {
namespace {

tri negate(tri t) {
    return t == tri::unknown ? t : (t == tri::yes ? tri::no : tri::yes);
}

tri of(bool b) {
    return b ? tri::yes : tri::no;
}

// Does one request value match some condition value (the operator before negation)?
bool matches_some(const key_condition& c, std::string_view value) {
    std::string lowered;
    if (c.ignore_case) {
        lowered.assign(value);
        std::transform(lowered.begin(), lowered.end(), lowered.begin(), ascii_lower);
        value = lowered;
    }
    return std::any_of(c.values.begin(), c.values.end(), [&](const std::string& v) {
        return c.op == key_condition::test::like ? glob_match(v, value, glob_case::sensitive)
                                                 : v == value;
    });
}

// Could a condition value match the value of an organization other than `ours` (an organization
// ID, or a path, which opens with its organization's ID and a '/')? Only a value spelling out our
// organization's ID before any wildcard cannot.
bool may_match_another_org(const key_condition& c, std::string_view ours) {
    if (ours.empty()) return true;
    std::string head(ours);
    if (c.key == condition_key::org_paths) head += '/';
    for (std::string_view v : c.values) {
        std::string_view prefix = v.substr(0, head.size());
        bool literal = c.op != key_condition::test::like ||
                       prefix.find_first_of("*?") == std::string_view::npos;
        bool spelt = literal && prefix == head &&
                     (c.key == condition_key::org_paths || v.size() == head.size());
        if (!spelt) return true;
    }
    return false;
}

tri when_absent(const key_condition& c) {
    if (c.op == key_condition::test::null) return of(c.null_means_absent);
    if (c.if_exists) return tri::yes;
    switch (c.set) {
        case key_condition::qualifier::for_all_values: return tri::yes;  // the empty set
        case key_condition::qualifier::for_any_value: return tri::no;
        case key_condition::qualifier::none: break;
    }
    return of(c.negated);
}

// The key is present with one value (every supported key has one for an account: its ID, its
// organization, its path), `match` being whether that value matches some condition value. With
// one value, ForAnyValue: and ForAllValues: ask the same as the bare operator.
tri when_present(const key_condition& c, tri match) {
    if (c.op == key_condition::test::null) return of(!c.null_means_absent);
    return c.negated ? negate(match) : match;
}

}  // namespace

tri evaluate_condition(const key_condition& c, const condition_context& x) {
    if (x.account.empty()) return tri::unknown;
    if (c.key == condition_key::account) {
        return when_present(c, of(matches_some(c, x.account)));
    }
    if (x.path) {
        std::string_view path = *x.path;
        std::string_view value =
            c.key == condition_key::org_id ? path.substr(0, path.find('/')) : path;
        return when_present(c, of(matches_some(c, value)));
    }
    // Outside the export: absent, or another organization's value.
    tri absent = when_absent(c);
    tri other = when_present(c, may_match_another_org(c, x.org_id) ? tri::unknown : tri::no);
    return absent == other ? absent : tri::unknown;
}

tri evaluate_conditions(const std::vector<key_condition>& cs, const condition_context& x,
                        const key_condition** deciding) {
    tri out = tri::yes;
    for (const auto& c : cs) {
        auto t = evaluate_condition(c, x);
        if (t == tri::yes) continue;
        if (out == tri::yes && deciding) *deciding = &c;
        if (t == tri::no) {
            if (deciding) *deciding = &c;
            return tri::no;
        }
        out = tri::unknown;
    }
    return out;
}

}  // namespace consolegate::core
