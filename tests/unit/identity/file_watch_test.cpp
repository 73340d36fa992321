// Change detection by modification time and size; a disappearance is reported once.

#include "consolegate/identity/file_watch.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace consolegate::identity {
namespace {

using namespace std::chrono_literals;

TEST(file_watch, changed_once_per_change_missing_once_per_disappearance) {
    auto dir = std::filesystem::path(CG_BINARY_DIR) / "test-scratch" / "identity" / "file_watch";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    auto file = dir / "f.txt";
    file_watch w(file);
    EXPECT_EQ(w.poll(), file_watch::change::missing);
    EXPECT_EQ(w.poll(), file_watch::change::none);

    auto stamp = std::filesystem::file_time_type::clock::now();
    std::ofstream(file) << "one";
    std::filesystem::last_write_time(file, stamp);
    EXPECT_EQ(w.poll(), file_watch::change::changed);
    EXPECT_EQ(w.poll(), file_watch::change::none);

    std::ofstream(file) << "three";  // same time, another size
    std::filesystem::last_write_time(file, stamp);
    EXPECT_EQ(w.poll(), file_watch::change::changed);

    std::ofstream(file) << "other";  // same size, another time
    std::filesystem::last_write_time(file, stamp + 1s);
    EXPECT_EQ(w.poll(), file_watch::change::changed);
    EXPECT_LT(std::chrono::abs(w.modified() - std::chrono::system_clock::now()), 1h);

    std::filesystem::remove(file);
    EXPECT_EQ(w.poll(), file_watch::change::missing);
    EXPECT_EQ(w.poll(), file_watch::change::none);
    std::ofstream(file) << "back";
    EXPECT_EQ(w.poll(), file_watch::change::changed);
}

}  // namespace
}  // namespace consolegate::identity
