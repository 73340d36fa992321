#pragma once
// Traffic on a sign-in host that the inspector has no endpoint for: what AWS may have added since
// the inspector was written. Such a request is still judged by the inspector's rule for unknown
// sign-in paths (docs/inspection.md: its sign-in parameters are read and judged, an unreadable
// body is refused); this only tells the gateway to count it
// (consolegate_signin_unrecognised_requests_total) so operators notice new AWS traffic.

#include "consolegate/core/http_request.hpp"

namespace consolegate::inspect {

// True for a request to signin.aws.amazon.com (or a name under it) or signin.<region>.amazonaws.com
// that carries data (a method other than GET, HEAD and
// OPTIONS, or a query) to a path that is none of the endpoints the inspector reads. Pure.
bool unrecognised_sign_in_request(const core::http_request_view& req);

}  // namespace consolegate::inspect
