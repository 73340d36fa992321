#pragma once
// Private to the config loader: the state of one load (diagnostics, the config being built, which
// file defined which table) and a strict reader over one TOML table. toml++ stays inside the
// loader's .cpp files and this header.

#include <toml++/toml.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config_values.hpp"
#include "consolegate/core/config.hpp"

namespace consolegate::core::config_detail {

// A listen address with where it was written, for the collision check across listeners.
struct listener_use {
    std::string key;  // "dns.listen[0]"
    endpoint where_to;
    source_location where;
    int component;  // 0 dns, 1 proxy, 2 admin
};

class loader {
  public:
    std::vector<diagnostic> diags;
    std::vector<diagnostic> notes;  // load_result::notes
    config cfg;

    void error(const toml::source_region& r, std::string message);
    void error(const toml::node& n, std::string message) { error(n.source(), std::move(message)); }
    void error(const source_location& at, std::string message);
    void error_file(const std::filesystem::path& file, std::string message);
    source_location location(const toml::source_region& r) const;

    // Reads a file of at most `cap` bytes; on failure reports at `at` and returns false.
    // Files a configuration names (includes, alias files, org export, endpoint policies) must be
    // regular files; the main file may be a pipe (check-config <(…)), read as given.
    bool read_file(const std::filesystem::path& p, std::size_t cap, std::string& out,
                   const source_location& at, std::string_view what, bool regular_only = true);
    // A path as written in the file, resolved against the current file's directory.
    std::filesystem::path resolve(std::string_view written) const;

    // Processes the main file's text, then its includes.
    void load_main(std::string_view text, const std::filesystem::path& file);
    void cross_check();
    void append_imported_rules();
    bool main_unparsed = false;

    // The whole-file/table locations needed when a required key is missing.
    source_location main_file_loc;
    std::map<std::string, source_location, std::less<>> defined;  // table or key -> first place
    std::vector<listener_use> listeners;
    // "dns.steer_names" -> where each element was written (absent: the default list).
    std::map<std::string, std::vector<source_location>, std::less<>> pattern_where;
    // Whether dns.steer_identity_center was written (unwritten, it follows proxy.inspect_hosts).
    bool steer_identity_center_written = false;
    // Every org_ids / ou_paths element a [[policy.rule]] wrote, for the check against the org
    // export (read in any order with the rules, so checked in cross_check).
    struct org_selector_use {
        std::string item;   // "policy.rule \"x\".ou_paths[0]"
        std::string value;  // the selector as written
        bool ou_path = false;
        partition_set partitions = partition_bit(partition::aws);  // the rule's
        source_location where;
    };
    std::vector<org_selector_use> org_selectors;
    std::optional<source_location> realms_at;  // identity.realms, when set and not empty
    // Selectors of a [[policy.rule]] that other sections decide whether can ever match, checked
    // in cross_check: an account beside org_ids / ou_paths (the org export must place it inside
    // them), corp_users and corp_groups (an identity source, a groups source).
    struct rule_key_use {
        std::string item;      // "policy.rule \"x\".accounts[1]", "policy.rule \"x\".corp_groups"
        std::string key;       // "accounts", "corp_users", "corp_groups"
        std::size_t rule = 0;  // index into cfg.policy.rules
        std::optional<account_id> account;  // accounts: the element's
        source_location where;
    };
    std::vector<rule_key_use> rule_key_uses;

  private:
    void process_document(std::string_view text, const std::filesystem::path& file);
    void process_root(const toml::table& root, const std::filesystem::path& file);
    void process_includes(const toml::node& n);
    void include_file(const std::filesystem::path& p, const source_location& at);
    bool claim(const std::string& name, const source_location& at);

    void read_general(const toml::table& t);
    void read_dns(const toml::table& t);
    void read_dns_cache(const toml::table& t);
    void read_proxy(const toml::table& t);
    void read_ca(const toml::table& t);
    void read_policy(const toml::table& t);
    void read_rule(const toml::table& t, std::size_t index);
    void check_selectors_together(const toml::table& t, const rule_config& r,
                                  const std::string& pre);
    void read_aws_side(const toml::table& t);
    void read_aliases(const toml::table& t, const std::string& prefix);
    void read_alias_file(const std::filesystem::path& p, const source_location& at);
    void read_org_export(const std::filesystem::path& p, const source_location& at);
    void read_team(const toml::table& t);
    void check_team_effect(const toml::table& t);
    void read_audit(const toml::table& t);
    void read_admin(const toml::table& t);
    void read_identity(const toml::table& t);
    void check_kerberos(const toml::table& t);
    void check_ldap(const toml::table& t);
    void check_admin_tls(const toml::table& t);
    void read_sessions(const toml::table& t);

    std::filesystem::path dir_;                 // directory of the file being processed
    std::string file_;                          // name of the file being processed, as reported
    std::vector<std::filesystem::path> stack_;  // include chain (canonical)
    std::set<std::filesystem::path> seen_files_;
    std::map<std::string, source_location> rule_names_;
    std::vector<rule_config> imported_rules_;  // from endpoint policies, appended last
    std::map<std::string, std::pair<account_id, source_location>> alias_where_;
    std::map<account_id, std::string> alias_of_account_;  // the first alias read for it
};

// A strict reader over one table: every key read is registered, and finish() reports the rest
// as unknown with the nearest known key.
class section {
  public:
    section(loader& l, const toml::table& t, std::string prefix)
        : l_(l), t_(t), prefix_(std::move(prefix)) {}

    const toml::node* take(std::string_view key);
    std::string name(std::string_view key) const;
    void finish();

    void type_error(const toml::node& n, const std::string& what, std::string_view expected);

    void get(std::string_view key, bool& out);
    void get(std::string_view key, std::string& out);
    template <class T>
    void get_uint(std::string_view key, T& out, std::uint64_t min, std::uint64_t max);
    void get_duration(std::string_view key, duration& out);
    void get_size(std::string_view key, std::uint64_t& out);
    void get_path(std::string_view key, std::filesystem::path& out);
    void get_paths(std::string_view key, std::vector<std::filesystem::path>& out);
    void get_endpoint(std::string_view key, endpoint& out, std::uint16_t default_port,
                      int listener_component = -1);
    void get_endpoints(std::string_view key, std::vector<endpoint>& out, std::uint16_t default_port,
                       int listener_component = -1);
    void get_addresses(std::string_view key, std::vector<ip_address>& out, bool v4);
    void get_cidrs(std::string_view key, std::vector<cidr>& out);
    // Host patterns (core/host_pattern.hpp), stored canonically; where each was written goes to
    // loader::pattern_where for the cross-checks.
    void get_host_patterns(std::string_view key, std::vector<std::string>& out);
    void get_globs(std::string_view key, std::vector<std::string>& out);
    void get_strings(std::string_view key, std::vector<std::string>& out);
    template <class E>
    void get_enum(std::string_view key, E& out,
                  std::initializer_list<std::pair<std::string_view, E>> choices);

    // Calls f(element, text, "prefix.key[i]") for each string of an array; returns whether the
    // key was present as an array (so the caller replaces the default).
    template <class F>
    bool each_string(std::string_view key, F&& f);

    const toml::table& table() const { return t_; }
    loader& owner() { return l_; }

  private:
    loader& l_;
    const toml::table& t_;
    std::string prefix_;
    std::vector<std::string_view> known_;
};

std::string_view type_name(toml::node_type t);

template <class T>
void section::get_uint(std::string_view key, T& out, std::uint64_t min, std::uint64_t max) {
    const toml::node* n = take(key);
    if (!n) return;
    const auto* v = n->as_integer();
    if (!v) return type_error(*n, name(key), "an integer");
    std::int64_t x = v->get();
    if (x < 0 || static_cast<std::uint64_t>(x) < min || static_cast<std::uint64_t>(x) > max) {
        l_.error(*n, name(key) + ": must be from " + std::to_string(min) + " to " +
                         std::to_string(max) + ", got " + std::to_string(x));
        return;
    }
    out = static_cast<T>(x);
}

template <class E>
void section::get_enum(std::string_view key, E& out,
                       std::initializer_list<std::pair<std::string_view, E>> choices) {
    const toml::node* n = take(key);
    if (!n) return;
    const auto* v = n->as_string();
    if (!v) return type_error(*n, name(key), "a string");
    std::string list;
    for (auto& [text, value] : choices) {
        if (text == v->get()) {
            out = value;
            return;
        }
        list += (list.empty() ? "\"" : ", \"") + std::string(text) + "\"";
    }
    std::string bad = v->get().substr(0, 64);
    l_.error(*n, name(key) + ": expected one of " + list + ", got \"" + bad + "\"");
}

template <class F>
bool section::each_string(std::string_view key, F&& f) {
    const toml::node* n = take(key);
    if (!n) return false;
    const auto* arr = n->as_array();
    if (!arr) {
        if (const auto* s = n->as_string()) {
            l_.error(*n, name(key) + ": expected an array of strings, got a string; write [\"" +
                             s->get().substr(0, 64) + "\"]");
        } else {
            type_error(*n, name(key), "an array of strings");
        }
        return false;
    }
    constexpr std::size_t max_items = 100000;
    if (arr->size() > max_items) {
        l_.error(*n, name(key) + ": more than " + std::to_string(max_items) + " entries");
        return false;
    }
    for (std::size_t i = 0; i < arr->size(); ++i) {
        const toml::node& e = *arr->get(i);
        std::string item = name(key) + "[" + std::to_string(i) + "]";
        if (const auto* s = e.as_string()) {
            f(e, std::string_view(s->get()), item);
        } else {
            type_error(e, item, "a string");
        }
    }
    return true;
}

}  // namespace consolegate::core::config_detail
