#include "team/sts.hpp"

namespace consolegate::team {
namespace {

std::string form(std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
    std::string out;
    for (const auto& [k, v] : fields) {
        if (v.empty()) continue;
        if (!out.empty()) out += '&';
        out += aws_uri_encode(k, false);
        out += '=';
        out += aws_uri_encode(v, false);
    }
    return out;
}

sts_result post(const sts_call& call, std::string body, const aws_credentials* signer,
                const net::http_client_options& http, std::chrono::system_clock::time_point now) {
    sts_result out;
    auto url = net::parse_http_url(call.endpoint);
    if (!url) {
        out.error = "STS endpoint is not an http(s) URL";
        return out;
    }
    net::http_request req;
    req.method = "POST";
    req.url = call.endpoint;
    req.headers = {{"Host", url->host_header()},
                   {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
    req.body = std::move(body);
    if (signer) {
        auto q = url->target.find('?');
        std::string path = url->target.substr(0, q);
        std::string query = q == std::string::npos ? "" : url->target.substr(q + 1);
        auto signed_req = sigv4_sign({req.method, path, query, req.headers, req.body}, *signer,
                                     {call.region, "sts"}, now);
        for (auto& h : signed_req.added_headers) req.headers.push_back(std::move(h));
    }
    auto res = net::http_fetch(req, http);
    if (!res.ok()) {
        out.error = "STS request failed: " + res.message;
        return out;
    }
    return parse_sts_response(res.response.status, res.response.body);
}

}  // namespace

sts_result sts_assume_role(const sts_call& call, const aws_credentials& source,
                           const net::http_client_options& http,
                           std::chrono::system_clock::time_point now) {
    std::string duration = call.duration_seconds ? std::to_string(*call.duration_seconds) : "";
    auto body = form({{"Action", "AssumeRole"},
                      {"Version", "2011-06-15"},
                      {"RoleArn", call.role_arn},
                      {"RoleSessionName", call.session_name},
                      {"ExternalId", call.external_id},
                      {"DurationSeconds", duration}});
    return post(call, std::move(body), &source, http, now);
}

sts_result sts_assume_role_with_web_identity(const sts_call& call, const std::string& token,
                                             const net::http_client_options& http) {
    std::string duration = call.duration_seconds ? std::to_string(*call.duration_seconds) : "";
    auto body = form({{"Action", "AssumeRoleWithWebIdentity"},
                      {"Version", "2011-06-15"},
                      {"RoleArn", call.role_arn},
                      {"RoleSessionName", call.session_name},
                      {"WebIdentityToken", token},
                      {"DurationSeconds", duration}});
    return post(call, std::move(body), nullptr, http, {});
}

}  // namespace consolegate::team
