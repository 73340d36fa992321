#include "runtime.hpp"

#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdio>

#include "admin_server.hpp"
#include "cli.hpp"
#include "config_map.hpp"
#include "consolegate/audit/sink.hpp"
#include "consolegate/dns/service.hpp"
#include "consolegate/dns/stats.hpp"
#include "consolegate/net/cares_resolver.hpp"
#include "consolegate/net/log.hpp"
#include "consolegate/net/prometheus.hpp"
#include "consolegate/proxy/service.hpp"
#include "consolegate/team/snapshot_feed.hpp"
#include "enforcement.hpp"
#include "worker_pool.hpp"

namespace consolegate::app {
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr auto drain_timeout = 20s;      // SIGTERM: sessions get this long to finish
constexpr auto team_poll_interval = 2s;  // a stat(2) per tick; re-parsed only on change
constexpr std::size_t recent_events_kept = 2000;
constexpr std::size_t reason_slots = 32;  // > number of core::reason values

// The data plane's services as worker_pool sees them.
class dns_worker final : public worker_service {
  public:
    dns_worker(asio::io_context& ioc, std::shared_ptr<const dns::options> o, dns::stats& s)
        : svc_(ioc, std::move(o), s) {}
    void start() override { svc_.start(); }
    void stop() override { svc_.stop(); }
    void update(std::shared_ptr<const dns::options> o) { svc_.update(std::move(o)); }

  private:
    dns::service svc_;
};

class proxy_worker final : public worker_service {
  public:
    proxy_worker(asio::io_context& ioc, std::shared_ptr<const proxy::options> o,
                 proxy::shared_state& shared, proxy::inspector inspect,
                 const net::cares_options& resolver)
        : svc_(ioc, std::move(o), shared, std::move(inspect),
               std::shared_ptr<net::host_resolver>(net::make_cares_host_resolver(ioc, resolver))) {}
    void start() override { svc_.start(); }
    void stop() override { svc_.stop(); }

  private:
    proxy::service svc_;
};

std::string endpoints_str(const std::vector<core::endpoint>& v) {
    std::string s;
    for (auto& e : v) s += (s.empty() ? "" : ",") + e.str();
    return s;
}

// What a reload cannot change: sockets, the CA, the thread count and the audit files are fixed
// for the life of the process. Returns the first such difference, or "".
std::string fixed_setting_changed(const core::config& a, const core::config& b) {
    if (a.dns.enabled != b.dns.enabled || a.dns.listen != b.dns.listen) return "dns listeners";
    if (a.proxy.enabled != b.proxy.enabled || a.proxy.sni_listen != b.proxy.sni_listen ||
        a.proxy.connect_listen != b.proxy.connect_listen) {
        return "proxy listeners";
    }
    if (a.admin.enabled != b.admin.enabled || a.admin.listen != b.admin.listen)
        return "admin listener";
    if (a.ca.cert != b.ca.cert || a.ca.key != b.ca.key) return "[ca]";
    if (a.general.workers != b.general.workers) return "general.workers";
    if (a.audit.jsonl_path != b.audit.jsonl_path || a.audit.sqlite_path != b.audit.sqlite_path) {
        return "[audit] paths";
    }
    return "";
}

class gateway {
  public:
    gateway(std::shared_ptr<const core::config> cfg, run_options o)
        : opts_(std::move(o)), cfg_(cfg) {
        policy_.store(make_policy_snapshot(cfg));
        make_feed(*cfg);
        std::vector<std::unique_ptr<audit::sink>> sinks;
        if (!cfg->audit.jsonl_path.empty()) {
            sinks.push_back(
                audit::make_jsonl_sink(cfg->audit.jsonl_path, cfg->audit.flush_interval));
        }
        if (!cfg->audit.sqlite_path.empty()) {
            log::write(log::level::warn, "audit",
                       "audit.sqlite_path is set, but this build has no SQLite store yet: events "
                       "go to audit.jsonl_path and the review page only",
                       {{"sqlite_path", cfg->audit.sqlite_path.string()}});
        }
        if (sinks.empty()) {
            log::write(log::level::warn, "audit",
                       "no audit.jsonl_path: sign-in events are kept in memory for the review "
                       "page only and lost on restart");
        }
        sink_ = std::make_unique<audit::tee_sink>(std::move(sinks), recent_);
    }

    int run() {
        const auto& cfg = *cfg_.load();
        bool dns_on = opts_.dns && cfg.dns.enabled;
        bool proxy_on = opts_.proxy && cfg.proxy.enabled;
        worker_pool pool(cfg.general.workers);
        pool_ = &pool;
        if (dns_on) {
            dns_options_.store(std::make_shared<const dns::options>(dns_options(cfg)));
            pool.add([this](asio::io_context& ioc) {
                return std::make_unique<dns_worker>(ioc, dns_options_.load(), dns_stats_);
            });
        }
        std::unique_ptr<proxy::shared_state> proxy_shared;
        if (proxy_on) {
            auto po = std::make_shared<const proxy::options>(proxy_options(cfg));
            proxy_shared = std::make_unique<proxy::shared_state>(po);  // loads the CA; throws
            auto resolver = upstream_resolver_options(cfg);
            pool.add([this, po, resolver, shared = proxy_shared.get()](asio::io_context& ioc) {
                return std::make_unique<proxy_worker>(
                    ioc, po, *shared,
                    [this](const core::http_request_view& r) { return inspect_request(r); },
                    resolver);
            });
        }
        proxy_shared_ = proxy_shared.get();
        pool.start();  // throws with the bind error's message

        std::unique_ptr<admin_server> admin;
        if (cfg.admin.enabled) {
            admin_handlers h;
            h.metrics = [this] { return metrics_text(); };
            h.ready = [this] { return ready_.load(); };
            h.reload = [this](std::string& message) { return reload(message); };
            h.recent = recent_;
            h.node_name = "consolegate";
            admin = std::make_unique<admin_server>(control_, cfg.admin.listen.address,
                                                   cfg.admin.listen.port, std::move(h));
            admin->start();
        }

        asio::signal_set signals(control_, SIGINT, SIGTERM, SIGHUP);
        wait_for_signal(signals, admin.get(), pool);
        asio::co_spawn(control_, poll_team_feed(), asio::detached);

        log::write(log::level::info, "app", "consolegate running",
                   {{"dns", dns_on ? endpoints_str(cfg.dns.listen) : "off"},
                    {"sni", proxy_on ? endpoints_str(cfg.proxy.sni_listen) : "off"},
                    {"connect", proxy_on ? endpoints_str(cfg.proxy.connect_listen) : "off"},
                    {"admin", cfg.admin.enabled ? cfg.admin.listen.str() : "off"},
                    {"workers", std::to_string(pool.size())}});
        ready_ = true;
        control_.run();

        sink_->flush();
        log::write(log::level::info, "app", "consolegate stopped",
                   {{"audit_events", std::to_string(events_.load())}});
        return 0;
    }

  private:
    void make_feed(const core::config& cfg) {
        if (cfg.team.enabled && !cfg.team.dynamodb.endpoint.empty()) {
            log::write(log::level::warn, "team",
                       "team.dynamodb is set, but this build has no DynamoDB poller yet: only "
                       "team.snapshot_file feeds elevations",
                       {{"endpoint", cfg.team.dynamodb.endpoint}});
        }
        if (cfg.team.enabled && !cfg.team.snapshot_file.empty()) {
            auto feed = std::make_shared<team::snapshot_feed>(cfg.team.snapshot_file,
                                                              cfg.team.staleness_limit);
            auto what = feed->poll();
            log::write(feed->status()->set ? log::level::info : log::level::warn, "team", what);
            feed_.store(std::move(feed));
        } else {
            feed_.store(nullptr);
        }
    }

    void wait_for_signal(asio::signal_set& signals, admin_server* admin, worker_pool& pool) {
        signals.async_wait([this, &signals, admin, &pool](boost::system::error_code ec, int sig) {
            if (ec) return;
            if (sig == SIGHUP) {
                std::string message;
                reload(message);
                wait_for_signal(signals, admin, pool);
                return;
            }
            log::write(log::level::info, "app", "stopping: draining connections",
                       {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
            ready_ = false;
            if (admin) admin->stop();
            pool.stop(drain_timeout);
            pool_ = nullptr;
            control_.stop();
        });
    }

    asio::awaitable<void> poll_team_feed() {
        asio::steady_timer timer(control_);
        for (;;) {
            timer.expires_after(team_poll_interval);
            auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
            if (ec) co_return;
            if (auto feed = feed_.load()) {
                auto what = feed->poll();
                if (!what.empty()) {
                    log::write(feed->status()->set ? log::level::info : log::level::warn, "team",
                               what);
                }
            }
        }
    }

    // Runs on the control thread (SIGHUP or POST /reload).
    bool reload(std::string& message) {
        auto loaded = core::load_config(opts_.config);
        if (!loaded.cfg) {
            ++reloads_failed_;
            message = "configuration refused; the running one stays:";
            for (auto& d : loaded.diagnostics) message += "\n" + core::format_diagnostic(d);
            log::write(log::level::error, "app", "reload refused: invalid configuration",
                       {{"problems", std::to_string(loaded.diagnostics.size())},
                        {"first", core::format_diagnostic(loaded.diagnostics.front())}});
            return false;
        }
        auto next = std::make_shared<const core::config>(std::move(*loaded.cfg));
        if (auto what = fixed_setting_changed(*cfg_.load(), *next); !what.empty()) {
            ++reloads_failed_;
            message = "configuration refused: " + what +
                      " changed, which needs a restart; the "
                      "running configuration stays";
            log::write(log::level::error, "app", "reload refused: needs a restart",
                       {{"setting", what}});
            return false;
        }
        policy_.store(make_policy_snapshot(next));
        make_feed(*next);
        if (pool_ && dns_options_.load()) {
            auto d = std::make_shared<const dns::options>(dns_options(*next));
            dns_options_.store(d);
            pool_->post_all([d](worker_service& s) {
                if (auto* w = dynamic_cast<dns_worker*>(&s)) w->update(d);
            });
        }
        cfg_.store(next);
        ++reloads_ok_;
        message = "reloaded: " + std::to_string(next->policy.rules.size()) + " rules, " +
                  std::to_string(next->policy.accounts.size()) + " accounts, " +
                  std::to_string(next->policy.aliases.size()) +
                  " aliases ([proxy] settings "
                  "other than the policy apply at the next restart)";
        log::write(log::level::info, "app", "configuration reloaded", {{"what", message}});
        return true;
    }

    // The proxy's inspection hook: runs on a worker thread for every request on an inspected
    // connection.
    proxy::verdict inspect_request(const core::http_request_view& req) {
        auto snap = policy_.load();
        std::shared_ptr<const team::feed_status> keep;
        auto feed = feed_.load();
        auto elevations = feed ? feed->view(req.time, keep) : core::elevation_view::unavailable();
        auto j = judge(req, *snap, elevations, random_event_id);
        for (auto& ja : j.attempts) {
            auto& d = ja.decision;
            decisions_[d.verdict == core::effect::allow ? 0 : 1]
                      [std::min<std::size_t>(static_cast<std::size_t>(d.why), reason_slots - 1)]
                          .fetch_add(1, std::memory_order_relaxed);
            if (d.report_only && d.verdict == core::effect::deny) ++report_only_denies_;
            if (d.flagged) ++flagged_;
            sink_->record(audit::make_event(ja.event_id, ja.attempt, d, req.method, req.target));
            ++events_;
        }
        proxy::verdict v;
        v.allow = j.allow;
        if (!j.allow) {
            auto& ja = j.attempts[static_cast<std::size_t>(j.deciding)];
            auto& a = ja.attempt;
            v.expire_console_cookies = j.expire_console_cookies;
            v.account = a.account ? a.account->str() : a.alias;
            v.role = a.role_name.empty() ? a.permission_set : a.role_name;
            v.flow = std::string(core::to_string(a.flow));
            v.reason_code = std::string(core::to_string(ja.decision.why));
            v.reason_text = std::string(core::describe(ja.decision.why));
            v.rule = ja.decision.rule;
            v.event_id = ja.event_id;
        }
        return v;
    }

    std::string metrics_text() {
        using net::write_metric;
        using net::write_metric_header;
        using net::write_sample;
        std::string out;
        out.reserve(8192);
        write_metric_header(out, "consolegate_build_info", "gauge",
                            "Version of the running gateway.");
        write_sample(out, "consolegate_build_info{version=\"" CG_VERSION "\"}", std::int64_t{1});
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
        write_metric_header(out, "consolegate_config_reloads_total", "counter",
                            "Configuration reloads by result.");
        write_sample(out, "consolegate_config_reloads_total{result=\"ok\"}", reloads_ok_.load());
        write_sample(out, "consolegate_config_reloads_total{result=\"refused\"}",
                     reloads_failed_.load());
        if (auto feed = feed_.load()) {
            auto st = feed->status();
            std::shared_ptr<const team::feed_status> keep;
            bool available = feed->view(std::chrono::system_clock::now(), keep).available();
            write_metric(out, "consolegate_team_feed_available", "gauge",
                         "1 when the TEAM feed is fresh and valid.", std::int64_t{available});
            write_metric(out, "consolegate_team_elevations_in_progress", "gauge",
                         "TEAM requests in progress.",
                         std::uint64_t{st->set ? st->set->size() : 0});
        }
        if (dns_options_.load()) dns::write_prometheus(out, dns_stats_);
        if (proxy_shared_) proxy::write_prometheus(out, proxy_shared_->counters());
        return out;
    }

    run_options opts_;
    asio::io_context control_{1};
    std::atomic<std::shared_ptr<const core::config>> cfg_;
    std::atomic<std::shared_ptr<const policy_snapshot>> policy_;
    std::atomic<std::shared_ptr<team::snapshot_feed>> feed_;
    std::atomic<std::shared_ptr<const dns::options>> dns_options_;
    std::shared_ptr<audit::recent_events> recent_ =
        std::make_shared<audit::recent_events>(recent_events_kept);
    std::unique_ptr<audit::tee_sink> sink_;
    dns::stats dns_stats_;
    proxy::shared_state* proxy_shared_ = nullptr;
    worker_pool* pool_ = nullptr;
    std::atomic<bool> ready_{false};
    std::array<std::array<std::atomic<std::uint64_t>, reason_slots>, 2> decisions_{};
    std::atomic<std::uint64_t> report_only_denies_{0}, flagged_{0}, events_{0};
    std::atomic<std::uint64_t> reloads_ok_{0}, reloads_failed_{0};
};

}  // namespace

int run_gateway(const run_options& o) {
    auto loaded = core::load_config(o.config);
    if (!loaded.cfg) {
        for (auto& d : loaded.diagnostics) {
            std::fprintf(stderr, "%s\n", core::format_diagnostic(d).c_str());
        }
        std::fprintf(stderr, "consolegate: %s is not valid (%zu problems); nothing started\n",
                     o.config.c_str(), loaded.diagnostics.size());
        return 2;
    }
    auto cfg = std::make_shared<const core::config>(std::move(*loaded.cfg));
    log::set_level(static_cast<log::level>(cfg->general.level));
    try {
        gateway g(cfg, o);
        return g.run();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "consolegate: cannot start: %s\n", e.what());
        return 1;
    }
}

int cmd_run(int argc, char** argv) {
    args a(argc, argv, {"config", "only"}, {"help"});
    constexpr const char* usage =
        "usage: consolegate run --config FILE [--only dns|proxy]\n"
        "Runs the gateway: the DNS policy gateway and the inspecting proxy (or one of them).\n"
        "SIGHUP reloads the configuration; SIGTERM drains connections and flushes the audit log.\n";
    if (a.flag("help")) {
        std::fputs(usage, stdout);
        return 0;
    }
    if (!a.ok() || !a.value("config") || !a.positional().empty()) {
        if (!a.ok()) std::fprintf(stderr, "consolegate run: %s\n", a.error().c_str());
        std::fputs(usage, stderr);
        return 2;
    }
    run_options o;
    o.config = *a.value("config");
    if (auto only = a.value("only")) {
        if (*only == "dns") {
            o.proxy = false;
        } else if (*only == "proxy") {
            o.dns = false;
        } else {
            std::fprintf(stderr, "consolegate run: --only takes dns or proxy, not '%s'\n",
                         only->c_str());
            return 2;
        }
    }
    return run_gateway(o);
}

}  // namespace consolegate::app
