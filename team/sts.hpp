#pragma once
// AWS STS calls the credential chain makes: AssumeRole (signed with the source credentials) and
// AssumeRoleWithWebIdentity (unsigned; the web identity token is the proof). Query protocol, form
// body, XML answer (docs.aws.amazon.com/STS/latest/APIReference). Errors carry STS's error code,
// never a token or a key. Blocking (the feed thread calls it).

#include <chrono>
#include <optional>
#include <string>

#include "consolegate/net/http_client.hpp"
#include "team/sigv4.hpp"

namespace consolegate::team {

struct sts_result {
    std::optional<aws_credentials> credentials;
    std::optional<std::chrono::system_clock::time_point> expiration;
    std::string error;  // "" on success
};

struct sts_call {
    std::string endpoint;  // "https://sts.eu-west-1.amazonaws.com"
    std::string region;
    std::string role_arn;
    std::string session_name;
    std::string external_id;  // AssumeRole only; "" = none
    std::optional<int> duration_seconds;
};

sts_result sts_assume_role(const sts_call& call, const aws_credentials& source,
                           const net::http_client_options& http,
                           std::chrono::system_clock::time_point now);

sts_result sts_assume_role_with_web_identity(const sts_call& call, const std::string& token,
                                             const net::http_client_options& http);

// The <Credentials> of an AssumeRole / AssumeRoleWithWebIdentity response, or STS's <Error>.
sts_result parse_sts_response(unsigned http_status, const std::string& body);

}  // namespace consolegate::team
