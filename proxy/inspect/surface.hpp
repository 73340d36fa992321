#pragma once
// The newer sign-in surfaces (docs/inspection.md "CLI sign-in and account sign-up", "Identity
// Center instances"): the AWS Sign-In OAuth 2.0 endpoints `aws login` uses, the account sign-up
// pages, and the access portals of IAM Identity Center instances. Private to the
// inspector; kept apart from inspector.cpp so each flow has one file.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "consolegate/core/sign_in.hpp"
#include "params.hpp"

namespace consolegate::inspect::detail {

enum class surface_endpoint : std::uint8_t {
    none,
    oauth_authorize,  // GET|POST /v1/authorize: the browser step of `aws login`
    oauth_token,      // POST /v1/token: CreateOAuth2Token (authorization_code, refresh_token)
    account_sign_up,  // signin.aws.amazon.com/signup, portal.aws.amazon.com/billing/signup
    // IAM Identity Center: a request to an instance's access portal, <instance>.awsapps.com/start
    // (and "/", and what the portal loads under /start; any path of a regional portal name),
    // and StartDeviceAuthorization
    // (POST oidc.<region>.amazonaws.com/device_authorization), whose JSON names the start URL.
    idc_portal,
    idc_device_authorization,
};

// The Identity Center instance an access-portal host names: its first label when the host is
// under awsapps.com or awsapps.cn ("d-1234567890", "mycompany") or is a regional portal (below),
// else "". The shared portal hosts of GovCloud and China (below) name no instance: "".
std::string idc_instance_of(std::string_view host);

// An instance's regional access portal, one instance's alone: <instance>.<region>.portal.
// amazonaws.com[.cn] and the dual-stack <instance>.portal.<region>.app.aws (China:
// ….app.amazonwebservices.com.cn). The instance ("ssoins-…"), else "".
std::string regional_portal_instance(std::string_view host);

// GovCloud's and China's shared access-portal hosts, start[.<region>].us-gov-home.awsapps.com
// and start[.<region>].home.awsapps.cn, where the instance is in the path:
// /directory/<directory ID or alias>.
bool shared_portal_host(std::string_view host);

// The instance a portal URL names, from its host and decoded path segments: the path's
// /directory/<instance> on a shared host, else the host's first label; "" when none.
std::string idc_instance_of(std::string_view host, const std::vector<std::string>& segs);

// `signin.<one label>.amazonaws.com` (or `.amazonaws.com.cn`): AWS Sign-In's regional
// endpoints (signin.<region>…).
bool regional_signin_host(std::string_view host);

// What host and path name. `signin_host` = the host is signin.aws.amazon.com or under it;
// `segs` = the decoded, lowercased, dot-resolved path segments.
surface_endpoint classify_surface(std::string_view host, const std::vector<std::string>& segs,
                                  bool signin_host);

core::sign_in_flow flow_of(surface_endpoint e);

// The identity a console session's aws-userInfo names (account, alias, role, permission set,
// user), copied onto an attempt made in that session's name.
void take_session_identity(core::sign_in_attempt& a, const core::sign_in_attempt& session);

// Appends the attempts of endpoint `e`. `base` carries host, client and time; `sessions` are the
// distinct identities of the request's readable aws-userInfo cookies (none without one). Never
// copies a parameter value other than the grant type: codes, verifiers and tokens stay out of
// attempts (and so of logs).
void read_surface(surface_endpoint e, const std::vector<param>& params,
                  const std::vector<std::string>& segs, const core::sign_in_attempt& base,
                  const std::vector<core::sign_in_attempt>& sessions,
                  std::vector<core::sign_in_attempt>& out);

}  // namespace consolegate::inspect::detail
