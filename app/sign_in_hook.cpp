#include "sign_in_hook.hpp"

#include <algorithm>

#include "consolegate/core/time.hpp"
#include "consolegate/inspect/unrecognised.hpp"
#include "session_learning.hpp"
#include "session_table.hpp"

namespace consolegate::app {

void sign_in_hook::record(enforcement_result& r) const {
    for (std::size_t i = 0; i < r.events.size(); ++i) {
        metrics_->count(r.attempts[i].decision);
        sink_->record(std::move(r.events[i]));
    }
}

proxy::verdict sign_in_hook::replay(judgement_memo& memo, const judgement& j,
                                    const core::http_request_view& req,
                                    const core::audit_config& audit) const {
    proxy::verdict v = j.verdict;
    if (audit.repeats == core::audit_repeats::count && j.countable) {
        for (auto& d : j.decisions) metrics_->count(d);
        if (j.unrecognised) metrics_->count_unrecognised();
        auto id = memo.count_repeat(
            req.time, std::chrono::duration_cast<std::chrono::milliseconds>(audit.repeat_window));
        if (j.verdict_event >= 0) v.event_id = std::move(id);
        return v;
    }
    memo.write_repeats();  // a setting reloaded to "each" between two repeats
    auto time = event_time(req.time);
    for (std::size_t i = 0; i < j.events.size(); ++i) {
        audit::event e = j.events[i];
        e.id = random_event_id();
        e.time = time;
        if (int(i) == j.verdict_event) v.event_id = e.id;
        metrics_->count(j.decisions[i]);
        sink_->record(std::move(e));
    }
    if (j.unrecognised) metrics_->count_unrecognised();
    return v;
}

void sign_in_hook::mark_sign_in(const core::http_request_view& req,
                                const enforcement_result& r) const {
    // A sign-in let through ends the lineage of the session cookies it presents: whatever AWS
    // sets on the answers that follow from them (redirect hops, an MFA step, the console's
    // /oauth callback), on any host or connection, belongs to the new session until AWS names it
    // (session_table.hpp). Read from the judged attempts: the session step has already turned
    // aws login's authorize step of a bound session into the session's own (post-auth) action.
    bool asks = std::any_of(r.attempts.begin(), r.attempts.end(), [](const judged_attempt& a) {
        return a.attempt.phase == core::auth_phase::pre_auth;
    });
    if (asks) sessions_->sign_in_started(request_cookies(req), req.time);
}

proxy::verdict sign_in_hook::operator()(const core::http_request_view& req) const {
    judgement_memo::world w;
    w.policy = policy_->load();
    w.feed = feed_->load();
    enforcement_inputs in;
    in.policy = w.policy.get();
    in.gateway = gateway_;
    in.elevations = w.feed ? w.feed->view(req.time, w.status) : core::elevation_view::unavailable();
    in.sessions = sessions_;
    in.portal_users = portal_users_;
    w.elevations = in.elevations.set();
    // Read before the lookups it covers (session_table::epoch).
    auto epoch = sessions_ ? sessions_->epoch_at(req.time) : session_table::epoch{};
    w.sessions = epoch.generation;
    judgement_memo* memo = nullptr;
    if (req.memo) {
        memo = dynamic_cast<judgement_memo*>(req.memo->get());
        if (!memo) {
            *req.memo = std::make_unique<judgement_memo>(sink_);
            memo = static_cast<judgement_memo*>(req.memo->get());
        }
        if (const auto* j = memo->find(req, w)) return replay(*memo, *j, req, w.policy->cfg->audit);
        memo->write_repeats();  // before this request's events: the record keeps its order
    }
    auto r = enforce(req, in);
    if (sessions_ && r.verdict.allows()) mark_sign_in(req, r);
    bool unrecognised = inspect::unrecognised_sign_in_request(req);
    if (unrecognised) metrics_->count_unrecognised();
    // A portal federation request's user comes from the portal token table, which the memo's
    // world does not cover: never replayed (one request per click, nothing to save).
    bool portal = std::any_of(r.attempts.begin(), r.attempts.end(), [](const judged_attempt& a) {
        return a.attempt.flow == core::sign_in_flow::identity_center;
    });
    if (memo && !portal) {
        judgement j;
        j.events = r.events;
        j.countable =
            !r.events.empty() &&
            std::all_of(r.events.begin(), r.events.end(), [](const audit::event& e) {
                return e.effect == "allow" && e.enforced == "allow" && !e.flagged && !e.report_only;
            });
        j.decisions.reserve(r.attempts.size());
        for (const auto& a : r.attempts) j.decisions.push_back(a.decision);
        j.verdict = r.verdict;
        if (!r.attempts.empty()) j.verdict_event = r.outcome.deciding >= 0 ? r.outcome.deciding : 0;
        j.unrecognised = unrecognised;
        auto until = std::min(epoch.next_expiry, boundaries_->next(w.status, req.time));
        if (!w.elevations) until = epoch.next_expiry;  // an unavailable view has no windows
        memo->keep(req, w, until, std::move(j));
    }
    record(r);
    return std::move(r.verdict);
}

std::optional<proxy::verdict> sign_in_hook::observe(const core::http_request_view& req,
                                                    const proxy::response_view& resp) const {
    // The portal's GET /user (cheap test first: this runs for every response).
    if (resp.status == 200 && req.method == "GET" && req.target.starts_with("/user")) {
        auto snap = policy_->load();
        portal_user_table::limits l;
        l.max_entries = static_cast<std::size_t>(snap->cfg->sessions.max_entries);
        l.lifetime = std::chrono::duration_cast<std::chrono::seconds>(snap->cfg->sessions.lifetime);
        if (portal_users_->observe(req, resp, l)) metrics_->count_portal_user_learned();
    }
    if (!sessions_) return std::nullopt;
    auto reading = read_response(req, resp);
    if (reading.set_cookies.empty() || reading.unreadable) return std::nullopt;
    auto snap = policy_->load();
    if (reading.named) {
        std::shared_ptr<const team::feed_status> keep;
        auto feed = feed_->load();
        enforcement_inputs in;
        in.policy = snap.get();
        in.gateway = gateway_;
        in.elevations = feed ? feed->view(req.time, keep) : core::elevation_view::unavailable();
        in.sessions = sessions_;
        auto r = enforce_response(req, *reading.named, in);
        record(r);
        // A refused identity is never learned: the client does not get its cookies either.
        if (!r.verdict.allows()) return std::move(r.verdict);
        reading.named->flows = session_flows(r);
        reading.named->flows_either = session_flows_either(r);
    }
    session_learner(*sessions_, snap->inspect_options).learn(req, reading);
    return std::nullopt;
}

}  // namespace consolegate::app
