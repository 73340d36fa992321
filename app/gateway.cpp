#include "gateway.hpp"

#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>
#include <fstream>

#include "admin_server.hpp"
#include "consolegate/audit/sink.hpp"
#include "consolegate/audit/store.hpp"
#include "consolegate/audit/syslog_sink.hpp"
#include "consolegate/core/config_derived.hpp"
#include "consolegate/dns/service.hpp"
#include "consolegate/dns/stats.hpp"
#include "consolegate/log/log.hpp"
#include "consolegate/net/cares_resolver.hpp"
#include "consolegate/proxy/service.hpp"
#include "elevations_report.hpp"
#include "enforcement.hpp"
#include "identity_hub.hpp"
#include "metrics.hpp"
#include "refusal_record.hpp"
#include "service_manager.hpp"
#include "session_runtime.hpp"
#include "sign_in_hook.hpp"
#include "team_feed.hpp"
#include "worker_pool.hpp"

namespace consolegate::app {
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr auto drain_timeout = 20s;      // SIGTERM: sessions get this long to finish
constexpr auto team_poll_interval = 2s;  // a stat(2) per tick; re-parsed only on change
constexpr auto identity_tick = 1s;       // address map: prune, stat(2) the watched file
constexpr std::size_t recent_events_kept = 2000;

// The data plane's services as worker_pool sees them.
class dns_worker final : public worker_service {
  public:
    dns_worker(asio::io_context& ioc, std::shared_ptr<const dns::config> o, dns::stats& s)
        : svc_(ioc, std::move(o), s) {}
    void start() override { svc_.start(); }
    void stop() override { svc_.stop(); }
    void update(std::shared_ptr<const dns::config> o) { svc_.update(std::move(o)); }

  private:
    dns::service svc_;
};

class proxy_worker final : public worker_service {
  public:
    proxy_worker(asio::io_context& ioc, proxy::shared_state& shared, proxy::inspector inspect,
                 const net::cares_options& resolver, proxy::response_observer observe,
                 proxy::refusal_observer refused, proxy::identification who,
                 proxy::waiting_hooks waits)
        : svc_(ioc, shared, std::move(inspect),
               std::shared_ptr<net::host_resolver>(net::make_cares_host_resolver(ioc, resolver)),
               std::move(observe), std::move(refused), std::move(who), std::move(waits)) {}
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
    if (a.admin.enabled != b.admin.enabled || a.admin.listen != b.admin.listen ||
        a.admin.tls_cert_file != b.admin.tls_cert_file ||
        a.admin.tls_key_file != b.admin.tls_key_file)
        return "admin listener";
    if (a.ca.cert != b.ca.cert || a.ca.key != b.ca.key) return "[ca]";
    if (a.proxy.tls_session_resumption != b.proxy.tls_session_resumption) {
        return "proxy.tls_session_resumption";  // the client TLS context is made once
    }
    if (a.proxy.http2 != b.proxy.http2) return "proxy.http2";  // ALPN: the same context
    if (a.admin.reviewer_token_file != b.admin.reviewer_token_file ||
        a.admin.operator_token_file != b.admin.operator_token_file) {
        return "admin token files";
    }
    if (a.general.workers != b.general.workers) return "general.workers";
    if (a.general.instance != b.general.instance) return "general.instance";
    // The proxy strips this field from every request: its name is fixed for its life.
    if (a.identity.trusted_header != b.identity.trusted_header) return "identity.trusted_header";
    if (auto s = session_runtime::fixed_setting_changed(a, b); !s.empty()) return s;
    if (a.audit.jsonl_path != b.audit.jsonl_path || a.audit.sqlite_path != b.audit.sqlite_path) {
        return "[audit] paths";
    }
    if (a.audit.postgres_connection != b.audit.postgres_connection ||
        a.audit.postgres_password_file != b.audit.postgres_password_file) {
        return "[audit] postgres";
    }
    if (a.audit.syslog != b.audit.syslog || a.audit.syslog_host != b.audit.syslog_host ||
        a.audit.syslog_port != b.audit.syslog_port ||
        a.audit.syslog_ca_file != b.audit.syslog_ca_file ||
        a.audit.syslog_cert_file != b.audit.syslog_cert_file ||
        a.audit.syslog_key_file != b.audit.syslog_key_file ||
        a.audit.syslog_facility != b.audit.syslog_facility) {
        return "[audit] syslog";
    }
    return "";
}

// A bearer token file: its first line, without surrounding whitespace; empty path = no token.
std::string read_token(const std::filesystem::path& file) {
    if (file.empty()) return {};
    std::ifstream in(file);
    std::string token;
    if (!in || !std::getline(in, token)) {
        throw std::runtime_error("cannot read admin token file " + file.string());
    }
    auto first = token.find_first_not_of(" \t\r");
    auto last = token.find_last_not_of(" \t\r");
    token = first == std::string::npos ? "" : token.substr(first, last - first + 1);
    if (token.size() < 16) {
        throw std::runtime_error("admin token file " + file.string() +
                                 " holds no token of at least 16 characters");
    }
    return token;
}

// The gateway instance events name when general.instance does not: the host name (several
// replicas share one store).
std::string host_name() {
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "consolegate";
    return buf;
}

// The review page reads the in-memory ring only when it has no store to read; both settings
// need a restart, so the answer holds for the life of the sinks.
bool review_reads_ring(const core::config& cfg) {
    return cfg.admin.enabled && cfg.audit.sqlite_path.empty() &&
           cfg.audit.postgres_connection.empty();
}

std::unique_ptr<audit::tee_sink> make_sinks(const core::config& cfg,
                                            std::shared_ptr<audit::recent_events> recent) {
    // Keeping a copy of every event nobody can read costs the judged path ~2 % (bench/baseline).
    if (!review_reads_ring(cfg)) recent.reset();
    audit::queue_options queue;
    queue.max_events = static_cast<std::size_t>(cfg.audit.queue_limit);
    queue.flush_interval =
        std::chrono::duration_cast<std::chrono::milliseconds>(cfg.audit.flush_interval);
    std::vector<std::unique_ptr<audit::sink>> sinks;
    if (!cfg.audit.jsonl_path.empty()) {
        audit::jsonl_options o;
        o.file = cfg.audit.jsonl_path;
        o.rotate_bytes = cfg.audit.jsonl_rotate_size;
        o.keep = cfg.audit.jsonl_keep;
        o.queue = queue;
        sinks.push_back(audit::make_jsonl_sink(o));
    }
    if (!cfg.audit.sqlite_path.empty()) {
        audit::sqlite_options o;
        o.file = cfg.audit.sqlite_path;
        o.max_age = std::chrono::duration_cast<std::chrono::seconds>(cfg.audit.sqlite_retention);
        o.max_bytes = cfg.audit.sqlite_max_size;
        o.queue = queue;
        sinks.push_back(audit::make_sqlite_sink(o));  // creates and migrates the file; throws
    }
    if (!cfg.audit.postgres_connection.empty()) {
        audit::postgres_options o;
        o.connection = cfg.audit.postgres_connection;
        o.password = audit::read_postgres_password(cfg.audit.postgres_password_file);  // throws
        o.max_age = std::chrono::duration_cast<std::chrono::seconds>(cfg.audit.postgres_retention);
        o.queue = queue;
        sinks.push_back(audit::make_postgres_sink(o));  // an unreachable server is no error
    }
    if (cfg.audit.syslog != core::syslog_transport::none) {
        audit::syslog_options o;
        o.transport = cfg.audit.syslog == core::syslog_transport::udp ? audit::syslog_transport::udp
                      : cfg.audit.syslog == core::syslog_transport::tcp
                          ? audit::syslog_transport::tcp
                          : audit::syslog_transport::tls;
        o.host = cfg.audit.syslog_host;
        o.port = cfg.audit.syslog_port;
        o.ca_file = cfg.audit.syslog_ca_file;
        o.cert_file = cfg.audit.syslog_cert_file;
        o.key_file = cfg.audit.syslog_key_file;
        o.facility = cfg.audit.syslog_facility;
        o.queue = queue;
        sinks.push_back(audit::make_syslog_sink(o));  // TLS files load here; throws
    }
    if (sinks.empty()) {
        log::write(
            log::level::warn, "audit",
            "no audit sink (jsonl_path, sqlite_path, postgres_connection, syslog_target): "
            "sign-in events are kept in memory for the review page only and lost on restart");
    }
    return std::make_unique<audit::tee_sink>(std::move(sinks), std::move(recent));
}

}  // namespace

struct gateway::impl {
    impl(std::shared_ptr<const core::config> cfg, run_options o)
        : opts(std::move(o)),
          config(cfg),
          sink(make_sinks(*cfg, recent)),
          identity(identity_hub::make(*cfg, std::chrono::system_clock::now())),
          sessions(std::make_unique<session_runtime>(*cfg)) {
        instance = cfg->general.instance.empty() ? host_name() : cfg->general.instance;
        policy.store(make_policy_snapshot(cfg));
        feed.store(make_team_feed(*cfg));
    }

    int run();
    void wait_for_signal(asio::signal_set& signals, admin_server* admin, worker_pool& pool);
    asio::awaitable<void> poll_team_feed();
    asio::awaitable<void> tick_identity();
    asio::awaitable<void> ping_watchdog();
    asio::awaitable<void> save_sessions_periodically();
    void save_sessions();
    bool reload(std::string& message);  // tells systemd, then apply_reload
    bool apply_reload(std::string& message);
    std::string metrics() const;
    bool team_ready() const;
    std::string elevations_json(const std::string& user, const std::string& account) const;

    run_options opts;
    std::string instance;  // general.instance, else the host name; fixed for the process life
    asio::io_context control{1};
    std::atomic<std::shared_ptr<const core::config>> config;
    std::atomic<std::shared_ptr<const policy_snapshot>> policy;
    std::atomic<std::shared_ptr<team::feed>> feed;
    std::atomic<std::shared_ptr<const dns::config>> dns_opts;
    std::shared_ptr<audit::recent_events> recent =
        std::make_shared<audit::recent_events>(recent_events_kept);
    std::unique_ptr<audit::tee_sink> sink;
    // Who is behind a connection: the address map outlives every reload (docs/identity.md).
    std::shared_ptr<identity_hub> identity;
    sign_in_metrics sign_in;
    // Console sessions bound to what AWS said (issue 20); outlives every reload, and with
    // sessions.file or a shared store every restart.
    std::unique_ptr<session_runtime> sessions;
    reload_counters reloads;
    dns::stats dns_stats;
    proxy::shared_state* proxy_shared = nullptr;
    worker_pool* running_pool = nullptr;
    std::atomic<bool> ready{false};
    service_manager systemd;
};

gateway::gateway(std::shared_ptr<const core::config> cfg, run_options o)
    : impl_(std::make_unique<impl>(std::move(cfg), std::move(o))) {}

gateway::~gateway() = default;

int gateway::run() {
    return impl_->run();
}

int gateway::impl::run() {
    const auto& cfg = *config.load();
    bool dns_on = opts.dns && cfg.dns.enabled;
    bool proxy_on = opts.proxy && cfg.proxy.enabled;
    worker_pool pool(cfg.general.workers);
    running_pool = &pool;
    if (dns_on) {
        dns_opts.store(std::make_shared<const dns::config>(cfg.dns));
        pool.add([this](asio::io_context& ioc) {
            return std::make_unique<dns_worker>(ioc, dns_opts.load(), dns_stats);
        });
    }
    std::unique_ptr<proxy::shared_state> shared;
    if (proxy_on) {
        shared = std::make_unique<proxy::shared_state>(config.load());  // loads the CA; throws
        auto upstream = core::proxy_upstream_resolution(cfg);
        net::cares_options resolver;
        for (auto& e : upstream.servers) resolver.servers.push_back({e.address, e.port});
        resolver.timeout = upstream.timeout;
        resolver.tries = upstream.tries;
        sign_in_hook hook(policy, feed, *sink, sign_in, instance, &sessions->table(),
                          &sessions->portal_users());
        auto who = identity->proxy_hooks();
        refusal_recorder refusals(*sink, instance, who.by_address);
        pool.add([resolver, hook, refusals, s = shared.get(), who,
                  waits = sessions->hooks()](asio::io_context& ioc) {
            return std::make_unique<proxy_worker>(
                ioc, *s, hook, resolver,
                [hook](const core::http_request_view& req, const proxy::response_view& resp) {
                    return hook.observe(req, resp);
                },
                refusals, who, waits);
        });
    }
    proxy_shared = shared.get();
    pool.start();  // throws with the bind error's message

    std::unique_ptr<admin_server> admin;
    if (cfg.admin.enabled) {
        admin_handlers h;
        h.metrics = [this] { return metrics(); };
        h.ready = [this] { return ready.load() && team_ready(); };
        h.elevations = [this](const std::string& user, const std::string& account) {
            return elevations_json(user, account);
        };
        h.reload = [this](std::string& message) { return reload(message); };
        h.address_map = [this](std::string_view method, std::string_view address,
                               const std::optional<std::string>& user, std::string_view body) {
            auto now = std::chrono::system_clock::now();
            if (method == "POST") return identity->post(body, now);
            if (method == "DELETE") return identity->remove(address, user);
            return identity->list(now);
        };
        if (review_reads_ring(cfg)) h.recent = recent;
        // The fleet's shared store first: it holds every replica's events.
        if (!cfg.audit.postgres_connection.empty()) {
            h.open_store = [c = cfg.audit.postgres_connection,
                            pw = audit::read_postgres_password(cfg.audit.postgres_password_file)] {
                return audit::open_postgres_store(c, pw);
            };
        } else if (!cfg.audit.sqlite_path.empty()) {
            h.open_store = [file = cfg.audit.sqlite_path] {
                return audit::open_sqlite_store(file);
            };
        }
        h.node_name = instance;
        h.reviewer_token = read_token(cfg.admin.reviewer_token_file);  // throws: startup error
        h.operator_token = read_token(cfg.admin.operator_token_file);
        h.tls_cert_file = cfg.admin.tls_cert_file;  // start() loads them; throws: startup error
        h.tls_key_file = cfg.admin.tls_key_file;
        admin = std::make_unique<admin_server>(control, cfg.admin.listen.address,
                                               cfg.admin.listen.port, std::move(h));
        admin->start();
    }

    asio::signal_set signals(control, SIGINT, SIGTERM, SIGHUP);
    signals.add(SIGUSR1);
    wait_for_signal(signals, admin.get(), pool);
    asio::co_spawn(control, poll_team_feed(), asio::detached);
    asio::co_spawn(control, tick_identity(), asio::detached);
    if (!cfg.sessions.file.empty()) {
        asio::co_spawn(control, save_sessions_periodically(), asio::detached);
    }

    log::write(log::level::info, "app", "consolegate running",
               {{"dns", dns_on ? endpoints_str(cfg.dns.listen) : "off"},
                {"sni", proxy_on ? endpoints_str(cfg.proxy.sni_listen) : "off"},
                {"connect", proxy_on ? endpoints_str(cfg.proxy.connect_listen) : "off"},
                {"admin", cfg.admin.enabled ? cfg.admin.listen.str() : "off"},
                {"workers", std::to_string(pool.size())}});
    ready = true;
    systemd.ready();  // after pool.start(): every listener is bound
    if (systemd.watchdog_period().count() > 0)
        asio::co_spawn(control, ping_watchdog(), asio::detached);
    control.run();

    sessions->stop();  // before the workers' io_contexts go: resumes what waits on the store
    sink->flush();
    save_sessions();  // the workers are stopped: nothing learns any more
    log::write(log::level::info, "app", "consolegate stopped",
               {{"audit_events", std::to_string(sign_in.events())}});
    return 0;
}

void gateway::impl::wait_for_signal(asio::signal_set& signals, admin_server* admin,
                                    worker_pool& pool) {
    signals.async_wait([this, &signals, admin, &pool](boost::system::error_code ec, int sig) {
        if (ec) return;
        if (sig == SIGHUP || sig == SIGUSR1) {
            // Both reopen the audit files (after an external rotation); SIGHUP also reloads.
            sink->reopen();
            std::string message;
            if (sig == SIGHUP) reload(message);
            wait_for_signal(signals, admin, pool);
            return;
        }
        log::write(log::level::info, "app", "stopping: draining connections",
                   {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
        ready = false;
        systemd.stopping();
        if (admin) admin->stop();
        pool.stop(drain_timeout);
        running_pool = nullptr;
        control.stop();
    });
}

asio::awaitable<void> gateway::impl::poll_team_feed() {
    asio::steady_timer timer(control);
    for (;;) {
        timer.expires_after(team_poll_interval);
        auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec) co_return;
        if (auto f = feed.load()) {
            auto what = f->poll();
            if (!what.empty()) {
                log::write(f->status()->set ? log::level::info : log::level::warn, "team", what);
            }
        }
    }
}

asio::awaitable<void> gateway::impl::tick_identity() {
    asio::steady_timer timer(control);
    for (;;) {
        timer.expires_after(identity_tick);
        auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec) co_return;
        identity->tick(std::chrono::system_clock::now());
    }
}

void gateway::impl::save_sessions() {
    sessions->save(*config.load());
}

asio::awaitable<void> gateway::impl::save_sessions_periodically() {
    asio::steady_timer timer(control);
    for (;;) {
        timer.expires_after(config.load()->sessions.save_interval);
        auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec) co_return;
        save_sessions();
    }
}

// WATCHDOG=1 from the control thread: a control loop that stops turning stops the pings.
asio::awaitable<void> gateway::impl::ping_watchdog() {
    asio::steady_timer timer(control);
    for (;;) {
        systemd.watchdog();
        timer.expires_after(systemd.watchdog_period());
        auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec) co_return;
    }
}

// Runs on the control thread (SIGHUP or POST /reload).
bool gateway::impl::reload(std::string& message) {
    systemd.reloading();
    const bool ok = apply_reload(message);
    systemd.ready();  // applied or refused, the gateway serves on
    return ok;
}

bool gateway::impl::apply_reload(std::string& message) {
    auto loaded = core::load_config(opts.config);
    if (!loaded.cfg) {
        ++reloads.refused;
        message = "configuration refused; the running one stays:";
        for (auto& d : loaded.diagnostics) message += "\n" + core::format_diagnostic(d);
        log::write(log::level::error, "app", "reload refused: invalid configuration",
                   {{"problems", std::to_string(loaded.diagnostics.size())},
                    {"first", core::format_diagnostic(loaded.diagnostics.front())}});
        return false;
    }
    for (const auto& n : loaded.notes)
        log::write(log::level::warn, "app", "configuration note",
                   {{"note", core::format_diagnostic(n)}});
    auto next = std::make_shared<const core::config>(std::move(*loaded.cfg));
    if (auto what = fixed_setting_changed(*config.load(), *next); !what.empty()) {
        ++reloads.refused;
        message = "configuration refused: " + what +
                  " changed, which needs a restart; the "
                  "running configuration stays";
        log::write(log::level::error, "app", "reload refused: needs a restart",
                   {{"setting", what}});
        return false;
    }
    auto bad = identity_hub::check_kerberos(*next);
    if (bad.empty()) bad = identity_hub::check_ldap(*next);
    if (!bad.empty()) {
        ++reloads.refused;
        message = "configuration refused: " + bad + "; the running configuration stays";
        log::write(log::level::error, "app", "reload refused: identity settings",
                   {{"problem", bad}});
        return false;
    }
    policy.store(make_policy_snapshot(next));
    identity->apply(*next);
    sessions->apply(*next);
    feed.store(make_team_feed(*next, config.load().get(), feed.load()));
    if (running_pool && dns_opts.load()) {
        auto d = std::make_shared<const dns::config>(next->dns);
        dns_opts.store(d);
        running_pool->post_all([d](worker_service& s) {
            if (auto* w = dynamic_cast<dns_worker*>(&s)) w->update(d);
        });
    }
    config.store(next);
    ++reloads.ok;
    message = "reloaded: " + std::to_string(next->policy.rules.size()) + " rules, " +
              std::to_string(next->policy.accounts.size()) + " accounts, " +
              std::to_string(next->policy.aliases.size()) +
              " aliases ([proxy] settings "
              "other than the policy apply at the next restart)";
    log::write(log::level::info, "app", "configuration reloaded", {{"what", message}});
    return true;
}

// Not ready while elevation-gated rules exist and the TEAM feed cannot answer for them: a load
// balancer then prefers a replica whose feed works (each replica has its own feed).
bool gateway::impl::team_ready() const {
    auto cfg = config.load();
    bool gated = std::any_of(cfg->policy.rules.begin(), cfg->policy.rules.end(), [](const auto& r) {
        return r.effect == core::rule_effect::allow_with_elevation;
    });
    if (!gated) return true;
    auto f = feed.load();
    std::shared_ptr<const team::feed_status> keep;
    return f && f->view(std::chrono::system_clock::now(), keep).available();
}

std::string gateway::impl::elevations_json(const std::string& user,
                                           const std::string& account) const {
    elevations_filter filter;
    filter.user = user;
    if (!account.empty()) {
        filter.account = core::account_id::parse(account);
        if (!filter.account) return {};
    }
    auto cfg = config.load();
    filter.idc_user_template = cfg->identity.idc_user;
    filter.realms = cfg->identity.realms;
    auto f = feed.load();
    std::string source = cfg->team.snapshot_file.empty()
                             ? "dynamodb"
                             : "snapshot " + cfg->team.snapshot_file.string();
    return boost::json::serialize(elevations_report(f.get(), source, cfg->team.aws_partition,
                                                    std::chrono::system_clock::now(), filter));
}

std::string gateway::impl::metrics() const {
    auto f = feed.load();
    metrics_sources s;
    s.sign_in = &sign_in;
    s.reloads = &reloads;
    s.audit = sink.get();
    s.feed = f.get();
    s.dns = dns_opts.load() ? &dns_stats : nullptr;
    s.proxy = proxy_shared ? &proxy_shared->counters() : nullptr;
    auto out = metrics_text(s, std::chrono::system_clock::now());
    identity->write_prometheus(out);
    sessions->write_prometheus(out, *config.load());
    return out;
}

}  // namespace consolegate::app
