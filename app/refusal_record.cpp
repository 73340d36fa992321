#include "refusal_record.hpp"

#include <algorithm>

#include "consolegate/core/time.hpp"
#include "consolegate/log/log.hpp"
#include "enforcement.hpp"

namespace consolegate::app {

audit::event refusal_event(const proxy::refusal_view& r, std::string id, std::string_view gateway,
                           const core::corp_identity* corp) {
    audit::event e;
    e.id = std::move(id);
    e.time = core::format_rfc3339(r.time);
    e.gateway = std::string(gateway);
    e.client = r.client.str();
    e.flow = "refused";
    e.phase = "refused";
    e.host = std::string(r.host.substr(0, 255));
    e.method = std::string(r.method.substr(0, 32));
    const auto target = r.target.substr(0, std::min(r.target.find('?'), std::size_t{2048}));
    e.path = std::string(target);
    if (auto q = r.target.find('?'); q != std::string_view::npos) {
        e.query = audit::redact_query(r.target.substr(q + 1));
    }
    e.effect = "deny";
    e.enforced = "deny";
    e.reason = std::string(r.reason.str());
    if (r.status != 0) e.reason += " (" + std::to_string(r.status) + ")";
    if (!r.sni.empty() && r.sni != r.host) e.source = "sni:" + std::string(r.sni.substr(0, 255));
    if (corp && corp->known()) {
        e.corp_user = corp->user;
        e.corp_source = std::string(core::to_string(corp->source));
    } else {
        e.corp_source = std::string(core::to_string(core::corp_source::none));
    }
    return e;
}

bool refusal_recorder::bucket::take(std::chrono::steady_clock::time_point now) {
    std::lock_guard lock(mu);
    const std::chrono::duration<double> since = now - last;
    last = now;
    tokens = std::min(refusal_burst, tokens + since.count() * refusals_per_second);
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
}

void refusal_recorder::operator()(const proxy::refusal_view& r) const {
    if (!bucket_->take(std::chrono::steady_clock::now())) {
        bucket_->unrecorded.fetch_add(1, std::memory_order_relaxed);
        static log::rate_limit limit(std::chrono::seconds(10));
        if (auto suppressed = limit.allow(std::chrono::steady_clock::now())) {
            log::write(log::level::warn, "proxy", "refusals over the record's rate not recorded",
                       {{"reason", std::string(r.reason.str())},
                        {"client", r.client.str()},
                        {"suppressed", std::to_string(*suppressed)}});
        }
        return;
    }
    proxy::shared_identity mapped;
    const core::corp_identity* corp = r.corp;
    if ((!corp || !corp->known()) && by_address_) {
        mapped = by_address_(r.client);
        corp = mapped.get();
    }
    sink_->record(refusal_event(r, random_event_id(), gateway_, corp));
}

}  // namespace consolegate::app
