#include "consolegate/inspect/inspector.hpp"

#include <algorithm>
#include <array>
#include <tuple>

#include "consolegate/core/host_pattern.hpp"
#include "consolegate/core/principal.hpp"
#include "consolegate/inspect/access_key.hpp"
#include "consolegate/inspect/saml.hpp"
#include "consolegate/inspect/user_info_cookie.hpp"
#include "json_scan.hpp"
#include "params.hpp"

namespace consolegate::inspect {

using core::auth_phase;
using core::sign_in_attempt;
using core::sign_in_flow;
using detail::iequals;
using detail::param;

namespace {

constexpr std::string_view signin_domain = "signin.aws.amazon.com";
constexpr std::string_view console_domain = "console.aws.amazon.com";
constexpr std::string_view aws_domain = "aws.amazon.com";

bool is_digits(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool under(std::string_view host, std::string_view domain) {
    return host == domain || (host.size() > domain.size() && host.ends_with(domain) &&
                              host[host.size() - domain.size() - 1] == '.');
}

// The label(s) in front of `domain`, or "" when host is the domain itself.
std::string_view labels_before(std::string_view host, std::string_view domain) {
    if (host.size() <= domain.size()) return {};
    return host.substr(0, host.size() - domain.size() - 1);
}

std::string_view first_label(std::string_view s) {
    return s.substr(0, s.find('.'));
}

// AWS region names: <area>-[gov-|iso…-]<direction>-<n> (us-east-1, us-gov-west-1, il-central-1).
bool is_region(std::string_view s) {
    static constexpr std::array<std::string_view, 9> directions{
        "east",      "west",      "north",     "south",    "central",
        "northeast", "northwest", "southeast", "southwest"};
    std::vector<std::string_view> parts;
    while (true) {
        auto dash = s.find('-');
        parts.push_back(s.substr(0, dash));
        if (dash == std::string_view::npos) break;
        s.remove_prefix(dash + 1);
    }
    if (parts.size() < 3 || parts.size() > 4) return false;
    if (parts[0].size() != 2 || !std::all_of(parts[0].begin(), parts[0].end(),
                                             [](char c) { return c >= 'a' && c <= 'z'; })) {
        return false;
    }
    if (!is_digits(parts.back())) return false;
    if (parts.size() == 4 && !parts[1].starts_with("gov") && !parts[1].starts_with("iso")) {
        return false;
    }
    return std::find(directions.begin(), directions.end(), parts[parts.size() - 2]) !=
           directions.end();
}

// <12 digits>-<suffix>: the multi-session console host label (observed with an 8-character
// suffix; any non-empty [a-z0-9] suffix is accepted so a longer one is never missed).
std::optional<core::account_id> multi_session_account(std::string_view host) {
    if (!under(host, console_domain)) return std::nullopt;
    auto label = first_label(labels_before(host, console_domain));
    if (label.size() < 14 || label.size() > 63 || label[12] != '-') return std::nullopt;
    auto tail = label.substr(13);
    if (!std::all_of(tail.begin(), tail.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); })) {
        return std::nullopt;
    }
    return core::account_id::parse(label.substr(0, 12));
}

// RFC 3986 section 5.2.4 dot-segment removal over a decoded, lowercased path; empty segments
// dropped so "//saml/" and "/saml" read alike.
std::vector<std::string> path_segments(std::string_view raw_path) {
    auto decoded = detail::percent_decode(raw_path, false);
    std::string p = detail::lower(decoded ? std::string_view(*decoded) : raw_path);
    std::vector<std::string> segs;
    std::string_view s = p;
    while (!s.empty()) {
        auto slash = s.find('/');
        auto seg = s.substr(0, slash);
        s = slash == std::string_view::npos ? std::string_view{} : s.substr(slash + 1);
        // Path parameters (RFC 3986 section 3.3, "/saml;jsessionid=x") do not change the
        // resource for servlet-style routers; ignore them so they cannot hide an endpoint.
        seg = seg.substr(0, seg.find(';'));
        if (seg.empty() || seg == ".") continue;
        if (seg == "..") {
            if (!segs.empty()) segs.pop_back();
            continue;
        }
        segs.emplace_back(seg);
    }
    return segs;
}

// The host of a Host header (or an SNI) as AWS routes it (core/host_pattern: lowercase, no port,
// no trailing dot, "[…]" around IPv6), or "" when it is not a host.
std::string host_of(std::string_view value) {
    auto a = core::parse_authority(detail::trim(value), 443);
    return a ? core::authority_host(a->host) : std::string();
}

enum class body_kind : std::uint8_t { none, form, json, unsupported };

class inspection {
  public:
    inspection(const core::http_request_view& req, const options& opt) : req_(req), opt_(opt) {
        host_ = host_of(req.host.empty() ? req.sni : req.host);
        // A Host that is not a host ("signin.aws.amazon.com..") is denied in run(): the proxy
        // answers 421 before inspection, and `explain` must not call it "no sign-in".
        host_invalid_ = !req.host.empty() && host_.empty();
        // A Host outside AWS on a connection to an AWS name: judge by the name the TLS
        // connection (and so the upstream) is for.
        auto sni = host_of(req.sni);
        if (!aws_name(host_) && aws_name(sni)) host_ = std::move(sni);
        auto target = req.target.substr(0, req.target.find('#'));
        auto q = target.find('?');
        segs_ = path_segments(target.substr(0, q));
        if (q != std::string_view::npos) {
            detail::parse_urlencoded(target.substr(q + 1), "query", params_);
        }
    }

    std::vector<sign_in_attempt> run();

  private:
    // What the request is, from host and path.
    bool signin_host() const { return under(host_, signin_domain); }
    bool aws_host() const { return under(host_, aws_domain); }
    bool last_seg(std::string_view s) const { return !segs_.empty() && segs_.back() == s; }
    bool first_seg(std::string_view s) const { return !segs_.empty() && segs_.front() == s; }
    bool is_post() const { return iequals(req_.method, "POST"); }
    static bool aws_name(std::string_view h) {
        return under(h, aws_domain) || under(h, "amazonaws.com");
    }
    bool has_param(std::initializer_list<std::string_view> names) const {
        return std::any_of(params_.begin(), params_.end(), [&](const param& p) {
            return std::any_of(names.begin(), names.end(),
                               [&](std::string_view n) { return iequals(p.name, n); });
        });
    }

    void read_body(bool signin_path, sign_in_flow flow);
    std::vector<std::string> values(std::initializer_list<std::string_view> names,
                                    std::string* source);

    sign_in_attempt base(sign_in_flow f, auth_phase p, std::string source) const {
        sign_in_attempt a;
        a.flow = f;
        a.phase = p;
        a.host = host_;
        a.source = std::move(source);
        a.client = req_.client;
        a.time = req_.time;
        return a;
    }
    // One unreadable-request attempt per flow is enough to deny; the first reason is kept (an
    // unreadable body also leaves the flow's fields missing, which would only repeat it).
    void fail(sign_in_flow f, auth_phase p, std::string source, std::string why) {
        for (auto& o : out_) {
            if (o.flow == f && !o.parse_error.empty() && !o.account && o.alias.empty()) return;
        }
        auto a = base(f, p, std::move(source));
        a.parse_error = std::move(why);
        out_.push_back(std::move(a));
    }
    void set_account(sign_in_attempt& a, std::string_view value) const;
    void set_role(sign_in_attempt& a, std::string_view role) const {
        a.role_name = std::string(role);
        a.permission_set = core::permission_set_of(role);
    }

    void host_label();
    void iam_user_form();
    void root();
    void saml();
    void identity_center();
    void custom_broker();
    void switch_role();
    void cookies();
    void sigv4();
    void ams();

    const core::http_request_view& req_;
    const options& opt_;
    std::string host_;
    bool host_invalid_ = false;
    std::vector<std::string> segs_;
    std::vector<param> params_;
    body_kind body_ = body_kind::none;
    std::string body_error_;
    bool bad_escape_ = false;
    std::optional<sign_in_attempt> session_;  // from the aws-userInfo cookie, for ams_change
    std::vector<sign_in_attempt> out_;
};

void inspection::read_body(bool signin_path, sign_in_flow flow) {
    if (req_.body.empty()) return;
    auto ctypes = detail::header_values(req_, "content-type");
    std::string_view ctype = ctypes.empty() ? std::string_view{} : ctypes.front();
    // Two different Content-Types: servers disagree on which applies, so neither is trusted.
    bool conflicting = std::any_of(ctypes.begin(), ctypes.end(),
                                   [&](std::string_view c) { return !iequals(c, ctype); });
    auto encodings = detail::header_values(req_, "content-encoding");
    bool encoded = std::any_of(encodings.begin(), encodings.end(), [](std::string_view e) {
        return !detail::trim(e).empty() && !iequals(detail::trim(e), "identity");
    });
    auto body = detail::trim(req_.body);
    if (encoded || conflicting) {
        body_ = body_kind::unsupported;
    } else if (detail::icontains(ctype, "json") || (ctype.empty() && body.starts_with("{"))) {
        body_ = body_kind::json;
    } else if (detail::icontains(ctype, "x-www-form-urlencoded") || ctype.empty()) {
        body_ = body_kind::form;
    } else {
        body_ = body_kind::unsupported;
    }
    if (req_.body_truncated) {
        if (signin_path)
            fail(flow, auth_phase::pre_auth, "body", "request body over the inspection cap");
        body_ = body_kind::unsupported;
        return;
    }
    if (body_ == body_kind::form) {
        detail::parse_urlencoded(req_.body, "form", params_);
    } else if (body_ == body_kind::json) {
        if (auto leaves = detail::scan_json(req_.body)) {
            params_.insert(params_.end(), leaves->begin(), leaves->end());
        } else if (signin_path) {
            fail(flow, auth_phase::pre_auth, "body", "JSON body is not valid JSON");
        }
    } else if (signin_path) {
        fail(flow, auth_phase::pre_auth, "body",
             "request body encoding (Content-Type/Content-Encoding) is not readable");
    }
}

// Distinct non-empty values of the named parameters from query and body; `source` gets
// "<where>:<name>" of the first hit. A malformed escape in a matching parameter is remembered.
std::vector<std::string> inspection::values(std::initializer_list<std::string_view> names,
                                            std::string* source) {
    std::vector<std::string> out;
    for (auto& p : params_) {
        bool match = std::any_of(names.begin(), names.end(),
                                 [&](std::string_view n) { return iequals(p.name, n); });
        if (!match) continue;
        bad_escape_ = bad_escape_ || p.bad_escape;
        auto v = std::string(detail::trim(p.value));
        if (v.empty()) continue;
        if (source && source->empty()) *source = p.where + ":" + p.name;
        if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(std::move(v));
    }
    return out;
}

void inspection::set_account(sign_in_attempt& a, std::string_view value) const {
    // The console prints IDs as 1234-5678-9012 and the sign-in form accepts that spelling.
    std::string digits;
    if (value.size() == 14 && value[4] == '-' && value[9] == '-') {
        digits = std::string(value.substr(0, 4)) + std::string(value.substr(5, 4)) +
                 std::string(value.substr(10));
        value = digits;
    }
    if (auto id = core::account_id::parse(value)) {
        a.account = id;
        return;
    }
    a.alias = detail::lower(value);
    if (auto it = opt_.aliases.find(a.alias); it != opt_.aliases.end()) a.account = it->second;
}

// <account-id-or-alias>.signin.aws.amazon.com (IAM user sign-in URL) and multi-session console
// hosts; from the Host and, when it names another host, the TLS SNI.
void inspection::host_label() {
    std::vector<std::string> hosts{host_};
    if (!req_.sni.empty()) {
        auto sni = host_of(req_.sni);
        if (!sni.empty() && sni != host_) hosts.push_back(std::move(sni));
    }
    for (auto& h : hosts) {
        if (under(h, signin_domain)) {
            auto label = first_label(labels_before(h, signin_domain));
            if (!label.empty() && !is_region(label)) {
                auto a = base(sign_in_flow::iam_user, auth_phase::pre_auth, "host");
                a.host = h;
                set_account(a, label);
                out_.push_back(std::move(a));
            }
        }
        if (auto acct = multi_session_account(h)) {
            auto a = base(sign_in_flow::multi_session, auth_phase::session, "host");
            a.host = h;
            a.account = acct;
            out_.push_back(std::move(a));
        }
    }
}

// IAM user form post (/authenticate, action=iam-user-authentication) and any other sign-in page
// request that names an `account`.
void inspection::iam_user_form() {
    std::string src, usrc;
    auto accounts = values({"account"}, &src);
    auto users = values({"username"}, &usrc);
    bool authenticate = last_seg("authenticate");
    if (accounts.empty()) {
        if (!authenticate || !is_post()) return;
        auto label = first_label(labels_before(host_, signin_domain));
        if (label.empty() || is_region(label)) {
            fail(sign_in_flow::iam_user, auth_phase::pre_auth, "form:account",
                 "IAM user sign-in names no account");
            return;
        }
        accounts.emplace_back(label);
        src = "host";
    }
    if (users.empty()) users.emplace_back();
    for (auto& acct : accounts) {
        for (auto& u : users) {
            auto a = base(sign_in_flow::iam_user, auth_phase::pre_auth, src);
            set_account(a, acct);
            a.user = u;
            out_.push_back(std::move(a));
        }
    }
}

// Root: /signin action=resolveAccountType|authenticateRoot names only an e-mail; the account is
// known after authentication (aws-userInfo).
void inspection::root() {
    auto actions = values({"action"}, nullptr);
    bool is_root = std::any_of(actions.begin(), actions.end(), [](const std::string& a) {
        return iequals(a, "resolveAccountType") || iequals(a, "authenticateRoot");
    });
    if (!is_root) return;
    std::string src;
    auto emails = values({"email"}, &src);
    if (emails.empty()) emails.emplace_back();
    for (auto& e : emails) {
        auto a = base(sign_in_flow::root, auth_phase::pre_auth, src.empty() ? "form:action" : src);
        a.user = e;
        out_.push_back(std::move(a));
    }
}

void inspection::saml() {
    std::string rsrc;
    auto responses = values({"SAMLResponse"}, &rsrc);
    auto chosen = values({"roleIndex"}, nullptr);
    if (responses.empty() && chosen.empty()) {
        if (is_post()) {
            fail(sign_in_flow::saml, auth_phase::pre_auth, "form:SAMLResponse",
                 "SAML sign-in post carries no SAMLResponse");
        }
        return;
    }
    if (responses.size() > 1) {
        fail(sign_in_flow::saml, auth_phase::pre_auth, rsrc,
             "SAML sign-in post carries several different SAMLResponse values");
        return;
    }
    std::optional<saml_read> read;
    if (!responses.empty()) {
        std::string why;
        saml_limits limits;
        limits.max_decoded_bytes = opt_.max_saml_decoded_bytes;
        read = read_saml_response(responses.front(), limits, &why);
        if (!read) {
            fail(sign_in_flow::saml, auth_phase::pre_auth, rsrc, why);
            return;
        }
    }
    if (!chosen.empty()) {
        // The role chooser posts the chosen role's ARN as roleIndex.
        for (auto& arn : chosen) {
            auto a = base(sign_in_flow::saml, auth_phase::pre_auth, "form:roleIndex");
            auto p = core::parse_arn(arn);
            if (!p || p->kind != core::principal_kind::role) {
                a.parse_error = "roleIndex is not an IAM role ARN";
            } else {
                a.account = p->account;
                set_role(a, p->role_name);
            }
            if (read) a.user = read->session_name;
            out_.push_back(std::move(a));
        }
        return;
    }
    for (auto& r : read->roles) {
        auto a = base(sign_in_flow::saml, auth_phase::pre_auth, "saml:Role");
        a.account = r.role.account;
        set_role(a, r.role.role_name);
        a.user = read->session_name;
        out_.push_back(std::move(a));
    }
}

// portal.sso.<region>.amazonaws.com/federation/console|credentials?account_id=&role_name=
void inspection::identity_center() {
    std::string src;
    auto accounts = values({"account_id"}, &src);
    auto roles = values({"role_name"}, nullptr);
    if (accounts.empty()) {
        fail(sign_in_flow::identity_center, auth_phase::pre_auth, "query:account_id",
             "IAM Identity Center federation names no account_id");
        return;
    }
    if (roles.empty()) roles.emplace_back();
    for (auto& acct : accounts) {
        for (auto& r : roles) {
            auto a = base(sign_in_flow::identity_center, auth_phase::pre_auth, src);
            a.account = core::account_id::parse(acct);
            if (!a.account) a.parse_error = "account_id is not a 12-digit account ID";
            a.role_name = r;
            a.permission_set = r;  // IdC federates by permission set name
            out_.push_back(std::move(a));
        }
    }
}

// IAM user guide "Enabling custom identity broker access to the AWS console":
// /federation?Action=getSigninToken&Session={"sessionId":AKID,…}, then Action=login&SigninToken=…
void inspection::custom_broker() {
    auto actions = values({"Action"}, nullptr);
    std::string ssrc;
    auto sessions = values({"Session"}, &ssrc);
    bool get_token = !sessions.empty() || std::any_of(actions.begin(), actions.end(), [](auto& a) {
        return iequals(a, "getSigninToken");
    });
    if (get_token) {
        if (sessions.empty()) {
            fail(sign_in_flow::custom_broker, auth_phase::pre_auth, "query:Session",
                 "getSigninToken carries no Session");
        }
        for (auto& s : sessions) {
            auto leaves = detail::scan_json(s);
            std::vector<std::string> ids;
            if (leaves) {
                for (auto& l : *leaves) {
                    bool seen = std::find(ids.begin(), ids.end(), l.value) != ids.end();
                    if (l.name == "sessionId" && !seen) ids.push_back(l.value);
                }
            }
            if (ids.empty()) {
                fail(sign_in_flow::custom_broker, auth_phase::pre_auth, ssrc,
                     "Session is not JSON with a sessionId");
            }
            for (auto& akid : ids) {
                auto a = base(sign_in_flow::custom_broker, auth_phase::pre_auth, ssrc);
                std::string why;
                a.account = account_from_access_key(akid, &why);
                if (!a.account) a.parse_error = why;
                out_.push_back(std::move(a));
            }
        }
    }
    bool login =
        has_param({"SigninToken"}) ||
        std::any_of(actions.begin(), actions.end(), [](auto& a) { return iequals(a, "login"); });
    if (login) {
        // The sign-in token is opaque: the account is known after sign-in (aws-userInfo).
        out_.push_back(
            base(sign_in_flow::custom_broker, auth_phase::pre_auth, "query:SigninToken"));
    }
}

// /switchrole (GET link or POST form) and multi-session POST /sessions/<id>/v1/switchrole (JSON).
void inspection::switch_role() {
    std::string src;
    auto accounts = values({"account", "accountId", "account_id"}, &src);
    auto roles = values({"roleName", "role_name", "role"}, &src);
    if (accounts.empty() && roles.empty()) {
        if (is_post()) {
            fail(sign_in_flow::switch_role, auth_phase::pre_auth, "form:account",
                 "switch role names no account");
        }
        return;
    }
    if (accounts.empty()) accounts.emplace_back();
    if (roles.empty()) roles.emplace_back();
    for (auto& acct : accounts) {
        for (auto& r : roles) {
            auto a = base(sign_in_flow::switch_role, auth_phase::pre_auth, src);
            if (!acct.empty()) set_account(a, acct);
            if (auto p = core::parse_arn(r); p && p->kind == core::principal_kind::role) {
                set_role(a, p->role_name);
                if (acct.empty()) a.account = p->account;
            } else {
                set_role(a, r);
            }
            if (!a.account && a.alias.empty()) a.parse_error = "switch role names no account";
            out_.push_back(std::move(a));
        }
    }
}

void inspection::cookies() {
    if (!aws_host()) return;
    auto values_ = cookie_values(detail::header_values(req_, "cookie"), "aws-userInfo");
    std::vector<std::string_view> seen;
    for (auto v : values_) {
        if (std::find(seen.begin(), seen.end(), v) != seen.end()) continue;
        seen.push_back(v);
        auto a = base(sign_in_flow::console_session, auth_phase::post_auth, "cookie:aws-userInfo");
        std::string why;
        auto info = parse_user_info_cookie(v, &why);
        if (!info) {
            a.parse_error = why;
        } else {
            auto& p = info->principal;
            a.account = p.account;
            a.alias = detail::lower(info->alias);
            set_role(a, p.role_name);
            a.user = !p.session_name.empty() ? p.session_name
                     : !p.user_name.empty()  ? p.user_name
                                             : info->username;
            if (!session_) session_ = a;
        }
        out_.push_back(std::move(a));
    }
}

// SigV4 (Authorization header, or X-Amz-Credential of a presigned URL): the access key ID.
void inspection::sigv4() {
    std::vector<std::pair<std::string, std::string>> keys;  // akid, source
    for (auto h : detail::header_values(req_, "authorization")) {
        h = detail::trim(h);
        // AWS4-HMAC-SHA256 and SigV4a's AWS4-ECDSA-P256-SHA256 both carry Credential=.
        if (!detail::istarts_with(h, "AWS4-")) continue;
        auto pos = h.find("Credential=");
        if (pos == std::string_view::npos) {
            fail(sign_in_flow::api_credentials, auth_phase::post_auth, "header:authorization",
                 "SigV4 Authorization has no Credential");
            continue;
        }
        auto cred = h.substr(pos + 11);
        keys.emplace_back(std::string(cred.substr(0, cred.find_first_of("/, "))),
                          "header:authorization");
    }
    for (auto& p : params_) {
        if (p.where == "query" && iequals(p.name, "X-Amz-Credential")) {
            keys.emplace_back(p.value.substr(0, p.value.find('/')), "query:X-Amz-Credential");
        }
    }
    std::vector<std::string> seen;
    for (auto& [akid, src] : keys) {
        if (std::find(seen.begin(), seen.end(), akid) != seen.end()) continue;
        seen.push_back(akid);
        auto a = base(sign_in_flow::api_credentials, auth_phase::post_auth, src);
        std::string why;
        a.account = account_from_access_key(akid, &why);
        if (!a.account) a.parse_error = why;
        out_.push_back(std::move(a));
    }
}

// AMS change requests (amscm CreateRfc/UpdateRfc: "ChangeTypeId" in a JSON body) naming a
// guarded change type.
void inspection::ams() {
    if (opt_.ams_change_type_ids.empty()) return;
    std::vector<std::pair<std::string, std::string>> found;  // value, source
    for (auto& p : params_) {
        if (iequals(p.name, "ChangeTypeId")) found.emplace_back(p.value, p.where + ":ChangeTypeId");
    }
    std::string_view xtarget;
    for (auto v : detail::header_values(req_, "x-amz-target")) xtarget = v;
    bool rfc_call = detail::icontains(xtarget, "rfc") || detail::icontains(req_.target, "rfc");
    std::vector<std::string> hits;
    for (auto& [value, src] : found) {
        for (auto& id : opt_.ams_change_type_ids) {
            if (iequals(detail::trim(value), id)) {
                auto a = base(sign_in_flow::ams_change, auth_phase::post_auth, src);
                a.change_type = detail::lower(id);
                hits.push_back(a.change_type);
                out_.push_back(std::move(a));
            }
        }
    }
    if (!rfc_call) return;
    if (req_.body_truncated) {
        fail(sign_in_flow::ams_change, auth_phase::post_auth, "body",
             "change request body over the inspection cap");
        return;
    }
    // Fail closed on shapes we did not parse: a change-request call whose text names a guarded
    // type we did not find structurally.
    for (auto& id : opt_.ams_change_type_ids) {
        auto lid = detail::lower(id);
        if (std::find(hits.begin(), hits.end(), lid) != hits.end()) continue;
        bool in_body = detail::icontains(req_.body, id);
        auto decoded = detail::percent_decode(req_.body, true);
        auto decoded_target = detail::percent_decode(req_.target, true);
        if (in_body || (decoded && detail::icontains(*decoded, id)) ||
            (decoded_target && detail::icontains(*decoded_target, id))) {
            auto a = base(sign_in_flow::ams_change, auth_phase::post_auth, "body");
            a.change_type = lid;
            out_.push_back(std::move(a));
        }
    }
}

std::vector<sign_in_attempt> inspection::run() {
    bool on_signin = signin_host();
    bool is_saml = on_signin && first_seg("saml");
    bool is_federation = on_signin && last_seg("federation");
    bool is_switch = aws_host() && last_seg("switchrole");
    bool is_idc = false;
    if (host_.starts_with("portal.sso.") && host_.ends_with(".amazonaws.com") &&
        segs_.size() >= 2 && segs_[0] == "federation" &&
        (segs_[1] == "console" || segs_[1] == "credentials")) {
        is_idc = true;
    }
    bool body_path = on_signin || is_switch || is_idc;
    auto body_flow = is_saml              ? sign_in_flow::saml
                     : is_federation      ? sign_in_flow::custom_broker
                     : is_switch          ? sign_in_flow::switch_role
                     : is_idc             ? sign_in_flow::identity_center
                     : last_seg("signin") ? sign_in_flow::root
                                          : sign_in_flow::iam_user;
    // The body is read on sign-in paths (fail closed when it cannot be), and for AMS detection.
    read_body(body_path && !req_.body.empty(), body_flow);

    host_label();
    if (is_saml) {
        saml();
    } else if (is_federation) {
        custom_broker();
    } else if (is_switch) {
        switch_role();
    } else if (is_idc) {
        identity_center();
    } else if (on_signin) {
        // Any other sign-in path: the endpoints' own parameters decide, so an unexpected
        // spelling of a path that AWS still routes to an endpoint cannot hide what it carries.
        if (has_param({"SAMLResponse", "roleIndex"})) saml();
        if (has_param({"Session", "SigninToken"})) custom_broker();
        if (has_param({"roleName"})) switch_role();
        root();
        iam_user_form();
    }
    if (host_invalid_) {
        fail(body_flow, auth_phase::pre_auth, "host", "Host header is not a valid host name");
    }
    if (bad_escape_) {
        fail(body_flow, auth_phase::pre_auth, "params",
             "malformed percent-encoding in a sign-in "
             "parameter");
    }
    cookies();
    sigv4();
    ams();
    for (auto& a : out_) {
        if (a.flow == sign_in_flow::ams_change && session_ && !a.account) {
            a.account = session_->account;
            a.alias = session_->alias;
            a.role_name = session_->role_name;
            a.permission_set = session_->permission_set;
            a.user = session_->user;
        }
    }

    // Distinct attempts only.
    auto key = [](const sign_in_attempt& a) {
        return std::tie(a.flow, a.phase, a.host, a.account, a.alias, a.role_name, a.user, a.source,
                        a.change_type, a.parse_error);
    };
    std::vector<sign_in_attempt> unique;
    for (auto& a : out_) {
        bool dup = std::any_of(unique.begin(), unique.end(),
                               [&](const sign_in_attempt& u) { return key(u) == key(a); });
        if (!dup) unique.push_back(std::move(a));
    }
    if (unique.size() > opt_.max_attempts) {
        auto flow = unique.front().flow;
        auto phase = unique.front().phase;
        unique.clear();
        auto a = base(flow, phase, "request");
        a.parse_error = "request names more distinct sign-in values than the cap";
        unique.push_back(std::move(a));
    }
    return unique;
}

}  // namespace

bool is_ams_reserved_role(std::string_view role_name, const options& opt) {
    return std::any_of(opt.ams_reserved_role_prefixes.begin(), opt.ams_reserved_role_prefixes.end(),
                       [&](const std::string& p) { return detail::istarts_with(role_name, p); });
}

std::vector<core::sign_in_attempt> inspect(const core::http_request_view& req, const options& opt) {
    return inspection(req, opt).run();
}

}  // namespace consolegate::inspect
