#include "inspection.hpp"

namespace consolegate::inspect::detail {

void inspection::cookies() {
    if (!aws_host()) return;
    auto headers = detail::header_values(req_, "cookie");
    // An aws-userInfo that a lenient reader finds inside another cookie's value (decoding the
    // header before it splits it, "a=x%3B%20aws-userInfo%3D<other>", or splitting at RFC 2965's
    // ',' too, "a=x, aws-userInfo=<other>"): which session AWS's reader sees is unknown, so the
    // request is refused as read two ways (session 10; before, only the plainly written cookie
    // was judged).
    for (const auto& [name, value] : cookies_a_lenient_reader_finds(headers)) {
        if (!cookie_name_is(name, "aws-userInfo")) continue;
        auto a = base(sign_in_flow::console_session, auth_phase::post_auth, "cookie:aws-userInfo");
        a.parse_error =
            "a lenient reader of the Cookie header (decoding it before it splits it, or splitting "
            "at ',' too) finds an aws-userInfo cookie inside another cookie's value: the request "
            "could be read two ways";
        a.ambiguous_identity = true;
        out_.push_back(std::move(a));
        break;
    }
    auto values_ = cookie_values(headers, "aws-userInfo");
    std::vector<std::string_view> seen;
    for (auto v : values_) {
        if (std::find(seen.begin(), seen.end(), v) != seen.end()) continue;
        seen.push_back(v);
        auto a = base(sign_in_flow::console_session, auth_phase::post_auth, "cookie:aws-userInfo");
        std::string why;
        bool ambiguous = false;
        auto info = parse_user_info_cookie(v, &why, &ambiguous);
        if (!info) {
            a.parse_error = why;
            a.ambiguous_identity = ambiguous;
        } else {
            auto& p = info->principal;
            a.account = p.account;
            set_arn_partition(a, p.partition);
            a.alias = detail::lower(info->alias);
            set_role(a, p.role_name);
            a.user = !p.session_name.empty() ? p.session_name
                     : !p.user_name.empty()  ? p.user_name
                                             : info->username;
            auto same = [&](const sign_in_attempt& s) {
                return s.account == a.account && s.alias == a.alias && s.role_name == a.role_name &&
                       s.user == a.user;
            };
            if (std::none_of(sessions_.begin(), sessions_.end(), same)) sessions_.push_back(a);
        }
        out_.push_back(std::move(a));
    }
}

// SigV4 (Authorization header, or X-Amz-Credential of a presigned URL), and SigV2 (S3's
// "AWS <key>:<signature>", the AWSAccessKeyId of a presigned URL or a Query API call): the access
// key ID. Query-string authentication may also travel in a form body (Query APIs take their
// parameters from either).
void inspection::sigv4() {
    std::vector<std::pair<std::string, std::string>> keys;  // akid, source
    for (auto h : detail::header_values(req_, "authorization")) {
        h = detail::trim(h);
        std::string why2;
        if (auto v2 = sigv2_access_key(h, &why2)) {
            if (v2->empty()) {
                fail(sign_in_flow::api_credentials, auth_phase::post_auth, "header:authorization",
                     why2);
            } else {
                keys.emplace_back(std::move(*v2), "header:authorization");
            }
            continue;
        }
        // AWS4-HMAC-SHA256 and SigV4a's AWS4-ECDSA-P256-SHA256 both carry Credential=.
        if (!detail::istarts_with(h, "AWS4-")) continue;
        std::string why;
        auto creds = sigv4_credentials(h, &why);
        if (creds.empty()) {
            fail(sign_in_flow::api_credentials, auth_phase::post_auth, "header:authorization", why);
            continue;
        }
        for (auto& akid : creds) keys.emplace_back(std::move(akid), "header:authorization");
    }
    for (auto& p : params_) {
        if (p.where != "query" && p.where != "form") continue;
        if (detail::name_is(p.name, "X-Amz-Credential")) {
            keys.emplace_back(p.value.substr(0, p.value.find('/')), p.where + ":X-Amz-Credential");
        } else if (detail::name_is(p.name, "AWSAccessKeyId")) {
            keys.emplace_back(p.value, p.where + ":AWSAccessKeyId");
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
        if (name_is(p.name, "ChangeTypeId")) found.emplace_back(p.value, p.where + ":ChangeTypeId");
    }
    std::string_view xtarget;
    for (auto v : detail::header_values(req_, "x-amz-target")) xtarget = v;
    bool rfc_call = detail::icontains(xtarget, "rfc") || detail::icontains(req_.target, "rfc");
    std::vector<std::string> hits;
    for (auto& [value, src] : found) {
        for (auto& id : opt_.ams_change_type_ids) {
            // Compared as parameter names are (name_is): a value a lenient reader takes for the
            // guarded type (Java's trim() drops "\v", NFKC makes a fullwidth letter ASCII) is
            // that type; before session 10 only case and ASCII white space were ignored, so
            // "ct-1opjmhuddw194\v" passed a call the text search below does not cover.
            if (name_is(value, id)) {
                auto a = base(sign_in_flow::ams_change, auth_phase::post_auth, src);
                a.change_type = detail::lower(id);
                hits.push_back(a.change_type);
                out_.push_back(std::move(a));
            }
        }
    }
    // AMS's change management API (amscm.<region>.amazonaws.com, where a site inspects it) takes
    // change requests under whatever target it names: every call there is read as one, so a body
    // over the cap or undecodable is refused there too. Before session 10 a call whose target
    // named no RFC ("…SubmitChange") with its ChangeTypeId past the cap passed uninspected.
    const bool amscm_host = host_.starts_with("amscm.") && (host_.ends_with(".amazonaws.com") ||
                                                            host_.ends_with(".amazonaws.com.cn"));
    if (!rfc_call && !amscm_host) return;
    if (req_.body_truncated) {
        fail(sign_in_flow::ams_change, auth_phase::post_auth, "body",
             "change request body over the inspection cap");
        return;
    }
    // A body this inspector cannot decode hides the change type from the text search below too;
    // AWS may decode it (SDK request compression, Jackson's encoding detection).
    if (body_undecodable_) {
        fail(sign_in_flow::ams_change, auth_phase::post_auth, "body",
             "change request body in an encoding the gateway does not read");
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

}  // namespace consolegate::inspect::detail
