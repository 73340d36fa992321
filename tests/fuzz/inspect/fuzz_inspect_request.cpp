// Bytes -> .http request parse -> inspect(): never crashes, and every attempt is well-formed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "consolegate/inspect/http_file.hpp"
#include "consolegate/inspect/inspector.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    consolegate::inspect::http_file_limits limits;
    limits.max_body = 16 * 1024;
    auto file = consolegate::inspect::http_file::parse(text, "", limits, nullptr);
    if (!file) return 0;
    consolegate::inspect::options opt;
    opt.max_saml_decoded_bytes = 32 * 1024;
    auto attempts = consolegate::inspect::inspect(file->view(), opt);
    if (attempts.size() > opt.max_attempts) std::abort();
    for (auto& a : attempts) {
        if (a.source.empty()) std::abort();
        // Ambiguous is a kind of unreadable: never an attempt judged on its reading.
        if (a.ambiguous_identity && a.parse_error.empty()) std::abort();
        if (a.flow == consolegate::core::sign_in_flow::ams_change && a.change_type.empty() &&
            a.parse_error.empty()) {
            std::abort();
        }
    }
    return 0;
}
