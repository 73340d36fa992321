// What a corporate user name may be, wherever it comes from.

#include "consolegate/identity/user_name.hpp"

#include <gtest/gtest.h>

#include <string>

namespace consolegate::identity {
namespace {

TEST(user_name, principals_down_level_names_and_utf8_pass) {
    for (std::string_view ok :
         {"alice@CORP.EXAMPLE", "CORP\\alice", "alice", "j\xc3\xb6rg@corp", "svc-build_01.x"}) {
        EXPECT_EQ(check_user_name(ok), "") << ok;
    }
    EXPECT_EQ(check_user_name(std::string(256, 'a')), "");
}

TEST(user_name, empty_long_spaced_control_and_list_characters_fail) {
    EXPECT_NE(check_user_name(""), "");
    EXPECT_NE(check_user_name(std::string(257, 'a')), "");
    using namespace std::string_view_literals;
    for (auto bad : {"a b"sv, "a\tb"sv, "a\nb"sv, "a\0b"sv, "a\x7f"sv, "a,b"sv, "a\"b"sv}) {
        EXPECT_NE(check_user_name(bad), "") << bad;
    }
}

}  // namespace
}  // namespace consolegate::identity
