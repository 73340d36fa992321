// Table-driven: every tests/corpus/signin/NAME.http through http_file and inspect(), compared
// with NAME.expect.json (see generate.py there for the format).
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "consolegate/inspect/http_file.hpp"
#include "consolegate/inspect/inspector.hpp"

namespace ci = consolegate::inspect;
namespace core = consolegate::core;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> corpus_names() {
    std::vector<std::string> out;
    for (auto& e : fs::directory_iterator(CG_SIGNIN_CORPUS)) {
        if (e.path().extension() == ".http") out.push_back(e.path().stem().string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

std::string field(const boost::json::object& o, const char* k) {
    auto* v = o.if_contains(k);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::string canonical(const core::sign_in_attempt& a) {
    return std::string(core::to_string(a.flow)) + "|" + std::string(core::to_string(a.phase)) +
           "|acct=" + (a.account ? a.account->str() : "") + "|alias=" + a.alias +
           "|role=" + a.role_name + "|ps=" + a.permission_set + "|user=" + a.user +
           "|ct=" + a.change_type + "|idc=" + a.idc_instance +
           "|partition=" + std::string(core::to_string(a.aws_partition)) +
           "|error=" + (a.parse_error.empty() ? "no" : "yes") +
           "|ambiguous=" + (a.ambiguous_identity ? "yes" : "no");
}

std::string canonical(const boost::json::object& o) {
    auto* pe = o.if_contains("parse_error");
    bool err = pe && pe->is_bool() && pe->get_bool();
    auto* amb = o.if_contains("ambiguous");
    bool ambiguous = amb && amb->is_bool() && amb->get_bool();
    return field(o, "flow") + "|" + field(o, "phase") + "|acct=" + field(o, "account") +
           "|alias=" + field(o, "alias") + "|role=" + field(o, "role") +
           "|ps=" + field(o, "permission_set") + "|user=" + field(o, "user") +
           "|ct=" + field(o, "change_type") + "|idc=" + field(o, "idc_instance") +
           "|partition=" + (o.contains("partition") ? field(o, "partition") : "aws") +
           "|error=" + (err ? "yes" : "no") + "|ambiguous=" + (ambiguous ? "yes" : "no");
}

class inspector_corpus : public testing::TestWithParam<std::string> {};

}  // namespace

TEST_P(inspector_corpus, inspects_as_expected) {
    fs::path dir(CG_SIGNIN_CORPUS);
    auto text = slurp(dir / (GetParam() + ".http"));
    auto expect = boost::json::parse(slurp(dir / (GetParam() + ".expect.json"))).as_object();

    ci::http_file_limits limits;
    limits.max_body = 16 * 1024;
    std::string why;
    auto file = ci::http_file::parse(text, "", limits, &why);
    ASSERT_TRUE(file) << why;

    ci::options opt;
    opt.aliases.emplace("acme-prod", *core::account_id::parse("111122223333"));
    auto attempts = ci::inspect(file->view(), opt);

    std::vector<std::string> got, want;
    std::string want_host;
    for (auto& a : attempts) got.push_back(canonical(a));
    for (auto& e : expect.at("attempts").as_array()) {
        want.push_back(canonical(e.as_object()));
        if (auto h = field(e.as_object(), "host"); !h.empty()) want_host = h;
    }
    std::sort(got.begin(), got.end());
    std::sort(want.begin(), want.end());
    EXPECT_EQ(got, want);
    for (auto& a : attempts) {
        if (!want_host.empty()) {
            EXPECT_EQ(a.host, want_host);
        }
        EXPECT_FALSE(a.source.empty()) << canonical(a);
        if (!a.parse_error.empty()) {
            EXPECT_EQ(a.parse_error.find('\n'), std::string::npos);
        }
    }
}

INSTANTIATE_TEST_SUITE_P(signin, inspector_corpus, testing::ValuesIn(corpus_names()),
                         [](const testing::TestParamInfo<std::string>& i) {
                             std::string n = i.param;
                             std::replace(n.begin(), n.end(), '-', '_');
                             return n;
                         });
