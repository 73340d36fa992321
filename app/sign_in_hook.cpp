#include "sign_in_hook.hpp"

#include "consolegate/inspect/unrecognised.hpp"

namespace consolegate::app {

proxy::verdict sign_in_hook::operator()(const core::http_request_view& req) const {
    auto snap = policy_->load();
    std::shared_ptr<const team::feed_status> keep;  // what the elevation view points into
    auto feed = feed_->load();
    enforcement_inputs in;
    in.policy = snap.get();
    in.gateway = gateway_;
    in.elevations = feed ? feed->view(req.time, keep) : core::elevation_view::unavailable();
    auto r = enforce(req, in);
    if (inspect::unrecognised_sign_in_request(req)) metrics_->count_unrecognised();
    for (std::size_t i = 0; i < r.attempts.size(); ++i) {
        metrics_->count(r.attempts[i].decision);
        sink_->record(std::move(r.events[i]));
    }
    return std::move(r.verdict);
}

}  // namespace consolegate::app
