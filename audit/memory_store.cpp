// Events held in memory behind the event_store interface: a JSON-lines file read by
// `consolegate logs --file`, and tests. Same semantics as the SQLite store (audit::matches()).
#include <algorithm>
#include <map>

#include "consolegate/audit/store.hpp"

namespace consolegate::audit {
namespace {

const std::string& summary_value(const event& e, summary_key k) {
    switch (k) {
        case summary_key::account: return e.account.empty() ? e.alias : e.account;
        case summary_key::user: return e.user;
        case summary_key::client: return e.client;
        case summary_key::rule: return e.rule;
        case summary_key::corp_user: return e.corp_user;
    }
    return e.rule;
}

class memory_store final : public event_store {
  public:
    explicit memory_store(std::vector<event> events) : events_(std::move(events)) {
        // Newest first by time, ties in reverse arrival order, as the SQLite store sorts.
        order_.resize(events_.size());
        for (std::size_t i = 0; i < order_.size(); ++i) order_[i] = i;
        std::stable_sort(order_.begin(), order_.end(), [&](std::size_t a, std::size_t b) {
            return events_[a].time > events_[b].time ||
                   (events_[a].time == events_[b].time && a > b);
        });
    }

    std::vector<event> find(const query& q, std::size_t offset, std::size_t limit) override {
        std::vector<event> out;
        for (auto i : order_) {
            if (out.size() == limit) break;
            if (!matches(events_[i], q)) continue;
            if (offset) {
                --offset;
                continue;
            }
            out.push_back(events_[i]);
        }
        return out;
    }

    std::uint64_t count(const query& q) override {
        return static_cast<std::uint64_t>(std::count_if(
            events_.begin(), events_.end(), [&](const event& e) { return matches(e, q); }));
    }

    std::optional<event> get(std::string_view id) override {
        for (auto& e : events_) {
            if (e.id == id) return e;
        }
        return std::nullopt;
    }

    std::vector<count_row> top_denied(const query& q, summary_key k, std::size_t n) override {
        std::map<std::string, std::uint64_t> counts;
        for (auto& e : events_) {
            if (e.effect != "deny" || !matches(e, q)) continue;
            auto& v = summary_value(e, k);
            if (!v.empty()) ++counts[v];
        }
        std::vector<count_row> out;
        for (auto& [key, c] : counts) out.push_back({key, c});
        std::stable_sort(out.begin(), out.end(),
                         [](auto& a, auto& b) { return a.count > b.count; });
        if (out.size() > n) out.resize(n);
        return out;
    }

    std::vector<bucket> histogram(const query& q, core::time_point from, core::time_point to,
                                  std::chrono::seconds step) override {
        auto out = empty_buckets(from, to, step);
        step = std::max(step, std::chrono::seconds(1));
        for (auto& e : events_) {
            auto t = core::parse_rfc3339(e.time);
            if (!t || *t < from || *t >= to || !matches(e, q)) continue;
            auto& b = out[static_cast<std::size_t>((*t - from) / step)];
            if (e.effect == "allow") {
                ++b.allowed;
            } else {
                ++(e.report_only ? b.report_only : b.blocked);
            }
        }
        return out;
    }

    std::vector<event> after(std::uint64_t& seq, std::size_t limit) override {
        std::vector<event> out;
        while (seq < events_.size() && out.size() < limit) out.push_back(events_[seq++]);
        return out;
    }

    std::uint64_t last_sequence() override { return events_.size(); }

  private:
    std::vector<event> events_;       // oldest first (arrival order)
    std::vector<std::size_t> order_;  // newest first
};

}  // namespace

std::vector<bucket> empty_buckets(core::time_point from, core::time_point to,
                                  std::chrono::seconds step) {
    step = std::max(step, std::chrono::seconds(1));
    std::vector<bucket> out;
    for (auto t = from; t < to; t += step) out.push_back({t, 0, 0, 0});
    return out;
}

query within(const query& q, core::time_point from, core::time_point to) {
    query r = q;
    r.since = q.since ? std::max(*q.since, from) : from;
    r.until = q.until ? std::min(*q.until, to) : to;
    return r;
}

std::vector<count_row> top_rows(const std::unordered_map<std::string, std::uint64_t>& counts,
                                std::size_t n) {
    std::vector<count_row> out;
    out.reserve(counts.size());
    for (const auto& [key, c] : counts) out.push_back({key, c});
    auto order = [](const count_row& a, const count_row& b) {
        return a.count != b.count ? a.count > b.count : a.key < b.key;
    };
    if (out.size() > n) {
        std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n), out.end(),
                          order);
        out.resize(n);
    } else {
        std::sort(out.begin(), out.end(), order);
    }
    return out;
}

std::vector<std::vector<count_row>> event_store::top_denied_each(const query& q,
                                                                 std::span<const summary_key> keys,
                                                                 std::size_t n) {
    std::vector<std::vector<count_row>> out;
    out.reserve(keys.size());
    for (auto k : keys) out.push_back(top_denied(q, k, n));
    return out;
}

std::unique_ptr<event_store> make_memory_store(std::vector<event> events_oldest_first) {
    return std::make_unique<memory_store>(std::move(events_oldest_first));
}

}  // namespace consolegate::audit
