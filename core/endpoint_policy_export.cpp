// The gateway's policy as the two Console Private Access VPC endpoint policies, AWS Sign-In's and
// the console's (include/consolegate/core/endpoint_policy.hpp says what is exported and noted).
#include <boost/json.hpp>

#include "consolegate/core/endpoint_policy.hpp"

namespace consolegate::core {
namespace json = boost::json;

namespace {

// IAM caps an endpoint policy document at 20 480 characters.
constexpr std::size_t endpoint_policy_iam_limit = 20480;

std::string sid_of(const std::string& name, std::vector<std::string>& taken) {
    std::string sid;
    for (char c : name) {
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) sid += c;
    }
    if (sid.empty()) sid = "Rule";
    std::string unique = sid;
    for (int n = 2; std::find(taken.begin(), taken.end(), unique) != taken.end(); ++n)
        unique = sid + std::to_string(n);
    taken.push_back(unique);
    return unique;
}

json::array strings(const std::vector<std::string>& v) {
    json::array a;
    for (const auto& s : v) a.emplace_back(s);
    return a;
}

bool has(const std::vector<sign_in_flow>& flows, sign_in_flow f) {
    return std::find(flows.begin(), flows.end(), f) != flows.end();
}

// The flows through AWS Sign-In: the console sign-ins (signin:Authenticate before
// authentication, then signin:AuthorizeOAuth2Access and signin:CreateOAuth2Token: "console
// sign-in uses OAuth 2.0, which flows through all three actions", AWS Sign-In User Guide) and
// `aws login` (the OAuth 2.0 pair).
constexpr sign_in_flow sign_in_endpoint_flows[] = {
    sign_in_flow::iam_user,        sign_in_flow::root,          sign_in_flow::saml,
    sign_in_flow::identity_center, sign_in_flow::custom_broker, sign_in_flow::switch_role,
    sign_in_flow::cli_sign_in};
// The flows that are console use, which the console endpoint's policy (Action "*") judges.
constexpr sign_in_flow console_endpoint_flows[] = {sign_in_flow::iam_user,
                                                   sign_in_flow::root,
                                                   sign_in_flow::saml,
                                                   sign_in_flow::identity_center,
                                                   sign_in_flow::custom_broker,
                                                   sign_in_flow::switch_role,
                                                   sign_in_flow::multi_session,
                                                   sign_in_flow::console_session,
                                                   sign_in_flow::api_credentials,
                                                   sign_in_flow::ams_change};

enum class coverage { all, some, none };

// How much of what the endpoint judges a rule's flows select. AWS's endpoint policies name no
// flows: a rule of every flow the endpoint sees is exported as it is, one of some of them
// cannot be.
template <std::size_t N>
coverage coverage_of(const rule_config& r, const sign_in_flow (&endpoint)[N]) {
    if (r.flows.empty()) return coverage::all;
    std::size_t n = 0;
    for (auto f : endpoint) n += has(r.flows, f) ? 1 : 0;
    return n == 0 ? coverage::none : n == N ? coverage::all : coverage::some;
}

// Selectors the endpoint policy cannot express, by their config key.
std::vector<std::string> gateway_only(const rule_config& r) {
    std::vector<std::string> keys;
    if (!r.roles.empty()) keys.push_back("roles");
    if (!r.users.empty()) keys.push_back("users");
    if (!r.client_networks.empty()) keys.push_back("client_networks");
    if (!r.corp_users.empty()) keys.push_back("corp_users");
    if (!r.corp_groups.empty()) keys.push_back("corp_groups");
    if (!r.identity_center_instances.empty()) keys.push_back("identity_center_instances");
    return keys;
}

std::string joined(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
}

// The organizations an allow selects: its org_ids, else the organizations its OU paths are in
// (a path's first segment: AWS documents no OU-path key for these endpoints).
std::vector<std::string> organizations_of(const rule_config& r) {
    if (!r.org_ids.empty() || r.ou_paths.empty()) return r.org_ids;
    std::vector<std::string> orgs;
    for (const auto& p : r.ou_paths) {
        auto org = p.substr(0, p.find('/'));
        if (std::find(orgs.begin(), orgs.end(), org) == orgs.end()) orgs.push_back(org);
    }
    return orgs;
}

// `{"StringEquals": {account_key: [...], org_key: [...]}}`, or nothing for a rule of every
// account.
json::object account_condition(const rule_config& r, std::string_view account_key,
                               std::string_view org_key) {
    json::object eq;
    if (!r.accounts.empty()) {
        json::array ids;
        for (const auto& a : r.accounts) ids.emplace_back(a.str());
        eq[account_key] = std::move(ids);
    }
    auto orgs = organizations_of(r);
    if (!orgs.empty()) eq[org_key] = strings(orgs);
    if (eq.empty()) return {};
    return json::object{{"StringEquals", std::move(eq)}};
}

json::object statement(std::string sid, bool deny, json::value actions, json::object condition) {
    json::object s{{"Sid", std::move(sid)},
                   {"Effect", deny ? "Deny" : "Allow"},
                   {"Principal", "*"},
                   {"Action", std::move(actions)},
                   {"Resource", "*"}};
    if (!condition.empty()) s["Condition"] = std::move(condition);
    return s;
}

// Whether the rule can be exported to `which`; notes what is left out or exported wider.
bool exportable(const rule_config& r, endpoint_document which, std::vector<std::string>& notes) {
    auto rule = "rule \"" + r.name + "\"";
    if ((r.partitions & partition_bit(partition::aws)) == 0) {
        notes.push_back(rule +
                        ": selects only another partition (GovCloud, China, ISO, EUSC), not "
                        "exported (Console Private Access is the commercial partition's)");
        return false;
    }
    if (r.partitions != partition_bit(partition::aws)) {
        notes.push_back(rule + ": exported for the commercial partition only");
    }
    if (r.report_only) {
        notes.push_back(rule + ": report-only, not exported (the AWS side has no report-only)");
        return false;
    }
    bool sign_in = which == endpoint_document::sign_in;
    auto cover =
        sign_in ? coverage_of(r, sign_in_endpoint_flows) : coverage_of(r, console_endpoint_flows);
    if (cover == coverage::none) {
        notes.push_back(
            rule +
            (sign_in ? ": selects no flow through AWS Sign-In" : ": selects no console flow") +
            ", not exported");
        return false;
    }
    bool deny = r.effect == rule_effect::deny;
    auto narrow = gateway_only(r);
    // An imported policy's negated and absence conditions (key_condition.hpp) are not written
    // back: an allow goes out wider, a deny would refuse more.
    if (!r.conditions.empty()) narrow.push_back("conditions");
    // A rule of one OAuth 2.0 action (imported from a statement naming it) is written as that
    // statement: its flows are the ones the action is.
    bool one_action = sign_in && !r.oauth_actions.empty();
    if (cover == coverage::some && !one_action) narrow.push_back("flows");
    if (deny && !r.ou_paths.empty()) narrow.push_back("ou_paths");
    if (deny && !narrow.empty()) {
        notes.push_back(rule + ": a deny narrowed by " + joined(narrow) +
                        ", which the endpoint policy cannot express; not exported (it would "
                        "refuse more on the AWS side than the gateway does)");
        return false;
    }
    if (!narrow.empty()) {
        notes.push_back(rule + ": exported without " + joined(narrow) +
                        " (the gateway alone narrows by them)");
    }
    if (!r.ou_paths.empty()) {
        notes.push_back(rule +
                        ": ou_paths exported as their organization (AWS documents no "
                        "OU-path condition key for Console Private Access endpoints)");
    }
    if (r.effect == rule_effect::allow_with_elevation) {
        notes.push_back(rule +
                        ": allow-with-elevation exported as Allow (the gateway alone checks "
                        "TEAM)");
    }
    return true;
}

}  // namespace

endpoint_policy_export export_endpoint_policy(const policy_config& policy,
                                              endpoint_document which) {
    endpoint_policy_export out;
    json::array statements;
    std::vector<std::string> sids;
    bool sign_in = which == endpoint_document::sign_in;
    for (const auto& r : policy.rules) {
        if (!exportable(r, which, out.notes)) continue;
        bool deny = r.effect == rule_effect::deny;
        if (!sign_in) {
            // The console endpoint: Action "*" on the signed-in identity (aws:Principal*).
            statements.emplace_back(
                statement(sid_of(r.name, sids), deny, "*",
                          account_condition(r, "aws:PrincipalAccount", "aws:PrincipalOrgID")));
            continue;
        }
        if (!r.oauth_actions.empty()) {
            // One OAuth 2.0 action, as the statement it was imported from named it.
            json::array actions;
            for (auto o : r.oauth_actions) {
                actions.emplace_back(o == oauth2_action::authorize ? "signin:AuthorizeOAuth2Access"
                                                                   : "signin:CreateOAuth2Token");
            }
            statements.emplace_back(
                statement(sid_of(r.name + "PostAuth", sids), deny, std::move(actions),
                          account_condition(r, "aws:PrincipalAccount", "aws:PrincipalOrgID")));
            continue;
        }
        // The Sign-In endpoint: before authentication only aws:ResourceAccount /
        // aws:ResourceOrgID say which account is signed in to; after it aws:Principal* do
        // (AWS Management Console, "Trusted identities", AWS Sign-In VPC endpoint examples).
        statements.emplace_back(
            statement(sid_of(r.name + "PreAuth", sids), deny, json::array{"signin:Authenticate"},
                      account_condition(r, "aws:ResourceAccount", "aws:ResourceOrgID")));
        statements.emplace_back(
            statement(sid_of(r.name + "PostAuth", sids), deny,
                      json::array{"signin:AuthorizeOAuth2Access", "signin:CreateOAuth2Token"},
                      account_condition(r, "aws:PrincipalAccount", "aws:PrincipalOrgID")));
    }
    if (sign_in && policy.account_sign_up == sign_up_action::deny) {
        statements.emplace_back(
            statement(sid_of("NoAccountSignUp", sids), true, "signin:CreateAccount", {}));
    } else if (sign_in) {
        out.notes.push_back(
            "policy.account_sign_up is report-only, but the Sign-In endpoint refuses "
            "signin:CreateAccount unless a statement allows it (AWS's \"AllowAccountSignup\" "
            "statement, added by hand, lets sign-up through)");
    }
    bool any_allow = false;
    for (const auto& s : statements) any_allow = any_allow || s.at("Effect") == "Allow";
    if (!any_allow) {
        out.notes.push_back(
            "no allow rule could be exported: an endpoint policy without an Allow "
            "refuses every sign-in through the endpoint");
    }
    if (statements.empty()) {
        // IAM refuses an empty Statement list; this one allows nothing, as an empty one would.
        statements.emplace_back(statement(sid_of("NothingExported", sids), true, "*", {}));
    }
    json::object doc{{"Version", "2012-10-17"}, {"Statement", std::move(statements)}};
    out.json = json::serialize(doc);
    if (out.json.size() > endpoint_policy_iam_limit) {
        out.notes.push_back("the document is " + std::to_string(out.json.size()) +
                            " characters; IAM accepts at most 20480 in an endpoint policy");
    }
    return out;
}

sign_in_network_export export_sign_in_network_policy(const aws_side_config& side) {
    sign_in_network_export out;
    if (side.egress_networks.empty() && side.vpc_endpoints.empty()) {
        out.error =
            "policy.aws_side names no egress_networks and no vpc_endpoints: there is no "
            "network to restrict console sign-in to";
        return out;
    }
    // A request carries aws:SourceIp (public network) or aws:SourceVpce (VPC endpoint), never
    // both (AWS Sign-In condition keys reference): with both lists, each test is IfExists so a
    // request passes on the one it carries; with one list, its absence is a deny.
    bool both = !side.egress_networks.empty() && !side.vpc_endpoints.empty();
    json::object network;
    if (!side.egress_networks.empty()) {
        json::array ips;
        for (const auto& c : side.egress_networks) ips.emplace_back(c.str());
        network[both ? "NotIpAddressIfExists" : "NotIpAddress"] =
            json::object{{"aws:SourceIp", std::move(ips)}};
    }
    if (!side.vpc_endpoints.empty()) {
        network[both ? "StringNotEqualsIfExists" : "StringNotEquals"] =
            json::object{{"aws:SourceVpce", strings(side.vpc_endpoints)}};
    }
    // Before authentication the principal is not known: signin:PrincipalArn exempts the
    // break-glass principals; after it, aws:PrincipalArn (AWS Sign-In User Guide, "Controlling
    // console access with resource-based policies and resource control policies").
    auto statement = [&](std::string_view sid, json::value actions, std::string_view arn_key) {
        json::object cond = network;
        if (!side.excluded_principals.empty()) {
            cond["ArnNotEquals"] = json::object{{arn_key, strings(side.excluded_principals)}};
        }
        return json::object{{"Sid", sid},       {"Effect", "Deny"},
                            {"Principal", "*"}, {"Action", std::move(actions)},
                            {"Resource", "*"},  {"Condition", std::move(cond)}};
    };
    json::array statements;
    statements.emplace_back(statement("ConsoleSignInFromCorporateNetworkOnlyPreAuth",
                                      json::array{"signin:Authenticate"}, "signin:PrincipalArn"));
    statements.emplace_back(
        statement("ConsoleSignInFromCorporateNetworkOnlyPostAuth",
                  json::array{"signin:AuthorizeOAuth2Access", "signin:CreateOAuth2Token"},
                  "aws:PrincipalArn"));
    json::object doc{{"Version", "2012-10-17"}, {"Statement", std::move(statements)}};
    out.json = json::serialize(doc);
    if (side.excluded_principals.empty()) {
        out.notes.push_back(
            "no policy.aws_side.excluded_principals: AWS recommends a break-glass principal "
            "exempt from the network restriction, so a network change cannot lock everyone out");
    }
    out.notes.push_back(
        "attach as a resource control policy, then enable console authorization "
        "(aws signin put-console-authorization-configuration): statements have no effect "
        "before that");
    out.notes.push_back(
        "console sign-in through the IAM Identity Center access portal is refused by AWS "
        "Sign-In network restrictions today (AWS Sign-In User Guide); SigV4 API calls are not "
        "covered");
    return out;
}

}  // namespace consolegate::core
