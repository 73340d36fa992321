#pragma once
// Helpers shared by the config tests: load text, look for a diagnostic, scratch directories.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "consolegate/core/config.hpp"

namespace cgtest {

// A valid minimal configuration: DNS with upstream and steering, proxy with a CA.
inline const std::string minimal = R"(
[dns]
upstreams = ["192.0.2.1"]
steer_ipv4 = ["192.0.2.10"]

[ca]
cert = "ca.crt"
key = "ca.key"
)";

inline consolegate::core::load_result load(std::string_view text) {
    return consolegate::core::load_config_text(text, "/nonexistent-cg/test.toml");
}

inline std::string all(const consolegate::core::load_result& r) {
    std::string s;
    for (auto& d : r.diagnostics) s += consolegate::core::format_diagnostic(d) + "\n";
    return s;
}

// Whether some diagnostic is at `line` (0 = any) and contains `text`.
inline bool has(const consolegate::core::load_result& r, int line, std::string_view text) {
    for (auto& d : r.diagnostics) {
        if ((line == 0 || d.line == line) && d.message.find(text) != std::string::npos) return true;
    }
    return false;
}

// A fresh scratch directory under the build tree for this test.
inline std::filesystem::path scratch() {
    auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    auto dir = std::filesystem::path(CG_BINARY_DIR) / "test-scratch" / "config" /
               (std::string(info->test_suite_name()) + "." + info->name());
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

inline void write(const std::filesystem::path& p, std::string_view text) {
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
}

}  // namespace cgtest
