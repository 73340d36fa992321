#include "consolegate/inspect/access_key.hpp"

#include <gtest/gtest.h>

namespace ci = consolegate::inspect;

TEST(access_key, decodes_the_documented_vector) {
    std::string why;
    auto a = ci::account_from_access_key("ASIAY34FZKBOKMUTVV7A", &why);
    ASSERT_TRUE(a) << why;
    EXPECT_EQ(a->str(), "609629065308");
}

TEST(access_key, long_term_prefix_decodes_too) {
    auto a = ci::account_from_access_key("AKIAY34FZKBOKMUTVV7A", nullptr);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->str(), "609629065308");
}

TEST(access_key, legacy_i_and_j_keys_are_not_decodable_and_say_so) {
    for (auto k : {"AKIAIOSFODNN7EXAMPLE", "ASIAJEXAMPLEXEG2JICE"}) {
        std::string why;
        EXPECT_FALSE(ci::account_from_access_key(k, &why)) << k;
        EXPECT_NE(why.find("legacy"), std::string::npos) << why;
    }
}

TEST(access_key, rejects_wrong_shapes) {
    for (auto k :
         {"", "ASIA", "ASIAY34FZKBOKMUTVV7", "ASIAY34FZKBOKMUTVV7AA", "AROAY34FZKBOKMUTVV7A",
          "asiay34fzkbokmutvv7a", "ASIAY34FZKBOKMUTVV71", "ASIAY34FZKBOKMUTVV=A"}) {
        std::string why;
        EXPECT_FALSE(ci::account_from_access_key(k, &why)) << k;
        EXPECT_FALSE(why.empty()) << k;
    }
}
