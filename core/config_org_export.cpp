// The org export: a JSON snapshot of AWS Organizations (config/README.md, "Org export";
// config/tools/org-export.py writes it). Boost.JSON is used here for pure parsing only.

#include <boost/json.hpp>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "config_values.hpp"
#include "consolegate/core/org_tree.hpp"
#include "json_doc.hpp"

namespace consolegate::core::config_detail {
namespace {

using detail::for_each_json_value;
using detail::json_key;
using detail::json_line_col;
using detail::json_step;

// Large organisations have a few thousand accounts; an export beyond this is not one of ours.
constexpr std::size_t max_accounts = 1'000'000;

const boost::json::string* string_field(const boost::json::object& o, std::string_view key) {
    auto* v = o.if_contains(key);
    return v ? v->if_string() : nullptr;
}

// Where values start in the export's text, so each problem is reported at file:line:col as
// check-config promises (Boost.JSON keeps no positions): the top-level members, the elements of
// "accounts" and their members. Built on the first problem only (an export of a million
// accounts is read once, and scanned again only to say where it is wrong), from text that has
// parsed as JSON.
class export_positions {
  public:
    static constexpr std::size_t none = std::string_view::npos;
    explicit export_positions(std::string_view text) {
        for_each_json_value(text, 3, [&](std::span<const json_step> path, std::size_t at) {
            if (path.empty() || path[0].is_index) return;
            if (path.size() == 1) {
                top_.emplace(json_key(path[0]), at);
            } else if (json_key(path[0]) == "accounts" && path[1].is_index) {
                const auto i = path[1].index;
                if (path.size() == 2) {
                    if (accounts_.size() <= i) accounts_.resize(i + 1);
                    accounts_[i].at = at;
                } else if (!path[2].is_index && i < accounts_.size()) {
                    accounts_[i].fields.emplace_back(json_key(path[2]), at);
                }
            }
        });
    }
    std::size_t top(std::string_view key) const {
        auto it = top_.find(std::string(key));
        return it == top_.end() ? none : it->second;
    }
    // accounts[i]'s member `key`, else accounts[i] itself.
    std::size_t account(std::size_t i, std::string_view key = {}) const {
        if (i >= accounts_.size()) return top("accounts");
        for (const auto& [k, at] : accounts_[i].fields) {
            if (k == key) return at;
        }
        return accounts_[i].at;
    }

  private:
    struct element {
        std::size_t at = none;
        std::vector<std::pair<std::string, std::size_t>> fields;
    };
    std::unordered_map<std::string, std::size_t> top_;
    std::vector<element> accounts_;
};

}  // namespace

void parse_org_export(std::string_view json, const std::string& file, policy_config& out,
                      std::vector<diagnostic>& diags) {
    auto add = [&](std::string msg, int line = 0, int col = 0) {
        diags.push_back({file, line, col, std::move(msg)});
    };
    std::optional<export_positions> positions;
    auto add_at = [&](std::string msg, auto where) {
        if (!positions) positions.emplace(json);
        const std::size_t at = where(*positions);
        if (at == export_positions::none) return add(std::move(msg));
        auto [line, col] = json_line_col(json, at);
        add(std::move(msg), line, col);
    };
    // A top-level member's value, or accounts[i] (its member `key` when it has one).
    auto at_top = [&](std::string msg, std::string_view key) {
        add_at(std::move(msg), [&](const export_positions& p) { return p.top(key); });
    };
    auto at_root = [&](std::string msg) {
        add_at(std::move(msg),
               [&](const export_positions&) { return json.find_first_not_of(" \t\r\n"); });
    };
    auto at_account = [&](std::string msg, std::size_t i, std::string_view key = {}) {
        add_at(std::move(msg), [&](const export_positions& p) { return p.account(i, key); });
    };
    boost::json::parse_options opts;
    opts.max_depth = 16;
    boost::json::stream_parser p({}, opts);
    boost::system::error_code ec;
    std::size_t n = p.write(json.data(), json.size(), ec);
    if (!ec) p.finish(ec);
    if (ec) {
        auto [line, col] = json_line_col(json, n);
        add("org export is not valid JSON: " + ec.message(), line, col);
        return;
    }
    boost::json::value root = p.release();
    auto* obj = root.if_object();
    if (!obj) {
        at_root("org export must be a JSON object with \"organization_id\" and \"accounts\"");
        return;
    }
    static constexpr std::string_view known[] = {"organization_id", "root_id", "generated_at",
                                                 "accounts"};
    for (auto& kv : *obj) {
        if (std::find(std::begin(known), std::end(known), kv.key()) == std::end(known))
            at_top("unknown key \"" + std::string(kv.key().substr(0, 64)) +
                       "\" in the org export (its keys: organization_id, root_id, generated_at, "
                       "accounts)",
                   kv.key());
    }
    const auto* org = string_field(*obj, "organization_id");
    if (!org) {
        at_root("org export: \"organization_id\" (a string like \"o-a1b2c3d4e5\") is missing");
        return;
    }
    if (!is_org_id(*org)) {
        at_top("org export: organization_id \"" + std::string(org->subview().substr(0, 64)) +
                   "\" is not an organization ID (o- and 10..32 of [a-z0-9])",
               "organization_id");
        return;
    }
    out.org_id = std::string(*org);
    auto* accounts_v = obj->if_contains("accounts");
    const auto* accounts = accounts_v ? accounts_v->if_array() : nullptr;
    if (!accounts) {
        if (accounts_v)
            at_top("org export: \"accounts\" must be an array of {id, name, path}", "accounts");
        else
            at_root("org export: \"accounts\" (an array of {id, name, path}) is missing");
        return;
    }
    if (accounts->size() > max_accounts) {
        at_top("org export: more than " + std::to_string(max_accounts) + " accounts", "accounts");
        return;
    }
    // An organization has one root (Organizations ListRoots): every account's path starts with
    // it. Accounts under another root are a corrupt export, and an OU selector written on the
    // real root would miss them (a deny by OU let them through while an org_ids allow matched).
    std::string root_id;
    if (const auto* r = obj->if_contains("root_id")) {
        const auto* rs = r->if_string();
        if (!rs || !is_root_id(*rs)) {
            at_top(
                "org export: root_id must be the organization's root ID, a string like \"r-ab12\"",
                "root_id");
            return;
        }
        root_id = std::string(*rs);
    }
    std::unordered_set<account_id> seen;
    // Every OU has one parent (Organizations ListParents): each OU ID reaches its path through
    // the same ancestors in every account's path, where the first account that names it put it.
    // An export that places one OU under two parents (two exports merged across an OU move) is
    // two trees: a selector on the OU's real path would miss the accounts of the other, so a
    // deny by OU let them through.
    struct placed {
        std::string path;  // the OU's own path, up to and including it
        std::size_t account = 0;
    };
    std::unordered_map<std::string, placed> ou_paths;
    const std::string prefix = out.org_id + "/";
    out.accounts.reserve(accounts->size());
    for (std::size_t i = 0; i < accounts->size(); ++i) {
        const std::string where = "org export: accounts[" + std::to_string(i) + "]";
        auto at_path = [&](std::string msg) { at_account(std::move(msg), i, "path"); };
        const auto* a = (*accounts)[i].if_object();
        if (!a) {
            at_account(where + " must be an object {\"id\", \"name\", \"path\"}", i);
            continue;
        }
        org_account acct;
        const auto* id = string_field(*a, "id");
        if (!id) {
            if (a->if_contains("id") && (*a).at("id").is_number())
                at_account(where + ".id must be a string of 12 digits (numbers lose leading zeros)",
                           i, "id");
            else
                at_account(where + ".id (a string of 12 digits) is missing", i, "id");
            continue;
        }
        auto parsed = account_id::parse(*id);
        if (!parsed) {
            at_account(where + ".id \"" + std::string(id->subview().substr(0, 32)) +
                           "\" is not an account ID (exactly 12 digits)",
                       i, "id");
            continue;
        }
        acct.id = *parsed;
        if (!seen.insert(acct.id).second) {
            at_account(where + ".id " + acct.id.str() + " appears more than once", i, "id");
            continue;
        }
        if (const auto* name = string_field(*a, "name"))
            acct.name = std::string(name->subview().substr(0, 256));
        const auto* path = string_field(*a, "path");
        if (!path) {
            at_account(where + ".path (the parent's OU path, e.g. \"o-…/r-…/ou-…/\") is missing", i,
                       "path");
            continue;
        }
        std::string_view pv = *path;
        if (auto err = check_ou_path(pv); !err.empty()) {
            at_path(where + ".path: " + err);
            continue;
        }
        if (pv.ends_with("/*")) {
            at_path(where + ".path must name the account's parent exactly (no \"/*\")");
            continue;
        }
        if (!pv.starts_with(prefix) || pv.size() == prefix.size()) {
            at_path(where + ".path must start with the organization and its root (\"" + prefix +
                    "r-…/\")");
            continue;
        }
        if (!is_org_path(pv)) {
            at_path(where + ".path \"" + std::string(pv.substr(0, 128)) +
                    "\" is not an organization path (\"o-…/r-…/\" then \"ou-…/\" segments)");
            continue;
        }
        auto account_root = pv.substr(prefix.size(), pv.find('/', prefix.size()) - prefix.size());
        if (root_id.empty()) root_id = std::string(account_root);
        if (account_root != root_id) {
            at_path(where + ".path \"" + std::string(pv.substr(0, 128)) + "\" is under root \"" +
                    std::string(account_root) + "\", and the organization's root is \"" + root_id +
                    "\" (" +
                    (obj->if_contains("root_id") ? "root_id" : "the first account's path") +
                    "): an organization has one root; export it again");
            continue;
        }
        if (auto bad = foreign_ou(pv, root_id); !bad.empty()) {
            at_path(where + ".path \"" + std::string(pv.substr(0, 128)) + "\" names OU \"" +
                    std::string(bad) + "\", and every OU under root \"" + root_id +
                    "\" is named \"ou-" + root_id.substr(2) +
                    "-…\" (an OU ID carries its root's); export it again");
            continue;
        }
        std::string_view moved;
        for (std::size_t at = prefix.size() + root_id.size() + 1; at < pv.size();) {
            auto slash = pv.find('/', at);
            auto ou = pv.substr(at, slash - at);
            auto [it, added] = ou_paths.try_emplace(
                std::string(ou), placed{std::string(pv.substr(0, slash + 1)), i});
            if (!added && it->second.path != pv.substr(0, slash + 1)) {
                at_path(
                    where + ".path \"" + std::string(pv.substr(0, 128)) + "\" places OU \"" +
                    std::string(ou) + "\" at \"" +
                    std::string(pv.substr(0, slash + 1)).substr(0, 128) + "\", and accounts[" +
                    std::to_string(it->second.account) + "] at \"" +
                    it->second.path.substr(0, 128) +
                    "\": an OU has one parent (and is never its own ancestor); export it again");
                moved = ou;
                break;
            }
            at = slash + 1;
        }
        if (!moved.empty()) continue;
        acct.path = std::string(pv);
        for (auto& kv : *a) {
            if (kv.key() != "id" && kv.key() != "name" && kv.key() != "path" &&
                kv.key() != "email" && kv.key() != "status")
                at_account(where + ": unknown key \"" + std::string(kv.key().substr(0, 64)) +
                               "\" (an account has id, name, path, email, status)",
                           i, kv.key());
        }
        out.accounts.push_back(std::move(acct));
    }
}

}  // namespace consolegate::core::config_detail
