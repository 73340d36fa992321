#pragma once
// The whole configuration of consolegate as one immutable value: every member initialiser is the
// default, every value is pre-parsed (addresses, CIDRs, durations, sizes in bytes) so hot paths
// never parse strings. The loader (core/config_loader.cpp, the only user of toml++) returns either
// a complete config or every problem it found, each with FILE:LINE:COL.
//
// Relative paths in a file are resolved against the directory of the file that names them, and
// stored absolute and lexically normalised (a later chdir cannot change what they name). Keys and
// meanings: config/README.md.
//
// Thread-safety: config is a plain value; share it as std::shared_ptr<const config>.

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "consolegate/core/address.hpp"
#include "consolegate/core/endpoint_policy.hpp"
#include "consolegate/core/identity_config.hpp"
#include "consolegate/core/policy_config.hpp"

namespace consolegate::core {

// An IP literal and a port: "127.0.0.1:53", "[::1]:53". Names are never resolved here.
struct endpoint {
    ip_address address;
    std::uint16_t port = 0;

    std::string str() const;  // "127.0.0.1:53", "[::1]:53"
    friend bool operator==(const endpoint&, const endpoint&) = default;
};

using duration = std::chrono::milliseconds;

enum class log_level : std::uint8_t { debug, info, warn, error };
enum class block_rcode : std::uint8_t { nxdomain, refused };
enum class not_inspected_action : std::uint8_t { splice, refuse };
// PROXY protocol on one listener (docs/deploy.md): `refused` = no header is read (the listener
// speaks only its own protocol); `required` = a connection from a `proxy_protocol_from` network
// must open with a v1 or v2 header, and a header from any other address is refused.
enum class proxy_protocol_mode : std::uint8_t { refused, required };

struct general_config {
    unsigned workers = 0;  // 0 = one per core
    log_level level = log_level::info;
    // The name this gateway gives itself in every audit event (`gateway`), the review page and
    // the block page: 1..64 of [A-Za-z0-9._-]. Empty = the host name (a Kubernetes pod's name).
    // Fixed for the process life.
    std::string instance;
};

struct dns_cache_config {
    std::uint64_t max_entries = 100000;
    duration min_ttl{0};
    duration max_ttl = std::chrono::hours(24);
    duration negative_max_ttl = std::chrono::hours(1);
    bool serve_stale = false;  // RFC 8767
    duration stale_answer_ttl = std::chrono::seconds(30);
    duration max_stale = std::chrono::hours(24);
    duration negative_max_stale = std::chrono::hours(1);  // NXDOMAIN/NODATA past expiry
    // RFC 8767 §5 client response timer: a query with a stale entry waits this long for
    // upstream, then gets the stale answer while the refresh goes on.
    duration stale_answer_client_timeout = std::chrono::milliseconds(1800);
    bool prefetch = false;
};

// The names the proxy inspects (proxy.inspect_hosts) and DNS steers (dns.steer_names) by default:
// one list, so a name the proxy inspects is never resolved around it by default, whether DNS
// follows the loaded proxy.inspect_hosts or runs without the proxy (a DNS-only replica steering
// to another's proxy). deploy/dns/README.md forwards the zone of each (core/forward_zones.hpp).
// The sign-in and console names of AWS GovCloud (US) and China are inspected whether or not
// policy.partitions enables them: enabled, they are judged like the commercial ones; not
// enabled, every sign-in there is refused (partition-not-enabled), never spliced.
inline constexpr std::array<std::string_view, 103> default_inspected_names{
    "signin.aws.amazon.com", "*.signin.aws.amazon.com", "console.aws.amazon.com",
    "*.console.aws.amazon.com", "portal.sso.*.amazonaws.com", "signin.*.amazonaws.com",
    "portal.aws.amazon.com", "*.awsapps.com", "signin.amazonaws-us-gov.com",
    "*.signin.amazonaws-us-gov.com", "console.amazonaws-us-gov.com",
    "*.console.amazonaws-us-gov.com", "signin.amazonaws.cn", "*.signin.amazonaws.cn",
    "console.amazonaws.cn", "*.console.amazonaws.cn", "portal.sso.*.amazonaws.com.cn",
    "*.awsapps.cn",
    // Regional and dual-stack access portals, GovCloud's FIPS sign-in, Sign-In's OAuth
    // endpoints (docs/inspection.md "Identity Center instances", "Other partitions").
    "*.portal.amazonaws.com", "*.portal.*.app.aws", "*.portal.amazonaws.com.cn",
    "*.portal.*.app.amazonwebservices.com.cn", "signin-fips.amazonaws-us-gov.com",
    "*.signin-fips.amazonaws-us-gov.com", "signin-fips.*.amazonaws.com",
    "signin-fips.*.amazonaws.com.cn", "*.oauth.signin.aws",
    // The access portal API's FIPS and dual-stack names (the AWS SDKs' endpoint rules for
    // the `sso` service): GetRoleCredentials there hands out a role's keys like
    // portal.sso.<region>.amazonaws.com/federation/credentials does.
    "portal.sso-fips.*.amazonaws.com", "portal.sso.*.api.aws", "portal.sso-fips.*.api.aws",
    "portal.sso.*.api.amazonwebservices.com.cn",
    // China's regional and FIPS forms of the same rules (the partition's dnsSuffix
    // amazonaws.com.cn, dualStackDnsSuffix api.amazonwebservices.com.cn): read by the inspector
    // as their commercial forms are, inspected by default since session 11.
    "signin.*.amazonaws.com.cn", "portal.sso-fips.*.amazonaws.com.cn",
    "portal.sso-fips.*.api.amazonwebservices.com.cn",
    // AWS Sign-In's dual-stack names (the AWS SDKs' endpoint rules for `signin`: every
    // operation with dual-stack on, `aws login`'s token exchange among them).
    "signin.*.api.aws", "signin-fips.*.api.aws", "signin.*.api.amazonwebservices.com.cn",
    "signin-fips.*.api.amazonwebservices.com.cn",
    // Console applications outside console.aws.amazon.com that serve the signed-in console
    // under the console's session cookies (set on aws.amazon.com, so every request there
    // carries them): the AWS Health Dashboard (health.aws.amazon.com/health/home, and its old
    // name phd.aws.amazon.com/phd/home), Lightsail (lightsail.aws.amazon.com/ls/webapp),
    // QuickSight (quicksight.aws.amazon.com, <region>.quicksight.aws.amazon.com/sn/start).
    // Not inspected, a console session made off-network and carried in is used there unjudged;
    // inspected, its aws-userInfo is judged like the console's (docs/proxy.md).
    "health.aws.amazon.com", "phd.aws.amazon.com", "lightsail.aws.amazon.com",
    "quicksight.aws.amazon.com", "*.quicksight.aws.amazon.com",
    // The ISO partitions and the European Sovereign Cloud (core/partition.hpp), each in the
    // same forms: the console sign-in and console under its home domain, Sign-In's and the
    // access portal API's regional, FIPS and dual-stack names under its service and dual-stack
    // domains (the AWS SDKs' endpoint rules for `signin` and `sso`). Inspected whether or not
    // policy.partitions enables them: not enabled, a sign-in there is refused and recorded.
    "signin.c2shome.ic.gov", "*.signin.c2shome.ic.gov", "console.c2shome.ic.gov",
    "*.console.c2shome.ic.gov", "signin.*.c2s.ic.gov", "signin-fips.*.c2s.ic.gov",
    "portal.sso.*.c2s.ic.gov", "portal.sso-fips.*.c2s.ic.gov", "signin.*.api.aws.ic.gov",
    "signin-fips.*.api.aws.ic.gov", "portal.sso.*.api.aws.ic.gov",
    "portal.sso-fips.*.api.aws.ic.gov", "signin.sc2shome.sgov.gov", "*.signin.sc2shome.sgov.gov",
    "console.sc2shome.sgov.gov", "*.console.sc2shome.sgov.gov", "signin.*.sc2s.sgov.gov",
    "signin-fips.*.sc2s.sgov.gov", "portal.sso.*.sc2s.sgov.gov", "portal.sso-fips.*.sc2s.sgov.gov",
    "signin.*.api.aws.scloud", "signin-fips.*.api.aws.scloud", "portal.sso.*.api.aws.scloud",
    "portal.sso-fips.*.api.aws.scloud", "signin.csphome.adc-e.uk", "*.signin.csphome.adc-e.uk",
    "console.csphome.adc-e.uk", "*.console.csphome.adc-e.uk", "signin.*.cloud.adc-e.uk",
    "signin-fips.*.cloud.adc-e.uk", "portal.sso.*.cloud.adc-e.uk",
    "portal.sso-fips.*.cloud.adc-e.uk", "signin.*.api.cloud-aws.adc-e.uk",
    "signin-fips.*.api.cloud-aws.adc-e.uk", "portal.sso.*.api.cloud-aws.adc-e.uk",
    "portal.sso-fips.*.api.cloud-aws.adc-e.uk", "signin.csphome.hci.ic.gov",
    "*.signin.csphome.hci.ic.gov", "console.csphome.hci.ic.gov", "*.console.csphome.hci.ic.gov",
    "signin.*.csp.hci.ic.gov", "signin-fips.*.csp.hci.ic.gov", "portal.sso.*.csp.hci.ic.gov",
    "portal.sso-fips.*.csp.hci.ic.gov", "signin.*.api.aws.hci.ic.gov",
    "signin-fips.*.api.aws.hci.ic.gov", "portal.sso.*.api.aws.hci.ic.gov",
    "portal.sso-fips.*.api.aws.hci.ic.gov", "signin.amazonaws-eusc.eu",
    "*.signin.amazonaws-eusc.eu", "console.amazonaws-eusc.eu", "*.console.amazonaws-eusc.eu",
    "signin.*.amazonaws.eu", "signin-fips.*.amazonaws.eu", "portal.sso.*.amazonaws.eu",
    "portal.sso-fips.*.amazonaws.eu", "signin.*.api.amazonwebservices.eu",
    "signin-fips.*.api.amazonwebservices.eu", "portal.sso.*.api.amazonwebservices.eu",
    "portal.sso-fips.*.api.amazonwebservices.eu"};

static_assert(
    [] {
        for (auto n : default_inspected_names)
            if (n.empty()) return false;
        return true;
    }(),
    "default_inspected_names: the array's size must be its number of names");

// The Identity Center portal names `dns.steer_identity_center` adds to the steered names.
inline constexpr std::string_view identity_center_portals = "portal.sso.*.amazonaws.com";

struct dns_config {
    bool enabled = true;
    std::vector<endpoint> listen{{*ip_address::parse("127.0.0.1"), 53}};
    std::vector<endpoint> upstreams;  // required when enabled; port defaults to 53
    duration upstream_timeout = std::chrono::seconds(2);
    unsigned upstream_retries = 2;
    // A forwarded query is answered (SERVFAIL, or stale) at the latest this long after it
    // arrived, whatever c-ares still tries behind it.
    duration answer_timeout = std::chrono::milliseconds(3000);
    std::vector<ip_address> steer_ipv4;  // A answers for steered names
    std::vector<ip_address> steer_ipv6;  // AAAA answers for steered names
    // Host patterns (core/host_pattern.hpp), stored canonically (lowercase, no trailing dot).
    // With the proxy enabled and this unwritten, the loader makes it proxy.inspect_hosts.
    std::vector<std::string> steer_names{default_inspected_names.begin(),
                                         default_inspected_names.end()};
    // Adds identity_center_portals to steer_names. On by default: the proxy inspects the portal
    // by default, and DNS steers every name the proxy inspects unless the operator says otherwise.
    bool steer_identity_center = true;
    // Static AWS sites DNS never steers. health.aws.amazon.com is not one since session 11: it
    // serves the Health Dashboard under the console's session and is inspected (Console Private
    // Access sends it to the internet only because it has no VPC endpoint; the gateway reaches
    // it on the internet itself).
    std::vector<std::string> steer_exceptions{"docs.aws.amazon.com", "status.aws.amazon.com"};
    duration steer_ttl = std::chrono::seconds(60);
    std::vector<std::string> block_names;
    block_rcode block_answer = block_rcode::nxdomain;
    std::vector<cidr> allow_clients{*cidr::parse("127.0.0.0/8"), *cidr::parse("::1/128")};
    std::uint32_t rate_limit_qps = 0;  // per client address; 0 = off
    std::uint32_t rate_limit_burst = 0;
    // Clients one worker keeps a bucket for. Full, a new client evicts only buckets back at full
    // tokens; when none are, the clients it cannot hold share one bucket (dns/cache.hpp).
    std::uint32_t rate_limit_max_clients = 65536;
    std::uint16_t edns_udp_size = 1232;
    duration tcp_idle_timeout = std::chrono::seconds(10);
    std::uint32_t max_tcp_connections = 1024;
    // Backpressure on one DNS-over-TCP connection: no further query is read while this many
    // read from it are unanswered or unwritten, or while this many bytes of answers wait for
    // the client to read them; the kernel's buffers and TCP flow control hold the rest.
    std::uint32_t tcp_pipeline_depth = 32;
    std::uint64_t tcp_output_buffer = 128 * 1024;
    proxy_protocol_mode tcp_proxy_protocol = proxy_protocol_mode::refused;  // DNS over TCP only
    std::vector<cidr> proxy_protocol_from;  // the load balancers' networks
    std::uint32_t query_log_sample = 0;     // 0 = off; N = log one forwarded query in N
    // Distinct questions one worker has upstream at once (unbound's num-queries-per-thread);
    // clients asking one already asked wait on it, at most 16 times as many of them. A query
    // over either bound is dropped (a TCP connection closed), as unbound drops it.
    std::uint32_t max_pending_queries = 1024;
    dns_cache_config cache;
};

struct upstream_override {
    std::string host;                 // one exact host, canonical (core/host_pattern.hpp)
    endpoint address;                 // where to connect instead of the resolved address
    std::filesystem::path ca_bundle;  // empty = proxy.upstream_ca_bundle
    source_location where;
};

struct block_page_config {
    std::string team_url;
    std::string contact = "your security team";
};

struct proxy_config {
    bool enabled = true;
    std::vector<endpoint> sni_listen{{*ip_address::parse("0.0.0.0"), 443}};
    std::vector<endpoint> connect_listen{{*ip_address::parse("0.0.0.0"), 3128}};
    // default_inspected_names (above), which DNS steers by default too.
    std::vector<std::string> inspect_hosts{default_inspected_names.begin(),
                                           default_inspected_names.end()};
    // Host patterns spliced on purpose: never inspected, spliced even when not_inspected is
    // refuse. A name DNS steers must be in inspect_hosts or here (check-config says so).
    std::vector<std::string> pass_through_hosts;
    not_inspected_action not_inspected = not_inspected_action::splice;
    // How many addresses of inspected names the proxy keeps (proxy/destination_set.hpp): a
    // connection to one of them is inspected or refused whatever name it gives.
    // 16384: the regional names (watch_regions) alone hold a few thousand addresses of
    // rotating front ends for the 10 minutes each is kept.
    std::uint32_t inspected_address_limit = 16384;
    // AWS Regions added to the proxy's built-in list (proxy/regional_names.cpp): the names behind
    // inspect_hosts' wildcard patterns are resolved over every Region, so an unused regional
    // sign-in front end's addresses are in that set too. "xx-name-N"; "cn-" is China, "us-gov-"
    // GovCloud, "us-iso-", "us-isob-", "eu-isoe-", "us-isof-" the ISO partitions, "eusc-" the
    // European Sovereign Cloud, the rest commercial.
    std::vector<std::string> watch_regions;
    // How many of those regional names each refresh round resolves (the list is walked round by
    // round); 0 = none are watched (only the names someone uses get in).
    std::uint32_t regional_names_per_round = 250;
    std::vector<std::uint16_t> connect_ports{443};
    proxy_protocol_mode sni_proxy_protocol = proxy_protocol_mode::refused;
    proxy_protocol_mode connect_proxy_protocol = proxy_protocol_mode::refused;
    std::vector<cidr> proxy_protocol_from;  // the load balancers' networks
    std::vector<cidr> allow_clients{*cidr::parse("127.0.0.0/8"),    *cidr::parse("::1/128"),
                                    *cidr::parse("10.0.0.0/8"),     *cidr::parse("172.16.0.0/12"),
                                    *cidr::parse("192.168.0.0/16"), *cidr::parse("fc00::/7")};
    // Loopback/private/link-local destinations are refused unless listed here.
    std::vector<cidr> allow_destinations;
    // The site's own NAT64 prefixes (RFC 6052 network-specific: /32, /40, /48, /56, /64, /96):
    // an address in one is the IPv4 address it embeds, for the inspected names' addresses and
    // the destination rules (64:ff9b::/96 always is).
    std::vector<cidr> nat64_prefixes;
    duration handshake_timeout = std::chrono::seconds(10);
    duration header_timeout = std::chrono::seconds(30);
    duration idle_timeout = std::chrono::seconds(120);
    duration upstream_timeout = std::chrono::seconds(10);
    std::uint64_t max_header_bytes = 128 * 1024;
    std::uint64_t max_inspect_body = 1024 * 1024;
    std::uint64_t max_request_body = 64 * 1024 * 1024;  // streamed past max_inspect_body
    std::uint32_t max_connections = 20000;
    std::uint32_t leaf_cache_size = 10000;
    duration leaf_validity = std::chrono::hours(24 * 7);
    duration leaf_backdate = std::chrono::hours(1);
    // Whether clients may resume TLS sessions with the proxy (tickets and the session cache).
    // Off only to measure fresh handshakes (bench/proxy) or for a client that must not resume;
    // fixed for the life of the process.
    bool tls_session_resumption = true;
    // HTTP/2 on inspected client connections (ALPN h2; docs/proxy.md "HTTP/2"): each stream's
    // request judged as an HTTP/1.1 one, forwarded upstream as HTTP/1.1. Fixed for the life of
    // the process, like tls_session_resumption. The limits are per client connection.
    bool http2 = false;
    std::uint32_t http2_max_concurrent_streams = 100;
    std::uint64_t http2_max_header_list_size = 128 * 1024;
    // Flood protection: more of these frames in one second closes the connection with GOAWAY
    // ENHANCE_YOUR_CALM. Resets: streams the client cancels (RST_STREAM), the "rapid reset" class.
    std::uint32_t http2_settings_per_second = 20;
    std::uint32_t http2_pings_per_second = 20;
    std::uint32_t http2_resets_per_second = 100;
    // Idle upstream TLS connections kept per host:port per worker for the next request (nginx's
    // upstream keepalive). At least the requests in flight to one host on a worker: each HTTP/1.1
    // client connection and each HTTP/2 stream holds one while its exchange runs. 0 = none kept.
    std::uint32_t upstream_pool_per_host = 256;
    std::vector<endpoint> upstream_resolvers;  // empty = dns.upstreams
    std::filesystem::path upstream_ca_bundle;  // empty = the system trust store
    std::vector<upstream_override> upstream_overrides;
    block_page_config block_page;
};

struct ca_config {
    std::filesystem::path cert;  // PEM; required when the proxy is enabled
    std::filesystem::path key;   // PEM
};

// Where the policy section's data came from; policy_config holds the loaded contents.
struct policy_sources {
    std::filesystem::path org_export;
    std::vector<std::filesystem::path> alias_files;
    std::vector<std::filesystem::path> endpoint_policies;  // checked readable; not yet imported
    // Each imported endpoint policy and the endpoint whose requests it judges
    // (core/endpoint_policy.hpp policy_endpoint), for check-config.
    std::vector<std::pair<std::filesystem::path, policy_endpoint>> endpoint_policy_endpoints;
};

struct team_dynamodb_config {
    // "https://dynamodb.<region>.amazonaws.com"; empty = DynamoDB off. Plain http only to
    // loopback (dynalite, a local proxy).
    std::string endpoint;
    std::string region;
    std::string table = "requests";
    std::string index = "byStatus";
    duration poll_interval = std::chrono::seconds(15);
    duration request_timeout = std::chrono::seconds(10);  // one deadline per HTTP exchange
    std::uint32_t page_size = 0;                          // Query Limit; 0 = DynamoDB's 1 MB pages
    // AWS profile for the credential chain (beats AWS_PROFILE); "" = AWS_PROFILE or "default".
    std::string profile;
    // Names of environment variables holding the credentials (step 1 of the credential chain);
    // secrets never sit in the file.
    std::string access_key_id_env = "AWS_ACCESS_KEY_ID";
    std::string secret_access_key_env = "AWS_SECRET_ACCESS_KEY";
    std::string session_token_env = "AWS_SESSION_TOKEN";

    bool operator==(const team_dynamodb_config&) const = default;
};

struct team_config {
    bool enabled = false;
    std::filesystem::path snapshot_file;
    duration staleness_limit = std::chrono::minutes(15);
    // Window semantics (core/elevation.hpp): a grant recorded up to clock_skew in the gateway's
    // future already counts (start only; no grace at the end); an elevation that ended at most
    // expired_lookback ago denies with elevation-expired instead of elevation-missing.
    duration clock_skew = std::chrono::seconds(60);
    duration expired_lookback = std::chrono::hours(1);
    std::string request_url;  // shown on the block page for elevation-gated denials
    team_dynamodb_config dynamodb;
    // The partition TEAM runs in, whose accounts its elevations are for (core::elevation_window):
    // team.partition, else team.dynamodb.region's, else commercial.
    partition aws_partition = partition::aws;
};

enum class syslog_transport { none, udp, tcp, tls };

enum class audit_repeats { count, each };

struct audit_config {
    std::filesystem::path jsonl_path;   // empty = no JSON-lines sink
    std::filesystem::path sqlite_path;  // empty = no SQLite store
    duration flush_interval = std::chrono::seconds(1);
    std::uint64_t queue_limit = 65536;    // events queued per sink; more are dropped and counted
    std::uint64_t jsonl_rotate_size = 0;  // bytes; 0 = never rotate (reopen on SIGHUP/SIGUSR1)
    std::uint32_t jsonl_keep = 5;         // rotated files kept: audit.jsonl.1 … .N
    duration sqlite_retention = std::chrono::hours(24 * 90);  // older events deleted; 0 = keep
    std::uint64_t sqlite_max_size = 0;  // bytes of events kept; oldest deleted first; 0 = no limit
    // The shared store of a fleet: a libpq connection string or URI, never with a password
    // (check-config refuses one); the password is the first line of postgres_password_file.
    std::string postgres_connection;  // empty = no PostgreSQL store
    std::filesystem::path postgres_password_file;
    duration postgres_retention = std::chrono::hours(24 * 90);  // older events deleted; 0 = keep
    // RFC 5424 syslog to the SIEM, from syslog_target = "udp|tcp|tls://host[:port]".
    syslog_transport syslog = syslog_transport::none;
    std::string syslog_host;
    std::uint16_t syslog_port = 0;  // default 514 (udp, tcp), 6514 (tls)
    // tls only: the collector's CA (empty = system trust store), an optional client certificate.
    std::filesystem::path syslog_ca_file, syslog_cert_file, syslog_key_file;
    int syslog_facility = 10;  // authpriv
    // An allowed request repeated byte for byte on one connection: counted on one event
    // (count) or written as an event each (docs/audit.md "Repeated requests"). Reloadable.
    audit_repeats repeats = audit_repeats::count;
    duration repeat_window = std::chrono::seconds(10);  // the longest a count is held
};

struct admin_config {
    bool enabled = true;
    // 8461: outside 9100-9999, the range Prometheus exporters (node_exporter's 9100…) claim.
    endpoint listen{*ip_address::parse("127.0.0.1"), 8461};
    // Files holding the bearer tokens (one line); unset = that role is refused. Read at start.
    std::filesystem::path reviewer_token_file;  // review pages and the event API
    std::filesystem::path operator_token_file;  // POST /reload and anything changing state
    // Both set: the listener speaks HTTPS only (PEM; the certificate file may carry the chain).
    std::filesystem::path tls_cert_file, tls_key_file;
};

// Console sessions bound to what AWS said (issue 20, docs/inspection.md "Session binding").
struct sessions_config {
    // The table and its HMAC key across restarts: written atomically (mode 0600) every
    // save_interval and at shutdown, read at start (expired entries dropped). Empty = memory
    // only: a restart forgets every session (with policy.unbound_sessions = "deny", everyone
    // signs in again). Fixed for the process life.
    std::filesystem::path file;
    std::uint64_t max_entries = 100000;  // cookies remembered; the soonest to expire go first
    // How long the cookies of a sign-in stay bound after AWS named the identity, however often
    // they are refreshed: the longest console session AWS allows (12 h, a role session at its
    // maximum). 1m to 7d.
    duration lifetime = std::chrono::hours(12);
    duration save_interval = std::chrono::minutes(1);
    // The HMAC key the cookies are hashed under: a file whose first line is 64 hex digits (mode
    // 0600; `openssl rand -hex 32`). Empty = the key kept in `file`, or a random one per process.
    // Every replica of a fleet sharing the table reads the same key. Fixed for the process life.
    std::filesystem::path key_file;
    // Sharing the table with the fleet (docs/inspection.md "A fleet"): local = each replica
    // alone (balance with source affinity); postgres = through audit.postgres_connection's
    // database: bindings written through before the response that sets their cookies is
    // released, looked up on a miss. Needs key_file. The keys below apply only to postgres; all
    // are fixed for the process life.
    enum class store_kind : std::uint8_t { local, postgres };
    store_kind store = store_kind::local;
    duration store_timeout = std::chrono::seconds(1);  // each lookup's or write's wait
    std::uint64_t store_connections = 4;               // store threads, one connection each
    std::uint64_t store_queue = 1024;                  // jobs waiting; more fail at once
    std::uint64_t negative_cache_entries = 100000;     // digests remembered as absent
    duration negative_ttl = std::chrono::seconds(10);  // for that long; 0 = not remembered
};

struct config {
    general_config general;
    dns_config dns;
    proxy_config proxy;
    ca_config ca;
    policy_config policy;
    policy_sources policy_files;
    team_config team;
    audit_config audit;
    admin_config admin;
    identity_config identity;
    sessions_config sessions;
    // Every file read to build this config (main file first, then includes, org export, alias
    // files, endpoint policies): what a reload watcher should watch.
    std::vector<std::filesystem::path> files;
};

struct diagnostic {
    std::string file;
    int line = 0;    // 1-based; 0 = the file as a whole
    int column = 0;  // 1-based; 0 = unknown
    std::string message;
};

struct load_result {
    std::optional<config> cfg;  // set exactly when diagnostics is empty
    std::vector<diagnostic> diagnostics;
    // Valid but most likely not what was meant, for check-config to print beside "ok": a rule
    // selector that, as the other sections stand now (the org export, the identity sources), can
    // never match, so the rule does nothing (and a deny written so lets everything through).
    // Not errors: a policy may be written ahead of the export or the identity source it needs,
    // and explain simulates the person (--corp-user, --corp-group) whatever identifies them.
    std::vector<diagnostic> notes;
};

// Reads and validates a configuration file and everything it names. Never throws on bad input.
load_result load_config(const std::filesystem::path& file);
// The same over text already in memory; includes and other files are resolved relative to
// file_name's directory (tests, fuzzing).
load_result load_config_text(std::string_view toml, std::string_view file_name);

// "FILE:LINE:COL: message" ("FILE: message" when the line is unknown).
std::string format_diagnostic(const diagnostic& d);

}  // namespace consolegate::core
