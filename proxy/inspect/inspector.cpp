#include "consolegate/inspect/inspector.hpp"

#include <algorithm>

#include "consolegate/core/glob.hpp"
#include "inspection.hpp"

namespace consolegate::inspect {

bool is_ams_reserved_role(std::string_view role_name, const options& opt) {
    return std::any_of(opt.ams_reserved_role_prefixes.begin(), opt.ams_reserved_role_prefixes.end(),
                       [&](const std::string& p) {
                           return core::glob_match_prefix(p, role_name,
                                                          core::glob_case::insensitive);
                       });
}

std::vector<core::sign_in_attempt> inspect(const core::http_request_view& req, const options& opt) {
    return detail::inspection(req, opt).run();
}

}  // namespace consolegate::inspect
