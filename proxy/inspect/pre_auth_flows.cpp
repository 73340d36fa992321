#include "inspection.hpp"

namespace consolegate::inspect::detail {

// <account-id-or-alias>.signin.aws.amazon.com (IAM user sign-in URL) and multi-session console
// hosts; from the Host and, when it names another host, the TLS SNI.
void inspection::host_label() {
    std::vector<std::string> hosts{host_};
    if (!req_.sni.empty()) {
        auto sni = host_of(req_.sni);
        if (!sni.empty() && sni != host_) hosts.push_back(std::move(sni));
    }
    // The root's password recovery on <account>.signin.aws.amazon.com is the root's, of the
    // account the label names (IAM users cannot reset a password there).
    const auto label_flow = root_recovery_path() ? sign_in_flow::root : sign_in_flow::iam_user;
    for (auto& h : hosts) {
        if (under(h, signin_domain_of(h))) {
            auto label = first_label(labels_before(h, signin_domain_of(h)));
            if (!label.empty() && !is_region(label)) {
                for (auto& reading : account_readings({std::string(label)})) {
                    auto a = base(label_flow, auth_phase::pre_auth, "host");
                    a.host = h;
                    set_account(a, reading);
                    out_.push_back(std::move(a));
                }
            }
        }
        bool odd_shape = false;
        auto acct = multi_session_account(h, &odd_shape);
        if (acct || odd_shape) {
            auto a = base(sign_in_flow::multi_session, auth_phase::session, "host");
            a.host = h;
            a.account = acct;
            if (odd_shape) {
                a.parse_error = "multi-session console host label of an unknown shape";
            }
            out_.push_back(std::move(a));
        }
    }
}

// IAM user form post (/authenticate, action=iam-user-authentication) and any other sign-in page
// request that names an `account`.
void inspection::iam_user_form() {
    // An account named on the root's password recovery is the root's (root()).
    if (root_recovery_path()) return;
    std::string src, usrc;
    auto accounts = values({"account"}, &src);
    auto users = values({"username"}, &usrc);
    bool authenticate = last_seg("authenticate");
    if (accounts.empty()) {
        if (!authenticate || !submits()) return;
        // The host's label names the account only under the sign-in domain itself, never on a
        // regional sign-in name (signin.us-east-1.amazonaws.com has no account label).
        auto domain = signin_domain_of(host_);
        auto label = under(host_, domain) ? first_label(labels_before(host_, domain)) : "";
        if (label.empty() || is_region(label)) {
            fail(sign_in_flow::iam_user, auth_phase::pre_auth, "form:account",
                 "IAM user sign-in names no account");
            return;
        }
        accounts.emplace_back(label);
        src = "host";
    }
    // On <id-or-alias>.signin.aws.amazon.com the label names the account too (host_label()
    // judges it): a form or query naming another one gives the sign-in two accounts, and which
    // one AWS signs in to is not documented. Compared as the policy reads them (a known alias is
    // its ID). Before session 11 both were judged and the post passed when both were allowed.
    if (src != "host" && ambiguous_.empty()) {
        auto domain = signin_domain_of(host_);
        auto label = under(host_, domain) ? first_label(labels_before(host_, domain)) : "";
        if (!label.empty() && !is_region(label)) {
            auto by_host = account_as_read(std::string(label));
            if (std::any_of(accounts.begin(), accounts.end(),
                            [&](const std::string& v) { return account_as_read(v) != by_host; })) {
                ambiguous_ = "IAM user sign-in's account (the host's label and account)";
            }
        }
    }
    if (users.empty()) users.emplace_back();
    for (auto& acct : account_readings(std::move(accounts))) {
        for (auto& u : users) {
            auto a = base(sign_in_flow::iam_user, auth_phase::pre_auth, src);
            set_account(a, acct);
            set_user(a, u, 1, "IAM user name");
            out_.push_back(std::move(a));
        }
    }
}

// Root: /signin action=resolveAccountType|authenticateRoot names only an e-mail; the account is
// known after authentication (aws-userInfo).
void inspection::root() {
    auto actions = values({"action"}, nullptr);
    // Compared as parameter names are (name_is): an action a lenient reader takes for root's
    // ("resolveAccountType\0", "authenticateRoot[]", Unicode case mapping) is root's.
    bool is_root = std::any_of(actions.begin(), actions.end(), [](const std::string& a) {
        return name_is(a, "resolveAccountType") || name_is(a, "authenticateRoot");
    });
    // /signin is root's endpoint (IAM users post to /authenticate): a submission there is a step
    // of a root sign-in whatever its action, the e-mail step's, the password's, an MFA, captcha
    // or recovery step's, or one AWS adds. Its answer may be the one that opens the session,
    // and that answer is judged under the request's flows. Before session 11 an action other
    // than the two above was no sign-in, so a root session opened by such a step was judged as
    // a console session and a rule on the root flow (or on root e-mails) did not see it.
    bool root_endpoint = submits() && !segs_.empty() && segment_is(segs_.back(), "signin");
    // Every request of the root's password recovery (root_recovery_path) is a step of the root
    // flow: the reset page, its post, which may answer with the session, and an account it
    // names (the sign-in page takes the root's e-mail or its account number) is the root's.
    // Before session 12 a recovery request naming an account (a field or the host's label) was
    // judged as an IAM user's sign-in, so a rule allowing IAM users let the root's reset by.
    bool recovery = root_recovery_path();
    // The root's e-mail posted to /oauth (the target the older sign-in form posted to) names the
    // root user; oauth_sign_in() refuses it beside an account or an IAM user's marker.
    bool oauth_email = oauth_path() && has_param({"email"});
    if (!is_root && !root_endpoint && !recovery && !oauth_email) return;
    std::string src, asrc;
    auto emails = values({"email"}, &src);
    std::vector<std::string> accounts;
    if (recovery) {
        accounts = values({"account", "accountId", "account_id"}, &asrc);
        // With the host's label they are one field: two different accounts are ambiguous.
        auto domain = signin_domain_of(host_);
        auto label = under(host_, domain) ? first_label(labels_before(host_, domain)) : "";
        std::vector<std::string> named;
        if (!label.empty() && !is_region(label))
            named.push_back(account_as_read(std::string(label)));
        for (auto& v : accounts) {
            auto r = account_as_read(v);
            if (std::find(named.begin(), named.end(), r) == named.end()) named.push_back(r);
        }
        if (named.size() > 1 && ambiguous_.empty()) {
            ambiguous_ = "the root's password recovery's account (the host's label, account)";
        }
        accounts = account_readings(std::move(accounts));
    }
    if (accounts.empty()) accounts.emplace_back();
    if (emails.empty()) emails.emplace_back();
    for (auto& acct : accounts)
        for (auto& e : emails) {
            auto a = base(sign_in_flow::root, auth_phase::pre_auth,
                          !acct.empty() ? asrc
                          : src.empty() ? (recovery ? "path" : "form:action")
                                        : src);
            if (!acct.empty()) set_account(a, acct);
            a.user = e;
            // `users` rules match the e-mail: one with a character outside printable ASCII (NUL and
            // controls trim() drops, spaces, NBSP, a fullwidth '@' NFKC makes ASCII) has no known
            // reading at AWS.
            if (!printable_ascii(e) && a.parse_error.empty()) {
                a.parse_error = "root e-mail outside printable ASCII: AWS's reading is unknown";
            }
            out_.push_back(std::move(a));
        }
}

// /oauth (oauth_path()): an authorization request or a sign-out names no account, and is judged
// by the session its cookies name. A credential post there is a sign-in AWS runs as the IAM
// user's when it names an account (the form's account or the host's label, iam_user_form() and
// host_label()) and as the root's when it names the root's e-mail (root()). What cannot be told
// apart is refused: both named (which user AWS signs in is not documented), neither named (a
// password for nobody the gateway can judge), and an isIAMUser marker other than "1" (the form
// sets 1 for an IAM user; what AWS runs for another value is not documented). Before session 12
// a post naming the e-mail, or nothing, was no sign-in, and one naming both was the IAM user's.
void inspection::oauth_sign_in() {
    if (!oauth_path()) return;
    std::string msrc;
    auto markers = values({"isIAMUser"}, &msrc);
    auto actions = values({"Action"}, nullptr);
    bool login = std::any_of(actions.begin(), actions.end(),
                             [](const std::string& a) { return name_is(a, "login"); });
    bool credentials = login || !markers.empty() ||
                       has_param({"password", "mfacode", "next_mfacode", "username", "email"});
    if (!credentials) return;
    bool names_account = std::any_of(out_.begin(), out_.end(), [](const sign_in_attempt& a) {
        return a.flow == sign_in_flow::iam_user && (a.account || !a.alias.empty());
    });
    bool names_email = has_param({"email"});
    for (auto& m : markers) {
        if (m != "1") {
            fail(sign_in_flow::iam_user, auth_phase::pre_auth, msrc,
                 "sign-in post to /oauth with isIAMUser other than 1: whether AWS signs in the "
                 "root user or an IAM user is unknown");
            return;
        }
    }
    if (names_account && names_email) {
        fail(sign_in_flow::iam_user, auth_phase::pre_auth, "form:email",
             "sign-in post to /oauth names an account and the root's e-mail: whether AWS signs "
             "in the root user or an IAM user is unknown");
    } else if (!names_account && (!names_email || !markers.empty())) {
        fail(sign_in_flow::iam_user, auth_phase::pre_auth, "form:account",
             names_email ? "IAM user sign-in (isIAMUser=1) to /oauth names no account"
                         : "sign-in post to /oauth names neither an account nor the root's "
                           "e-mail");
    }
}

void inspection::saml() {
    std::string rsrc;
    auto responses = values({"SAMLResponse"}, &rsrc);
    auto chosen = values({"roleIndex"}, nullptr);
    if (responses.empty() && chosen.empty()) {
        if (submits()) {
            fail(sign_in_flow::saml, auth_phase::pre_auth, "form:SAMLResponse",
                 "SAML sign-in post carries no SAMLResponse");
        }
        return;
    }
    if (responses.size() > 1) {
        // Which assertion AWS reads is unknown (values() has set ambiguous_).
        if (auto* a = fail(sign_in_flow::saml, auth_phase::pre_auth, rsrc,
                           "SAML sign-in post carries several different SAMLResponse values")) {
            a->ambiguous_identity = true;
        }
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
    // A Role value names its account twice, in the role ARN and in the SAML provider's: IAM
    // requires the provider in the role's account (the role's trust policy names it), and an IdP
    // never sends the pair split. A value whose two ARNs are in different accounts or partitions
    // gives the sign-in two accounts; which one AWS looks the role or the provider up in is not
    // documented, so the post is ambiguous, whichever role is chosen (the roles of one response
    // are alternatives: one refused value among allowed ones would not refuse it). Before
    // session 11 the provider's account was not read.
    std::vector<core::principal> split_providers;
    if (read) {
        for (auto& r : read->roles) {
            auto provider = core::parse_arn(r.provider_arn);
            if (provider &&
                (provider->account != r.role.account || provider->partition != r.role.partition)) {
                split_providers.push_back(std::move(*provider));
            }
        }
    }
    auto refuse_split = [&](std::size_t from) {
        if (split_providers.empty()) return;
        for (auto& p : split_providers) {
            auto a = base(sign_in_flow::saml, auth_phase::pre_auth, "saml:Role provider");
            a.account = p.account;
            set_arn_partition(a, p.partition);
            out_.push_back(std::move(a));
        }
        for (auto i = from; i < out_.size(); ++i) {
            out_[i].parse_error =
                "a SAML Role value's role and SAML provider are in different accounts: which "
                "one AWS reads is unknown";
            out_[i].ambiguous_identity = true;
        }
    };
    const auto first_attempt = out_.size();
    if (!chosen.empty()) {
        // The role chooser posts the chosen role's ARN as roleIndex.
        for (auto& arn : chosen) {
            auto a = base(sign_in_flow::saml, auth_phase::pre_auth, "form:roleIndex");
            auto p = core::parse_arn(arn);
            bool in_assertion =
                p && read && std::any_of(read->roles.begin(), read->roles.end(), [&](auto& r) {
                    return r.role.account == p->account && iequals(r.role.role_name, p->role_name);
                });
            if (!p || p->kind != core::principal_kind::role) {
                a.parse_error = "roleIndex is not an IAM role ARN";
            } else if (read && !in_assertion) {
                // AWS signs in as the chosen role only if the assertion grants it; one it does not
                // is either refused by AWS or a role this inspector did not read.
                a.account = p->account;
                set_role(a, p->role_name);
                a.parse_error = "roleIndex names a role the SAML assertion does not contain";
            } else {
                a.account = p->account;
                set_role(a, p->role_name);
            }
            if (read) set_user(a, read->session_name, 2, "SAML RoleSessionName");
            if (p) set_arn_partition(a, p->partition);
            out_.push_back(std::move(a));
        }
        refuse_split(first_attempt);
        return;
    }
    for (auto& r : read->roles) {
        auto a = base(sign_in_flow::saml, auth_phase::pre_auth, "saml:Role");
        a.account = r.role.account;
        set_role(a, r.role.role_name);
        set_arn_partition(a, r.role.partition);
        set_user(a, read->session_name, 2, "SAML RoleSessionName");
        if (!printable_ascii(r.role_arn) && a.parse_error.empty()) {
            a.parse_error = "SAML Role ARN holds a character outside printable ASCII";
        }
        out_.push_back(std::move(a));
    }
    refuse_split(first_attempt);
}

// portal.sso.<region>.amazonaws.com/federation/console|credentials?account_id=&role_name=
void inspection::identity_center() {
    // GetRoleCredentials hands out API keys the gateway never sees again, so it is judged
    // without the console link's leniency (policy.portal_console_without_user). Read on the
    // resolved path, as the flow was recognised: every federation path but exactly
    // /federation/console is credentials ("//", "%63", "..", ";", a case change or a longer
    // path on the raw target passed as a console link while AWS may route it to credentials).
    bool portal_credentials = !(segs_.size() == 2 && segs_[1] == "console");
    // Every spelling of the two fields a lenient reader maps to them: Jackson's and the AWS
    // SDKs' camelCase members (accountId, roleName: GetRoleCredentials' own names), and
    // kebab-case (name_is reads "account-id" as account_id). They are one field each: two different
    // values in any of them are ambiguous, since the portal federates one account under one
    // permission set. Before session 10 only account_id and role_name were read, so
    // account_id=<allowed>&accountId=<other> was judged on the allowed account alone, and a
    // request naming only accountId was refused as naming no account.
    std::string src;
    auto accounts = values({"account_id", "accountId"}, &src);
    auto roles = values({"role_name", "roleName"}, nullptr);
    if ((accounts.size() > 1 || roles.size() > 1) && ambiguous_.empty()) {
        ambiguous_ = accounts.size() > 1 ? "account_id" : "role_name";
    }
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
            if (!r.empty() && !iam_name(r, 1, 32) && a.parse_error.empty()) {
                a.parse_error =
                    "role_name outside the permission set name syntax "
                    "([\\w+=,.@-], 1-32 characters): AWS's reading is unknown";
            }
            a.portal_credentials = portal_credentials;
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
                    // "SessionID" or "sessionId " beside "sessionId" may be the one AWS reads.
                    if (name_is(l.name, "sessionId") && !seen) ids.push_back(l.value);
                }
            }
            if (ids.empty()) {
                fail(sign_in_flow::custom_broker, auth_phase::pre_auth, ssrc,
                     "Session is not JSON with a sessionId");
            }
            // A Session naming two keys (a repeated or nested sessionId): AWS signs in with one.
            if (ids.size() > 1 && ambiguous_.empty()) ambiguous_ = "Session's sessionId";
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
    } else if (!get_token && submits()) {
        // As a post to /saml without SAMLResponse: what AWS reads in it is unknown.
        fail(sign_in_flow::custom_broker, auth_phase::pre_auth, "query:Action",
             "federation request names neither a Session nor a SigninToken");
    }
}

// /switchrole (GET link or POST form) and multi-session POST /sessions/<id>/v1/switchrole (JSON).
void inspection::switch_role() {
    std::string src;
    auto accounts = values({"account", "accountId", "account_id"}, &src);
    // Multi-session switch role posts the role's ARN as roleArn.
    auto roles = values({"roleName", "role_name", "role", "roleArn", "role_arn"}, &src);
    if (accounts.empty() && roles.empty()) {
        if (submits()) {
            fail(sign_in_flow::switch_role, auth_phase::pre_auth, "form:account",
                 "switch role names no account");
        }
        return;
    }
    // One switch names one account and one role, whichever names the request spells them in:
    // `account`, `accountId` and `account_id` are one field, the role names and role ARNs
    // another, and a role ARN names its account too. Two that disagree (account=A&accountId=B,
    // roleName=Dev beside roleArn …:role/Admin, an ARN in another account than `account`) are
    // ambiguous: which one AWS's handler binds is not documented. Before session 11 each was
    // judged alone and the switch passed when every one was allowed.
    if (ambiguous_.empty()) {
        std::vector<std::string> named_accounts, named_roles;
        auto add = [](std::vector<std::string>& to, std::string v) {
            if (std::find(to.begin(), to.end(), v) == to.end()) to.push_back(std::move(v));
        };
        for (auto& acct : accounts) add(named_accounts, account_as_read(acct));
        for (auto& r : roles) {
            auto p = core::parse_arn(r);
            if (p && p->kind == core::principal_kind::role) {
                add(named_accounts, p->account.str());
                add(named_roles, p->role_name);
            } else {
                add(named_roles,
                    r.substr(r.rfind('/') == std::string::npos ? 0 : r.rfind('/') + 1));
            }
        }
        if (named_accounts.size() > 1) {
            ambiguous_ = "switch role's account (account, accountId, account_id, a role ARN)";
        } else if (named_roles.size() > 1) {
            ambiguous_ = "switch role's role (roleName, role_name, role, roleArn, role_arn)";
        }
    }
    if (accounts.empty()) accounts.emplace_back();
    if (roles.empty()) roles.emplace_back();
    for (auto& acct : account_readings(std::move(accounts))) {
        for (auto& r : roles) {
            auto a = base(sign_in_flow::switch_role, auth_phase::pre_auth, src);
            if (!acct.empty()) set_account(a, acct);
            auto p = core::parse_arn(r);
            bool role_arn = p && p->kind == core::principal_kind::role;
            if (!a.parse_error.empty()) {
            } else if (!printable_ascii(r)) {
                a.parse_error = "switch role's role holds a character outside printable ASCII";
            } else if (!role_arn && istarts_with(r, "arn:")) {
                // arn:aws:iam:<region>:…, a user's or the root's ARN: not a role AWS assumes as
                // this inspector reads one, whatever its last segment says.
                a.parse_error = "switch role's role is an ARN but not an IAM role's";
            }
            if (role_arn) {
                set_role(a, p->role_name);
                set_arn_partition(a, p->partition);
                if (acct.empty()) a.account = p->account;
            } else {
                // A role with a path is switched to as roleName=<path>/<name>: AWS assumes
                // arn:aws:iam::<account>:role/<path>/<name>, whose session is
                // assumed-role/<name>/…, so the role is its last segment, as a roleArn's is.
                auto slash = r.rfind('/');
                set_role(a, slash == std::string::npos ? r : r.substr(slash + 1));
                if (slash != std::string::npos && slash + 1 == r.size()) {
                    a.parse_error = "switch role's roleName ends in '/'";
                }
            }
            if (!a.account && a.alias.empty()) a.parse_error = "switch role names no account";
            // A role ARN in another account than `account` names that account too: both are
            // judged (and the request is ambiguous, above).
            bool other = p && p->kind == core::principal_kind::role && !acct.empty() &&
                         a.account != std::optional<core::account_id>(p->account);
            out_.push_back(std::move(a));
            if (other) {
                auto b = base(sign_in_flow::switch_role, auth_phase::pre_auth, src);
                b.account = p->account;
                set_role(b, p->role_name);
                set_arn_partition(b, p->partition);
                out_.push_back(std::move(b));
            }
        }
    }
}

}  // namespace consolegate::inspect::detail
