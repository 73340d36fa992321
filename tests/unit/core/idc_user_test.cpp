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
// identity.realms: the site's own realm and Windows domain.
const std::vector<std::string> site{"CORP.EXAMPLE", "CORP"};

class idc_user_mapping : public ::testing::TestWithParam<mapping> {};

}  // namespace

TEST_P(idc_user_mapping, maps) {
    const auto& m = GetParam();
    ASSERT_EQ(cc::check_idc_user_template(m.tmpl), "");
    EXPECT_EQ(cc::idc_user_of(m.tmpl, m.corp_user, site), m.idc_user);
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
                      mapping{"idc-{name}", "alice@CORP", "idc-alice"},
                      // The site's realm in another case is the site's realm.
                      mapping{"{name}@corp.example", "alice@corp.example", "alice@corp.example"},
                      mapping{"{name}@corp.example", "corp\\alice", "alice@corp.example"},
                      // Another realm's alice is not the site's alice: {name} would drop the
                      // realm that tells them apart, so she maps to nobody.
                      mapping{"{name}@corp.example", "alice@PARTNER.EXAMPLE", ""},
                      mapping{"{name}@corp.example", "PARTNER\\alice", ""},
                      mapping{"{name}", "alice@CORP.EXAMPLE.PARTNER.EXAMPLE", ""},
                      mapping{"{name}", "alice@", ""},  // an empty realm is no site realm
                      mapping{"{name}", "alice@corp.example@PARTNER.EXAMPLE", ""},
                      // Templates that keep the realm keep them apart without identity.realms.
                      mapping{"{user}", "alice@PARTNER.EXAMPLE", "alice@PARTNER.EXAMPLE"},
                      mapping{"{name}@{realm}", "alice@PARTNER.EXAMPLE", "alice@PARTNER.EXAMPLE"}));

TEST(idc_user_mapping, without_site_realms_a_template_that_drops_the_realm_maps_only_bare_users) {
    EXPECT_EQ(cc::idc_user_of("{name}@corp.example", "alice@CORP.EXAMPLE", {}), "");
    EXPECT_EQ(cc::idc_user_of("{name}@corp.example", "alice", {}), "alice@corp.example");
    EXPECT_EQ(cc::idc_user_of("{user}", "alice@CORP.EXAMPLE", {}), "alice@CORP.EXAMPLE");
    EXPECT_TRUE(cc::idc_user_drops_realm("{name}@corp.example"));
    EXPECT_FALSE(cc::idc_user_drops_realm("{name}@{realm}"));
    EXPECT_FALSE(cc::idc_user_drops_realm("{user}"));
}

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
