// The schema: one reader per table of config/README.md.

#include <algorithm>
#include <cctype>

#include "config_reader.hpp"
#include "consolegate/core/glob.hpp"
#include "consolegate/core/host_pattern.hpp"

namespace consolegate::core::config_detail {

namespace {

void read_proxy_protocol(section& s, std::string_view key, proxy_protocol_mode& out) {
    s.get_enum(
        key, out,
        {{"refused", proxy_protocol_mode::refused}, {"required", proxy_protocol_mode::required}});
}

// A listener that requires the header with nobody allowed to send it would refuse every
// balancer-relayed connection; a list with no listener using it would be a key that does nothing.
void check_proxy_protocol(loader& l, const toml::table& t, std::string_view section_name,
                          proxy_protocol_mode mode, const std::vector<cidr>& from) {
    const std::string sec(section_name);
    if (mode == proxy_protocol_mode::required && from.empty())
        l.error(t.source(), sec + ": a listener requires the PROXY protocol but " + sec +
                                ".proxy_protocol_from names no load-balancer network");
    if (mode == proxy_protocol_mode::refused && !from.empty())
        l.error(t.source(), sec + ".proxy_protocol_from is set but no " + sec +
                                " listener has the PROXY protocol \"required\"");
}

// An AWS Region name as AWS writes them: lowercase words joined by '-', the last one a number
// ("eu-south-2", "us-gov-west-1", "cn-northwest-1"); it becomes one DNS label.
bool is_region_name(std::string_view v) {
    auto lower = [](char c) { return c >= 'a' && c <= 'z'; };
    if (v.empty() || v.size() > 63 || !lower(v.front())) return false;
    const auto last = v.rfind('-');
    if (last == std::string_view::npos || last + 1 == v.size()) return false;
    for (std::size_t i = 0; i < v.size(); ++i) {
        const char c = v[i];
        const bool ok =
            i > last ? (c >= '0' && c <= '9') : (lower(c) || (c == '-' && v[i - 1] != '-'));
        if (!ok) return false;
    }
    return true;
}

}  // namespace

void loader::read_general(const toml::table& t) {
    section s(*this, t, "general");
    s.get_uint("workers", cfg.general.workers, 0, 1024);
    s.get_enum("log_level", cfg.general.level,
               {{"debug", log_level::debug},
                {"info", log_level::info},
                {"warn", log_level::warn},
                {"error", log_level::error}});
    if (const auto* n = t.get("instance")) {
        s.get("instance", cfg.general.instance);
        const auto& v = cfg.general.instance;
        const bool ok =
            !v.empty() && v.size() <= 64 && std::all_of(v.begin(), v.end(), [](unsigned char c) {
                return std::isalnum(c) || c == '.' || c == '_' || c == '-';
            });
        if (n->is_string() && !ok)
            error(*n, "general.instance: \"" + v.substr(0, 64) +
                          "\" is not an instance name: 1 to 64 letters, digits, '.', '_' or '-' "
                          "(e.g. \"egress-fra-1\"); leave it out to use the host name");
    }
    s.finish();
}

void loader::read_dns(const toml::table& t) {
    section s(*this, t, "dns");
    auto& d = cfg.dns;
    s.get("enabled", d.enabled);
    s.get_endpoints("listen", d.listen, 0, 0);
    s.get_endpoints("upstreams", d.upstreams, 53);
    s.get_duration("upstream_timeout", d.upstream_timeout);
    s.get_uint("upstream_retries", d.upstream_retries, 0, 10);
    s.get_duration("answer_timeout", d.answer_timeout);
    s.get_addresses("steer_ipv4", d.steer_ipv4, true);
    s.get_addresses("steer_ipv6", d.steer_ipv6, false);
    s.get_host_patterns("steer_names", d.steer_names);
    if (t.contains("steer_identity_center")) steer_identity_center_written = true;
    s.get("steer_identity_center", d.steer_identity_center);
    s.get_host_patterns("steer_exceptions", d.steer_exceptions);
    s.get_duration("steer_ttl", d.steer_ttl);
    s.get_host_patterns("block_names", d.block_names);
    s.get_enum("block_rcode", d.block_answer,
               {{"nxdomain", block_rcode::nxdomain}, {"refused", block_rcode::refused}});
    s.get_cidrs("allow_clients", d.allow_clients);
    s.get_uint("rate_limit_qps", d.rate_limit_qps, 0, 10'000'000);
    s.get_uint("rate_limit_burst", d.rate_limit_burst, 0, 10'000'000);
    s.get_uint("rate_limit_max_clients", d.rate_limit_max_clients, 1, 4'194'304);
    // RFC 6891 §6.2.5: below 512 is treated as 512; 1232 is the DNS Flag Day 2020 value.
    s.get_uint("edns_udp_size", d.edns_udp_size, 512, 4096);
    s.get_duration("tcp_idle_timeout", d.tcp_idle_timeout);
    s.get_uint("max_tcp_connections", d.max_tcp_connections, 1, 1'000'000);
    s.get_uint("tcp_pipeline_depth", d.tcp_pipeline_depth, 1, 65'535);
    s.get_size("tcp_output_buffer", d.tcp_output_buffer);
    read_proxy_protocol(s, "tcp_proxy_protocol", d.tcp_proxy_protocol);
    s.get_cidrs("proxy_protocol_from", d.proxy_protocol_from);
    s.get_uint("query_log_sample", d.query_log_sample, 0, 1'000'000'000);
    // At most a quarter of the 16-bit ID space in flight: forwarder::fresh_id finds a free one.
    s.get_uint("max_pending_queries", d.max_pending_queries, 1, 16'384);
    if (const toml::node* c = s.take("cache")) {
        if (const auto* ct = c->as_table())
            read_dns_cache(*ct);
        else
            s.type_error(*c, "dns.cache", "a table");
    }
    s.finish();
    check_proxy_protocol(*this, t, "dns", d.tcp_proxy_protocol, d.proxy_protocol_from);
    if (d.upstream_timeout.count() == 0)
        error(t.source(), "dns.upstream_timeout must be greater than zero");
    if (d.answer_timeout.count() == 0)
        error(t.source(), "dns.answer_timeout must be greater than zero");
    if (d.tcp_output_buffer < 1024)
        error(t.source(), "dns.tcp_output_buffer must be at least 1KiB (no query is read over it)");
}

void loader::read_dns_cache(const toml::table& t) {
    section s(*this, t, "dns.cache");
    auto& c = cfg.dns.cache;
    s.get_uint("max_entries", c.max_entries, 0, 100'000'000);
    s.get_duration("min_ttl", c.min_ttl);
    s.get_duration("max_ttl", c.max_ttl);
    s.get_duration("negative_max_ttl", c.negative_max_ttl);
    s.get("serve_stale", c.serve_stale);
    s.get_duration("stale_answer_ttl", c.stale_answer_ttl);
    s.get_duration("max_stale", c.max_stale);
    s.get_duration("negative_max_stale", c.negative_max_stale);
    s.get_duration("stale_answer_client_timeout", c.stale_answer_client_timeout);
    s.get("prefetch", c.prefetch);
    s.finish();
    if (c.min_ttl > c.max_ttl)
        error(t.source(), "dns.cache.min_ttl is greater than dns.cache.max_ttl");
}

void loader::read_proxy(const toml::table& t) {
    section s(*this, t, "proxy");
    auto& p = cfg.proxy;
    s.get("enabled", p.enabled);
    s.get_endpoints("sni_listen", p.sni_listen, 0, 1);
    s.get_endpoints("connect_listen", p.connect_listen, 0, 1);
    s.get_host_patterns("inspect_hosts", p.inspect_hosts);
    s.get_host_patterns("pass_through_hosts", p.pass_through_hosts);
    s.get_enum(
        "not_inspected", p.not_inspected,
        {{"splice", not_inspected_action::splice}, {"refuse", not_inspected_action::refuse}});
    if (const toml::node* n = s.take("connect_ports")) {
        if (const auto* arr = n->as_array()) {
            std::vector<std::uint16_t> ports;
            for (std::size_t i = 0; i < arr->size() && i < 65536; ++i) {
                const toml::node& e = *arr->get(i);
                std::string item = "proxy.connect_ports[" + std::to_string(i) + "]";
                const auto* v = e.as_integer();
                if (!v) {
                    s.type_error(e, item, "an integer port");
                } else if (v->get() < 1 || v->get() > 65535) {
                    error(e, item + ": a port must be from 1 to 65535, got " +
                                 std::to_string(v->get()));
                } else {
                    ports.push_back(static_cast<std::uint16_t>(v->get()));
                }
            }
            p.connect_ports = std::move(ports);
        } else {
            s.type_error(*n, "proxy.connect_ports", "an array of ports like [443]");
        }
    }
    s.get_cidrs("allow_clients", p.allow_clients);
    read_proxy_protocol(s, "sni_proxy_protocol", p.sni_proxy_protocol);
    read_proxy_protocol(s, "connect_proxy_protocol", p.connect_proxy_protocol);
    s.get_cidrs("proxy_protocol_from", p.proxy_protocol_from);
    s.get_cidrs("allow_destinations", p.allow_destinations);
    s.get_cidrs("nat64_prefixes", p.nat64_prefixes);
    const auto* nat64_written =
        t.get("nat64_prefixes") ? t.get("nat64_prefixes")->as_array() : nullptr;
    for (std::size_t i = 0; i < p.nat64_prefixes.size(); ++i) {
        const auto& c = p.nat64_prefixes[i];
        const int bits = c.prefix_length();
        if (c.network().is_v4() ||
            !(bits == 32 || bits == 40 || bits == 48 || bits == 56 || bits == 64 || bits == 96)) {
            const toml::node* at = nat64_written ? nat64_written->get(i) : nullptr;
            error(at ? at->source() : t.source(),
                  "proxy.nat64_prefixes[" + std::to_string(i) + "]: \"" + c.str() +
                      "\" is not a NAT64 prefix (an IPv6 prefix of length 32, 40, "
                      "48, 56, 64 or 96, RFC 6052 §2.2)");
        }
    }
    s.get_duration("handshake_timeout", p.handshake_timeout);
    s.get_duration("header_timeout", p.header_timeout);
    s.get_duration("idle_timeout", p.idle_timeout);
    s.get_duration("upstream_timeout", p.upstream_timeout);
    s.get_size("max_header_bytes", p.max_header_bytes);
    s.get_size("max_inspect_body", p.max_inspect_body);
    s.get_size("max_request_body", p.max_request_body);
    s.get_uint("max_connections", p.max_connections, 1, 10'000'000);
    s.get_uint("leaf_cache_size", p.leaf_cache_size, 1, 10'000'000);
    s.get_uint("inspected_address_limit", p.inspected_address_limit, 16, 1'000'000);
    if (s.each_string(
            "watch_regions", [&](const toml::node& e, std::string_view v, const std::string& item) {
                if (!is_region_name(v)) {
                    return error(e, item +
                                        ": not an AWS Region name like \"eu-south-2\" (lowercase "
                                        "words joined by '-', ending in a number), got \"" +
                                        std::string(v.substr(0, 64)) + "\"");
                }
                p.watch_regions.emplace_back(v);
            })) {
        std::sort(p.watch_regions.begin(), p.watch_regions.end());
        p.watch_regions.erase(std::unique(p.watch_regions.begin(), p.watch_regions.end()),
                              p.watch_regions.end());
    }
    s.get_uint("regional_names_per_round", p.regional_names_per_round, 0, 10'000);
    s.get_duration("leaf_validity", p.leaf_validity);
    s.get_duration("leaf_backdate", p.leaf_backdate);
    s.get("tls_session_resumption", p.tls_session_resumption);
    s.get("http2", p.http2);
    s.get_uint("http2_max_concurrent_streams", p.http2_max_concurrent_streams, 1, 1000);
    s.get_size("http2_max_header_list_size", p.http2_max_header_list_size);
    s.get_uint("http2_settings_per_second", p.http2_settings_per_second, 1, 100'000);
    s.get_uint("http2_pings_per_second", p.http2_pings_per_second, 1, 100'000);
    s.get_uint("http2_resets_per_second", p.http2_resets_per_second, 1, 100'000);
    s.get_uint("upstream_pool_per_host", p.upstream_pool_per_host, 0, 100'000);
    s.get_endpoints("upstream_resolvers", p.upstream_resolvers, 53);
    s.get_path("upstream_ca_bundle", p.upstream_ca_bundle);
    if (const toml::node* n = s.take("upstream_override")) {
        const auto* arr = n->as_array();
        if (!arr || (!arr->empty() && !arr->is_array_of_tables())) {
            s.type_error(*n, "proxy.upstream_override",
                         "an array of tables ([[proxy.upstream_override]])");
        } else {
            for (std::size_t i = 0; i < arr->size() && i < 10000; ++i) {
                const auto& ot = *arr->get(i)->as_table();
                std::string pre = "proxy.upstream_override[" + std::to_string(i) + "]";
                section o(*this, ot, pre);
                upstream_override ov;
                ov.where = location(ot.source());
                std::string host;
                o.get("host", host);
                if (const toml::node* hn = ot.get("host"); hn && hn->is_string()) {
                    if (has_glob_wildcard(host)) {
                        // The proxy looks overrides up by the exact SNI/Host name.
                        error(*hn, pre +
                                       ".host: an override names one exact host (no '*' or "
                                       "'?'); write one [[proxy.upstream_override]] per host");
                    } else if (auto h = canonical_host(host); !h) {
                        error(*hn, pre + ".host: host " + config_detail::quoted(host) + " " +
                                       h.error().message());
                    } else {
                        ov.host = std::move(*h);
                    }
                } else if (!hn) {
                    error(ot.source(), pre + ": `host` is required");
                }
                if (!ot.get("address"))
                    error(ot.source(), pre + ": `address` (\"ip:port\") is required");
                o.get_endpoint("address", ov.address, 0);
                o.get_path("ca_bundle", ov.ca_bundle);
                o.finish();
                p.upstream_overrides.push_back(std::move(ov));
            }
        }
    }
    if (const toml::node* n = s.take("block_page")) {
        if (const auto* bt = n->as_table()) {
            section b(*this, *bt, "proxy.block_page");
            b.get("team_url", p.block_page.team_url);
            b.get("contact", p.block_page.contact);
            b.finish();
        } else {
            s.type_error(*n, "proxy.block_page", "a table");
        }
    }
    s.finish();
    check_proxy_protocol(*this, t, "proxy",
                         std::max(p.sni_proxy_protocol, p.connect_proxy_protocol),
                         p.proxy_protocol_from);
    if (p.max_header_bytes < 1024)
        error(t.source(), "proxy.max_header_bytes must be at least 1KiB (browsers send 4..16KiB)");
    if (p.http2_max_header_list_size < 1024 || p.http2_max_header_list_size > (1u << 30))
        error(t.source(), "proxy.http2_max_header_list_size must be from 1KiB to 1GiB");
    if (p.max_inspect_body < 1024)
        error(t.source(),
              "proxy.max_inspect_body must be at least 1KiB (sign-in forms are larger; a SAML "
              "response is tens of KiB, and the default 1MiB fits every one)");
    if (p.max_request_body < p.max_inspect_body)
        error(t.source(),
              "proxy.max_request_body must be at least proxy.max_inspect_body (the inspected part "
              "of a body is read before it is forwarded)");
    if (p.leaf_backdate >= p.leaf_validity)
        error(t.source(), "proxy.leaf_backdate must be shorter than proxy.leaf_validity");
}

void loader::read_ca(const toml::table& t) {
    section s(*this, t, "ca");
    s.get_path("cert", cfg.ca.cert);
    s.get_path("key", cfg.ca.key);
    s.finish();
}

namespace {

// "http://127.0.0.1:8000/…", "http://localhost", "http://[::1]:9" (a literal check: no resolution
// in core; net/ checks again on every resolved address before connecting).
bool loopback_url(std::string_view url) {
    url.remove_prefix(url.find("://") + 3);
    auto host = url.substr(0, url.find_first_of("/?#"));
    if (host.starts_with("[::1]")) return host.size() == 5 || host[5] == ':';
    host = host.substr(0, host.find(':'));
    if (host == "localhost") return true;
    if (!host.starts_with("127.")) return false;
    auto a = ip_address::parse(host);
    return a.has_value();
}

}  // namespace

// [team] keys that would validate and do nothing, refused at their line with the fix: the feed
// is read only with `enabled = true`, DynamoDB only with an endpoint; timings that would make the
// feed never, or only between polls, usable.
void loader::check_team_effect(const toml::table& t) {
    const auto& tm = cfg.team;
    auto text = [](duration d) {
        return d.count() % 1000 == 0 ? std::to_string(d.count() / 1000) + "s"
                                     : std::to_string(d.count()) + "ms";
    };
    const auto* dt = t.get("dynamodb") ? t.get("dynamodb")->as_table() : nullptr;
    if (!tm.enabled) {
        const std::string why =
            " has no effect while team.enabled is false (the default): nothing reads TEAM, and "
            "every allow-with-elevation rule denies (elevation-feed-stale); set `enabled = true` "
            "in [team], or remove ";
        for (std::string_view key :
             {"snapshot_file", "staleness_limit", "clock_skew", "expired_lookback", "partition"}) {
            if (const toml::node* n = t.get(key))
                error(*n, "team." + std::string(key) + why + "the key");
        }
        if (dt) error(dt->source(), "[team.dynamodb]" + why + "the table");
        return;
    }
    if (dt && tm.dynamodb.endpoint.empty()) {
        error(dt->source(),
              "[team.dynamodb] has no `endpoint`, so nothing reads the table: set endpoint = "
              "\"https://dynamodb." +
                  (tm.dynamodb.region.empty() ? std::string("<region>") : tm.dynamodb.region) +
                  ".amazonaws.com\" (or remove [team.dynamodb])");
    }
    const toml::node* limit = t.get("staleness_limit");
    if (tm.staleness_limit <= duration::zero()) {
        error(limit ? limit->source() : t.source(),
              "team.staleness_limit must be more than 0s: a feed older than that is always stale, "
              "so every elevation-gated sign-in would be denied (elevation-feed-stale)");
    } else if (!tm.dynamodb.endpoint.empty() && tm.staleness_limit < tm.dynamodb.poll_interval) {
        error(limit ? limit->source() : t.source(),
              "team.staleness_limit (" + text(tm.staleness_limit) +
                  ") is shorter than team.dynamodb.poll_interval (" +
                  text(tm.dynamodb.poll_interval) +
                  "): the feed would go stale between two polls and deny every elevation-gated "
                  "sign-in until the next; make it at least the poll interval (a few intervals, "
                  "e.g. the default 15m, ride out a failed poll)");
    }
    if (dt && !tm.dynamodb.endpoint.empty()) {
        if (tm.dynamodb.poll_interval < std::chrono::seconds(1)) {
            const toml::node* n = dt->get("poll_interval");
            error(n ? n->source() : dt->source(),
                  "team.dynamodb.poll_interval must be at least 1s (" +
                      text(tm.dynamodb.poll_interval) + " would Query TEAM's table in a loop)");
        }
        if (tm.dynamodb.request_timeout <= duration::zero()) {
            const toml::node* n = dt->get("request_timeout");
            error(n ? n->source() : dt->source(),
                  "team.dynamodb.request_timeout must be more than 0s (every Query would time "
                  "out, and the feed go stale)");
        }
    }
}

void loader::read_team(const toml::table& t) {
    section s(*this, t, "team");
    auto& tm = cfg.team;
    s.get("enabled", tm.enabled);
    s.get_path("snapshot_file", tm.snapshot_file);
    s.get_duration("staleness_limit", tm.staleness_limit);
    s.get_duration("clock_skew", tm.clock_skew);
    s.get_duration("expired_lookback", tm.expired_lookback);
    if (tm.clock_skew > std::chrono::minutes(15))
        error(t.source(), "team.clock_skew must be at most 15m (it widens every grant's start)");
    s.get("request_url", tm.request_url);
    std::string partition_name;
    const toml::node* partition_at = t.get("partition");
    s.get("partition", partition_name);
    if (const toml::node* n = s.take("dynamodb")) {
        if (const auto* dt = n->as_table()) {
            section d(*this, *dt, "team.dynamodb");
            auto& db = tm.dynamodb;
            d.get("endpoint", db.endpoint);
            d.get("region", db.region);
            d.get("table", db.table);
            d.get("index", db.index);
            d.get_duration("poll_interval", db.poll_interval);
            d.get_duration("request_timeout", db.request_timeout);
            d.get_uint("page_size", db.page_size, 0, 1'000'000);
            d.get("profile", db.profile);
            for (auto [key, out] : {std::pair{"access_key_id_env", &db.access_key_id_env},
                                    std::pair{"secret_access_key_env", &db.secret_access_key_env},
                                    std::pair{"session_token_env", &db.session_token_env}}) {
                const toml::node* en = dt->get(key);
                d.get(key, *out);
                if (en && en->is_string()) {
                    if (auto err = check_env_name(*out); !err.empty())
                        error(*en, d.name(key) + ": " + err);
                }
            }
            for (std::string_view secret : {"access_key_id", "secret_access_key", "session_token",
                                            "aws_access_key_id", "aws_secret_access_key"}) {
                if (const toml::node* sn = d.take(secret))
                    error(*sn, "team.dynamodb." + std::string(secret) +
                                   ": credentials must not be written in the configuration; put "
                                   "them in the environment and name the variable with `" +
                                   std::string(secret.substr(secret.starts_with("aws_") ? 4 : 0)) +
                                   "_env`");
            }
            d.finish();
            if (!db.endpoint.empty()) {
                if (!db.endpoint.starts_with("https://") && !db.endpoint.starts_with("http://"))
                    error(*dt->get("endpoint"),
                          "team.dynamodb.endpoint must be an http:// or https:// URL");
                if (db.region.empty())
                    error(dt->source(), "team.dynamodb: `region` is required with an endpoint");
                if (db.endpoint.starts_with("http://") && !loopback_url(db.endpoint))
                    error(*dt->get("endpoint"),
                          "team.dynamodb.endpoint: plain http:// only to a loopback host "
                          "(localhost, 127.0.0.1, [::1]); use https://");
            }
            for (char c : db.region) {
                if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
                    error(*dt->get("region"), "team.dynamodb.region must look like \"eu-west-1\"");
                    break;
                }
            }
            if (db.table.empty() || db.index.empty())
                error(dt->source(), "team.dynamodb: `table` and `index` must not be empty");
        } else {
            s.type_error(*n, "team.dynamodb", "a table");
        }
    }
    s.finish();
    // TEAM elevates its own Identity Center's accounts: those of the partition it runs in. The
    // table's Region says which, where the gateway reads it; a snapshot file does not.
    const auto table_partition = partition_of_region(tm.dynamodb.region);
    tm.aws_partition = tm.dynamodb.region.empty() ? partition::aws : table_partition;
    if (partition_at && partition_at->is_string()) {
        if (auto p = partition_from_string(partition_name)) {
            tm.aws_partition = *p;
            if (!tm.dynamodb.region.empty() && *p != table_partition) {
                error(*partition_at, "team.partition \"" + partition_name +
                                         "\" is not the partition of team.dynamodb.region \"" +
                                         tm.dynamodb.region + "\" (" +
                                         std::string(to_string(table_partition)) +
                                         "): TEAM's table is in the partition TEAM runs in; "
                                         "remove the key or fix the region");
            }
        } else {
            error(*partition_at,
                  "team.partition must be \"aws\", \"aws-us-gov\" or \"aws-cn\" "
                  "(the partition TEAM runs in), not " +
                      config_detail::quoted(partition_name));
        }
    }
    check_team_effect(t);
    if (!tm.snapshot_file.empty() && !tm.dynamodb.endpoint.empty())
        error(t.source(),
              "team: set either `snapshot_file` or [team.dynamodb] endpoint, not both "
              "(one feed decides elevations)");
    if (tm.enabled && tm.snapshot_file.empty() && tm.dynamodb.endpoint.empty())
        error(t.source(),
              "team: enabled needs a feed: set `snapshot_file` or [team.dynamodb] endpoint");
}

void loader::read_admin(const toml::table& t) {
    section s(*this, t, "admin");
    s.get("enabled", cfg.admin.enabled);
    s.get_endpoint("listen", cfg.admin.listen, 0, 2);
    s.get_path("reviewer_token_file", cfg.admin.reviewer_token_file);
    s.get_path("operator_token_file", cfg.admin.operator_token_file);
    s.get_path("tls_cert_file", cfg.admin.tls_cert_file);
    s.get_path("tls_key_file", cfg.admin.tls_key_file);
    s.finish();
    check_admin_tls(t);  // core/config_audit.cpp
}

void loader::read_sessions(const toml::table& t) {
    section s(*this, t, "sessions");
    s.get_path("file", cfg.sessions.file);
    s.get_uint("max_entries", cfg.sessions.max_entries, 1, 100'000'000);
    s.get_duration("lifetime", cfg.sessions.lifetime);
    s.get_duration("save_interval", cfg.sessions.save_interval);
    auto& ss = cfg.sessions;
    s.get_path("key_file", ss.key_file);
    s.get_enum("store", ss.store,
               {{"local", sessions_config::store_kind::local},
                {"postgres", sessions_config::store_kind::postgres}});
    s.get_duration("store_timeout", ss.store_timeout);
    s.get_uint("store_connections", ss.store_connections, 1, 64);
    s.get_uint("store_queue", ss.store_queue, 1, 1'000'000);
    s.get_uint("negative_cache_entries", ss.negative_cache_entries, 0, 10'000'000);
    s.get_duration("negative_ttl", ss.negative_ttl);
    s.finish();
    if (const auto* n = t.get("store"))
        defined.try_emplace("sessions.store", location(n->source()));
    if (ss.store != sessions_config::store_kind::postgres) {
        for (auto key : {"store_timeout", "store_connections", "store_queue",
                         "negative_cache_entries", "negative_ttl"}) {
            if (const auto* n = t.get(key))
                error(*n, std::string("sessions.") + key +
                              " is set but sessions.store is not \"postgres\"");
        }
    } else {
        if (ss.key_file.empty()) {
            error(t.source(),
                  "sessions.store = \"postgres\" needs sessions.key_file: every replica must "
                  "hash session cookies under the same key (openssl rand -hex 32 > FILE; chmod "
                  "600 FILE)");
        }
        if (ss.store_timeout < std::chrono::milliseconds(10) ||
            ss.store_timeout > std::chrono::seconds(30)) {
            error(t.source(), "sessions.store_timeout must be between 10ms and 30s");
        }
        if (ss.negative_ttl > std::chrono::minutes(10)) {
            error(t.source(),
                  "sessions.negative_ttl must be at most 10m (a session bound elsewhere stays "
                  "unknown here that long)");
        }
    }
    if (const auto* n = t.get("key_file"); n && !ss.key_file.empty()) {
        // The key itself is checked at start (and its mode); here that it is one.
        std::string text;
        if (read_file(ss.key_file, 4096, text, location(n->source()), "sessions.key_file")) {
            auto line = std::string_view(text).substr(0, text.find('\n'));
            while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
                line.remove_suffix(1);
            if (line.size() != 64 ||
                line.find_first_not_of("0123456789abcdef") != std::string_view::npos) {
                error(*n,
                      "sessions.key_file: the first line must be 64 lowercase hex digits "
                      "(openssl rand -hex 32)");
            }
        }
    }
    if (cfg.sessions.lifetime < std::chrono::minutes(1) ||
        cfg.sessions.lifetime > std::chrono::hours(24 * 7)) {
        error(t.source(),
              "sessions.lifetime must be between 1m and 7d (the longest console session "
              "AWS allows is 12h)");
    }
    if (cfg.sessions.save_interval < std::chrono::seconds(1)) {
        error(t.source(), "sessions.save_interval must be at least 1s");
    }
}

}  // namespace consolegate::core::config_detail
