#pragma once
// The gateway's side of identity/ (docs/identity.md): one address map for the whole process
// (every worker reads it, the admin API and the watched file write it, it outlives reloads), the
// trusted header's settings, and the proxy's identification hooks built over them.
//
// Thread-safety: the hooks run on worker threads concurrently; apply(), tick() and the API calls
// run on the control thread. Settings a reload may change are swapped atomically.

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "consolegate/core/config.hpp"
#include "consolegate/identity/address_map.hpp"
#include "consolegate/identity/address_map_api.hpp"
#include "consolegate/identity/address_map_file.hpp"
#include "consolegate/identity/groups.hpp"
#include "consolegate/identity/kerberos.hpp"
#include "consolegate/identity/ldap_groups.hpp"
#include "consolegate/proxy/identification.hpp"

namespace consolegate::app {

struct identity_counters {
    std::atomic<std::uint64_t> header_identified{0};
    std::atomic<std::uint64_t> header_untrusted{0};  // from outside trusted_header_from: ignored
    std::atomic<std::uint64_t> header_invalid{0};    // not a user name, or several values
    std::atomic<std::uint64_t> address_identified{0};
    // Kerberos (Proxy-Authorization: Negotiate) on the CONNECT listener.
    std::atomic<std::uint64_t> kerberos_identified{0};
    std::atomic<std::uint64_t> kerberos_challenged{0};     // no token where required: 407
    std::atomic<std::uint64_t> kerberos_refused{0};        // a token refused: 407
    std::atomic<std::uint64_t> kerberos_accept_micros{0};  // time in the GSSAPI accept step
    std::atomic<std::uint64_t> kerberos_accepts{0};
};

class identity_hub : public std::enable_shared_from_this<identity_hub> {
  public:
    // Loads the watched file once; throws std::runtime_error naming the file when it is refused
    // (a startup error: check-config reports the same problems).
    static std::shared_ptr<identity_hub> make(const core::config& cfg,
                                              std::chrono::system_clock::time_point now);
    identity_hub(const identity_hub&) = delete;
    identity_hub& operator=(const identity_hub&) = delete;

    // A reload: the map's bound and largest TTL, the trusted networks, the watched file's path.
    // The header's name is fixed for the process (the proxy strips it): gateway.cpp refuses a
    // reload that changes it.
    void apply(const core::config& cfg);
    // Empty when `cfg`'s Kerberos settings can be applied (the keytab checks out), else why not:
    // a reload with a bad keytab is refused before anything changes.
    static std::string check_kerberos(const core::config& cfg);
    // Empty when cfg's LDAP settings can be applied (the password file reads), else why not.
    static std::string check_ldap(const core::config& cfg);
    // The control thread's tick: prunes expired mappings, reloads the file when it changed.
    void tick(std::chrono::system_clock::time_point now);
    // What the proxy asks (identification.hpp); the hooks keep this hub alive.
    proxy::identification proxy_hooks();

    // The admin API (identity/address_map_api.hpp), counted and logged.
    identity::api_answer post(std::string_view body, std::chrono::system_clock::time_point now);
    identity::api_answer remove(std::string_view address, const std::optional<std::string>& user);
    identity::api_answer list(std::chrono::system_clock::time_point now) const;

    const identity::address_map& map() const { return map_; }
    void write_prometheus(std::string& out) const;

  private:
    identity_hub(const core::config& cfg);
    proxy::shared_identity by_header(const core::ip_address& client,
                                     std::span<const std::string_view> values);
    // The groups file when it changed: "" unchanged, else what happened; `ok` false = refused.
    std::string poll_groups(bool& ok);
    proxy::shared_identity add_groups(proxy::shared_identity who) const;
    proxy::identification::negotiate_answer negotiate(const core::ip_address& client,
                                                      std::span<const std::string_view> values);

    // Kerberos as configured now: the client networks' modes and the acceptor (null = off).
    struct kerberos_state {
        core::identity_config networks;
        std::shared_ptr<const identity::negotiate_acceptor> acceptor;
    };

    const std::string header_;
    identity::address_map map_;
    std::atomic<std::shared_ptr<const std::vector<core::cidr>>> trusted_;
    // identity.realms, for the groups file: a site user's groups under every spelling.
    std::atomic<std::shared_ptr<const std::vector<std::string>>> realms_;
    std::atomic<std::int64_t> max_ttl_ms_;
    std::optional<identity::address_map_watch> watch_;  // control thread only
    std::optional<identity::file_watch> groups_watch_;  // control thread only
    std::atomic<std::shared_ptr<const identity::group_table>> groups_;
    std::atomic<std::shared_ptr<const kerberos_state>> kerberos_;
    // LDAP groups: the cache and its thread, replaced when a reload changes the settings.
    std::atomic<std::shared_ptr<identity::ldap_group_cache>> ldap_;
    core::ldap_config ldap_config_;         // control thread only: what ldap_ was built from
    std::vector<std::string> ldap_realms_;  // and the identity.realms it was built with
    identity_counters counters_;
};

}  // namespace consolegate::app
