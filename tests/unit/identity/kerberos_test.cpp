// identity/kerberos.cpp without a KDC: the scheme test and the keytab checks that come before
// the keytab is read. Tokens against a real realm: tests/e2e/identity/test_kerberos.py.

#include "consolegate/identity/kerberos.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "common/temp_dir.hpp"

namespace consolegate::identity {
namespace {

constexpr const char* principal = "HTTP/proxy.test@TEST.REALM";

TEST(kerberos, the_negotiate_scheme_is_matched_case_insensitively_and_whole) {
    EXPECT_TRUE(is_negotiate("Negotiate YIIabc"));
    EXPECT_TRUE(is_negotiate("negotiate YIIabc"));
    EXPECT_TRUE(is_negotiate("NEGOTIATE"));
    EXPECT_FALSE(is_negotiate("Negotiated YII"));
    EXPECT_FALSE(is_negotiate("Basic YWxpY2U6cHc="));
    EXPECT_FALSE(is_negotiate(""));
    EXPECT_FALSE(is_negotiate("Nego"));
}

TEST(kerberos, a_missing_keytab_is_named_with_how_to_export_one) {
    test::temp_dir dir("cg-krb");
    std::filesystem::create_directories(dir.path);
    auto problem = check_keytab(dir.path / "absent.keytab", principal);
    EXPECT_NE(problem.find("cannot read the keytab"), std::string::npos) << problem;
    EXPECT_NE(problem.find("ktadd -k"), std::string::npos) << problem;
}

TEST(kerberos, a_keytab_others_can_read_or_that_is_no_file_is_refused) {
    test::temp_dir dir("cg-krb");
    std::filesystem::create_directories(dir.path);
    auto kt = dir.path / "proxy.keytab";
    std::ofstream(kt) << "not a keytab";
    ::chmod(kt.c_str(), 0644);
    auto problem = check_keytab(kt, principal);
    EXPECT_NE(problem.find("readable or writable by everyone (mode 0644)"), std::string::npos)
        << problem;
    EXPECT_NE(problem.find("chmod 600"), std::string::npos) << problem;
    EXPECT_NE(check_keytab(dir.path, principal).find("not a regular file"), std::string::npos);
    // Private, but not a keytab: refused on what krb5 says, and open() gives no acceptor.
    ::chmod(kt.c_str(), 0600);
    EXPECT_NE(check_keytab(kt, principal), "");
    std::string why;
    EXPECT_EQ(negotiate_acceptor::open(kt, principal, why), nullptr);
    EXPECT_NE(why, "");
}

TEST(kerberos, the_principal_is_checked_before_the_keytab) {
    test::temp_dir dir("cg-krb");
    std::filesystem::create_directories(dir.path);
    auto problem = check_keytab(dir.path / "k", "alice@TEST.REALM");
    EXPECT_NE(problem.find("identity.kerberos_principal: not an HTTP service principal"),
              std::string::npos)
        << problem;
}

}  // namespace
}  // namespace consolegate::identity
