#include "sign_in_hook.hpp"

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

proxy::verdict sign_in_hook::operator()(const core::http_request_view& req) const {
    auto snap = policy_->load();
    std::shared_ptr<const team::feed_status> keep;  // what the elevation view points into
    auto feed = feed_->load();
    enforcement_inputs in;
    in.policy = snap.get();
    in.gateway = gateway_;
    in.elevations = feed ? feed->view(req.time, keep) : core::elevation_view::unavailable();
    in.sessions = sessions_;
    auto r = enforce(req, in);
    if (inspect::unrecognised_sign_in_request(req)) metrics_->count_unrecognised();
    record(r);
    return std::move(r.verdict);
}

std::optional<proxy::verdict> sign_in_hook::observe(const core::http_request_view& req,
                                                    const proxy::response_view& resp) const {
    if (!sessions_) return std::nullopt;
    auto reading = read_response(req, resp);
    if (reading.set_cookies.empty() || reading.unreadable) return std::nullopt;
    if (reading.named) {
        auto snap = policy_->load();
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
    }
    session_learner(*sessions_).learn(req, reading);
    return std::nullopt;
}

}  // namespace consolegate::app
