// The configuration loader: reads the main file and its includes, dispatches each table to its
// reader (config_sections.cpp, config_policy.cpp), then checks what spans tables.

#include <algorithm>
#include <map>
#include <system_error>
#include <tuple>

#include "config_reader.hpp"
#include "consolegate/core/glob.hpp"
#include "consolegate/core/host_pattern.hpp"
#include "consolegate/core/idc_user.hpp"
#include "consolegate/core/org_tree.hpp"

namespace consolegate::core {
namespace config_detail {
namespace {

constexpr std::size_t max_toml_bytes = 16u << 20;
constexpr std::size_t max_include_depth = 16;
constexpr std::size_t max_included_files = 1000;

std::string where_text(const source_location& at) {
    return at.file + ":" + std::to_string(at.line) + ":" + std::to_string(at.column);
}

// Whether an identity source names corporate users: Kerberos, the trusted header, the address
// map (its file, or pushes over the admin API, which need the operator token).
bool names_corporate_users(const config& cfg) {
    const auto& id = cfg.identity;
    return !id.kerberos_keytab.empty() || !id.trusted_header.empty() ||
           !id.address_map_file.empty() ||
           (cfg.admin.enabled && !cfg.admin.operator_token_file.empty());
}

bool has_wildcard(std::string_view s) {
    return s.find_first_of("*?") != std::string_view::npos;
}

std::filesystem::path canonical_or_normal(const std::filesystem::path& p) {
    std::error_code ec;
    auto c = std::filesystem::weakly_canonical(p, ec);
    return ec ? p.lexically_normal() : c;
}

bool unspecified(const ip_address& a) {
    return a == *ip_address::parse("0.0.0.0") || a == *ip_address::parse("::");
}

}  // namespace

bool loader::claim(const std::string& name, const source_location& at) {
    auto [it, fresh] = defined.emplace(name, at);
    if (fresh) return true;
    error(at,
          "`" + name + "` is already defined at " + where_text(it->second) +
              "; an included file may add [[policy.rule]] entries but not redefine other tables");
    return false;
}

void loader::load_main(std::string_view text, const std::filesystem::path& file) {
    auto canon = canonical_or_normal(file);
    seen_files_.insert(canon);
    stack_.push_back(canon);
    process_document(text, file);
    stack_.pop_back();
}

void loader::process_document(std::string_view text, const std::filesystem::path& file) {
    const std::string shown = file.string();
    toml::table doc;
    try {
        doc = toml::parse(text, shown);
    } catch (const toml::parse_error& e) {
        error(e.source(), "TOML syntax error: " + std::string(e.description()));
        if (stack_.size() <= 1) main_unparsed = true;
        return;
    }
    auto saved_dir = dir_;
    auto saved_file = file_;
    // Stored paths are absolute, so a later chdir (daemons) cannot change what they name.
    std::error_code ec;
    auto absolute = std::filesystem::absolute(file, ec);
    dir_ = (ec ? file : absolute).parent_path();
    file_ = shown;
    process_root(doc, file);
    dir_ = saved_dir;
    file_ = saved_file;
}

void loader::process_root(const toml::table& root, const std::filesystem::path& file) {
    (void)file;
    section s(*this, root, "");
    using reader = void (loader::*)(const toml::table&);
    static constexpr std::pair<std::string_view, reader> tables[] = {
        {"general", &loader::read_general},   {"dns", &loader::read_dns},
        {"proxy", &loader::read_proxy},       {"ca", &loader::read_ca},
        {"policy", &loader::read_policy},     {"team", &loader::read_team},
        {"audit", &loader::read_audit},       {"admin", &loader::read_admin},
        {"identity", &loader::read_identity}, {"sessions", &loader::read_sessions},
    };
    for (auto& [key, read] : tables) {
        const toml::node* n = s.take(key);
        if (!n) continue;
        const auto* t = n->as_table();
        if (!t) {
            s.type_error(*n, std::string(key), "a table");
            continue;
        }
        std::string name(key);
        // [policy] may appear in several files (rules accumulate); read_policy claims its keys.
        if (key != "policy" && !claim(name, location(t->source()))) continue;
        (this->*read)(*t);
    }
    const toml::node* inc = s.take("include");
    s.finish();
    if (inc) process_includes(*inc);
}

void loader::process_includes(const toml::node& n) {
    const auto* arr = n.as_array();
    if (!arr) {
        error(n, "include: expected an array of file patterns like [\"policies/*.toml\"], got " +
                     std::string(type_name(n.type())));
        return;
    }
    for (std::size_t i = 0; i < arr->size(); ++i) {
        const toml::node& e = *arr->get(i);
        std::string item = "include[" + std::to_string(i) + "]";
        const auto* s = e.as_string();
        if (!s || s->get().empty() || s->get().find('\0') != std::string::npos) {
            error(e, item + ": expected a file path or pattern string");
            continue;
        }
        auto at = location(e.source());
        std::filesystem::path p = resolve(s->get());
        std::string leaf = p.filename().string();
        if (has_wildcard(p.parent_path().string())) {
            error(e, item + ": wildcards are allowed only in the file name, not in directories");
            continue;
        }
        if (!has_wildcard(leaf)) {
            include_file(p, at);
            continue;
        }
        // "policies/*.toml": every matching regular file, in name order so rule order is stable.
        std::error_code ec;
        std::vector<std::filesystem::path> matches;
        std::filesystem::directory_iterator it(p.parent_path(), ec), end;
        if (ec) {
            error(e, item + ": cannot list directory \"" + p.parent_path().string() +
                         "\": " + ec.message());
            continue;
        }
        for (; it != end && matches.size() <= max_included_files; it.increment(ec)) {
            if (ec) break;
            std::string fname = it->path().filename().string();
            if (fname.starts_with('.') && !leaf.starts_with('.')) continue;
            std::error_code fec;
            if (glob_match(leaf, fname) && it->is_regular_file(fec)) matches.push_back(it->path());
        }
        std::sort(matches.begin(), matches.end());
        for (auto& m : matches) include_file(m.lexically_normal(), at);
    }
}

void loader::include_file(const std::filesystem::path& p, const source_location& at) {
    auto canon = canonical_or_normal(p);
    if (std::find(stack_.begin(), stack_.end(), canon) != stack_.end()) {
        std::string chain;
        for (auto& f : stack_) chain += f.filename().string() + " -> ";
        error(at, "include cycle: " + chain + canon.filename().string());
        return;
    }
    if (!seen_files_.insert(canon).second) {
        error(at, "\"" + p.string() + "\" is included more than once");
        return;
    }
    if (stack_.size() >= max_include_depth || seen_files_.size() > max_included_files) {
        error(at, "includes nested too deeply or too many included files");
        return;
    }
    std::string text;
    if (!read_file(p, max_toml_bytes, text, at, "included file")) return;
    stack_.push_back(canon);
    process_document(text, p);
    stack_.pop_back();
}

void loader::cross_check() {
    auto table_or_main = [&](std::string_view name) {
        auto it = defined.find(name);
        return it != defined.end() ? it->second : main_file_loc;
    };
    // identity.realms says which users are the site's: {name} in idc_user and the LDAP filters
    // takes only theirs, the groups file and corp_users selectors know each of them under every
    // spelling (core::any_site_spelling), and a console session's or portal token's opener is
    // the person presenting it under another spelling of the site's (app::same_person), which
    // any identity source naming people may give.
    cfg.policy.site_realms = cfg.identity.realms;
    if (realms_at) {
        const auto& id = cfg.identity;
        const auto& l = id.ldap;
        const bool used = idc_user_drops_realm(id.idc_user) || !id.groups_file.empty() ||
                          names_corporate_users(cfg) ||
                          (l.enabled() && (l.user_filter.find("{name}") != std::string::npos ||
                                           l.group_filter.find("{name}") != std::string::npos)) ||
                          std::any_of(cfg.policy.rules.begin(), cfg.policy.rules.end(),
                                      [](const rule_config& r) { return !r.corp_users.empty(); });
        if (!used)
            error(*realms_at,
                  "identity.realms is set but nothing uses it ({name} in identity.idc_user, "
                  "identity.ldap_user_filter or identity.ldap_group_filter; "
                  "identity.groups_file; a rule's corp_users; an identity source naming "
                  "people, whose spellings of one person a session's opener is compared in: "
                  "identity.kerberos_keytab, identity.trusted_header, identity.address_map_file, "
                  "or address-map pushes with admin.operator_token_file): it would do nothing");
    }
    if (cfg.proxy.enabled && (cfg.ca.cert.empty() || cfg.ca.key.empty())) {
        auto at = defined.count("ca") ? table_or_main("ca") : table_or_main("proxy");
        error(at,
              "ca: the proxy is enabled, so [ca] needs `cert` and `key` (PEM paths; "
              "`consolegate ca init --dir DIR` makes them)");
    }
    if (!cfg.identity.kerberos_keytab.empty() &&
        (!cfg.proxy.enabled || cfg.proxy.connect_listen.empty())) {
        // Kerberos is asked for on the CONNECT listener only (identification.hpp): keys that
        // configure it with that listener off would validate and do nothing.
        error(cfg.identity.kerberos_keytab_at,
              std::string("identity.kerberos_keytab: Kerberos authenticates clients on the CONNECT "
                          "listener, which is off (") +
                  (cfg.proxy.enabled ? "proxy.connect_listen is empty" : "proxy.enabled = false") +
                  "): remove the identity.kerberos_* keys, or list an address in "
                  "proxy.connect_listen (e.g. [\"0.0.0.0:3128\"])");
    }
    if (cfg.sessions.store == sessions_config::store_kind::postgres &&
        cfg.audit.postgres_connection.empty()) {
        error(table_or_main("sessions.store"),
              "sessions.store = \"postgres\" shares the session table through the record's "
              "PostgreSQL: set audit.postgres_connection");
    }
    if (cfg.dns.enabled) {
        if (cfg.dns.upstreams.empty())
            error(table_or_main("dns"),
                  "dns: `upstreams` is required when DNS is enabled "
                  "(e.g. upstreams = [\"10.0.0.2\"])");
        if (cfg.dns.steer_ipv4.empty() && cfg.dns.steer_ipv6.empty())
            error(table_or_main("dns"),
                  "dns: `steer_ipv4` or `steer_ipv6` is required when DNS is "
                  "enabled (the gateway's address that steered names answer)");
    }
    // A rule may select only partitions the gateway judges (policy.partitions).
    for (const auto& r : cfg.policy.rules) {
        for (const auto& p : partitions) {
            if ((r.partitions & partition_bit(p.id)) &&
                !(cfg.policy.partitions & partition_bit(p.id)))
                error(r.where, "policy.rule \"" + r.name + "\": partitions names \"" +
                                   std::string(p.name) +
                                   "\", which policy.partitions does not enable");
        }
    }
    // Org and OU selectors are matched against the org export (core/org_tree.hpp), the
    // commercial partition's organization: one that names no account the export could hold
    // would validate and never match, and a deny written so would let everything through.
    {
        std::string root;  // the export's root ID, from its accounts' paths
        for (const auto& a : cfg.policy.accounts) {
            auto first = a.path.find('/');
            auto second = a.path.find('/', first + 1);
            if (first != std::string::npos && second != std::string::npos) {
                root = a.path.substr(first + 1, second - first - 1);
                break;
            }
        }
        const auto& org = cfg.policy.org_id;
        for (const auto& u : org_selectors) {
            auto segment = [&](std::size_t n) {
                std::string_view v = u.value;
                for (; n > 0; --n) {
                    auto slash = v.find('/');
                    if (slash == std::string_view::npos) return std::string_view{};
                    v.remove_prefix(slash + 1);
                }
                return v.substr(0, v.find('/'));
            };
            const auto kind = u.ou_path ? "an OU path" : "an organization ID";
            if (org.empty()) {
                error(u.where, u.item + ": " + kind +
                                   " selects accounts of the org export, and policy.org_export "
                                   "is not set, so the rule would never match; set "
                                   "policy.org_export (config/tools/org-export.py writes it) or "
                                   "select by accounts");
            } else if (segment(0) != org) {
                error(u.where, u.item + ": \"" + u.value +
                                   "\" names another organization than "
                                   "the org export's (" +
                                   org +
                                   "), so the rule would never match; the gateway knows the "
                                   "accounts of " +
                                   org + " only (select others by accounts)");
            } else if (u.ou_path && !root.empty() && !segment(1).empty() && segment(1) != "*" &&
                       segment(1) != root) {
                error(u.where, u.item + ": \"" + u.value + "\" names root \"" +
                                   std::string(segment(1)) + "\", and the org export's root is \"" +
                                   root + "\", so the rule would never match; write \"" + org +
                                   "/" + root + "/…\"");
            } else if (auto bad = foreign_ou(u.value, root); u.ou_path && !bad.empty()) {
                error(u.where, u.item + ": \"" + u.value + "\" names OU \"" + std::string(bad) +
                                   "\", and every OU under root \"" + root + "\" is named \"ou-" +
                                   root.substr(2) +
                                   "-…\" (an OU ID carries its root's), so the rule would never "
                                   "match; copy the OU path from the org export");
            } else if ((u.partitions & partition_bit(partition::aws)) == 0) {
                error(u.where, u.item + ": " + kind +
                                   " selects accounts of the org export, the commercial "
                                   "partition's organization, and the rule's partitions do not "
                                   "name \"aws\", so the rule would never match; select the "
                                   "other partition's accounts by accounts");
            }
        }
    }
    // Selectors the other sections, as they stand, leave unable to match: notes, not errors
    // (load_result::notes).
    {
        const auto& id = cfg.identity;
        const bool person_known = names_corporate_users(cfg);
        const bool groups_known = !id.groups_file.empty() || id.ldap.enabled();
        std::map<account_id, std::string_view> path_of;
        for (const auto& a : cfg.policy.accounts) path_of.emplace(a.id, a.path);
        for (const auto& u : rule_key_uses) {
            if (u.rule >= cfg.policy.rules.size()) continue;
            const auto& r = cfg.policy.rules[u.rule];
            if (u.key == "accounts") {
                // Org and OU selectors that name no export account are reported above.
                if (cfg.policy.org_id.empty() || !(r.partitions & partition_bit(partition::aws)))
                    continue;
                const std::string where = !r.ou_paths.empty() ? "ou_paths" : "org_ids";
                auto it = path_of.find(*u.account);
                if (it == path_of.end()) {
                    notes.push_back({u.where.file, u.where.line, u.where.column,
                                     u.item + ": " + u.account->str() +
                                         " is not in the org export, and the rule's " + where +
                                         " select only accounts the export places in them (every "
                                         "selector of a rule must match), so it would never match; "
                                         "write it in a rule without " +
                                         where + ", or export the organization again"});
                    continue;
                }
                const auto path = it->second;
                bool inside = true;
                if (!r.org_ids.empty()) {
                    auto org = path.substr(0, path.find('/'));
                    inside = std::find(r.org_ids.begin(), r.org_ids.end(), org) != r.org_ids.end();
                }
                if (inside && !r.ou_paths.empty()) {
                    inside =
                        std::any_of(r.ou_paths.begin(), r.ou_paths.end(),
                                    [&](const std::string& s) { return org_path_like(s, path); });
                }
                if (!inside)
                    notes.push_back({u.where.file, u.where.line, u.where.column,
                                     u.item + ": the org export places " + u.account->str() +
                                         " at " + std::string(path) + ", outside the rule's " +
                                         where +
                                         " (every selector of a rule must match), so it would "
                                         "never match; write it in a rule without " +
                                         where + " (a rule selects accounts AND OUs, not OR)"});
            } else if (!person_known) {
                notes.push_back(
                    {u.where.file, u.where.line, u.where.column,
                     u.item + ": no identity source is configured (identity.kerberos_keytab, "
                              "identity.trusted_header, identity.address_map_file, or "
                              "address-map pushes with admin.operator_token_file), so no "
                              "attempt has a corporate user and the rule would never match"});
            } else if (u.key == "corp_groups" && !groups_known) {
                notes.push_back({u.where.file, u.where.line, u.where.column,
                                 u.item +
                                     ": no groups source is configured (identity.groups_file, "
                                     "identity.ldap_uri), so nobody has groups and the rule would "
                                     "never match"});
            }
        }
    }
    // TEAM elevates the accounts of the partition it runs in (team.partition): in any other
    // partition an allow-with-elevation rule never allows.
    if (cfg.team.enabled) {
        for (const auto& r : cfg.policy.rules) {
            if (r.effect != rule_effect::allow_with_elevation) continue;
            std::string others;
            for (const auto& p : partitions) {
                if (p.id == cfg.team.aws_partition || !(r.partitions & partition_bit(p.id)))
                    continue;
                others += (others.empty() ? "" : ", ") + std::string(p.name);
            }
            if (others.empty()) continue;
            notes.push_back({r.where.file, r.where.line, r.where.column,
                             "policy.rule \"" + r.name + "\" is allow-with-elevation in " + others +
                                 ", where it never allows: TEAM elevates the accounts "
                                 "of the partition it runs in (team.partition: " +
                                 std::string(to_string(cfg.team.aws_partition)) +
                                 "); gate that partition's accounts on its own TEAM, or leave "
                                 "it out of the rule's partitions"});
        }
    }
    // An enabled partition's sign-in must be inspected, or it would be spliced around the policy.
    if (cfg.proxy.enabled) {
        std::vector<host_pattern> inspected;
        for (const auto& t : cfg.proxy.inspect_hosts) {
            if (auto p = host_pattern::parse(t)) inspected.push_back(std::move(*p));
        }
        // The commercial names may be narrowed on purpose (a site inspecting only some of
        // them); another partition, enabled, is judged only where it is inspected.
        for (const auto& p : partitions) {
            if (p.id == partition::aws || !(cfg.policy.partitions & partition_bit(p.id))) continue;
            for (auto name : sign_in_host_patterns(p.id)) {
                auto pat = host_pattern::parse(name);
                if (!pat || covers(inspected, *pat)) continue;
                error(table_or_main("policy"),
                      "policy.partitions enables \"" + std::string(p.name) + "\", but \"" +
                          std::string(name) +
                          "\" is not covered by proxy.inspect_hosts; add it there");
            }
        }
    }
    if (cfg.dns.enabled && cfg.proxy.enabled) {
        // DNS steers every name the proxy inspects unless the operator says otherwise: unwritten,
        // dns.steer_names is proxy.inspect_hosts, and dns.steer_identity_center is whether the
        // proxy inspects the portal (written false, the portal leaves the derived list too).
        std::vector<host_pattern> inspected;
        for (const auto& t : cfg.proxy.inspect_hosts) {
            if (auto p = host_pattern::parse(t)) inspected.push_back(std::move(*p));
        }
        const auto portal = host_pattern::parse(identity_center_portals);
        if (!steer_identity_center_written) {
            cfg.dns.steer_identity_center = portal && covers(inspected, *portal);
        }
        if (!pattern_where.contains("dns.steer_names")) {
            cfg.dns.steer_names = cfg.proxy.inspect_hosts;
            if (steer_identity_center_written && !cfg.dns.steer_identity_center) {
                std::erase(cfg.dns.steer_names, std::string(identity_center_portals));
            }
        }
        // A name DNS sends to the gateway that the proxy does not inspect would be spliced
        // around the sign-in policy. Steered = steer_names minus exceptions and block list, so
        // each steered pattern must lie within inspect ∪ pass-through ∪ exceptions ∪ block.
        std::vector<host_pattern> cover;
        for (const auto* list : {&cfg.proxy.inspect_hosts, &cfg.proxy.pass_through_hosts,
                                 &cfg.dns.steer_exceptions, &cfg.dns.block_names}) {
            for (const auto& t : *list) {
                if (auto p = host_pattern::parse(t)) cover.push_back(std::move(*p));
            }
        }
        auto check = [&](std::string_view text, const std::string& key, const source_location& at) {
            auto p = host_pattern::parse(text);
            if (!p || covers(cover, *p)) return;
            error(at, key + ": \"" + p->str() +
                          "\" is steered to the gateway but not covered by proxy.inspect_hosts, "
                          "so the proxy would splice it around the sign-in policy; add it to "
                          "proxy.inspect_hosts, to proxy.pass_through_hosts (spliced on purpose) "
                          "or to dns.steer_exceptions");
        };
        const auto where = pattern_where.find("dns.steer_names");
        for (std::size_t i = 0; i < cfg.dns.steer_names.size(); ++i) {
            const bool written = where != pattern_where.end() && i < where->second.size();
            check(cfg.dns.steer_names[i], "dns.steer_names[" + std::to_string(i) + "]",
                  written ? where->second[i] : table_or_main("dns"));
        }
        if (cfg.dns.steer_identity_center)
            check(identity_center_portals, "dns.steer_identity_center", table_or_main("dns"));
    }
    // Listeners of enabled components must not share an address and port (DNS listens on UDP
    // and TCP, the others on TCP, so every pair is a TCP collision).
    struct use {
        std::string key;
        endpoint ep;
        source_location where;
    };
    std::vector<use> uses;
    auto add = [&](int component, const std::string& key, const std::vector<endpoint>& eps,
                   std::string_view table, bool list) {
        for (std::size_t i = 0; i < eps.size(); ++i) {
            std::string k = list ? key + "[" + std::to_string(i) + "]" : key;
            source_location at = table_or_main(table);
            for (auto& l : listeners) {
                if (l.component == component && l.key == k && l.where_to == eps[i]) at = l.where;
            }
            uses.push_back({k, eps[i], at});
        }
    };
    if (cfg.dns.enabled) add(0, "dns.listen", cfg.dns.listen, "dns", true);
    if (cfg.proxy.enabled) {
        add(1, "proxy.sni_listen", cfg.proxy.sni_listen, "proxy", true);
        add(1, "proxy.connect_listen", cfg.proxy.connect_listen, "proxy", true);
    }
    if (cfg.admin.enabled) add(2, "admin.listen", {cfg.admin.listen}, "admin", false);
    for (std::size_t i = 0; i < uses.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
            const auto& a = uses[j].ep;
            const auto& b = uses[i].ep;
            if (a.port != b.port) continue;
            bool same_family = a.address.is_v4() == b.address.is_v4();
            bool overlap = a.address == b.address ||
                           (unspecified(a.address) && (same_family || !a.address.is_v4())) ||
                           (unspecified(b.address) && (same_family || !b.address.is_v4()));
            if (!overlap) continue;
            error(uses[i].where, uses[i].key + ": " + b.str() + " collides with " + uses[j].key +
                                     " (" + a.str() + ", at " + where_text(uses[j].where) + ")");
            break;
        }
    }
}

}  // namespace config_detail

namespace {

load_result finish(config_detail::loader& l) {
    // Cross-checks run even after other errors (all problems in one run), but not over a main
    // file that did not parse: every required key would look missing.
    l.append_imported_rules();
    if (!l.main_unparsed) l.cross_check();
    // Report in reading order: files as first met, then line and column.
    std::map<std::string, std::size_t> file_order;
    for (auto& d : l.diags) file_order.emplace(d.file, file_order.size());
    std::stable_sort(l.diags.begin(), l.diags.end(), [&](const diagnostic& a, const diagnostic& b) {
        return std::tuple(file_order[a.file], a.line, a.column) <
               std::tuple(file_order[b.file], b.line, b.column);
    });
    load_result r;
    if (l.diags.empty()) r.cfg = std::move(l.cfg);
    r.diagnostics = std::move(l.diags);
    r.notes = std::move(l.notes);
    return r;
}

}  // namespace

load_result load_config(const std::filesystem::path& file) {
    config_detail::loader l;
    l.main_file_loc = {file.string(), 1, 1};
    std::string text;
    if (!l.read_file(file, 16u << 20, text, {file.string(), 0, 0}, "configuration file", false)) {
        l.main_unparsed = true;
        return finish(l);
    }
    l.load_main(text, file);
    return finish(l);
}

load_result load_config_text(std::string_view toml, std::string_view file_name) {
    config_detail::loader l;
    std::filesystem::path file{std::string(file_name)};
    l.main_file_loc = {file.string(), 1, 1};
    l.cfg.files.push_back(file);
    l.load_main(toml, file);
    return finish(l);
}

std::string format_diagnostic(const diagnostic& d) {
    if (d.line <= 0) return d.file + ": " + d.message;
    return d.file + ":" + std::to_string(d.line) + ":" + std::to_string(d.column) + ": " +
           d.message;
}

}  // namespace consolegate::core
