// The [policy] table: mode, alias map, org export, endpoint policies, AMS guardrails, rules.

#include <algorithm>
#include <cctype>

#include "config_reader.hpp"
#include "consolegate/core/endpoint_policy.hpp"
#include "consolegate/core/glob.hpp"
#include "consolegate/core/policy.hpp"
#include "consolegate/core/principal.hpp"

namespace consolegate::core::config_detail {
namespace {

constexpr std::size_t max_toml_bytes = 16u << 20;
constexpr std::size_t max_export_bytes = 256u << 20;

std::string account_message(const toml::node& e, const std::string& item) {
    if (const auto* i = e.as_integer()) {
        std::string digits = std::to_string(i->get());
        if (i->get() >= 0 && digits.size() <= 12) digits.insert(0, 12 - digits.size(), '0');
        return item +
               ": an account ID must be a quoted string (an integer loses leading zeros); "
               "write \"" +
               digits + "\"";
    }
    return item + ": expected an account ID string of 12 digits, got " +
           std::string(type_name(e.type()));
}

// An IAM Identity Center instance as a start URL's first label names it: a directory ID
// (d-xxxxxxxxxx) or an alias, one DNS label (RFC 1123: letters, digits, inner hyphens).
bool is_instance_label(std::string_view v) {
    if (v.empty() || v.size() > 63 || v.front() == '-' || v.back() == '-') return false;
    for (char c : v) {
        bool ok =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
        if (!ok) return false;
    }
    return true;
}

// A partition list: every name known (core/partition.hpp), else a diagnostic at the element that
// names the set of known ones. Returns the set of the names read.
partition_set read_partitions(section& s, std::string_view key, bool& present) {
    partition_set set = 0;
    present =
        s.each_string(key, [&](const toml::node& e, std::string_view v, const std::string& item) {
            if (auto p = partition_from_string(v)) {
                set |= partition_bit(*p);
                return;
            }
            std::string names;
            for (const auto& p : partitions)
                names += (names.empty() ? "" : ", ") + std::string(p.name);
            s.owner().error(e, item + ": unknown partition \"" + std::string(v.substr(0, 40)) +
                                   "\" (one of " + names + ")");
        });
    return set;
}

// Addresses AWS never sees a sign-in come from: what a NAT or proxy translates before the
// internet (RFC 1918, RFC 6598, RFC 4193), loopback, link-local, unspecified.
bool reaches_aws_as_source(const cidr& c) {
    if (c.prefix_length() == 0) return false;
    for (const char* special :
         {"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
          "172.16.0.0/12", "192.168.0.0/16", "::/128", "::1/128", "fc00::/7", "fe80::/10"}) {
        auto s = cidr::parse(special);
        if (s && (s->contains(c.network()) || c.contains(s->network()))) return false;
    }
    return true;
}

// vpce- and 8..20 of [a-z0-9] (AWS Sign-In API reference, PutResourcePermissionStatement).
bool is_vpc_endpoint_id(std::string_view v) {
    if (!v.starts_with("vpce-") || v.size() < 13 || v.size() > 25) return false;
    return std::all_of(v.begin() + 5, v.end(),
                       [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); });
}

}  // namespace

void loader::read_aws_side(const toml::table& t) {
    section a(*this, t, "policy.aws_side");
    auto& out = cfg.policy.aws_side;
    a.get_cidrs("egress_networks", out.egress_networks);
    if (const toml::node* n = t.get("egress_networks"); n && n->is_array()) {
        const auto& arr = *n->as_array();
        for (std::size_t i = 0; i < arr.size(); ++i) {
            const auto* v = arr.get(i)->as_string();
            auto c = v ? cidr::parse(v->get()) : std::nullopt;
            if (c && !reaches_aws_as_source(*c))
                error(*arr.get(i), "policy.aws_side.egress_networks[" + std::to_string(i) +
                                       "]: " + c->str() +
                                       " is not a public address; AWS sees sign-ins come from "
                                       "the egress NAT's public addresses");
        }
    }
    a.each_string("vpc_endpoints",
                  [&](const toml::node& e, std::string_view v, const std::string& item) {
                      if (!is_vpc_endpoint_id(v))
                          return error(e, item + ": \"" + std::string(v.substr(0, 40)) +
                                              "\" is not a VPC endpoint ID (vpce- and 8..20 of "
                                              "[a-z0-9])");
                      out.vpc_endpoints.emplace_back(v);
                  });
    a.each_string("excluded_principals", [&](const toml::node& e, std::string_view v,
                                             const std::string& item) {
        auto p = parse_arn(v);
        bool ok = p && p->partition == "aws" &&
                  (p->kind == principal_kind::root || p->kind == principal_kind::iam_user ||
                   p->kind == principal_kind::role);
        if (!ok)
            return error(e, item + ": \"" + std::string(v.substr(0, 80)) +
                                "\" is not an IAM role, user or root ARN of the "
                                "commercial partition (signin:PrincipalArn "
                                "supports those)");
        out.excluded_principals.emplace_back(v);
    });
    a.finish();
}

void loader::read_policy(const toml::table& t) {
    section s(*this, t, "policy");
    auto& p = cfg.policy;
    // An included file may add rules; every other policy key is set in one place only.
    for (auto&& [k, v] : t) {
        if (k.str() != "rule")
            claim("policy." + std::string(k.str().substr(0, 64)), location(k.source()));
    }
    enum class mode_t {
        enforce,
        report_only
    } mode = p.report_only ? mode_t::report_only : mode_t::enforce;
    s.get_enum("mode", mode, {{"enforce", mode_t::enforce}, {"report-only", mode_t::report_only}});
    p.report_only = mode == mode_t::report_only;
    // A rule's key written on the whole policy: refused with the global switch's spelling (as an
    // unknown key it validated nothing and the roll-out would have blocked).
    if (const toml::node* n = s.take("report_only")) {
        error(*n,
              "policy.report_only is a rule's key; the whole policy is switched with "
              "mode = \"report-only\" (or \"enforce\")");
    }
    bool allow_unknown = p.allow_unknown_account_pre_auth;
    s.get_enum("unknown_account_pre_auth", allow_unknown, {{"allow", true}, {"deny", false}});
    p.allow_unknown_account_pre_auth = allow_unknown;
    s.get_enum("unknown_corp_user", p.deny_unknown_corp_user,
               {{"no-match", false}, {"deny", true}});
    bool portal_anyone = p.portal_console_if_anyone_elevated;
    s.get_enum("portal_console_without_user", portal_anyone,
               {{"anyone-elevated", true}, {"deny", false}});
    p.portal_console_if_anyone_elevated = portal_anyone;
    s.get_enum("account_sign_up", p.account_sign_up,
               {{"deny", sign_up_action::deny}, {"report-only", sign_up_action::report_only}});
    bool partitions_written = false;
    auto enabled = read_partitions(s, "partitions", partitions_written);
    if (partitions_written) {
        if ((enabled & partition_bit(partition::aws)) == 0) {
            error(*t.get("partitions"),
                  "policy.partitions: the commercial partition is always judged; list \"aws\" "
                  "first, e.g. partitions = [\"aws\", \"aws-us-gov\"]");
        }
        p.partitions = enabled | partition_bit(partition::aws);
    }
    s.get_enum(
        "unbound_sessions", p.unbound_sessions,
        {{"deny", unbound_session_action::deny}, {"cookie", unbound_session_action::cookie}});

    if (const toml::node* n = s.take("aliases")) {
        if (const auto* at = n->as_table())
            read_aliases(*at, "policy.aliases");
        else
            s.type_error(*n, "policy.aliases", "a table of alias = \"account ID\"");
    }
    std::vector<std::filesystem::path> alias_files;
    if (const toml::node* n = t.get("alias_files")) {
        s.get_paths("alias_files", alias_files);
        auto at = location(n->source());
        for (auto& f : alias_files) read_alias_file(f, at);
        cfg.policy_files.alias_files.insert(cfg.policy_files.alias_files.end(), alias_files.begin(),
                                            alias_files.end());
    } else {
        s.take("alias_files");
    }
    if (const toml::node* n = t.get("org_export")) {
        std::filesystem::path f;
        s.get_path("org_export", f);
        if (!f.empty()) {
            cfg.policy_files.org_export = f;
            read_org_export(f, location(n->source()));
        }
    } else {
        s.take("org_export");
    }
    // Console Private Access endpoint policies: each judges the requests of its own endpoint
    // (core/endpoint_policy.hpp policy_endpoint). endpoint_policies says no endpoint: a
    // document of AWS Sign-In actions only is the Sign-In endpoint's, any other every flow's,
    // unless another document is the Sign-In endpoint's, which makes it the console endpoint's.
    struct document {
        std::filesystem::path file;
        source_location at;  // the file's element of the key
        std::string item;    // "policy.endpoint_policies[1]"
        std::optional<policy_endpoint> stated;
        endpoint_policy_import imported;
    };
    std::vector<document> documents;
    for (const auto& keyed :
         {std::pair<const char*, std::optional<policy_endpoint>>{"endpoint_policies", std::nullopt},
          {"sign_in_endpoint_policies", policy_endpoint::sign_in},
          {"console_endpoint_policies", policy_endpoint::console}}) {
        // (Not a structured binding: clang 14, which builds the fuzz targets, refuses a lambda
        // capturing one.)
        const char* key = keyed.first;
        const auto& stated = keyed.second;
        const toml::node* n = t.get(key);
        if (!n) {
            s.take(key);
            continue;
        }
        s.each_string(key, [&](const toml::node& e, std::string_view written,
                               const std::string& item) {
            if (written.empty() || written.find('\0') != std::string_view::npos)
                return error(e, item + ": expected a file path, got an empty or invalid string");
            auto f = resolve(written);
            auto at = location(e.source());
            cfg.policy_files.endpoint_policies.push_back(f);
            std::string text;
            if (!read_file(f, endpoint_policy_max_bytes, text, at, "endpoint policy")) return;
            documents.push_back(
                {f, at, item, stated, import_endpoint_policy(text, f.string(), stated)});
        });
    }
    const bool sign_in_said = std::any_of(documents.begin(), documents.end(), [](const auto& d) {
        return d.imported.ok() && d.imported.endpoint == policy_endpoint::sign_in;
    });
    for (auto& d : documents) {
        if (sign_in_said && !d.stated && d.imported.ok() &&
            d.imported.endpoint == policy_endpoint::both) {
            // Each endpoint has one policy: beside the Sign-In endpoint's, this is the console's.
            std::string text;
            if (read_file(d.file, endpoint_policy_max_bytes, text, d.at, "endpoint policy"))
                d.imported =
                    import_endpoint_policy(text, d.file.string(), policy_endpoint::console);
        }
        auto& imported = d.imported;
        const auto& f = d.file;
        const auto& at = d.at;
        if (imported.ok())
            cfg.policy_files.endpoint_policy_endpoints.emplace_back(f, imported.endpoint);
        if (imported.denies_account_sign_up && cfg.policy.account_sign_up != sign_up_action::deny) {
            error(at, f.string() +
                          ": a statement denies signin:CreateAccount, but "
                          "policy.account_sign_up is not \"deny\"");
        }
        for (auto& diag : imported.diagnostics) {
            source_location where = diag.where;
            if (where.file.empty()) where.file = f.string();
            error(where, std::move(diag.message));
        }
        for (auto& r : imported.rules) {
            if (r.where.file.empty()) r.where.file = f.string();
            imported_rules_.push_back(std::move(r));
        }
    }
    // On AWS a VPC endpoint has exactly one policy document, and the rules of a document are
    // decided together (a console sign-in needs each of its three actions allowed by the same
    // document): two files for one endpoint would be judged each on its own, as no endpoint is,
    // so they are refused (a document no endpoint is said for judges both endpoints).
    const document* first[2] = {nullptr, nullptr};  // the Sign-In endpoint's, the console's
    for (const auto& d : documents) {
        if (!d.imported.ok()) continue;
        const auto e = d.imported.endpoint;
        for (int k = 0; k < 2; ++k) {
            const auto endpoint = k == 0 ? policy_endpoint::sign_in : policy_endpoint::console;
            if (e != endpoint && e != policy_endpoint::both) continue;
            if (!first[k]) {
                first[k] = &d;
                continue;
            }
            const auto& o = *first[k];
            error(d.at, d.item + ": " + d.file.string() + " is a second policy for the " +
                            (k == 0 ? "Sign-In" : "console") + " endpoint beside " +
                            o.file.string() + " (" + o.item + ", " + o.at.file + ":" +
                            std::to_string(o.at.line) +
                            "); on AWS an endpoint has exactly one policy document: merge "
                            "their statements into one file (each Sid unique), or say which "
                            "endpoint each is for with sign_in_endpoint_policies and "
                            "console_endpoint_policies");
            break;  // one error per file
        }
    }
    if (const toml::node* n = s.take("ams")) {
        if (const auto* at = n->as_table()) {
            section a(*this, *at, "policy.ams");
            std::initializer_list<std::pair<std::string_view, guard_action>> actions{
                {"off", guard_action::off},
                {"flag", guard_action::flag},
                {"block", guard_action::block},
                {"block-unless-elevated", guard_action::block_unless_elevated}};
            a.get_enum("change_types", p.ams_change_types, actions);
            a.get_enum("reserved_roles", p.ams_reserved_roles, actions);
            a.get_enum("elevation", p.ams_elevation,
                       {{"same-permission-set", ams_elevation_scope::same_permission_set},
                        {"any-for-account", ams_elevation_scope::any_for_account}});
            if (const toml::node* e = at->get("elevation");
                e && p.ams_change_types != guard_action::block_unless_elevated &&
                p.ams_reserved_roles != guard_action::block_unless_elevated)
                error(*e,
                      "policy.ams.elevation says which elevation lifts a block-unless-elevated "
                      "guard, and neither change_types nor reserved_roles is "
                      "\"block-unless-elevated\"");
            std::vector<std::string> ids;
            bool have_ids = a.each_string(
                "change_type_ids",
                [&](const toml::node& e, std::string_view id, const std::string& item) {
                    bool ok = id.starts_with("ct-") && id.size() >= 4 && id.size() <= 40;
                    for (char c : id.substr(std::min<std::size_t>(3, id.size())))
                        ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'));
                    if (!ok)
                        return error(
                            e, item + ": expected an AMS change type ID like \"ct-1opjmhuddw194\"");
                    ids.emplace_back(id);
                });
            if (have_ids) p.ams_change_type_ids = std::move(ids);
            a.get_globs("reserved_role_prefixes", p.ams_reserved_role_prefixes);
            a.finish();
        } else {
            s.type_error(*n, "policy.ams", "a table");
        }
    }
    if (const toml::node* n = s.take("aws_side")) {
        if (const auto* at = n->as_table())
            read_aws_side(*at);
        else
            s.type_error(*n, "policy.aws_side", "a table");
    }
    if (const toml::node* n = s.take("rule")) {
        const auto* arr = n->as_array();
        if (!arr || (!arr->empty() && !arr->is_array_of_tables())) {
            error(*n,
                  "policy.rule: expected an array of tables; write each rule as [[policy.rule]]");
        } else {
            for (std::size_t i = 0; i < arr->size() && i < 100000; ++i)
                read_rule(*arr->get(i)->as_table(), i);
        }
    }
    s.finish();
}

void loader::read_rule(const toml::table& t, std::size_t index) {
    std::string pre = "policy.rule[" + std::to_string(index) + "]";
    rule_config r;
    r.where = location(t.source());
    if (const toml::node* n = t.get("name"); n && n->is_string() && !n->as_string()->get().empty())
        pre = "policy.rule \"" + n->as_string()->get().substr(0, 64) + "\"";
    section s(*this, t, pre);
    const toml::node* name_node = t.get("name");
    s.get("name", r.name);
    if (!name_node) {
        error(t.source(), pre + ": `name` is required");
    } else if (name_node->is_string()) {
        if (r.name.empty() || r.name.size() > 128) {
            error(*name_node, pre + ": `name` must be 1..128 characters");
        } else if (auto [it, fresh] = rule_names_.emplace(r.name, location(name_node->source()));
                   !fresh) {
            const auto& first = it->second;
            error(*name_node, pre + ": duplicate rule name (first defined at " + first.file + ":" +
                                  std::to_string(first.line) + ":" + std::to_string(first.column) +
                                  ")");
            error(first, pre + ": rule name defined again at " +
                             location(name_node->source()).file + ":" +
                             std::to_string(name_node->source().begin.line) + ":" +
                             std::to_string(name_node->source().begin.column));
        }
    }
    s.get("description", r.description);
    if (!t.get("effect"))
        error(t.source(), pre + ": `effect` is required (allow, deny or allow-with-elevation)");
    s.get_enum("effect", r.effect,
               {{"allow", rule_effect::allow},
                {"deny", rule_effect::deny},
                {"allow-with-elevation", rule_effect::allow_with_elevation}});
    s.get("report_only", r.report_only);
    bool match_all = false;
    s.get("match_all", match_all);

    std::vector<rule_key_use> uses;  // checked in cross_check
    if (const toml::node* n = s.take("accounts")) {
        if (const auto* arr = n->as_array()) {
            for (std::size_t i = 0; i < arr->size() && i < 1'000'000; ++i) {
                const toml::node& e = *arr->get(i);
                std::string item = pre + ".accounts[" + std::to_string(i) + "]";
                const auto* v = e.as_string();
                if (!v) {
                    error(e, account_message(e, item));
                } else if (auto a = account_id::parse(v->get())) {
                    r.accounts.push_back(*a);
                    uses.push_back({item, "accounts", 0, *a, location(e.source())});
                } else {
                    error(e, item + ": \"" + v->get().substr(0, 32) +
                                 "\" is not an account ID (exactly 12 digits, leading zeros kept)");
                }
            }
        } else {
            s.type_error(*n, pre + ".accounts", "an array of account ID strings");
        }
    }
    const std::size_t org_selectors_before = org_selectors.size();
    s.each_string("org_ids", [&](const toml::node& e, std::string_view v, const std::string& item) {
        if (!is_org_id(v))
            return error(e, item + ": \"" + std::string(v.substr(0, 40)) +
                                "\" is not an organization ID (o- and 10..32 of [a-z0-9])");
        r.org_ids.emplace_back(v);
        org_selectors.push_back({item, std::string(v), false, {}, location(e.source())});
    });
    s.each_string(
        "ou_paths", [&](const toml::node& e, std::string_view v, const std::string& item) {
            if (auto err = check_ou_path(v); !err.empty()) return error(e, item + ": " + err);
            r.ou_paths.emplace_back(v);
            org_selectors.push_back({item, std::string(v), true, {}, location(e.source())});
        });
    // Role and user globs outside what AWS names can hold would validate and never match: a
    // deny written with a role ARN or a path would let everything through.
    s.each_string("roles", [&](const toml::node& e, std::string_view v, const std::string& item) {
        if (auto err = check_glob(v); !err.empty()) return error(e, item + ": " + err);
        if (!is_valid_name_glob(v)) {
            std::string hint;
            if (auto slash = v.rfind('/'); slash != std::string_view::npos && slash + 1 < v.size())
                hint =
                    "; write the name alone, e.g. \"" + std::string(v.substr(slash + 1, 64)) + "\"";
            return error(e, item + ": \"" + std::string(v.substr(0, 80)) +
                                "\" can never match a role or permission-set name (IAM names hold "
                                "only letters, digits and + = , . @ _ -, with * and ? as "
                                "wildcards, at most 256)" +
                                hint);
        }
        r.roles.emplace_back(v);
    });
    s.each_string("users", [&](const toml::node& e, std::string_view v, const std::string& item) {
        if (auto err = check_glob(v); !err.empty()) return error(e, item + ": " + err);
        if (!is_valid_user_glob(v))
            return error(e, item + ": \"" + std::string(v.substr(0, 80)) +
                                "\" can never match a user name (IAM, session and Identity Center "
                                "user names hold no spaces, at most 256)");
        r.users.emplace_back(v);
    });
    // A domain user is named as the trusted header or the address map writes them, CORP\alice:
    // another domain's user (PARTNER\mallory) has no other spelling a selector could use.
    s.each_string("corp_users",
                  [&](const toml::node& e, std::string_view v, const std::string& item) {
                      if (auto err = check_glob(v, true); !err.empty())
                          return error(e, item + ": " + err);
                      r.corp_users.emplace_back(v);
                  });
    s.get_globs("corp_groups", r.corp_groups);
    for (std::string_view key : {"corp_users", "corp_groups"}) {
        if (const toml::node* n = t.get(key); n && n->is_array() && !n->as_array()->empty())
            uses.push_back({pre + "." + std::string(key), std::string(key), 0, std::nullopt,
                            location(n->source())});
    }
    s.each_string("identity_center_instances",
                  [&](const toml::node& e, std::string_view v, const std::string& item) {
                      if (!is_instance_label(v))
                          return error(e, item + ": \"" + std::string(v.substr(0, 64)) +
                                              "\" is not an Identity Center instance: write the "
                                              "start URL's first label, e.g. \"d-1234567890\" "
                                              "or \"mycompany\" for "
                                              "https://mycompany.awsapps.com/start");
                      std::string lower(v);
                      for (auto& c : lower)
                          c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                      r.identity_center_instances.push_back(std::move(lower));
                  });
    s.each_string("flows", [&](const toml::node& e, std::string_view v, const std::string& item) {
        if (auto f = sign_in_flow_from_string(v); f == sign_in_flow::account_sign_up)
            return error(e, item +
                                ": account-sign-up is decided by policy.account_sign_up, "
                                "before any rule");
        if (auto f = sign_in_flow_from_string(v)) return r.flows.push_back(*f);
        // Flow names are lower case with hyphens ("SAML", "console_session", "console"): the
        // one meant, when a spelling or a prefix names exactly one.
        std::string folded;
        for (char c : v.substr(0, 40)) folded += c == '_' || c == ' ' ? '-' : ascii_lower(c);
        std::string_view meant;
        int prefixed = 0;
        for (int i = 0; i < sign_in_flow_count; ++i) {
            auto name = to_string(static_cast<sign_in_flow>(i));
            if (name == folded) meant = name;
            if (!folded.empty() && name.starts_with(folded)) ++prefixed;
        }
        for (int i = 0; meant.empty() && prefixed == 1 && i < sign_in_flow_count; ++i) {
            auto name = to_string(static_cast<sign_in_flow>(i));
            if (name.starts_with(folded)) meant = name;
        }
        if (!meant.empty() && meant != "account-sign-up") {
            return error(e, item + ": unknown flow \"" + std::string(v.substr(0, 40)) +
                                "\"; did you mean \"" + std::string(meant) + "\"?");
        }
        std::string names;
        for (int i = 0; i < sign_in_flow_count; ++i)
            names += (i ? ", " : "") + std::string(to_string(static_cast<sign_in_flow>(i)));
        error(e, item + ": unknown flow \"" + std::string(v.substr(0, 40)) + "\" (one of " + names +
                     ")");
    });
    s.get_cidrs("client_networks", r.client_networks);
    bool partitions_written = false;
    auto rule_partitions = read_partitions(s, "partitions", partitions_written);
    if (partitions_written && rule_partitions != 0) r.partitions = rule_partitions;
    for (auto i = org_selectors_before; i < org_selectors.size(); ++i)
        org_selectors[i].partitions = r.partitions;
    if (const auto* arr = t.get("partitions") ? t.get("partitions")->as_array() : nullptr;
        arr && arr->empty()) {
        error(*t.get("partitions"), pre +
                                        ".partitions: an empty list selects nothing; remove the "
                                        "key (the commercial partition) or name partitions");
    }
    s.finish();
    check_selectors_together(t, r, pre);

    bool any_selector = false;
    for (std::string_view k :
         {"accounts", "org_ids", "ou_paths", "roles", "users", "flows", "client_networks",
          "corp_users", "corp_groups", "identity_center_instances", "partitions"})
        any_selector = any_selector || t.contains(k);
    if (!any_selector && !match_all)
        error(t.source(), pre +
                              ": the rule has no selector (accounts, org_ids, ou_paths, roles, "
                              "users, flows, client_networks, corp_users, corp_groups, "
                              "identity_center_instances, partitions); set "
                              "match_all = true to match "
                              "every sign-in");
    if (any_selector && match_all)
        error(*t.get("match_all"), pre + ": match_all = true cannot be combined with selectors");
    const bool org_part = !r.org_ids.empty() || !r.ou_paths.empty();
    for (auto& u : uses) {
        if (u.key == "accounts" && !org_part) continue;  // an account alone always can match
        u.rule = cfg.policy.rules.size();
        rule_key_uses.push_back(std::move(u));
    }
    cfg.policy.rules.push_back(std::move(r));
}

// Selectors that cannot occur together in one attempt (core::names_of): the rule validates and
// never matches, and a deny written so lets everything through. Refused at the selector, naming
// what would make it match.
void loader::check_selectors_together(const toml::table& t, const rule_config& r,
                                      const std::string& pre) {
    flow_names any;  // what at least one of the rule's flows names
    std::string flows, naming_role, naming_account;
    for (auto f : r.flows) {
        auto n = names_of(f);
        any.account = any.account || n.account;
        any.role = any.role || n.role;
        any.instance = any.instance || n.instance;
        flows += std::string(flows.empty() ? "" : ", ") + "\"" + std::string(to_string(f)) + "\"";
    }
    for (int i = 0; i < sign_in_flow_count; ++i) {
        auto f = static_cast<sign_in_flow>(i);
        std::string name(to_string(f));
        if (names_of(f).role) naming_role += (naming_role.empty() ? "" : ", ") + name;
        if (names_of(f).account) naming_account += (naming_account.empty() ? "" : ", ") + name;
    }
    const bool has_account = !r.accounts.empty() || !r.org_ids.empty() || !r.ou_paths.empty();
    const char* account_key = !r.accounts.empty()  ? "accounts"
                              : !r.org_ids.empty() ? "org_ids"
                                                   : "ou_paths";
    const bool has_instance = !r.identity_center_instances.empty();
    if (!r.flows.empty()) {
        if (!r.roles.empty() && !any.role)
            error(*t.get("roles"),
                  pre + ".roles: flows [" + flows +
                      "] never name a role (an IAM user or root signs in as itself; a "
                      "multi-session host, an access key and the access portal name no role), so "
                      "the rule would never match; remove roles, or list a flow that names one (" +
                      naming_role + ")");
        if (has_account && !any.account)
            error(*t.get(account_key),
                  pre + "." + account_key + ": flows [" + flows +
                      "] never name an account (the access portal names only its Identity "
                      "Center instance), so the rule would never match; select the portal by "
                      "identity_center_instances, or list a flow that names an account (" +
                      naming_account + ")");
        if (has_instance && !any.instance)
            error(*t.get("identity_center_instances"),
                  pre +
                      ".identity_center_instances: only \"identity-center-portal\" attempts "
                      "name an Identity Center instance, and flows [" +
                      flows +
                      "] leave it out, so the rule would never match; add "
                      "\"identity-center-portal\" to flows or remove the key");
    }
    if (has_instance && (has_account || !r.roles.empty()))
        error(*t.get("identity_center_instances"),
              pre +
                  ".identity_center_instances: the access portal's attempts name their "
                  "Identity Center instance and no " +
                  (has_account ? std::string(account_key == std::string_view("accounts")
                                                 ? "account"
                                                 : "organization or OU") +
                                     " (" + account_key + ")"
                               : std::string("role (roles)")) +
                  ", so the rule would never match; write the instance and the " +
                  (has_account ? "account" : "role") +
                  " selectors as two rules (the portal's sign-in to an account is the "
                  "identity-center flow, which names its account and permission set)");
}

void loader::append_imported_rules() {
    // Endpoint policy rules come after every rule written in TOML (policy_config.hpp), and share
    // their name space.
    for (auto& r : imported_rules_) {
        auto [it, fresh] = rule_names_.emplace(r.name, r.where);
        if (!fresh) {
            const auto& first = it->second;
            error(r.where, "imported rule \"" + r.name + "\" has the name of the rule at " +
                               first.file + ":" + std::to_string(first.line) + ":" +
                               std::to_string(first.column));
            continue;
        }
        cfg.policy.rules.push_back(std::move(r));
    }
    imported_rules_.clear();
}

void loader::read_aliases(const toml::table& t, const std::string& prefix) {
    for (auto&& [k, v] : t) {
        std::string item = prefix + "." + std::string(k.str().substr(0, 64));
        std::string alias;
        if (auto err = parse_alias(k.str(), alias); !err.empty()) {
            error(k.source(), item + ": " + err);
            continue;
        }
        const auto* s = v.as_string();
        if (!s) {
            error(v, account_message(v, item));
            continue;
        }
        auto a = account_id::parse(s->get());
        if (!a) {
            error(v, item + ": \"" + s->get().substr(0, 32) +
                         "\" is not an account ID (exactly 12 digits)");
            continue;
        }
        auto here = location(k.source());
        auto [it, fresh] = alias_where_.emplace(alias, std::pair{*a, here});
        if (!fresh && it->second.first != *a) {
            const auto& first = it->second.second;
            error(here, item + ": alias \"" + alias + "\" already maps to " +
                            it->second.first.str() + " (at " + first.file + ":" +
                            std::to_string(first.line) + ":" + std::to_string(first.column) + ")");
            continue;
        }
        cfg.policy.aliases[alias] = *a;
        // AWS gives an account one alias (iam:CreateAccountAlias replaces the old one, which
        // anyone may then take): a second alias of one account is one the map should have
        // dropped, and the account it now names is judged as this one before authentication.
        if (auto [at, first] = alias_of_account_.emplace(*a, alias);
            !first && at->second != alias) {
            const auto& other = alias_where_.at(at->second).second;
            notes.push_back({here.file, here.line, here.column,
                             item + ": " + a->str() + " already has the alias \"" + at->second +
                                 "\" (at " + other.file + ":" + std::to_string(other.line) + ":" +
                                 std::to_string(other.column) +
                                 "), and an AWS account has one alias: the other is stale, and "
                                 "an alias its account gave up may now name an account of "
                                 "anyone's; keep the current one"});
        }
    }
}

void loader::read_alias_file(const std::filesystem::path& p, const source_location& at) {
    std::string text;
    if (!read_file(p, max_toml_bytes, text, at, "alias file")) return;
    std::string shown = p.string();
    try {
        toml::table doc = toml::parse(text, shown);
        std::string saved = file_;
        file_ = shown;
        read_aliases(doc, p.filename().string());
        file_ = saved;
    } catch (const toml::parse_error& e) {
        error(e.source(), "TOML syntax error: " + std::string(e.description()));
    }
}

void loader::read_org_export(const std::filesystem::path& p, const source_location& at) {
    std::string text;
    if (!read_file(p, max_export_bytes, text, at, "org export")) return;
    parse_org_export(text, p.string(), cfg.policy, diags);
}

}  // namespace consolegate::core::config_detail
