// Bytes as a Cookie header and as an aws-userInfo value: never crashes; a parsed cookie always
// carries a parsed ARN.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "consolegate/inspect/user_info_cookie.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    std::string why;
    for (auto v : consolegate::inspect::cookie_values({bytes}, "aws-userInfo")) {
        auto u = consolegate::inspect::parse_user_info_cookie(v, &why);
        if (u && u->arn.empty()) std::abort();
    }
    auto u = consolegate::inspect::parse_user_info_cookie(bytes, &why);
    if (u && u->arn.empty()) std::abort();
    return 0;
}
