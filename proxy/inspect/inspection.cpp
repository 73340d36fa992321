#include "inspection.hpp"

#include "consolegate/core/partition.hpp"
#include "surface.hpp"

namespace consolegate::inspect::detail {

bool is_digits(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool iam_name(std::string_view s, std::size_t min, std::size_t max) noexcept {
    return s.size() >= min && s.size() <= max && std::all_of(s.begin(), s.end(), [](char c) {
               return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      std::string_view("_+=,.@-").find(c) != std::string_view::npos;
           });
}

bool printable_ascii(std::string_view s) noexcept {
    return std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
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

core::partition partition_of(std::string_view host) {
    return core::partition_of_host(host).value_or(core::partition::aws);
}

std::string_view signin_domain_of(std::string_view host) {
    return core::sign_in_domain_of(host);
}

std::string_view console_domain_of(std::string_view host) {
    return core::names_of(partition_of(host)).console_domain;
}

std::string_view site_domain_of(std::string_view host) {
    return core::names_of(partition_of(host)).site_domain;
}

// <12 digits>-<suffix>: the multi-session console host label (observed with an 8-character
// suffix; any non-empty [a-z0-9] suffix is accepted so a longer one is never missed). A label
// that starts with twelve digits and then ends or goes on with '-' but has another tail
// ("-", "-ab-cd", "-ab_cd", no suffix) still names that account to a front end that reads the
// digits: it is returned with `odd_shape` set, and judged as unreadable. So is any other label
// that starts with a digit (no console name does but a session's): a front end that reads its
// leading digits as a number (Long.parseLong, parseInt up to the first non-digit) takes
// "0444455556666-…" or "44445555666x-…" for an account of twelve digits with leading zeros,
// which is returned (odd); with more than twelve digits after the zeros it names no account a
// reader could agree on (nullopt, odd). Before session 11 those labels were no sign-in at all.
std::optional<core::account_id> multi_session_account(std::string_view host, bool* odd_shape) {
    if (odd_shape) *odd_shape = false;
    auto console_domain = console_domain_of(host);
    if (!under(host, console_domain)) return std::nullopt;
    auto label = first_label(labels_before(host, console_domain));
    if (label.empty() || label.front() < '0' || label.front() > '9') return std::nullopt;
    auto run = label.substr(0, std::min(label.find_first_not_of("0123456789"), label.size()));
    auto tail = run.size() < label.size() ? label.substr(run.size()) : std::string_view{};
    bool usual = run.size() == 12 && tail.size() > 1 && tail.front() == '-' &&
                 std::all_of(tail.begin() + 1, tail.end(), [](char c) {
                     return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
                 });
    if (odd_shape) *odd_shape = !usual;
    auto significant = run.substr(std::min(run.find_first_not_of('0'), run.size()));
    if (significant.size() > 12) return std::nullopt;
    return core::account_id::parse(std::string(12 - significant.size(), '0') +
                                   std::string(significant));
}

// The host of a Host header (or an SNI) as AWS routes it (core/host_pattern: lowercase, no port,
// no trailing dot, "[…]" around IPv6), or "" when it is not a host.
std::string host_of(std::string_view value) {
    auto a = core::parse_authority(detail::trim(value), 443);
    return a ? core::authority_host(a->host) : std::string();
}

namespace {

// The media type of a Content-Type value, lowercase, without parameters (RFC 9110 §8.3.1):
// "multipart/form-data; boundary=x-www-form-urlencoded" is multipart, whatever its parameters say.
std::string media_type(std::string_view content_type) {
    return detail::lower(detail::trim(content_type.substr(0, content_type.find(';'))));
}

// A charset name that reads the bytes as this inspector does: UTF-8 or its subset US-ASCII.
bool utf8_charset_name(std::string_view name) {
    auto cs = detail::lower(detail::trim(name));
    return cs == "utf-8" || cs == "utf8" || cs == "us-ascii";
}

// Whether every charset parameter of a Content-Type value (RFC 9110 §8.3.3) names UTF-8 or its
// subset US-ASCII, or there is none: the bytes this inspector decodes as UTF-8 are the text the
// server reads. A server that honours the charset (ASP.NET, a servlet's getParameter after
// setCharacterEncoding from the Content-Type) reads "%81%83%83%96%A4%95%A3" under IBM037 as
// "account", which this inspector reads as no parameter at all; UTF-16/32 and Latin-1 change
// names and values the same way. Browsers send form bodies without a charset and fetch/XHR
// with UTF-8.
bool utf8_charset(std::string_view content_type) {
    auto rest = content_type;
    while (!rest.empty()) {
        auto semi = rest.find(';');
        if (semi == std::string_view::npos) break;
        rest.remove_prefix(semi + 1);
        auto param = rest.substr(0, rest.find(';'));
        auto eq = param.find('=');
        if (eq == std::string_view::npos) continue;
        if (detail::lower(detail::trim(param.substr(0, eq))) != "charset") continue;
        auto v = detail::trim(param.substr(eq + 1));
        if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
        if (!utf8_charset_name(v)) return false;
    }
    return true;
}

// JSON media types, exactly: application/json, text/json, the AWS JSON protocols
// (application/x-amz-json-1.0, -1.1) and structured-syntax "+json" (RFC 6839 section 3.1).
// Not any type that merely contains "json" ("application/x-www-form-urlencoded-json" is read as a
// form by a server that matches the prefix): those are unreadable here, so refused on sign-in
// paths.
bool json_media_type(std::string_view t) {
    if (t.starts_with("application/x-www-form-urlencoded")) return false;
    return t == "application/json" || t == "text/json" ||
           t.starts_with("application/x-amz-json-") ||
           (t.starts_with("application/") && t.ends_with("+json"));
}

}  // namespace

bool inspection::signin_host() const {
    return at_signin_address_ || under(host_, signin_domain_of(host_)) ||
           regional_signin_host(host_);
}

void inspection::read_body(bool signin_path, sign_in_flow flow) {
    if (req_.body.empty() && !req_.body_truncated) return;
    auto ctypes = detail::header_values(req_, "content-type");
    std::string ctype = ctypes.empty() ? std::string() : media_type(ctypes.front());
    // Two different Content-Types: servers disagree on which applies, so neither is trusted.
    bool conflicting = std::any_of(ctypes.begin(), ctypes.end(),
                                   [&](std::string_view c) { return media_type(c) != ctype; });
    if (signin_path && conflicting) {
        fail(flow, auth_phase::pre_auth, "header:content-type",
             "several different Content-Types: the body could be read two ways");
    }
    // A multipart body carries form fields AWS may read; this inspector does not parse it.
    if (signin_path && ctype.starts_with("multipart/")) {
        fail(flow, auth_phase::pre_auth, "header:content-type", "multipart body on a sign-in path");
    }
    auto encodings = detail::header_values(req_, "content-encoding");
    bool encoded = std::any_of(encodings.begin(), encodings.end(), [](std::string_view e) {
        return !detail::trim(e).empty() && !iequals(detail::trim(e), "identity");
    });
    bool foreign_charset = std::any_of(ctypes.begin(), ctypes.end(),
                                       [](std::string_view c) { return !utf8_charset(c); });
    auto body = detail::trim(req_.body);
    // Raw NUL bytes or a byte-order mark: UTF-16/32 text, or UTF-8 behind a BOM, which a reader
    // that detects the encoding (Jackson does, for JSON) or drops the mark (.NET's StreamReader)
    // reads as other names and values than this inspector does ("\uFEFFaccount").
    bool not_plain_utf8 = req_.body.find('\0') != std::string_view::npos ||
                          req_.body.starts_with("\xEF\xBB\xBF") ||
                          req_.body.starts_with("\xFE\xFF") || req_.body.starts_with("\xFF\xFE");
    // A multipart body's parts may be base64 or quoted-printable (Content-Transfer-Encoding), or
    // carry a charset of their own: its bytes are not the text they encode either (session 10;
    // a change type in a base64 part escaped the AMS text search).
    body_undecodable_ =
        encoded || foreign_charset || not_plain_utf8 || ctype.starts_with("multipart/");
    if (encoded || conflicting || foreign_charset || not_plain_utf8) {
        body_ = body_kind::unsupported;
    } else if (json_media_type(ctype) || (ctype.empty() && body.starts_with("{"))) {
        body_ = body_kind::json;
    } else if (ctype == "application/x-www-form-urlencoded" || ctype.empty()) {
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
    if (body_ == body_kind::form && signin_path &&
        (body.starts_with("{") || body.starts_with("[")) && detail::scan_json(body)) {
        // A form body that is also a JSON document: a JSON endpoint that does not check the
        // Content-Type reads other fields than the form reading here ('&' inside a string).
        fail(flow, auth_phase::pre_auth, "body",
             "form body is also a JSON document: the body could be read two ways");
        body_ = body_kind::unsupported;
        return;
    }
    if (body_ == body_kind::form && signin_path && req_.body.find(';') != std::string_view::npos) {
        // As in the query: ';' separates parameters for some readers of a form body (Python's
        // parse_qs before 3.9.2, old CGI libraries); browsers always encode it (%3B).
        fail(flow, auth_phase::pre_auth, "body",
             "';' in a sign-in form body: the parameters could be read two ways");
    }
    if (body_ == body_kind::form) {
        detail::parse_urlencoded(req_.body, "form", params_);
        read_decoded_then_split(req_.body, "form");
    } else if (body_ == body_kind::json) {
        if (auto leaves = detail::scan_json(req_.body)) {
            params_.insert(params_.end(), leaves->begin(), leaves->end());
        } else if (signin_path) {
            fail(flow, auth_phase::pre_auth, "body", "JSON body is not valid JSON");
        }
    } else if (signin_path) {
        fail(flow, auth_phase::pre_auth, "body",
             "request body encoding (Content-Type/Content-Encoding/charset, UTF-16/32 or a "
             "byte-order mark) is not readable");
    }
}

namespace {

// Every parameter name a flow of the inspector reads (pre_auth_flows.cpp, post_auth_flows.cpp,
// surface.cpp), for the decode-then-split reading: a field hidden there is one some flow judges.
constexpr std::array<std::string_view, 22> sign_in_fields{
    "account",      "accountId",        "account_id",     "username",     "roleName",   "role_name",
    "role",         "roleArn",          "role_arn",       "SAMLResponse", "roleIndex",  "Session",
    "SigninToken",  "Action",           "email",          "grantType",    "grant_type", "startUrl",
    "ChangeTypeId", "X-Amz-Credential", "AWSAccessKeyId", "sessionId"};

}  // namespace

void inspection::read_decoded_then_split(std::string_view text, std::string_view where) {
    for (auto& [name, value] : decoded_then_split_only(text, '&', true, false)) {
        // A structured binding is named through a reference: clang before 16 (the fuzz build's)
        // cannot capture one in a lambda.
        const auto& read = name;
        auto field = std::find_if(sign_in_fields.begin(), sign_in_fields.end(),
                                  [&](std::string_view f) { return name_is(read, f); });
        if (field == sign_in_fields.end()) continue;
        if (hidden_.empty()) hidden_ = std::string(*field);
        param p;
        p.name = name;
        p.value = value;
        p.where = std::string(where);
        params_.push_back(std::move(p));
    }
}

void inspection::read_path_parameters(std::string_view raw_path) {
    while (!raw_path.empty()) {
        auto slash = raw_path.find('/');
        auto seg = raw_path.substr(0, slash);
        raw_path =
            slash == std::string_view::npos ? std::string_view{} : raw_path.substr(slash + 1);
        auto semi = seg.find(';');
        if (semi == std::string_view::npos) continue;
        for (auto rest = seg.substr(semi + 1); !rest.empty();) {
            auto next = rest.find(';');
            auto piece = rest.substr(0, next);
            rest = next == std::string_view::npos ? std::string_view{} : rest.substr(next + 1);
            if (piece.empty()) continue;
            auto eq = piece.find('=');
            auto raw_value =
                eq == std::string_view::npos ? std::string_view{} : piece.substr(eq + 1);
            param p;
            p.where = "path";
            auto n = percent_decode(piece.substr(0, eq), false);
            auto v = percent_decode(raw_value, false);
            p.bad_escape = !n || !v;
            p.name = n ? std::move(*n) : std::string(piece.substr(0, eq));
            p.value = v ? std::move(*v) : std::string(raw_value);
            params_.push_back(std::move(p));
        }
    }
}

// `source` gets "<where>:<name>" of the first hit. A malformed escape in a matching parameter is
// remembered. Query, form and JSON are one field: a query naming one account and a body naming
// another is as ambiguous as a repeat within the body (AWS's handlers read the query, the body or
// both, which one is not documented).
std::vector<std::string> inspection::values(std::initializer_list<std::string_view> names,
                                            std::string* source) {
    std::vector<std::string> out;
    // The first value seen under each of `names`.
    std::vector<std::optional<std::string>> first(names.size());
    for (auto& p : params_) {
        auto n = std::find_if(names.begin(), names.end(),
                              [&](std::string_view w) { return name_is(p.name, w); });
        if (n == names.end()) continue;
        bad_escape_ = bad_escape_ || p.bad_escape;
        inexact_ = inexact_ || p.inexact;
        not_text_ = not_text_ || p.not_text;
        auto v = std::string(detail::trim(p.value));
        if (v.empty()) continue;
        if (source && source->empty()) *source = source_of(p);
        auto& seen = first[std::size_t(n - names.begin())];
        if (!seen) {
            seen = v;
        } else if (*seen != v && ambiguous_.empty()) {
            ambiguous_ = std::string(*n);
        }
        if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(std::move(v));
    }
    return out;
}

void inspection::refuse_ambiguous() {
    if (ambiguous_.empty() && hidden_.empty()) return;
    std::string why =
        !ambiguous_.empty()
            ? "the request gives " + ambiguous_ +
                  " several different values (query, body, a repeat, a JSON key given "
                  "twice, or two names of one thing): which one AWS reads is unknown"
            : "a reader that percent-decodes before it splits finds " + hidden_ +
                  " inside another parameter's value: the request could be read two ways";
    for (auto& a : out_) {
        if (a.phase != auth_phase::pre_auth || !a.parse_error.empty()) continue;
        a.parse_error = why;
        a.ambiguous_identity = true;
    }
}

std::optional<core::account_id> account_number_reading(std::string_view s) {
    if (!is_digits_and_dashes(s)) return std::nullopt;
    std::string digits;
    for (char c : s) {
        if (c != '-') digits += c;
    }
    auto significant = digits.substr(std::min(digits.find_first_not_of('0'), digits.size()));
    if (significant.size() > 12) return std::nullopt;
    return core::account_id::parse(std::string(12 - significant.size(), '0') + significant);
}

std::vector<std::string> account_readings(std::vector<std::string> values) {
    std::vector<std::string> out;
    auto add = [&](std::string v) {
        if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(std::move(v));
    };
    for (auto& v : values) {
        // The console prints IDs as 1234-5678-9012 and the sign-in form accepts that spelling;
        // it is also a valid alias (IAM CreateAccountAlias: [a-z0-9] and single '-'), which any
        // account may hold, and which of the two AWS takes is not documented: both are judged.
        if (console_dashed_id(v)) {
            add(v.substr(0, 4) + v.substr(5, 4) + v.substr(10));
        }
        add(std::move(v));
    }
    return out;
}

void inspection::set_account(sign_in_attempt& a, std::string_view value) const {
    if (auto id = core::account_id::parse(value)) {
        a.account = id;
        return;
    }
    a.alias = detail::lower(value);
    // The console's dashed spelling is read both ways by account_readings (its ID beside it).
    auto number = console_dashed_id(a.alias) ? std::nullopt : account_number_reading(a.alias);
    if (number) {
        // Digits (with dashes) that are not an account ID: IAM's alias syntax admits them
        // ("11112222333", "0111122223333", "11112222-3333"), and AWS documents neither whether
        // an all-digit alias is refused nor whether the sign-in page reads such a value as an
        // account number, dashes dropped and leading zeros added or dropped (as it reads
        // 1111-2222-3333). Judged as an alias nobody listed, a rule without an account
        // selector could allow what AWS signs in to as account 011112222333. The account a
        // number reading names is kept for the record (none past twelve significant digits).
        a.account = *number;
        if (a.parse_error.empty()) {
            a.parse_error =
                "account is digits but not a 12-digit account ID: AWS may read it as an account "
                "number (leading zeros added or dropped) or as an alias, which one is unknown";
        }
        return;
    }
    if (!console_dashed_id(a.alias) && is_digits_and_dashes(a.alias)) {
        if (a.parse_error.empty()) {
            a.parse_error =
                "account is digits but not a 12-digit account ID, and names no account as a "
                "number: AWS's reading is unknown";
        }
        return;
    }
    if (!core::is_account_alias(a.alias)) {
        // Fullwidth or Arabic-Indic digits, a NUL, inner spaces, an ARN, a sign (the JSON number
        // -111122223333, "+111122223333"), a leading, trailing or doubled '-', under 3 characters:
        // no alias IAM allows, so AWS may read an account in it (Java's Long.parseLong takes a
        // sign and digits of any script; trim() drops NUL) or refuse it. Before, the lenient
        // syntax here took "-111122223333" for an alias nobody listed.
        if (a.parse_error.empty()) {
            a.parse_error =
                "account is neither a 12-digit account ID nor an account alias: "
                "AWS's reading is unknown";
        }
        return;
    }
    // The alias map is the commercial partition's: an alias is unique only within a partition,
    // so on a GovCloud or China host it names an account the map does not know (core/policy.hpp).
    if (partition_of(host_) != core::partition::aws) return;
    if (auto it = opt_.aliases.find(a.alias); it != opt_.aliases.end()) a.account = it->second;
}

std::string inspection::account_as_read(const std::string& value) const {
    sign_in_attempt named;
    set_account(named, account_readings({value}).front());
    return named.account ? named.account->str() : named.alias;
}

std::vector<sign_in_attempt> inspection::run() {
    bool on_signin = signin_host();
    bool is_saml = on_signin && first_seg("saml");
    bool is_federation = on_signin && last_seg("federation");
    // On a console host no catch-all reading follows (the sign-in hosts have one, below), so the
    // path is matched as a lenient router matches it.
    bool is_switch =
        (aws_host() || on_signin) && !segs_.empty() && segment_is(segs_.back(), "switchrole");
    // The access portal's federation path at a sign-in address under another name is judged as
    // the portal's (the portals share front ends with names the gateway cannot list).
    // Also a path a lenient router takes for /federation/console or /federation/credentials
    // (segment_is), anywhere in the path (a version prefix). identity_center() judges every such
    // path as credentials.
    bool federation_path = names_federation(segs_);
    bool is_idc = (core::is_access_portal_api_host(host_) || at_signin_address_) && federation_path;
    // The path as a server reads it that decodes it before it looks for '?' or '#' (up to the
    // first encoded one): an endpoint there is refused as read two ways, since this reading
    // (segs_) took the rest for part of the last segment and saw no endpoint.
    bool alt_switch = false, alt_federation = false;
    if (auto cut =
            first_encoded_delimiter(req_.target.substr(0, req_.target.find_first_of("?#")))) {
        auto alt = path_segments(req_.target.substr(0, *cut));
        alt_switch =
            (aws_host() || on_signin) && !alt.empty() && segment_is(alt.back(), "switchrole");
        alt_federation =
            (core::is_access_portal_api_host(host_) || at_signin_address_) && names_federation(alt);
    }
    auto surface = classify_surface(host_, segs_, on_signin);
    bool body_path = on_signin || is_switch || is_idc || surface != surface_endpoint::none;
    auto body_flow = surface != surface_endpoint::none            ? flow_of(surface)
                     : is_saml                                    ? sign_in_flow::saml
                     : is_federation                              ? sign_in_flow::custom_broker
                     : is_switch                                  ? sign_in_flow::switch_role
                     : is_idc                                     ? sign_in_flow::identity_center
                     : last_seg("signin") || root_recovery_path() ? sign_in_flow::root
                                                                  : sign_in_flow::iam_user;
    // The body is read on sign-in paths (fail closed when it cannot be), and for AMS detection.
    // A body cut at the cap is judged however little of it was kept (proxy.max_inspect_body may
    // keep none of it): an unread body on a sign-in path fails closed.
    read_body(body_path && (!req_.body.empty() || req_.body_truncated), body_flow);

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
        // Every name the switch-role reader knows for an account or a role ARN, not only
        // roleName: an endpoint AWS adds that takes accountId or roleArn is still judged.
        if (has_param({"roleName", "accountId", "account_id", "roleArn", "role_arn"}))
            switch_role();
        root();
        iam_user_form();
        oauth_sign_in();
    }
    if (host_invalid_) {
        fail(body_flow, auth_phase::pre_auth, "host", "Host header is not a valid host name");
    }
    // Requests the origin could read otherwise than this inspector did: each its own reason.
    if (hosts_ > 1) {
        fail(body_flow, auth_phase::pre_auth, "header:host",
             "several Host headers (or a Host trailer): the host could be read two ways");
    }
    if (fragment_) {
        fail(body_flow, auth_phase::pre_auth, "target",
             "request target contains '#': the path could be read two ways");
    }
    if (path_ambiguous_ && (body_path || alt_switch || alt_federation)) {
        fail(body_path    ? body_flow
             : alt_switch ? sign_in_flow::switch_role
                          : sign_in_flow::identity_center,
             auth_phase::pre_auth, "path",
             "encoded '/', '\\', '?', '#', ';' or dot-segment in a sign-in path: the path could "
             "be read two ways");
    }
    // Headers some servers and frameworks take as the request's target or host (Symfony, Zend
    // and IIS's URL Rewrite read X-Original-URL and X-Rewrite-URL as the path; many frameworks
    // take X-Forwarded-Host or X-Host as the host): a browser never sends them, and a server
    // honouring one reads another endpoint or account label than this inspector judged.
    if (body_path || aws_host()) {
        for (std::string_view h : {"x-original-url", "x-rewrite-url"}) {
            if (!detail::header_values(req_, h).empty()) {
                fail(body_flow, auth_phase::pre_auth, "header:" + std::string(h),
                     "a header that names another request target: the request could be read two "
                     "ways");
            }
        }
        for (std::string_view h : {"x-forwarded-host", "x-host", "x-original-host"}) {
            for (auto v : detail::header_values(req_, h)) {
                if (host_of(v.substr(0, v.find(','))) != host_ || v.find(',') != v.npos) {
                    fail(body_flow, auth_phase::pre_auth, "header:" + std::string(h),
                         "a header that names another host: the request could be read two ways");
                }
            }
        }
    }
    // Trailer fields after a sign-in body: no browser sends them (neither fetch nor a form can),
    // and a server may read them as header fields (Beast, and so this inspector, does: a Host or
    // Content-Type there is judged), expose them apart (Tomcat's getTrailerFields, Go's
    // Request.Trailer, Node's req.trailers) for a handler to read as it likes, or drop them.
    // Which of those AWS does is not documented, so what they could change (the body's type or
    // encoding, the fields a handler binds) is not known: refused, never judged as dropped.
    if (req_.trailers && body_path) {
        fail(body_flow, auth_phase::pre_auth, "trailer",
             "trailer fields after a sign-in request's body: whether AWS reads them (as header "
             "fields, as the endpoint's fields, or not at all) is unknown");
    }
    // HTML's form-encoding field (HTML "URL-encoded form data": a hidden control named
    // _charset_ carries the encoding the browser used), by which a server may decode the other
    // parameters (Apache Sling does): one naming another charset than UTF-8 changes names and
    // values as a charset parameter of the Content-Type does (utf8_charset).
    if (body_path) {
        for (const auto& p : params_) {
            if (name_is(p.name, "_charset_") && !utf8_charset_name(p.value)) {
                fail(body_flow, auth_phase::pre_auth, source_of(p),
                     "the request names a charset other than UTF-8 in _charset_: the parameters "
                     "could be read two ways");
                break;
            }
        }
    }
    if (query_semicolon_ && body_path) {
        fail(body_flow, auth_phase::pre_auth, "query",
             "';' in a sign-in query: the parameters could be read two ways");
    }
    if (inexact_) {
        fail(body_flow, auth_phase::pre_auth, "json",
             "a sign-in field is a JSON number that is not an integer");
    }
    if (not_text_) {
        fail(body_flow, auth_phase::pre_auth, "json",
             "a sign-in field is a JSON object, true, false or null: AWS's reading is unknown");
    }
    // A sign-in field inside another parameter's encoded '&' or '=' on a sign-in path: refused
    // even where no flow read it, as ';' in the query is (the request reads two ways).
    if (!hidden_.empty() && body_path) {
        if (auto* a = fail(body_flow, auth_phase::pre_auth, "params",
                           "a reader that percent-decodes before it splits finds " + hidden_ +
                               " inside another parameter's value: the request could be read "
                               "two ways")) {
            a->ambiguous_identity = true;
        }
    }
    if (bad_escape_) {
        fail(body_flow, auth_phase::pre_auth, "params",
             "malformed percent-encoding in a sign-in "
             "parameter");
    }
    refuse_ambiguous();
    cookies();
    read_surface(surface, params_, segs_, base(body_flow, auth_phase::pre_auth, ""), sessions_,
                 out_);
    sigv4();
    ams();
    // A change request acts in the console session: one attempt per identity the cookies name
    // (before: the first cookie's alone, so a second session's account escaped the guardrail).
    std::vector<sign_in_attempt> changes;
    for (auto it = out_.begin(); it != out_.end();) {
        if (it->flow == sign_in_flow::ams_change && !it->account && !sessions_.empty()) {
            for (const auto& s : sessions_) {
                auto a = *it;
                take_session_identity(a, s);
                changes.push_back(std::move(a));
            }
            it = out_.erase(it);
        } else {
            ++it;
        }
    }
    out_.insert(out_.end(), changes.begin(), changes.end());

    // A role or session ARN of another partition than the host's: AWS acts on its own
    // partition's principals only, so what it would do with this one is unknown (issue 19).
    const auto host_partition = partition_of(host_);
    for (auto& a : out_) {
        if (a.aws_partition != host_partition && a.parse_error.empty()) {
            a.parse_error = "names partition " + std::string(core::to_string(a.aws_partition)) +
                            " on a host of " + std::string(core::to_string(host_partition));
        }
        a.aws_partition = host_partition;
    }

    // Distinct attempts only.
    auto key = [](const sign_in_attempt& a) {
        return std::tie(a.flow, a.phase, a.host, a.account, a.alias, a.role_name, a.permission_set,
                        a.user, a.source, a.change_type, a.idc_instance, a.parse_error);
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

}  // namespace consolegate::inspect::detail
