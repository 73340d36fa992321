// Fuzzes the whole configuration loader over TOML text. The file name points into a directory
// that does not exist, so includes, org exports and alias files fail fast instead of reading the
// machine's files.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "consolegate/core/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto r = consolegate::core::load_config_text(text, "/nonexistent-fuzz/fuzz.toml");
    // The contract: a config exactly when there is no diagnostic; every diagnostic says something.
    if (r.cfg.has_value() != r.diagnostics.empty()) std::abort();
    for (const auto& d : r.diagnostics) {
        if (d.message.empty() || d.file.empty()) std::abort();
        (void)consolegate::core::format_diagnostic(d);
    }
    return 0;
}
