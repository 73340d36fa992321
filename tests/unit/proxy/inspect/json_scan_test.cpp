#include "json_scan.hpp"

#include <gtest/gtest.h>

namespace cd = consolegate::inspect::detail;

TEST(json_scan, exact_integer_reads_fractions_and_exponents_exactly) {
    struct row {
        const char* text;
        const char* value;  // nullptr: not an integer
    };
    for (auto r : {row{"12", "12"}, row{"12.0", "12"}, row{"1.2e1", "12"}, row{"120e-1", "12"},
                   row{"1.2E+1", "12"}, row{"4.44455556666e11", "444455556666"}, row{"0.0", "0"},
                   row{"-0.0", "0"}, row{"-1.5e1", "-15"}, row{"1e20", "100000000000000000000"},
                   row{"1.25", nullptr}, row{"1e-1", nullptr}, row{"1e99999", nullptr},
                   row{"1e65", nullptr}, row{"x", nullptr}, row{"", nullptr}}) {
        auto got = cd::exact_integer(r.text);
        if (r.value) {
            ASSERT_TRUE(got) << r.text;
            EXPECT_EQ(*got, r.value) << r.text;
        } else {
            EXPECT_FALSE(got) << r.text;
        }
    }
}

TEST(json_scan, numbers_that_are_not_integers_are_kept_as_text_and_flagged) {
    auto leaves = cd::scan_json(R"({"a":1.5,"b":2.0,"c":3,"d":123456789012345678901234})");
    ASSERT_TRUE(leaves);
    ASSERT_EQ(leaves->size(), 4u);
    EXPECT_EQ((*leaves)[0].value, "1.5");
    EXPECT_TRUE((*leaves)[0].inexact);
    EXPECT_EQ((*leaves)[1].value, "2");
    EXPECT_FALSE((*leaves)[1].inexact);
    EXPECT_EQ((*leaves)[2].value, "3");
    EXPECT_EQ((*leaves)[3].value, "123456789012345678901234");
    EXPECT_FALSE((*leaves)[3].inexact);
}

TEST(json_scan, repeated_json_key_names_the_first_key_an_object_repeats) {
    struct row {
        const char* text;
        const char* key;  // nullptr: none repeats (or not JSON)
    };
    for (auto r : {row{R"({"a":1,"b":2})", nullptr}, row{R"({"a":1,"a":2})", "a"},
                   row{R"({"a":{"b":1},"c":{"b":2}})", nullptr},  // one per object
                   row{R"({"a":[{"b":1,"b":1}]})", "b"}, row{R"({"a\u0062":1,"ab":2})", "ab"},
                   row{R"([{"x":1},{"x":2}])", nullptr}, row{"{", nullptr},
                   row{R"({"k":1,"k":2,"j":1,"j":2})", "k"}}) {
        auto got = cd::repeated_json_key(r.text);
        if (r.key) {
            ASSERT_TRUE(got) << r.text;
            EXPECT_EQ(*got, r.key) << r.text;
        } else {
            EXPECT_FALSE(got) << r.text;
        }
    }
}

// true, false, null and an object under a key are the member's value too: they come out as that
// key without text, so the inspector can refuse a sign-in field given one (before, they were
// dropped and the member read as absent). Arrays stay transparent: their elements are values.
TEST(json_scan, members_that_are_not_text_come_out_marked) {
    auto leaves = cd::scan_json(
        R"({"a":true,"b":false,"c":null,"d":{"e":"x"},"f":["y",{"g":1}],"h":"z","i":[]})");
    ASSERT_TRUE(leaves);
    std::vector<std::string> got;
    for (const auto& l : *leaves) {
        got.push_back(l.name + "=" + l.value + (l.not_text ? " (not text)" : ""));
    }
    EXPECT_EQ(got, (std::vector<std::string>{"a= (not text)", "b= (not text)", "c= (not text)",
                                             "d= (not text)", "e=x", "f=y", "f= (not text)", "g=1",
                                             "h=z"}));
    // A document that is itself an object, or a scalar, names no member.
    leaves = cd::scan_json("null");
    ASSERT_TRUE(leaves);
    ASSERT_EQ(leaves->size(), 1u);
    EXPECT_EQ((*leaves)[0].name, "");
}
