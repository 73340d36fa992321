// The gateway's policy as a Console Private Access VPC endpoint policy
// (include/consolegate/core/endpoint_policy.hpp says what is exported and what is noted).
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

// The AWS Sign-In actions a rule's flows stand for; "*" for every flow.
std::optional<json::value> actions_of(const rule_config& r) {
    if (r.flows.empty()) return json::value("*");
    bool authenticate = false, cli = false;
    for (auto f : r.flows) {
        if (f == sign_in_flow::cli_sign_in) {
            cli = true;
        } else if (f != sign_in_flow::identity_center_portal &&
                   f != sign_in_flow::account_sign_up) {
            authenticate = true;
        }
    }
    json::array a;
    if (authenticate) a.emplace_back("signin:Authenticate");
    if (cli) {
        a.emplace_back("signin:AuthorizeOAuth2Access");
        a.emplace_back("signin:CreateOAuth2Token");
    }
    if (a.empty()) return std::nullopt;
    return json::value(std::move(a));
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

}  // namespace

endpoint_policy_export export_endpoint_policy(const policy_config& policy) {
    endpoint_policy_export out;
    json::array statements;
    std::vector<std::string> sids;
    for (const auto& r : policy.rules) {
        auto rule = "rule \"" + r.name + "\"";
        if ((r.partitions & partition_bit(partition::aws)) == 0) {
            out.notes.push_back(rule +
                                ": selects only another partition (GovCloud or China), not "
                                "exported (Console Private Access is the commercial partition's)");
            continue;
        }
        if (r.partitions != partition_bit(partition::aws)) {
            out.notes.push_back(rule + ": exported for the commercial partition only");
        }
        if (r.report_only) {
            out.notes.push_back(rule +
                                ": report-only, not exported (the AWS side has no report-only)");
            continue;
        }
        auto actions = actions_of(r);
        if (!actions) {
            out.notes.push_back(rule +
                                ": selects only flows that are not AWS Sign-In actions "
                                "(identity-center-portal), not exported");
            continue;
        }
        auto narrow = gateway_only(r);
        bool deny = r.effect == rule_effect::deny;
        if (deny && !narrow.empty()) {
            out.notes.push_back(rule + ": a deny narrowed by " + joined(narrow) +
                                ", which the endpoint policy cannot express; not exported (it "
                                "would refuse more on the AWS side than the gateway does)");
            continue;
        }
        if (!narrow.empty()) {
            out.notes.push_back(rule + ": exported without " + joined(narrow) +
                                " (the gateway alone narrows by them)");
        }
        if (r.effect == rule_effect::allow_with_elevation) {
            out.notes.push_back(rule +
                                ": allow-with-elevation exported as Allow (the gateway "
                                "alone checks TEAM)");
        }
        json::object s;
        s["Sid"] = sid_of(r.name, sids);
        s["Effect"] = deny ? "Deny" : "Allow";
        s["Principal"] = "*";
        s["Action"] = *actions;
        s["Resource"] = "*";
        json::object cond;
        if (!r.accounts.empty() || !r.org_ids.empty()) {
            json::object eq;
            if (!r.accounts.empty()) {
                json::array ids;
                for (const auto& a : r.accounts) ids.emplace_back(a.str());
                eq["aws:PrincipalAccount"] = std::move(ids);
            }
            if (!r.org_ids.empty()) eq["aws:PrincipalOrgID"] = strings(r.org_ids);
            cond["StringEquals"] = std::move(eq);
        }
        if (!r.ou_paths.empty()) {
            cond["ForAnyValue:StringLike"] =
                json::object{{"aws:PrincipalOrgPaths", strings(r.ou_paths)}};
        }
        if (!cond.empty()) s["Condition"] = std::move(cond);
        statements.emplace_back(std::move(s));
    }
    if (policy.account_sign_up == sign_up_action::deny) {
        statements.emplace_back(json::object{{"Sid", sid_of("NoAccountSignUp", sids)},
                                             {"Effect", "Deny"},
                                             {"Principal", "*"},
                                             {"Action", "signin:CreateAccount"},
                                             {"Resource", "*"}});
    }
    if (statements.empty()) {
        out.notes.push_back(
            "no rule could be exported: an endpoint policy without an Allow "
            "refuses every sign-in through the endpoint");
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
