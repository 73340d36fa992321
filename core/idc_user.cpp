#include "consolegate/core/idc_user.hpp"

#include <array>

#include "consolegate/core/glob.hpp"

namespace consolegate::core {
namespace {

constexpr std::array<std::string_view, 3> placeholders{"{user}", "{name}", "{realm}"};

}  // namespace

std::pair<std::string_view, std::string_view> split_user(std::string_view user) noexcept {
    if (auto at = user.rfind('@'); at != std::string_view::npos)
        return {user.substr(0, at), user.substr(at + 1)};
    if (auto slash = user.find('\\'); slash != std::string_view::npos)
        return {user.substr(slash + 1), user.substr(0, slash)};
    return {user, {}};
}

std::optional<std::string_view> site_name_of(std::string_view user,
                                             const std::vector<std::string>& realms) noexcept {
    auto [name, realm] = split_user(user);
    if (user.find('@') == std::string_view::npos && user.find('\\') == std::string_view::npos)
        return name;
    for (const auto& r : realms) {
        if (iequals(r, realm)) return name;
    }
    return std::nullopt;
}

bool idc_user_drops_realm(std::string_view tmpl) noexcept {
    return tmpl.find("{name}") != std::string_view::npos &&
           tmpl.find("{realm}") == std::string_view::npos;
}

std::string check_idc_user_template(std::string_view t) {
    const std::string fix =
        " (write e.g. \"{name}@corp.example\", \"{user}\" or \"{name}\"; placeholders: {user}, "
        "{name}, {realm})";
    if (t.empty()) return "is empty" + fix;
    if (t.size() > 256) return "is longer than 256 characters" + fix;
    bool names_user = false;
    for (std::size_t i = 0; i < t.size();) {
        char c = t[i];
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7f) return "holds a space or a control character" + fix;
        if (c == '}') return "has a '}' that closes no placeholder" + fix;
        if (c != '{') {
            ++i;
            continue;
        }
        bool known = false;
        for (auto p : placeholders) {
            if (t.substr(i).starts_with(p)) {
                known = true;
                names_user = names_user || p != "{realm}";
                i += p.size();
                break;
            }
        }
        if (!known) {
            auto end = t.find('}', i);
            auto what = end == std::string_view::npos ? t.substr(i) : t.substr(i, end - i + 1);
            return "has an unknown placeholder \"" + std::string(what.substr(0, 32)) + "\"" + fix;
        }
    }
    if (!names_user) return "names no user: use {user} or {name}" + fix;
    return "";
}

std::string idc_user_of(std::string_view tmpl, std::string_view corp_user,
                        const std::vector<std::string>& realms) {
    if (tmpl.empty() || corp_user.empty()) return "";
    auto [name, realm] = split_user(corp_user);
    if (name.empty()) return "";
    if (idc_user_drops_realm(tmpl) && !site_name_of(corp_user, realms)) return "";
    std::string out;
    for (std::size_t i = 0; i < tmpl.size();) {
        if (tmpl[i] != '{') {
            out.push_back(tmpl[i++]);
            continue;
        }
        auto rest = tmpl.substr(i);
        if (rest.starts_with("{user}")) {
            out.append(corp_user);
            i += 6;
        } else if (rest.starts_with("{name}")) {
            out.append(name);
            i += 6;
        } else if (rest.starts_with("{realm}")) {
            if (realm.empty()) return "";
            out.append(realm);
            i += 7;
        } else {
            return "";  // not a checked template
        }
        if (out.size() > max_idc_user) return "";
    }
    return out.size() > max_idc_user ? "" : out;
}

}  // namespace consolegate::core
