#pragma once
// A request as the proxy hands it to the inspector, for the inspector's unit tests.
#include <string_view>

#include "consolegate/core/http_request.hpp"

namespace consolegate::inspect::testing {

inline core::http_request_view request(std::string_view method, std::string_view host,
                                       std::string_view target, std::string_view body = {}) {
    core::http_request_view v;
    v.method = method;
    v.host = host;
    v.target = target;
    v.body = body;
    return v;
}

}  // namespace consolegate::inspect::testing
