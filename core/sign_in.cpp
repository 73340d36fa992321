#include "consolegate/core/sign_in.hpp"

#include <array>
#include <utility>

namespace consolegate::core {
namespace {

constexpr std::array<std::pair<sign_in_flow, std::string_view>, sign_in_flow_count> flow_names{{
    {sign_in_flow::iam_user, "iam-user"},
    {sign_in_flow::root, "root"},
    {sign_in_flow::saml, "saml"},
    {sign_in_flow::identity_center, "identity-center"},
    {sign_in_flow::custom_broker, "custom-broker"},
    {sign_in_flow::switch_role, "switch-role"},
    {sign_in_flow::multi_session, "multi-session"},
    {sign_in_flow::console_session, "console-session"},
    {sign_in_flow::api_credentials, "api-credentials"},
    {sign_in_flow::ams_change, "ams-change"},
    {sign_in_flow::cli_sign_in, "cli-sign-in"},
    {sign_in_flow::account_sign_up, "account-sign-up"},
    {sign_in_flow::identity_center_portal, "identity-center-portal"},
}};

}  // namespace

std::string_view to_string(sign_in_flow f) noexcept {
    for (auto& [v, name] : flow_names) {
        if (v == f) return name;
    }
    return "unknown";
}

std::optional<sign_in_flow> sign_in_flow_from_string(std::string_view s) noexcept {
    for (auto& [v, name] : flow_names) {
        if (name == s) return v;
    }
    return std::nullopt;
}

std::string_view to_string(auth_phase p) noexcept {
    switch (p) {
        case auth_phase::pre_auth: return "pre-auth";
        case auth_phase::post_auth: return "post-auth";
        case auth_phase::session: return "session";
    }
    return "unknown";
}

std::string_view to_string(oauth2_action a) noexcept {
    switch (a) {
        case oauth2_action::none: return "";
        case oauth2_action::authorize: return "authorize";
        case oauth2_action::token: return "token";
    }
    return "";
}

std::string_view to_string(effect e) noexcept {
    return e == effect::allow ? "allow" : "deny";
}

std::string_view to_string(reason r) noexcept {
    switch (r) {
        case reason::rule_allow: return "rule-allow";
        case reason::rule_deny: return "rule-deny";
        case reason::default_deny: return "default-deny";
        case reason::elevation_active: return "elevation-active";
        case reason::elevation_missing: return "elevation-missing";
        case reason::elevation_feed_stale: return "elevation-feed-stale";
        case reason::unparsable_request: return "unparsable-request";
        case reason::unknown_alias: return "unknown-alias";
        case reason::unknown_account: return "unknown-account";
        case reason::ams_guarded_change: return "ams-guarded-change";
        case reason::ams_reserved_role: return "ams-reserved-role";
        case reason::no_account: return "no-account";
        case reason::corp_user_unknown: return "corp-user-unknown";
        case reason::elevation_expired: return "elevation-expired";
        case reason::elevation_user_unknown: return "elevation-user-unknown";
        case reason::account_sign_up: return "account-sign-up";
        case reason::identity_center_instance: return "identity-center-instance";
        case reason::session_identity_forged: return "session-identity-forged";
        case reason::session_unbound: return "session-unbound";
        case reason::session_conflicting: return "session-conflicting";
        case reason::ambiguous_identity: return "ambiguous-identity";
        case reason::partition_not_enabled: return "partition-not-enabled";
        case reason::session_user_mismatch: return "session-user-mismatch";
    }
    return "unknown";
}

std::string_view describe(reason r) noexcept {
    switch (r) {
        case reason::rule_allow: return "A policy rule allows this account.";
        case reason::rule_deny: return "A policy rule forbids sign-in to this account.";
        case reason::default_deny:
            return "This account is not on the list of accounts allowed from this network.";
        // Neutral on purpose: at the IAM Identity Center portal no user is known, and the
        // elevation that lets the request through may be someone else's.
        case reason::elevation_active:
            return "An active TEAM elevation for this account and permission set matches.";
        case reason::elevation_missing:
            return "This account needs an active TEAM elevation, and you hold none for it.";
        case reason::elevation_feed_stale:
            return "This account needs a TEAM elevation, and the elevation feed is unavailable "
                   "or out of date, so it cannot be checked.";
        case reason::unparsable_request:
            return "The gateway could not read this sign-in request, so it was stopped.";
        case reason::unknown_alias:
            return "The account alias in this request is not known to the gateway.";
        case reason::unknown_account:
            return "The account is not known before authentication; it is checked after sign-in.";
        case reason::ams_guarded_change:
            return "AMS Developer-mode and Direct-Change-mode change requests are guarded.";
        case reason::ams_reserved_role: return "This AMS-reserved role is guarded.";
        case reason::no_account:
            return "The request names no AWS account, and the gateway does not allow that here.";
        case reason::corp_user_unknown:
            return "The gateway could not establish who you are on the corporate network, and "
                   "sign-in requires it here.";
        case reason::elevation_expired:
            return "This account needs an active TEAM elevation, and your elevation for it has "
                   "ended.";
        case reason::elevation_user_unknown:
            return "This account needs a TEAM elevation, and the gateway cannot tell who is "
                   "signing in here, so it cannot check one.";
        case reason::account_sign_up:
            return "Creating a new AWS account from this network is not allowed; ask your "
                   "security team for an account in the organization.";
        case reason::identity_center_instance:
            return "This IAM Identity Center access portal is not one of the organization's; "
                   "sign in through the organization's own start URL.";
        case reason::session_identity_forged:
            return "The account or user this browser claims is not the one AWS signed this "
                   "session in to.";
        case reason::session_unbound:
            return "The gateway did not see this console session being signed in. Sign out of "
                   "the AWS console and sign in again through the corporate network.";
        case reason::session_conflicting:
            return "This request carries the cookies of several console sessions. Sign out of "
                   "the AWS console and sign in again.";
        case reason::ambiguous_identity:
            return "The sign-in identity in this request could be read two ways, so it was "
                   "stopped.";
        case reason::partition_not_enabled:
            return "Sign-in to this AWS partition (GovCloud, China, ISO or the European Sovereign "
                   "Cloud) is not enabled on this network; ask your security team.";
        case reason::session_user_mismatch:
            return "This console session was opened by another person (or the gateway cannot "
                   "tell that it is you). Sign in to the AWS console yourself.";
    }
    return "";
}

}  // namespace consolegate::core
