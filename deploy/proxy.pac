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
  // The ISO partitions and the AWS European Sovereign Cloud: each one's console sign-in and
  // console domain whole, and Sign-In's and the access portal API's regional, FIPS and dual-stack
  // names under its service and dual-stack domains (docs/inspection.md).
  var homes = ["amazonaws-eusc.eu", "c2shome.ic.gov", "sc2shome.sgov.gov", "csphome.adc-e.uk",
               "csphome.hci.ic.gov"];
  var domains = ["amazonaws.eu", "api.amazonwebservices.eu", "c2s.ic.gov", "api.aws.ic.gov",
                 "sc2s.sgov.gov", "api.aws.scloud", "cloud.adc-e.uk", "api.cloud-aws.adc-e.uk",
                 "csp.hci.ic.gov", "api.aws.hci.ic.gov"];
  for (var i = 0; i < homes.length; i++) {
    if (dnsDomainIs(host, "." + homes[i])) return "PROXY gateway.corp.example:3128";
  }
  for (var j = 0; j < domains.length; j++) {
    if (shExpMatch(host, "signin.*." + domains[j]) ||
        shExpMatch(host, "signin-fips.*." + domains[j]) ||
        shExpMatch(host, "portal.sso.*." + domains[j]) ||
        shExpMatch(host, "portal.sso-fips.*." + domains[j])) {
      return "PROXY gateway.corp.example:3128";
    }
  }
  return "DIRECT";
}
