#include "judgement_memo.hpp"

#include <algorithm>
#include <cstring>

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
        // end <= now <= end + expired_lookback. Each answer is constant between these times.
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
