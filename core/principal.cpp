#include "consolegate/core/principal.hpp"

#include <array>

#include "consolegate/core/partition.hpp"

namespace consolegate::core {
namespace {

// Splits "a:b:c" into exactly n fields, the last taking the rest (resource parts may hold ':').
template <std::size_t N>
std::optional<std::array<std::string_view, N>> split_fields(std::string_view s, char sep) {
    std::array<std::string_view, N> out;
    for (std::size_t i = 0; i + 1 < N; ++i) {
        auto p = s.find(sep);
        if (p == std::string_view::npos) return std::nullopt;
        out[i] = s.substr(0, p);
        s.remove_prefix(p + 1);
    }
    out[N - 1] = s;
    return out;
}

std::string_view last_segment(std::string_view path) {
    auto p = path.rfind('/');
    return p == std::string_view::npos ? path : path.substr(p + 1);
}

// The partitions of core/partition.hpp: an ARN of one the gateway does not know is no ARN.
bool is_partition(std::string_view p) {
    return partition_from_string(p).has_value();
}

}  // namespace

std::optional<principal> parse_arn(std::string_view arn) {
    // arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE
    auto f = split_fields<6>(arn, ':');
    if (!f || (*f)[0] != "arn" || !is_partition((*f)[1]) || !(*f)[3].empty()) return std::nullopt;
    auto service = (*f)[2];
    auto acct = account_id::parse((*f)[4]);
    auto resource = (*f)[5];
    if (!acct || resource.empty()) return std::nullopt;

    principal p;
    p.partition = std::string((*f)[1]);
    p.account = *acct;
    auto take = [&](std::string_view prefix) -> std::optional<std::string_view> {
        if (!resource.starts_with(prefix)) return std::nullopt;
        auto rest = resource.substr(prefix.size());
        if (rest.empty() || rest.back() == '/') return std::nullopt;
        return rest;
    };

    if (service == "iam") {
        if (resource == "root") {
            p.kind = principal_kind::root;
            return p;
        }
        if (auto r = take("role/")) {
            p.kind = principal_kind::role;
            p.role_name = std::string(last_segment(*r));
        } else if (auto u = take("user/")) {
            p.kind = principal_kind::iam_user;
            p.user_name = std::string(last_segment(*u));
        } else if (auto sp = take("saml-provider/")) {
            p.kind = principal_kind::saml_provider;
            p.provider_name = std::string(*sp);
        } else {
            return std::nullopt;
        }
    } else if (service == "sts") {
        if (auto r = take("assumed-role/")) {
            // assumed-role/ROLE/SESSION: the session name may not contain '/', the role no path.
            auto slash = r->find('/');
            if (slash == std::string_view::npos || slash == 0) return std::nullopt;
            p.kind = principal_kind::assumed_role;
            p.role_name = std::string(r->substr(0, slash));
            p.session_name = std::string(r->substr(slash + 1));
            if (p.session_name.find('/') != std::string::npos) return std::nullopt;
        } else if (auto u = take("federated-user/")) {
            p.kind = principal_kind::federated_user;
            p.user_name = std::string(*u);
        } else {
            return std::nullopt;
        }
    } else {
        return std::nullopt;
    }
    p.permission_set = permission_set_of(p.role_name);
    return p;
}

std::string permission_set_of(std::string_view role) {
    constexpr std::string_view prefix = "AWSReservedSSO_";
    // AWSReservedSSO_<name>_<16 hex>: the name itself may contain '_', so split at the last one.
    if (!role.starts_with(prefix)) return {};
    auto rest = role.substr(prefix.size());
    auto us = rest.rfind('_');
    if (us == std::string_view::npos || us == 0) return {};
    auto hex = rest.substr(us + 1);
    if (hex.size() != 16) return {};
    for (char c : hex) {
        bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
        if (!ok) return {};
    }
    return std::string(rest.substr(0, us));
}

}  // namespace consolegate::core
