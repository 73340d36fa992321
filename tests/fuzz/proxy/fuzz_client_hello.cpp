// libFuzzer target for the in-house ClientHello parser: every input must yield a status, never
// a crash; a complete parse must be stable when the same bytes arrive in two pieces.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "client_hello.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace consolegate::proxy;
    std::span<const std::uint8_t> all(data, size);
    auto whole = parse_client_hello(all);
    if (whole.status == hello_status::complete) {
        if (whole.info.record_bytes > size) std::abort();
        // A prefix of a complete hello is never complete with a different answer.
        auto prefix = parse_client_hello(all.first(whole.info.record_bytes));
        if (prefix.status != hello_status::complete || prefix.info.sni != whole.info.sni) {
            std::abort();
        }
    }
    parse_client_hello(all, 64);  // a tiny cap must also be handled
    return 0;
}
