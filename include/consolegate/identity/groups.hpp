#pragma once
// Group membership from a file (identity.groups_file; docs/identity.md): a JSON object from the
// corporate user to the names of its groups,
//
//   {"alice@CORP.EXAMPLE": ["contractors", "sandbox-admins"],
//    "CORP\\bob":          ["cloud-admins"]}
//
// Users are found ASCII case-insensitively (as corp_users rules compare them); group names are
// kept as written (corp_groups rules compare them ASCII case-insensitively). A user the file
// does not list has no groups. A file with any problem is refused whole.
//
// Thread-safety: a group_table is immutable once built; share it as shared_ptr<const>.

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "consolegate/core/corp_identity.hpp"

namespace consolegate::identity {

inline constexpr std::size_t max_groups_file = 64 * 1024 * 1024;
inline constexpr std::size_t max_groups_per_user = 1024;

class group_table {
  public:
    // The groups of `user`; nullptr when the table does not list the user.
    const std::vector<std::string>* find(std::string_view user) const;
    std::size_t users() const { return by_user_.size(); }

  private:
    friend struct groups_parser;
    std::unordered_map<std::string, std::vector<std::string>> by_user_;  // key: ASCII lower case
};

struct parsed_groups {
    std::shared_ptr<const group_table> table;  // set when `problem` is empty
    std::string problem;
};

parsed_groups parse_groups(std::string_view json);
parsed_groups read_groups(const std::filesystem::path& file);

// `who` with the groups `table` lists for its user (who->groups replaced); `who` itself when
// the table is null, lists nobody of that name, or `who` is null. A user of the site's own
// `realms` (identity.realms) gets the groups of every spelling the table lists them under
// (core::any_site_spelling: alice, alice@CORP.EXAMPLE, CORP\alice), merged: which identity
// source named the person (Kerberos on the proxy listener, the address map on the SNI one) must
// not decide whether a deny on their group reaches them.
std::shared_ptr<const core::corp_identity> with_groups(
    std::shared_ptr<const core::corp_identity> who, const group_table* table,
    const std::vector<std::string>& realms = {});

}  // namespace consolegate::identity
