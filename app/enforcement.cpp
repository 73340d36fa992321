#include "enforcement.hpp"

#include <array>
#include <random>

namespace consolegate::app {

std::shared_ptr<const policy_snapshot> make_policy_snapshot(std::shared_ptr<const core::config> c) {
    auto s = std::make_shared<policy_snapshot>();
    s->policy = std::make_shared<const core::compiled_policy>(c->policy);
    s->inspect_options.aliases = c->policy.aliases;
    s->inspect_options.ams_change_type_ids = c->policy.ams_change_type_ids;
    s->inspect_options.ams_reserved_role_prefixes = c->policy.ams_reserved_role_prefixes;
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
    static constexpr char hex[] = "0123456789abcdef";
    std::string id(32, '0');
    for (int half = 0; half < 2; ++half) {
        auto v = gen();
        for (int i = 0; i < 16; ++i) id[half * 16 + i] = hex[(v >> (i * 4)) & 15];
    }
    return id;
}

void combine(judgement& j) {
    j.allow = true;
    j.deciding = -1;
    j.expire_console_cookies = false;
    auto is_saml_alternative = [](const core::sign_in_attempt& a) {
        return a.flow == core::sign_in_flow::saml && a.source == "saml:Role";
    };
    int first_blocked_alternative = -1;
    bool alternatives = false, an_alternative_allowed = false;
    for (std::size_t i = 0; i < j.attempts.size(); ++i) {
        auto& ja = j.attempts[i];
        bool blocks = ja.decision.enforced() == core::effect::deny;
        if (is_saml_alternative(ja.attempt)) {
            alternatives = true;
            if (!blocks) an_alternative_allowed = true;
            if (blocks && first_blocked_alternative < 0) first_blocked_alternative = int(i);
            continue;
        }
        if (blocks && j.allow) {
            j.allow = false;
            j.deciding = int(i);
        }
    }
    if (j.allow && alternatives && !an_alternative_allowed) {
        j.allow = false;
        j.deciding = first_blocked_alternative;
    }
    if (!j.allow) {
        auto phase = j.attempts[std::size_t(j.deciding)].attempt.phase;
        j.expire_console_cookies = phase != core::auth_phase::pre_auth;
    }
}

judgement judge(const core::http_request_view& req, const policy_snapshot& snap,
                const core::elevation_view& elevations,
                const std::function<std::string()>& new_event_id) {
    judgement j;
    auto attempts = inspect::inspect(req, snap.inspect_options);
    j.attempts.reserve(attempts.size());
    for (auto& a : attempts) {
        a.client = req.client;
        a.time = req.time;
        auto d = core::evaluate(a, *snap.policy, elevations, req.time);
        j.attempts.push_back({std::move(a), std::move(d), new_event_id()});
    }

    combine(j);
    return j;
}

}  // namespace consolegate::app
