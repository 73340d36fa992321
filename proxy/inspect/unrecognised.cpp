#include "consolegate/inspect/unrecognised.hpp"

#include <array>
#include <string>
#include <vector>

#include "inspection.hpp"
#include "surface.hpp"

namespace consolegate::inspect {
namespace {

using detail::under;

// The endpoints docs/inspection.md lists, by their last (or, for /saml…, first) segment.
constexpr std::array<std::string_view, 7> known_last{
    "console", "authenticate", "signin", "federation", "switchrole", "oauth", "credentials"};

bool known(const std::vector<std::string>& segs, std::string_view host) {
    if (segs.empty()) return true;
    if (segs.front() == "saml" || segs.front() == "signup") return true;
    if (detail::classify_surface(host, segs, true) != detail::surface_endpoint::none) return true;
    for (auto k : known_last) {
        if (segs.back() == k) return true;
    }
    return false;
}

}  // namespace

bool unrecognised_sign_in_request(const core::http_request_view& req) {
    auto host = detail::host_of(req.host.empty() ? req.sni : req.host);
    if (!under(host, detail::signin_domain_of(host)) && !detail::regional_signin_host(host))
        return false;
    auto target = req.target.substr(0, req.target.find('#'));
    auto q = target.find('?');
    // A body is data whatever the method (a GET with a body is read by servers that read one).
    bool carries_data =
        (q != std::string_view::npos && q + 1 < target.size()) || !req.body.empty() ||
        req.body_truncated ||
        !(detail::iequals(req.method, "GET") || detail::iequals(req.method, "HEAD") ||
          detail::iequals(req.method, "OPTIONS"));
    if (!carries_data) return false;
    auto segs = detail::path_segments(target.substr(0, q));
    return !known(segs, host);
}

}  // namespace consolegate::inspect
