#pragma once
// The inspector's working state for one request (private to proxy/inspect/): the request's host,
// path and parameters, read once, and one member per sign-in flow that adds the attempts it finds.
// inspection.cpp holds the shared reading and run(); pre_auth_flows.cpp and post_auth_flows.cpp
// hold the flows.

#include <algorithm>
#include <array>
#include <tuple>

#include "consolegate/core/host_pattern.hpp"
#include "consolegate/core/principal.hpp"
#include "consolegate/inspect/access_key.hpp"
#include "consolegate/inspect/inspector.hpp"
#include "consolegate/inspect/saml.hpp"
#include "consolegate/inspect/user_info_cookie.hpp"
#include "json_scan.hpp"
#include "params.hpp"

namespace consolegate::inspect::detail {

using core::auth_phase;
using core::sign_in_attempt;
using core::sign_in_flow;

// The partition of a host as the inspector reads it (core/partition.hpp; the commercial one for
// a host of none) and that partition's names: signin.aws.amazon.com, signin.amazonaws-us-gov.com,
// signin.amazonaws.cn; the console domains; the site domains aws.amazon.com, amazonaws-us-gov.com,
// amazonaws.cn.
core::partition partition_of(std::string_view host);
std::string_view signin_domain_of(std::string_view host);
std::string_view console_domain_of(std::string_view host);
std::string_view site_domain_of(std::string_view host);

bool is_digits(std::string_view s);
using core::console_dashed_id;     // core/ids.hpp
using core::is_digits_and_dashes;  // core/ids.hpp
// The account a value of digits and dashes names to a reader that drops the dashes and reads the
// digits as a number ("11112222333" and "0111122223333" are 011112222333 and 111122223333), or
// nullopt for any other value or one of more than twelve significant digits.
std::optional<core::account_id> account_number_reading(std::string_view s);
// Every reading of the account values a request names, each once: a dashed ID
// ("1111-2222-3333") is the ID and also an alias.
std::vector<std::string> account_readings(std::vector<std::string> values);
bool under(std::string_view host, std::string_view domain);
// The label(s) in front of `domain`, or "" when host is the domain itself.
std::string_view labels_before(std::string_view host, std::string_view domain);
std::string_view first_label(std::string_view s);
// AWS region names: <area>-[gov-|iso…-]<direction>-<n> (us-east-1, us-gov-west-1, il-central-1).
bool is_region(std::string_view s);
// <12 digits>-<suffix>: the multi-session console host label (observed with an 8-character
// suffix; any non-empty [a-z0-9] suffix is accepted so a longer one is never missed). A label of
// twelve digits with no suffix or another tail still names the account: `odd_shape` is set. So is
// any other label starting with a digit, returned with the account its leading digits make as a
// number, when that has at most twelve digits (leading zeros dropped), else nullopt.
std::optional<core::account_id> multi_session_account(std::string_view host,
                                                      bool* odd_shape = nullptr);
// RFC 3986 section 5.2.4 dot-segment removal over a decoded, lowercased path; empty segments
// dropped so "//saml/" and "/saml" read alike.
std::vector<std::string> path_segments(std::string_view raw_path);
// Whether a decoded, lowercased path segment is `word` to a lenient router: compared as
// parameter names are (name_is: a NUL or white space it trims, fullwidth and case-mapped
// letters, an array suffix), or without an extension (Spring's suffix pattern matching reads
// "console.json" as "console").
bool segment_is(std::string_view seg, std::string_view word) noexcept;
// Whether decoded, lowercased segments hold the access portal's federation endpoint as a lenient
// router matches it: "federation" then "console" or "credentials" (segment_is), anywhere.
bool names_federation(const std::vector<std::string>& segs);
// Where the first encoded '?' or '#' (%3F, %23) of a raw path starts, if it has one.
std::optional<std::size_t> first_encoded_delimiter(std::string_view raw_path);
// A path whose segments depend on the reader: an encoded '/' or '\\' (%2F, %5C), a raw '\\', an
// encoded dot-segment ("%2e%2e"), which servers split, decode and resolve in different orders, or
// an encoded '?', '#' or ';', which a server decoding first takes for the query, the fragment or
// path parameters.
bool path_reads_two_ways(std::string_view raw_path);
// The host of a Host header (or an SNI) as AWS routes it (core/host_pattern: lowercase, no port,
// no trailing dot, "[…]" around IPv6), or "" when it is not a host.
std::string host_of(std::string_view value);

// AWS's syntax for the names a sign-in carries, so that a value AWS could only refuse or read
// after a normalisation of its own (trim, NFKC, digits of any script, a cut at NUL) is refused
// here instead of judged as this inspector spells it: IAM API reference CreateRole/CreateUser
// (RoleName, UserName: [\w+=,.@-]{1,64}), SSO Admin CreatePermissionSet (Name: 1-32 of the same),
// STS RoleSessionName (2-64 of the same).
bool iam_name(std::string_view s, std::size_t min, std::size_t max) noexcept;
// Printable ASCII only (U+0021..U+007E): what an ARN or an IAM path may hold.
bool printable_ascii(std::string_view s) noexcept;

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
        // A connection to a sign-in address under a name the gateway does not inspect (an alias
        // AWS serves sign-in under, a shared front end): what reached that address is judged as
        // sign-in, whatever it is called; with nothing recognisable it is forwarded.
        at_signin_address_ = req.by_address;
        // RFC 9112 §3.2: a request target has no fragment. One that does is read up to '#' by
        // some servers and whole by others, so it is denied (run()), never cut and judged.
        fragment_ = req.target.find('#') != std::string_view::npos;
        auto target = req.target.substr(0, req.target.find('#'));
        auto q = target.find('?');
        segs_ = path_segments(target.substr(0, q));
        read_path_parameters(target.substr(0, q));
        path_ambiguous_ = path_reads_two_ways(target.substr(0, q));
        if (q != std::string_view::npos) {
            auto query = target.substr(q + 1);
            // ';' separates parameters for some servers (HTML 4 appendix B.2.2) and not others.
            query_semicolon_ = query.find(';') != std::string_view::npos;
            detail::parse_urlencoded(query, "query", params_);
            read_decoded_then_split(query, "query");
        }
        hosts_ = detail::header_values(req, "host").size();
    }

    std::vector<sign_in_attempt> run();

  private:
    // What the request is, from host and path.
    // The partition's sign-in domain and its names, and AWS Sign-In's regional names
    // (signin.<region>.amazonaws.com, <region>.oauth.signin.aws, signin-fips.<region>…): the
    // unrecognised-path rule already counts the regional names as sign-in hosts, so every flow is
    // read there too; a /saml or /authenticate post to one is never "no sign-in". A connection
    // bumped by address (req.by_address) counts as one under whatever name it carries.
    bool signin_host() const;
    bool aws_host() const { return at_signin_address_ || under(host_, site_domain_of(host_)); }
    bool last_seg(std::string_view s) const { return !segs_.empty() && segs_.back() == s; }
    // The root user's password recovery on a sign-in host: /resetpassword, the page the
    // recovery e-mail links to (?type=RootUser&token=…&key=…) and its form's post
    // (action=resetPasswordSubmitForm), and /forgotpassword. AWS runs it for the root user
    // alone: IAM User Guide, "Reset a lost or forgotten root user password" ("If you are an IAM
    // user, this option is not available"). Matched as a lenient router matches (segment_is).
    bool root_recovery_path() const {
        return signin_host() && !segs_.empty() &&
               (segment_is(segs_.back(), "resetpassword") ||
                segment_is(segs_.back(), "forgotpassword"));
    }
    bool first_seg(std::string_view s) const { return !segs_.empty() && segs_.front() == s; }
    // A request that submits something to its endpoint: POST, PUT or PATCH, or any method with a
    // body. The endpoints' "names nothing" refusals apply to each: a body is read whatever the
    // method (a server may take PUT's form fields as POST's), so a PUT to /saml whose field
    // this inspector could not find was forwarded as no sign-in while a POST was refused.
    bool submits() const {
        return iequals(req_.method, "POST") || iequals(req_.method, "PUT") ||
               iequals(req_.method, "PATCH") || !req_.body.empty() || req_.body_truncated;
    }
    static bool aws_name(std::string_view h) { return core::partition_of_host(h).has_value(); }
    bool has_param(std::initializer_list<std::string_view> names) const {
        return std::any_of(params_.begin(), params_.end(), [&](const param& p) {
            return std::any_of(names.begin(), names.end(),
                               [&](std::string_view n) { return name_is(p.name, n); });
        });
    }

    void read_body(bool signin_path, sign_in_flow flow);
    // The sign-in fields a reader that percent-decodes the whole query or form body before it
    // splits it finds inside another parameter's value ("x=1%26account%3DB" is account=B there):
    // added to the parameters, so they are judged, and the first one's name kept in hidden_, so
    // the request is refused as read two ways (session 10).
    void read_decoded_then_split(std::string_view text, std::string_view where);
    // Path parameters (RFC 3986 section 3.3: "/switchrole;account=B"), which servlet routers
    // drop but a reader of matrix variables (Spring's @MatrixVariable, JAX-RS @MatrixParam)
    // reads as the endpoint's parameters: added as parameters from "path", so a sign-in field
    // there is judged beside (and, different, ambiguous with) the query's (session 10).
    // /oauth on a sign-in host: the console's OAuth 2.0 authorization endpoint (GET, client_id
    // arn:aws:signin:::console/canvas or arn:aws:iam::015428540659:user/<console app>, AWS's
    // own account, redirect_uri back to the console with isauthcode=true), its sign-out
    // (Action=logout), and the target of the older IAM user sign-in form's post
    // (isIAMUser=1&Action=login&account=…&username=…&password=…&mfacode=…). Matched as a
    // lenient router matches (segment_is).
    bool oauth_path() const {
        return signin_host() && !segs_.empty() && segment_is(segs_.back(), "oauth");
    }
    void read_path_parameters(std::string_view raw_path);
    // Distinct non-empty values of the named parameters (alternative names of one field) from
    // query and body. One name (in any spelling name_is reads as it) with several different
    // values sets ambiguous_: AWS reads one of them, which one is not documented (the first, the
    // last, or all joined with ',' as Spring binds a repeated parameter to a String).
    std::vector<std::string> values(std::initializer_list<std::string_view> names,
                                    std::string* source);

    sign_in_attempt base(sign_in_flow f, auth_phase p, std::string source) const {
        sign_in_attempt a;
        a.flow = f;
        a.phase = p;
        a.host = host_;
        a.source = std::move(source);
        a.aws_partition = partition_of(host_);
        a.client = req_.client;
        a.time = req_.time;
        return a;
    }
    // One unreadable-request attempt per flow is enough to deny; the first reason is kept (an
    // unreadable body also leaves the flow's fields missing, which would only repeat it).
    // Returns the attempt added, or nullptr when the flow already had one.
    sign_in_attempt* fail(sign_in_flow f, auth_phase p, std::string source, std::string why) {
        for (auto& o : out_) {
            if (o.flow == f && !o.parse_error.empty() && !o.account && o.alias.empty())
                return nullptr;
        }
        auto a = base(f, p, std::move(source));
        a.parse_error = std::move(why);
        out_.push_back(std::move(a));
        return &out_.back();
    }
    // Every pre-auth attempt is denied as ambiguous-identity when a field it was read from, or a
    // field beside it, had several different values (ambiguous_): see values().
    void refuse_ambiguous();
    void set_account(sign_in_attempt& a, std::string_view value) const;
    // The account `value` names as the policy reads it: the ID (its own, a known alias's, the
    // console's dashed spelling's), else the alias; two fields naming one account compare equal.
    std::string account_as_read(const std::string& value) const;
    // An ARN read from the request names its partition; one that is not the host's is refused
    // in run() (AWS acts on a role or session of its own partition only).
    static void set_arn_partition(sign_in_attempt& a, std::string_view arn_partition) {
        if (auto p = core::partition_from_string(arn_partition)) {
            a.aws_partition = *p;
        } else if (a.parse_error.empty()) {
            a.parse_error = "an ARN of partition \"" + std::string(arn_partition) +
                            "\", which the gateway does not judge";
        }
    }
    void set_role(sign_in_attempt& a, std::string_view role) const {
        a.role_name = std::string(role);
        a.permission_set = core::permission_set_of(role);
        if (!role.empty() && !iam_name(role, 1, 64) && a.parse_error.empty()) {
            a.parse_error =
                "role name outside IAM's syntax ([\\w+=,.@-], 1-64 characters): "
                "AWS's reading is unknown";
        }
    }
    // The user a sign-in names (IAM user name, SAML RoleSessionName), refused outside its syntax.
    static void set_user(sign_in_attempt& a, std::string_view user, std::size_t min,
                         std::string_view what) {
        a.user = std::string(user);
        if (!user.empty() && !iam_name(user, min, 64) && a.parse_error.empty()) {
            a.parse_error = std::string(what) + " outside AWS's syntax ([\\w+=,.@-], " +
                            std::to_string(min) + "-64 characters): AWS's reading is unknown";
        }
    }

    void host_label();
    void iam_user_form();
    void root();
    void oauth_sign_in();
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
    bool at_signin_address_ = false;  // req.by_address: judged as a sign-in host
    bool fragment_ = false;
    bool path_ambiguous_ = false;
    bool query_semicolon_ = false;
    std::size_t hosts_ = 0;
    bool inexact_ = false;
    // A sign-in field given a JSON object, true, false or null (param::not_text), which one
    // reader refuses, another coerces to text ("true") and a third reads a member of.
    bool not_text_ = false;
    std::vector<std::string> segs_;
    std::vector<param> params_;
    body_kind body_ = body_kind::none;
    std::string body_error_;
    // The body's bytes are not the text they encode (Content-Encoding, a charset other than
    // UTF-8, UTF-16/32 or a BOM): neither read structurally nor searchable as text.
    bool body_undecodable_ = false;
    bool bad_escape_ = false;
    // The first sign-in field a request gave several different values (values()), or "".
    std::string ambiguous_;
    // The first sign-in field found only by decoding before splitting, or "".
    std::string hidden_;
    // Every distinct identity the request's aws-userInfo cookies name (for ams_change and aws
    // login's authorize step): a browser may send several, and AWS may act on any of them.
    std::vector<sign_in_attempt> sessions_;
    std::vector<sign_in_attempt> out_;
};

}  // namespace consolegate::inspect::detail
