#pragma once
// Host name patterns of `inspect_hosts`. Pure. `*.x` matches strict subdomains of x on label
// boundaries (any depth); a `*` label anywhere else matches exactly one label, so
// `portal.sso.*.amazonaws.com` matches portal.sso.eu-west-1.amazonaws.com only.

#include <string>
#include <string_view>
#include <vector>

namespace consolegate::proxy {

// Lower-cases and removes one trailing dot; empty on anything that is not a plausible host name.
std::string normalise_host(std::string_view host);

class host_set {
  public:
    host_set() = default;
    explicit host_set(const std::vector<std::string>& patterns);
    bool matches(std::string_view normalised_host) const;

  private:
    std::vector<std::vector<std::string>> patterns_;  // labels, right to left
};

// "host:port" / "[v6]:port" of a CONNECT request-target (RFC 9110 §9.3.6 authority-form).
struct authority {
    std::string host;  // normalised; IPv6 without brackets
    std::uint16_t port = 0;
};
bool parse_authority(std::string_view text, authority& out, std::uint16_t default_port = 0);

}  // namespace consolegate::proxy
