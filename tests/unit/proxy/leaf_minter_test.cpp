#include "leaf_minter.hpp"

#include <gtest/gtest.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <filesystem>
#include <thread>
#include <vector>

#include "ca.hpp"
#include "common/temp_dir.hpp"

namespace consolegate::proxy {
namespace {

namespace fs = std::filesystem;

struct temp_dir : test::temp_dir {
    temp_dir() : test::temp_dir("cg-leaf-minter") {}
};

std::string san_of(X509* cert) {
    auto* names =
        static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
    std::string out;
    for (int i = 0; names && i < sk_GENERAL_NAME_num(names); ++i) {
        auto* n = sk_GENERAL_NAME_value(names, i);
        if (n->type == GEN_DNS) {
            out += (out.empty() ? "" : ",") +
                   std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(n->d.dNSName)),
                               static_cast<std::size_t>(ASN1_STRING_length(n->d.dNSName)));
        }
    }
    GENERAL_NAMES_free(names);
    return out;
}

class leaf_minter_test : public ::testing::Test {
  protected:
    void SetUp() override {
        ca_init_options o;
        o.dir = dir.path.string();
        std::string error;
        auto files = init_ca(o, error);
        ASSERT_TRUE(files) << error;
        auto ca = load_ca(files->cert, files->key, error);
        ASSERT_TRUE(ca) << error;
        minter = std::make_unique<leaf_minter>(std::move(*ca), std::chrono::hours(24 * 7),
                                               std::chrono::hours(1), 2);
    }
    temp_dir dir;
    std::unique_ptr<leaf_minter> minter;
};

TEST_F(leaf_minter_test, leaf_has_exact_san_random_serial_short_backdated_validity) {
    auto leaf = minter->get("signin.aws.amazon.com");
    ASSERT_TRUE(leaf);
    EXPECT_EQ(san_of(leaf.get()), "signin.aws.amazon.com");
    EXPECT_EQ(X509_verify(leaf.get(), X509_get0_pubkey(minter->ca_cert())), 1);
    EXPECT_EQ(X509_check_ca(leaf.get()), 0);
    int days = 0, secs = 0;
    ASSERT_TRUE(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(leaf.get()),
                               X509_get0_notAfter(leaf.get())));
    EXPECT_EQ(days * 86400 + secs, 7 * 86400 + 3600);
    ASSERT_TRUE(ASN1_TIME_diff(&days, &secs, nullptr, X509_get0_notBefore(leaf.get())));
    EXPECT_NEAR(days * 86400 + secs, -3600, 5);
    auto other = minter->get("console.aws.amazon.com");
    const ASN1_INTEGER* s1 = X509_get0_serialNumber(leaf.get());
    const ASN1_INTEGER* s2 = X509_get0_serialNumber(other.get());
    EXPECT_NE(ASN1_INTEGER_cmp(s1, s2), 0);
    EXPECT_GE(ASN1_STRING_length(s1), 15);  // 128 random bits (a leading zero octet drops)
    // One key pair for every leaf.
    EXPECT_EQ(EVP_PKEY_eq(X509_get0_pubkey(leaf.get()), X509_get0_pubkey(other.get())), 1);
}

TEST_F(leaf_minter_test, cache_hits_and_lru_eviction) {
    auto a1 = minter->get("a.example");
    auto a2 = minter->get("a.example");
    EXPECT_EQ(a1.get(), a2.get());
    EXPECT_EQ(minter->mints.load(), 1u);
    EXPECT_EQ(minter->cache_hits.load(), 1u);
    minter->get("b.example");
    minter->get("a.example");  // a is most recent; c evicts b (capacity 2)
    minter->get("c.example");
    EXPECT_EQ(minter->get("a.example").get(), a1.get());
    EXPECT_EQ(minter->mints.load(), 3u);
    minter->get("b.example");
    EXPECT_EQ(minter->mints.load(), 4u);
}

TEST_F(leaf_minter_test, concurrent_requests_for_one_host_mint_once) {
    std::vector<std::thread> threads;
    std::vector<X509*> seen(8);
    for (std::size_t i = 0; i < seen.size(); ++i) {
        threads.emplace_back([&, i] { seen[i] = minter->get("same.example").get(); });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(minter->mints.load(), 1u);
    for (auto* p : seen) EXPECT_EQ(p, seen[0]);
}

TEST_F(leaf_minter_test, ip_host_gets_an_ip_san) {
    auto leaf = minter->get("192.0.2.7");
    ASSERT_TRUE(leaf);
    EXPECT_EQ(X509_check_ip_asc(leaf.get(), "192.0.2.7", 0), 1);
}

}  // namespace
}  // namespace consolegate::proxy
