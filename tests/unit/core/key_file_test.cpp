#include "consolegate/core/key_file.hpp"

#include <gtest/gtest.h>

namespace consolegate::core {
namespace {

TEST(key_file, only_the_owner_may_read_unless_root_owns_it_and_a_group_only_reads) {
    struct row {
        unsigned mode, uid;
        bool ok;
    };
    const row rows[] = {
        {0100600, 1000, true},  {0100400, 1000, true},  {0100600, 0, true},
        {0100440, 0, true},     {0100640, 0, true},  // root-owned, group read (Kubernetes fsGroup)
        {0100640, 1000, false}, {0100440, 1000, false},  // a user's file: the group reads nothing
        {0100660, 0, false},    {0100650, 0, false},     // group write or execute: never
        {0100604, 0, false},    {0100644, 1000, false}, {0100444, 0, false},  // others: never
        {0100700, 1000, true},  // the owner's own bits are the owner's business
    };
    for (const auto& r : rows) {
        const auto problem = key_file_mode_problem(r.mode, r.uid);
        EXPECT_EQ(problem.empty(), r.ok)
            << std::oct << r.mode << " uid " << std::dec << r.uid << ": " << problem;
    }
    EXPECT_NE(key_file_mode_problem(0100644, 1000).find("open to others (mode 0644)"),
              std::string::npos);
    EXPECT_NE(key_file_mode_problem(0100640, 1000).find("open to its group (mode 0640)"),
              std::string::npos);
    EXPECT_NE(key_file_mode_problem(0100640, 1000).find("chmod 600"), std::string::npos);
}

}  // namespace
}  // namespace consolegate::core
