#include "ca.hpp"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "common/temp_dir.hpp"

namespace consolegate::proxy {
namespace {

namespace fs = std::filesystem;

struct temp_dir : test::temp_dir {
    temp_dir() : test::temp_dir("cg-ca") {}
};

TEST(ca, init_writes_a_p256_ca_with_a_private_key_and_refuses_to_overwrite) {
    temp_dir dir;
    ca_init_options o;
    o.dir = dir.path.string();
    o.common_name = "Test Corp CA";
    o.permitted_dns = {"amazon.com", "amazonaws.com"};
    std::string error;
    auto files = init_ca(o, error);
    ASSERT_TRUE(files) << error;
    struct stat st {};
    ASSERT_EQ(::stat(files->key.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    auto ca = load_ca(files->cert, files->key, error);
    ASSERT_TRUE(ca) << error;
    EXPECT_EQ(EVP_PKEY_get_base_id(ca->key.get()), EVP_PKEY_EC);
    EXPECT_EQ(EVP_PKEY_get_bits(ca->key.get()), 256);
    EXPECT_GE(X509_get_ext_by_NID(ca->cert.get(), NID_name_constraints, -1), 0);

    std::string again;
    EXPECT_FALSE(init_ca(o, again));
    EXPECT_NE(again.find("refusing to overwrite"), std::string::npos);
}

TEST(ca, load_refuses_a_readable_key_and_a_mismatched_pair) {
    temp_dir dir;
    std::string error;
    ca_init_options a;
    a.dir = (dir.path / "a").string();
    ca_init_options b;
    b.dir = (dir.path / "b").string();
    auto fa = init_ca(a, error);
    auto fb = init_ca(b, error);
    ASSERT_TRUE(fa && fb) << error;
    EXPECT_FALSE(load_ca(fa->cert, fb->key, error));
    EXPECT_NE(error.find("does not match"), std::string::npos);
    ::chmod(fa->key.c_str(), 0644);
    EXPECT_FALSE(load_ca(fa->cert, fa->key, error));
    EXPECT_NE(error.find("open to others"), std::string::npos) << error;
    ::chmod(fa->key.c_str(), 0660);  // group write: never
    EXPECT_FALSE(load_ca(fa->cert, fa->key, error));
    EXPECT_NE(error.find("open to its group"), std::string::npos) << error;
    // Group read on a root-owned key is how Kubernetes mounts a Secret with fsGroup (0440):
    // accepted then, and only then (core/key_file.hpp).
    ::chmod(fa->key.c_str(), 0440);
    EXPECT_EQ(load_ca(fa->cert, fa->key, error).has_value(), ::geteuid() == 0) << error;
    EXPECT_FALSE(load_ca(fa->cert, (dir.path / "missing.key").string(), error));
}

TEST(ca, init_rejects_bad_constraints) {
    temp_dir dir;
    ca_init_options o;
    o.dir = dir.path.string();
    o.permitted_dns = {"a,b"};
    std::string error;
    EXPECT_FALSE(init_ca(o, error));
    EXPECT_FALSE(fs::exists(dir.path / "ca.key"));
}

}  // namespace
}  // namespace consolegate::proxy
