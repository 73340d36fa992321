#pragma once
// A directory of a test's own under the system temp dir, named after the test binary's process
// and the running test, emptied on creation and removed with everything in it on destruction.
// Header-only so any test folder can use it.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace consolegate::test {

struct temp_dir {
    std::filesystem::path path;
    explicit temp_dir(const std::string& prefix) {
        path = std::filesystem::temp_directory_path() /
               (prefix + "-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(path);
    }
    ~temp_dir() { std::filesystem::remove_all(path); }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
};

}  // namespace consolegate::test
