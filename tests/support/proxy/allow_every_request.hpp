#pragma once
// Tests and benchmarks of the proxy alone: an inspector that forwards every request, standing in
// for one that finds no sign-in in it. Never shipped: the gateway's inspector is the enforcement
// pipeline (app/enforcement.hpp), and a verdict nobody set is a deny.

#include "consolegate/proxy/inspection.hpp"

namespace consolegate::test {

inline proxy::verdict allow_every_request(const core::http_request_view&) {
    proxy::verdict v;
    v.effect = core::effect::allow;
    v.basis = proxy::verdict_basis::no_sign_in;
    return v;
}

}  // namespace consolegate::test
