// The [audit] section: sinks, queues, retention; and the admin listener's TLS files. The PostgreSQL
// connection string is checked here without libpq (core links none): its grammar, its keywords, and
// that no password is in it, so a password never sits in a file that many can read or in a line
// that gets logged.

#include <algorithm>
#include <array>
#include <cctype>

#include "config_reader.hpp"

namespace consolegate::core::config_detail {

namespace {

// libpq 15's connection keywords (PostgreSQL manual, 34.1.2). `password` and `sslpassword` are
// left out on purpose: secrets go in postgres_password_file.
constexpr std::array<std::string_view, 36> conninfo_keywords{"host",
                                                             "hostaddr",
                                                             "port",
                                                             "dbname",
                                                             "user",
                                                             "passfile",
                                                             "channel_binding",
                                                             "connect_timeout",
                                                             "client_encoding",
                                                             "options",
                                                             "application_name",
                                                             "fallback_application_name",
                                                             "keepalives",
                                                             "keepalives_idle",
                                                             "keepalives_interval",
                                                             "keepalives_count",
                                                             "tcp_user_timeout",
                                                             "replication",
                                                             "gssencmode",
                                                             "sslmode",
                                                             "requiressl",
                                                             "sslcompression",
                                                             "sslcert",
                                                             "sslkey",
                                                             "sslrootcert",
                                                             "sslcrl",
                                                             "sslcrldir",
                                                             "sslsni",
                                                             "requirepeer",
                                                             "ssl_min_protocol_version",
                                                             "ssl_max_protocol_version",
                                                             "krbsrvname",
                                                             "gsslib",
                                                             "service",
                                                             "target_session_attrs",
                                                             "load_balance_hosts"};

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// "" when `s` is a connection string libpq will parse and that carries no password; otherwise
// what is wrong (never quoting a value, which might be the password).
std::string check_conninfo(std::string_view s) {
    if (s.find('\0') != std::string_view::npos) return "must not contain NUL";
    for (std::string_view scheme : {"postgresql://", "postgres://"}) {
        if (!s.starts_with(scheme)) continue;
        auto rest = s.substr(scheme.size());
        auto authority = rest.substr(0, rest.find_first_of("/?"));
        auto at = authority.rfind('@');
        if (at != std::string_view::npos &&
            authority.substr(0, at).find(':') != std::string_view::npos) {
            return "carries a password (user:password@); put it in audit.postgres_password_file";
        }
        auto q = rest.find('?');
        if (q != std::string_view::npos) {
            auto query = "&" + std::string(rest.substr(q + 1));
            if (query.find("&password=") != std::string::npos ||
                query.find("&sslpassword=") != std::string::npos)
                return "carries a password parameter; put it in audit.postgres_password_file";
        }
        return "";
    }
    // key = value pairs; a value is a word or single-quoted with \' and \\ escapes.
    std::size_t i = 0, pairs = 0;
    auto skip = [&] {
        while (i < s.size() && is_space(s[i])) ++i;
    };
    for (skip(); i < s.size(); skip()) {
        auto start = i;
        while (i < s.size() && s[i] != '=' && !is_space(s[i])) ++i;
        auto key = s.substr(start, i - start);
        skip();
        if (key.empty() || i >= s.size() || s[i] != '=')
            return "expected key=value pairs or a postgresql:// URI";
        ++i;
        skip();
        if (i < s.size() && s[i] == '\'') {
            for (++i; i < s.size() && s[i] != '\''; ++i) {
                if (s[i] == '\\') ++i;
            }
            if (i >= s.size()) return "unterminated quoted value for `" + std::string(key) + "`";
            ++i;
        } else {
            while (i < s.size() && !is_space(s[i])) ++i;
        }
        if (key == "password" || key == "sslpassword")
            return "carries `" + std::string(key) +
                   "`; put the password in audit.postgres_password_file";
        if (std::find(conninfo_keywords.begin(), conninfo_keywords.end(), key) ==
            conninfo_keywords.end())
            return "unknown keyword `" + std::string(key) + "`";
        ++pairs;
    }
    return pairs ? "" : "is empty";
}

constexpr std::array<std::pair<std::string_view, int>, 24> facilities{
    {{"kern", 0},      {"user", 1},    {"mail", 2},    {"daemon", 3},    {"auth", 4},
     {"syslog", 5},    {"lpr", 6},     {"news", 7},    {"uucp", 8},      {"cron", 9},
     {"authpriv", 10}, {"ftp", 11},    {"ntp", 12},    {"security", 13}, {"console", 14},
     {"clock", 15},    {"local0", 16}, {"local1", 17}, {"local2", 18},   {"local3", 19},
     {"local4", 20},   {"local5", 21}, {"local6", 22}, {"local7", 23}}};

// "tls://siem.corp.example:6514", "udp://[2001:db8::5]" -> transport, host, port; "" when it
// parses, else what is wrong.
std::string parse_syslog_target(std::string_view s, audit_config& a) {
    const std::pair<std::string_view, syslog_transport> schemes[] = {
        {"udp://", syslog_transport::udp},
        {"tcp://", syslog_transport::tcp},
        {"tls://", syslog_transport::tls}};
    for (auto& [scheme, transport] : schemes) {
        if (!s.starts_with(scheme)) continue;
        auto rest = s.substr(scheme.size());
        std::string_view host, port;
        if (rest.starts_with("[")) {
            auto close = rest.find(']');
            if (close == std::string_view::npos) return "has an unterminated [IPv6 address]";
            host = rest.substr(1, close - 1);
            rest.remove_prefix(close + 1);
            if (!rest.empty() && !rest.starts_with(":")) return "has text after the address";
            port = rest.empty() ? "" : rest.substr(1);
        } else {
            auto colon = rest.rfind(':');
            host = rest.substr(0, colon);
            port = colon == std::string_view::npos ? "" : rest.substr(colon + 1);
        }
        if (host.empty()) return "names no host";
        for (char c : host) {
            if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ||
                  c == ':'))
                return "has a host that is neither a DNS name nor an address";
        }
        std::uint32_t p = transport == syslog_transport::tls ? 6514 : 514;
        if (!port.empty()) {
            p = 0;
            for (char c : port) {
                if (c < '0' || c > '9' || p > 65535) return "has a port that is not 1-65535";
                p = p * 10 + static_cast<std::uint32_t>(c - '0');
            }
            if (p == 0 || p > 65535) return "has a port that is not 1-65535";
        }
        a.syslog = transport;
        a.syslog_host = std::string(host);
        a.syslog_port = static_cast<std::uint16_t>(p);
        return "";
    }
    return "must start with udp://, tcp:// or tls://";
}

}  // namespace

void loader::read_audit(const toml::table& t) {
    section s(*this, t, "audit");
    auto& a = cfg.audit;
    s.get_path("jsonl_path", a.jsonl_path);
    s.get_path("sqlite_path", a.sqlite_path);
    s.get_duration("flush_interval", a.flush_interval);
    s.get_uint("queue_limit", a.queue_limit, 1, 10'000'000);
    s.get_enum("repeats", a.repeats,
               {{"count", audit_repeats::count}, {"each", audit_repeats::each}});
    s.get_duration("repeat_window", a.repeat_window);
    s.get_size("jsonl_rotate_size", a.jsonl_rotate_size);
    s.get_uint("jsonl_keep", a.jsonl_keep, 0, 1000);
    s.get_duration("sqlite_retention", a.sqlite_retention);
    s.get_size("sqlite_max_size", a.sqlite_max_size);
    s.get("postgres_connection", a.postgres_connection);
    s.get_path("postgres_password_file", a.postgres_password_file);
    s.get_duration("postgres_retention", a.postgres_retention);
    std::string syslog_target, facility;
    s.get("syslog_target", syslog_target);
    s.get_path("syslog_ca_file", a.syslog_ca_file);
    s.get_path("syslog_cert_file", a.syslog_cert_file);
    s.get_path("syslog_key_file", a.syslog_key_file);
    s.get("syslog_facility", facility);
    s.finish();

    if (const auto* n = t.get("syslog_target"); n && n->is_string()) {
        if (auto problem = parse_syslog_target(syslog_target, a); !problem.empty())
            error(*n, "audit.syslog_target \"" + syslog_target + "\" " + problem);
    }
    if (const auto* n = t.get("syslog_facility"); n && n->is_string()) {
        auto f = std::find_if(facilities.begin(), facilities.end(),
                              [&](auto& p) { return p.first == facility; });
        if (f == facilities.end())
            error(*n,
                  "audit.syslog_facility: expected a facility name (authpriv, auth, "
                  "local0 … local7, …), got \"" +
                      facility + "\"");
        else if (a.syslog == syslog_transport::none)
            error(*n, "audit.syslog_facility is set but audit.syslog_target is not");
        else
            a.syslog_facility = f->second;
    }
    for (auto key : {"syslog_ca_file", "syslog_cert_file", "syslog_key_file"}) {
        if (const auto* n = t.get(key); n && a.syslog != syslog_transport::tls)
            error(*n, std::string("audit.") + key + " applies to a tls:// syslog_target only");
    }
    if (a.syslog_cert_file.empty() != a.syslog_key_file.empty())
        error(t.source(), "audit: syslog_cert_file and syslog_key_file go together");

    if (const auto* n = t.get("postgres_connection"); n && n->is_string()) {
        if (auto problem = check_conninfo(a.postgres_connection); !problem.empty())
            error(*n, "audit.postgres_connection " + problem);
    }
    if (a.postgres_connection.empty()) {
        for (auto key : {"postgres_password_file", "postgres_retention"}) {
            if (const auto* n = t.get(key))
                error(*n, std::string("audit.") + key +
                              " is set but audit.postgres_connection "
                              "is not");
        }
    } else if (!a.postgres_password_file.empty()) {
        // Readable and holding a first line; its content is never part of a diagnostic.
        std::string text;
        auto at = location(t.get("postgres_password_file")->source());
        if (read_file(a.postgres_password_file, 4096, text, at, "audit.postgres_password_file") &&
            text.substr(0, text.find('\n')).find_first_not_of(" \t\r") == std::string::npos)
            error(at, "audit.postgres_password_file \"" + a.postgres_password_file.string() +
                          "\" holds no password on its first line");
    }
}

// admin.tls_cert_file / tls_key_file: both or neither, each a readable PEM file of the right
// kind. Whether they load and match is OpenSSL's to say at start (core links no OpenSSL).
void loader::check_admin_tls(const toml::table& t) {
    auto& a = cfg.admin;
    if (a.tls_cert_file.empty() && a.tls_key_file.empty()) return;
    if (a.tls_cert_file.empty() != a.tls_key_file.empty()) {
        error(t.source(), "admin: tls_cert_file and tls_key_file go together");
        return;
    }
    const std::pair<const char*, std::string_view> files[] = {{"tls_cert_file", "CERTIFICATE-----"},
                                                              {"tls_key_file", "PRIVATE KEY-----"}};
    for (auto [key, marker] : files) {
        const auto& path =
            std::string_view(key) == "tls_cert_file" ? a.tls_cert_file : a.tls_key_file;
        std::string text;
        auto at = location(t.get(key)->source());
        if (!read_file(path, 1 << 20, text, at, std::string("admin.") + key)) continue;
        if (text.find("-----BEGIN ") == std::string::npos || text.find(marker) == std::string::npos)
            error(at, std::string("admin.") + key + " \"" + path.string() +
                          "\" is not a PEM file with a " +
                          std::string(marker.substr(0, marker.find('-'))));
    }
}

}  // namespace consolegate::core::config_detail
