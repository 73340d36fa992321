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

TEST(access_key, sigv4_credentials_by_the_header_grammar) {
    std::string why;
    auto c = ci::sigv4_credentials(
        "AWS4-HMAC-SHA256 Credential=AKIDA/20261123/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=00",
        &why);
    ASSERT_EQ(c.size(), 1u) << why;
    EXPECT_EQ(c[0], "AKIDA");
    // Not by substring: XCredential is another parameter; a Credential inside a value is none.
    c = ci::sigv4_credentials("AWS4-HMAC-SHA256 XCredential=A/x, Credential=B/x", &why);
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(c[0], "B");
    c = ci::sigv4_credentials("AWS4-HMAC-SHA256 SignedHeaders=host;Credential=B", &why);
    EXPECT_TRUE(c.empty());
    EXPECT_NE(why.find("no Credential"), std::string::npos) << why;
    // Every Credential counts; a piece that is not name=value refuses the whole header.
    c = ci::sigv4_credentials("AWS4-X Credential=A/x,Credential=B/x,Credential=A/y", &why);
    EXPECT_EQ(c, (std::vector<std::string>{"A", "B"}));
    c = ci::sigv4_credentials("AWS4-X Credential=A/x, garbage", &why);
    EXPECT_TRUE(c.empty());
    EXPECT_NE(why.find("name=value"), std::string::npos) << why;
    EXPECT_TRUE(ci::sigv4_credentials("AWS4-X", &why).empty());
    EXPECT_TRUE(ci::sigv4_credentials("AWS4-X =A", &why).empty());
}

// A reader that trims names or splits at white space must find no key this one skipped: before,
// "Credential =K2" was another parameter's name and "Credential=K1/… Credential=K2/…" one value,
// so only K1 was judged while such a reader could act on K2.
TEST(access_key, sigv4_credentials_under_every_split_and_trim) {
    std::string why;
    auto c = ci::sigv4_credentials("AWS4-HMAC-SHA256 Credential =B/x, Credential=A/x", &why);
    EXPECT_EQ(c, (std::vector<std::string>{"B", "A"})) << why;
    c = ci::sigv4_credentials("AWS4-HMAC-SHA256 Credential\t= B/x, SignedHeaders=host", &why);
    EXPECT_EQ(c, (std::vector<std::string>{"B"})) << why;
    c = ci::sigv4_credentials("AWS4-HMAC-SHA256 Credential=A/x Credential=B/x SignedHeaders=host",
                              &why);
    EXPECT_EQ(c, (std::vector<std::string>{"A", "B"})) << why;
    c = ci::sigv4_credentials("AWS4-HMAC-SHA256\tCredential=A/x,\tSignature=00", &why);
    EXPECT_EQ(c, (std::vector<std::string>{"A"})) << why;
    // A name without '=' is still no parameter.
    c = ci::sigv4_credentials("AWS4-HMAC-SHA256 Credential=A/x, Credential B/x", &why);
    EXPECT_TRUE(c.empty());
    EXPECT_NE(why.find("name=value"), std::string::npos) << why;
}

// Signature Version 2 ("AWS <key>:<signature>", S3 REST authentication) names its key too.
TEST(access_key, sigv2_access_key_of_the_authorization_header) {
    std::string why;
    EXPECT_EQ(ci::sigv2_access_key("AWS AKIAY34FZKBOKMUTVV7A:frJIUN8DYpKDtOLCwo//yllqDzg=", &why),
              "AKIAY34FZKBOKMUTVV7A");
    EXPECT_EQ(ci::sigv2_access_key("  aws\t AKIAY34FZKBOKMUTVV7A:x ", &why),
              "AKIAY34FZKBOKMUTVV7A");
    // SigV2 without a key: refused with a reason.
    for (std::string_view h : {"AWS AKIAY34FZKBOKMUTVV7A", "AWS :sig", "AWS ", "AWS"}) {
        why.clear();
        auto k = ci::sigv2_access_key(h, &why);
        ASSERT_TRUE(k.has_value()) << h;
        EXPECT_TRUE(k->empty()) << h;
        EXPECT_FALSE(why.empty()) << h;
    }
    // Not SigV2.
    for (std::string_view h :
         {"AWS4-HMAC-SHA256 Credential=A/x", "AWSX a:b", "Bearer a:b", "AW a:b"}) {
        EXPECT_FALSE(ci::sigv2_access_key(h, &why).has_value()) << h;
    }
}
