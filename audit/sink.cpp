#include "consolegate/audit/sink.hpp"

namespace consolegate::audit {

sink_stats sink::stats() const {
    return {};
}

void recent_events::add(const event& e) {
    std::lock_guard lock(mutex_);
    events_.push_front(e);
    if (events_.size() > capacity_) events_.pop_back();
}

std::vector<event> recent_events::snapshot() const {
    std::lock_guard lock(mutex_);
    return {events_.begin(), events_.end()};
}

void tee_sink::record(event e) {
    if (recent_) recent_->add(e);
    for (std::size_t i = 0; i + 1 < sinks_.size(); ++i) sinks_[i]->record(e);
    if (!sinks_.empty()) sinks_.back()->record(std::move(e));
}

void tee_sink::flush() {
    for (auto& s : sinks_) s->flush();
}

void tee_sink::reopen() {
    for (auto& s : sinks_) s->reopen();
}

std::vector<tee_sink::named_stats> tee_sink::stats_by_sink() const {
    std::vector<named_stats> out;
    for (auto& s : sinks_) out.push_back({s->name(), s->stats()});
    return out;
}

}  // namespace consolegate::audit
