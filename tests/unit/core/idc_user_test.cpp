#include "consolegate/core/idc_user.hpp"

#include <gtest/gtest.h>

namespace cc = consolegate::core;

namespace {

struct mapping {
    const char* tmpl;
    const char* corp_user;
    const char* idc_user;  // "" = nobody
};

std::ostream& operator<<(std::ostream& os, const mapping& m) {
    return os << m.tmpl << " / " << m.corp_user;
}

const std::string long_user(129, 'a');

class idc_user_mapping : public ::testing::TestWithParam<mapping> {};

}  // namespace

TEST_P(idc_user_mapping, maps) {
    const auto& m = GetParam();
    ASSERT_EQ(cc::check_idc_user_template(m.tmpl), "");
    EXPECT_EQ(cc::idc_user_of(m.tmpl, m.corp_user), m.idc_user);
}

INSTANTIATE_TEST_SUITE_P(
    realms, idc_user_mapping,
    ::testing::Values(mapping{"{user}", "alice@CORP.EXAMPLE", "alice@CORP.EXAMPLE"},
                      mapping{"{name}", "alice@CORP.EXAMPLE", "alice"},
                      mapping{"{name}@corp.example", "alice@CORP.EXAMPLE", "alice@corp.example"},
                      mapping{"{name}@corp.example", "CORP\\alice", "alice@corp.example"},
                      mapping{"{name}@corp.example", "alice", "alice@corp.example"},
                      mapping{"{name}@{realm}", "alice@CORP.EXAMPLE", "alice@CORP.EXAMPLE"},
                      mapping{"{realm}-{name}", "CORP\\bob", "CORP-bob"},
                      // A Kerberos principal's realm follows its last '@'.
                      mapping{"{name}", "first.last@partner.example@CORP.EXAMPLE",
                              "first.last@partner.example"},
                      mapping{"{name}@{realm}", "alice", ""},    // {realm} without one: nobody
                      mapping{"{name}", "", ""},                 // no corporate user
                      mapping{"{name}", "@CORP.EXAMPLE", ""},    // no bare name
                      mapping{"{name}", long_user.c_str(), ""},  // over 128 characters
                      mapping{"idc-{name}", "alice@X", "idc-alice"}));

TEST(idc_user_template, refused_with_the_fix) {
    for (const char* bad : {"", "{nme}@x", "{realm}", "{name", "x}", "{name} x", "{name}\t",
                            "corp.example", "{NAME}"}) {
        auto why = cc::check_idc_user_template(bad);
        EXPECT_NE(why, "") << bad;
        EXPECT_NE(why.find("{name}@corp.example"), std::string::npos) << why;
    }
    EXPECT_NE(cc::check_idc_user_template(std::string(257, 'x') + "{name}"), "");
    EXPECT_EQ(cc::check_idc_user_template("{user}"), "");
}
