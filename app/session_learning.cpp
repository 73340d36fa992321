#include "session_learning.hpp"

#include <algorithm>
#include <bit>
#include <cctype>
#include <string>

#include "consolegate/core/partition.hpp"
#include "consolegate/inspect/user_info_cookie.hpp"
#include "consolegate/log/log.hpp"

namespace consolegate::app {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return out;
}

}  // namespace

std::vector<cookie_pair> request_cookies(const core::http_request_view& req) {
    std::vector<cookie_pair> out;
    for (const auto& [name, value] : req.headers) {
        if (!iequals(name, "cookie")) continue;
        std::string_view rest = value;
        while (!rest.empty()) {
            auto semi = rest.find(';');
            auto pair = trim(rest.substr(0, semi));
            rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
            auto eq = pair.find('=');
            if (eq == std::string_view::npos) continue;
            out.emplace_back(trim(pair.substr(0, eq)), trim(pair.substr(eq + 1)));
        }
    }
    return out;
}

std::optional<set_cookie> parse_set_cookie(std::string_view header) {
    auto semi = header.find(';');
    auto pair = trim(header.substr(0, semi));
    auto eq = pair.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    set_cookie c{trim(pair.substr(0, eq)), trim(pair.substr(eq + 1))};
    if (c.name.empty()) return std::nullopt;
    c.removal = c.value.empty() || c.value == "\"\"";
    auto attrs = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
    while (!attrs.empty()) {
        auto next = attrs.find(';');
        auto attr = trim(attrs.substr(0, next));
        attrs = next == std::string_view::npos ? std::string_view{} : attrs.substr(next + 1);
        auto aeq = attr.find('=');
        auto aname = trim(attr.substr(0, aeq));
        auto avalue =
            aeq == std::string_view::npos ? std::string_view{} : trim(attr.substr(aeq + 1));
        if (iequals(aname, "max-age") && (avalue.starts_with('-') || avalue == "0")) {
            c.removal = true;
        }
        // AWS and most servers delete with the epoch ("Thu, 01 Jan 1970 00:00:00 GMT").
        if (iequals(aname, "expires") && avalue.find("1970") != std::string_view::npos) {
            c.removal = true;
        }
    }
    return c;
}

std::optional<session_identity> identity_from_user_info(std::string_view value) {
    auto info = inspect::parse_user_info_cookie(value, nullptr);
    if (!info) return std::nullopt;
    const auto& p = info->principal;
    session_identity id;
    id.account = p.account;
    id.principal_arn = info->arn;
    id.role_name = p.role_name;
    id.permission_set = p.permission_set;
    id.aws_user = !p.session_name.empty() ? p.session_name
                  : !p.user_name.empty()  ? p.user_name
                                          : info->username;
    id.learned_by = binding_source::user_info_set_cookie;
    return id;
}

bool is_aws_host(std::string_view host) {
    if (auto colon = host.rfind(':');
        colon != std::string_view::npos && host.find(']') == std::string_view::npos) {
        host = host.substr(0, colon);
    }
    if (host.ends_with('.')) host.remove_suffix(1);
    auto h = lower(host);
    // Each partition's console site and service domains (core/partition.hpp): aws.amazon.com,
    // amazonaws.com, amazonaws-us-gov.com, amazonaws.cn, amazonaws.com.cn, amazonaws-eusc.eu, ...
    for (const auto& p : core::partitions) {
        for (std::string_view suffix : {p.site_domain, p.service_domain}) {
            if (h == suffix) return true;
            if (h.size() > suffix.size() && h.ends_with(suffix) &&
                h[h.size() - suffix.size() - 1] == '.') {
                return true;
            }
        }
    }
    return false;
}

response_reading read_response(const core::http_request_view& req,
                               const proxy::response_view& resp) {
    response_reading r;
    if (!is_aws_host(req.host)) return r;
    for (const auto& [name, value] : resp.headers) {
        if (!iequals(name, "set-cookie")) continue;
        auto c = parse_set_cookie(value);
        if (!c || c->removal) continue;
        if (c->name == "aws-userInfo") {
            auto id = identity_from_user_info(c->value);
            if (!id || (r.named && !r.named->same_principal(*id))) {
                r.unreadable = true;  // two principals, or one we cannot read
            } else {
                r.named = std::move(id);
            }
        }
        r.set_cookies.push_back({c->name, c->value});
    }
    return r;
}

bool asks_for_session(const std::vector<core::sign_in_attempt>& attempts) {
    return std::any_of(attempts.begin(), attempts.end(), [](const core::sign_in_attempt& a) {
        return a.phase == core::auth_phase::pre_auth;
    });
}

core::sign_in_flow_set sign_in_flows(std::span<const core::sign_in_attempt> attempts) {
    core::sign_in_flow_set out = 0;
    bool label = false;
    for (const auto& a : attempts) {
        if (a.phase != core::auth_phase::pre_auth) continue;
        if (a.flow == core::sign_in_flow::iam_user && a.source == "host") {
            label = true;
            continue;
        }
        out |= core::flow_bit(a.flow);
    }
    if (out == 0 && label) out = core::flow_bit(core::sign_in_flow::iam_user);
    return out;
}

bool asks_for_session(const core::http_request_view& req, const inspect::options& opt) {
    return asks_for_session(inspect::inspect(req, opt));
}

const inspect::options session_learner::default_options_{};

std::size_t session_learner::learn(const core::http_request_view& req,
                                   const proxy::response_view& resp) const {
    return learn(req, read_response(req, resp));
}

std::size_t session_learner::learn(const core::http_request_view& req,
                                   const response_reading& r) const {
    // A response whose aws-userInfo names nobody we can read (or two principals) binds nothing:
    // its cookies must not inherit a binding the response itself contradicts.
    if (r.set_cookies.empty() || r.unreadable) return 0;
    // Nothing the table could key (short values, aws-userInfo alone): nothing to learn, and no
    // need to read the request again (asks_for_session) to know it.
    if (std::none_of(r.set_cookies.begin(), r.set_cookies.end(), [](const cookie_pair& c) {
            return c.second.size() >= session_table::min_token_chars &&
                   !session_table::never_a_key(c.first);
        })) {
        return 0;
    }
    auto cookies = request_cookies(req);
    auto binding = table_->lookup(cookies, req.time);
    // A sign-in's answer that names nobody: its cookies are the new session's (maybe another
    // account's), not a refresh of the one the browser's old cookies are bound to. Without this a
    // sign-in to a forbidden account whose answer sets the session cookies before aws-userInfo
    // (root, a SigninToken, a SAML post: the request names no account) was judged as the old,
    // allowed session for its lifetime. They are kept as pending, so a later step of the same
    // sign-in that presents them (and names nothing itself) continues it too.
    // The sign-in's flows go with them, so the answer that names the session later knows which
    // sign-in established it (session_identity::flows); also when the request continues a
    // sign-in only by the old session's cookies it presents (a second sign-in in one browser).
    if (!r.named && (!binding.continues_sign_in || binding.sign_in_flows == 0)) {
        auto asked = inspect::inspect(req, *opt_);
        if (asks_for_session(asked)) {
            binding.continues_sign_in = true;
            binding.sign_in_flows |= sign_in_flows(asked);
            // A sign-in path read as several flows is one of them (enforce_response judges
            // its answer once per flow): alternatives.
            if (std::popcount(binding.sign_in_flows) > 1) binding.sign_in_flows_either = true;
        }
    }
    auto path = req.target.substr(0, req.target.find('?'));
    std::string on = lower(req.host);
    on.append(path);
    const auto evicted = table_->evictions();
    std::string_view corp_user = req.corp ? std::string_view(req.corp->user) : "";
    auto bound = table_->learn(r.set_cookies, r.named, binding, on, req.time, corp_user);
    if (table_->evictions() != evicted) {
        static log::rate_limit limit(std::chrono::seconds(60));
        if (auto suppressed = limit.allow(std::chrono::steady_clock::now())) {
            log::write(log::level::warn, "sessions",
                       "session table full: the sessions expiring soonest were dropped and will "
                       "be unbound at their next request (raise sessions.max_entries)",
                       {{"evicted_total", std::to_string(table_->evictions())},
                        {"suppressed", std::to_string(*suppressed)}});
        }
    }
    return bound;
}

}  // namespace consolegate::app
