#include "consolegate/core/corp_identity.hpp"

#include <array>
#include <utility>

namespace consolegate::core {
namespace {

constexpr std::array<std::pair<corp_source, std::string_view>, 4> source_names{{
    {corp_source::none, "none"},
    {corp_source::kerberos, "kerberos"},
    {corp_source::header, "header"},
    {corp_source::address_map, "address-map"},
}};

}  // namespace

std::string_view to_string(corp_source s) noexcept {
    for (auto& [v, name] : source_names) {
        if (v == s) return name;
    }
    return "none";
}

std::optional<corp_source> corp_source_from_string(std::string_view s) noexcept {
    for (auto& [v, name] : source_names) {
        if (name == s) return v;
    }
    return std::nullopt;
}

}  // namespace consolegate::core
