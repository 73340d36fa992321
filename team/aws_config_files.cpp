#include "aws_config_files.hpp"

namespace consolegate::team {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

}  // namespace

aws_profiles parse_aws_ini(std::string_view text, bool config_file) {
    aws_profiles out;
    if (text.size() > aws_config_file_max_bytes) return out;
    aws_profile* current = nullptr;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto nl = text.find('\n', pos);
        if (nl == std::string_view::npos) nl = text.size();
        std::string_view raw = text.substr(pos, nl - pos);
        pos = nl + 1;
        bool indented = !raw.empty() && (raw.front() == ' ' || raw.front() == '\t');
        auto line = trim(raw);
        if (line.empty() || line.front() == '#' || line.front() == ';') continue;
        if (line.front() == '[') {
            current = nullptr;
            if (line.back() != ']') continue;
            auto name = trim(line.substr(1, line.size() - 2));
            if (config_file) {
                if (name.starts_with("profile ") || name.starts_with("profile\t")) {
                    name = trim(name.substr(8));
                } else if (name != "default") {
                    continue;  // [sso-session x], [services x]: not profiles
                }
            }
            if (!name.empty()) current = &out[std::string(name)];
            continue;
        }
        if (!current || indented) continue;  // nested sub-section values belong to a parent key
        auto eq = line.find('=');
        if (eq == std::string_view::npos) continue;
        auto key = trim(line.substr(0, eq));
        auto value = trim(line.substr(eq + 1));
        if (!key.empty()) (*current)[std::string(key)] = std::string(value);
    }
    return out;
}

std::optional<std::string> profile_value(const aws_profiles& files, std::string_view profile,
                                         std::string_view key) {
    auto p = files.find(profile);
    if (p == files.end()) return std::nullopt;
    auto v = p->second.find(key);
    if (v == p->second.end() || v->second.empty()) return std::nullopt;
    return v->second;
}

}  // namespace consolegate::team
