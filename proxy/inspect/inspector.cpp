#include "consolegate/inspect/inspector.hpp"

#include "inspection.hpp"

namespace consolegate::inspect {

std::vector<core::sign_in_attempt> inspect(const core::http_request_view& req, const options& opt) {
    return detail::inspection(req, opt).run();
}

}  // namespace consolegate::inspect
