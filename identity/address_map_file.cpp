#include "consolegate/identity/address_map_file.hpp"

#include <fstream>
#include <map>

#include "consolegate/identity/address_map.hpp"
#include "consolegate/identity/user_name.hpp"

namespace consolegate::identity {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

}  // namespace

parsed_address_map parse_address_map(std::string_view text) {
    parsed_address_map out;
    std::map<core::ip_address, int> seen;
    int line_no = 0;
    while (!text.empty()) {
        ++line_no;
        auto nl = text.find('\n');
        auto line = trim(text.substr(0, nl));
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        if (line.empty() || line.front() == '#') continue;
        auto gap = line.find_first_of(" \t");
        if (gap == std::string_view::npos) {
            out.problems.push_back({line_no, "expected \"ADDRESS USER\""});
            continue;
        }
        auto address_text = line.substr(0, gap);
        auto user = trim(line.substr(gap));
        std::string unusable;
        auto address = core::parse_client_address(address_text, &unusable);
        if (!address) {
            out.problems.push_back({line_no, std::move(unusable)});
            continue;
        }
        if (auto why = check_user_name(user); !why.empty()) {
            out.problems.push_back({line_no, std::string(why)});
            continue;
        }
        if (auto [it, fresh] = seen.emplace(*address, line_no); !fresh) {
            out.problems.push_back({line_no, address->str() + " is mapped already on line " +
                                                 std::to_string(it->second)});
            continue;
        }
        out.entries.emplace_back(*address, std::string(user));
    }
    return out;
}

parsed_address_map read_address_map(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return {{}, {{0, "cannot read the file"}}};
    std::string text;
    text.resize(max_address_map_file + 1);
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    if (in.bad()) return {{}, {{0, "cannot read the file"}}};
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (text.size() > max_address_map_file) return {{}, {{0, "larger than 64 MiB"}}};
    return parse_address_map(text);
}

std::string format_problem(const std::filesystem::path& file, const file_problem& p) {
    return file.string() + (p.line > 0 ? ":" + std::to_string(p.line) : std::string()) + ": " +
           p.message;
}

std::string address_map_watch::poll(address_map& map, bool& ok) {
    ok = true;
    const auto& file = watch_.file();
    switch (watch_.poll()) {
        case file_watch::change::none: return "";
        case file_watch::change::missing:
            ok = false;
            return file.string() + ": cannot be read; the address mappings loaded before stay";
        case file_watch::change::changed: break;
    }
    auto parsed = read_address_map(file);
    if (!parsed.problems.empty()) {
        ok = false;
        return format_problem(file, parsed.problems.front()) + " (" +
               std::to_string(parsed.problems.size()) +
               " problems); the file is refused and the mappings loaded before stay";
    }
    auto refused = map.replace_file(parsed.entries, watch_.modified());
    if (refused > 0) {
        ok = false;
        return file.string() + ": " + std::to_string(parsed.entries.size() - refused) +
               " mappings loaded, " + std::to_string(refused) +
               " refused: identity.address_map_max is reached";
    }
    return file.string() + ": " + std::to_string(parsed.entries.size()) + " mappings loaded";
}

}  // namespace consolegate::identity
