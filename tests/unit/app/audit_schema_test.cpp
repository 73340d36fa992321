// docs/audit-event.schema.json and docs/audit.md list exactly the values the code writes into each
// enumerated field of an event: the flows, phases, reasons, effects and corporate sources of the
// code's own tables (every value a to_string names), the identity sources event_identity_source
// gives, and the refusal codes of proxy::refusal_codes in the form refusal_event writes them. A
// value added to a table without the schema and the docs fails here.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <string>

#include "consolegate/core/corp_identity.hpp"
#include "consolegate/core/sign_in.hpp"
#include "consolegate/proxy/refusal.hpp"
#include "enforcement.hpp"
#include "refusal_record.hpp"

namespace consolegate::app {
namespace {

namespace fs = std::filesystem;
using names = std::set<std::string>;

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

const boost::json::object& schema() {
    static const boost::json::value v =
        boost::json::parse(slurp(fs::path(CG_SOURCE_DIR) / "docs/audit-event.schema.json"));
    return v.as_object();
}

names enum_of(const boost::json::object& field) {
    names out;
    for (const auto& v : field.at("enum").as_array()) out.emplace(v.as_string());
    return out;
}

names schema_enum(std::string_view field) {
    return enum_of(schema().at("properties").at(field).as_object());
}

// Every name a to_string of a one-byte enum gives (an unnamed value gives its fallback, which is
// one of the names or "unknown").
template <class E>
names all_names() {
    names out;
    for (int i = 0; i < 256; ++i) out.emplace(core::to_string(static_cast<E>(i)));
    out.erase("unknown");
    return out;
}

// A refusal as the recorder writes it.
audit::event refused(proxy::refusal_code code, unsigned status) {
    proxy::refusal_view r;
    r.reason = code;
    r.status = status;
    r.client = *core::ip_address::parse("10.0.0.1");
    return refusal_event(r, std::string(32, '0'), "gw");
}

TEST(audit_schema, flow_and_phase_are_the_tables_and_refused) {
    const auto e = refused("misdirected", 421);
    auto flows = all_names<core::sign_in_flow>();
    EXPECT_EQ(flows.size(), std::size_t(core::sign_in_flow_count));
    flows.insert(e.flow);
    EXPECT_EQ(schema_enum("flow"), flows);
    auto phases = all_names<core::auth_phase>();
    phases.insert(e.phase);
    EXPECT_EQ(schema_enum("phase"), phases);
    // refused is what the schema's if/then ties to a refusal's reason.
    EXPECT_EQ(schema().at("if").at("properties").at("flow").at("const").as_string(), e.flow);
    EXPECT_EQ(schema().at("then").at("properties").at("phase").at("const").as_string(), e.phase);
}

TEST(audit_schema, effect_and_corp_source_are_the_tables) {
    EXPECT_EQ(schema_enum("effect"), all_names<core::effect>());
    EXPECT_EQ(schema_enum("enforced"), all_names<core::effect>());
    EXPECT_EQ(schema_enum("corp_source"), all_names<core::corp_source>());
}

TEST(audit_schema, identity_source_is_every_value_event_identity_source_gives) {
    names given;
    for (int phase = 0; phase < 3; ++phase) {
        for (int flow = 0; flow < core::sign_in_flow_count; ++flow) {
            for (int binding = 0; binding < 8; ++binding) {
                for (int idc = 0; idc < 4; ++idc) {
                    for (bool user : {false, true}) {
                        for (const char* source : {"", "cookie:aws-userInfo"}) {
                            core::sign_in_attempt a;
                            a.phase = static_cast<core::auth_phase>(phase);
                            a.flow = static_cast<core::sign_in_flow>(flow);
                            a.binding = static_cast<core::session_binding>(binding);
                            a.idc_source = static_cast<core::idc_user_source>(idc);
                            if (user) a.user = "alice";
                            a.source = source;
                            given.emplace(event_identity_source(a));
                        }
                    }
                }
            }
        }
    }
    given.emplace(refused("not-a-host", 400).identity_source);
    EXPECT_EQ(schema_enum("identity_source"), given);
}

TEST(audit_schema, reason_is_every_policy_reason_or_a_refusal_code_with_its_status) {
    const auto& defs = schema().at("$defs").as_object();
    EXPECT_EQ(enum_of(defs.at("policy_reason").as_object()), all_names<core::reason>());

    std::string codes;
    for (auto c : proxy::refusal_codes) codes += (codes.empty() ? "" : "|") + std::string(c);
    const std::string pattern(defs.at("refusal_reason").at("pattern").as_string());
    EXPECT_EQ(pattern, "^(" + codes + ")( \\([0-9]{3}\\))?$");
    const std::regex re(pattern);
    for (auto c : proxy::refusal_codes) {
        for (unsigned status : {0u, 400u, 421u, 501u}) {
            auto e = refused({}, status);
            e.reason = std::string(c) + (status ? " (" + std::to_string(status) + ")" : "");
            EXPECT_TRUE(std::regex_match(e.reason, re)) << e.reason;
        }
    }
    // What refusal_event writes for a code, with and without a status.
    EXPECT_EQ(refused("ambiguous-framing", 400).reason, "ambiguous-framing (400)");
    EXPECT_TRUE(std::regex_match(refused("ambiguous-framing", 400).reason, re));
    EXPECT_TRUE(std::regex_match(refused("no-server-name", 0).reason, re));
    EXPECT_FALSE(std::regex_match(std::string("rule-deny"), re));
}

// docs/audit.md "Reason codes": one table row per code, `code` first.
names documented_codes() {
    const auto md = slurp(fs::path(CG_SOURCE_DIR) / "docs/audit.md");
    const auto start = md.find("\n## Reason codes\n");
    EXPECT_NE(start, std::string::npos);
    const auto end = md.find("\n## ", start + 1);
    const auto section = md.substr(start, end - start);
    names out;
    static const std::regex row("\n\\| `([a-z0-9-]+)` \\|");
    for (std::sregex_iterator it(section.begin(), section.end(), row), last; it != last; ++it) {
        out.insert((*it)[1].str());
    }
    return out;
}

TEST(audit_schema, docs_list_every_reason_and_refusal_code) {
    auto codes = all_names<core::reason>();
    for (auto c : proxy::refusal_codes) codes.emplace(c);
    EXPECT_EQ(documented_codes(), codes);
}

}  // namespace
}  // namespace consolegate::app
