#include "surface.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "consolegate/core/host_pattern.hpp"
#include "consolegate/core/partition.hpp"
#include "inspection.hpp"

namespace consolegate::inspect::detail {

using core::auth_phase;
using core::sign_in_attempt;
using core::sign_in_flow;

namespace {

// Segments compared as a lenient router compares them (segment_is).
bool segs_are(const std::vector<std::string>& segs, std::initializer_list<std::string_view> want) {
    return segs.size() == want.size() &&
           std::equal(segs.begin(), segs.end(), want.begin(),
                      [](const std::string& s, std::string_view w) { return segment_is(s, w); });
}

bool first_is(const std::vector<std::string>& segs, std::string_view want) {
    return !segs.empty() && segment_is(segs.front(), want);
}

// RFC 6749 section 4.1.3 and 6: the grants CreateOAuth2Token documents.
constexpr std::array<std::string_view, 2> grant_types{"authorization_code", "refresh_token"};

void read_token(const std::vector<param>& params, const sign_in_attempt& base,
                std::vector<sign_in_attempt>& out) {
    // The token request names no account: the code, verifier and refresh token are opaque, and
    // the account is in the response (tokenOutput.accessToken), which the inspector does not
    // read. It is judged like root before authentication (policy.unknown_account_pre_auth); the
    // account was judged post-auth at the browser's /v1/authorize step.
    std::vector<std::string> seen;
    for (const auto& p : params) {
        if (!name_is(p.name, "grantType") && !name_is(p.name, "grant_type")) continue;
        auto v = std::string(trim(p.value));
        if (std::find(seen.begin(), seen.end(), v) != seen.end()) continue;
        seen.push_back(v);
        auto a = base;
        a.source = source_of(p);
        if (p.bad_escape) {
            a.parse_error = "malformed percent-encoding in the grant type";
        } else if (std::find(grant_types.begin(), grant_types.end(), v) == grant_types.end()) {
            // Not a grant AWS documents: what it would issue is unknown, so it is refused.
            a.parse_error = "CreateOAuth2Token with an unknown grant type";
        }
        out.push_back(std::move(a));
    }
    if (seen.empty()) {
        auto a = base;
        a.source = "body:grantType";
        a.parse_error = "CreateOAuth2Token names no grant type";
        out.push_back(std::move(a));
    }
    // Several different grant types (a repeat, grantType beside grant_type, the query and the
    // body): AWS issues what one of them asks, which one is unknown (the inspector's values()
    // rule for a field given several values). Before session 10 each was judged alone, and two
    // documented grants passed.
    if (seen.size() > 1) {
        for (auto it = out.end() - std::ptrdiff_t(seen.size()); it != out.end(); ++it) {
            if (!it->parse_error.empty()) continue;
            it->parse_error = "CreateOAuth2Token names several different grant types";
            it->ambiguous_identity = true;
        }
    }
}

// StartDeviceAuthorization (`aws sso login`): the JSON body's startUrl names the instance. Every
// distinct startUrl is recorded; one that is missing or names no awsapps.com portal fails closed,
// and several different ones are ambiguous.
void read_device_authorization(const std::vector<param>& params, const sign_in_attempt& base,
                               std::vector<sign_in_attempt>& out) {
    std::vector<std::string> seen;
    for (const auto& p : params) {
        if (!name_is(p.name, "startUrl")) continue;
        auto v = std::string(trim(p.value));
        if (std::find(seen.begin(), seen.end(), v) != seen.end()) continue;
        seen.push_back(v);
        auto a = base;
        a.source = source_of(p);
        std::string_view url = v;
        constexpr std::string_view scheme = "https://";
        if (p.bad_escape || url.size() < scheme.size() ||
            !iequals(url.substr(0, scheme.size()), scheme)) {
            a.parse_error = "StartDeviceAuthorization startUrl is not an https URL";
            out.push_back(std::move(a));
            continue;
        }
        auto rest = url.substr(scheme.size());
        auto end = rest.find_first_of("/?#");
        auto auth = core::parse_authority(rest.substr(0, end), 443);
        if (auth) {
            auto path = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
            auto host = core::authority_host(auth->host);
            a.idc_instance =
                idc_instance_of(host, path_segments(path.substr(0, path.find_first_of("?#"))));
            a.aws_partition = core::partition_of_host(host).value_or(a.aws_partition);
        }
        if (a.idc_instance.empty())
            a.parse_error = "StartDeviceAuthorization startUrl names no access portal";
        out.push_back(std::move(a));
    }
    if (seen.empty()) {
        auto a = base;
        a.source = "json:startUrl";
        a.parse_error = "StartDeviceAuthorization names no startUrl";
        out.push_back(std::move(a));
    }
    // Several different startUrls: the device code is approved at one instance, which one is
    // unknown (the inspector's values() rule for a field given several values).
    if (seen.size() > 1) {
        for (auto it = out.end() - std::ptrdiff_t(seen.size()); it != out.end(); ++it) {
            if (!it->parse_error.empty()) continue;
            it->parse_error = "StartDeviceAuthorization names several different startUrls";
            it->ambiguous_identity = true;
        }
    }
}

// `<service>.<one label>.<domain>`: a regional endpoint of an AWS service.
bool regional_endpoint(std::string_view host, std::string_view service, std::string_view domain) {
    // <service> "." <middle> "." <domain>
    if (!host.starts_with(service) || host.size() <= service.size() ||
        host[service.size()] != '.' || !host.ends_with(domain)) {
        return false;
    }
    auto prefix = service.size() + 1;
    if (host.size() <= prefix + domain.size() + 1) return false;
    auto middle = host.substr(prefix, host.size() - prefix - domain.size());
    if (middle.back() != '.') return false;
    middle.remove_suffix(1);
    return !middle.empty() && middle.find('.') == std::string_view::npos;
}

// `<service>.<one label>.<a partition's service domain>`: amazonaws.com, China's
// amazonaws.com.cn, amazonaws.eu, c2s.ic.gov, ... (core/partition.hpp).
bool regional_endpoint(std::string_view host, std::string_view service) {
    for (const auto& p : core::partitions) {
        if (regional_endpoint(host, service, p.service_domain)) return true;
    }
    return false;
}

// The dual-stack form, `<service>.<one label>.<a partition's dual-stack domain>`: api.aws,
// China's api.amazonwebservices.com.cn, ... (the partitions' dualStackDnsSuffix in the AWS SDKs).
bool dual_stack_endpoint(std::string_view host, std::string_view service) {
    for (const auto& p : core::partitions) {
        if (regional_endpoint(host, service, p.dual_stack_domain)) return true;
    }
    return false;
}

// The IAM Identity Center OIDC service: oidc.<region>.amazonaws.com, and the FIPS and dual-stack
// names the AWS SDKs' endpoint rules for `sso-oidc` give it (oidc-fips.<region>.amazonaws.com,
// oidc[-fips].<region>.api.aws; before session 10 a site inspecting those names saw the device
// authorization there as no sign-in).
bool idc_oidc_host(std::string_view host) {
    return regional_endpoint(host, "oidc") || regional_endpoint(host, "oidc-fips") ||
           dual_stack_endpoint(host, "oidc") || dual_stack_endpoint(host, "oidc-fips");
}

}  // namespace

std::string regional_portal_instance(std::string_view host) {
    // An instance's regional portal: <instance>.<region>.portal.amazonaws.com (AWS IAM Identity
    // Center User Guide, "Workforce access through an additional Region"), China's
    // ….portal.amazonaws.com.cn, and the dual-stack <instance>.portal.<region>.app.aws, China's
    // ….app.amazonwebservices.com.cn (AWS SDK for .NET's SSOEndpointResolver).
    using form = std::pair<std::string_view, std::string_view>;  // between, suffix
    for (auto [between, suffix] :
         {form{"", ".portal.amazonaws.com"}, form{"", ".portal.amazonaws.com.cn"},
          form{"portal.", ".app.aws"}, form{"portal.", ".app.amazonwebservices.com.cn"}}) {
        if (!host.ends_with(suffix)) continue;
        auto rest = host.substr(0, host.size() - suffix.size());  // <instance>.[portal.]<region>
        auto dot = rest.find('.');
        if (dot == std::string_view::npos || dot == 0) return {};
        auto tail = rest.substr(dot + 1);
        if (!tail.starts_with(between)) return {};
        auto region = tail.substr(between.size());
        if (region.empty() || region.find('.') != std::string_view::npos) return {};
        return std::string(rest.substr(0, dot));
    }
    return {};
}

namespace {

// The name in front of awsapps.com (China: awsapps.cn), "" when there is none; a name of the
// shared GovCloud and China portals is none.
std::string_view awsapps_subdomain(std::string_view host) {
    if (shared_portal_host(host)) return {};
    for (std::string_view suffix : {".awsapps.com", ".awsapps.cn"}) {
        if (!host.ends_with(suffix) || host.size() == suffix.size()) continue;
        return host.substr(0, host.size() - suffix.size());
    }
    return {};
}

}  // namespace

std::string idc_instance_of(std::string_view host) {
    if (shared_portal_host(host)) return {};
    if (auto instance = regional_portal_instance(host); !instance.empty()) return instance;
    // <instance>.awsapps.com: one label. More labels name no instance this reader can vouch
    // for (its first label is not what AWS would route on), so none.
    auto sub = awsapps_subdomain(host);
    if (sub.find('.') != std::string_view::npos) return {};
    return std::string(sub);
}

bool shared_portal_host(std::string_view host) {
    // start.us-gov-home.awsapps.com, start.<region>.us-gov-home.awsapps.com (AWS GovCloud (US)
    // User Guide, "AWS IAM Identity Center in AWS GovCloud (US)"); start.home.awsapps.cn,
    // start.<region>.home.awsapps.cn (China; from SDK and tool sources, docs/inspection.md).
    for (std::string_view base : {".us-gov-home.awsapps.com", ".home.awsapps.cn"}) {
        if (!host.starts_with("start.") || !host.ends_with(base)) continue;
        auto middle = host.substr(5, host.size() - 5 - base.size());  // "" or ".<region>"
        if (middle.empty()) return true;
        if (middle.front() == '.' && middle.find('.', 1) == std::string_view::npos &&
            middle.size() > 1) {
            return true;
        }
    }
    return false;
}

std::string idc_instance_of(std::string_view host, const std::vector<std::string>& segs) {
    if (!shared_portal_host(host)) return idc_instance_of(host);
    if (segs.size() >= 2 && segs[0] == "directory") return segs[1];
    return {};
}

bool regional_signin_host(std::string_view host) {
    // <region>.oauth.signin.aws: AWS Sign-In's OAuth 2.0 endpoints in the AWS SDKs' endpoint
    // rules (`IsOAuthEndpoint`), docs/inspection.md.
    constexpr std::string_view oauth = ".oauth.signin.aws";
    if (host.ends_with(oauth) && host.size() > oauth.size() &&
        host.substr(0, host.size() - oauth.size()).find('.') == std::string_view::npos) {
        return true;
    }
    // signin-fips.<region>.amazonaws.com[.cn]: the AWS SDKs' FIPS endpoint template for AWS
    // Sign-In (not for OAuth operations); read as a sign-in host so nothing there goes unjudged.
    // And the dual-stack names the same rules give every operation when dual-stack is asked for
    // (AWS_USE_DUALSTACK_ENDPOINT, `aws login`'s CreateOAuth2Token among them) and the control
    // plane always: signin[-fips].<region>.api.aws, China's signin.<region>.api.amazonwebservices
    // .com.cn (@aws-sdk/client-signin's endpoint rules, the Ruby SDK's tests of them). Before
    // session 10 a token request there was no sign-in, and the names were not inspected.
    return regional_endpoint(host, "signin") || regional_endpoint(host, "signin-fips") ||
           dual_stack_endpoint(host, "signin") || dual_stack_endpoint(host, "signin-fips");
}

surface_endpoint classify_surface(std::string_view host, const std::vector<std::string>& segs,
                                  bool signin_host) {
    if (signin_host || regional_signin_host(host)) {
        if (segs_are(segs, {"v1", "authorize"})) return surface_endpoint::oauth_authorize;
        if (segs_are(segs, {"v1", "token"})) return surface_endpoint::oauth_token;
    }
    if (signin_host && first_is(segs, "signup")) {
        return surface_endpoint::account_sign_up;
    }
    if (host == "portal.aws.amazon.com" && segs.size() >= 2 && segment_is(segs[0], "billing") &&
        segment_is(segs[1], "signup")) {
        return surface_endpoint::account_sign_up;
    }
    // The account registration URL AWS's pages linked to before /billing/signup, still linked
    // from many guides ("Create an AWS account"): whatever AWS serves there today (a redirect to
    // /billing/signup, or the registration itself) is account creation. Before session 11 it was
    // no sign-in and forwarded.
    if (host == "portal.aws.amazon.com" && segs.size() >= 4 && segment_is(segs[0], "gp") &&
        segment_is(segs[1], "aws") && segment_is(segs[2], "developer") &&
        segment_is(segs[3], "registration")) {
        return surface_endpoint::account_sign_up;
    }
    // A regional portal name is one instance's portal alone: every request to it names it.
    if (!regional_portal_instance(host).empty()) return surface_endpoint::idc_portal;
    // The access portal is the start URL and what it loads under /start; other paths of an
    // awsapps.com name belong to other AWS applications (Amazon Connect /connect, WorkDocs).
    if (!awsapps_subdomain(host).empty() && (segs.empty() || first_is(segs, "start"))) {
        return surface_endpoint::idc_portal;
    }
    // GovCloud's and China's shared portal hosts: the start URL is /directory/<instance>.
    if (shared_portal_host(host) && first_is(segs, "directory")) {
        return surface_endpoint::idc_portal;
    }
    if (idc_oidc_host(host) && segs_are(segs, {"device_authorization"})) {
        return surface_endpoint::idc_device_authorization;
    }
    return surface_endpoint::none;
}

core::sign_in_flow flow_of(surface_endpoint e) {
    switch (e) {
        case surface_endpoint::account_sign_up: return sign_in_flow::account_sign_up;
        case surface_endpoint::idc_portal:
        case surface_endpoint::idc_device_authorization:
            return sign_in_flow::identity_center_portal;
        default: return sign_in_flow::cli_sign_in;
    }
}

void take_session_identity(sign_in_attempt& a, const sign_in_attempt& session) {
    a.account = session.account;
    a.alias = session.alias;
    a.role_name = session.role_name;
    a.permission_set = session.permission_set;
    a.user = session.user;
}

void read_surface(surface_endpoint e, const std::vector<param>& params,
                  const std::vector<std::string>& segs, const sign_in_attempt& base_in,
                  const std::vector<sign_in_attempt>& sessions, std::vector<sign_in_attempt>& out) {
    if (e == surface_endpoint::none) return;
    auto base = base_in;
    base.flow = flow_of(e);
    base.phase = auth_phase::pre_auth;
    if (e == surface_endpoint::oauth_authorize) base.oauth_action = core::oauth2_action::authorize;
    if (e == surface_endpoint::oauth_token) base.oauth_action = core::oauth2_action::token;
    switch (e) {
        case surface_endpoint::none: return;
        case surface_endpoint::account_sign_up:
            // signin:CreateAccount: every request of the sign-up pages, so the form is refused
            // before anything is typed into it.
            base.source = "path:signup";
            out.push_back(std::move(base));
            return;
        case surface_endpoint::oauth_authorize:
            // signin:AuthorizeOAuth2Access is post-auth: the browser is signed in to the console
            // and its aws-userInfo cookie names the account the CLI will get credentials for.
            // Without a session the page asks the person to sign in first (judged on its own).
            // With several aws-userInfo cookies AWS may authorize any of them: one attempt each.
            base.source = "path:/v1/authorize";
            if (sessions.empty()) out.push_back(base);
            for (const auto& session : sessions) {
                auto a = base;
                a.phase = auth_phase::post_auth;
                a.source = "cookie:aws-userInfo";
                take_session_identity(a, session);
                out.push_back(std::move(a));
            }
            return;
        case surface_endpoint::oauth_token: read_token(params, base, out); return;
        case surface_endpoint::idc_portal:
            // Every request to the portal, so a foreign instance's sign-in page is refused
            // before anything is typed into it; the instance is the host's first label.
            base.source = shared_portal_host(base.host) ? "path:directory" : "host";
            base.idc_instance = idc_instance_of(base.host, segs);
            if (base.idc_instance.empty()) {
                base.parse_error = "access portal URL names no Identity Center instance";
            }
            out.push_back(std::move(base));
            return;
        case surface_endpoint::idc_device_authorization:
            read_device_authorization(params, base, out);
            return;
    }
}

}  // namespace consolegate::inspect::detail
