#include "consolegate/audit/sink.hpp"

namespace consolegate::audit {

sink_stats sink::stats() const {
    return {};
}

void recent_events::add(const event& e) {
    std::lock_guard lock(mutex_);
    if (capacity_ == 0) return;
    if (events_.size() < capacity_) {
        events_.push_back(e);
        return;
    }
    events_[next_] = e;
    next_ = (next_ + 1) % capacity_;
}

std::vector<event> recent_events::snapshot() const {
    std::lock_guard lock(mutex_);
    // Oldest is at next_ once the ring has wrapped (next_ stays 0 until then).
    std::vector<event> out;
    out.reserve(events_.size());
    for (std::size_t i = 0; i < events_.size(); ++i) {
        out.push_back(events_[(next_ + events_.size() - 1 - i) % events_.size()]);
    }
    return out;
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
