#include "consolegate/audit/review_page.hpp"

#include <gtest/gtest.h>

namespace au = consolegate::audit;

TEST(review_page, escapes_every_user_supplied_field) {
    au::event e;
    e.id = "ev1";
    e.time = "2026-11-23T04:00:00.000Z";
    e.effect = "deny";
    e.user = "<script>alert(1)</script>";
    e.alias = "\"onmouseover=x";
    e.account = "111122223333";
    au::query q;
    q.user = "\"><img src=x>";
    auto html = au::render_review_page({e}, q, "gw<1>");
    EXPECT_EQ(html.find("<script>"), std::string::npos);
    EXPECT_EQ(html.find("<img"), std::string::npos);
    EXPECT_EQ(html.find("\"onmouseover"), std::string::npos);
    EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
    EXPECT_NE(html.find("gw&lt;1&gt;"), std::string::npos);
    EXPECT_NE(html.find("111122223333"), std::string::npos);
    EXPECT_NE(html.find("1 attempt."), std::string::npos);
}

TEST(review_page, keeps_the_selected_filter) {
    au::query q;
    q.decision = "deny";
    auto html = au::render_review_page({}, q, "gw");
    EXPECT_NE(html.find("<option value=\"deny\" selected>"), std::string::npos);
    EXPECT_NE(html.find("0 attempts."), std::string::npos);
}
