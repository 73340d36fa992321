#include "consolegate/identity/trusted_header.hpp"

#include <algorithm>
#include <string>

#include "consolegate/identity/user_name.hpp"

namespace consolegate::identity {

header_identity from_trusted_header(const core::ip_address& client,
                                    const std::vector<core::cidr>& trusted,
                                    std::span<const std::string_view> values) {
    header_identity out;
    if (!std::any_of(trusted.begin(), trusted.end(),
                     [&](const core::cidr& c) { return c.contains(client); })) {
        out.outcome = header_outcome::untrusted;
        return out;
    }
    if (values.size() != 1) {
        out.outcome = header_outcome::ambiguous;
        return out;
    }
    auto v = values.front();
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    if (!check_user_name(v).empty()) {
        out.outcome = header_outcome::invalid;
        return out;
    }
    auto id = std::make_shared<core::corp_identity>();
    id->user = std::string(v);
    id->source = core::corp_source::header;
    out.outcome = header_outcome::identified;
    out.who = std::move(id);
    return out;
}

}  // namespace consolegate::identity
