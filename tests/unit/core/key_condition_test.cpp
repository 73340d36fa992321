// core/key_condition.cpp: IAM's evaluation of the conditions no selector says, per operator, key,
// and what the gateway knows of the account (IAM JSON policy elements: Condition operators).
#include "key_condition.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace cc = consolegate::core;

namespace {

using Q = cc::key_condition::qualifier;
using T = cc::key_condition::test;
using K = cc::condition_key;

constexpr const char* org = "o-aaaaaaaaaa";
const std::string in_path = "o-aaaaaaaaaa/r-ab12/ou-ab12-11111111/";

// Where the account is: in the org export (its path known), outside it (no organization, or
// another one the gateway does not know), or not named at all.
enum class where { in_export, outside, unnamed };

struct row {
    const char* label;
    K key;
    const char* op;  // as IAM spells it, parsed below
    std::vector<std::string> values;
    where at;
    cc::tri want;
};

std::ostream& operator<<(std::ostream& os, const row& r) {
    return os << r.label;
}

cc::key_condition parse(std::string_view op, K key, std::vector<std::string> values) {
    cc::key_condition c;
    c.key = key;
    if (op.starts_with("ForAnyValue:")) c.set = Q::for_any_value, op.remove_prefix(12);
    if (op.starts_with("ForAllValues:")) c.set = Q::for_all_values, op.remove_prefix(13);
    if (op == "Null") {
        c.op = T::null;
        c.null_means_absent = values.at(0) == "true";
        return c;
    }
    if (op.ends_with("IfExists")) c.if_exists = true, op.remove_suffix(8);
    op.remove_prefix(6);  // String
    if (op.starts_with("Not")) c.negated = true, op.remove_prefix(3);
    c.op = op == "Like" ? T::like : T::equals;
    c.ignore_case = op == "EqualsIgnoreCase";
    c.values = std::move(values);
    return c;
}

class key_condition_table : public ::testing::TestWithParam<row> {};

}  // namespace

TEST_P(key_condition_table, decides_as_iam_does) {
    const auto& r = GetParam();
    cc::condition_context x;
    x.org_id = org;
    if (r.at != where::unnamed)
        x.account = r.at == where::in_export ? "111122223333" : "999988887777";
    if (r.at == where::in_export) x.path = &in_path;
    EXPECT_EQ(cc::evaluate_condition(parse(r.op, r.key, r.values), x), r.want);
}

using cc::tri;
INSTANTIATE_TEST_SUITE_P(
    operators, key_condition_table,
    ::testing::Values(
        // aws:PrincipalAccount: present for every named account.
        row{"equals, matching",
            K::account,
            "StringEquals",
            {"111122223333"},
            where::in_export,
            tri::yes},
        row{"not equals, matching",
            K::account,
            "StringNotEquals",
            {"111122223333"},
            where::in_export,
            tri::no},
        row{"not equals, other",
            K::account,
            "StringNotEquals",
            {"222233334444", "333344445555"},
            where::in_export,
            tri::yes},
        row{"not equals, one of several",
            K::account,
            "StringNotEquals",
            {"222233334444", "111122223333"},
            where::in_export,
            tri::no},
        row{"not equals outside the export",
            K::account,
            "StringNotEquals",
            {"111122223333"},
            where::outside,
            tri::yes},
        row{"not like, matching",
            K::account,
            "StringNotLike",
            {"1111*"},
            where::in_export,
            tri::no},
        row{"not like, other", K::account, "StringNotLike", {"2?22*"}, where::in_export, tri::yes},
        row{"not equals ignoring case",
            K::account,
            "StringNotEqualsIgnoreCase",
            {"111122223333"},
            where::in_export,
            tri::no},
        row{"not equals if exists",
            K::account,
            "StringNotEqualsIfExists",
            {"111122223333"},
            where::in_export,
            tri::no},
        row{"equals if exists, other",
            K::account,
            "StringEqualsIfExists",
            {"222233334444"},
            where::in_export,
            tri::no},
        row{"null true of a present key", K::account, "Null", {"true"}, where::in_export, tri::no},
        row{"null false of a present key", K::account, "Null", {"false"}, where::outside, tri::yes},
        row{"for all values not equals",
            K::account,
            "ForAllValues:StringNotEquals",
            {"111122223333"},
            where::in_export,
            tri::no},
        row{"for any value not equals",
            K::account,
            "ForAnyValue:StringNotEquals",
            {"222233334444"},
            where::in_export,
            tri::yes},
        // An account nobody named: never decided here (the rule does not match it).
        row{"unnamed account",
            K::account,
            "StringNotEquals",
            {"111122223333"},
            where::unnamed,
            tri::unknown},
        row{"unnamed account, null", K::org_id, "Null", {"true"}, where::unnamed, tri::unknown},
        // aws:PrincipalOrgID of an account in the export: present.
        row{"org not equals, ours", K::org_id, "StringNotEquals", {org}, where::in_export, tri::no},
        row{"org not equals, another",
            K::org_id,
            "StringNotEquals",
            {"o-bbbbbbbbbb"},
            where::in_export,
            tri::yes},
        row{"org not equals if exists, ours",
            K::org_id,
            "StringNotEqualsIfExists",
            {org},
            where::in_export,
            tri::no},
        row{"org null true, present", K::org_id, "Null", {"true"}, where::in_export, tri::no},
        row{"org null false, present", K::org_id, "Null", {"false"}, where::in_export, tri::yes},
        // Outside the export: absent, or another organization's ID the gateway does not know.
        // "not ours" holds either way; "not theirs", "theirs", "is absent" cannot be told.
        row{"outside: not equals ours",
            K::org_id,
            "StringNotEquals",
            {org},
            where::outside,
            tri::yes},
        row{"outside: not equals ignoring case",
            K::org_id,
            "StringNotEqualsIgnoreCase",
            {org},
            where::outside,
            tri::yes},
        row{"outside: not equals another",
            K::org_id,
            "StringNotEquals",
            {"o-bbbbbbbbbb"},
            where::outside,
            tri::unknown},
        row{"outside: not like a pattern another may match",
            K::org_id,
            "StringNotLike",
            {"o-a*"},
            where::outside,
            tri::unknown},
        row{"outside: not like ours spelt out",
            K::org_id,
            "StringNotLike",
            {org},
            where::outside,
            tri::yes},
        row{"outside: equals ours", K::org_id, "StringEquals", {org}, where::outside, tri::no},
        row{"outside: not equals ours if exists",
            K::org_id,
            "StringNotEqualsIfExists",
            {org},
            where::outside,
            tri::yes},
        row{"outside: equals ours if exists",
            K::org_id,
            "StringEqualsIfExists",
            {org},
            where::outside,
            tri::unknown},
        row{"outside: null true", K::org_id, "Null", {"true"}, where::outside, tri::unknown},
        row{"outside: null false", K::org_id, "Null", {"false"}, where::outside, tri::unknown},
        // aws:PrincipalOrgPaths, multivalued: ForAnyValue: asks some value, ForAllValues: every
        // one (true of none: the key absent), a bare operator as ForAnyValue: on one value.
        row{"paths any like, in",
            K::org_paths,
            "ForAnyValue:StringLike",
            {"o-aaaaaaaaaa/r-ab12/ou-ab12-11111111/*"},
            where::in_export,
            tri::yes},
        row{"paths any not like, in",
            K::org_paths,
            "ForAnyValue:StringNotLike",
            {"o-aaaaaaaaaa/*"},
            where::in_export,
            tri::no},
        row{"paths all not like, other OU",
            K::org_paths,
            "ForAllValues:StringNotLike",
            {"o-aaaaaaaaaa/r-ab12/ou-ab12-22222222/*"},
            where::in_export,
            tri::yes},
        row{"paths all like, in",
            K::org_paths,
            "ForAllValues:StringLike",
            {"o-aaaaaaaaaa/r-ab12/*"},
            where::in_export,
            tri::yes},
        row{"paths all like, other OU",
            K::org_paths,
            "ForAllValues:StringLike",
            {"o-aaaaaaaaaa/r-ab12/ou-ab12-22222222/*"},
            where::in_export,
            tri::no},
        row{"paths not like, in",
            K::org_paths,
            "StringNotLike",
            {"o-aaaaaaaaaa/r-ab12/*"},
            where::in_export,
            tri::no},
        row{"outside: paths all not like ours",
            K::org_paths,
            "ForAllValues:StringNotLike",
            {"o-aaaaaaaaaa/*"},
            where::outside,
            tri::yes},
        row{"outside: paths any not like ours",
            K::org_paths,
            "ForAnyValue:StringNotLike",
            {"o-aaaaaaaaaa/*"},
            where::outside,
            tri::unknown},
        row{"outside: paths all like ours",
            K::org_paths,
            "ForAllValues:StringLike",
            {"o-aaaaaaaaaa/*"},
            where::outside,
            tri::unknown},
        row{"outside: paths any like ours",
            K::org_paths,
            "ForAnyValue:StringLike",
            {"o-aaaaaaaaaa/*"},
            where::outside,
            tri::no},
        row{"outside: paths not like a wildcard org",
            K::org_paths,
            "StringNotLike",
            {"o-*/r-ab12/*"},
            where::outside,
            tri::unknown}));

TEST(key_condition, all_of_them_are_anded) {
    cc::condition_context x;
    x.org_id = org;
    x.account = "111122223333";
    x.path = &in_path;
    auto yes = parse("StringNotEquals", K::account, {"222233334444"});
    auto no = parse("StringNotEquals", K::org_id, {org});
    cc::key_condition unknown_when_outside = parse("Null", K::org_id, {"false"});
    const cc::key_condition* deciding = nullptr;  // points into `both`
    const std::vector<cc::key_condition> both{yes, no};
    EXPECT_EQ(cc::evaluate_conditions(both, x, &deciding), tri::no);
    EXPECT_EQ(deciding->key, K::org_id);
    EXPECT_EQ(cc::evaluate_conditions({yes}, x), tri::yes);
    x.account = "999988887777";
    x.path = nullptr;
    EXPECT_EQ(cc::evaluate_conditions({yes, unknown_when_outside}, x), tri::unknown);
    // A no beats an unknown wherever it stands.
    EXPECT_EQ(
        cc::evaluate_conditions({unknown_when_outside, parse("StringEquals", K::org_id, {org})}, x),
        tri::no);
}
