#include "client_hello.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace consolegate::proxy {
namespace {

std::vector<std::uint8_t> corpus(const std::string& name) {
    std::ifstream f(std::string(CG_SOURCE_DIR) + "/tests/fuzz/proxy/corpus/client_hello/" + name,
                    std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

client_hello_result parse(const std::vector<std::uint8_t>& b) {
    return parse_client_hello(b);
}

struct capture {
    const char* file;
    bool has_sni;
    const char* sni;
    bool tls13;
    bool ech = false;  // an encrypted_client_hello extension (Chromium's GREASE ECH)
};

class real_hellos : public ::testing::TestWithParam<capture> {};

TEST_P(real_hellos, parse_and_every_prefix_needs_more) {
    auto c = GetParam();
    auto bytes = corpus(c.file);
    ASSERT_FALSE(bytes.empty()) << c.file;
    auto r = parse(bytes);
    ASSERT_EQ(r.status, hello_status::complete) << to_string(r.status);
    EXPECT_EQ(r.info.has_sni, c.has_sni);
    EXPECT_EQ(r.info.sni, c.sni);
    EXPECT_EQ(r.info.offers_tls13, c.tls13);
    EXPECT_EQ(r.info.offers_ech, c.ech);
    EXPECT_EQ(r.info.record_bytes, bytes.size());
    // TCP may deliver any prefix: each must ask for more, never fail.
    for (std::size_t n = 1; n < bytes.size(); ++n) {
        auto p = parse_client_hello(std::span(bytes).first(n));
        ASSERT_EQ(p.status, hello_status::need_more) << "prefix " << n;
    }
}

INSTANTIATE_TEST_SUITE_P(
    captures, real_hellos,
    ::testing::Values(
        capture{"curl_tls13_sni.bin", true, "signin.aws.amazon.com", true},
        capture{"curl_tls12_only.bin", true, "console.aws.amazon.com", false},
        capture{"openssl_sni_alpn.bin", true, "portal.sso.eu-west-1.amazonaws.com", true},
        capture{"openssl_no_sni.bin", false, "", true},
        capture{"openssl_tls12_nosni.bin", false, "", false},
        capture{"chromium_pq_grease.bin", true, "signin.aws.amazon.com", true, true},
        capture{"split_across_three_records.bin", true, "signin.aws.amazon.com", true}));

TEST(client_hello, alpn_in_client_order) {
    auto r = parse(corpus("openssl_sni_alpn.bin"));
    ASSERT_EQ(r.status, hello_status::complete);
    ASSERT_EQ(r.info.alpn.size(), 2u);
    EXPECT_EQ(r.info.alpn[0], "h2");
    EXPECT_EQ(r.info.alpn[1], "http/1.1");
}

TEST(client_hello, one_byte_records) {
    auto hello = corpus("curl_tls13_sni.bin");
    std::vector<std::uint8_t> split;
    for (std::size_t i = 5; i < hello.size(); ++i) {
        split.insert(split.end(), {0x16, 3, 1, 0, 1, hello[i]});
    }
    // 5 bytes of header per byte of payload count against the bound too.
    EXPECT_EQ(parse_client_hello(split, 1000).status, hello_status::too_large);
    auto small = parse(split);
    EXPECT_EQ(small.status, hello_status::complete);
    EXPECT_EQ(small.info.sni, "signin.aws.amazon.com");
}

TEST(client_hello, not_tls_and_malformed) {
    EXPECT_EQ(parse(corpus("chromium_background_plain_http_not_tls.bin")).status,
              hello_status::not_tls);
    EXPECT_EQ(parse({0x16, 3, 1, 0, 0}).status, hello_status::malformed);
    EXPECT_EQ(parse({0x16, 9, 1, 0, 5}).status, hello_status::not_tls);
    EXPECT_EQ(parse({}).status, hello_status::need_more);
    // A server hello where a client hello must be.
    EXPECT_EQ(parse({0x16, 3, 3, 0, 4, 2, 0, 0, 0}).status, hello_status::malformed);
    // An alert record after the first handshake record.
    auto hello = corpus("split_across_three_records.bin");
    hello.resize(105);
    hello.insert(hello.end(), {0x15, 3, 3, 0, 2, 2, 40});
    EXPECT_EQ(parse(hello).status, hello_status::malformed);
}

TEST(client_hello, declared_length_over_the_cap) {
    std::vector<std::uint8_t> b{0x16, 3, 1, 0x40, 0x00, 1, 0x01, 0x00, 0x00};  // 64 KiB body
    EXPECT_EQ(parse(b).status, hello_status::too_large);
}

TEST(client_hello, sni_is_lower_cased_and_invalid_names_fail_closed) {
    auto hello = corpus("curl_tls13_sni.bin");
    std::string name = "signin.aws.amazon.com";
    auto at = std::search(hello.begin(), hello.end(), name.begin(), name.end());
    ASSERT_NE(at, hello.end());
    auto upper = hello;
    upper[static_cast<std::size_t>(at - hello.begin())] = 'S';
    EXPECT_EQ(parse(upper).info.sni, "signin.aws.amazon.com");
    auto bad = hello;
    bad[static_cast<std::size_t>(at - hello.begin()) + 6] = '/';
    EXPECT_EQ(parse(bad).status, hello_status::malformed);
    auto nul = hello;
    nul[static_cast<std::size_t>(at - hello.begin()) + 6] = '\0';
    EXPECT_EQ(parse(nul).status, hello_status::malformed);
}

// A minimal TLS 1.2 ClientHello whose server_name extension lists `names` ({type, name}).
std::vector<std::uint8_t> hello_naming(
    const std::vector<std::pair<std::uint8_t, std::string>>& names) {
    auto u16 = [](std::vector<std::uint8_t>& v, std::size_t n) {
        v.push_back(static_cast<std::uint8_t>(n >> 8));
        v.push_back(static_cast<std::uint8_t>(n));
    };
    std::vector<std::uint8_t> list;
    for (const auto& [type, name] : names) {
        list.push_back(type);
        u16(list, name.size());
        list.insert(list.end(), name.begin(), name.end());
    }
    std::vector<std::uint8_t> ext{0, 0};  // server_name
    u16(ext, list.size() + 2);
    u16(ext, list.size());
    ext.insert(ext.end(), list.begin(), list.end());
    std::vector<std::uint8_t> body{3, 3};
    body.insert(body.end(), 32, 0);                        // random
    body.insert(body.end(), {0, 0, 2, 0x13, 0x01, 1, 0});  // session ID, one suite, null
    u16(body, ext.size());
    body.insert(body.end(), ext.begin(), ext.end());
    std::vector<std::uint8_t> out{0x16, 3, 1};
    u16(out, body.size() + 4);
    out.insert(out.end(), {1, 0});
    u16(out, body.size());
    out.insert(out.end(), body.begin(), body.end());
    return out;
}

// Evasion round 3: a server_name list that servers read differently (RFC 6066 §3 defines
// host_name alone, once) is refused, so no splice is decided on one of its names while the
// server takes another.
TEST(client_hello, a_server_name_list_readers_differ_on_fails_closed) {
    auto one = parse(hello_naming({{0, "elsewhere.example"}}));
    ASSERT_EQ(one.status, hello_status::complete);
    EXPECT_EQ(one.info.sni, "elsewhere.example");
    for (const auto& names : std::vector<std::vector<std::pair<std::uint8_t, std::string>>>{
             {{1, "signin.aws.amazon.com"}, {0, "elsewhere.example"}},
             {{0, "elsewhere.example"}, {1, "signin.aws.amazon.com"}},
             {{0, "elsewhere.example"}, {0, "signin.aws.amazon.com"}},
             {{0, "elsewhere.example"}, {0, "elsewhere.example"}},
             {{1, "signin.aws.amazon.com"}},
             {{0, ""}}}) {
        EXPECT_EQ(parse(hello_naming(names)).status, hello_status::malformed)
            << names.front().second << " then " << names.back().second;
    }
}

TEST(client_hello, every_truncated_length_field_is_caught) {
    auto hello = corpus("chromium_pq_grease.bin");
    // Flip every byte in turn: whatever the result, it must be one of the statuses and a
    // complete result must still hold a sane SNI.
    for (std::size_t i = 0; i < hello.size(); ++i) {
        auto m = hello;
        m[i] ^= 0xff;
        auto r = parse(m);
        if (r.status == hello_status::complete && r.info.has_sni) {
            EXPECT_FALSE(r.info.sni.empty());
        }
    }
}

}  // namespace
}  // namespace consolegate::proxy
