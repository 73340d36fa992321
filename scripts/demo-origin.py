#!/usr/bin/python3
"""A stand-in for AWS in the demo and the end-to-end tests: an HTTPS server that answers every
request with a small page naming the host and path it received, so a user can tell "reached the
origin" from "blocked by the gateway". Its certificate comes from a demo upstream CA that only the
gateway trusts (proxy.upstream_override.ca_bundle), just as the real AWS is trusted through the
system store.

    scripts/demo-origin.py --dir demo-state/origin --port 9443 [--hosts a,b,...] [--record FILE]

With --issue-sessions it also answers sign-ins as AWS does as far as the gateway's session binding
needs (issue 20): a successful sign-in, federation login, SAML post or switch role gets a 302 to the
console with fresh session cookies (aws-creds, JSESSIONID) and aws-userInfo naming the principal.
Which account a sign-in reaches is decided as the real AWS would from secrets the gateway cannot
read; the stand-in reads it from demo conventions instead: a root e-mail or a SigninToken holding
12 digits names that account (SigninToken "demo.<account>.<role>"), /authenticate and switch role
take the account and role named, SAML the first role ARN of the assertion (or roleIndex). A
SigninToken "demo-late.<account>.<role>" signs in the same way but its answer sets the session's
cookies without aws-userInfo, as an answer that opens the session before a later one names it.
A SigninToken "demo-oauth.<account>.<role>" is answered by a bare redirect (no cookie) to the
console's callback, GET console.aws.amazon.com/oauth?code=demo.<account>.<role>, whose answer then
sets the session's cookies without aws-userInfo: a later step of a sign-in that names nothing.

The access portal's profile call (GET portal.sso.<region>.amazonaws.com/user) is answered as the
portal's web app sees it, naming the signed-in user as `subject`; the stand-in reads that user from a
demo convention for the bearer token (x-amz-sso_bearer_token "demo.portal.<user>.<anything>"),
where the real portal looks the token up. Any other token gets a 401.

With --record, every request received is appended to FILE as one JSON line (method, target, headers
in order, body as latin-1 text), so a test can check what reached "AWS". Every answer carries an
Alt-Svc header, as AWS's do, so a test can check that the gateway drops it.

Creates DIR/upstream-ca.pem (+ key) and DIR/origin.pem (+ key) with openssl on first start.
Standard library only.
"""
import argparse
import base64
import http.server
import json
import os
import re
import secrets
import ssl
import subprocess
import sys
import urllib.parse

# A wildcard covers one label only, so the multi-session console hosts
# (<account>-<8 chars>.<region>.console.aws.amazon.com) and the Identity Center portals are listed
# per demo region.
DEMO_REGIONS = ["us-east-1", "eu-west-1", "eu-central-1"]
DEFAULT_HOSTS = (
    ["signin.aws.amazon.com", "*.signin.aws.amazon.com", "console.aws.amazon.com",
     "*.console.aws.amazon.com", "localhost"]
    + ["*.%s.console.aws.amazon.com" % r for r in DEMO_REGIONS]
    + ["portal.sso.%s.amazonaws.com" % r for r in DEMO_REGIONS]
    + ["amscm.%s.amazonaws.com" % r for r in DEMO_REGIONS]
    + ["signin.%s.amazonaws.com" % r for r in DEMO_REGIONS] + ["portal.aws.amazon.com"]
    + ["oidc.%s.amazonaws.com" % r for r in DEMO_REGIONS] + ["*.awsapps.com"]
    # AWS GovCloud (US) and China (docs/inspection.md "Other partitions").
    + ["signin.amazonaws-us-gov.com", "*.signin.amazonaws-us-gov.com",
       "console.amazonaws-us-gov.com", "*.console.amazonaws-us-gov.com",
       "*.us-gov-home.awsapps.com", "signin.amazonaws.cn", "*.signin.amazonaws.cn",
       "console.amazonaws.cn", "*.console.amazonaws.cn"]
    # Regional and dual-stack Identity Center portals, GovCloud's FIPS sign-in, Sign-In's OAuth
    # endpoints (docs/inspection.md).
    + ["*.%s.portal.amazonaws.com" % r for r in DEMO_REGIONS]
    + ["*.portal.%s.app.aws" % r for r in DEMO_REGIONS]
    + ["signin-fips.amazonaws-us-gov.com", "*.signin-fips.amazonaws-us-gov.com", "*.oauth.signin.aws"]
    # AWS Sign-In's dual-stack names (docs/inspection.md).
    + ["signin.%s.api.aws" % r for r in DEMO_REGIONS]
)


def run(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def ensure_certs(directory, hosts):
    os.makedirs(directory, exist_ok=True)
    ca_key, ca_pem = os.path.join(directory, "upstream-ca.key"), os.path.join(directory, "upstream-ca.pem")
    key, pem = os.path.join(directory, "origin.key"), os.path.join(directory, "origin.pem")
    if os.path.exists(pem) and os.path.exists(ca_pem):
        return pem, key, ca_pem
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", ca_key, "-out", ca_pem, "-days", "3650", "-subj", "/CN=consolegate demo upstream CA")
    csr = os.path.join(directory, "origin.csr")
    run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", key, "-out", csr, "-subj", "/CN=consolegate demo origin")
    ext = os.path.join(directory, "origin.ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=" + ",".join("DNS:" + h for h in hosts) + ",IP:127.0.0.1\n")
        f.write("extendedKeyUsage=serverAuth\n")
    run("openssl", "x509", "-req", "-in", csr, "-CA", ca_pem, "-CAkey", ca_key, "-CAcreateserial",
        "-out", pem, "-days", "3650", "-extfile", ext)
    os.chmod(ca_key, 0o600)
    os.chmod(key, 0o600)
    return pem, key, ca_pem


def signed_in_principal(method, target, headers, body):
    """The principal ARN a successful sign-in answered by this request names (demo conventions,
    see the module text), or None when the request is not one."""
    path, _, query = target.partition("?")
    params = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
    if body and "json" not in (headers.get("Content-Type") or ""):
        params.update(urllib.parse.parse_qsl(body.decode("latin-1"), keep_blank_values=True))
    path = path.lower()
    if path.endswith("/federation") and params.get("Action") == "login":
        m = re.fullmatch(r"demo(?:-late)?\.(\d{12})\.([\w+=,.@-]+)",
                         params.get("SigninToken", ""))
        if m:
            return "arn:aws:sts::%s:assumed-role/%s/broker-user" % m.groups()
    if path.endswith("/signin") and params.get("action") == "authenticateRoot":
        m = re.search(r"(\d{12})", params.get("email", ""))
        if m:
            return "arn:aws:iam::%s:root" % m.group(1)
    if path.endswith("/authenticate"):
        if re.fullmatch(r"\d{12}", params.get("account", "")) and params.get("username"):
            return "arn:aws:iam::%s:user/%s" % (params["account"], params["username"])
    if path.endswith("/switchrole"):
        account, role = params.get("account", ""), params.get("roleName", "")
        if re.fullmatch(r"\d{12}", account) and role:
            return "arn:aws:sts::%s:assumed-role/%s/%s" % (account, role, "demo-user")
    if path.endswith("/saml") and params.get("SAMLResponse"):
        try:
            xml = base64.b64decode(params["SAMLResponse"]).decode("utf-8", "replace")
        except ValueError:
            return None
        roles = re.findall(r"arn:aws:iam::(\d{12}):role/([\w+=,.@-]+)", xml)
        chosen = params.get("roleIndex")
        if chosen:
            m = re.fullmatch(r"arn:aws:iam::(\d{12}):role/([\w+=,.@-]+)", chosen)
            roles = [m.groups()] if m else []
        session = re.search(r"RoleSessionName.*?<[^>]*AttributeValue[^>]*>([^<]+)<", xml, re.S)
        if roles:
            return "arn:aws:sts::%s:assumed-role/%s/%s" % (
                roles[0][0], roles[0][1], session.group(1) if session else "saml-user")
    return None


def session_cookies(arn):
    """Set-Cookie values of a fresh console session for arn, as AWS sets them."""
    info = {"arn": arn, "alias": "", "username": arn.split(":", 5)[5], "issuer": "",
            "signinType": "PUBLIC"}
    user_info = urllib.parse.quote(json.dumps(info, separators=(",", ":")), safe="")
    return ["aws-userInfo=%s; Domain=.amazon.com; Path=/; Secure" % user_info,
            "aws-creds=%s; Domain=.aws.amazon.com; Path=/; Secure; HttpOnly" % secrets.token_hex(24),
            "JSESSIONID=%s; Path=/; Secure; HttpOnly" % secrets.token_hex(16)]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "demo-origin"
    record = None  # path of the request log, or None
    issue_sessions = False

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(min(length, 1 << 20)) if length else b""
        if Handler.record:
            line = json.dumps({"method": self.command, "target": self.path,
                               "headers": [[k, v] for k, v in self.headers.items()],
                               "body": data.decode("latin-1")})
            with open(Handler.record, "a") as f:
                f.write(line + "\n")
        host = self.headers.get("Host", "")
        arn = (signed_in_principal(self.command, self.path, self.headers, data)
               if Handler.issue_sessions else None)
        if host.startswith("portal.sso.") and self.path.split("?")[0].rstrip("/") == "/user":
            self._portal_user()
            return
        oauth = self._oauth_step(host) if Handler.issue_sessions else None
        if oauth:
            location, arn = oauth
            self.send_response(302)
            self.send_header("Location", location)
            for c in session_cookies(arn) if arn else []:
                if not c.startswith("aws-userInfo="):
                    self.send_header("Set-Cookie", c)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if arn:
            self.send_response(302)
            self.send_header("Location", "https://console.aws.amazon.com/console/home")
            late = "SigninToken=demo-late." in self.path
            for c in session_cookies(arn):
                if not (late and c.startswith("aws-userInfo=")):
                    self.send_header("Set-Cookie", c)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if "application/json" in (self.headers.get("Accept") or ""):
            body = json.dumps({"origin": "demo", "host": host, "path": self.path.split("?")[0]})
            ctype = "application/json"
        else:
            body = ("<!DOCTYPE html><html><head><title>demo origin</title></head><body>"
                    "<h1>demo origin</h1><p>You reached the origin for <code>%s</code>%s.</p>"
                    "</body></html>\n" % (host, self.path.split("?")[0]))
            ctype = "text/html; charset=utf-8"
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Alt-Svc", 'h3=":443"; ma=86400')
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _oauth_step(self, host):
        """(Location, principal ARN or None) for a step of the demo-oauth sign-in, else None."""
        path, _, query = self.path.partition("?")
        params = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
        word = r"([\w+=,.@-]+)"
        if path.lower().endswith("/federation") and params.get("Action") == "login":
            m = re.fullmatch(r"demo-oauth\.(\d{12})\." + word, params.get("SigninToken", ""))
            if m:
                return ("https://console.aws.amazon.com/oauth?code=demo.%s.%s" % m.groups(), None)
        if host.split(":")[0] == "console.aws.amazon.com" and path == "/oauth":
            m = re.fullmatch(r"demo\.(\d{12})\." + word, params.get("code", ""))
            if m:
                return ("https://console.aws.amazon.com/console/home",
                        "arn:aws:sts::%s:assumed-role/%s/broker-user" % m.groups())
        return None

    def _portal_user(self):
        token = (self.headers.get("x-amz-sso_bearer_token")
                 or self.headers.get("x-amz-sso-bearer-token") or "")
        parts = token.split(".")
        if len(parts) >= 4 and parts[0] == "demo" and parts[1] == "portal" and parts[2]:
            status, answer = 200, {"subject": parts[2], "userId": "906700000-" + parts[2],
                                   "preferredUsername": parts[2].title(),
                                   "directoryType": "UserPool", "ssoInstanceId": "ssoins-demo"}
        else:
            status, answer = 401, {"message": "Session token not found or invalid"}
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_HEAD = do_PUT = _answer

    def log_message(self, fmt, *args):
        sys.stderr.write("demo-origin: %s\n" % (fmt % args))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dir", required=True)
    p.add_argument("--port", type=int, default=9443)
    p.add_argument("--bind", default="127.0.0.1")
    p.add_argument("--hosts", default=",".join(DEFAULT_HOSTS))
    p.add_argument("--record", default=None)
    p.add_argument("--issue-sessions", action="store_true")
    a = p.parse_args()
    Handler.record = a.record
    Handler.issue_sessions = a.issue_sessions
    pem, key, _ = ensure_certs(a.dir, a.hosts.split(","))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(pem, key)
    srv = http.server.ThreadingHTTPServer((a.bind, a.port), Handler)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print("demo-origin: https://%s:%d (certificate from %s)" % (a.bind, a.port, a.dir), flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
