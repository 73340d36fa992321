#pragma once
// Learning console identities from AWS's answers (issue 20, docs/inspection.md "Session
// binding"): the proxy's response observer (proxy::response_observer) in the running gateway.
// On a response from an AWS host it reads the Set-Cookie headers; when one of them is
// `aws-userInfo` as AWS set it, every cookie of that response is bound to the identity it names;
// otherwise the cookies inherit the binding of the request they answer (the lineage rule of
// session_table.hpp), unless that request asks for a session (asks_for_session) or continues a
// sign-in (a request presenting cookies a sign-in was started with, or a pending cookie): a
// sign-in's cookies belong to the session it opens, which the old session's cookies the browser
// still sends say nothing about; they are kept as pending until an answer names them. Responses
// from other hosts teach nothing: only AWS may bind a session. The corporate user of the
// connection the answer came on (the request's corp) is kept as the session's opener
// (session_identity::corporate_user).

#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "consolegate/core/http_request.hpp"
#include "consolegate/inspect/inspector.hpp"
#include "consolegate/proxy/inspection.hpp"
#include "session_table.hpp"

namespace consolegate::app {

// Every cookie of the request's Cookie headers (RFC 6265 §4.2.1), in order.
std::vector<cookie_pair> request_cookies(const core::http_request_view& req);

// One Set-Cookie header value (RFC 6265 §4.1.1): its name and value; `removal` when it deletes
// the cookie (Max-Age<=0, an empty value, or an Expires in 1970). nullopt when it has no name.
struct set_cookie {
    std::string_view name, value;
    bool removal = false;
};
std::optional<set_cookie> parse_set_cookie(std::string_view header);

// The identity an `aws-userInfo` value names (account, ARN, role, user), or nullopt when it does
// not parse (inspect/user_info_cookie.hpp).
std::optional<session_identity> identity_from_user_info(std::string_view value);

// True for the hosts whose answers may bind a session: aws.amazon.com, amazonaws.com and their
// subdomains (Host as sent; case, port and trailing dot ignored).
bool is_aws_host(std::string_view host);

// What one response says about the session: the cookies AWS set (deletions left out) and the
// identity its aws-userInfo names. `unreadable`: an aws-userInfo that cannot be read, or two
// naming different principals; such a response binds nothing.
struct response_reading {
    std::vector<cookie_pair> set_cookies;  // views into the response
    std::optional<session_identity> named;
    bool unreadable = false;
};
// Empty (no cookies, nothing named) for hosts other than AWS's.
response_reading read_response(const core::http_request_view& req,
                               const proxy::response_view& resp);

// True when the request asks AWS for a console session rather than continuing one: it carries a
// pre-auth attempt (an IAM user, root, SAML, Identity Center or federation sign-in, a switch-role,
// `aws login` without a session, account sign-up). The answer to such a request opens another
// session (maybe of another account), so its cookies never inherit the binding of the cookies
// the request presents: they are bound to what AWS names in that answer, or stay unbound.
bool asks_for_session(const core::http_request_view& req, const inspect::options& opt);
// The same on attempts already read.
bool asks_for_session(const std::vector<core::sign_in_attempt>& attempts);
// The flows of the sign-in a request asks for: those of its pre-auth attempts. The account
// label of <account>.signin.aws.amazon.com (an iam-user attempt, source "host") names whose
// sign-in page it is, not the endpoint: a SAML, federation, switch-role or root post to that host
// is answered by that endpoint, so the label's flow counts only when the request carries no
// other. 0: the request asks for no session.
core::sign_in_flow_set sign_in_flows(std::span<const core::sign_in_attempt> attempts);

class session_learner {
  public:
    // `opt` reads the requests whose answers would inherit (asks_for_session); the policy
    // snapshot's inspect options in the gateway. Both must outlive the learner.
    explicit session_learner(session_table& table, const inspect::options& opt = default_options_)
        : table_(&table), opt_(&opt) {}
    // What the response taught; returns how many cookies were bound.
    std::size_t learn(const core::http_request_view& req, const proxy::response_view& resp) const;
    // The same from a reading already made (the hook judges a named identity first).
    std::size_t learn(const core::http_request_view& req, const response_reading& r) const;

  private:
    static const inspect::options default_options_;
    session_table* table_;
    const inspect::options* opt_;
};

}  // namespace consolegate::app
