#pragma once
// Group membership from an LDAP directory (identity.ldap_*; docs/identity.md "Groups from
// LDAP"): who the user is in the directory (optional user search), which groups name them
// (group search), cached per user with a time to live and looked up by one background thread,
// never on a worker. libldap stays inside ldap_groups.cpp.
//
// Thread-safety: ldap_group_cache::groups() and counters() may be called from any thread at
// once (a mutex held for a map lookup); the directory is only ever spoken to by the cache's own
// thread.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

namespace consolegate::identity {

struct ldap_settings {
    std::string uri;  // ldap://host:port or ldaps://host:port
    bool starttls = false;
    std::filesystem::path ca_file;       // the CA for ldaps:// or StartTLS; empty = the system's
    std::string bind_dn;                 // empty = anonymous
    std::string password;                // read from identity.ldap_password_file; never logged
    std::string user_base, user_filter;  // both or neither: the user's DN for {dn}
    std::string group_base, group_filter;
    std::string group_attribute = "cn";
    std::chrono::milliseconds ttl{std::chrono::minutes(10)};
    std::chrono::milliseconds timeout{std::chrono::seconds(5)};
    std::size_t max_users = 100000;   // cache entries; beyond it the oldest are dropped
    std::vector<std::string> realms;  // identity.realms: whose bare name {name} may give
};

// RFC 4515 §3: a value as it may stand in a filter (`*`, `(`, `)`, `\`, NUL escaped).
std::string ldap_filter_escape(std::string_view value);
// The filter with {user} (the corporate user as established), {name} (its bare name,
// core::split_user) and {dn} (the user's DN, when a user search ran) replaced by escaped values;
// nullopt when the filter uses {name} and `user` is of a realm `realms` does not list
// (core::site_name_of): its bare name could find the site's user of that name.
std::optional<std::string> expand_ldap_filter(std::string_view filter, std::string_view user,
                                              std::string_view dn,
                                              const std::vector<std::string>& realms);

struct ldap_answer {
    bool ok = false;                  // the directory answered (even "no groups")
    std::vector<std::string> groups;  // the group attribute's values
    std::string problem;              // when !ok: libldap's words, for the log
};

// One connection to the directory, (re)connected and bound as needed. Not thread-safe.
class ldap_directory {
  public:
    explicit ldap_directory(ldap_settings s);
    ~ldap_directory();
    ldap_directory(const ldap_directory&) = delete;
    ldap_directory& operator=(const ldap_directory&) = delete;
    ldap_answer groups_of(std::string_view user);

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

struct ldap_counters {
    std::atomic<std::uint64_t> hits{0};      // groups known (fresh or being refreshed)
    std::atomic<std::uint64_t> misses{0};    // groups unknown: a lookup queued
    std::atomic<std::uint64_t> lookups{0};   // answered by the directory
    std::atomic<std::uint64_t> failures{0};  // the directory did not answer
    std::atomic<std::uint64_t> dropped{0};   // a lookup not queued: the queue was full
};

class ldap_group_cache {
  public:
    explicit ldap_group_cache(ldap_settings s);
    ~ldap_group_cache();  // stops the thread (a lookup in flight ends within the timeout)
    ldap_group_cache(const ldap_group_cache&) = delete;
    ldap_group_cache& operator=(const ldap_group_cache&) = delete;

    // Never blocks on the directory. The groups last looked up for `user` (ASCII
    // case-insensitive), also past their time to live (a refresh is then queued); nullopt when
    // none are known yet (a lookup is queued: "groups unknown" until it lands).
    std::optional<std::vector<std::string>> groups(std::string_view user);
    const ldap_counters& counters() const { return counters_; }
    std::size_t users() const;

  private:
    struct entry {
        std::vector<std::string> groups;
        bool known = false;
        std::chrono::steady_clock::time_point fetched{}, last_asked{};
        bool queued = false;
    };
    void run();
    void enqueue(const std::string& key, std::string_view user, entry& e);  // mu_ held

    const ldap_settings settings_;
    mutable std::mutex mu_;
    std::condition_variable wake_;
    std::unordered_map<std::string, entry> cache_;           // key: ASCII lower case
    std::deque<std::pair<std::string, std::string>> queue_;  // (key, user as given)
    bool stop_ = false;
    ldap_counters counters_;
    std::thread thread_;  // last: started once everything above exists
};

}  // namespace consolegate::identity
