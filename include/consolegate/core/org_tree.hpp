#pragma once
// The organization as the policy sees it: every account of the org export with its
// aws:PrincipalOrgPaths value, and the selector semantics of IAM's organization condition keys.
//
// An account's path is its parent's path: "o-x/r-y/" for an account directly under the root,
// "o-x/r-y/ou-a/ou-b/" for one in ou-b. An OU-path selector is an IAM StringLike value matched
// against that path (case-sensitive):
//   "o-x/r-y/ou-z/"   accounts directly in ou-z only (no wildcard: string equality)
//   "o-x/r-y/ou-z/*"  ou-z and every OU below it ('*' crosses '/')
// The trailing '/' makes OU IDs that share a prefix ("ou-ab12-1111111" and "ou-ab12-11111111")
// distinct; a selector written without it ("…/ou-ab12-1111111*") matches both, exactly as IAM
// would, and the config loader warns about it.
//
// Thread-safety: immutable after construction.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "consolegate/core/ids.hpp"
#include "consolegate/core/policy_config.hpp"

namespace consolegate::core {

// IAM StringLike: '*' any run (crossing '/'), '?' one character, case-sensitive.
bool org_path_like(std::string_view selector, std::string_view path) noexcept;

// A well-formed aws:PrincipalOrgPaths value without wildcards: "o-…/r-…/" followed by zero or
// more "ou-…/" segments (IDs shaped as in ids.hpp).
bool is_org_path(std::string_view path) noexcept;

// A selector as IAM would accept it in StringLike: a well-formed path, or one that starts with
// a literal "o-…/" segment and otherwise holds only ID characters, '/', '*' and '?'.
bool is_org_path_selector(std::string_view selector) noexcept;

// The first OU of `path` (an account's path or an ou_paths selector, "o-…/r-…/ou-…/…") that
// cannot be under `root` ("r-ab12"): an OU ID carries its root's ID ("ou-ab12-…", Organizations
// API reference, OrganizationalUnit Id), so such a path names no OU of that organization. ""
// when every OU can be, or when `root` is empty.
std::string_view foreign_ou(std::string_view path, std::string_view root) noexcept;

class org_tree {
  public:
    org_tree() = default;
    // Accounts with a path that is not a well-formed org path are kept out of the tree (the
    // loader reports them); a repeated account keeps its first path.
    org_tree(std::string org_id, const std::vector<org_account>& accounts);
    static org_tree from_config(const policy_config& config);

    // nullptr when the account is not in the export.
    const std::string* path_of(account_id a) const noexcept;
    // The organization the account belongs to ("o-…", the path's first segment); empty if unknown.
    std::string_view org_of(account_id a) const noexcept;
    bool in_org(account_id a, std::string_view org_id) const noexcept;
    bool matches_path(account_id a, std::string_view selector) const noexcept;

    const std::string& org_id() const noexcept { return org_id_; }
    std::size_t size() const noexcept { return index_.size(); }
    // Distinct paths, each with the accounts directly under it (compiled_policy works per path).
    const std::vector<std::string>& paths() const noexcept { return paths_; }
    const std::vector<std::vector<account_id>>& accounts_by_path() const noexcept {
        return members_;
    }

  private:
    std::string org_id_;
    std::vector<std::string> paths_;
    std::vector<std::vector<account_id>> members_;
    std::unordered_map<account_id, std::uint32_t> index_;  // account -> index into paths_
};

}  // namespace consolegate::core
