#include "consolegate/inspect/portal_user.hpp"

#include <boost/json.hpp>

#include "consolegate/core/glob.hpp"
#include "consolegate/core/host_pattern.hpp"
#include "consolegate/core/partition.hpp"
#include "json_scan.hpp"

namespace consolegate::inspect {
namespace {

// The Host as sent (else the SNI), canonical: "" when it is not a host.
std::string request_host(const core::http_request_view& req) {
    auto text = req.host.empty() ? req.sni : req.host;
    auto a = core::parse_authority(text, 443);
    return a ? a->host : std::string();
}

bool token_char(char c) {
    auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f && c != '"' && c != ',' && c != ';' && c != '\\';
}

bool user_char(char c) {
    auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u != 0x7f && c != '"' && c != '\\';
}

}  // namespace

bool is_portal_api_host(const core::http_request_view& req) {
    return core::is_access_portal_api_host(request_host(req));
}

std::optional<std::string_view> portal_bearer_token(const core::http_request_view& req) {
    std::optional<std::string_view> token;
    for (const auto& [name, value] : req.headers) {
        if (!core::iequals(name, "x-amz-sso_bearer_token") &&
            !core::iequals(name, "x-amz-sso-bearer-token"))
            continue;
        auto v = value;
        while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
        while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
        if (v.size() < min_portal_token || v.size() > max_portal_token) return std::nullopt;
        for (char c : v) {
            if (!token_char(c)) return std::nullopt;
        }
        if (token && *token != v) return std::nullopt;  // two tokens: which one AWS reads is open
        token = v;
    }
    return token;
}

bool is_portal_user_request(const core::http_request_view& req) {
    if (req.method != "GET" || !is_portal_api_host(req)) return false;
    auto path = req.target.substr(0, req.target.find('?'));
    if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
    return path == "/user";
}

std::optional<std::string> portal_user_from_answer(std::string_view body) {
    if (body.empty() || body.size() > 64 * 1024) return std::nullopt;
    boost::system::error_code ec;
    boost::json::parse_options po;
    po.max_depth = 16;
    auto jv = boost::json::parse(body, ec, {}, po);
    if (ec || !jv.is_object()) return std::nullopt;
    // Boost.JSON keeps the last of repeated keys, another reader may keep the first.
    if (detail::repeated_json_key(body, 16)) return std::nullopt;
    const auto* s = jv.get_object().if_contains("subject");
    if (!s || !s->is_string()) return std::nullopt;
    std::string_view user(s->get_string().data(), s->get_string().size());
    if (user.empty() || user.size() > max_portal_user) return std::nullopt;
    for (char c : user) {
        if (!user_char(c)) return std::nullopt;
    }
    return std::string(user);
}

}  // namespace consolegate::inspect
