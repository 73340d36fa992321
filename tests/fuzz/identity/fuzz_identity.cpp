// The identity module's parsers of bytes from outside the gateway, chosen by the first byte:
// 0 the address map file, 1 the groups file, 2 a body pushed to POST /api/address-map (a NAC
// or DHCP hook over the network), 3 the values of the trusted proxy's user header (one per
// line). Any bytes give a result or a reason, never a crash, and nothing kept names a user that
// check_user_name refuses.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "consolegate/identity/address_map.hpp"
#include "consolegate/identity/address_map_api.hpp"
#include "consolegate/identity/address_map_file.hpp"
#include "consolegate/identity/groups.hpp"
#include "consolegate/identity/trusted_header.hpp"
#include "consolegate/identity/user_name.hpp"

namespace id = consolegate::identity;
namespace cc = consolegate::core;

namespace {

void check(bool ok) {
    if (!ok) std::abort();
}

void address_map_file(std::string_view text) {
    auto parsed = id::parse_address_map(text);
    for (const auto& [address, user] : parsed.entries) check(id::check_user_name(user).empty());
    if (parsed.problems.empty()) {
        id::address_map map(8);
        auto now = std::chrono::system_clock::now();
        auto refused = map.replace_file(parsed.entries, now);
        check(map.size() + refused == parsed.entries.size());
        check(map.size() <= 8);
    }
}

void groups_file(std::string_view text) {
    auto parsed = id::parse_groups(text);
    check(parsed.problem.empty() == (parsed.table != nullptr));
    if (parsed.table) {
        auto who = std::make_shared<cc::corp_identity>();
        who->user = "alice@CORP.EXAMPLE";
        auto with = id::with_groups(who, parsed.table.get());
        check(with != nullptr && with->user == who->user);
        check(with->groups.size() <= id::max_groups_per_user);
    }
}

void address_map_push(std::string_view body) {
    id::address_map map(4);
    const auto now = std::chrono::system_clock::time_point{} + std::chrono::hours(500000);
    auto answer = id::post_mappings(map, body, std::chrono::hours(24), now);
    check(answer.status == 200 || answer.status == 400 || answer.status == 507);
    check(map.size() <= 4);
    for (const auto& m : map.list(now)) {
        check(id::check_user_name(m.user).empty());
        check(m.expires <= now + std::chrono::hours(24));
    }
    (void)id::list_mappings(map, now);
}

void trusted_header(std::string_view text) {
    std::vector<std::string_view> values;
    while (!text.empty() && values.size() < 16) {
        auto nl = text.find('\n');
        values.push_back(text.substr(0, nl));
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    }
    if (values.empty()) return;
    const auto client = *cc::ip_address::parse("10.0.0.7");
    const std::vector<cc::cidr> trusted = {*cc::cidr::parse("10.0.0.0/8")};
    auto got = id::from_trusted_header(client, trusted, values);
    check((got.outcome == id::header_outcome::identified) == (got.who != nullptr));
    if (got.who) check(id::check_user_name(got.who->user).empty());
    if (values.size() > 1) check(got.outcome != id::header_outcome::identified);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0] % 4) {
        case 0: address_map_file(text); break;
        case 1: groups_file(text); break;
        case 2: address_map_push(text); break;
        default: trusted_header(text); break;
    }
    return 0;
}
