#include "endpoint_policy_meet.hpp"

#include "consolegate/core/glob.hpp"

namespace consolegate::core::detail {

std::optional<std::string> path_meet(const std::string& p, const std::string& q) {
    auto subtree = [](const std::string& s) {
        return s.ends_with("/*") && !has_glob_wildcard(std::string_view(s).substr(0, s.size() - 1));
    };
    bool ps = subtree(p), qs = subtree(q);
    if ((!ps && has_glob_wildcard(p)) || (!qs && has_glob_wildcard(q))) return std::nullopt;
    auto under = [](const std::string& path, const std::string& tree) {
        return path.starts_with(std::string_view(tree).substr(0, tree.size() - 1));
    };
    if (!ps && !qs) return p == q ? p : "";
    if (ps && !qs) return under(q, p) ? q : "";
    if (!ps && qs) return under(p, q) ? p : "";
    return under(p, q) ? p : under(q, p) ? q : "";
}

met meet_paths(std::vector<std::string>& x, const std::vector<std::string>& y, std::string& bad) {
    if (y.empty()) return met::some;
    if (x.empty()) {
        x = y;
        return met::some;
    }
    std::vector<std::string> both;
    for (const auto& p : x) {
        for (const auto& q : y) {
            auto m = path_meet(p, q);
            if (!m) {
                bad = "\"" + p + "\" and \"" + q + "\"";
                return met::cannot;
            }
            if (!m->empty() && std::find(both.begin(), both.end(), *m) == both.end())
                both.push_back(*m);
        }
    }
    x = std::move(both);
    return x.empty() ? met::nothing : met::some;
}

}  // namespace consolegate::core::detail
