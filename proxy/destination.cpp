#include "destination.hpp"

#include <optional>
#include <string_view>

#include "destination_set.hpp"

namespace consolegate::proxy {
namespace {

const std::vector<core::cidr>& internal_ranges() {
    static const std::vector<core::cidr> ranges = [] {
        std::vector<core::cidr> out;
        for (std::string_view s :
             {"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
              "172.16.0.0/12", "192.0.0.0/24", "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/3",
              "::/127", "fc00::/7", "fe80::/10", "ff00::/8", "64:ff9b:1::/48"}) {
            if (auto c = core::cidr::parse(s)) out.push_back(*c);
        }
        return out;
    }();
    return ranges;
}

}  // namespace

bool is_internal_address(const core::ip_address& a) {
    for (const auto& r : internal_ranges()) {
        if (r.contains(a)) return true;
    }
    return false;
}

bool destination_allowed(const core::ip_address& a, const std::vector<core::cidr>& allowed,
                         std::span<const core::cidr> nat64) {
    const auto v4 = embedded_v4(a, nat64);
    if (!is_internal_address(a) && !is_internal_address(v4)) return true;
    for (const auto& c : allowed) {
        if (c.contains(a) || c.contains(v4)) return true;
    }
    return false;
}

}  // namespace consolegate::proxy
