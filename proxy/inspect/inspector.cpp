#include "consolegate/inspect/inspector.hpp"

#include <algorithm>

#include "inspection.hpp"

namespace consolegate::inspect {

bool is_ams_reserved_role(std::string_view role_name, const options& opt) {
    return std::any_of(opt.ams_reserved_role_prefixes.begin(), opt.ams_reserved_role_prefixes.end(),
                       [&](const std::string& p) { return detail::istarts_with(role_name, p); });
}

std::vector<core::sign_in_attempt> inspect(const core::http_request_view& req, const options& opt) {
    return detail::inspection(req, opt).run();
}

}  // namespace consolegate::inspect
