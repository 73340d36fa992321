#pragma once
// `credential_process` (docs.aws.amazon.com/cli/latest/userguide/cli-configure-sourcing-external):
// runs the command (split like a POSIX shell word list: blanks, single and double quotes,
// backslash; no shell, as the AWS CLI does), reads at most 64 KiB of stdout within the timeout,
// and parses {"Version": 1, "AccessKeyId", "SecretAccessKey", "SessionToken"?, "Expiration"?}.
// This is how IAM Roles Anywhere's aws_signing_helper hands credentials to on-premises hosts.
// The child's stderr is inherited (its own diagnostics); its stdout (the secrets) never is logged.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "team/sigv4.hpp"

namespace consolegate::team {

struct process_credentials {
    std::optional<aws_credentials> credentials;
    std::optional<std::chrono::system_clock::time_point> expiration;
    std::string error;
};

std::optional<std::vector<std::string>> split_command(std::string_view command);

process_credentials run_credential_process(const std::string& command,
                                           std::chrono::milliseconds timeout);

// The JSON the process prints (exposed for tests).
process_credentials parse_process_output(std::string_view json);

}  // namespace consolegate::team
