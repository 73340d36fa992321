// Proxy auto-config for browsers that use consolegate as an explicit proxy (CONNECT listener).
// Only the AWS console and sign-in names go through the gateway; everything else goes direct.
// Replace gateway.corp.example:3128 with your gateway's CONNECT listener.
function FindProxyForURL(url, host) {
  host = host.toLowerCase();
  if (dnsDomainIs(host, ".signin.aws.amazon.com") || host == "signin.aws.amazon.com" ||
      dnsDomainIs(host, ".console.aws.amazon.com") || host == "console.aws.amazon.com" ||
      shExpMatch(host, "portal.sso.*.amazonaws.com") ||
      // AWS GovCloud (US) and China: judged when policy.partitions enables them, else refused.
      dnsDomainIs(host, ".signin.amazonaws-us-gov.com") || host == "signin.amazonaws-us-gov.com" ||
      dnsDomainIs(host, ".console.amazonaws-us-gov.com") || host == "console.amazonaws-us-gov.com" ||
      dnsDomainIs(host, ".signin.amazonaws.cn") || host == "signin.amazonaws.cn" ||
      dnsDomainIs(host, ".console.amazonaws.cn") || host == "console.amazonaws.cn" ||
      // Regional and dual-stack Identity Center access portals, GovCloud's FIPS sign-in, AWS
      // Sign-In's OAuth endpoints (docs/inspection.md).
      dnsDomainIs(host, ".portal.amazonaws.com") || shExpMatch(host, "*.portal.*.app.aws") ||
      dnsDomainIs(host, ".signin-fips.amazonaws-us-gov.com") ||
      host == "signin-fips.amazonaws-us-gov.com" || shExpMatch(host, "signin-fips.*.amazonaws.com") ||
      dnsDomainIs(host, ".oauth.signin.aws")) {
    return "PROXY gateway.corp.example:3128";
  }
  return "DIRECT";
}
