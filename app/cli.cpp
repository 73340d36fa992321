#include "cli.hpp"

namespace consolegate::app {

args::args(int argc, char** argv, std::set<std::string> with_value, std::set<std::string> flags) {
    bool only_positional = false;
    for (int i = 1; i < argc; ++i) {  // argv[0] is the command's name
        std::string a = argv[i];
        if (only_positional || a.size() < 3 || !a.starts_with("--")) {
            positional_.push_back(a);
            continue;
        }
        if (a == "--") {
            only_positional = true;
            continue;
        }
        std::string name = a.substr(2);
        std::optional<std::string> inline_value;
        if (auto eq = name.find('='); eq != std::string::npos) {
            inline_value = name.substr(eq + 1);
            name.resize(eq);
        }
        if (with_value.count(name)) {
            if (inline_value) {
                values_.emplace(name, *inline_value);
            } else if (i + 1 < argc) {
                values_.emplace(name, argv[++i]);
            } else {
                error_ = "option --" + name + " needs a value";
                return;
            }
        } else if (flags.count(name) && !inline_value) {
            flags_.insert(name);
        } else {
            error_ = "unknown option --" + name;
            return;
        }
    }
}

std::optional<std::string> args::value(const std::string& name) const {
    auto [b, e] = values_.equal_range(name);
    if (b == e) return std::nullopt;
    return std::prev(e)->second;  // the last one wins, like most CLIs
}

std::vector<std::string> args::values(const std::string& name) const {
    std::vector<std::string> out;
    auto [b, e] = values_.equal_range(name);
    for (auto it = b; it != e; ++it) out.push_back(it->second);
    return out;
}

}  // namespace consolegate::app
