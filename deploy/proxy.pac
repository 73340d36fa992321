// Proxy auto-config for browsers that use consolegate as an explicit proxy (CONNECT listener).
// Only the AWS console, sign-in and access portal names go through the gateway; everything else
// goes direct. Replace gateway.corp.example:3128 with your gateway's CONNECT listener.
//
// `inspected` is the gateway's default proxy.inspect_hosts (core::default_inspected_names, which
// DNS steers by default too), every partition's: a name the gateway inspects that the PAC sends
// DIRECT reaches AWS around it where DNS does not steer it (tests/unit/deploy/test_proxy_pac.py
// holds this list to the binary's defaults). Names of a partition policy.partitions does not
// enable are refused there (partition-not-enabled), never reached around it. A site that writes
// inspect_hosts itself lists its own names here. shExpMatch's "*" also matches dots: a few names
// more than the gateway inspects go through it, and are spliced there.
var inspected = [
    "signin.aws.amazon.com", "*.signin.aws.amazon.com", "console.aws.amazon.com",
    "*.console.aws.amazon.com", "portal.sso.*.amazonaws.com", "signin.*.amazonaws.com",
    "portal.aws.amazon.com", "*.awsapps.com", "signin.amazonaws-us-gov.com",
    "*.signin.amazonaws-us-gov.com", "console.amazonaws-us-gov.com",
    "*.console.amazonaws-us-gov.com", "signin.amazonaws.cn", "*.signin.amazonaws.cn",
    "console.amazonaws.cn", "*.console.amazonaws.cn", "portal.sso.*.amazonaws.com.cn",
    "*.awsapps.cn", "*.portal.amazonaws.com", "*.portal.*.app.aws", "*.portal.amazonaws.com.cn",
    "*.portal.*.app.amazonwebservices.com.cn", "signin-fips.amazonaws-us-gov.com",
    "*.signin-fips.amazonaws-us-gov.com", "signin-fips.*.amazonaws.com",
    "signin-fips.*.amazonaws.com.cn", "*.oauth.signin.aws", "portal.sso-fips.*.amazonaws.com",
    "portal.sso.*.api.aws", "portal.sso-fips.*.api.aws",
    "portal.sso.*.api.amazonwebservices.com.cn", "signin.*.amazonaws.com.cn",
    "portal.sso-fips.*.amazonaws.com.cn", "portal.sso-fips.*.api.amazonwebservices.com.cn",
    "signin.*.api.aws", "signin-fips.*.api.aws", "signin.*.api.amazonwebservices.com.cn",
    "signin-fips.*.api.amazonwebservices.com.cn", "health.aws.amazon.com", "phd.aws.amazon.com",
    "lightsail.aws.amazon.com", "quicksight.aws.amazon.com", "*.quicksight.aws.amazon.com",
    "signin.c2shome.ic.gov",
    "*.signin.c2shome.ic.gov", "console.c2shome.ic.gov", "*.console.c2shome.ic.gov",
    "signin.*.c2s.ic.gov", "signin-fips.*.c2s.ic.gov", "portal.sso.*.c2s.ic.gov",
    "portal.sso-fips.*.c2s.ic.gov", "signin.*.api.aws.ic.gov", "signin-fips.*.api.aws.ic.gov",
    "portal.sso.*.api.aws.ic.gov", "portal.sso-fips.*.api.aws.ic.gov", "signin.sc2shome.sgov.gov",
    "*.signin.sc2shome.sgov.gov", "console.sc2shome.sgov.gov", "*.console.sc2shome.sgov.gov",
    "signin.*.sc2s.sgov.gov", "signin-fips.*.sc2s.sgov.gov", "portal.sso.*.sc2s.sgov.gov",
    "portal.sso-fips.*.sc2s.sgov.gov", "signin.*.api.aws.scloud", "signin-fips.*.api.aws.scloud",
    "portal.sso.*.api.aws.scloud", "portal.sso-fips.*.api.aws.scloud", "signin.csphome.adc-e.uk",
    "*.signin.csphome.adc-e.uk", "console.csphome.adc-e.uk", "*.console.csphome.adc-e.uk",
    "signin.*.cloud.adc-e.uk", "signin-fips.*.cloud.adc-e.uk", "portal.sso.*.cloud.adc-e.uk",
    "portal.sso-fips.*.cloud.adc-e.uk", "signin.*.api.cloud-aws.adc-e.uk",
    "signin-fips.*.api.cloud-aws.adc-e.uk", "portal.sso.*.api.cloud-aws.adc-e.uk",
    "portal.sso-fips.*.api.cloud-aws.adc-e.uk", "signin.csphome.hci.ic.gov",
    "*.signin.csphome.hci.ic.gov", "console.csphome.hci.ic.gov", "*.console.csphome.hci.ic.gov",
    "signin.*.csp.hci.ic.gov", "signin-fips.*.csp.hci.ic.gov", "portal.sso.*.csp.hci.ic.gov",
    "portal.sso-fips.*.csp.hci.ic.gov", "signin.*.api.aws.hci.ic.gov",
    "signin-fips.*.api.aws.hci.ic.gov", "portal.sso.*.api.aws.hci.ic.gov",
    "portal.sso-fips.*.api.aws.hci.ic.gov", "signin.amazonaws-eusc.eu",
    "*.signin.amazonaws-eusc.eu", "console.amazonaws-eusc.eu", "*.console.amazonaws-eusc.eu",
    "signin.*.amazonaws.eu", "signin-fips.*.amazonaws.eu", "portal.sso.*.amazonaws.eu",
    "portal.sso-fips.*.amazonaws.eu", "signin.*.api.amazonwebservices.eu",
    "signin-fips.*.api.amazonwebservices.eu", "portal.sso.*.api.amazonwebservices.eu",
    "portal.sso-fips.*.api.amazonwebservices.eu"];

function FindProxyForURL(url, host) {
  host = host.toLowerCase();
  if (host.charAt(host.length - 1) == ".") host = host.substring(0, host.length - 1);
  for (var i = 0; i < inspected.length; i++) {
    if (shExpMatch(host, inspected[i])) return "PROXY gateway.corp.example:3128";
  }
  return "DIRECT";
}
