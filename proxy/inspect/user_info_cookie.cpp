#include "consolegate/inspect/user_info_cookie.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "json_scan.hpp"
#include "params.hpp"

namespace consolegate::inspect {
namespace {

void set_why(std::string* why, std::string text) {
    if (why) *why = std::move(text);
}

std::string string_field(const boost::json::object& o, std::string_view key) {
    auto* v = o.if_contains(boost::json::string_view(key.data(), key.size()));
    if (!v || !v->is_string()) return {};
    auto& s = v->get_string();
    return std::string(s.data(), s.size());
}

}  // namespace

std::optional<user_info> parse_user_info_cookie(std::string_view value, std::string* why,
                                                bool* ambiguous) {
    if (value.size() > max_user_info_cookie) {
        set_why(why, "aws-userInfo cookie is over the size cap");
        return std::nullopt;
    }
    // RFC 6265 section 4.1.1 allows a cookie-value in double quotes.
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
    }
    // The console writes it with encodeURIComponent: '+' is a literal plus.
    auto json_text = detail::percent_decode(value, false);
    if (!json_text) {
        set_why(why, "aws-userInfo cookie is not valid percent-encoding");
        return std::nullopt;
    }
    boost::system::error_code ec;
    boost::json::parse_options po;
    po.max_depth = 8;
    auto jv = boost::json::parse(*json_text, ec, {}, po);
    if (ec || !jv.is_object()) {
        set_why(why, "aws-userInfo cookie is not a JSON object");
        return std::nullopt;
    }
    // Boost.JSON keeps the last of repeated keys, a browser's or AWS's reader may keep the
    // first: a repeated key is two readings of who the session is (issue 20).
    if (auto key = detail::repeated_json_key(*json_text, 8)) {
        set_why(why, "aws-userInfo cookie repeats the key \"" + key->substr(0, 64) +
                         "\": it could be read two ways");
        if (ambiguous) *ambiguous = true;
        return std::nullopt;
    }
    auto& o = jv.get_object();
    // The same name in another case ("arn" and "Arn"): a reader matching names
    // case-insensitively (Jackson's ACCEPT_CASE_INSENSITIVE_PROPERTIES) may take either value.
    std::vector<std::string> names;
    for (const auto& kv : o) {
        auto name = detail::lower(std::string_view(kv.key().data(), kv.key().size()));
        if (std::find(names.begin(), names.end(), name) != names.end()) {
            set_why(why, "aws-userInfo cookie repeats the key \"" + name.substr(0, 64) +
                             "\" in another case: it could be read two ways");
            if (ambiguous) *ambiguous = true;
            return std::nullopt;
        }
        names.push_back(std::move(name));
    }
    // A field under two names a lenient reader takes for it ("arn" and "arn " or "\u00A0arn",
    // which a trimming reader reads as arn; "ARN"): as a repeated key, two readings of who the
    // session is (session 10; only the case was compared).
    for (std::string_view field : {"arn", "alias", "username", "issuer", "signinType"}) {
        std::size_t named = 0;
        for (const auto& kv : o) {
            if (detail::name_is(std::string_view(kv.key().data(), kv.key().size()), field)) {
                ++named;
            }
        }
        if (named > 1) {
            set_why(why, "aws-userInfo cookie names " + std::string(field) +
                             " under two keys a lenient reader takes for it: it could be read "
                             "two ways");
            if (ambiguous) *ambiguous = true;
            return std::nullopt;
        }
    }
    user_info out;
    out.arn = string_field(o, "arn");
    out.alias = string_field(o, "alias");
    out.username = string_field(o, "username");
    out.issuer = string_field(o, "issuer");
    out.signin_type = string_field(o, "signinType");
    auto p = core::parse_arn(out.arn);
    if (!p) {
        set_why(why, out.arn.empty() ? "aws-userInfo cookie has no arn"
                                     : "aws-userInfo cookie has an arn that is not an IAM/STS "
                                       "principal");
        return std::nullopt;
    }
    // Who a console session is: root, an IAM user, an assumed-role session, a federated user
    // (its name has no path). A role or SAML provider ARN is a resource, never a session's
    // principal: AWS's reading of such a cookie is unknown.
    using core::principal_kind;
    bool principal =
        p->kind == principal_kind::root || p->kind == principal_kind::iam_user ||
        p->kind == principal_kind::assumed_role ||
        (p->kind == principal_kind::federated_user && p->user_name.find('/') == std::string::npos);
    if (!principal) {
        set_why(why,
                "aws-userInfo cookie has an arn that is not a console principal (root, IAM "
                "user, assumed-role session, federated user)");
        return std::nullopt;
    }
    out.principal = std::move(*p);
    return out;
}

bool cookie_name_is(std::string_view name, std::string_view wanted) noexcept {
    return detail::name_is(name, wanted);
}

std::vector<std::string_view> cookie_values(const std::vector<std::string_view>& cookie_headers,
                                            std::string_view name) {
    std::vector<std::string_view> out;
    for (auto header : cookie_headers) {
        while (!header.empty()) {
            auto semi = header.find(';');
            auto pair = detail::trim(header.substr(0, semi));
            header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
            auto eq = pair.find('=');
            if (eq == std::string_view::npos) continue;
            if (cookie_name_is(pair.substr(0, eq), name)) {
                out.push_back(detail::trim(pair.substr(eq + 1)));
            }
        }
    }
    return out;
}

std::vector<std::pair<std::string, std::string>> cookies_a_lenient_reader_finds(
    const std::vector<std::string_view>& cookie_headers) {
    std::vector<std::pair<std::string, std::string>> out;
    auto add = [&](std::vector<std::pair<std::string, std::string>> found) {
        for (auto& p : found) {
            if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(std::move(p));
        }
    };
    for (auto header : cookie_headers) {
        add(detail::decoded_then_split_only(header, ';', false, true));
        // RFC 2965's ',' between cookies, which Tomcat's legacy cookie processor and Jetty's
        // RFC 2965 mode still split at: "x=1, aws-userInfo=<other>" is two cookies there.
        if (header.find(',') != std::string_view::npos) {
            std::string commas(header);
            std::replace(commas.begin(), commas.end(), ',', ';');
            add(detail::split_only_in(commas, header, ';', false, true));
        }
    }
    return out;
}

}  // namespace consolegate::inspect
