#include "team/credentials.hpp"

#include <boost/json.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "consolegate/core/time.hpp"
#include "team/aws_config_files.hpp"
#include "team/credential_process.hpp"
#include "team/sts.hpp"

namespace consolegate::team {
namespace {

namespace json = boost::json;
using clock = std::chrono::system_clock;
using maybe = std::optional<credential_result>;

constexpr int max_role_chain = 5;  // source_profile hops; a loop is refused long before this
constexpr std::size_t max_token_bytes = 64 * 1024;

// Link-local addresses of the ECS task metadata and EKS Pod Identity agents: the only non-loopback
// places the AWS SDKs send container credentials requests over plain http.
const std::vector<std::string> container_hosts = {"169.254.170.2", "169.254.170.23",
                                                  "fd00:ec2::23"};

std::optional<std::string> read_small_file(const std::string& path, std::size_t max) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::string out(max + 1, '\0');
    in.read(out.data(), static_cast<std::streamsize>(out.size()));
    auto n = static_cast<std::size_t>(in.gcount());
    if (n > max) return std::nullopt;
    out.resize(n);
    return out;
}

std::string trim_right(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
    return s;
}

credential_result failure(std::string source, std::string error) {
    credential_result r;
    r.source = std::move(source);
    r.error = std::move(error);
    return r;
}

credential_result success(std::string source, aws_credentials c,
                          std::optional<clock::time_point> expiration) {
    credential_result r;
    r.source = std::move(source);
    r.credentials = std::move(c);
    r.expiration = expiration;
    return r;
}

struct chain_context {
    const credential_options& opt;
    clock::time_point now;
    std::string profile;
    bool profile_named = false;  // chosen explicitly: it must exist
    aws_profiles config, credentials;

    std::optional<std::string> env(const std::string& name) const {
        auto v = opt.getenv(name);
        if (v && v->empty()) return std::nullopt;
        return v;
    }

    // Role settings: credentials-file values win over the config file's (as botocore merges).
    std::optional<std::string> setting(std::string_view p, std::string_view key) const {
        if (auto v = profile_value(credentials, p, key)) return v;
        return profile_value(config, p, key);
    }

    bool has_profile(std::string_view p) const {
        return config.contains(p) || credentials.contains(p);
    }

    std::string region(std::string_view p) const {
        if (auto r = setting(p, "region")) return *r;
        if (auto r = env("AWS_REGION")) return *r;
        if (auto r = env("AWS_DEFAULT_REGION")) return *r;
        return opt.region.empty() ? "us-east-1" : opt.region;
    }

    std::string sts_endpoint(const std::string& region) const {
        if (auto e = env("AWS_ENDPOINT_URL_STS")) return *e;
        if (auto e = env("AWS_ENDPOINT_URL")) return *e;
        return "https://sts." + region + ".amazonaws.com";
    }

    std::string session_name(std::string_view p) const {
        if (auto n = setting(p, "role_session_name")) return *n;
        return "consolegate-" + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                                   now.time_since_epoch())
                                                   .count());
    }
};

maybe from_environment(const chain_context& c) {
    auto id = c.env(c.opt.access_key_id_env);
    auto secret = c.env(c.opt.secret_access_key_env);
    if (!id && !secret) return std::nullopt;
    if (!id || !secret)
        return failure("environment", "only one of " + c.opt.access_key_id_env + " and " +
                                          c.opt.secret_access_key_env + " is set");
    return success("environment", {*id, *secret, c.env(c.opt.session_token_env).value_or("")},
                   std::nullopt);
}

maybe static_keys(const aws_profiles& files, std::string_view p, std::string_view file_label) {
    auto id = profile_value(files, p, "aws_access_key_id");
    auto secret = profile_value(files, p, "aws_secret_access_key");
    std::string source = "profile " + std::string(p) + " (" + std::string(file_label) + ")";
    if (!id && !secret) return std::nullopt;
    if (!id || !secret)
        return failure(source,
                       "profile has only one of aws_access_key_id and "
                       "aws_secret_access_key");
    return success(source,
                   {*id, *secret, profile_value(files, p, "aws_session_token").value_or("")},
                   std::nullopt);
}

credential_result web_identity(const chain_context& c, const std::string& role_arn,
                               const std::string& token_file, const std::string& session,
                               const std::string& region, std::string source) {
    auto token = read_small_file(token_file, max_token_bytes);
    if (!token || trim_right(*token).empty())
        return failure(source, "cannot read the web identity token file " + token_file);
    sts_call call{c.sts_endpoint(region), region, role_arn, session, "", std::nullopt};
    auto r = sts_assume_role_with_web_identity(call, trim_right(*token), c.opt.http);
    if (!r.credentials) return failure(source, r.error);
    return success(std::move(source), std::move(*r.credentials), r.expiration);
}

credential_result container(const chain_context& c) {
    const std::string source = "container credentials endpoint";
    std::string url;
    if (auto rel = c.env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
        url = "http://169.254.170.2" + *rel;
    } else if (auto full = c.env("AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
        url = *full;
        auto u = net::parse_http_url(url);
        if (!u) return failure(source, "AWS_CONTAINER_CREDENTIALS_FULL_URI is not an http(s) URL");
        bool allowed = u->tls || net::is_loopback_host(u->host);
        for (const auto& h : container_hosts) allowed = allowed || u->host == h;
        if (!allowed)
            return failure(source,
                           "AWS_CONTAINER_CREDENTIALS_FULL_URI over plain http must be "
                           "loopback or the ECS/EKS agent address");
    }
    net::http_request req;
    req.url = url;
    std::string token;
    if (auto file = c.env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
        auto t = read_small_file(*file, max_token_bytes);
        if (!t)
            return failure(source, "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE " + *file);
        token = trim_right(*t);
    } else if (auto t = c.env("AWS_CONTAINER_AUTHORIZATION_TOKEN")) {
        token = *t;
    }
    if (token.find_first_of("\r\n") != std::string::npos)
        return failure(source, "the container authorization token holds a line break");
    if (!token.empty()) req.headers.emplace_back("Authorization", token);
    auto http = c.opt.http;
    http.plain_http_addresses = container_hosts;
    auto res = net::http_fetch(req, http);
    if (!res.ok()) return failure(source, "request failed: " + res.message);
    if (res.response.status != 200)
        return failure(source, "endpoint answered HTTP " + std::to_string(res.response.status));
    boost::system::error_code ec;
    auto v = json::parse(res.response.body, ec);
    const auto* o = ec ? nullptr : v.if_object();
    auto str = [&](std::string_view k) {
        const auto* m = o ? o->if_contains(k) : nullptr;
        return m && m->is_string() ? std::string(m->get_string()) : std::string();
    };
    aws_credentials creds{str("AccessKeyId"), str("SecretAccessKey"), str("Token")};
    auto expiration = core::parse_rfc3339(str("Expiration"));
    if (creds.access_key_id.empty() || creds.secret_access_key.empty() || !expiration)
        return failure(source, "endpoint answer lacks AccessKeyId, SecretAccessKey or Expiration");
    return success(source, std::move(creds), expiration);
}

credential_result assume_role(const chain_context& c, const std::string& p, int depth);

// The credentials a role profile assumes its role with.
credential_result source_credentials(const chain_context& c, const std::string& p, int depth) {
    if (auto sp = c.setting(p, "source_profile")) {
        if (depth >= max_role_chain)
            return failure("profile " + p, "source_profile chain is longer than " +
                                               std::to_string(max_role_chain) + " (a loop?)");
        if (!c.has_profile(*sp))
            return failure("profile " + p, "source_profile " + *sp + " does not exist");
        // A profile naming itself uses its own static keys (the AWS CLI allows this).
        if (*sp != p && c.setting(*sp, "role_arn")) return assume_role(c, *sp, depth + 1);
        if (auto r = static_keys(c.credentials, *sp, "credentials file")) return *r;
        if (auto cp = c.setting(*sp, "credential_process")) {
            auto r = run_credential_process(*cp, c.opt.process_timeout);
            if (!r.credentials) return failure("profile " + *sp + " (credential_process)", r.error);
            return success("profile " + *sp + " (credential_process)", *r.credentials,
                           r.expiration);
        }
        if (auto r = static_keys(c.config, *sp, "config file")) return *r;
        return failure("profile " + p, "source_profile " + *sp + " has no credentials");
    }
    if (auto cs = c.setting(p, "credential_source")) {
        if (*cs == "Environment") {
            if (auto r = from_environment(c)) return *r;
            return failure("profile " + p, "credential_source Environment: no keys in it");
        }
        if (*cs == "EcsContainer") return container(c);
        return failure("profile " + p, "credential_source " + *cs +
                                           " is not supported (Environment, EcsContainer)");
    }
    return failure("profile " + p,
                   "role_arn needs source_profile, credential_source or "
                   "web_identity_token_file");
}

credential_result assume_role(const chain_context& c, const std::string& p, int depth) {
    auto role = *c.setting(p, "role_arn");
    auto region = c.region(p);
    auto session = c.session_name(p);
    std::string source = "profile " + p + ": assume role " + role;
    if (auto file = c.setting(p, "web_identity_token_file"))
        return web_identity(c, role, *file, session, region, source + " with web identity");
    auto base = source_credentials(c, p, depth);
    if (!base.credentials) return base;
    sts_call call{c.sts_endpoint(region),
                  region,
                  role,
                  session,
                  c.setting(p, "external_id").value_or(""),
                  std::nullopt};
    if (auto d = c.setting(p, "duration_seconds")) {
        try {
            call.duration_seconds = std::stoi(*d);
        } catch (const std::exception&) {
            return failure(source, "duration_seconds is not a number");
        }
    }
    auto r = sts_assume_role(call, *base.credentials, c.opt.http, c.now);
    source += " via " + base.source;
    if (!r.credentials) return failure(source, r.error);
    return success(source, std::move(*r.credentials), r.expiration);
}

}  // namespace

credential_chain::credential_chain(credential_options options) : opt_(std::move(options)) {
    if (!opt_.getenv) {
        opt_.getenv = [](const std::string& name) -> std::optional<std::string> {
            const char* v = std::getenv(name.c_str());
            if (!v) return std::nullopt;
            return std::string(v);
        };
    }
}

credential_result credential_chain::resolve(clock::time_point now) const {
    chain_context c{opt_, now, {}, false, {}, {}};
    if (auto r = from_environment(c)) return *r;

    c.profile = opt_.profile;
    c.profile_named = !c.profile.empty();
    if (c.profile.empty()) {
        auto p = c.env("AWS_PROFILE");
        c.profile_named = p.has_value();
        c.profile = p.value_or("default");
    }
    auto home = c.env("HOME").value_or("");
    auto config_file = c.env("AWS_CONFIG_FILE").value_or(home.empty() ? "" : home + "/.aws/config");
    auto creds_file = c.env("AWS_SHARED_CREDENTIALS_FILE")
                          .value_or(home.empty() ? "" : home + "/.aws/credentials");
    if (auto t = read_small_file(config_file, aws_config_file_max_bytes))
        c.config = parse_aws_ini(*t, true);
    if (auto t = read_small_file(creds_file, aws_config_file_max_bytes))
        c.credentials = parse_aws_ini(*t, false);
    if (c.profile_named && !c.has_profile(c.profile))
        return failure("profile " + c.profile,
                       "profile not found in " + config_file + " or " + creds_file);

    if (c.setting(c.profile, "role_arn")) return assume_role(c, c.profile, 0);
    if (auto file = c.env("AWS_WEB_IDENTITY_TOKEN_FILE")) {
        auto role = c.env("AWS_ROLE_ARN");
        if (!role)
            return failure("web identity", "AWS_WEB_IDENTITY_TOKEN_FILE without AWS_ROLE_ARN");
        auto session = c.env("AWS_ROLE_SESSION_NAME").value_or(c.session_name(c.profile));
        return web_identity(c, *role, *file, session, c.region(c.profile),
                            "web identity (" + *role + ")");
    }
    if (auto r = static_keys(c.credentials, c.profile, "credentials file")) return *r;
    if (auto cp = c.setting(c.profile, "credential_process")) {
        std::string source = "profile " + c.profile + " (credential_process)";
        auto r = run_credential_process(*cp, opt_.process_timeout);
        if (!r.credentials) return failure(source, r.error);
        return success(source, std::move(*r.credentials), r.expiration);
    }
    if (auto r = static_keys(c.config, c.profile, "config file")) return *r;
    if (c.env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") ||
        c.env("AWS_CONTAINER_CREDENTIALS_FULL_URI"))
        return container(c);
    return failure("none", "no AWS credentials: none in the environment, profile " + c.profile +
                               ", web identity or container endpoint");
}

credential_result credential_chain::get(clock::time_point now) {
    std::lock_guard lock(mu_);
    if (cached_ && cached_->credentials &&
        (!cached_->expiration || now + opt_.refresh_margin < *cached_->expiration)) {
        return *cached_;
    }
    auto fresh = resolve(now);
    if (fresh.credentials) {
        cached_ = fresh;
        return fresh;
    }
    if (cached_ && cached_->credentials && cached_->expiration && now < *cached_->expiration) {
        auto still = *cached_;
        still.error = "refresh failed, using credentials until they expire: " + fresh.error;
        return still;
    }
    cached_.reset();
    return fresh;
}

}  // namespace consolegate::team
