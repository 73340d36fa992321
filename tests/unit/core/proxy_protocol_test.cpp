#include "consolegate/core/proxy_protocol.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace consolegate::core {
namespace {

std::vector<std::uint8_t> bytes(std::string_view s) {
    return {s.begin(), s.end()};
}

const std::string v2_sig("\r\n\r\n\0\r\nQUIT\n", 12);

// A v2 header: signature, version/command, family, length, then `block`.
std::vector<std::uint8_t> v2(std::uint8_t ver_cmd, std::uint8_t fam,
                             const std::vector<std::uint8_t>& block) {
    auto out = bytes(v2_sig);
    out.push_back(ver_cmd);
    out.push_back(fam);
    out.push_back(static_cast<std::uint8_t>(block.size() >> 8));
    out.push_back(static_cast<std::uint8_t>(block.size() & 0xFF));
    out.insert(out.end(), block.begin(), block.end());
    return out;
}

const std::vector<std::uint8_t> v4_block = {192, 0, 2, 7, 10, 0, 0, 1, 0xC3, 0x50, 0x01, 0xBB};

TEST(proxy_protocol, v1_tcp4_gives_the_source_and_the_bytes_after_it) {
    auto in = bytes("PROXY TCP4 192.0.2.7 10.0.0.1 50000 443\r\n\x16\x03\x01");
    auto r = parse_proxy_header(in);
    ASSERT_EQ(r.status, proxy_parse_status::complete) << r.error;
    EXPECT_EQ(r.consumed, in.size() - 3);
    EXPECT_EQ(r.header.version, 1);
    EXPECT_EQ(r.header.command, proxy_command::proxy);
    EXPECT_EQ(r.header.source.str(), "192.0.2.7");
    EXPECT_EQ(r.header.destination.str(), "10.0.0.1");
    EXPECT_EQ(r.header.source_port, 50000);
    EXPECT_EQ(r.header.destination_port, 443);
}

TEST(proxy_protocol, v1_tcp6) {
    auto r = parse_proxy_header(bytes("PROXY TCP6 2001:db8::7 2001:db8::1 1 65535\r\n"));
    ASSERT_EQ(r.status, proxy_parse_status::complete) << r.error;
    EXPECT_EQ(r.header.source.str(), "2001:db8::7");
    EXPECT_EQ(r.header.destination_port, 65535);
}

// A dual-stack balancer hands an IPv4 client over as TCP6 ::ffff:a.b.c.d (v1) or an AF_INET6
// block holding it (v2): the source is that IPv4 client, inside 10.20.0.0/16 like its IPv4
// spelling, so a contractors' client rule sees it either way.
TEST(proxy_protocol, an_ipv4_mapped_source_is_the_ipv4_client) {
    std::vector<std::uint8_t> block(36, 0);
    block[10] = block[11] = 0xff;
    block[12] = 10;
    block[13] = 20;
    block[15] = 5;
    const auto contractors = *cidr::parse("10.20.0.0/16");
    for (const auto& in :
         {bytes("PROXY TCP6 ::ffff:10.20.0.5 ::1 1 2\r\n"),
          bytes("PROXY TCP6 ::FFFF:0A14:0005 ::1 1 2\r\n"), v2(0x21, 0x21, block)}) {
        auto r = parse_proxy_header(in);
        ASSERT_EQ(r.status, proxy_parse_status::complete) << r.error;
        EXPECT_TRUE(r.header.source.is_v4());
        EXPECT_EQ(r.header.source.str(), "10.20.0.5");
        EXPECT_TRUE(contractors.contains(r.header.source));
    }
}

TEST(proxy_protocol, v1_unknown_is_the_balancer_speaking_for_itself) {
    for (std::string_view s : {"PROXY UNKNOWN\r\n", "PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n"}) {
        auto r = parse_proxy_header(bytes(s));
        ASSERT_EQ(r.status, proxy_parse_status::complete) << s;
        EXPECT_EQ(r.header.command, proxy_command::local);
        EXPECT_EQ(r.consumed, s.size());
    }
}

TEST(proxy_protocol, every_prefix_of_a_header_needs_more) {
    for (auto whole :
         {bytes("PROXY TCP4 192.0.2.7 10.0.0.1 50000 443\r\n"), v2(0x21, 0x11, v4_block)}) {
        for (std::size_t n = 0; n < whole.size(); ++n) {
            auto r = parse_proxy_header(std::span(whole).first(n));
            EXPECT_EQ(r.status, proxy_parse_status::need_more) << n;
        }
        EXPECT_EQ(parse_proxy_header(whole).status, proxy_parse_status::complete);
    }
}

TEST(proxy_protocol, other_protocols_are_not_proxy) {
    // TLS ClientHello, HTTP (including methods starting with P), a DNS-over-TCP length.
    const std::initializer_list<std::string_view> others = {"\x16\x03\x01\x02\x00",
                                                            "POST / HTTP/1.1\r\n",
                                                            "PUT /",
                                                            "CONNECT a:443 HTTP/1.1\r\n",
                                                            std::string_view("\x00\x1d", 2),
                                                            "PROXYX",
                                                            "\r\n\r\n\x01"};
    for (std::string_view s : others) {
        EXPECT_EQ(parse_proxy_header(bytes(s)).status, proxy_parse_status::not_proxy) << s;
    }
}

struct bad_v1 {
    const char* name;
    std::string text;
};

class proxy_protocol_bad_v1 : public ::testing::TestWithParam<bad_v1> {};

TEST_P(proxy_protocol_bad_v1, is_malformed) {
    auto r = parse_proxy_header(bytes(GetParam().text));
    EXPECT_EQ(r.status, proxy_parse_status::malformed) << GetParam().name;
    EXPECT_FALSE(r.error.empty());
}

INSTANTIATE_TEST_SUITE_P(
    table, proxy_protocol_bad_v1,
    ::testing::Values(bad_v1{"unknown protocol", "PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n"},
                      bad_v1{"v6 address under TCP4", "PROXY TCP4 ::1 ::1 1 2\r\n"},
                      bad_v1{"v4 address under TCP6", "PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n"},
                      bad_v1{"port too large", "PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n"},
                      bad_v1{"port leading zero", "PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n"},
                      bad_v1{"port sign", "PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n"},
                      bad_v1{"too few fields", "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n"},
                      bad_v1{"too many fields", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n"},
                      bad_v1{"double space", "PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n"},
                      bad_v1{"bad address", "PROXY TCP4 1.2.3.400 5.6.7.8 1 2\r\n"},
                      bad_v1{"leading zero", "PROXY TCP4 010.20.0.5 5.6.7.8 1 2\r\n"},
                      bad_v1{"zone id", "PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n"},
                      bad_v1{"IPv4-compatible source", "PROXY TCP6 ::10.20.0.5 ::1 1 2\r\n"},
                      bad_v1{"LF without CR", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n"},
                      bad_v1{"CR without LF", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX"},
                      bad_v1{"longer than 107 bytes", "PROXY UNKNOWN " + std::string(100, 'a')},
                      bad_v1{"line ends past 107 bytes",
                             "PROXY UNKNOWN " + std::string(92, 'a') + "\r\n"}));

TEST(proxy_protocol, v1_of_exactly_107_bytes_is_accepted) {
    std::string s = "PROXY UNKNOWN " + std::string(91, 'a') + "\r\n";
    ASSERT_EQ(s.size(), proxy_v1_max_bytes);
    EXPECT_EQ(parse_proxy_header(bytes(s)).status, proxy_parse_status::complete);
}

TEST(proxy_protocol, v2_proxy_ipv4_with_a_tlv) {
    auto block = v4_block;
    block.insert(block.end(), {0x04, 0x00, 0x02, 0xAA, 0xBB});  // PP2_TYPE_NOOP, 2 bytes
    auto in = v2(0x21, 0x11, block);
    in.push_back(0x16);
    auto r = parse_proxy_header(in);
    ASSERT_EQ(r.status, proxy_parse_status::complete) << r.error;
    EXPECT_EQ(r.consumed, in.size() - 1);
    EXPECT_EQ(r.header.version, 2);
    EXPECT_EQ(r.header.command, proxy_command::proxy);
    EXPECT_EQ(r.header.source.str(), "192.0.2.7");
    EXPECT_EQ(r.header.source_port, 50000);
    EXPECT_EQ(r.header.destination_port, 443);
}

TEST(proxy_protocol, v2_proxy_ipv6) {
    std::vector<std::uint8_t> block(36, 0);
    block[0] = 0x20;
    block[1] = 0x01;
    block[2] = 0x0d;
    block[3] = 0xb8;
    block[15] = 7;
    block[35] = 53;
    auto r = parse_proxy_header(v2(0x21, 0x21, block));
    ASSERT_EQ(r.status, proxy_parse_status::complete) << r.error;
    EXPECT_EQ(r.header.source.str(), "2001:db8::7");
    EXPECT_EQ(r.header.destination_port, 53);
}

TEST(proxy_protocol, v2_local_is_a_health_check_whatever_its_block) {
    for (std::uint8_t fam : {0x00, 0x11, 0x31}) {
        auto r = parse_proxy_header(v2(0x20, fam, {1, 2, 3}));
        ASSERT_EQ(r.status, proxy_parse_status::complete);
        EXPECT_EQ(r.header.command, proxy_command::local);
        EXPECT_EQ(r.consumed, 19u);
    }
}

struct bad_v2 {
    const char* name;
    std::uint8_t ver_cmd;
    std::uint8_t fam;
    std::vector<std::uint8_t> block;
};

class proxy_protocol_bad_v2 : public ::testing::TestWithParam<bad_v2> {};

TEST_P(proxy_protocol_bad_v2, is_malformed) {
    const auto& p = GetParam();
    auto r = parse_proxy_header(v2(p.ver_cmd, p.fam, p.block));
    EXPECT_EQ(r.status, proxy_parse_status::malformed) << p.name;
    EXPECT_FALSE(r.error.empty());
}

INSTANTIATE_TEST_SUITE_P(table, proxy_protocol_bad_v2,
                         ::testing::Values(bad_v2{"version 1 in a v2 header", 0x11, 0x11, v4_block},
                                           bad_v2{"command 2", 0x22, 0x11, v4_block},
                                           bad_v2{"ipv4 block short", 0x21, 0x11, {1, 2, 3}},
                                           bad_v2{"ipv6 block short", 0x21, 0x21, v4_block},
                                           bad_v2{"proxy over UDP", 0x21, 0x12, v4_block},
                                           bad_v2{"proxy over AF_UNIX", 0x21, 0x31,
                                                  std::vector<std::uint8_t>(216)},
                                           bad_v2{"proxy with AF_UNSPEC", 0x21, 0x00, {}},
                                           bad_v2{"IPv4-compatible source", 0x21, 0x21,
                                                  [] {
                                                      std::vector<std::uint8_t> b(36, 0);
                                                      b[12] = 10;
                                                      b[13] = 20;
                                                      b[15] = 5;
                                                      return b;
                                                  }()},
                                           bad_v2{"TLV overruns", 0x21, 0x11, [] {
                                                      auto b = v4_block;
                                                      b.insert(b.end(), {0x04, 0x00, 0x09, 0x00});
                                                      return b;
                                                  }()}));

TEST(proxy_protocol, v2_largest_length_waits_for_all_of_it) {
    auto in = bytes(v2_sig);
    in.insert(in.end(), {0x21, 0x11, 0xFF, 0xFF});
    in.resize(1000);
    EXPECT_EQ(parse_proxy_header(in).status, proxy_parse_status::need_more);
}

}  // namespace
}  // namespace consolegate::core
