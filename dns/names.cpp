#include "names.hpp"

#include <algorithm>

namespace consolegate::dns {
namespace {

std::vector<std::string> split(std::string_view s) {
    std::vector<std::string> out;
    while (true) {
        const auto dot = s.find('.');
        out.emplace_back(s.substr(0, dot));
        if (dot == std::string_view::npos) break;
        s.remove_prefix(dot + 1);
    }
    return out;
}

}  // namespace

bool name_set::add(std::string_view pattern) {
    if (!pattern.empty() && pattern.back() == '.') pattern.remove_suffix(1);
    if (pattern.empty() || pattern.size() > 253) return false;
    std::string lower(pattern);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    auto labels = split(lower);
    for (const auto& l : labels) {
        if (l.empty() || l.size() > 63) return false;
    }
    const bool inner_star = std::any_of(labels.begin() + 1, labels.end(),
                                        [](const std::string& l) { return l == "*"; });
    if (inner_star) {
        labels_.push_back(std::move(labels));
    } else if (labels.front() == "*") {
        if (labels.size() < 2) return false;  // "*" alone would steer the whole internet
        suffixes_.push_back(lower.substr(1));
    } else {
        exact_.push_back(std::move(lower));
    }
    return true;
}

bool name_set::matches(std::string_view name) const noexcept {
    for (const auto& e : exact_) {
        if (name == e) return true;
    }
    for (const auto& s : suffixes_) {
        if (name.size() > s.size() && name.ends_with(s)) return true;
    }
    for (const auto& pat : labels_) {
        std::string_view rest = name;
        bool ok = true;
        for (std::size_t i = 0; i < pat.size() && ok; ++i) {
            const auto dot = rest.find('.');
            const std::string_view label = rest.substr(0, dot);
            const bool last = i + 1 == pat.size();
            if (label.empty() || (last != (dot == std::string_view::npos))) {
                ok = false;
                break;
            }
            if (pat[i] != "*" && label != pat[i]) {
                ok = false;
            }
            rest = last ? std::string_view{} : rest.substr(dot + 1);
        }
        if (ok) return true;
    }
    return false;
}

}  // namespace consolegate::dns
