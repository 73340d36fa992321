// Bytes as a Cookie header and as an aws-userInfo value: never crashes; a parsed cookie always
// carries a parsed ARN; the cookies a lenient reader finds are listed once each.
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
    // What a lenient reader finds is each pair once.
    auto found = consolegate::inspect::cookies_a_lenient_reader_finds({bytes});
    for (std::size_t i = 0; i < found.size(); ++i) {
        for (std::size_t j = i + 1; j < found.size(); ++j) {
            if (found[i] == found[j]) std::abort();
        }
    }
    return 0;
}
