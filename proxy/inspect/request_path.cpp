// The request path as the inspector and the readers it allows for read it (declared in
// inspection.hpp): segments after decoding and dot-segment removal, how a lenient router matches
// a segment, and the spellings that make a path read two ways.
#include "inspection.hpp"

namespace consolegate::inspect::detail {

// RFC 3986 section 5.2.4 dot-segment removal over a decoded, lowercased path; empty segments
// dropped so "//saml/" and "/saml" read alike.
std::vector<std::string> path_segments(std::string_view raw_path) {
    auto decoded = detail::percent_decode(raw_path, false);
    std::string p = detail::lower(decoded ? std::string_view(*decoded) : raw_path);
    std::vector<std::string> segs;
    std::string_view s = p;
    while (!s.empty()) {
        auto slash = s.find('/');
        auto seg = s.substr(0, slash);
        s = slash == std::string_view::npos ? std::string_view{} : s.substr(slash + 1);
        // Path parameters (RFC 3986 section 3.3, "/saml;jsessionid=x") do not change the
        // resource for servlet-style routers; ignore them so they cannot hide an endpoint.
        seg = seg.substr(0, seg.find(';'));
        if (seg.empty() || seg == ".") continue;
        if (seg == "..") {
            if (!segs.empty()) segs.pop_back();
            continue;
        }
        segs.emplace_back(seg);
    }
    return segs;
}

bool names_federation(const std::vector<std::string>& segs) {
    for (std::size_t i = 0; i + 1 < segs.size(); ++i) {
        if (segment_is(segs[i], "federation") &&
            (segment_is(segs[i + 1], "console") || segment_is(segs[i + 1], "credentials"))) {
            return true;
        }
    }
    return false;
}

std::optional<std::size_t> first_encoded_delimiter(std::string_view raw_path) {
    for (std::size_t i = 0; i + 2 < raw_path.size(); ++i) {
        if (raw_path[i] != '%') continue;
        auto esc = raw_path.substr(i, 3);
        if (iequals(esc, "%3f") || iequals(esc, "%23")) return i;
    }
    return std::nullopt;
}

bool segment_is(std::string_view seg, std::string_view word) noexcept {
    return name_is(seg, word) || name_is(seg.substr(0, seg.find('.')), word);
}

bool path_reads_two_ways(std::string_view raw_path) {
    if (raw_path.find('\\') != std::string_view::npos) return true;
    if (icontains(raw_path, "%2f") || icontains(raw_path, "%5c")) return true;
    // An encoded '?', '#' or ';': a server that decodes the path before it looks for the query,
    // the fragment or path parameters reads "/switchrole%3Faccount=B" as /switchrole with
    // account=B, one that does not as a path segment "switchrole?account=B" (session 10).
    if (icontains(raw_path, "%3f") || icontains(raw_path, "%23") || icontains(raw_path, "%3b"))
        return true;
    while (!raw_path.empty()) {
        auto slash = raw_path.find('/');
        auto seg = raw_path.substr(0, slash);
        raw_path =
            slash == std::string_view::npos ? std::string_view{} : raw_path.substr(slash + 1);
        seg = seg.substr(0, seg.find(';'));
        if (seg == "." || seg == ".." || seg.find('%') == std::string_view::npos) continue;
        auto decoded = percent_decode(seg, false);
        if (decoded && (*decoded == "." || *decoded == "..")) return true;
    }
    return false;
}

}  // namespace consolegate::inspect::detail
