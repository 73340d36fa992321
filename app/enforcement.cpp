#include "enforcement.hpp"

#include <algorithm>
#include <random>
#include <stdexcept>

#include "consolegate/core/host_pattern.hpp"
#include "consolegate/core/idc_user.hpp"
#include "consolegate/core/principal.hpp"
#include "consolegate/inspect/portal_user.hpp"
#include "portal_users.hpp"
#include "session_binding.hpp"
#include "session_learning.hpp"
#include "session_table.hpp"

namespace consolegate::app {

std::shared_ptr<const policy_snapshot> make_policy_snapshot(std::shared_ptr<const core::config> c) {
    auto s = std::make_shared<policy_snapshot>();
    s->policy = std::make_shared<const core::compiled_policy>(c->policy);
    s->inspect_options.aliases = c->policy.aliases;
    s->inspect_options.ams_change_type_ids = c->policy.ams_change_type_ids;
    s->cfg = std::move(c);
    return s;
}

std::string random_event_id() {
    // Per-thread generator seeded from the OS: event IDs must not collide across workers or
    // restarts, but need not be secret (they are shown to the user on purpose).
    thread_local std::mt19937_64 gen{[] {
        std::random_device rd;
        std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
        return std::mt19937_64(seq);
    }()};
    // 48 bits of the time in milliseconds, then 80 random bits (as a UUIDv7): a store's index
    // on the ID grows at its end, where a random key costs a random index page per event (most
    // of the SQLite writer's time, docs/audit.md).
    static constexpr char hex[] = "0123456789abcdef";
    auto ms = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count());
    std::string id(32, '0');
    for (int i = 0; i < 12; ++i) id[i] = hex[(ms >> ((11 - i) * 4)) & 15];
    auto a = gen(), b = gen();
    for (int i = 0; i < 16; ++i) id[12 + i] = hex[(a >> (i * 4)) & 15];
    for (int i = 0; i < 4; ++i) id[28 + i] = hex[(b >> (i * 4)) & 15];
    return id;
}

enforcement_result enforce(const core::http_request_view& req, const enforcement_inputs& in) {
    if (!in.policy) throw std::invalid_argument("enforce: no policy");  // the proxy then denies
    enforcement_result r;
    r.attempts = evaluate_attempts(inspect_request(req, in), in);
    r.outcome = combine(r.attempts);
    r.events = audit_events(req, r.attempts, {in.gateway, &in.policy->policy->org()});
    r.verdict = make_verdict(r.attempts, r.outcome);
    return r;
}

namespace {

// The flows AWS's answer to a request is judged under: those of the sign-in the request asks
// for (sign_in_flows: a sign-in path the inspector read several ways gives several, each judged
// as the request's own attempts were), else those of the sign-in whose pending cookies it
// presents (a later step naming the session: judged as console-session and as those), else
// console-session. A federation login answered with an AWSReservedSSO_ role is an Identity
// Center session (only Identity Center hands those roles out; its portal signs in through the
// federation endpoint): judged (and recorded) as identity-center, also as custom-broker, so `flows
// = ["identity-center"]` lets the portal's sign-in through and a deny of that flow is not
// sidestepped by taking the portal's sign-in token, or one minted from its keys, to the federation
// endpoint. Pending cookies of two sign-ins (or of one whose path was read several ways) make
// their flows alternatives (also_flows_either): a grant must hold for each.
struct answering_flow {
    core::sign_in_flow flow;
    core::sign_in_flow_set also = 0;
    bool either = false;
};
std::vector<answering_flow> answering_flows(std::span<const core::sign_in_attempt> asked,
                                            core::sign_in_flow_set continued, bool either,
                                            const session_identity& named) {
    std::vector<answering_flow> out;
    const bool sso = !core::permission_set_of(named.role_name).empty();
    auto also_of = [&](core::sign_in_flow_set set) -> core::sign_in_flow_set {
        return sso && (set & core::flow_bit(core::sign_in_flow::custom_broker))
                   ? core::flow_bit(core::sign_in_flow::identity_center)
                   : 0;
    };
    if (auto set = sign_in_flows(asked); set != 0) {
        for (int f = 0; f < core::sign_in_flow_count; ++f) {
            auto flow = static_cast<core::sign_in_flow>(f);
            if ((set & core::flow_bit(flow)) == 0) continue;
            if (also_of(core::flow_bit(flow)) != 0) {
                // Recorded as what the session is, through the endpoint it came.
                out.push_back({core::sign_in_flow::identity_center, core::flow_bit(flow)});
            } else {
                out.push_back({flow, 0});
            }
        }
        return out;
    }
    out.push_back({core::sign_in_flow::console_session, continued | also_of(continued),
                   either && continued != 0});
    return out;
}

}  // namespace

enforcement_result enforce_response(const core::http_request_view& req,
                                    const session_identity& named, const enforcement_inputs& in) {
    if (!in.policy) throw std::invalid_argument("enforce: no policy");
    auto asked = inspect::inspect(req, in.policy->inspect_options);
    // Recorded when the request's own records do not already show this account.
    bool request_named_account = false;
    for (const auto& x : asked) {
        if (x.account && x.account == named.account) request_named_account = true;
    }
    core::sign_in_attempt a;
    if (!asked.empty()) {
        a.host = asked.front().host;
    } else if (auto h = core::parse_authority(req.host, 443)) {
        a.host = h->host;
    }
    a.phase = core::auth_phase::post_auth;
    a.source = "response:aws-userInfo";
    a.account = named.account;
    a.role_name = named.role_name;
    a.permission_set = core::permission_set_of(named.role_name);
    a.user = named.aws_user;
    a.binding = core::session_binding::bound;
    a.client = req.client;
    if (req.corp) a.corp = *req.corp;
    a.time = req.time;
    core::sign_in_flow_set continued = 0;
    bool either = false;
    if (in.sessions) {
        auto binding = in.sessions->lookup(request_cookies(req), req.time);
        continued = binding.sign_in_flows;
        either = binding.sign_in_flows_either;
    }
    std::vector<core::sign_in_attempt> each;
    for (auto f : answering_flows(asked, continued, either, named)) {
        each.push_back(a);
        each.back().flow = f.flow;
        each.back().also_flows = f.also;
        each.back().also_flows_either = f.either;
    }
    enforcement_result r;
    r.attempts = evaluate_attempts(std::move(each), in);
    r.outcome = combine(r.attempts);
    bool denies = std::any_of(r.attempts.begin(), r.attempts.end(), [](const judged_attempt& j) {
        return j.decision.verdict == core::effect::deny;  // report-only denies too
    });
    if (denies || !request_named_account) {
        r.events = audit_events(req, r.attempts, {in.gateway, &in.policy->policy->org()});
    }
    r.verdict = make_verdict(r.attempts, r.outcome);
    return r;
}

core::sign_in_flow_set session_flows(const enforcement_result& answer) {
    constexpr auto console = core::flow_bit(core::sign_in_flow::console_session);
    core::sign_in_flow_set out = 0;
    bool unknown = false;  // one of the alternatives is a sign-in of flows not known
    for (const auto& j : answer.attempts) {
        out |= core::flow_bit(j.attempt.flow) | j.attempt.also_flows;
        unknown = unknown || (j.attempt.also_flows_either && (j.attempt.also_flows & console));
    }
    return unknown ? out : out & ~console;
}

bool session_flows_either(const enforcement_result& answer) {
    // Several attempts: the answer was judged as several sign-ins, one of which it was.
    return answer.attempts.size() > 1 ||
           std::any_of(answer.attempts.begin(), answer.attempts.end(),
                       [](const judged_attempt& j) { return j.attempt.also_flows_either; });
}

namespace {

// The Identity Center user of an attempt that names none (enforcement.hpp, inspect_request).
void name_idc_user(core::sign_in_attempt& a, const core::http_request_view& req,
                   const enforcement_inputs& in) {
    if (a.flow == core::sign_in_flow::identity_center && in.portal_users) {
        if (auto token = inspect::portal_bearer_token(req)) {
            if (auto e = in.portal_users->entry_of(*token, req.time)) {
                a.idc_user = std::move(e->user);
                a.idc_source = core::idc_user_source::portal_token;
                // The token is its opener's, as a console session is (app/portal_users.hpp):
                // another person's copy is not judged on the opener's user and elevation.
                judge_opened_by(a, e->corp_user, a.corp.user, in.policy->cfg->identity.realms);
                return;
            }
        }
    }
    const auto& tmpl = in.policy->cfg->identity.idc_user;
    if (tmpl.empty() || !a.corp.known()) return;
    a.idc_user = core::idc_user_of(tmpl, a.corp.user, in.policy->cfg->identity.realms);
    if (!a.idc_user.empty()) a.idc_source = core::idc_user_source::corp_mapping;
}

}  // namespace

std::vector<core::sign_in_attempt> inspect_request(const core::http_request_view& req,
                                                   const enforcement_inputs& in) {
    auto attempts = inspect::inspect(req, in.policy->inspect_options);
    if (in.sessions) {
        check_session_binding(attempts, req, *in.sessions, in.policy->cfg->policy.unbound_sessions,
                              in.policy->cfg->identity.realms);
    }
    // Without a session table every console request is judged on its cookie.
    if (!in.sessions) refuse_cookie_of_another_host_account(attempts);
    if (!in.sessions && in.session_flows != 0) {
        // As the session step does for a bound session (app/session_binding.cpp): the session's
        // console requests, and the multi-session host and API keys of its account.
        std::optional<core::account_id> session_account;
        for (auto& a : attempts) {
            if (a.flow == core::sign_in_flow::console_session && identity_from_session(a)) {
                a.also_flows |= in.session_flows;
                a.also_flows_either = in.session_flows_either;
                session_account = a.account;
            }
        }
        judge_own_as_session(attempts, session_account, in.session_flows, in.session_flows_either);
    }
    if (!in.sessions && !in.session_corp_user.empty()) {
        judge_session_user(attempts, in.session_corp_user, req.corp ? req.corp->user : "",
                           in.policy->cfg->identity.realms);
    }
    for (auto& a : attempts) {
        a.client = req.client;
        if (req.corp) a.corp = *req.corp;
        a.time = req.time;
        if (a.user.empty() && !in.default_user.empty()) a.user = in.default_user;
        if (a.user.empty()) name_idc_user(a, req, in);
    }
    return attempts;
}

std::vector<judged_attempt> evaluate_attempts(std::vector<core::sign_in_attempt> attempts,
                                              const enforcement_inputs& in) {
    std::vector<judged_attempt> out;
    out.reserve(attempts.size());
    const auto& policy = *in.policy->policy;
    for (auto& a : attempts) {
        judged_attempt j{std::move(a), {}, in.new_event_id(), std::nullopt};
        if (in.trace) {
            // One evaluation with its working: explain() returns evaluate()'s decision as result.
            j.trace = core::explain(j.attempt, policy, in.elevations, j.attempt.time);
            j.decision = j.trace->result;
        } else {
            j.decision = core::evaluate(j.attempt, policy, in.elevations, j.attempt.time);
        }
        out.push_back(std::move(j));
    }
    return out;
}

combined combine(std::span<const judged_attempt> attempts) {
    combined c;
    c.effect = core::effect::allow;
    auto is_saml_alternative = [](const core::sign_in_attempt& a) {
        return a.flow == core::sign_in_flow::saml && a.source == "saml:Role";
    };
    int first_blocked_alternative = -1;
    bool alternatives = false, an_alternative_allowed = false;
    for (std::size_t i = 0; i < attempts.size(); ++i) {
        const auto& ja = attempts[i];
        bool blocks = ja.decision.enforced() == core::effect::deny;
        if (is_saml_alternative(ja.attempt)) {
            alternatives = true;
            if (!blocks) an_alternative_allowed = true;
            if (blocks && first_blocked_alternative < 0) first_blocked_alternative = int(i);
            continue;
        }
        if (blocks && c.effect == core::effect::allow) {
            c.effect = core::effect::deny;
            c.deciding = int(i);
        }
    }
    if (c.effect == core::effect::allow && alternatives && !an_alternative_allowed) {
        c.effect = core::effect::deny;
        c.deciding = first_blocked_alternative;
    }
    if (c.effect == core::effect::deny) {
        auto phase = attempts[std::size_t(c.deciding)].attempt.phase;
        c.expire_console_cookies = phase != core::auth_phase::pre_auth;
    }
    return c;
}

std::vector<audit::event> audit_events(const core::http_request_view& req,
                                       std::span<const judged_attempt> attempts,
                                       const audit::event_context& ctx) {
    std::vector<audit::event> events;
    events.reserve(attempts.size());
    for (const auto& ja : attempts) {
        events.push_back(
            audit::make_event(ja.event_id, ja.attempt, ja.decision, req.method, req.target, ctx));
        events.back().identity_source = std::string(event_identity_source(ja.attempt));
        if (ja.attempt.user.empty() && ja.attempt.idc_source != core::idc_user_source::none)
            events.back().user = ja.attempt.idc_user;
    }
    return events;
}

std::string_view event_identity_source(const core::sign_in_attempt& a) {
    if (a.user.empty()) {
        switch (a.idc_source) {
            case core::idc_user_source::portal_token: return "portal-token";
            case core::idc_user_source::corp_mapping: return "corp-mapping";
            case core::idc_user_source::none: break;
        }
    }
    return identity_source(a);
}

proxy::verdict make_verdict(std::span<const judged_attempt> attempts, const combined& outcome) {
    proxy::verdict v;
    v.effect = outcome.effect;
    if (attempts.empty()) {
        v.basis = proxy::verdict_basis::no_sign_in;
        return v;
    }
    const auto& ja = attempts[std::size_t(outcome.deciding >= 0 ? outcome.deciding : 0)];
    const auto& a = ja.attempt;
    v.basis = proxy::verdict_basis::policy;
    v.why = ja.decision.why;
    v.rule = ja.decision.rule;
    v.flow = a.flow;
    v.account = a.account;
    v.alias = a.alias;
    v.role_name = a.role_name;
    v.permission_set = a.permission_set;
    v.event_id = ja.event_id;
    v.elevation_id = ja.decision.elevation_id;
    v.elevation_ticket = ja.decision.elevation_ticket;
    v.elevation_end = ja.decision.elevation_end;
    v.expire_console_cookies = outcome.expire_console_cookies;
    return v;
}

}  // namespace consolegate::app
