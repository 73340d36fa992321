#include "consolegate/core/org_tree.hpp"

#include "consolegate/core/glob.hpp"

namespace consolegate::core {
namespace {

bool is_id_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

std::string_view first_segment(std::string_view path) {
    auto slash = path.find('/');
    return slash == std::string_view::npos ? std::string_view{} : path.substr(0, slash);
}

}  // namespace

bool org_path_like(std::string_view selector, std::string_view path) noexcept {
    return glob_match(selector, path, glob_case::sensitive);
}

bool is_org_path(std::string_view path) noexcept {
    if (path.empty() || path.back() != '/') return false;
    path.remove_suffix(1);
    std::size_t index = 0;
    while (true) {
        auto slash = path.find('/');
        auto seg = path.substr(0, slash);
        bool ok = index == 0 ? is_org_id(seg) : index == 1 ? is_root_id(seg) : is_ou_id(seg);
        if (!ok) return false;
        ++index;
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
    }
    return index >= 2;
}

bool is_org_path_selector(std::string_view s) noexcept {
    if (!has_glob_wildcard(s)) return is_org_path(s);
    auto org = first_segment(s);
    if (!is_org_id(org)) return false;
    for (char c : s) {
        if (!is_id_char(c) && c != '/' && c != '*' && c != '?') return false;
    }
    return true;
}

std::string_view foreign_ou(std::string_view path, std::string_view root) noexcept {
    if (root.size() < 3) return {};
    auto suffix = root.substr(2);  // "r-ab12" -> "ab12"
    for (std::size_t index = 0; !path.empty(); ++index) {
        auto slash = path.find('/');
        auto seg = path.substr(0, slash);
        if (index >= 2 && seg.starts_with("ou-")) {
            auto rest = seg.substr(3);
            if (!rest.starts_with(suffix) || rest.size() == suffix.size() ||
                rest[suffix.size()] != '-')
                return seg;
        }
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
    }
    return {};
}

org_tree::org_tree(std::string org_id, const std::vector<org_account>& accounts)
    : org_id_(std::move(org_id)) {
    std::unordered_map<std::string_view, std::uint32_t> by_path;  // views into `accounts`
    index_.reserve(accounts.size());
    for (const auto& a : accounts) {
        if (!is_org_path(a.path) || index_.contains(a.id)) continue;
        auto [it, fresh] = by_path.try_emplace(a.path, static_cast<std::uint32_t>(paths_.size()));
        if (fresh) {
            paths_.push_back(a.path);
            members_.emplace_back();
        }
        members_[it->second].push_back(a.id);
        index_.emplace(a.id, it->second);
    }
}

org_tree org_tree::from_config(const policy_config& config) {
    return org_tree(config.org_id, config.accounts);
}

const std::string* org_tree::path_of(account_id a) const noexcept {
    auto it = index_.find(a);
    return it == index_.end() ? nullptr : &paths_[it->second];
}

std::string_view org_tree::org_of(account_id a) const noexcept {
    const auto* p = path_of(a);
    return p ? first_segment(*p) : std::string_view{};
}

bool org_tree::in_org(account_id a, std::string_view org_id) const noexcept {
    auto org = org_of(a);
    return !org.empty() && org == org_id;
}

bool org_tree::matches_path(account_id a, std::string_view selector) const noexcept {
    const auto* p = path_of(a);
    return p && org_path_like(selector, *p);
}

}  // namespace consolegate::core
