#include "consolegate/core/endpoint_policy.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <optional>
#include <set>
#include <tuple>
#include <unordered_map>

#include "consolegate/core/glob.hpp"
#include "consolegate/core/org_tree.hpp"
#include "endpoint_policy_meet.hpp"
#include "json_doc.hpp"
#include "key_condition.hpp"

namespace consolegate::core {
namespace {

namespace json = boost::json;
using detail::json_path;
using detail::meet;
using detail::meet_paths;
using detail::met;

// Takes a view: a json::string argument converts without a temporary copy.
std::string_view sv(json::string_view s) {
    return {s.data(), s.size()};
}

std::string file_stem(std::string_view file) {
    auto slash = file.find_last_of('/');
    if (slash != std::string_view::npos) file.remove_prefix(slash + 1);
    auto dot = file.rfind('.');
    if (dot != std::string_view::npos && dot > 0) file = file.substr(0, dot);
    return file.empty() ? std::string("endpoint-policy") : std::string(file);
}

// AWS Sign-In's endpoint-policy actions (Console Private Access, sign-in endpoint) and the flows
// each one is: signin:Authenticate (pre-auth) is the console sign-in itself; the OAuth 2.0 pair
// (post-auth) is `aws login`, and the second half of every console sign-in (a Deny of it
// refuses those too: importer::statement); signin:CreateAccount is decided by
// policy.account_sign_up.
enum class signin_phase : std::uint8_t { pre_auth, post_auth, sign_up };
struct signin_action {
    std::string_view name;
    signin_phase phase;
    std::initializer_list<sign_in_flow> flows;
    std::uint8_t step;  // its bit of console_steps: a console sign-in goes through all three
};
constexpr std::initializer_list<sign_in_flow> console_sign_in_flows = {
    sign_in_flow::iam_user,        sign_in_flow::root,          sign_in_flow::saml,
    sign_in_flow::identity_center, sign_in_flow::custom_broker, sign_in_flow::switch_role};
const signin_action signin_actions[] = {
    {"signin:Authenticate", signin_phase::pre_auth, console_sign_in_flows, 1},
    {"signin:AuthorizeOAuth2Access", signin_phase::post_auth, {sign_in_flow::cli_sign_in}, 2},
    {"signin:CreateOAuth2Token", signin_phase::post_auth, {sign_in_flow::cli_sign_in}, 4},
    {"signin:CreateAccount", signin_phase::sign_up, {}, 0},
};
constexpr std::uint8_t console_steps = 7;

// The flows of the console endpoint (a session's console requests) and of the Sign-In
// endpoint (console sign-in, `aws login`): policy_endpoint.
constexpr std::initializer_list<sign_in_flow> console_endpoint_flows = {
    sign_in_flow::console_session, sign_in_flow::multi_session, sign_in_flow::api_credentials,
    sign_in_flow::ams_change};

bool is_console_sign_in(sign_in_flow f) {
    return std::find(console_sign_in_flows.begin(), console_sign_in_flows.end(), f) !=
           console_sign_in_flows.end();
}

// What a statement's Action names.
struct actions_named {
    bool signin_only = false;  // AWS Sign-In actions only (not "*")
    bool pre_auth = false;     // signin:Authenticate
    bool post_auth = false;    // the OAuth 2.0 pair
    bool sign_up = false;      // signin:CreateAccount
    std::uint8_t steps = 0;    // signin_action::step of each console sign-in action named
    // Patterns that name AWS Sign-In actions and, by a wildcard in the service prefix, other
    // services' too ("s*", "*Authenticate"): whatever the console endpoint evaluates beside
    // them, which no rule selects. A Deny of them is refused (statement()).
    std::vector<std::string_view> wider;
    // NotAction: every action but the AWS Sign-In actions named (not_action()); the fields
    // above then say what is left (steps, pre_auth, post_auth, sign_up).
    bool inverted = false;
    // "*" in the Sign-In endpoint's policy: AWS Sign-In's four actions (signin_only is set).
    bool star = false;
};

// A pattern every action name matches ("*", "*:*", "**"): IAM matches an action pattern against
// "<service>:<action>" with '*' and '?' (IAM JSON policy elements: Action), so these are "*".
bool matches_every_action(std::string_view a) {
    if (a.empty() || a.front() != '*' || a.back() != '*') return false;
    auto colon = a.find(':');
    if (colon != std::string_view::npos && a.find(':', colon + 1) != std::string_view::npos)
        return false;
    return std::all_of(a.begin(), a.end(), [](char c) { return c == '*' || c == ':'; });
}

// The service prefix is written out: the pattern names AWS Sign-In's actions alone.
bool signin_prefix(std::string_view a) {
    constexpr std::string_view prefix = "signin:";
    if (a.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        if (ascii_lower(a[i]) != prefix[i]) return false;
    }
    return true;
}

// A condition operator as IAM spells it (IAM JSON policy elements: Condition operators):
// [ForAnyValue:|ForAllValues:]String[Not]{Equals,EqualsIgnoreCase,Like}[IfExists], or Null.
std::optional<key_condition> parse_operator(std::string_view op) {
    key_condition c;
    if (op.starts_with("ForAnyValue:")) {
        c.set = key_condition::qualifier::for_any_value;
        op.remove_prefix(12);
    } else if (op.starts_with("ForAllValues:")) {
        c.set = key_condition::qualifier::for_all_values;
        op.remove_prefix(13);
    }
    if (op == "Null") {
        if (c.set != key_condition::qualifier::none) return std::nullopt;
        c.op = key_condition::test::null;
        return c;
    }
    if (op.ends_with("IfExists")) {
        c.if_exists = true;
        op.remove_suffix(8);
    }
    if (!op.starts_with("String")) return std::nullopt;
    op.remove_prefix(6);
    if (op.starts_with("Not")) {
        c.negated = true;
        op.remove_prefix(3);
    }
    if (op == "Equals") {
        c.op = key_condition::test::equals;
    } else if (op == "EqualsIgnoreCase") {
        c.op = key_condition::test::equals;
        c.ignore_case = true;
    } else if (op == "Like") {
        c.op = key_condition::test::like;
    } else {
        return std::nullopt;
    }
    return c;
}

std::string operator_refusal(std::string_view op) {
    if (op.find("Arn") != std::string_view::npos) {
        // IAM JSON policy elements: Condition operators, "Amazon Resource Name (ARN) condition
        // operators" compare ARNs, and no key an endpoint policy is imported on holds one.
        return "condition operator not supported: ARN operators compare ARNs, and none of the "
               "keys the gateway judges (aws:PrincipalAccount, aws:PrincipalOrgID, "
               "aws:PrincipalOrgPaths, aws:ResourceAccount, aws:ResourceOrgID) holds one; "
               "write StringNotEquals (or StringEquals) on aws:PrincipalAccount";
    }
    if (op.starts_with("ForAnyValue:Null") || op.starts_with("ForAllValues:Null"))
        return "condition operator not supported: Null takes no set qualifier; write Null";
    return "condition operator not supported (use String[Not]Equals, String[Not]Like, "
           "String[Not]EqualsIgnoreCase, each with …IfExists and after ForAnyValue: or "
           "ForAllValues:, or Null): the keys the gateway judges are strings";
}

class importer {
  public:
    importer(std::string_view file, policy_endpoint scope)
        : file_(file), stem_(file_stem(file)), scope_(scope) {}

    // At the element's place in the file (json_positions); the message names it too.
    void error(std::string path, std::string message) {
        auto at = positions_.find(path);
        out_.diagnostics.push_back({{file_, at.line, at.column},
                                    path.empty() ? std::move(message) : path + ": " + message});
    }

    // A string or list of strings; `what` names it for messages. Empty list is an error.
    bool strings(const json::value& v, const std::string& path,
                 std::vector<std::string_view>& out) {
        if (const auto* s = v.if_string()) {
            out.push_back(sv(*s));
            return true;
        }
        const auto* arr = v.if_array();
        if (!arr) {
            error(path, "must be a string or a list of strings");
            return false;
        }
        if (arr->empty()) {
            error(path, "an empty list matches nothing in IAM; remove the statement instead");
            return false;
        }
        bool ok = true;
        for (std::size_t i = 0; i < arr->size(); ++i) {
            if (const auto* s = (*arr)[i].if_string()) {
                out.push_back(sv(*s));
            } else {
                error(json_path(path, i), "must be a string");
                ok = false;
            }
        }
        return ok;
    }

    // Principal "*" / {"AWS": "*"}; Action and Resource "*" (or ["*"]).
    void only_star(const json::value& v, const std::string& path, bool principal) {
        const json::value* x = &v;
        if (principal) {
            if (const auto* o = v.if_object()) {
                if (o->size() != 1 || !o->contains("AWS")) {
                    error(path, "only \"*\" or {\"AWS\": \"*\"} can be imported");
                    return;
                }
                x = &o->at("AWS");
            }
        }
        std::vector<std::string_view> vals;
        if (!strings(*x, path, vals)) return;
        for (auto s : vals) {
            if (s != "*") {
                // AWS Management Console, "Trusted identities": these endpoints' policies take
                // Principal "*" and Resource "*", and name accounts in conditions.
                error(path,
                      "only \"*\" can be imported (the gateway decides per sign-in, not per "
                      "principal, action or resource): \"" +
                          std::string(s) + "\"" +
                          (principal ? "; write \"Principal\": \"*\" and name the account "
                                       "under Condition, StringEquals aws:PrincipalAccount"
                                     : ""));
                return;
            }
        }
    }

    // NotPrincipal / NotResource of "*" alone (or {"AWS": "*"}): nothing is left for the
    // statement. No diagnostic; the caller reports anything else.
    bool only_star_quietly(const json::value& v, bool principal) {
        const json::value* x = &v;
        if (const auto* o = v.if_object(); principal && o) {
            if (o->size() != 1 || !o->contains("AWS")) return false;
            x = &o->at("AWS");
        }
        if (const auto* s = x->if_string()) return *s == "*";
        const auto* arr = x->if_array();
        if (!arr || arr->empty()) return false;
        return std::all_of(arr->begin(), arr->end(),
                           [](const json::value& e) { return e.is_string() && e == "*"; });
    }

    // Action "*" (or NotAction of AWS Sign-In actions only, in the console endpoint's policy):
    // every action of the endpoint. The Sign-In endpoint's are AWS Sign-In's four; the console
    // endpoint's are a session's console requests.
    void every_action(rule_config& rule, actions_named& named) {
        if (scope_ == policy_endpoint::sign_in) {
            named.signin_only = true;
            named.star = true;
            named.pre_auth = named.post_auth = true;
            named.steps = console_steps;
            rule.flows.assign(console_sign_in_flows.begin(), console_sign_in_flows.end());
            rule.flows.push_back(sign_in_flow::cli_sign_in);
        } else if (scope_ == policy_endpoint::console) {
            rule.flows.assign(console_endpoint_flows.begin(), console_endpoint_flows.end());
        }
    }

    // NotAction (IAM JSON policy elements: NotAction): the statement is of every action but the
    // ones named. Each pattern must name AWS Sign-In actions with the service written out: one of
    // another service, or with a wildcard in its service prefix, leaves out actions the console
    // endpoint evaluates that no rule selects one by one. So it is Action "*" less the AWS
    // Sign-In actions named; "*" leaves nothing (the statement matches nothing).
    void not_action(const json::value& v, const std::string& path, rule_config& rule,
                    actions_named& named) {
        std::vector<std::string_view> vals;
        if (!strings(v, path, vals)) return;
        std::uint8_t left_out = 0;
        bool sign_up_left_out = false;
        for (auto a : vals) {
            if (matches_every_action(a)) {
                nothing_ = true;
                continue;
            }
            if (!signin_prefix(a)) {
                error(path, "\"" + std::string(a) +
                                "\" leaves out actions of other services, which the console "
                                "endpoint evaluates and no rule can leave out one by one; "
                                "NotAction can name AWS Sign-In actions (signin:…) only");
                continue;
            }
            bool any = false;
            for (const auto& sa : signin_actions) {
                if (!glob_match(a, sa.name, glob_case::insensitive)) continue;
                any = true;
                left_out |= sa.step;
                sign_up_left_out |= sa.phase == signin_phase::sign_up;
            }
            if (!any) {
                error(path, "action not supported: \"" + std::string(a) +
                                "\" (NotAction names signin:Authenticate, "
                                "signin:AuthorizeOAuth2Access, signin:CreateOAuth2Token, "
                                "signin:CreateAccount)");
            }
        }
        named.inverted = true;
        named.steps = console_steps & ~left_out;
        named.pre_auth = (named.steps & 1u) != 0;
        named.post_auth = (named.steps & 6u) != 0;
        named.sign_up = !sign_up_left_out;
        // Every flow but those whose every action was left out: the console sign-in flows when
        // all three of theirs were (an Allow of some of the three is joined with the other
        // statements' in combine()), `aws login` when both OAuth 2.0 actions were.
        rule.flows.clear();
        for (int f = 0; f < sign_in_flow_count; ++f) {
            auto flow = static_cast<sign_in_flow>(f);
            if (flow == sign_in_flow::account_sign_up) continue;  // policy.account_sign_up
            if (named.steps == 0 && is_console_sign_in(flow)) continue;
            if (!named.post_auth && flow == sign_in_flow::cli_sign_in) continue;
            if (scope_ == policy_endpoint::sign_in && !is_console_sign_in(flow) &&
                flow != sign_in_flow::cli_sign_in)
                continue;
            rule.flows.push_back(flow);
        }
        if (scope_ == policy_endpoint::console) {
            // The console endpoint evaluates no AWS Sign-In action: leaving some out leaves
            // every one of its own.
            named = actions_named{};
            every_action(rule, named);
        }
    }

    // "*" (every flow, as before) or AWS Sign-In actions, globs allowed (IAM compares action
    // names case-insensitively): the rule then selects the flows of the actions named.
    void action(const json::value& v, const std::string& path, rule_config& rule,
                actions_named& named) {
        std::vector<std::string_view> vals;
        if (!strings(v, path, vals)) return;
        if (std::any_of(vals.begin(), vals.end(), matches_every_action)) {
            every_action(rule, named);
            return;
        }
        if (scope_ == policy_endpoint::console) {
            error(path,
                  "names AWS Sign-In actions, which the console endpoint never evaluates "
                  "(sign-in goes through the Sign-In endpoint): put the statement in the "
                  "Sign-In endpoint's policy (policy.sign_in_endpoint_policies)");
            return;
        }
        named.signin_only = true;
        std::set<sign_in_flow> flows;
        for (auto a : vals) {
            bool any = false;
            for (const auto& sa : signin_actions) {
                if (!glob_match(a, sa.name, glob_case::insensitive)) continue;
                any = true;
                named.pre_auth |= sa.phase == signin_phase::pre_auth;
                named.post_auth |= sa.phase == signin_phase::post_auth;
                named.sign_up |= sa.phase == signin_phase::sign_up;
                named.steps |= sa.step;
                flows.insert(sa.flows.begin(), sa.flows.end());
            }
            if (any && !signin_prefix(a)) named.wider.push_back(a);
            if (!any) {
                error(path, "action not supported: \"" + std::string(a) +
                                "\" (use \"*\" or signin:Authenticate, "
                                "signin:AuthorizeOAuth2Access, signin:CreateOAuth2Token, "
                                "signin:CreateAccount)");
            }
        }
        rule.flows.assign(flows.begin(), flows.end());
    }

    // `signin_only`: the statement's Action names AWS Sign-In actions only. There (the Sign-In
    // VPC endpoint policy) aws:ResourceAccount / aws:ResourceOrgID are the account signed in to
    // and its organization, which is what aws:PrincipalAccount / aws:PrincipalOrgID say after
    // authentication: the same selector. Under Action "*" (the console endpoint policy) they
    // name the resources a console session reaches, which the gateway does not judge.
    void condition(const json::value& v, const std::string& path, rule_config& rule,
                   const actions_named& named, const std::string& name) {
        bool signin_only = named.signin_only || scope_ == policy_endpoint::sign_in;
        const auto* ops = v.if_object();
        if (!ops) {
            error(path, "must be an object");
            return;
        }
        std::set<std::string> seen_keys;
        for (const auto& [op_key, op_value] : *ops) {
            auto op = sv(op_key);
            auto op_path = json_path(path, op);
            auto parsed = parse_operator(op);
            if (!parsed) {
                error(op_path, operator_refusal(op));
                continue;
            }
            // IAM JSON policy elements: Condition operators, "exact matching, ignoring case".
            // Account IDs are digits and organization, root and OU IDs lowercase, so a value
            // lowercased is matched exactly as AWS matches it ignoring case.
            const bool ignore_case = parsed->ignore_case;
            const bool like = parsed->op == key_condition::test::like;
            // What a selector says (a positive StringEquals / StringLike, bare or after
            // ForAnyValue:) becomes one; everything else stays a condition evaluated as IAM
            // does (key_condition.hpp).
            const bool selector = !parsed->negated && !parsed->if_exists &&
                                  parsed->op != key_condition::test::null &&
                                  parsed->set != key_condition::qualifier::for_all_values;
            const auto* keys = op_value.if_object();
            if (!keys) {
                error(op_path, "must be an object of condition keys");
                continue;
            }
            for (const auto& [k, kv] : *keys) {
                auto key = sv(k);
                auto key_path = json_path(op_path, key);
                std::string lower(key);
                std::transform(lower.begin(), lower.end(), lower.begin(), ascii_lower);
                if (lower == "aws:resourceaccount" || lower == "aws:resourceorgid") {
                    if (!signin_only) {
                        error(key_path,
                              "under Action \"*\" this key names the resources a console "
                              "session reaches, which the gateway does not judge; it is the "
                              "account signed in to only in statements of AWS Sign-In actions "
                              "(signin:Authenticate, …)");
                        continue;
                    }
                    lower = lower == "aws:resourceaccount" ? "aws:principalaccount"
                                                           : "aws:principalorgid";
                } else if (named.pre_auth && lower.starts_with("aws:principal")) {
                    // AWS Management Console, "Trusted identities": before authentication
                    // "only resource-based condition keys are available".
                    error(
                        key_path,
                        "statement \"" + name + "\": " + std::string(key) +
                            " is not available before authentication, and the "
                            "statement names signin:Authenticate: there AWS "
                            "decides its condition the same for every sign-in "
                            "(never met by a positive operator, always by a "
                            "negated, …IfExists or Null \"true\" one; write aws:ResourceAccount / "
                            "aws:ResourceOrgID in a statement of signin:Authenticate, "
                            "aws:Principal* in one of the OAuth 2.0 actions)");
                    continue;
                }
                if (lower != "aws:principalaccount" && lower != "aws:principalorgid" &&
                    lower != "aws:principalorgpaths") {
                    error(key_path,
                          "condition key not supported (use aws:PrincipalAccount, "
                          "aws:PrincipalOrgID, aws:PrincipalOrgPaths, or in statements of "
                          "AWS Sign-In actions aws:ResourceAccount, aws:ResourceOrgID)");
                    continue;
                }
                if (!selector) {
                    condition_of(*parsed, op, key, lower, kv, key_path, rule);
                    continue;
                }
                std::vector<std::string_view> vals;
                if (!strings(kv, key_path, vals)) continue;
                rule_config part;
                for (std::size_t i = 0; i < vals.size(); ++i) {
                    std::string text(vals[i]);
                    if (ignore_case)
                        std::transform(text.begin(), text.end(), text.begin(), ascii_lower);
                    value(lower, like, text, kv.is_array() ? json_path(key_path, i) : key_path,
                          part);
                }
                // IAM requires every operator's test (IAM JSON policy elements: Condition), so
                // a key written twice (under two operators, or as aws:ResourceAccount beside
                // aws:PrincipalAccount) selects the values both lists select.
                bool first = seen_keys.insert(lower).second;
                std::string bad;
                if (lower == "aws:principalaccount") {
                    if (first)
                        rule.accounts = std::move(part.accounts);
                    else if (!meet(rule.accounts, part.accounts))
                        nothing_ = true;
                } else if (lower == "aws:principalorgid") {
                    if (first)
                        rule.org_ids = std::move(part.org_ids);
                    else if (!meet(rule.org_ids, part.org_ids))
                        nothing_ = true;
                } else if (first) {
                    rule.ou_paths = std::move(part.ou_paths);
                } else if (auto m = meet_paths(rule.ou_paths, part.ou_paths, bad);
                           m == met::cannot) {
                    error(key_path, "constrained twice in one statement, and the values " + bad +
                                        " cannot be intersected into one (IAM requires both); "
                                        "write paths as o-…/r-…/ou-…/ or o-…/r-…/ou-…/*");
                } else if (m == met::nothing) {
                    nothing_ = true;
                }
            }
        }
    }

    // A condition no selector says (key_condition): its values checked as value() checks a
    // selector's, wildcards allowed under StringNotLike.
    void condition_of(const key_condition& parsed, std::string_view op, std::string_view key,
                      const std::string& lower, const json::value& kv, const std::string& key_path,
                      rule_config& rule) {
        key_condition c = parsed;
        c.key = lower == "aws:principalaccount" ? condition_key::account
                : lower == "aws:principalorgid" ? condition_key::org_id
                                                : condition_key::org_paths;
        c.text = std::string(op) + " " + std::string(key);
        if (c.op == key_condition::test::null) {
            // IAM JSON policy elements: Condition operators, "Condition operator to check
            // existence of condition keys": "true" (the key is absent) or "false".
            const auto* s = kv.if_string();
            std::string_view b = s ? sv(*s) : std::string_view{};
            if (kv.is_bool()) b = kv.get_bool() ? "true" : "false";
            if (b != "true" && b != "false") {
                error(key_path, "Null takes \"true\" (the key is absent) or \"false\"");
                return;
            }
            c.null_means_absent = b == "true";
            rule.conditions.push_back(std::move(c));
            return;
        }
        std::vector<std::string_view> vals;
        if (!strings(kv, key_path, vals)) return;
        const bool like = c.op == key_condition::test::like;
        bool ok = true;
        for (std::size_t i = 0; i < vals.size(); ++i) {
            std::string text(vals[i]);
            if (c.ignore_case) std::transform(text.begin(), text.end(), text.begin(), ascii_lower);
            auto at = kv.is_array() ? json_path(key_path, i) : key_path;
            if (like && has_glob_wildcard(text)) {
                // A pattern: what it may match is checked by its literal characters.
                if (text.find("${") != std::string::npos) {
                    error(at, "policy variables cannot be imported: \"" + text + "\"");
                    ok = false;
                }
            } else {
                rule_config scratch;
                auto before = out_.diagnostics.size();
                value(lower, like, text, at, scratch);
                ok = ok && out_.diagnostics.size() == before;
            }
            c.values.push_back(std::move(text));
        }
        if (ok) rule.conditions.push_back(std::move(c));
    }

    void value(std::string_view key, bool like, std::string_view val, const std::string& path,
               rule_config& rule) {
        auto quoted = "\"" + std::string(val) + "\"";
        if (val.find("${") != std::string_view::npos) {
            error(path, "policy variables cannot be imported: " + quoted);
            return;
        }
        bool wild = has_glob_wildcard(val);
        if (key == "aws:principalaccount") {
            auto a = wild ? std::nullopt : account_id::parse(val);
            if (!a) {
                error(path, wild ? "wildcards in account IDs cannot be imported: " + quoted
                                 : "not a 12-digit account ID: " + quoted);
                return;
            }
            if (std::find(rule.accounts.begin(), rule.accounts.end(), *a) == rule.accounts.end()) {
                rule.accounts.push_back(*a);
            }
        } else if (key == "aws:principalorgid") {
            if (wild || !is_org_id(val)) {
                error(path, wild ? "wildcards in organization IDs cannot be imported: " + quoted
                                 : "not an organization ID (o-…): " + quoted);
                return;
            }
            rule.org_ids.emplace_back(val);
        } else {
            if (wild && !like) {
                // StringEquals compares '*' literally; no real path holds one.
                error(path,
                      "'*' under StringEquals matches a literal '*'; use StringLike: " + quoted);
                return;
            }
            if (!is_org_path_selector(val)) {
                error(path, "not an organization path (o-…/r-…/ou-…/): " + quoted);
                return;
            }
            rule.ou_paths.emplace_back(val);
        }
    }

    void statement(const json::value& v, const std::string& path, std::size_t n,
                   std::set<std::string>& sids) {
        const auto* st = v.if_object();
        if (!st) {
            error(path, "a statement must be an object");
            return;
        }
        auto before = out_.diagnostics.size();
        nothing_ = false;
        rule_config rule;
        rule.where.file = file_;
        actions_named named;
        bool has_effect = false, has_principal = false;
        const json::value* condition_value = nullptr;
        std::string condition_path;
        std::string action_path;
        std::string sid;
        for (const auto& [k, val] : *st) {
            auto key = sv(k);
            auto kp = json_path(path, key);
            if (key == "Sid") {
                if (const auto* s = val.if_string()) {
                    sid = std::string(sv(*s));
                    if (!sid.empty() && !sids.insert(sid).second) error(kp, "duplicate Sid");
                } else {
                    error(kp, "must be a string");
                }
            } else if (key == "Effect") {
                has_effect = true;
                const auto* s = val.if_string();
                if (s && *s == "Allow") {
                    rule.effect = rule_effect::allow;
                } else if (s && *s == "Deny") {
                    rule.effect = rule_effect::deny;
                } else {
                    error(kp, "must be \"Allow\" or \"Deny\"");
                }
            } else if (key == "Principal") {
                has_principal = true;
                only_star(val, kp, true);
            } else if (key == "Action") {
                action(val, kp, rule, named);
                action_path = kp;
            } else if (key == "Resource") {
                only_star(val, kp, false);
            } else if (key == "Condition") {
                condition_value = &val;  // read once Action is known, wherever it is written
                condition_path = kp;
            } else if (key == "NotResource" || key == "NotPrincipal") {
                // IAM JSON policy elements: NotPrincipal, NotResource: the statement applies to
                // every principal (resource) but those listed. "*" leaves none, so the
                // statement matches nothing, on AWS as here; anything else names principals or
                // resources by ARN, which the gateway does not judge a sign-in by.
                has_principal = has_principal || key == "NotPrincipal";
                if (only_star_quietly(val, key == "NotPrincipal")) {
                    nothing_ = true;
                } else {
                    error(kp, key == "NotPrincipal"
                                  ? "cannot be imported: the gateway judges a sign-in by its "
                                    "account and organization, not its principal's ARN; write "
                                    "\"Principal\": \"*\" and, under Condition, "
                                    "StringNotEquals aws:PrincipalAccount (a Deny of every "
                                    "account but those) or StringEquals (an Allow of them)"
                                  : "cannot be imported: the gateway does not judge the "
                                    "resource a request names; write \"Resource\": \"*\" and "
                                    "name accounts under Condition (aws:ResourceAccount in a "
                                    "statement of AWS Sign-In actions)");
                }
            } else if (key == "NotAction") {
                not_action(val, kp, rule, named);
                action_path = kp;
            } else {
                error(kp, "unknown statement element");
            }
        }
        auto name = sid.empty() ? "statement-" + std::to_string(n) : sid;
        const auto* effect = st->if_contains("Effect");
        if (effect && *effect == "Deny" && !named.wider.empty()) {
            // Imported as the sign-in flows alone it would deny less than AWS does.
            error(action_path, "statement \"" + name + "\": \"" + std::string(named.wider[0]) +
                                   "\" matches other services' actions too (its service prefix "
                                   "has a wildcard), which the console endpoint evaluates and "
                                   "no rule can select one by one; a Deny of it would refuse "
                                   "less here than on AWS: write signin:… or \"*\"");
        }
        if (condition_value) condition(*condition_value, condition_path, rule, named, name);
        if (!has_effect) error(path, "missing \"Effect\"");
        if (!has_principal) error(path, "missing \"Principal\"");
        if (out_.diagnostics.size() != before) return;
        // Its conditions select no value together: it matches nothing, on AWS as here.
        if (nothing_) return;
        if (!named.signin_only) all_signin_only_ = false;
        if ((named.inverted ? named.sign_up : !named.signin_only || named.star) &&
            rule.effect == rule_effect::deny && !condition_value &&
            scope_ != policy_endpoint::console) {
            // Action "*" is signin:CreateAccount too: an unconditioned Deny of it refuses
            // sign-up on AWS, which policy.account_sign_up = "deny" represents.
            out_.denies_account_sign_up = true;
        }
        if (named.inverted) {
            // Action "*" less some AWS Sign-In actions: sign-up as under "*" (above).
        } else if (named.sign_up && condition_value) {
            // AWS Management Console, "Trusted identities": signin:CreateAccount "uses an
            // anonymous principal ... and does not support condition keys", so a condition
            // never matches sign-up and the statement does not reach it.
            if (!named.pre_auth && !named.post_auth) {
                error(path, "statement \"" + name +
                                "\": signin:CreateAccount takes no condition keys (sign-up "
                                "has an anonymous principal), so this statement would never "
                                "match; write it without a Condition");
                return;
            }
        } else if (named.sign_up) {
            if (rule.effect == rule_effect::allow) {
                error(path, "statement \"" + name +
                                "\": signin:CreateAccount cannot be allowed by a rule; account "
                                "sign-up is decided by policy.account_sign_up (\"deny\" or "
                                "\"report-only\")");
                return;
            }
            out_.denies_account_sign_up = true;
            if (rule.flows.empty()) return;  // only CreateAccount: the setting is the rule
        }
        if ((named.signin_only || named.inverted) && named.post_auth) {
            // One OAuth 2.0 action without the other: AWS evaluates /v1/authorize against
            // signin:AuthorizeOAuth2Access and /v1/token against signin:CreateOAuth2Token, so
            // `aws login` is allowed (or denied) at the step named, not at both.
            auto post = named.steps & 6u;
            if (post == 2u) rule.oauth_actions = {oauth2_action::authorize};
            if (post == 4u) rule.oauth_actions = {oauth2_action::token};
        }
        if (named.post_auth && rule.effect == rule_effect::deny && !named.inverted) {
            // A console sign-in goes through the OAuth 2.0 pair after authentication: AWS's
            // Deny of it refuses console sign-in too.
            std::set<sign_in_flow> flows(rule.flows.begin(), rule.flows.end());
            flows.insert(console_sign_in_flows.begin(), console_sign_in_flows.end());
            rule.flows.assign(flows.begin(), flows.end());
        }
        rule.name = stem_ + ":" + name;
        rule.description = "imported from endpoint policy " + file_ + described_scope();
        if (rule.effect == rule_effect::allow) {
            // A console sign-in is allowed where every one of its three actions is (combine());
            // this statement's own rule keeps the other flows it selects.
            std::uint8_t steps = named.signin_only || named.inverted ? named.steps : console_steps;
            const bool every = steps == console_steps && !named.signin_only;
            if (steps != 0 && scope_ != policy_endpoint::console) {
                allows_.push_back(
                    {rule, name, path, steps, every, every ? no_rule : out_.rules.size()});
            }
            if (!every && steps != 0 && scope_ != policy_endpoint::console) {
                std::erase_if(rule.flows, is_console_sign_in);
                if (rule.flows.empty()) {
                    allows_.back().rule_index = no_rule;
                    return;
                }
            }
        }
        out_.rules.push_back(std::move(rule));
    }

    // AWS evaluates a console sign-in through the Sign-In endpoint three times, against
    // signin:Authenticate before authentication and signin:AuthorizeOAuth2Access and
    // signin:CreateOAuth2Token after it ("Trusted identities"; "console sign-in uses OAuth 2.0,
    // which flows through all three actions", AWS Sign-In User Guide), and it succeeds only
    // where each is allowed: a statement allowing signin:Authenticate for every account beside
    // one allowing the OAuth 2.0 pair for ours lets the sign-in page open for anyone and the
    // sign-in finish only for ours. The console sign-in flows are therefore allowed by one rule
    // per choice of an Allow for each action, selecting what all three select (an Allow of
    // Action "*" is one for each, and its own rule holds every choice it is in); a choice whose
    // statements select nothing in common allows nothing. Denies need no such care: a Deny of any
    // of the three refuses the sign-in.
    void combine() {
        std::vector<const console_allow*> by_step[3];
        for (const auto& a : allows_) {
            for (int k = 0; k < 3; ++k) {
                if (a.steps & (1u << k)) by_step[k].push_back(&a);
            }
        }
        if (by_step[0].size() * by_step[1].size() * by_step[2].size() > max_console_choices) {
            error("Statement", "more than " + std::to_string(max_console_choices) +
                                   " ways to allow all three console sign-in actions "
                                   "(signin:Authenticate, signin:AuthorizeOAuth2Access, "
                                   "signin:CreateOAuth2Token); merge the statements");
            return;
        }
        std::vector<rule_config> made;
        for (const auto* a : by_step[0]) {
            for (const auto* b : by_step[1]) {
                for (const auto* c : by_step[2]) {
                    // An Allow of Action "*" selects every flow by its own rule, so every
                    // choice holding it is in that rule already.
                    if (a->every || b->every || c->every) continue;
                    if (a == b && b == c) {
                        auto& r = out_.rules.at(a->rule_index);
                        std::set<sign_in_flow> flows(r.flows.begin(), r.flows.end());
                        flows.insert(console_sign_in_flows.begin(), console_sign_in_flows.end());
                        r.flows.assign(flows.begin(), flows.end());
                        continue;
                    }
                    rule_config r = a->rule;
                    std::vector<std::string> names{a->name};
                    bool some = true;
                    for (const auto* x : {b, c}) {
                        if (std::find(names.begin(), names.end(), x->name) == names.end())
                            names.push_back(x->name);
                        some = some && meet(r.accounts, x->rule.accounts) &&
                               meet(r.org_ids, x->rule.org_ids) && meet_paths_of(r, *x);
                        // Each step's statement's conditions must hold too (AWS evaluates all
                        // three); a condition both write is written once.
                        for (const auto& k : x->rule.conditions) {
                            if (std::find(r.conditions.begin(), r.conditions.end(), k) ==
                                r.conditions.end())
                                r.conditions.push_back(k);
                        }
                    }
                    if (!some) continue;
                    r.flows.assign(console_sign_in_flows.begin(), console_sign_in_flows.end());
                    r.oauth_actions.clear();  // narrows cli_sign_in alone
                    r.name = stem_ + ":";
                    for (std::size_t i = 0; i < names.size(); ++i)
                        r.name += (i ? "+" : "") + names[i];
                    r.description = "imported from endpoint policy " + file_ + described_scope() +
                                    " (console sign-in: the statements allowing each of its "
                                    "three actions)";
                    bool again = std::any_of(made.begin(), made.end(), [&](const rule_config& m) {
                        return m.accounts == r.accounts && m.org_ids == r.org_ids &&
                               m.ou_paths == r.ou_paths && m.conditions == r.conditions;
                    });
                    if (!again) made.push_back(std::move(r));
                }
            }
        }
        for (auto& r : made) out_.rules.push_back(std::move(r));
    }

    endpoint_policy_import run(std::string_view text) {
        if (text.size() > endpoint_policy_max_bytes) {
            error("", "larger than " + std::to_string(endpoint_policy_max_bytes) +
                          " bytes; an endpoint policy is at most 20480 characters");
            return finish();
        }
        auto doc = detail::parse_json_strict(text);
        if (!doc.ok) {
            out_.diagnostics.push_back({{file_, doc.line, doc.column}, doc.error});
            return finish();
        }
        positions_ = detail::json_positions(text);
        const auto* top = doc.value.if_object();
        if (!top) {
            error("", "an endpoint policy must be a JSON object with a \"Statement\"");
            return finish();
        }
        const json::value* statements = nullptr;
        for (const auto& [k, val] : *top) {
            auto key = sv(k);
            if (key == "Version") {
                const auto* s = val.if_string();
                if (!s || (*s != "2012-10-17" && *s != "2008-10-17")) {
                    error("Version", "must be \"2012-10-17\" (or \"2008-10-17\")");
                }
            } else if (key == "Id") {
                if (!val.is_string()) error("Id", "must be a string");
            } else if (key == "Statement") {
                statements = &val;
            } else {
                error(std::string(key), "unknown policy element");
            }
        }
        if (!statements) {
            error("", "missing \"Statement\"");
            return finish();
        }
        std::set<std::string> sids;
        if (const auto* arr = statements->if_array()) {
            if (arr->empty()) error("Statement", "empty: the policy would allow nothing");
            if (arr->size() > endpoint_policy_max_statements) {
                error("Statement", "more than " + std::to_string(endpoint_policy_max_statements) +
                                       " statements");
                return finish();
            }
            for (std::size_t i = 0; i < arr->size(); ++i) {
                statement((*arr)[i], json_path("Statement", i), i + 1, sids);
            }
        } else {
            statement(*statements, "Statement", 1, sids);
        }
        if (out_.diagnostics.empty()) combine();
        return finish();
    }

  private:
    struct console_allow {
        rule_config rule;  // as the statement selects, before its console flows were taken out
        std::string name;  // Sid or statement-<n>
        std::string path;  // Statement[i]
        std::uint8_t steps;
        bool every;  // Action "*": every flow, its own rule
        std::size_t rule_index;
    };
    static constexpr std::size_t no_rule = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_console_choices = 4096;

    // r's OU paths and x's both; a diagnostic at x when their shapes cannot be.
    bool meet_paths_of(rule_config& r, const console_allow& x) {
        std::string bad;
        auto m = meet_paths(r.ou_paths, x.rule.ou_paths, bad);
        if (m == met::cannot) {
            error(x.path, "statement \"" + x.name +
                              "\" allows a step of console sign-in that another statement "
                              "allows another step of, and their aws:PrincipalOrgPaths values " +
                              bad +
                              " cannot be intersected into one (AWS requires both); write "
                              "paths as o-…/r-…/ou-…/ or o-…/r-…/ou-…/*");
        }
        return m == met::some;
    }

    std::string described_scope() const {
        switch (scope_) {
            case policy_endpoint::sign_in: return ", the Sign-In endpoint's";
            case policy_endpoint::console: return ", the console endpoint's";
            case policy_endpoint::both: break;
        }
        return "";
    }

    endpoint_policy_import finish() {
        if (!out_.diagnostics.empty()) out_.rules.clear();
        out_.endpoint = scope_;
        return std::move(out_);
    }

    std::string file_;
    std::string stem_;
    detail::json_positions positions_;
    std::vector<console_allow> allows_;
    bool nothing_ = false;  // the statement's conditions have no value in common
    policy_endpoint scope_;
    bool all_signin_only_ = true;  // every statement names AWS Sign-In actions only

  public:
    bool all_signin_only() const noexcept { return all_signin_only_; }
    endpoint_policy_import out_;
};

}  // namespace

const char* policy_endpoint_name(policy_endpoint e) noexcept {
    switch (e) {
        case policy_endpoint::sign_in: return "sign-in";
        case policy_endpoint::console: return "console";
        case policy_endpoint::both: break;
    }
    return "both";
}

endpoint_policy_import import_endpoint_policy(std::string_view json_text, std::string_view file,
                                              std::optional<policy_endpoint> stated) {
    if (stated) return importer(file, *stated).run(json_text);
    // Not said: read as `both`, which decides a statement of AWS Sign-In actions only exactly as
    // the Sign-In endpoint's policy does; a document of such statements alone is that policy.
    importer both(file, policy_endpoint::both);
    auto out = both.run(json_text);
    if (out.ok() && both.all_signin_only()) out.endpoint = policy_endpoint::sign_in;
    return out;
}

}  // namespace consolegate::core
