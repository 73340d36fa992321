// The trusted header: believed only from the configured networks, one valid value only.

#include "consolegate/identity/trusted_header.hpp"

#include <gtest/gtest.h>

namespace consolegate::identity {
namespace {

const std::vector<core::cidr> trusted{*core::cidr::parse("10.9.0.0/24"),
                                      *core::cidr::parse("2001:db8:9::/48")};

header_identity ask(const char* client, std::vector<std::string_view> values) {
    return from_trusted_header(*core::ip_address::parse(client), trusted, values);
}

TEST(trusted_header, one_value_from_a_trusted_network_identifies) {
    auto r = ask("10.9.0.7", {" alice@CORP.EXAMPLE "});
    ASSERT_EQ(r.outcome, header_outcome::identified);
    ASSERT_TRUE(r.who);
    EXPECT_EQ(r.who->user, "alice@CORP.EXAMPLE");
    EXPECT_EQ(r.who->source, core::corp_source::header);
    EXPECT_EQ(ask("2001:db8:9::1", {"bob"}).outcome, header_outcome::identified);
}

TEST(trusted_header, anyone_else_is_ignored) {
    auto r = ask("10.9.1.7", {"alice@CORP.EXAMPLE"});
    EXPECT_EQ(r.outcome, header_outcome::untrusted);
    EXPECT_FALSE(r.who);
    EXPECT_EQ(ask("127.0.0.1", {"root"}).outcome, header_outcome::untrusted);
    EXPECT_EQ(from_trusted_header(*core::ip_address::parse("10.9.0.7"), {},
                                  std::vector<std::string_view>{"alice"})
                  .outcome,
              header_outcome::untrusted);
}

// "::/0" trusts IPv6 peers only: an IPv4 client, held as ::ffff:a.b.c.d, is inside its bits.
TEST(trusted_header, an_ipv6_network_trusts_no_ipv4_client) {
    const std::vector<core::cidr> v6_only{*core::cidr::parse("::/0")};
    const std::vector<std::string_view> alice{"alice"};
    EXPECT_EQ(from_trusted_header(*core::ip_address::parse("10.9.0.7"), v6_only, alice).outcome,
              header_outcome::untrusted);
    EXPECT_EQ(from_trusted_header(*core::ip_address::parse("2001:db8::7"), v6_only, alice).outcome,
              header_outcome::identified);
}

TEST(trusted_header, several_values_or_an_invalid_one_establish_nobody) {
    EXPECT_EQ(ask("10.9.0.7", {"alice", "bob"}).outcome, header_outcome::ambiguous);
    EXPECT_EQ(ask("10.9.0.7", {"alice", "alice"}).outcome, header_outcome::ambiguous);
    for (std::string_view bad : {"", "   ", "alice bob", "alice,bob", "a\"b"}) {
        auto r = ask("10.9.0.7", {bad});
        EXPECT_EQ(r.outcome, header_outcome::invalid) << bad;
        EXPECT_FALSE(r.who) << bad;
    }
}

}  // namespace
}  // namespace consolegate::identity
