#pragma once
// An AWS principal as it appears in ARNs (the aws-userInfo cookie, SAML Role attributes).

#include <optional>
#include <string>
#include <string_view>

#include "consolegate/core/ids.hpp"

namespace consolegate::core {

enum class principal_kind : std::uint8_t {
    root,            // arn:aws:iam::ACCT:root
    iam_user,        // arn:aws:iam::ACCT:user/[path/]NAME
    role,            // arn:aws:iam::ACCT:role/[path/]NAME
    assumed_role,    // arn:aws:sts::ACCT:assumed-role/NAME/SESSION
    federated_user,  // arn:aws:sts::ACCT:federated-user/NAME
    saml_provider,   // arn:aws:iam::ACCT:saml-provider/NAME
};

struct principal {
    principal_kind kind = principal_kind::root;
    std::string partition = "aws";  // aws, aws-cn, aws-us-gov
    account_id account;
    std::string role_name;  // role and assumed-role: the role's name (path stripped)
    std::string
        permission_set;        // IAM Identity Center roles: <name> of AWSReservedSSO_<name>_<hex16>
    std::string session_name;  // assumed-role: the session name (for TEAM: the user name)
    std::string user_name;     // iam_user, federated_user
    std::string provider_name;  // saml_provider
};

// Parses an IAM or STS ARN of one of the kinds above. Anything else (other services, malformed
// account field, empty names) is nullopt.
std::optional<principal> parse_arn(std::string_view arn);

// "AWSReservedSSO_<PermissionSetName>_<16 lowercase hex>" -> "<PermissionSetName>";
// any other role name -> "" (not an IAM Identity Center role).
std::string permission_set_of(std::string_view role_name);

}  // namespace consolegate::core
