#include "metrics.hpp"

#include "consolegate/audit/sink.hpp"
#include "consolegate/dns/stats.hpp"
#include "consolegate/net/prometheus.hpp"
#include "consolegate/proxy/service.hpp"
#include "consolegate/team/dynamodb_feed.hpp"
#include "consolegate/team/feed.hpp"

namespace consolegate::app {

void sign_in_metrics::count(const core::decision& d) noexcept {
    decisions_[d.verdict == core::effect::allow ? 0 : 1]
              [std::min<std::size_t>(static_cast<std::size_t>(d.why), reason_slots - 1)]
                  .fetch_add(1, std::memory_order_relaxed);
    if (d.report_only && d.verdict == core::effect::deny) {
        report_only_denies_.fetch_add(1, std::memory_order_relaxed);
    }
    if (d.flagged) flagged_.fetch_add(1, std::memory_order_relaxed);
    events_.fetch_add(1, std::memory_order_relaxed);
}

void sign_in_metrics::write_prometheus(std::string& out) const {
    using net::write_metric;
    using net::write_metric_header;
    using net::write_sample;
    write_metric_header(out, "consolegate_signin_decisions_total", "counter",
                        "Sign-in attempts judged, by the policy's verdict and reason.");
    for (std::size_t e = 0; e < 2; ++e) {
        for (std::size_t r = 0; r < reason_slots; ++r) {
            auto n = decisions_[e][r].load(std::memory_order_relaxed);
            if (n == 0) continue;
            write_sample(out,
                         std::string("consolegate_signin_decisions_total{effect=\"") +
                             (e == 0 ? "allow" : "deny") + "\",reason=\"" +
                             std::string(core::to_string(static_cast<core::reason>(r))) + "\"}",
                         n);
        }
    }
    write_metric(out, "consolegate_signin_report_only_denies_total", "counter",
                 "Attempts report-only mode let through that the policy denies.",
                 report_only_denies_.load());
    write_metric(out, "consolegate_signin_flagged_total", "counter",
                 "Attempts flagged by AMS guardrails.", flagged_.load());
    write_metric(out, "consolegate_audit_events_total", "counter", "Audit events recorded.",
                 events_.load());
    write_metric(out, "consolegate_signin_unrecognised_requests_total", "counter",
                 "Requests on a sign-in host to an endpoint the inspector does not know (judged "
                 "by the rule for unknown sign-in paths): new AWS traffic to look at.",
                 unrecognised_.load());
    write_metric(out, "consolegate_signin_portal_users_learned_total", "counter",
                 "Answers of the IAM Identity Center access portal's GET /user that named the "
                 "user of a bearer token (the portal's federation requests are judged for them).",
                 portal_users_learned_.load());
}

namespace {

void write_audit_metrics(std::string& out, const std::vector<audit::tee_sink::named_stats>& sinks) {
    struct family {
        const char* name;
        const char* type;
        const char* help;
        std::uint64_t audit::sink_stats::*member;
    };
    static constexpr family families[] = {
        {"consolegate_audit_dropped_total", "counter",
         "Audit events dropped because the sink's queue was full.", &audit::sink_stats::dropped},
        {"consolegate_audit_written_total", "counter", "Audit events written by the sink.",
         &audit::sink_stats::written},
        {"consolegate_audit_write_errors_total", "counter",
         "Audit events in batches the sink failed to write.", &audit::sink_stats::write_errors},
        {"consolegate_audit_queued", "gauge", "Audit events waiting in the sink's queue.",
         &audit::sink_stats::queued},
    };
    if (sinks.empty()) return;
    for (auto& f : families) {
        net::write_metric_header(out, f.name, f.type, f.help);
        for (auto& s : sinks) {
            net::write_sample(out, std::string(f.name) + "{sink=\"" + s.sink + "\"}",
                              s.stats.*(f.member));
        }
    }
}

}  // namespace

std::string metrics_text(const metrics_sources& s, std::chrono::system_clock::time_point now) {
    using net::write_metric;
    using net::write_metric_header;
    using net::write_sample;
    std::string out;
    out.reserve(8192);
    write_metric_header(out, "consolegate_build_info", "gauge", "Version of the running gateway.");
    write_sample(out, "consolegate_build_info{version=\"" CG_VERSION "\"}", std::int64_t{1});
    if (s.sign_in) s.sign_in->write_prometheus(out);
    if (s.reloads) {
        write_metric_header(out, "consolegate_config_reloads_total", "counter",
                            "Configuration reloads by result.");
        write_sample(out, "consolegate_config_reloads_total{result=\"ok\"}", s.reloads->ok.load());
        write_sample(out, "consolegate_config_reloads_total{result=\"refused\"}",
                     s.reloads->refused.load());
    }
    if (s.audit) write_audit_metrics(out, s.audit->stats_by_sink());
    if (s.feed) {
        auto st = s.feed->status();
        std::shared_ptr<const team::feed_status> keep;
        bool available = s.feed->view(now, keep).available();
        write_metric(out, "consolegate_team_feed_available", "gauge",
                     "1 when the TEAM feed is fresh and valid.", std::int64_t{available});
        write_metric(out, "consolegate_team_elevations_in_progress", "gauge",
                     "TEAM requests in progress.", std::uint64_t{st->set ? st->set->size() : 0});
        write_metric(out, "consolegate_team_feed_skipped_items", "gauge",
                     "Malformed TEAM items left out of the current set.",
                     std::uint64_t{st->skipped_items});
        if (st->data_time != std::chrono::system_clock::time_point{}) {
            write_metric(
                out, "consolegate_team_feed_age_seconds", "gauge",
                "Seconds since the TEAM data was last read successfully.",
                std::int64_t{
                    std::chrono::duration_cast<std::chrono::seconds>(now - st->data_time).count()});
            write_metric(out, "consolegate_team_feed_last_success_timestamp_seconds", "gauge",
                         "Unix time of the last successful TEAM read.",
                         std::int64_t{std::chrono::duration_cast<std::chrono::seconds>(
                                          st->data_time.time_since_epoch())
                                          .count()});
        }
        if (const auto* d = dynamic_cast<const team::dynamodb_feed*>(s.feed)) {
            auto h = d->health();
            write_metric(out, "consolegate_team_feed_items", "gauge",
                         "TEAM items the last successful Query returned.", std::uint64_t{h.items});
            write_metric_header(out, "consolegate_team_feed_errors_total", "counter",
                                "TEAM DynamoDB feed failures by kind.");
            for (const auto& [kind, n] : h.errors)
                write_sample(out, "consolegate_team_feed_errors_total{kind=\"" + kind + "\"}", n);
        }
    }
    if (s.dns) dns::write_prometheus(out, *s.dns);
    if (s.proxy) proxy::write_prometheus(out, *s.proxy);
    return out;
}

}  // namespace consolegate::app
