#include "session_binding.hpp"

#include <algorithm>

#include "consolegate/core/glob.hpp"
#include "consolegate/core/host_pattern.hpp"
#include "consolegate/core/idc_user.hpp"
#include "consolegate/core/principal.hpp"
#include "consolegate/inspect/user_info_cookie.hpp"
#include "session_learning.hpp"
#include "session_table.hpp"

namespace consolegate::app {
namespace {

using core::auth_phase;
using core::session_binding;
using core::sign_in_attempt;
using core::sign_in_flow;

constexpr std::string_view binding_source_name = "session-binding";
// The source the inspector gives /v1/authorize without a session (proxy/inspect/surface.cpp).
constexpr std::string_view inspect_authorize_source = "path:/v1/authorize";

// A pre-auth attempt of a flow that begins a new console session: the request is about the
// session it asks for, not about the one its cookies may still name.
bool starts_a_session(const sign_in_attempt& a) {
    if (a.phase != auth_phase::pre_auth) return false;
    switch (a.flow) {
        case sign_in_flow::iam_user:
        case sign_in_flow::root:
        case sign_in_flow::saml:
        case sign_in_flow::identity_center:
        case sign_in_flow::custom_broker: return true;
        default: return false;
    }
}

// As the inspector reads the aws-userInfo cookie's name (inspect::cookie_name_is): a server that
// reads cookie names case-insensitively may take AWS-CREDS for the session's aws-creds, and one
// that trims them (Node's `cookie`: JavaScript's trim()) "\xC2\xA0aws-creds", "\vaws-creds" or
// a name behind a byte-order mark (AWS's reading is unknown), so such a cookie is judged as one.
// Before session 10 only the case was ignored: a session cookie behind a byte request_cookies
// does not trim passed as no session cookie at all.
bool is_session_cookie(std::string_view name) {
    return std::any_of(
        session_cookie_names.begin(), session_cookie_names.end(),
        [&](std::string_view known) { return inspect::cookie_name_is(name, known); });
}

// The binding's identity on an attempt (the inspector's role → permission set rule kept).
void take_identity(sign_in_attempt& a, const session_identity& id) {
    a.account = id.account;
    a.role_name = id.role_name;
    a.permission_set = core::permission_set_of(id.role_name);
    a.user = id.aws_user;
    a.binding = session_binding::bound;
    // The session's console requests are also judged as the sign-in that established it
    // (core/policy.hpp, "Flows"); cli-sign-in and ams-change keep their own flow.
    if (a.flow == sign_in_flow::console_session) {
        a.also_flows = id.flows;
        a.also_flows_either = id.flows_either;
    }
}

bool agrees(const sign_in_attempt& a, const session_identity& id) {
    return a.account == id.account && a.role_name == id.role_name && a.user == id.aws_user;
}

sign_in_attempt session_attempt(const std::vector<sign_in_attempt>& attempts,
                                const core::http_request_view& req, session_binding b) {
    sign_in_attempt a;
    a.flow = sign_in_flow::console_session;
    a.phase = auth_phase::post_auth;
    a.source = std::string(binding_source_name);
    a.binding = b;
    a.time = req.time;
    if (!attempts.empty()) {  // the host as the inspector normalised it
        a.host = attempts.front().host;
    } else if (auto h = core::parse_authority(req.host, 443)) {
        a.host = h->host;
    }
    return a;
}

// aws login's browser step (/v1/authorize) on a request without a readable aws-userInfo: the
// inspector could name no account, but AWS authorizes the CLI for the console session the
// request's cookies carry, so a bound session decides it as if the cookie had named it.
bool authorize_without_identity(const sign_in_attempt& a) {
    return a.flow == sign_in_flow::cli_sign_in && a.phase == auth_phase::pre_auth &&
           a.parse_error.empty() && !a.account && a.alias.empty() &&
           a.source == inspect_authorize_source;
}

}  // namespace

bool identity_from_session(const sign_in_attempt& a) {
    if (a.phase != auth_phase::post_auth) return false;
    switch (a.flow) {
        case sign_in_flow::console_session: return a.source == "cookie:aws-userInfo";
        case sign_in_flow::cli_sign_in:
            return true;  // post-auth only with a session
        // Copied from the session when the request has one; a change request alone names none.
        case sign_in_flow::ams_change: return a.account.has_value() || !a.alias.empty();
        default: return false;
    }
}

bool same_person(std::string_view a, std::string_view b, const std::vector<std::string>& realms) {
    if (a.empty() || b.empty()) return false;
    if (core::iequals(a, b)) return true;
    auto sa = core::site_name_of(a, realms), sb = core::site_name_of(b, realms);
    return sa && sb && !sa->empty() && core::iequals(*sa, *sb);
}

void judge_opened_by(sign_in_attempt& a, std::string_view opener, std::string_view presenter,
                     const std::vector<std::string>& realms) {
    if (opener.empty()) return;  // not known: judged as before
    // Fail closed on a presenter nobody could name: the person who opened the session is known,
    // and a request the gateway cannot show to be theirs is not judged on their session (else a
    // copied jar is replayed from wherever identity is weakest: an address the map does not
    // know, a tunnel without the header).
    a.session_corp_user = std::string(opener);
    if (!same_person(opener, presenter, realms)) a.binding = session_binding::other_user;
}

void judge_session_user(std::vector<sign_in_attempt>& attempts, std::string_view opener,
                        std::string_view presenter, const std::vector<std::string>& realms) {
    for (auto& a : attempts) {
        bool of_session = a.binding == session_binding::bound ||
                          (a.binding == session_binding::not_checked && identity_from_session(a));
        if (of_session) judge_opened_by(a, opener, presenter, realms);
    }
}

void check_session_binding(std::vector<sign_in_attempt>& attempts,
                           const core::http_request_view& req, const session_table& table,
                           core::unbound_session_action unbound,
                           const std::vector<std::string>& realms) {
    auto cookies = request_cookies(req);
    auto found = table.lookup(cookies, req.time);
    bool session_cookies = false, unknown_beside_known = false;
    // A session cookie the request presents; `judged_by_content`: the plainly written
    // aws-userInfo, judged by its content (forged or not) below, not as a cookie the binding knows.
    auto presents = [&](std::string_view name, std::string_view value, bool judged_by_content) {
        if (!is_session_cookie(name) || value.size() < session_table::min_token_chars) return;
        session_cookies = true;
        if (found.state == session_table::binding_state::bound && !judged_by_content &&
            !table.knows(name, value, req.time)) {
            unknown_beside_known = true;
        }
    };
    for (const auto& [name, value] : cookies) presents(name, value, name == "aws-userInfo");
    // A session cookie that a lenient reader of the Cookie header (decoding it before it splits
    // it, splitting at RFC 2965's ',' too) finds inside another cookie's value is a session
    // cookie the request presents to that reader: beside a bound jar it is one the binding does
    // not know, alone it is a session (session 10).
    std::vector<std::string_view> cookie_headers;
    for (const auto& [name, value] : req.headers) {
        if (core::iequals(name, "cookie")) cookie_headers.push_back(value);
    }
    for (const auto& [name, value] : inspect::cookies_a_lenient_reader_finds(cookie_headers)) {
        presents(name, value, false);
    }
    bool from_session = std::any_of(attempts.begin(), attempts.end(), identity_from_session);
    if (!from_session && !session_cookies && found.state == session_table::binding_state::unbound) {
        return;  // no console session in sight: static assets, sign-in pages
    }
    bool new_session = std::any_of(attempts.begin(), attempts.end(), starts_a_session);
    bool has_console_attempt = false;
    for (const auto& a : attempts) {
        if (a.flow == sign_in_flow::console_session && identity_from_session(a)) {
            has_console_attempt = true;
        }
    }

    // A multi-session console host names the account of the session it serves: cookies bound
    // to another account are not that session's (what AWS serves there is unknown), e.g. a
    // session's own host cookies spliced beside a jar bound to an allowed account.
    bool host_of_another_account =
        found.state == session_table::binding_state::bound &&
        std::any_of(attempts.begin(), attempts.end(), [&](const sign_in_attempt& a) {
            return a.flow == sign_in_flow::multi_session && a.account &&
                   *a.account != found.identity.account;
        });
    if (found.state == session_table::binding_state::conflicting || unknown_beside_known ||
        host_of_another_account) {
        for (auto& a : attempts) {
            if (identity_from_session(a)) a.binding = session_binding::conflicting;
        }
        if (!from_session) {
            attempts.push_back(session_attempt(attempts, req, session_binding::conflicting));
        }
        return;
    }
    if (found.state == session_table::binding_state::bound) {
        const auto& id = found.identity;
        for (auto& a : attempts) {
            bool ams_without = a.flow == sign_in_flow::ams_change && !a.account && a.alias.empty();
            if (authorize_without_identity(a)) {
                a.phase = auth_phase::post_auth;
                a.source = std::string(binding_source_name);
                take_identity(a, id);
                continue;
            }
            if (!identity_from_session(a) && !ams_without) continue;
            if (a.flow == sign_in_flow::console_session) {
                if (!a.parse_error.empty()) continue;  // denied as unreadable / ambiguous
                if (!agrees(a, id)) {
                    a.binding = session_binding::forged;
                    continue;
                }
            }
            take_identity(a, id);
        }
        judge_own_as_session(attempts, id.account, id.flows, id.flows_either);
        if (!has_console_attempt && !new_session) {
            auto a = session_attempt(attempts, req, session_binding::bound);
            take_identity(a, id);
            attempts.push_back(std::move(a));
        }
        judge_session_user(attempts, id.corporate_user, req.corp ? req.corp->user : "", realms);
        return;
    }
    // Unbound.
    if (new_session) return;  // the sign-in is judged; stale cookies on the cookie, as before
    for (auto& a : attempts) {
        if (identity_from_session(a)) a.binding = session_binding::unbound;
    }
    if (unbound == core::unbound_session_action::cookie) {
        refuse_cookie_of_another_host_account(attempts);
    }
    if (!from_session && unbound == core::unbound_session_action::deny) {
        attempts.push_back(session_attempt(attempts, req, session_binding::unbound));
    }
}

void refuse_cookie_of_another_host_account(std::vector<sign_in_attempt>& attempts) {
    std::vector<core::account_id> hosts;
    for (const auto& a : attempts) {
        if (a.flow == sign_in_flow::multi_session && a.account) hosts.push_back(*a.account);
    }
    if (hosts.empty()) return;
    for (auto& a : attempts) {
        if (a.flow != sign_in_flow::console_session || a.source != "cookie:aws-userInfo" ||
            !a.parse_error.empty() || !a.account) {
            continue;
        }
        if (std::any_of(hosts.begin(), hosts.end(), [&](auto h) { return h != *a.account; })) {
            a.parse_error =
                "aws-userInfo cookie names another account than the multi-session console host "
                "the request goes to: which session AWS serves is unknown";
            a.ambiguous_identity = true;
        }
    }
}

void judge_own_as_session(std::vector<sign_in_attempt>& attempts,
                          const std::optional<core::account_id>& account,
                          core::sign_in_flow_set flows, bool either) {
    for (auto& a : attempts) {
        if ((a.flow == sign_in_flow::multi_session || a.flow == sign_in_flow::api_credentials) &&
            a.account && a.account == account) {
            a.also_flows |= flows;
            a.also_flows_either = a.also_flows_either || (either && flows != 0);
        }
    }
}

std::string_view identity_source(const sign_in_attempt& a) {
    if (a.phase == auth_phase::pre_auth) return "";
    // other_user: judged on (and refused for) the identity AWS gave the session, all the same.
    if (a.binding == session_binding::bound || a.binding == session_binding::other_user) {
        return "bound";
    }
    if (identity_from_session(a)) return "cookie";
    return "unknown";
}

}  // namespace consolegate::app
