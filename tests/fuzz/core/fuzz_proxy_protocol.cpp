// libFuzzer target for the PROXY protocol parser: every input yields a status, never a crash; a
// complete header never claims bytes it was not given, and a prefix of it is never complete
// (the parser must not decide on bytes it has not seen).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "consolegate/core/proxy_protocol.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace consolegate::core;
    std::span<const std::uint8_t> all(data, size);
    auto whole = parse_proxy_header(all);
    if (whole.status == proxy_parse_status::complete) {
        if (whole.consumed == 0 || whole.consumed > size) std::abort();
        auto exact = parse_proxy_header(all.first(whole.consumed));
        if (exact.status != proxy_parse_status::complete || exact.consumed != whole.consumed ||
            exact.header.source != whole.header.source ||
            exact.header.source_port != whole.header.source_port) {
            std::abort();
        }
        if (parse_proxy_header(all.first(whole.consumed - 1)).status !=
            proxy_parse_status::need_more) {
            std::abort();
        }
    }
    if (whole.status == proxy_parse_status::malformed && whole.error.empty()) std::abort();
    return 0;
}
