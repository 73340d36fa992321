#!/usr/bin/python3
"""Writes the sign-in corpus: NAME.http (a raw request as the browser sends it after TLS) and
NAME.expect.json (the attempts the inspector must find). Run from anywhere; rewrites every file.
Expectations list every attempt; omitted fields are expected empty, parse_error is a boolean
(non-empty or not). The unit test runs with the alias map {"acme-prod": 111122223333} and a
16 KiB body cap."""
import base64, json, os, urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
A, B = "111122223333", "444455556666"
C = "222233334444"  # SAML sessions only (tests/corpus/policy/policy.toml)
ROLE_A = f"arn:aws:iam::{A}:role/Admin"
PROV_A = f"arn:aws:iam::{A}:saml-provider/Okta"
ROLE_B = f"arn:aws:iam::{B}:role/AWSReservedSSO_ReadOnly_0123456789abcdef"
PROV_B = f"arn:aws:iam::{B}:saml-provider/Okta"
UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def saml(values, session="alice@example.com", a="saml2", p="saml2p", prolog=""):
    q = lambda pre, n: f"{pre}:{n}" if pre else n
    ns = lambda pre, uri: f' xmlns{":" + pre if pre else ""}="{uri}"'
    x = prolog or '<?xml version="1.0" encoding="UTF-8"?>\n'
    x += (f'<{q(p,"Response")}{ns(p,"urn:oasis:names:tc:SAML:2.0:protocol")} ID="_r1" '
          'Destination="https://signin.aws.amazon.com/saml" Version="2.0" '
          'IssueInstant="2026-11-23T04:00:00Z">')
    x += f'<{q(a,"Assertion")}{ns(a,"urn:oasis:names:tc:SAML:2.0:assertion")} ID="_a1" Version="2.0">'
    x += f'<{q(a,"Issuer")}>http://www.okta.com/exk1</{q(a,"Issuer")}>'
    x += f'<{q(a,"AttributeStatement")}>'
    x += f'<{q(a,"Attribute")} Name="https://aws.amazon.com/SAML/Attributes/Role">'
    for v in values:
        x += f'<{q(a,"AttributeValue")}>{v}</{q(a,"AttributeValue")}>'
    x += f'</{q(a,"Attribute")}>'
    x += (f'<{q(a,"Attribute")} Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName">'
          f'<{q(a,"AttributeValue")}>{session}</{q(a,"AttributeValue")}></{q(a,"Attribute")}>')
    x += f'</{q(a,"AttributeStatement")}></{q(a,"Assertion")}></{q(p,"Response")}>'
    return base64.b64encode(x.encode()).decode()


def form(pairs):
    return "&".join(f"{urllib.parse.quote_plus(k)}={urllib.parse.quote_plus(v)}" for k, v in pairs)


def user_info(arn, alias="", username=""):
    j = json.dumps({"alias": alias, "arn": arn, "issuer": "https://signin.aws.amazon.com/",
                    "signinType": "PUBLIC", "username": username}, separators=(",", ":"))
    return urllib.parse.quote(j, safe="")


def req(method, target, host, headers=(), body=None, ctype=None, crlf=True):
    h = [f"{method} {target} HTTP/1.1", f"Host: {host}", f"User-Agent: {UA}"]
    if ctype:
        h.append(f"Content-Type: {ctype}")
    h += list(headers)
    if body is not None and not any(x.lower().startswith("transfer-encoding") for x in headers):
        h.append(f"Content-Length: {len(body.encode())}")
    nl = "\r\n" if crlf else "\n"
    return nl.join(h) + nl + nl + (body or "")


def att(flow, phase="pre-auth", **kw):
    d = {"flow": flow, "phase": phase}
    d.update(kw)
    return d


FORM = "application/x-www-form-urlencoded"
# A sign-in field given several different values (query and body, a repeat, a name a lenient
# reader takes for it, a JSON key twice): every reading is recorded and denied as ambiguous.
AMB = {"parse_error": True, "ambiguous": True}
COOKIE_A = "aws-userInfo=" + user_info(f"arn:aws:sts::{A}:assumed-role/Admin/alice", "acme-prod",
                                       "assumed-role/Admin/alice")
COOKIE_B = "aws-userInfo=" + user_info(f"arn:aws:sts::{B}:assumed-role/Admin/alice", "",
                                       "assumed-role/Admin/alice")
cases = {}

# --- IAM user ---------------------------------------------------------------------------------
cases["iam-user-host-label-id"] = (
    req("GET", "/console", f"{A}.signin.aws.amazon.com"),
    [att("iam-user", account=A)])
cases["iam-user-host-label-alias"] = (
    req("GET", "/console", "Acme-Prod.signin.aws.amazon.com:443"),
    [att("iam-user", account=A, alias="acme-prod")])
# The account label as a host reader normalises it (uppercase, a trailing dot: the same host) is
# that account; a punycode (xn--) label is no alias IAM allows and is refused.
cases["iam-user-host-label-uppercase-trailing-dot"] = (
    req("GET", "/console", f"{B}.SIGNIN.AWS.AMAZON.COM."),
    [att("iam-user", account=B)])
cases["hostile-iam-user-host-label-punycode"] = (
    req("GET", "/console", "xn--acme-prd-9za.signin.aws.amazon.com"),
    [att("iam-user", alias="xn--acme-prd-9za", parse_error=True)])
cases["iam-user-authenticate"] = (
    req("POST", "/authenticate", "signin.aws.amazon.com", body=form([
        ("action", "iam-user-authentication"), ("account", A), ("username", "bob"),
        ("password", "hunter2"), ("client_id", "arn:aws:iam::015428540659:user/homepage"),
        ("redirect_uri", "https://console.aws.amazon.com/console/home?account=999999999999")]),
        ctype=FORM),
    [att("iam-user", account=A, user="bob")])
cases["iam-user-authenticate-unknown-alias"] = (
    req("POST", "/authenticate", "signin.aws.amazon.com",
        body=form([("account", "Some-Other-Co"), ("username", "bob"), ("password", "x")]),
        ctype=FORM),
    [att("iam-user", alias="some-other-co", user="bob")])
cases["iam-user-authenticate-json"] = (
    req("POST", "/authenticate", "signin.aws.amazon.com", body=json.dumps(
        {"account": "1111-2222-3333", "username": "bob", "password": "x"}),
        ctype="application/json"),
    # The dashed ID is also a valid alias another account may hold: both readings are judged.
    [att("iam-user", account=A, user="bob"), att("iam-user", alias="1111-2222-3333", user="bob")])
cases["iam-user-authenticate-no-account"] = (
    req("POST", "/authenticate", "signin.aws.amazon.com",
        body=form([("username", "bob"), ("password", "x")]), ctype=FORM),
    [att("iam-user", parse_error=True)])

# --- root ----------------------------------------------------------------------------------------
cases["root-resolve-account-type"] = (
    req("POST", "/signin", "signin.aws.amazon.com",
        body=form([("action", "resolveAccountType"), ("email", "root@example.com")]), ctype=FORM),
    [att("root", user="root@example.com")])
cases["root-authenticate-root"] = (
    req("POST", "/signin", "signin.aws.amazon.com", body=form([
        ("action", "authenticateRoot"), ("email", "root@example.com"), ("password", "x"),
        ("redirect_uri", f"https://console.aws.amazon.com/console/home?account={B}")]),
        ctype=FORM),
    [att("root", user="root@example.com")])
# Any other step posted to root's endpoint (MFA, captcha, recovery, an action AWS adds) is root's
# too: its answer may open the session (before session 11: no sign-in).
cases["root-mfa-step"] = (
    req("POST", "/signin", "signin.aws.amazon.com", body=form([
        ("action", "authenticateRootMFA"), ("email", "root@example.com"), ("mfaType", "SW"),
        ("mfa1", "123456")]), ctype=FORM),
    [att("root", user="root@example.com")])
# The root user's password recovery (IAM User Guide, "Reset a lost or forgotten root user
# password"; IAM users cannot reset theirs there): the e-mail's link and its form's post are the
# root flow's, of the account the host's label names (session 12; an IAM user's sign-in before).
cases["root-reset-password-link"] = (
    req("GET", "/resetpassword?type=RootUser&token=cg-secret-reset-token&key=cg-secret-key",
        "signin.aws.amazon.com"),
    [att("root")])
cases["root-reset-password-on-account-host"] = (
    req("POST", "/resetpassword", f"{B}.signin.aws.amazon.com", body=form([
        ("action", "resetPasswordSubmitForm"), ("token", "cg-secret-reset-token"),
        ("key", "cg-secret-key"), ("newpassword", "x"), ("confirmpassword", "x")]), ctype=FORM),
    [att("root", account=B), att("root")])
# /oauth: the console's authorization endpoint and the older sign-in form's post target. A post
# there naming the root's e-mail is the root's sign-in; one naming it beside an account cannot be
# told apart (root or IAM user) and is refused (session 12: no sign-in, and the IAM user's).
cases["root-sign-in-posted-to-oauth"] = (
    req("POST", "/oauth", "signin.aws.amazon.com", body=form([
        ("Action", "login"), ("email", "root@example.com"), ("password", "x"),
        ("redirect_uri", "https://console.aws.amazon.com/console/home?isauthcode=true")]),
        ctype=FORM),
    [att("root", user="root@example.com")])
cases["hostile-oauth-post-account-and-root-email"] = (
    req("POST", "/oauth", "us-west-2.signin.aws.amazon.com", body=form([
        ("Action", "login"), ("account", A), ("email", "root@example.com"), ("password", "x")]),
        ctype=FORM),
    [att("root", user="root@example.com"), att("iam-user", account=A),
     att("iam-user", parse_error=True)])
# Signing out and the sign-in landing pages name no account: a redirect_uri to another account's
# console is where the browser goes next, judged there (multi-session-console-host).
cases["console-sign-out"] = (
    req("GET", "/oauth?Action=signout&redirect_uri=" + urllib.parse.quote(
        "https://aws.amazon.com/", safe=""), "signin.aws.amazon.com"),
    [])
cases["signin-landing-redirect-to-another-accounts-console"] = (
    req("GET", "/console?redirect_uri=" + urllib.parse.quote(
        f"https://{B}-ab12cd34.us-east-1.console.aws.amazon.com/ec2/home", safe=""),
        "signin.aws.amazon.com"),
    [])

# --- SAML ----------------------------------------------------------------------------------------
cases["saml-one-role"] = (
    req("POST", "/saml", "signin.aws.amazon.com",
        body=form([("SAMLResponse", saml([f"{ROLE_A},{PROV_A}"])), ("RelayState", "")]), ctype=FORM),
    [att("saml", account=A, role="Admin", user="alice@example.com")])
cases["saml-multi-role"] = (
    req("POST", "/saml", "signin.aws.amazon.com",
        body=form([("SAMLResponse", saml([f"{ROLE_A},{PROV_A}", f"{PROV_B},{ROLE_B}"]))]),
        ctype=FORM),
    [att("saml", account=A, role="Admin", user="alice@example.com"),
     att("saml", account=B, role="AWSReservedSSO_ReadOnly_0123456789abcdef",
         permission_set="ReadOnly", user="alice@example.com")])
cases["saml-role-chooser"] = (
    req("POST", "/saml", "signin.aws.amazon.com", body=form([
        ("roleIndex", ROLE_B),
        ("SAMLResponse", saml([f"{ROLE_A},{PROV_A}", f"{PROV_B},{ROLE_B}"]))]), ctype=FORM),
    [att("saml", account=B, role="AWSReservedSSO_ReadOnly_0123456789abcdef",
         permission_set="ReadOnly", user="alice@example.com")])
cases["saml-regional-acs"] = (
    req("POST", "/saml/acs/SAMLSP4SHN3UIS2D558H46", "us-west-2.signin.aws.amazon.com",
        body=form([("SAMLResponse", saml([f"{ROLE_A},{PROV_A}"]))]), ctype=FORM),
    [att("saml", account=A, role="Admin", user="alice@example.com")])
cases["saml-prefixes"] = (
    req("POST", "/saml", "signin.aws.amazon.com",
        body=form([("SAMLResponse", saml([f"{ROLE_A},{PROV_A}"], a="", p="samlp"))]), ctype=FORM),
    [att("saml", account=A, role="Admin", user="alice@example.com")])
cases["saml-comment-in-value"] = (
    req("POST", "/saml", "signin.aws.amazon.com", body=form([("SAMLResponse", saml(
        [f"arn:aws:iam::4444<!---->55556666:role/Dev,{PROV_B}"]))]), ctype=FORM),
    [att("saml", account=B, role="Dev", user="alice@example.com")])
cases["saml-comment-truncation-attack"] = (
    req("POST", "/saml", "signin.aws.amazon.com", body=form([("SAMLResponse", saml(
        [f"{ROLE_A},{PROV_A}<!---->.evil"]))]), ctype=FORM),
    [att("saml", parse_error=True)])
# RoleSessionName split by a comment: "adminx" here, "admin" to a reader taking the first text
# node (the comment-truncation class, for the name user rules and TEAM match on).
cases["saml-session-name-comment-split"] = (
    req("POST", "/saml", "signin.aws.amazon.com", body=form([("SAMLResponse", saml(
        [f"{ROLE_A},{PROV_A}"], session="admin<!---->x"))]), ctype=FORM),
    [att("saml", parse_error=True)])
cases["saml-xxe"] = (
    req("POST", "/saml", "signin.aws.amazon.com", body=form([("SAMLResponse", saml(
        ["&role;"], session="&xxe;", prolog='<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY xxe '
        f'SYSTEM "file:///etc/passwd"><!ENTITY role "{ROLE_A},{PROV_A}">]>\n'))]), ctype=FORM),
    [att("saml", parse_error=True)])
# A reference to a character XML forbids: AWS's parser refuses the document, pugixml read the
# value up to the NUL (the allowed role) and went on.
cases["saml-character-reference-nul"] = (
    req("POST", "/saml", "signin.aws.amazon.com", body=form([("SAMLResponse", saml(
        [f"{PROV_B},{ROLE_A}&#0;x"]))]), ctype=FORM),
    [att("saml", parse_error=True)])
cases["saml-malformed"] = (
    req("POST", "/saml", "signin.aws.amazon.com",
        body=form([("SAMLResponse", base64.b64encode(b"<Response><oops></Response>").decode())]),
        ctype=FORM),
    [att("saml", parse_error=True)])
cases["saml-two-responses"] = (
    req("POST", "/saml", "signin.aws.amazon.com", body=form([
        ("SAMLResponse", saml([f"{ROLE_A},{PROV_A}"])),
        ("SAMLResponse", saml([f"{ROLE_B},{PROV_B}"]))]), ctype=FORM),
    [att("saml", **AMB)])

# --- IAM Identity Center -------------------------------------------------------------------------
cases["idc-federation-console"] = (
    req("GET", f"/federation/console?account_id={A}&role_name=AdministratorAccess"
        "&destination=https%3A%2F%2Fconsole.aws.amazon.com%2F", "portal.sso.eu-west-1.amazonaws.com",
        headers=["x-amz-sso_bearer_token: opaque", "Origin: https://d-1234567890.awsapps.com"]),
    [att("identity-center", account=A, role="AdministratorAccess",
         permission_set="AdministratorAccess")])
cases["idc-federation-credentials"] = (
    req("GET", f"/federation/credentials/?account_id={B}&role_name=ReadOnly&debug=true",
        "portal.sso.us-east-1.amazonaws.com", headers=["x-amz-sso_bearer_token: opaque"]),
    [att("identity-center", account=B, role="ReadOnly", permission_set="ReadOnly")])

# --- custom broker -------------------------------------------------------------------------------
session = urllib.parse.quote(json.dumps({"sessionId": "ASIAY34FZKBOKMUTVV7A",
                                         "sessionKey": "wJalrXUtnFEMI/K7MDENG",
                                         "sessionToken": "FwoGZXIvYXdzEXAMPLE"}), safe="")
cases["broker-get-signin-token"] = (
    req("GET", f"/federation?Action=getSigninToken&SessionDuration=43200&Session={session}",
        "signin.aws.amazon.com"),
    [att("custom-broker", account="609629065308")])
legacy = urllib.parse.quote(json.dumps({"sessionId": "ASIAJEXAMPLEXEG2JICE"}), safe="")
cases["broker-legacy-key"] = (
    req("GET", f"/federation?Action=getSigninToken&Session={legacy}", "signin.aws.amazon.com"),
    [att("custom-broker", parse_error=True)])
cases["broker-login"] = (
    req("GET", "/federation?Action=login&Issuer=https%3A%2F%2Fbroker.example.com&Destination="
        "https%3A%2F%2Fconsole.aws.amazon.com%2F&SigninToken=VCQgs5qZZt3Q6fn8Tr5EXAMPLE",
        "signin.aws.amazon.com"),
    [att("custom-broker")])

# --- switch role ---------------------------------------------------------------------------------
cases["switchrole-get"] = (
    req("GET", "/switchrole?roleName=Admin&account=acme-prod&displayName=Prod&color=B7CA9D",
        "signin.aws.amazon.com", headers=["Cookie: " + COOKIE_A]),
    [att("switch-role", account=A, alias="acme-prod", role="Admin"),
     att("console-session", "post-auth", account=A, alias="acme-prod", role="Admin",
         user="alice")])
cases["switchrole-post"] = (
    req("POST", "/switchrole", "signin.aws.amazon.com", body=form([
        ("account", B), ("roleName", "AWSReservedSSO_ReadOnly_0123456789abcdef"),
        ("displayName", "ro"), ("redirect_uri", "https://console.aws.amazon.com/"),
        ("mfaNeeded", "0"), ("action", "switchFromBasis")]), ctype=FORM),
    [att("switch-role", account=B, role="AWSReservedSSO_ReadOnly_0123456789abcdef",
         permission_set="ReadOnly")])
cases["switchrole-multi-session"] = (
    req("POST", "/sessions/5d0e1f2a/v1/switchrole", "us-east-1.signin.aws.amazon.com",
        body=json.dumps({"accountId": B, "roleName": "Dev", "displayName": "dev"}),
        ctype="application/json"),
    [att("switch-role", account=B, role="Dev")])

# --- multi-session console, console cookie, SigV4 ------------------------------------------------
cases["multi-session-console-host"] = (
    req("GET", "/ec2/home?region=us-east-1", f"{B}-ab12cd34.us-east-1.console.aws.amazon.com"),
    [att("multi-session", "session", account=B)])
# A multi-session label whose digits a numeric reader takes for an account (leading zeros):
# refused, naming that account (before: no sign-in).
cases["hostile-multi-session-host-leading-zero"] = (
    req("GET", "/ec2/home?region=us-east-1", f"0{B}-ab12cd34.us-east-1.console.aws.amazon.com"),
    [att("multi-session", "session", account=B, parse_error=True)])
cases["console-cookie"] = (
    req("GET", "/console/home?region=us-east-1", "us-east-1.console.aws.amazon.com",
        headers=["Cookie: noflush_awsccs_sid=abc; " + COOKIE_A + "; aws-creds=xyz"]),
    [att("console-session", "post-auth", account=A, alias="acme-prod", role="Admin",
         user="alice")])
# An account whose policy allows SAML sessions only: the cookie alone names no session's origin,
# so it is console-session alone (the gateway judges a session it saw SAML open as saml too;
# explain --session-flow saml does the same, tests/integration/cli).
# A multi-session host and a console cookie of another account: the host names the session it
# serves, the cookie another; judged on the cookie (explain, unbound_sessions = "cookie") it is
# ambiguous, as a bound session's is conflicting (the inspector names both; app/session_binding).
cases["hostile-multi-session-host-beside-another-accounts-cookie"] = (
    req("GET", "/ec2/home?region=us-east-1", f"{A}-ab12cd34.us-east-1.console.aws.amazon.com",
        headers=["Cookie: " + COOKIE_B]),
    [att("multi-session", "session", account=A),
     att("console-session", "post-auth", account=B, role="Admin", user="alice")])
cases["multi-session-host-beside-its-cookie"] = (
    req("GET", "/ec2/home?region=us-east-1", f"{A}-ab12cd34.us-east-1.console.aws.amazon.com",
        headers=["Cookie: " + COOKIE_A]),
    [att("multi-session", "session", account=A),
     att("console-session", "post-auth", account=A, alias="acme-prod", role="Admin", user="alice")])
cases["console-cookie-saml-only-account"] = (
    req("GET", "/console/home?region=us-east-1", "us-east-1.console.aws.amazon.com",
        headers=["Cookie: aws-userInfo=" + user_info(
            f"arn:aws:sts::{C}:assumed-role/Admin/alice", "", "assumed-role/Admin/alice")]),
    [att("console-session", "post-auth", account=C, role="Admin", user="alice")])
cases["console-cookie-iam-user"] = (
    req("GET", "/iam/home", "console.aws.amazon.com", headers=[
        "Cookie: aws-userInfo=" + user_info(f"arn:aws:iam::{B}:user/bob", "", "bob")]),
    [att("console-session", "post-auth", account=B, user="bob")])
cases["console-cookie-garbled"] = (
    req("GET", "/console/home", "console.aws.amazon.com",
        headers=["Cookie: aws-userInfo=%7B%22arn%22%3A%22nope"]),
    [att("console-session", "post-auth", parse_error=True)])
cases["sigv4-authorization"] = (
    req("POST", "/", "monitoring.us-east-1.console.aws.amazon.com", headers=[
        "Authorization: AWS4-HMAC-SHA256 Credential=ASIAY34FZKBOKMUTVV7A/20261123/us-east-1/"
        "monitoring/aws4_request, SignedHeaders=host;x-amz-date, Signature=abcdef0123",
        "X-Amz-Date: 20261123T040000Z"], body="Action=DescribeAlarms&Version=2010-08-01",
        ctype=FORM),
    [att("api-credentials", "post-auth", account="609629065308")])
cases["sigv4-legacy-key"] = (
    req("GET", "/", "s3.console.aws.amazon.com", headers=[
        "Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261123/us-east-1/s3/"
        "aws4_request, SignedHeaders=host, Signature=00"]),
    [att("api-credentials", "post-auth", parse_error=True)])

# --- AMS -----------------------------------------------------------------------------------------
rfc = {"ChangeTypeId": "ct-1opjmhuddw194", "ChangeTypeVersion": "1.0", "Title": "Dev mode",
       "ExecutionParameters": json.dumps({"DocumentName": "AWSManagedServices-Dev"})}
cases["ams-create-rfc"] = (
    req("POST", "/", "amscm.us-east-1.amazonaws.com", headers=[
        "X-Amz-Target: AWSManagedServicesChangeManagement.CreateRfc"], body=json.dumps(rfc),
        ctype="application/x-amz-json-1.1"),
    [att("ams-change", "post-auth", change_type="ct-1opjmhuddw194")])
# The same change request in UTF-16 (Jackson detects the encoding): unreadable, refused.
cases["ams-create-rfc-utf16"] = (
    req("POST", "/", "amscm.us-east-1.amazonaws.com", headers=[
        "X-Amz-Target: AWSManagedServicesChangeManagement.CreateRfc"],
        body="".join(c + "\0" for c in json.dumps(rfc)), ctype="application/x-amz-json-1.1"),
    [att("ams-change", "post-auth", parse_error=True)])
wrapped = {"operation": "CreateRfc", "contentString": json.dumps(
    {"ChangeTypeId": "CT-3RD4781C2NNHP", "ChangeTypeVersion": "1.0"})}
cases["ams-console-wrapped-rfc"] = (
    req("POST", "/managedservices/api/amscm", "console.aws.amazon.com",
        headers=["Cookie: " + COOKIE_A], body=json.dumps(wrapped), ctype="application/json"),
    [att("console-session", "post-auth", account=A, alias="acme-prod", role="Admin", user="alice"),
     att("ams-change", "post-auth", account=A, alias="acme-prod", role="Admin", user="alice",
         change_type="ct-3rd4781c2nnhp")])
cases["ams-other-change-type"] = (
    req("POST", "/", "amscm.us-east-1.amazonaws.com", headers=[
        "X-Amz-Target: AWSManagedServicesChangeManagement.CreateRfc"],
        body=json.dumps({"ChangeTypeId": "ct-1e1xtak34nx76", "ChangeTypeVersion": "1.0"}),
        ctype="application/x-amz-json-1.1"),
    [])

# --- requests that carry nothing -----------------------------------------------------------------
cases["static-asset"] = (
    req("GET", "/assets/js/main.3f2a.js", "us-east-1.console.aws.amazon.com"), [])
cases["oauth-aws-own-accounts"] = (
    req("GET", "/oauth?response_type=code&client_id=arn%3Aaws%3Aiam%3A%3A015428540659%3Auser%2F"
        "homepage&redirect_uri=https%3A%2F%2Fconsole.aws.amazon.com%2Fconsole%2Fhome%3Faccount%3D"
        f"{B}%26isauthcode%3Dtrue", "signin.aws.amazon.com"), [])

# --- hostile encodings ---------------------------------------------------------------------------
cases["hostile-percent-encoding"] = (
    req("POST", "/authenticate", "signin.aws.amazon.com",
        body="account=%34%34%34%34%35%35%35%35%36%36%36%36&username=b%6Fb&password=x", ctype=FORM),
    [att("iam-user", account=B, user="bob")])
# A form's '+' is a space (an e-mail cannot hold one, so it is refused: a reader that takes '+'
# literally reads another address); '%2B' is '+'.
cases["hostile-plus"] = (
    req("POST", "/signin", "signin.aws.amazon.com",
        body="action=resolveAccountType&email=root+admin%2Btag%40example.com", ctype=FORM),
    [att("root", user="root admin+tag@example.com", parse_error=True)])
cases["hostile-host-case-port-trailing-dot"] = (
    req("POST", "/Authenticate", "SIGNIN.Aws.Amazon.COM.:443",
        body=form([("account", A), ("username", "bob")]), ctype=FORM),
    [att("iam-user", account=A, user="bob", host="signin.aws.amazon.com")])
cases["hostile-duplicate-params"] = (
    req("POST", "/authenticate", "signin.aws.amazon.com",
        body=form([("account", A), ("username", "bob"), ("account", B), ("account", A)]),
        ctype=FORM),
    [att("iam-user", account=A, user="bob", **AMB), att("iam-user", account=B, user="bob", **AMB)])
cases["hostile-query-and-body"] = (
    req("POST", f"/switchrole?account={A}&roleName=Admin", "signin.aws.amazon.com",
        body=form([("account", B), ("roleName", "Admin")]), ctype=FORM),
    [att("switch-role", account=A, role="Admin", **AMB),
     att("switch-role", account=B, role="Admin", **AMB)])
# Names a lenient reader takes for a field (array suffix, Unicode case mapping, PHP's '.' for
# '_') are that field: each names the account beside the exact spelling's.
cases["hostile-param-name-array"] = (
    req("POST", "/switchrole", "signin.aws.amazon.com",
        body=f"account={A}&roleName=Admin&account%5B%5D={B}", ctype=FORM),
    [att("switch-role", account=A, role="Admin", **AMB),
     att("switch-role", account=B, role="Admin", **AMB)])
cases["hostile-param-name-case-mapped"] = (
    req("GET", f"/federation/console?account_id={A}&role_name=Admin&account_%C4%B1d={B}"
        f"&account.id={B}", "portal.sso.us-east-1.amazonaws.com"),
    [att("identity-center", account=A, role="Admin", permission_set="Admin", **AMB),
     att("identity-center", account=B, role="Admin", permission_set="Admin", **AMB)])
# A portal path a lenient router takes for the federation API (Spring's suffix matching drops
# ".json"; a NUL or a space is trimmed) is judged as the portal's federation.
cases["hostile-portal-federation-suffix"] = (
    req("GET", f"/federation/console.json?account_id={B}&role_name=Admin",
        "portal.sso.us-east-1.amazonaws.com"),
    [att("identity-center", account=B, role="Admin", permission_set="Admin")])
chunk_body = form([("account", B), ("roleName", "Dev")])
cases["hostile-chunked"] = (
    req("POST", "/switchrole", "signin.aws.amazon.com", headers=["Transfer-Encoding: chunked"],
        ctype=FORM, body=f"{7:x}\r\n{chunk_body[:7]}\r\n{len(chunk_body)-7:x}\r\n"
        f"{chunk_body[7:]}\r\n0\r\n\r\n"),
    [att("switch-role", account=B, role="Dev")])
cases["hostile-body-over-cap"] = (
    req("POST", "/saml", "signin.aws.amazon.com", ctype=FORM,
        body=form([("RelayState", "x" * 17000), ("SAMLResponse", saml([f"{ROLE_A},{PROV_A}"]))])),
    [att("saml", parse_error=True)])
cases["hostile-path-encoding"] = (
    req("POST", "/x/../%73aml", "signin.aws.amazon.com",
        body=form([("SAMLResponse", saml([f"{ROLE_B},{PROV_B}"]))]), ctype=FORM),
    [att("saml", account=B, role="AWSReservedSSO_ReadOnly_0123456789abcdef",
         permission_set="ReadOnly", user="alice@example.com")])
cases["hostile-bad-escape"] = (
    req("POST", "/authenticate", "signin.aws.amazon.com",
        body="account=1111222233%zz&username=bob", ctype=FORM),
    [att("iam-user", alias="1111222233%zz", user="bob", parse_error=True),
     att("iam-user", parse_error=True)])
# A body behind a byte-order mark: a reader that drops it reads the first account too.
cases["hostile-form-byte-order-mark"] = (
    req("POST", "/authenticate", "signin.aws.amazon.com",
        body=f"\ufeffaccount={B}&account={A}&username=bob", ctype=FORM),
    [att("iam-user", parse_error=True)])
cases["hostile-multipart"] = (
    req("POST", "/authenticate", "signin.aws.amazon.com",
        ctype="multipart/form-data; boundary=XyZ",
        body="--XyZ\r\nContent-Disposition: form-data; name=\"account\"\r\n\r\n"
        f"{B}\r\n--XyZ--\r\n"),
    [att("iam-user", parse_error=True)])
cases["hostile-gzip-body"] = (
    req("POST", "/switchrole", "signin.aws.amazon.com", ctype=FORM,
        headers=["Content-Encoding: gzip"], body="\x1f\x08not-really-gzip"),
    [att("switch-role", parse_error=True)])
cases["hostile-json-duplicate-keys"] = (
    req("POST", "/sessions/5d0e1f2a/v1/switchrole", "signin.aws.amazon.com",
        body='{"accountId":"%s","roleName":"Dev","accountId":"%s"}' % (A, B),
        ctype="application/json"),
    [att("switch-role", account=A, role="Dev", **AMB), att("switch-role", account=B, role="Dev", **AMB)])
cases["hostile-path-parameter"] = (
    req("POST", "/saml;jsessionid=0A1B", "signin.aws.amazon.com",
        body=form([("SAMLResponse", saml([f"{ROLE_A},{PROV_A}"]))]), ctype=FORM),
    [att("saml", account=A, role="Admin", user="alice@example.com")])
cases["hostile-unknown-path-with-saml"] = (
    req("POST", "/v2/saml-post", "signin.aws.amazon.com",
        body=form([("SAMLResponse", saml([f"{ROLE_B},{PROV_B}"]))]), ctype=FORM),
    [att("saml", account=B, role="AWSReservedSSO_ReadOnly_0123456789abcdef",
         permission_set="ReadOnly", user="alice@example.com")])
cases["hostile-lf-absolute-form"] = (
    f"GET https://{A}.signin.aws.amazon.com/console HTTP/1.1\nUser-Agent: {UA}\n\n",
    [att("iam-user", account=A)])

# --- read two ways (issue 17): each denied with its own reason, every field AWS reads is read -----
# Hand-checked. In each case the reading the inspector used to take names only A (allowed); the
# other reading (the origin's, or a field it used not to read) names B (denied).
AKID_A = "ASIABTX3GSDSSWS4H4AN"  # encodes 111122223333 (account_from_access_key)
AKID_B = "ASIAGO645SY5CWS4H4AN"  # encodes 444455556666
cases["hostile-fragment-in-target"] = (
    req("GET", f"/switchrole#?account={B}&roleName=Admin", "signin.aws.amazon.com"),
    [att("switch-role", parse_error=True)])
cases["hostile-semicolon-query"] = (
    req("GET", f"/switchrole?roleName=Admin&account={A}&x=1;account={B}", "signin.aws.amazon.com"),
    [att("switch-role", account=A, role="Admin"), att("switch-role", parse_error=True)])
cases["hostile-semicolon-body"] = (
    req("POST", "/switchrole", "signin.aws.amazon.com",
        body=f"roleName=Admin&x=1;account={B}&account={A}", ctype=FORM),
    [att("switch-role", account=A, role="Admin"), att("switch-role", parse_error=True)])
cases["hostile-duplicate-host"] = (
    req("POST", "/switchrole", "signin.aws.amazon.com",
        headers=[f"Host: {B}.signin.aws.amazon.com"],
        body=form([("account", A), ("roleName", "Dev")]), ctype=FORM),
    [att("switch-role", account=A, role="Dev"), att("switch-role", parse_error=True)])
trailer_body = form([("account", A), ("roleName", "Dev")])
cases["hostile-host-in-trailer"] = (
    req("POST", "/switchrole", "signin.aws.amazon.com", headers=["Transfer-Encoding: chunked"],
        ctype=FORM, body=f"{len(trailer_body):x}\r\n{trailer_body}\r\n0\r\n"
        f"Host: {B}.signin.aws.amazon.com\r\n\r\n"),
    [att("switch-role", account=A, role="Dev"), att("switch-role", parse_error=True)])
# Session 12: digits that are not a 12-digit account ID (an alias IAM's syntax admits) may be
# read by AWS as an account number, leading zeros added or dropped: unparsable, never an alias.
cases["hostile-iam-user-host-label-eleven-digits"] = (
    req("GET", "/console", "11112222333.signin.aws.amazon.com"),
    [att("iam-user", account="011112222333", alias="11112222333", parse_error=True)])
cases["hostile-switchrole-account-thirteen-digits"] = (
    req("GET", f"/switchrole?account=0{B}&roleName=Admin", "signin.aws.amazon.com"),
    [att("switch-role", account=B, alias=f"0{B}", role="Admin", parse_error=True)])
# Session 12: trailer fields after a sign-in body (no browser sends any) may be read by AWS as
# header fields, as the endpoint's fields, or not at all: refused, whatever they name.
cases["hostile-field-in-trailer"] = (
    req("POST", "/switchrole", "signin.aws.amazon.com", headers=["Transfer-Encoding: chunked"],
        ctype=FORM, body=f"{len(trailer_body):x}\r\n{trailer_body}\r\n0\r\n"
        f"account: {B}\r\n\r\n"),
    [att("switch-role", account=A, role="Dev"), att("switch-role", parse_error=True)])
cases["hostile-multipart-form-boundary"] = (
    req("POST", "/authenticate", "signin.aws.amazon.com",
        ctype="multipart/form-data; boundary=x-www-form-urlencoded",
        body=f"account={A}&x=\r\n--x-www-form-urlencoded\r\n"
        "Content-Disposition: form-data; name=\"account\"\r\n\r\n"
        f"{B}\r\n--x-www-form-urlencoded--\r\n"),
    [att("iam-user", parse_error=True)])
cases["hostile-content-type-twice"] = (
    req("POST", "/switchrole", "signin.aws.amazon.com", ctype=FORM,
        headers=["Content-Type: application/json"],
        body=form([("account", A), ("roleName", "Dev")])),
    [att("switch-role", parse_error=True)])
cases["hostile-json-number-exponent"] = (
    req("POST", "/sessions/5d0e1f2a/v1/switchrole", "signin.aws.amazon.com",
        body='{"roleName":"Dev","accountId":"%s","accountId":4.44455556666e11}' % A,
        ctype="application/json"),
    [att("switch-role", account=A, role="Dev", **AMB), att("switch-role", account=B, role="Dev", **AMB)])
cases["hostile-json-number-fraction"] = (
    req("POST", "/sessions/5d0e1f2a/v1/switchrole", "signin.aws.amazon.com",
        body='{"roleName":"Dev","accountId":"%s","accountId":444455556666.4}' % A,
        ctype="application/json"),
    [att("switch-role", account=A, role="Dev", **AMB),
     att("switch-role", alias="444455556666.4", role="Dev", parse_error=True),
     att("switch-role", parse_error=True)])
# A sign-in field given a JSON null, true or an object: no reading servers agree on (Jackson makes
# true the alias "true", a JavaScript reader reads a member of the object). The scanner dropped
# them, so the switch role passed on the role ARN's account and the sign-in on no user.
cases["hostile-json-null-account"] = (
    req("POST", "/sessions/5d0e1f2a/v1/switchrole", "signin.aws.amazon.com",
        body='{"accountId":null,"roleArn":"arn:aws:iam::%s:role/Dev"}' % A,
        ctype="application/json"),
    [att("switch-role", account=A, role="Dev"), att("switch-role", parse_error=True)])
cases["hostile-json-object-username"] = (
    req("POST", "/authenticate", "signin.aws.amazon.com",
        body='{"account":"%s","username":{"name":"bob"},"password":"x"}' % A,
        ctype="application/json"),
    [att("iam-user", account=A), att("iam-user", parse_error=True)])
# Values outside AWS's syntax for their field (fullwidth digits, a role name cut by a NUL or
# spelled in fullwidth letters, a role value that is an ARN but not a role's) are refused.
cases["hostile-account-fullwidth-digits"] = (
    req("POST", "/switchrole", "signin.aws.amazon.com", ctype=FORM,
        body=form([("account", "４４４４５５５５６６６６"), ("roleName", "Admin")])),
    [att("switch-role", alias="４４４４５５５５６６６６", role="Admin", parse_error=True)])
cases["hostile-role-name-outside-syntax"] = (
    req("POST", "/switchrole", "signin.aws.amazon.com", ctype=FORM,
        body=f"account={A}&roleName=Admin%00&roleName=%EF%BC%A1dmin"
        f"&roleName=arn:aws:iam:us-east-1:{B}:role/Admin"),
    [att("switch-role", account=A, role="Admin\0", parse_error=True),
     att("switch-role", account=A, role="Ａdmin", parse_error=True),
     att("switch-role", account=A, role="Admin", parse_error=True)])
cases["hostile-role-arn-other-account"] = (
    req("POST", "/switchrole", "signin.aws.amazon.com", ctype=FORM,
        body=form([("account", A), ("roleName", f"arn:aws:iam::{B}:role/Admin")])),
    [att("switch-role", account=A, role="Admin", **AMB),
     att("switch-role", account=B, role="Admin", **AMB)])
cases["hostile-multi-session-role-arn"] = (
    req("POST", "/sessions/5d0e1f2a/v1/switchrole", "signin.aws.amazon.com",
        body='{"accountId":"%s","roleName":"Dev","roleArn":"arn:aws:iam::%s:role/Admin"}' % (A, B),
        ctype="application/json"),
    [att("switch-role", account=A, role="Dev", **AMB), att("switch-role", account=A, role="Admin", **AMB),
     att("switch-role", account=B, role="Admin", **AMB)])
cases["hostile-switchrole-account-and-account-id"] = (
    req("GET", f"/switchrole?account={A}&roleName=Admin&accountId={B}&displayName=prod",
        "signin.aws.amazon.com"),
    [att("switch-role", account=A, role="Admin", **AMB),
     att("switch-role", account=B, role="Admin", **AMB)])
cases["hostile-switchrole-role-name-and-role"] = (
    req("POST", "/switchrole", "signin.aws.amazon.com", ctype=FORM,
        body=form([("account", A), ("roleName", "ReadOnly"), ("role", "Admin")])),
    [att("switch-role", account=A, role="ReadOnly", **AMB),
     att("switch-role", account=A, role="Admin", **AMB)])
cases["switchrole-multi-session-role-arn-agrees"] = (
    req("POST", "/sessions/5d0e1f2a/v1/switchrole", "signin.aws.amazon.com",
        body='{"accountId":"%s","roleName":"Dev","roleArn":"arn:aws:iam::%s:role/Dev"}' % (A, A),
        ctype="application/json"),
    [att("switch-role", account=A, role="Dev")])
cases["hostile-iam-user-host-label-and-form-account"] = (
    req("POST", "/authenticate", f"{A}.signin.aws.amazon.com", ctype=FORM,
        body=form([("account", B), ("username", "bob"), ("password", "x")])),
    [att("iam-user", account=A, **AMB), att("iam-user", account=B, user="bob", **AMB)])
cases["hostile-saml-role-and-provider-in-two-accounts"] = (
    req("POST", "/saml", "signin.aws.amazon.com", body=form([
        ("SAMLResponse", saml([f"{ROLE_A},{PROV_B}"]))]), ctype=FORM),
    [att("saml", account=A, role="Admin", user="alice@example.com", **AMB),
     att("saml", account=B, **AMB)])
cases["saml-role-index-not-in-assertion"] = (
    req("POST", "/saml", "signin.aws.amazon.com", body=form([
        ("roleIndex", ROLE_A),
        ("SAMLResponse", saml([f"{ROLE_B},{PROV_B}"]))]), ctype=FORM),
    [att("saml", account=A, role="Admin", user="alice@example.com", parse_error=True)])
cases["hostile-sigv4-credential-substring"] = (
    req("GET", "/b/k", "s3.console.aws.amazon.com", headers=[
        f"Authorization: AWS4-HMAC-SHA256 XCredential={AKID_A}/20261123/us-east-1/s3/"
        f"aws4_request, Credential={AKID_B}/20261123/us-east-1/s3/aws4_request, "
        "SignedHeaders=host, Signature=00"]),
    [att("api-credentials", "post-auth", account=B)])
cases["hostile-sigv4-no-credential-parameter"] = (
    req("GET", "/b/k", "s3.console.aws.amazon.com", headers=[
        f"Authorization: AWS4-HMAC-SHA256 SignedHeaders=host;Credential={AKID_A}, Signature=00"]),
    [att("api-credentials", "post-auth", parse_error=True)])
# --- CLI sign-in (`aws login`, AWS Sign-In OAuth 2.0) -------------------------------------------
# The browser step: signed in to the console, the aws-userInfo cookie names the account the CLI
# gets credentials for (post-auth); client_id and redirect_uri are never read.
CLI_QUERY = "?" + form([
    ("response_type", "code"), ("client_id", "arn:aws:signin:::devtools/same-device"),
    ("redirect_uri", "http://127.0.0.1:53211/oauth/callback"), ("state", "st-5e1f0a"),
    ("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
    ("code_challenge_method", "SHA-256"), ("scope", "openid")])
cases["cli-authorize-signed-in"] = (
    req("GET", "/v1/authorize" + CLI_QUERY, "signin.aws.amazon.com",
        headers=[f"Cookie: {COOKIE_A}"]),
    [att("console-session", "post-auth", account=A, alias="acme-prod", role="Admin", user="alice"),
     att("cli-sign-in", "post-auth", account=A, alias="acme-prod", role="Admin", user="alice")])
cases["cli-authorize-production"] = (
    req("GET", "/v1/authorize" + CLI_QUERY, "us-east-1.signin.aws.amazon.com",
        headers=[f"Cookie: {COOKIE_B}"]),
    [att("console-session", "post-auth", account=B, role="Admin", user="alice"),
     att("cli-sign-in", "post-auth", account=B, role="Admin", user="alice")])
cases["cli-authorize-not-signed-in"] = (
    req("GET", "/v1/authorize" + CLI_QUERY, "signin.aws.amazon.com"),
    [att("cli-sign-in")])
# CreateOAuth2Token: names no account (the code, verifier and refresh token are opaque).
TOKEN_CODE = json.dumps({"tokenInput": {
    "clientId": "arn:aws:signin:::devtools/same-device", "grantType": "authorization_code",
    "code": "cg-secret-authorization-code-7f3a", "codeVerifier": "cg-secret-verifier-0b9c",
    "redirectUri": "http://127.0.0.1:53211/oauth/callback"}})
cases["cli-token-authorization-code"] = (
    req("POST", "/v1/token", "signin.us-east-1.amazonaws.com", body=TOKEN_CODE,
        ctype="application/json"),
    [att("cli-sign-in")])
cases["cli-token-refresh"] = (
    req("POST", "/v1/token", "us-east-1.signin.aws.amazon.com", body=form([
        ("client_id", "arn:aws:signin:::devtools/same-device"), ("grant_type", "refresh_token"),
        ("refresh_token", "cg-secret-refresh-token-41d2")]), ctype=FORM),
    [att("cli-sign-in")])
cases["cli-token-unknown-grant"] = (
    req("POST", "/v1/token", "signin.eu-west-1.amazonaws.com", body=json.dumps({
        "clientId": "arn:aws:signin:::devtools/same-device", "grantType": "client_credentials"}),
        ctype="application/json"),
    [att("cli-sign-in", parse_error=True)])
cases["cli-token-no-grant"] = (
    req("POST", "/v1/token", "signin.us-east-1.amazonaws.com", body=json.dumps({
        "clientId": "arn:aws:signin:::devtools/same-device", "code": "cg-secret-code-99"}),
        ctype="application/json"),
    [att("cli-sign-in", parse_error=True)])

# --- account sign-up (signin:CreateAccount) -----------------------------------------------------
cases["signup-portal"] = (
    req("GET", "/billing/signup?refid=em_127222&redirect_url=https%3A%2F%2Faws.amazon.com%2F",
        "portal.aws.amazon.com"),
    [att("account-sign-up")])
# The registration URL AWS linked before /billing/signup (before session 11: no sign-in).
cases["signup-portal-registration"] = (
    req("GET", "/gp/aws/developer/registration/index.html?nc2=h_ct&src=header_signup",
        "portal.aws.amazon.com"),
    [att("account-sign-up")])
cases["signup-signin"] = (
    req("GET", "/signup?request_type=register", "signin.aws.amazon.com"),
    [att("account-sign-up")])

# --- other partitions (issue 19): AWS GovCloud (US) enabled in the corpus policy, China not ------
GOV = "777788889999"
GOV_COOKIE = "aws-userInfo=" + user_info(f"arn:aws-us-gov:sts::{GOV}:assumed-role/Admin/alice", "",
                                         "assumed-role/Admin/alice")
cases["govcloud-iam-user-host-label"] = (
    req("GET", "/console", f"{GOV}.signin.amazonaws-us-gov.com"),
    [att("iam-user", account=GOV, partition="aws-us-gov")])
cases["govcloud-switchrole-commercial-account-number"] = (
    req("GET", f"/switchrole?account={A}&roleName=Admin&displayName=sandbox",
        "signin.amazonaws-us-gov.com"),
    [att("switch-role", account=A, role="Admin", partition="aws-us-gov")])
# The alias map is the commercial partition's: in GovCloud "acme-prod" is somebody else's alias.
cases["govcloud-iam-user-commercial-alias"] = (
    req("GET", "/console", "acme-prod.signin.amazonaws-us-gov.com"),
    [att("iam-user", alias="acme-prod", partition="aws-us-gov")])
cases["govcloud-saml-regional"] = (
    req("POST", "/saml", "us-gov-east-1.signin.amazonaws-us-gov.com", body=form([
        ("SAMLResponse", saml([f"arn:aws-us-gov:iam::{GOV}:role/Admin,"
                               f"arn:aws-us-gov:iam::{GOV}:saml-provider/Okta"])),
        ("RelayState", "")]), ctype=FORM),
    [att("saml", account=GOV, role="Admin", user="alice@example.com", partition="aws-us-gov")])
cases["govcloud-console-cookie"] = (
    req("GET", "/ec2/home?region=us-gov-west-1", "us-gov-west-1.console.amazonaws-us-gov.com",
        headers=[f"Cookie: {GOV_COOKIE}"]),
    [att("console-session", "post-auth", account=GOV, role="Admin", user="alice",
         partition="aws-us-gov")])
cases["govcloud-idc-shared-portal"] = (
    req("GET", "/directory/d-1234567890", "start.us-gov-home.awsapps.com"),
    [att("identity-center-portal", idc_instance="d-1234567890", partition="aws-us-gov")])
cases["china-iam-user-host-label"] = (
    req("GET", "/console", f"{A}.signin.amazonaws.cn"),
    [att("iam-user", account=A, partition="aws-cn")])
cases["china-console-cookie"] = (
    req("GET", "/console/home?region=cn-north-1", "cn-north-1.console.amazonaws.cn",
        headers=["Cookie: aws-userInfo=" + user_info(f"arn:aws-cn:iam::{A}:user/bob", "", "bob")]),
    [att("console-session", "post-auth", account=A, user="bob", partition="aws-cn")])
# --- session 11: the ISO partitions and the AWS European Sovereign Cloud (docs/inspection.md
# "The ISO partitions and the AWS European Sovereign Cloud"): read as the other partitions are ---
cases["eusc-iam-user-host-label"] = (
    req("GET", "/console", f"{A}.signin.amazonaws-eusc.eu"),
    [att("iam-user", account=A, partition="aws-eusc")])
cases["eusc-idc-federation-console"] = (
    req("GET", f"/federation/console?account_id={A}&role_name=AdministratorAccess",
        "portal.sso.eusc-de-east-1.amazonaws.eu", headers=["x-amz-sso_bearer_token: opaque"]),
    [att("identity-center", account=A, role="AdministratorAccess",
         permission_set="AdministratorAccess", partition="aws-eusc")])
cases["iso-console-cookie"] = (
    req("GET", "/console/home?region=us-iso-east-1", "us-iso-east-1.console.c2shome.ic.gov",
        headers=["Cookie: aws-userInfo=" + user_info(f"arn:aws-iso:iam::{A}:user/bob", "", "bob")]),
    [att("console-session", "post-auth", account=A, user="bob", partition="aws-iso")])
# --- issue 19, session 5: names the AWS SDKs' endpoint rules and the IAM Identity Center User
# Guide publish (docs/inspection.md "Other partitions", "Identity Center instances") ------------
cases["govcloud-cli-token-refresh"] = (
    req("POST", "/v1/token", "us-gov-west-1.signin.amazonaws-us-gov.com", body=form([
        ("client_id", "arn:aws-us-gov:signin:::devtools/same-device"),
        ("grant_type", "refresh_token"), ("refresh_token", "cg-secret-refresh-token-41d2")]),
        ctype=FORM),
    [att("cli-sign-in", partition="aws-us-gov")])
cases["china-cli-authorize"] = (
    req("GET", "/v1/authorize" + CLI_QUERY, "cn-north-1.signin.amazonaws.cn"),
    [att("cli-sign-in", partition="aws-cn")])
cases["oauth-endpoint-token-refresh"] = (
    req("POST", "/v1/token", "us-east-1.oauth.signin.aws", body=form([
        ("client_id", "arn:aws:signin:::devtools/same-device"), ("grant_type", "refresh_token"),
        ("refresh_token", "cg-secret-refresh-token-41d2")]), ctype=FORM),
    [att("cli-sign-in")])
cases["govcloud-fips-saml"] = (
    req("POST", "/saml", "us-gov-west-1.signin-fips.amazonaws-us-gov.com", body=form([
        ("SAMLResponse", saml([f"arn:aws-us-gov:iam::{GOV}:role/Admin,"
                               f"arn:aws-us-gov:iam::{GOV}:saml-provider/Okta"])),
        ("RelayState", "")]), ctype=FORM),
    [att("saml", account=GOV, role="Admin", user="alice@example.com", partition="aws-us-gov")])
cases["idc-regional-portal-foreign"] = (
    req("GET", "/start", "ssoins-111111h2222j33pp.eu-west-1.portal.amazonaws.com"),
    [att("identity-center-portal", idc_instance="ssoins-111111h2222j33pp")])
cases["idc-dual-stack-portal-own"] = (
    req("GET", "/start", "ssoins-7223753b6943f944.portal.us-east-1.app.aws"),
    [att("identity-center-portal", idc_instance="ssoins-7223753b6943f944")])
cases["hostile-partition-mismatch-cookie"] = (
    req("GET", "/console/home", "console.aws.amazon.com", headers=[f"Cookie: {GOV_COOKIE}"]),
    [att("console-session", "post-auth", account=GOV, role="Admin", user="alice",
         parse_error=True)])

# --- session 7 review: flows on other names, and requests with two readings ----------------------
cases["regional-signin-saml"] = (
    req("POST", "/saml", "signin.us-east-1.amazonaws.com",
        body=form([("SAMLResponse", saml([f"{ROLE_B},{PROV_B}"])), ("RelayState", "")]), ctype=FORM),
    [att("saml", account=B, role="AWSReservedSSO_ReadOnly_0123456789abcdef",
         permission_set="ReadOnly", user="alice@example.com")])
cases["idc-fips-federation-credentials"] = (
    req("GET", f"/federation/credentials?account_id={B}&role_name=ReadOnly",
        "portal.sso-fips.us-east-1.amazonaws.com", headers=["x-amz-sso_bearer_token: opaque"]),
    [att("identity-center", account=B, role="ReadOnly", permission_set="ReadOnly")])
cases["hostile-encoded-slash-path"] = (
    req("GET", f"/authenticate%2F..%2Fswitchrole?account={B}&roleName=Admin",
        "signin.aws.amazon.com"),
    [att("switch-role", account=B, alias="", role="Admin"), att("switch-role", parse_error=True)])
cases["saml-foreign-namespace-value"] = (
    req("POST", "/saml", "signin.aws.amazon.com", body=form([("SAMLResponse", saml(
        [f"{ROLE_B},{PROV_B}</saml2:AttributeValue><x:AttributeValue xmlns:x=\"urn:example:x\">"
         f"{ROLE_A},{PROV_A}"]))]), ctype=FORM),
    [att("saml", parse_error=True)])

# --- session 7 evasion round 2: a charset the server may honour and the inspector does not read ---
# Under charset=ibm037 a servlet or ASP.NET reads the percent-decoded EBCDIC bytes of the first
# pair as account=B, roleName=Admin; read as UTF-8 they are no parameter, and only A is seen.
ebcdic = lambda s: urllib.parse.quote_from_bytes(s.encode("cp037"), safe="")
cases["hostile-form-charset"] = (
    req("POST", "/switchrole", "signin.aws.amazon.com",
        ctype="application/x-www-form-urlencoded; charset=ibm037",
        body=f"{ebcdic('account')}={ebcdic(B)}&{ebcdic('roleName')}={ebcdic('Admin')}"
        f"&account={A}&roleName=Dev"),
    [att("switch-role", parse_error=True)])
# HTML's _charset_ field names the encoding the form was sent in; a server that decodes the form
# by it reads other names and values than UTF-8 gives.
cases["hostile-form-charset-field"] = (
    req("POST", "/switchrole", "signin.aws.amazon.com", ctype=FORM,
        body=f"_charset_=ibm037&{ebcdic('account')}={ebcdic(B)}&account={A}&roleName=Dev"),
    [att("switch-role", account=A, role="Dev"), att("switch-role", parse_error=True)])
# A reader that trims parameter names or splits at white space sees a key the documented grammar
# alone does not; both readings are judged (the forbidden key first, where the old reading hid it).
cases["hostile-sigv4-credential-name-spaced"] = (
    req("GET", "/b/k", "s3.console.aws.amazon.com", headers=[
        f"Authorization: AWS4-HMAC-SHA256 Credential ={AKID_B}/20261123/us-east-1/s3/"
        f"aws4_request, Credential={AKID_A}/20261123/us-east-1/s3/aws4_request, "
        "SignedHeaders=host, Signature=00"]),
    [att("api-credentials", "post-auth", account=B),
     att("api-credentials", "post-auth", account=A)])
# Signature Version 2 names the key too: S3's REST header and a presigned URL's AWSAccessKeyId.
cases["sigv2-authorization"] = (
    req("GET", "/b/k", "s3.console.aws.amazon.com", headers=[
        f"Authorization: AWS {'AKIA' + AKID_B[4:]}:frJIUN8DYpKDtOLCwo//yllqDzg=",
        "Date: Mon, 23 Nov 2026 04:00:00 GMT"]),
    [att("api-credentials", "post-auth", account=B)])
cases["sigv2-presigned-query"] = (
    req("GET", f"/b/k?AWSAccessKeyId={'AKIA' + AKID_B[4:]}&Expires=1795000000&"
        "Signature=vjbyPxybdZaNmGa%2ByT272YEAiv4%3D", "s3.console.aws.amazon.com"),
    [att("api-credentials", "post-auth", account=B)])

# A role or SAML provider ARN in aws-userInfo names no console principal: unreadable, no account.
cases["hostile-console-cookie-role-arn"] = (
    req("GET", "/console/home", "us-east-1.console.aws.amazon.com", headers=[
        "Cookie: aws-userInfo=" + user_info(ROLE_A, "acme-prod", "Admin")]),
    [att("console-session", "post-auth", parse_error=True)])

# --- session 9 review: a sign-in field given several different values is ambiguous -------------
# AWS reads one of them (the first, the last, all joined with ',' as Spring binds a repeat to a
# String; the query's or the body's), which one is not documented: every reading is recorded and
# the request is denied as ambiguous-identity, even when each reading alone would be allowed.
# The same value twice is one reading.
KEY_A, KEY_B = "ASIABTX3GSDSQAJDIVTY", "ASIAGO645SY5AAJDIVTY"  # access keys of A and B
cases["hostile-query-and-body-agree"] = (
    req("POST", f"/switchrole?account={A}&roleName=Admin", "signin.aws.amazon.com",
        body=form([("account", A), ("roleName", "Admin")]), ctype=FORM),
    [att("switch-role", account=A, role="Admin")])
cases["hostile-switchrole-role-twice"] = (
    req("POST", f"/switchrole?account={A}&roleName=Admin", "signin.aws.amazon.com",
        body=form([("account", A), ("roleName", "Dev")]), ctype=FORM),
    [att("switch-role", account=A, role="Admin", **AMB),
     att("switch-role", account=A, role="Dev", **AMB)])
cases["hostile-switchrole-json-nested-account"] = (
    req("POST", "/sessions/5d0e1f2a/v1/switchrole", "signin.aws.amazon.com",
        body='{"accountId":"%s","roleName":"Dev","options":{"accountId":"%s"}}' % (A, B),
        ctype="application/json"),
    [att("switch-role", account=A, role="Dev", **AMB), att("switch-role", account=B, role="Dev", **AMB)])
cases["hostile-broker-two-session-ids"] = (
    req("GET", "/federation?Action=getSigninToken&Session=" + urllib.parse.quote(
        '{"sessionId":"%s","sessionKey":"k","sessionToken":"t","sessionId":"%s"}' % (KEY_A, KEY_B),
        safe=""), "signin.aws.amazon.com"),
    [att("custom-broker", account=A, **AMB), att("custom-broker", account=B, **AMB)])
cases["hostile-broker-action-twice"] = (
    req("GET", "/federation?Action=login&SigninToken=VCQgs5qZZt3Q6fn8Tr5EXAMPLE&Action="
        "getSigninToken&Session=" + urllib.parse.quote(json.dumps({"sessionId": KEY_A}), safe=""),
        "signin.aws.amazon.com"),
    [att("custom-broker", account=A, **AMB), att("custom-broker", **AMB)])
cases["hostile-saml-role-index-twice"] = (
    req("POST", "/saml", "signin.aws.amazon.com", body=form([
        ("SAMLResponse", saml([f"{ROLE_A},{PROV_A}", f"{ROLE_B},{PROV_B}"])),
        ("roleIndex", ROLE_A), ("roleIndex", ROLE_B)]), ctype=FORM),
    [att("saml", account=A, role="Admin", user="alice@example.com", **AMB),
     att("saml", account=B, role="AWSReservedSSO_ReadOnly_0123456789abcdef",
         permission_set="ReadOnly", user="alice@example.com", **AMB)])
cases["hostile-portal-credentials-account-repeated"] = (
    req("GET", f"/federation/credentials?account_id={A}&role_name=ReadOnly&account%5Fid=%34"
        f"{B[1:]}", "portal.sso.us-east-1.amazonaws.com",
        headers=["x-amz-sso_bearer_token: aoaAAAAAGc0ZXhhbXBsZS10b2tlbi1mb3ItdGVzdHM"]),
    [att("identity-center", account=A, role="ReadOnly", permission_set="ReadOnly", **AMB),
     att("identity-center", account=B, role="ReadOnly", permission_set="ReadOnly", **AMB)])
cases["hostile-iam-user-username-twice"] = (
    req("POST", "/authenticate", f"{A}.signin.aws.amazon.com",
        body=form([("username", "bob"), ("password", "hunter2"), ("username", "eve")]),
        ctype=FORM),
    [att("iam-user", account=A, **AMB), att("iam-user", account=A, user="bob", **AMB),
     att("iam-user", account=A, user="eve", **AMB)])
cases["hostile-device-authorization-two-start-urls"] = (
    req("POST", "/device_authorization", "oidc.us-east-1.amazonaws.com",
        body='{"clientId":"c","clientSecret":"s","startUrl":"https://acme.awsapps.com/start",'
             '"startUrl":"https://d-9999999999.awsapps.com/start"}',
        ctype="application/x-amz-json-1.1"),
    [att("identity-center-portal", idc_instance="acme", **AMB),
     att("identity-center-portal", idc_instance="d-9999999999", **AMB)])

# An account no alias IAM allows can name (a sign: the JSON number -444455556666; a doubled '-'):
# AWS may read the digits (Long.parseLong takes the sign) or refuse it; unparsable, never an
# unknown alias.
cases["hostile-account-json-negative-number"] = (
    req("POST", "/sessions/5d0e1f2a/v1/switchrole", "signin.aws.amazon.com",
        body='{"accountId":-%s,"roleName":"Dev"}' % B, ctype="application/json"),
    [att("switch-role", alias="-" + B, role="Dev", parse_error=True)])
cases["hostile-account-alias-double-dash"] = (
    req("GET", "/switchrole?account=acme--prod&roleName=Admin", "signin.aws.amazon.com"),
    [att("switch-role", alias="acme--prod", role="Admin", parse_error=True)])

# A submission naming nothing the endpoint's reader finds is refused whatever its method, as a
# POST is (a server may read a PUT's form fields as a POST's). (A CORS preflight without a body
# names nothing and is not refused: unit-tested, since the corpus's live origin answers no OPTIONS.)
cases["hostile-put-saml-without-response"] = (
    req("PUT", "/saml", "signin.aws.amazon.com", body=form([("RelayState", "x")]), ctype=FORM),
    [att("saml", parse_error=True)])
cases["hostile-patch-switchrole-without-account"] = (
    req("PATCH", "/switchrole", "signin.aws.amazon.com", body=form([("displayName", "x")]),
        ctype=FORM),
    [att("switch-role", parse_error=True)])
cases["hostile-federation-post-naming-nothing"] = (
    req("POST", "/federation", "signin.aws.amazon.com", body=form([("Actio", "getSigninToken")]),
        ctype=FORM),
    [att("custom-broker", parse_error=True)])

# A name behind what a trimming reader drops (Java's trim(): every character up to U+0020; .NET,
# Python, JavaScript: Unicode white space, U+FEFF) is that name: here a second account.
cases["hostile-param-name-trimmed-controls"] = (
    req("POST", "/switchrole", "signin.aws.amazon.com",
        body=f"account={A}&roleName=Admin&account%0B={B}&%C2%A0account%E2%80%83={B}", ctype=FORM),
    [att("switch-role", account=A, role="Admin", **AMB),
     att("switch-role", account=B, role="Admin", **AMB)])

# aws-userInfo under a name a lenient server takes for it (another case; Node's `cookie` trims
# names with JavaScript's trim()): that session is judged too, beside the exact spelling's.
cases["hostile-console-cookie-name-spellings"] = (
    req("GET", "/console/home", "us-east-1.console.aws.amazon.com", headers=[
        f"Cookie: {COOKIE_A}; AWS-USERINFO=" + user_info(f"arn:aws:sts::{B}:assumed-role/Admin/alice",
                                                          "", "assumed-role/Admin/alice")]),
    [att("console-session", "post-auth", account=A, alias="acme-prod", role="Admin", user="alice"),
     att("console-session", "post-auth", account=B, role="Admin", user="alice")])

# IIS's %uXXXX in a name ("%u0061ccount" is account there): read as that name; the escape is
# malformed to RFC 3986, so the request is refused for that too.
cases["hostile-param-name-percent-u"] = (
    req("GET", f"/switchrole?account={A}&roleName=Admin&%u0061ccount={B}", "signin.aws.amazon.com"),
    [att("switch-role", account=A, role="Admin", **AMB),
     att("switch-role", account=B, role="Admin", **AMB),
     att("switch-role", parse_error=True)])

# A header some servers take as the target (X-Original-URL, X-Rewrite-URL) or the host
# (X-Forwarded-Host, X-Host, X-Original-Host) on an AWS host: refused, it could be read two ways.
cases["hostile-x-original-url"] = (
    req("GET", "/static/app.js", "us-east-1.console.aws.amazon.com",
        headers=[f"X-Original-URL: /switchrole?account={B}&roleName=Admin"]),
    [att("iam-user", parse_error=True, host="us-east-1.console.aws.amazon.com")])
cases["hostile-x-forwarded-host-other-label"] = (
    req("GET", "/console", f"{A}.signin.aws.amazon.com",
        headers=[f"X-Forwarded-Host: {B}.signin.aws.amazon.com"]),
    [att("iam-user", account=A), att("iam-user", parse_error=True)])

# --- session 10 ----------------------------------------------------------------------------------
# Two different grant types in one CreateOAuth2Token request (grant_type beside grantType): AWS
# issues what one of them asks, which one is unknown.
cases["hostile-cli-token-two-grant-types"] = (
    req("POST", "/v1/token", "us-east-1.signin.aws.amazon.com", body=form([
        ("client_id", "arn:aws:signin:::devtools/same-device"), ("grant_type", "refresh_token"),
        ("grantType", "authorization_code"), ("refresh_token", "cg-secret-refresh-token-41d2")]),
        ctype=FORM),
    [att("cli-sign-in", **AMB), att("cli-sign-in", **AMB)])
# The access portal's federation fields in the spellings a lenient reader maps to them
# (camelCase as GetRoleCredentials names them, kebab-case): one field, so two accounts are
# ambiguous, and the camelCase one alone is judged.
cases["hostile-portal-account-two-spellings"] = (
    req("GET", f"/federation/credentials?account_id={A}&role_name=ReadOnly&accountId={B}",
        "portal.sso.us-east-1.amazonaws.com",
        headers=["x-amz-sso_bearer_token: aoaAAAAAGc0ZXhhbXBsZS10b2tlbi1mb3ItdGVzdHM"]),
    [att("identity-center", account=A, role="ReadOnly", permission_set="ReadOnly", **AMB),
     att("identity-center", account=B, role="ReadOnly", permission_set="ReadOnly", **AMB)])
cases["idc-federation-console-camel-case"] = (
    req("GET", f"/federation/console?accountId={B}&roleName=AdministratorAccess",
        "portal.sso.eu-west-1.amazonaws.com", headers=["x-amz-sso_bearer_token: opaque"]),
    [att("identity-center", account=B, role="AdministratorAccess",
         permission_set="AdministratorAccess")])
# A reader that percent-decodes the whole query, form body or Cookie header before it splits it
# finds a sign-in field inside another value ("x=1%26account%3DB" is account=B there): judged,
# and refused as read two ways.
cases["hostile-query-decoded-then-split"] = (
    req("GET", f"/switchrole?account={A}&roleName=Admin&displayName=ops%26account%3D{B}",
        "signin.aws.amazon.com"),
    [att("switch-role", account=A, role="Admin", **AMB),
     att("switch-role", account=B, role="Admin", **AMB),
     att("switch-role", **AMB)])
cases["hostile-form-decoded-then-split"] = (
    req("POST", "/authenticate", "signin.aws.amazon.com",
        body=f"account={A}&username=bob&password=x%26account%3D{B}", ctype=FORM),
    [att("iam-user", account=A, user="bob", **AMB), att("iam-user", account=B, user="bob", **AMB),
     att("iam-user", **AMB)])
cases["hostile-cookie-decoded-then-split"] = (
    req("GET", "/console/home", "us-east-1.console.aws.amazon.com", headers=[
        f"Cookie: {COOKIE_A}; noflush_locale=en%3B%20aws-userInfo%3D" + user_info(
            f"arn:aws:sts::{B}:assumed-role/Admin/alice", "", "assumed-role/Admin/alice")]),
    [att("console-session", "post-auth", account=A, alias="acme-prod", role="Admin", user="alice"),
     att("console-session", "post-auth", **AMB)])
# A sign-in field in a path parameter, which a reader of matrix variables (Spring's
# @MatrixVariable, JAX-RS @MatrixParam) takes for the endpoint's parameter: read, and beside a
# different value in the query ambiguous.
cases["hostile-path-parameter-account"] = (
    req("GET", f"/switchrole;account={B}?account={A}&roleName=Admin", "signin.aws.amazon.com"),
    [att("switch-role", account=A, role="Admin", **AMB),
     att("switch-role", account=B, role="Admin", **AMB)])
# AWS Sign-In's dual-stack name (the SDKs' endpoint rules with dual-stack on): a sign-in host.
cases["cli-token-dual-stack"] = (
    req("POST", "/v1/token", "signin.us-east-1.api.aws", body=TOKEN_CODE,
        ctype="application/json"),
    [att("cli-sign-in")])
# An encoded '?' in the path: a server decoding the path before it looks for the query reads
# /switchrole with account=B; refused as read two ways (it passed as no sign-in).
cases["hostile-path-encoded-query"] = (
    req("GET", f"/switchrole%3Faccount={B}&roleName=Admin", "signin.aws.amazon.com"),
    [att("iam-user", parse_error=True)])
cases["hostile-console-path-encoded-query"] = (
    req("GET", f"/switchrole%3Faccount={B}&roleName=Admin", "us-east-1.console.aws.amazon.com"),
    [att("switch-role", parse_error=True, host="us-east-1.console.aws.amazon.com")])
# RFC 2965's ',' between cookies (Tomcat's legacy cookie processor, Jetty's RFC 2965 mode): a
# second aws-userInfo behind a comma, refused as read two ways.
cases["hostile-cookie-comma-separated"] = (
    req("GET", "/console/home", "us-east-1.console.aws.amazon.com", headers=[
        "Cookie: noflush_locale=en, aws-userInfo=" + user_info(
            f"arn:aws:sts::{B}:assumed-role/Admin/alice", "", "assumed-role/Admin/alice") +
        f"; {COOKIE_A}"]),
    [att("console-session", "post-auth", account=A, alias="acme-prod", role="Admin", user="alice"),
     att("console-session", "post-auth", **AMB)])
# A guarded change type with a trailing VT (Java's trim() drops it) on a call whose target names
# no RFC: the guarded type (it passed as no change request).
cases["hostile-ams-change-type-trimmed"] = (
    req("POST", "/", "amscm.us-east-1.amazonaws.com", headers=[
        "X-Amz-Target: AWSManagedServicesChangeManagement.SubmitChange"],
        body='{"ChangeTypeId":"ct-1opjmhuddw194\\u000b","ChangeTypeVersion":"1.0"}',
        ctype="application/x-amz-json-1.1"),
    [att("ams-change", "post-auth", change_type="ct-1opjmhuddw194")])
# An aws-userInfo whose JSON names arn twice to a reader that trims keys ("arn" and "arn "):
# refused as read two ways (the first was read alone).
trimmed_key = urllib.parse.quote(json.dumps({"arn": f"arn:aws:sts::{A}:assumed-role/Admin/alice",
                                             "arn ": f"arn:aws:sts::{B}:assumed-role/Admin/alice"},
                                            separators=(",", ":")), safe="")
cases["hostile-console-cookie-key-trimmed"] = (
    req("GET", "/console/home", "us-east-1.console.aws.amazon.com",
        headers=[f"Cookie: aws-userInfo={trimmed_key}"]),
    [att("console-session", "post-auth", **AMB)])

for name, (text, attempts) in cases.items():
    with open(os.path.join(HERE, name + ".http"), "w", newline="") as f:
        f.write(text)
    with open(os.path.join(HERE, name + ".expect.json"), "w") as f:
        json.dump({"attempts": attempts}, f, indent=1)
        f.write("\n")
print(len(cases), "cases")
