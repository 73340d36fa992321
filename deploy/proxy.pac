// Proxy auto-config for browsers that use consolegate as an explicit proxy (CONNECT listener).
// Only the AWS console and sign-in names go through the gateway; everything else goes direct.
// Replace gateway.corp.example:3128 with your gateway's CONNECT listener.
function FindProxyForURL(url, host) {
  host = host.toLowerCase();
  if (dnsDomainIs(host, ".signin.aws.amazon.com") || host == "signin.aws.amazon.com" ||
      dnsDomainIs(host, ".console.aws.amazon.com") || host == "console.aws.amazon.com" ||
      shExpMatch(host, "portal.sso.*.amazonaws.com")) {
    return "PROXY gateway.corp.example:3128";
  }
  return "DIRECT";
}
