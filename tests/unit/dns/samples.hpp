#pragma once
// Queries and a policy shared by the DNS codec tests.
#include <gtest/gtest.h>

#include <string_view>
#include <vector>

#include "consolegate/core/config.hpp"
#include "msg_builder.hpp"
#include "policy.hpp"
#include "query.hpp"

namespace consolegate::dns::test {

inline std::vector<std::uint8_t> make_query(std::string_view name, std::uint16_t type,
                                            bool edns = false, bool do_bit = false,
                                            std::uint16_t id = 0x1234) {
    msg_builder m(id, flag::rd, 1, 0, 0, edns ? 1 : 0);
    m.question(name, type);
    if (edns) m.opt(4096, do_bit);
    return m.b;
}

inline query parse_ok(const std::vector<std::uint8_t>& raw) {
    query q;
    EXPECT_EQ(parse_query(raw, q), parse_status::ok);
    return q;
}

// The default steering names, a gateway address of each family and one block pattern.
inline policy default_policy() {
    core::dns_config o;
    o.steer_ipv4 = {*core::ip_address::parse("192.0.2.10")};
    o.steer_ipv6 = {*core::ip_address::parse("2001:db8::10")};
    o.block_names = {"*.blocked.example"};
    return compile_policy(o);
}

}  // namespace consolegate::dns::test
