#include "judgement_memo.hpp"

#include <algorithm>
#include <cstring>

#include "consolegate/core/time.hpp"

namespace consolegate::app {
namespace {

// Length-prefixed, so the encoding of a request is unambiguous: equal encodings, equal requests.
void put(std::string& out, std::string_view s) {
    auto n = s.size();
    out.append(reinterpret_cast<const char*>(&n), sizeof n);
    out.append(s);
}

void put_count(std::string& out, std::size_t n) {
    out.append(reinterpret_cast<const char*>(&n), sizeof n);
}

// Every field of the view the pipeline can read, except the time (the memo's window covers it).
void encode(const core::http_request_view& r, std::string& out) {
    out.clear();
    put(out, r.method);
    put(out, r.target);
    put(out, r.host);
    put(out, r.sni);
    put_count(out, r.headers.size());
    for (const auto& [name, value] : r.headers) {
        put(out, name);
        put(out, value);
    }
    put(out, r.body);
    out.push_back(r.body_truncated ? '\1' : '\0');
    const auto& ip = r.client.bytes();
    out.append(reinterpret_cast<const char*>(ip.data()), ip.size());
    if (!r.corp) {
        out.push_back('\0');
        return;
    }
    out.push_back('\1');
    put(out, r.corp->user);
    out.push_back(static_cast<char>(r.corp->source));
    put_count(out, r.corp->groups.size());
    for (const auto& g : r.corp->groups) put(out, g);
}

template <class T>
bool same_owner(const std::weak_ptr<T>& kept, const std::shared_ptr<T>& now) {
    return !kept.owner_before(now) && !now.owner_before(kept);
}

}  // namespace

// core::format_rfc3339 (an snprintf: a third of a replay) once per second per worker; the
// milliseconds are written here. The prefix is its own output, so the two cannot disagree.
std::string event_time(std::chrono::system_clock::time_point t) {
    using namespace std::chrono;
    thread_local sys_seconds second = sys_seconds::min();
    thread_local std::string prefix;  // "2026-12-05T05:20:57." (format_rfc3339 less "mmmZ")
    auto s = floor<seconds>(t);
    if (s != second) {
        prefix = core::format_rfc3339(s);
        prefix.resize(prefix.size() - 4);
        second = s;
    }
    auto ms = static_cast<int>(duration_cast<milliseconds>(t - s).count());
    std::string out;
    out.reserve(prefix.size() + 4);
    out.append(prefix);
    out.push_back(static_cast<char>('0' + ms / 100));
    out.push_back(static_cast<char>('0' + ms / 10 % 10));
    out.push_back(static_cast<char>('0' + ms % 10));
    out.push_back('Z');
    return out;
}

judgement_memo::~judgement_memo() {
    write_repeats();
}

std::string judgement_memo::count_repeat(time_point t, std::chrono::milliseconds window) {
    if (repeats_ == 0) {
        repeat_first_ = t;
        repeat_id_ = random_event_id();
    }
    ++repeats_;
    repeat_last_ = t;
    std::string id = repeat_id_;
    if (t - repeat_first_ >= window) write_repeats();
    return id;
}

void judgement_memo::write_repeats() {
    if (repeats_ == 0) return;
    auto first = event_time(repeat_first_);
    auto last = event_time(repeat_last_);
    for (std::size_t i = 0; i < kept_.events.size(); ++i) {
        audit::event e = kept_.events[i];
        e.id = int(i) == kept_.verdict_event ? repeat_id_ : random_event_id();
        e.time = first;
        e.time_last = last;
        e.count = repeats_;
        if (sink_) sink_->record(std::move(e));
    }
    repeats_ = 0;
}

const judgement* judgement_memo::find(const core::http_request_view& req, const world& w) {
    if (!valid_ || req.time < from_ || req.time >= until_) return nullptr;
    if (w.sessions != sessions_ || w.elevations != elevations_) return nullptr;
    // A replaced object's control block lives on while the weak pointer does: no address reuse.
    if (!same_owner(policy_, w.policy) || !same_owner(feed_, w.feed) ||
        !same_owner(status_, w.status)) {
        return nullptr;
    }
    encode(req, scratch_);
    if (scratch_ != key_) return nullptr;
    ++replays_;
    return &kept_;
}

void judgement_memo::keep(const core::http_request_view& req, const world& w, time_point until,
                          judgement j) {
    write_repeats();  // (the caller has; the count belongs to the judgement replaced here)
    valid_ = false;
    if (until <= req.time) return;  // changes at once: nothing to reuse
    encode(req, key_);
    policy_ = w.policy;
    feed_ = w.feed;
    status_ = w.status;
    elevations_ = w.elevations;
    sessions_ = w.sessions;
    from_ = req.time;
    until_ = until;
    kept_ = std::move(j);
    valid_ = true;
}

elevation_boundaries::time_point elevation_boundaries::next(
    const std::shared_ptr<const team::feed_status>& status, time_point now) {
    if (!status || !status->set) return time_point::max();
    std::lock_guard lock(mu_);
    if (!same_owner(of_, status)) {
        // core/elevation.hpp's window: active for start - skew <= now < end; "expired" for
        // end <= now <= end + expired_lookback, or from start - skew for a request TEAM says
        // ended or revoked. Each answer is constant between these times.
        const auto& set = *status->set;
        const auto& win = set.window();
        times_.clear();
        times_.reserve(set.entries().size() * 3);
        for (const auto& e : set.entries()) {
            times_.push_back(e.start - win.skew);
            times_.push_back(e.end);
            times_.push_back(e.end + win.expired_lookback);
        }
        std::sort(times_.begin(), times_.end());
        of_ = status;
    }
    auto it = std::lower_bound(times_.begin(), times_.end(), now);
    return it == times_.end() ? time_point::max() : *it;
}

}  // namespace consolegate::app
