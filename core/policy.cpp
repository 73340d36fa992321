#include "consolegate/core/policy.hpp"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "consolegate/core/idc_user.hpp"
#include "key_condition.hpp"

namespace consolegate::core {
namespace {

using clock = std::chrono::system_clock;

std::string lowered(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), ascii_lower);
    return out;
}

// Lexicographic comparison of lowercase `key` against `a` folded to lowercase.
int compare_lower(std::string_view key, std::string_view a) noexcept {
    auto n = std::min(key.size(), a.size());
    for (std::size_t i = 0; i < n; ++i) {
        char x = key[i], y = ascii_lower(a[i]);
        if (x != y) return x < y ? -1 : 1;
    }
    return key.size() == a.size() ? 0 : (key.size() < a.size() ? -1 : 1);
}

// Interns candidate lists by content: 100 000 accounts share a few hundred distinct lists.
class list_interner {
  public:
    explicit list_interner(std::vector<std::vector<std::uint32_t>>& lists) : lists_(lists) {}
    std::uint32_t intern(std::vector<std::uint32_t> list) {
        auto [it, fresh] = index_.try_emplace(list, static_cast<std::uint32_t>(lists_.size()));
        if (fresh) lists_.push_back(std::move(list));
        return it->second;
    }

  private:
    std::vector<std::vector<std::uint32_t>>& lists_;
    std::map<std::vector<std::uint32_t>, std::uint32_t> index_;
};

}  // namespace

compiled_policy::compiled_policy(const policy_config& config)
    : report_only_(config.report_only),
      partitions_(config.partitions),
      allow_unknown_account_pre_auth_(config.allow_unknown_account_pre_auth),
      deny_unknown_corp_user_(config.deny_unknown_corp_user),
      portal_console_if_anyone_elevated_(config.portal_console_if_anyone_elevated),
      account_sign_up_(config.account_sign_up),
      unbound_sessions_(config.unbound_sessions),
      ams_change_types_(config.ams_change_types),
      ams_reserved_roles_(config.ams_reserved_role_prefixes.empty() ? guard_action::off
                                                                    : config.ams_reserved_roles),
      ams_elevation_(config.ams_elevation),
      ams_change_type_ids_(config.ams_change_type_ids),
      ams_reserved_role_prefixes_(config.ams_reserved_role_prefixes),
      site_realms_(config.site_realms),
      org_(org_tree::from_config(config)),
      org_id_(config.org_id) {
    for (const auto& [alias, account] : config.aliases)
        aliases_.emplace_back(lowered(alias), account);
    std::sort(aliases_.begin(), aliases_.end());

    const auto& src = config.rules;
    rules_.reserve(src.size());
    for (const auto& rc : src) {
        rule r;
        r.name = rc.name;
        r.effect = rc.effect;
        r.report_only = rc.report_only;
        r.has_account_selector =
            !rc.accounts.empty() || !rc.org_ids.empty() || !rc.ou_paths.empty();
        for (auto f : rc.flows) r.flows |= flow_bit(f);
        for (auto o : rc.oauth_actions) r.oauth_actions |= 1u << static_cast<unsigned>(o);
        r.partitions = rc.partitions;
        auto role_case =
            rc.effect == rule_effect::deny ? glob_case::insensitive : glob_case::sensitive;
        for (const auto& g : rc.roles) r.roles.emplace_back(g, role_case);
        for (const auto& g : rc.users) r.users.emplace_back(g, glob_case::insensitive);
        for (const auto& g : rc.corp_users) r.corp_users.emplace_back(g, glob_case::insensitive);
        for (const auto& g : rc.corp_groups) r.corp_groups.emplace_back(g, glob_case::insensitive);
        r.networks = rc.client_networks;
        r.instances = rc.identity_center_instances;
        r.conditions = rc.conditions;
        instances_listed_ = instances_listed_ || !r.instances.empty();
        rules_.push_back(std::move(r));
    }

    // Does rule i's org/OU part match accounts under `path`?
    auto org_part = [&](const rule_config& rc, std::string_view path) {
        if (!rc.org_ids.empty()) {
            auto org = path.substr(0, path.find('/'));
            if (std::find(rc.org_ids.begin(), rc.org_ids.end(), org) == rc.org_ids.end()) {
                return false;
            }
        }
        if (!rc.ou_paths.empty()) {
            bool any = false;
            for (const auto& sel : rc.ou_paths) {
                if (org_path_like(sel, path)) {
                    any = true;
                    break;
                }
            }
            if (!any) return false;
        }
        return true;
    };

    // Could rule i's org/OU part select an organization other than the export's? Those are the
    // organizations its org_ids name, else its OU paths' (each opens with its organization's ID,
    // org_tree.hpp), and with both the ones both name (no account is in two). An account outside
    // the export is in no organization or in one the gateway does not know, so on it such a part
    // is undecided, and a deny with one holds (fail closed, as an undecided condition's does:
    // key_condition.hpp); one naming the export's organization alone does not match it.
    auto names_another_org = [&](const rule_config& rc) {
        std::vector<std::string_view> orgs(rc.org_ids.begin(), rc.org_ids.end());
        if (!rc.ou_paths.empty()) {
            std::vector<std::string_view> of_paths;
            for (std::string_view sel : rc.ou_paths)
                of_paths.push_back(sel.substr(0, sel.find('/')));
            if (orgs.empty()) {
                orgs = std::move(of_paths);
            } else {
                std::erase_if(orgs, [&](std::string_view o) {
                    return std::find(of_paths.begin(), of_paths.end(), o) == of_paths.end();
                });
            }
        }
        return std::any_of(orgs.begin(), orgs.end(),
                           [&](std::string_view o) { return o != config.org_id; });
    };
    for (std::uint32_t i = 0; i < src.size(); ++i) {
        rules_[i].deny_outside_export = src[i].effect == rule_effect::deny &&
                                        (!src[i].org_ids.empty() || !src[i].ou_paths.empty()) &&
                                        names_another_org(src[i]);
    }

    list_interner interner(lists_);
    std::vector<std::uint32_t> defaults, outside;
    for (std::uint32_t i = 0; i < src.size(); ++i) {
        if (!rules_[i].has_account_selector) defaults.push_back(i);
        if (!rules_[i].has_account_selector ||
            (rules_[i].deny_outside_export && src[i].accounts.empty()))
            outside.push_back(i);
    }
    default_list_ = interner.intern(defaults);
    outside_list_ = interner.intern(outside);

    // Rules naming accounts explicitly, per account (only where their org/OU part agrees), and
    // the same for the account's digits outside the export's partition (`plain`: only rules
    // with no org/OU part, or one undecided outside the export, since no account of another
    // partition is in the export's organization).
    std::unordered_map<account_id, std::vector<std::uint32_t>> named, plain;
    for (std::uint32_t i = 0; i < src.size(); ++i) {
        const auto& rc = src[i];
        const bool no_org_part =
            (rc.org_ids.empty() && rc.ou_paths.empty()) || rules_[i].deny_outside_export;
        for (auto a : rc.accounts) {
            const auto* path = org_.path_of(a);
            if (path ? org_part(rc, *path) : no_org_part) {
                auto& v = named[a];
                if (v.empty() || v.back() != i) v.push_back(i);
            }
            if (no_org_part) {
                auto& v = plain[a];
                if (v.empty() || v.back() != i) v.push_back(i);
            }
        }
    }
    auto merged = [](const std::vector<std::uint32_t>& a, const std::vector<std::uint32_t>& b) {
        std::vector<std::uint32_t> out;
        out.reserve(a.size() + b.size());
        std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
        return out;
    };

    // Accounts in the org tree: per distinct path, the rules without an account list whose
    // org/OU part matches the path, then each account's named rules merged in.
    std::size_t capacity = 16;
    shift_ = 60;
    while (capacity < 2 * (org_.size() + named.size())) {
        capacity *= 2;
        --shift_;
    }
    table_.assign(capacity, slot{});
    const auto& paths = org_.paths();
    const auto& members = org_.accounts_by_path();
    for (std::size_t p = 0; p < paths.size(); ++p) {
        std::vector<std::uint32_t> base;
        for (std::uint32_t i = 0; i < src.size(); ++i) {
            if (src[i].accounts.empty() && org_part(src[i], paths[p])) base.push_back(i);
        }
        auto base_index = interner.intern(base);
        for (auto a : members[p]) {
            auto it = named.find(a);
            auto other = plain.find(a);
            table_insert(a,
                         it == named.end() ? base_index : interner.intern(merged(base, it->second)),
                         other == plain.end() ? outside_list_
                                              : interner.intern(merged(outside, other->second)));
        }
    }
    // Accounts outside the org export that rules name explicitly: the same in every partition.
    for (const auto& [a, list] : named) {
        if (!table_find(a)) {
            auto index = interner.intern(merged(outside, list));
            table_insert(a, index, index);
        }
    }
}

namespace {
// Fibonacci hashing: account IDs are dense decimal numbers, the multiply spreads them.
inline std::size_t slot_of(std::uint64_t key, unsigned shift) noexcept {
    return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ULL) >> shift);
}
}  // namespace

void compiled_policy::table_insert(account_id a, std::uint32_t list, std::uint32_t foreign) {
    auto mask = table_.size() - 1;
    for (auto i = slot_of(a.value(), shift_);; i = (i + 1) & mask) {
        if (table_[i].key == empty_key || table_[i].key == a.value()) {
            table_[i] = {a.value(), list, foreign};
            return;
        }
    }
}

const compiled_policy::slot* compiled_policy::table_find(account_id a) const noexcept {
    auto mask = table_.size() - 1;
    for (auto i = slot_of(a.value(), shift_);; i = (i + 1) & mask) {
        if (table_[i].key == a.value()) return &table_[i];
        if (table_[i].key == empty_key) return nullptr;
    }
}

std::optional<account_id> compiled_policy::resolve_alias(std::string_view alias) const noexcept {
    auto it = std::lower_bound(
        aliases_.begin(), aliases_.end(), alias,
        [](const auto& entry, std::string_view a) { return compare_lower(entry.first, a) < 0; });
    if (it == aliases_.end() || compare_lower(it->first, alias) != 0) return std::nullopt;
    return it->second;
}

const compiled_policy::rule_list& compiled_policy::candidates(std::optional<account_id> account,
                                                              partition in) const noexcept {
    if (account) {
        if (const auto* s = table_find(*account))
            return lists_[in == partition::aws ? s->list : s->foreign];
        return lists_[outside_list_];
    }
    return lists_[default_list_];
}

std::vector<std::string_view> compiled_policy::candidate_rules(std::optional<account_id> account,
                                                               partition in) const {
    std::vector<std::string_view> out;
    for (auto i : candidates(account, in)) out.push_back(rules_[i].name);
    return out;
}

tri compiled_policy::conditions_hold(const rule& r, const sign_in_attempt& a,
                                     std::optional<account_id> account,
                                     const key_condition** deciding) const {
    condition_context x;
    if (account) x.account = account->str();
    x.org_id = org_id_;
    // The org export is the commercial partition's: the same digits elsewhere are outside it.
    if (account && a.aws_partition == partition::aws) x.path = org_.path_of(*account);
    return evaluate_conditions(r.conditions, x, deciding);
}

bool compiled_policy::matches_rest(const rule& r, const sign_in_attempt& a,
                                   std::optional<account_id> account) const {
    if ((r.partitions & partition_bit(a.aws_partition)) == 0) return false;
    if (!r.conditions.empty()) {
        // An imported endpoint policy's conditions (key_condition.hpp). On an attempt naming no
        // account they are not decided here, as a selector naming accounts is not: the step is
        // policy.unknown_account_pre_auth's, and the session AWS opens is judged with them.
        // Decided unknown (an account outside the org export, whose organization the gateway
        // does not know): a deny holds (fail closed), an allow does not grant.
        if (!account) return false;
        auto t = conditions_hold(r, a, account);
        if (t == tri::no || (t == tri::unknown && r.effect != rule_effect::deny)) return false;
    }
    // The attempt's own flow, or one it is also judged as (a bound session's console requests under
    // the flows of the sign-in that established the session): any of them selects it, for every
    // effect, so a flow's allow reaches its session and so does a flow's deny.
    // Alternatives (also_flows_either: the session's sign-in was one of them, which one unknown)
    // reach a granting rule only when it names every one, a deny when it names any: presenting
    // the pending cookies of a second sign-in never widens what the first may reach.
    if (r.flows != 0 && (r.flows & flow_bit(a.flow)) == 0) {
        const auto named = r.flows & a.also_flows;
        if (named == 0) return false;
        if (a.also_flows_either && r.effect != rule_effect::deny && named != a.also_flows)
            return false;
    }
    // An Allow of one OAuth 2.0 action is not one of the other (AWS evaluates each): a cli
    // sign-in of no known action is granted by neither and refused by a deny of either.
    if (r.oauth_actions != 0 && a.flow == sign_in_flow::cli_sign_in &&
        (r.oauth_actions & (1u << static_cast<unsigned>(a.oauth_action))) == 0 &&
        (r.effect != rule_effect::deny || a.oauth_action != oauth2_action::none)) {
        return false;
    }
    if (!r.networks.empty()) {
        bool any = false;
        for (const auto& n : r.networks) {
            if (n.contains(a.client)) {
                any = true;
                break;
            }
        }
        if (!any) return false;
    }
    if (!r.roles.empty()) {
        // The role as named, or the permission set it stands for (IAM Identity Center).
        if (a.role_name.empty() && a.permission_set.empty()) return false;
        // A request naming only the permission set (the portal's federation links) signs in to
        // the role AWSReservedSSO_<permission set>_<hex> with a hex it does not say: a glob
        // written on that role name denies when it would match for some hex, and grants only
        // when it matches for every one.
        const bool set_only =
            !a.permission_set.empty() && !a.role_name.starts_with("AWSReservedSSO_");
        bool any = false;
        for (const auto& g : r.roles) {
            if ((!a.role_name.empty() && g.matches(a.role_name)) ||
                (!a.permission_set.empty() && g.matches(a.permission_set)) ||
                (set_only && (r.effect == rule_effect::deny
                                  ? g.matches_sso_role_for_some(a.permission_set)
                                  : g.matches_sso_role_for_every(a.permission_set)))) {
                any = true;
                break;
            }
        }
        if (!any) return false;
    }
    if (!r.users.empty()) {
        // The user the attempt names, else the Identity Center user the pipeline established for
        // a portal request (AWS's answer for its token, the mapped corporate user): the same user
        // TEAM elevations are matched on, so a deny on a user reaches /federation/credentials,
        // whose keys the gateway never sees again.
        const std::string_view who = a.user.empty() ? std::string_view(a.idc_user) : a.user;
        if (who.empty()) return false;
        bool any = false;
        for (const auto& g : r.users) {
            if (g.matches(who)) {
                any = true;
                break;
            }
        }
        if (!any) return false;
    }
    if (!r.instances.empty()) {
        // Lowercased on both sides (config loader, inspector); an attempt naming no instance
        // (every flow but identity_center_portal) never matches.
        if (a.idc_instance.empty()) return false;
        if (std::find(r.instances.begin(), r.instances.end(), a.idc_instance) == r.instances.end())
            return false;
    }
    if (!r.corp_users.empty()) {
        if (!a.corp.known()) return false;
        bool any = false;
        for (const auto& g : r.corp_users) {
            if (any_site_spelling(a.corp.user, site_realms_,
                                  [&](std::string_view s) { return g.matches(s); })) {
                any = true;
                break;
            }
        }
        if (!any) return false;
    }
    if (!r.corp_groups.empty()) {
        if (!a.corp.known()) return false;
        bool any = false;
        for (const auto& g : r.corp_groups) {
            for (const auto& name : a.corp.groups) {
                if (g.matches(name)) {
                    any = true;
                    break;
                }
            }
            if (any) break;
        }
        if (!any) return false;
    }
    return true;
}

bool compiled_policy::guarded_change(std::string_view change_type) const noexcept {
    if (change_type.empty()) return false;
    for (const auto& id : ams_change_type_ids_) {
        if (iequals(id, change_type)) return true;
    }
    return false;
}

bool compiled_policy::reserved_role(std::string_view role) const noexcept {
    if (role.empty()) return false;
    // An Identity Center role is AWSReservedSSO_<set>_<hex>; the permission set it stands for is
    // read from it only in AWS's own spelling (principal.cpp: lower-case hex), so a session
    // named "AWSReservedSSO_ams-ops_0123456789ABCDEF" or "awsreservedsso_ams-ops_…" had no set,
    // and its role matched no reserved prefix: the guard let it through. What follows the
    // prefix, in any case, is the set's name followed by more, which a prefix reads as the set.
    constexpr std::string_view sso = "AWSReservedSSO_";
    const std::string_view set =
        role.size() > sso.size() && iequals(role.substr(0, sso.size()), sso)
            ? role.substr(sso.size())
            : std::string_view{};
    for (const auto& prefix : ams_reserved_role_prefixes_) {
        // Globs (config/README.md): "ams-*" is the prefix "ams-", never the literal "ams-*".
        if (prefix.empty()) continue;
        if (glob_match_prefix(prefix, role, glob_case::insensitive)) return true;
        if (!set.empty() && glob_match_prefix(prefix, set, glob_case::insensitive)) return true;
    }
    return false;
}

namespace {

constexpr int none = -1;

struct matched {
    int deny = none, elevation = none, allow = none;  // first matching rule of each effect
};

int first_of(int a, int b) {
    return a == none ? b : (b == none ? a : std::min(a, b));
}

}  // namespace

flow_names names_of(sign_in_flow flow) noexcept {
    switch (flow) {
        // An IAM user signs in as itself and root as the account's root user (arn:…:user/…,
        // arn:…:root): an account, never a role.
        case sign_in_flow::iam_user:
        case sign_in_flow::root: return {true, false, false};
        // SAML roles, the portal's permission set, a broker's assumed role (named by AWS's
        // answer), switch-role's roleName, aws-userInfo's assumed role, and what an AMS change
        // or `aws login` copies from the console session.
        case sign_in_flow::saml:
        case sign_in_flow::identity_center:
        case sign_in_flow::custom_broker:
        case sign_in_flow::switch_role:
        case sign_in_flow::console_session:
        case sign_in_flow::ams_change:
        case sign_in_flow::cli_sign_in: return {true, true, false};
        // The account in the host, the account an access key ID decodes to: nothing else.
        case sign_in_flow::multi_session:
        case sign_in_flow::api_credentials: return {true, false, false};
        // The access portal and `aws sso login` name the Identity Center instance alone.
        case sign_in_flow::identity_center_portal: return {false, false, true};
        // Decided before any rule (policy.account_sign_up).
        case sign_in_flow::account_sign_up: return {};
    }
    return {};
}

decision evaluate(const sign_in_attempt& a, const compiled_policy& p, const elevation_view& ev,
                  clock::time_point now) {
    return compiled_policy::decide(a, p, ev, now, nullptr);
}

explanation explain(const sign_in_attempt& a, const compiled_policy& p, const elevation_view& ev,
                    clock::time_point now) {
    explanation x;
    x.result = compiled_policy::decide(a, p, ev, now, &x);
    return x;
}

decision compiled_policy::decide(const sign_in_attempt& a, const compiled_policy& p,
                                 const elevation_view& ev, clock::time_point now, explanation* x) {
    bool enforcing_known = false;
    auto finish = [&](decision d) {
        if (p.report_only_) d.report_only = true;
        if (x && !enforcing_known) x->enforcing = d;  // decided before the rules: the same
        return d;
    };
    auto deny = [](reason why) {
        decision d;
        d.verdict = effect::deny;
        d.why = why;
        return d;
    };
    if (!a.parse_error.empty()) {
        return finish(
            deny(a.ambiguous_identity ? reason::ambiguous_identity : reason::unparsable_request));
    }
    if ((p.partitions_ & partition_bit(a.aws_partition)) == 0) {
        return finish(deny(reason::partition_not_enabled));
    }
    // Session binding (issue 20): what AWS said about the session beats what the client says.
    switch (a.binding) {
        case session_binding::forged: return finish(deny(reason::session_identity_forged));
        case session_binding::conflicting: return finish(deny(reason::session_conflicting));
        case session_binding::other_user: return finish(deny(reason::session_user_mismatch));
        case session_binding::unbound:
            if (p.unbound_sessions_ == unbound_session_action::deny) {
                return finish(deny(reason::session_unbound));
            }
            break;  // migration window: judged on the cookie, below
        case session_binding::not_checked:
        case session_binding::bound: break;
    }
    if (a.flow == sign_in_flow::account_sign_up) {
        auto d = deny(reason::account_sign_up);
        d.report_only = p.account_sign_up_ == sign_up_action::report_only;
        return finish(d);
    }
    if (p.deny_unknown_corp_user_ && !a.corp.known()) {
        return finish(deny(reason::corp_user_unknown));
    }

    std::optional<account_id> account = a.account;
    if (!account && !a.alias.empty()) {
        // The alias map is the commercial partition's (an alias is unique within a partition).
        if (a.aws_partition == partition::aws) account = p.resolve_alias(a.alias);
        if (!account) return finish(deny(reason::unknown_alias));
    }
    const auto& candidates = p.candidates(account, a.aws_partition);
    if (x) {
        x->account = account;
        for (auto i : candidates) {
            const auto& r = p.rules_[i];
            x->considered.push_back(r.name);
            if (r.deny_outside_export && account &&
                (a.aws_partition != partition::aws || !p.org_.path_of(*account))) {
                x->conditions.push_back(
                    r.name +
                    ": its organization (org_ids / ou_paths, aws:PrincipalOrgID / "
                    "aws:PrincipalOrgPaths) cannot be decided (the account is outside the org "
                    "export: in no organization or one the gateway does not know): the deny "
                    "holds (fail closed)");
            }
            if (r.conditions.empty()) continue;
            const key_condition* at = nullptr;
            auto t = account ? p.conditions_hold(r, a, account, &at) : tri::unknown;
            std::string line = r.name + ": ";
            if (!account) {
                line += "not decided: the attempt names no account";
            } else if (t == tri::yes) {
                line += "every condition holds";
            } else if (t == tri::no) {
                line += at->text + " does not hold";
            } else {
                line += at->text +
                        " cannot be decided (the account is outside the org export: in no "
                        "organization or one the gateway does not know): " +
                        (r.effect == rule_effect::deny ? "the deny holds (fail closed)"
                                                       : "the allow does not grant");
            }
            x->conditions.push_back(std::move(line));
        }
    }

    // Who TEAM elevations are matched on: the user the attempt names, else the Identity Center
    // user the pipeline established (the portal's token, the mapped corporate user).
    // Nobody named, in any phase (a portal link, a switch-role link, an API key's request, a
    // multi-session console host): the answer is never "you hold none" (elevation-missing).
    const std::string_view who = a.user.empty() ? std::string_view(a.idc_user) : a.user;
    const bool user_unknown = who.empty();
    // TEAM elevates accounts of the partition it runs in (team.partition): the same twelve
    // digits in another partition are another account, which none of its records name.
    const elevation_set* team =
        ev.set() && ev.set()->window().aws_partition == a.aws_partition ? ev.set() : nullptr;
    auto lookup = [&] {
        elevation_match m;
        if (!account || !team) return m;
        // The IAM Identity Center portal's federation link with no user established: let
        // /federation/console through when someone is elevated for exactly this (account,
        // permission set) if the policy says so; the user is checked strictly on the console
        // session's aws-userInfo right after. Never /federation/credentials, and no other flow:
        // only the portal's console link is followed by a session judged per user.
        if (user_unknown) {
            if (a.flow == sign_in_flow::identity_center && a.phase == auth_phase::pre_auth &&
                !a.portal_credentials && p.portal_console_if_anyone_elevated_ &&
                team->active_for_anyone(*account, a.permission_set, now))
                m.what = elevation_match::state::active;
            return m;
        }
        return team->match(who, *account, a.permission_set, now);
    };
    // AMS guardrails: what counts as elevated (policy.ams.elevation). Any permission set of the
    // account needs a known user: an unknown one is not elevated.
    auto elevated = [&] {
        if (p.ams_elevation_ == ams_elevation_scope::any_for_account) {
            if (!account || !team || who.empty()) return false;
            return team->active_in_account(who, *account, now).what ==
                   elevation_match::state::active;
        }
        return lookup().what == elevation_match::state::active;
    };

    // AMS guardrails.
    bool flagged = false;
    auto guard = [&](guard_action action, reason why) -> std::optional<decision> {
        switch (action) {
            case guard_action::off: return std::nullopt;
            case guard_action::flag: flagged = true; return std::nullopt;
            case guard_action::block: return deny(why);
            case guard_action::block_unless_elevated:
                if (!ev.available()) return deny(reason::elevation_feed_stale);
                if (!elevated()) return deny(why);
                return std::nullopt;
        }
        return deny(why);
    };
    if (a.flow == sign_in_flow::ams_change && p.guarded_change(a.change_type)) {
        if (auto d = guard(p.ams_change_types_, reason::ams_guarded_change)) return finish(*d);
    }
    // The role as named, and the permission set it stands for: the portal's link names only the
    // permission set, the session it opens names AWSReservedSSO_<set>_<hex>, and both are the
    // same sign-in (guarded on one, it was let through on the other).
    if (p.reserved_role(a.role_name) || p.reserved_role(a.permission_set)) {
        if (auto d = guard(p.ams_reserved_roles_, reason::ams_reserved_role)) return finish(*d);
    }

    // Rules.
    matched enforcing, reporting;
    for (auto i : candidates) {
        const auto& r = p.rules_[i];
        if (!p.matches_rest(r, a, account)) continue;
        auto& m = r.report_only ? reporting : enforcing;
        int& slot = r.effect == rule_effect::deny    ? m.deny
                    : r.effect == rule_effect::allow ? m.allow
                                                     : m.elevation;
        if (slot == none) slot = static_cast<int>(i);
        if (x) {
            x->matched.push_back(r.name);
        } else if (!r.report_only && r.effect == rule_effect::deny) {
            break;  // nothing can change E
        }
    }

    auto outcome = [&](const matched& m) {
        decision d;
        if (m.deny != none) {
            d = deny(reason::rule_deny);
            d.rule = p.rules_[static_cast<std::size_t>(m.deny)].name;
        } else if (m.elevation != none) {
            auto em = ev.available() ? lookup() : elevation_match{};
            if (!ev.available()) {
                d = deny(reason::elevation_feed_stale);
            } else if (em.what == elevation_match::state::active) {
                d.verdict = effect::allow;
                d.why = reason::elevation_active;
            } else if (em.what == elevation_match::state::expired) {
                d = deny(reason::elevation_expired);
            } else if (user_unknown) {
                // Never "you hold none": nobody knows who "you" is here.
                d = deny(reason::elevation_user_unknown);
            } else {
                d = deny(reason::elevation_missing);
            }
            if (em.what != elevation_match::state::none && !em.id.empty()) {
                d.elevation_id = std::string(em.id);
                d.elevation_ticket = std::string(em.ticket);
                if (em.end != clock::time_point{}) d.elevation_end = em.end;
            }
            d.rule = p.rules_[static_cast<std::size_t>(m.elevation)].name;
        } else if (m.allow != none) {
            d.verdict = effect::allow;
            d.why = reason::rule_allow;
            d.rule = p.rules_[static_cast<std::size_t>(m.allow)].name;
        } else if (a.flow == sign_in_flow::identity_center_portal && p.instances_listed_) {
            d = deny(reason::identity_center_instance);
        } else if (account) {
            d = deny(reason::default_deny);
        } else if (a.phase == auth_phase::pre_auth && p.allow_unknown_account_pre_auth_) {
            d.verdict = effect::allow;
            d.why = reason::unknown_account;
        } else {
            d = deny(reason::no_account);
        }
        return d;
    };

    decision result = outcome(enforcing);
    result.flagged = flagged;
    if (x) {
        x->enforcing = result;
        if (p.report_only_) x->enforcing.report_only = true;
        enforcing_known = true;
    }
    if (result.verdict == effect::allow &&
        (reporting.deny != none || reporting.elevation != none)) {
        matched all{first_of(enforcing.deny, reporting.deny),
                    first_of(enforcing.elevation, reporting.elevation),
                    first_of(enforcing.allow, reporting.allow)};
        decision would = outcome(all);
        if (would.verdict == effect::deny) {
            would.report_only = true;
            result = std::move(would);
        }
    }
    result.flagged = flagged;
    return finish(std::move(result));
}

}  // namespace consolegate::core
