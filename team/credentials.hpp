#pragma once
// The AWS credential chain, in the order the AWS CLI resolves it
// (docs.aws.amazon.com/cli/latest/userguide/cli-chap-configure.html#configure-precedence):
//   1. environment: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN), or the
//      variables the configuration names instead;
//   2. the profile's `role_arn` (STS AssumeRole with the credentials of `source_profile`, which
//      may itself assume a role, or of `credential_source` = Environment | EcsContainer), or with
//      `web_identity_token_file` (AssumeRoleWithWebIdentity);
//   3. AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN [+ AWS_ROLE_SESSION_NAME] (IRSA on EKS);
//   4. the profile's static keys in the credentials file;
//   5. the profile's `credential_process` (IAM Roles Anywhere's signing helper);
//   6. the profile's static keys in the config file;
//   7. the container endpoint: AWS_CONTAINER_CREDENTIALS_FULL_URI or _RELATIVE_URI (on
//      169.254.170.2) with AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or _TOKEN (ECS, EKS Pod
//      Identity).
// The profile is the configured one, else AWS_PROFILE, else "default"; the files are
// AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE, else ~/.aws/credentials and ~/.aws/config.
// STS is reached at AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL, else sts.<region>.amazonaws.com
// (region: the profile's, AWS_REGION, AWS_DEFAULT_REGION, else the caller's).
// EC2 instance metadata (IMDS) is not a source: the gateway runs on premises or in containers.
//
// Temporary credentials are kept until `refresh_margin` before they expire, then the chain is
// resolved again; if that fails while the old ones are still valid they are used (and the error
// reported). Secrets never appear in `source` or `error`.
// Thread-safety: get() is serialised by an internal mutex (it may block on the network).

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "consolegate/net/http_client.hpp"
#include "team/sigv4.hpp"

namespace consolegate::team {

struct credential_options {
    std::string profile;  // from the configuration; beats AWS_PROFILE; "" = AWS_PROFILE/default
    std::string region;   // for STS when neither the profile nor the environment names one
    // The environment (tests inject one); default ::getenv.
    std::function<std::optional<std::string>(const std::string&)> getenv;
    // Step 1's variable names: the configuration may rename them (team.dynamodb.*_env) so the
    // gateway's keys need not be the process's AWS_ACCESS_KEY_ID.
    std::string access_key_id_env = "AWS_ACCESS_KEY_ID";
    std::string secret_access_key_env = "AWS_SECRET_ACCESS_KEY";
    std::string session_token_env = "AWS_SESSION_TOKEN";
    net::http_client_options http;
    std::chrono::milliseconds process_timeout{60'000};
    std::chrono::milliseconds refresh_margin{5 * 60'000};
};

struct credential_result {
    std::optional<aws_credentials> credentials;
    std::optional<std::chrono::system_clock::time_point> expiration;  // none: long-term keys
    std::string source;  // "environment", "profile ops: assume role arn:… via profile base", …
    std::string error;   // why none could be had (or why a refresh failed); never a secret
};

class credential_chain {
  public:
    explicit credential_chain(credential_options options);

    credential_result get(std::chrono::system_clock::time_point now);

  private:
    credential_result resolve(std::chrono::system_clock::time_point now) const;

    credential_options opt_;
    std::mutex mu_;
    std::optional<credential_result> cached_;
};

}  // namespace consolegate::team
