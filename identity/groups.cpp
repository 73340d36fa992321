#include "consolegate/identity/groups.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <fstream>

#include "consolegate/core/idc_user.hpp"
#include "consolegate/identity/user_name.hpp"

namespace consolegate::identity {

namespace {

std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

bool valid_group(std::string_view g) {
    if (g.empty() || g.size() > 256) return false;
    for (unsigned char c : g) {
        if (c < 0x20 || c == 0x7f) return false;  // spaces pass: "Domain Users"
    }
    return true;
}

}  // namespace

struct groups_parser {
    static parsed_groups parse(std::string_view text) {
        boost::system::error_code ec;
        auto v = boost::json::parse(text, ec);
        if (ec) return {nullptr, "not JSON"};
        const auto* o = v.if_object();
        if (!o) return {nullptr, "expected an object {\"user\": [\"group\", ...]}"};
        auto t = std::make_shared<group_table>();
        for (const auto& kv : *o) {
            std::string_view user(kv.key().data(), kv.key().size());
            auto shown = "\"" + std::string(user.substr(0, 64)) + "\"";
            if (auto why = check_user_name(user); !why.empty())
                return {nullptr, shown + ": " + std::string(why)};
            const auto* a = kv.value().if_array();
            if (!a) return {nullptr, shown + ": expected an array of group names"};
            if (a->size() > max_groups_per_user)
                return {nullptr, shown + ": more than 1024 groups"};
            std::vector<std::string> groups;
            for (const auto& g : *a) {
                if (!g.is_string() || !valid_group(g.get_string()))
                    return {nullptr, shown +
                                         ": a group name is a string of 1 to 256 characters "
                                         "without control characters"};
                groups.emplace_back(g.get_string());
            }
            if (!t->by_user_.emplace(ascii_lower(user), std::move(groups)).second)
                return {nullptr, shown + " is listed twice (names compare case-insensitively)"};
        }
        return {std::move(t), ""};
    }
};

const std::vector<std::string>* group_table::find(std::string_view user) const {
    auto it = by_user_.find(ascii_lower(user));
    return it == by_user_.end() ? nullptr : &it->second;
}

parsed_groups parse_groups(std::string_view json) {
    return groups_parser::parse(json);
}

parsed_groups read_groups(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return {nullptr, "cannot read the file"};
    std::string text;
    text.resize(max_groups_file + 1);
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    if (in.bad()) return {nullptr, "cannot read the file"};
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (text.size() > max_groups_file) return {nullptr, "larger than 64 MiB"};
    return parse_groups(text);
}

std::shared_ptr<const core::corp_identity> with_groups(
    std::shared_ptr<const core::corp_identity> who, const group_table* table,
    const std::vector<std::string>& realms) {
    if (!who || !table) return who;
    std::vector<const std::vector<std::string>*> found;
    core::any_site_spelling(who->user, realms, [&](std::string_view spelling) {
        const auto* groups = table->find(spelling);
        if (groups && std::find(found.begin(), found.end(), groups) == found.end())
            found.push_back(groups);
        return false;  // every spelling
    });
    if (found.empty()) return who;
    auto out = std::make_shared<core::corp_identity>(*who);
    out->groups.clear();
    for (const auto* groups : found) {
        for (const auto& g : *groups) {
            if (std::find(out->groups.begin(), out->groups.end(), g) == out->groups.end())
                out->groups.push_back(g);
        }
    }
    return out;
}

}  // namespace consolegate::identity
