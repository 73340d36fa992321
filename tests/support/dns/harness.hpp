#pragma once
// Real DNS peers for integration tests, started on loopback by the test: nsd as "the internet"
// (authoritative for a test zone), unbound as the reference forwarder, dig as a client, and a few
// raw UDP/TCP helpers. Every wait is bounded.

#include <chrono>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace consolegate::dns::test {

// A scratch directory removed on destruction.
class temp_dir {
  public:
    temp_dir();
    ~temp_dir();
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

// A loopback port free for both UDP and TCP at the time of the call.
std::uint16_t free_port();

// A child process in its own process group (so signals reach its forked workers too).
class child {
  public:
    child() = default;
    child(const std::vector<std::string>& argv, const std::filesystem::path& log);
    ~child();
    child(child&& o) noexcept : pid_(o.pid_) { o.pid_ = -1; }
    child& operator=(child&& o) noexcept {
        if (this != &o) {
            stop();
            pid_ = o.pid_;
            o.pid_ = -1;
        }
        return *this;
    }
    void signal(int sig) const;  // to the whole process group
    void stop();                 // SIGTERM, then SIGKILL after 5 s; reaps
    bool running() const { return pid_ > 0; }

  private:
    int pid_ = -1;
};

// nsd serving one zone (`zone_text`, RFC 1035 master file) on 127.0.0.1:port().
// `server_options` are more "server:" lines ("  minimal-responses: no\n").
class nsd_server {
  public:
    nsd_server(const std::string& zone, const std::string& zone_text,
               std::string server_options = {});
    std::uint16_t port() const { return port_; }
    void freeze() { proc_.signal(SIGSTOP); }  // alive but silent: queries time out
    void thaw() { proc_.signal(SIGCONT); }
    void stop() { proc_.stop(); }  // gone: queries are refused (ICMP port unreachable)

  private:
    bool start(const std::string& zone, const std::string& zone_text);
    std::string server_options_;
    temp_dir dir_;
    std::uint16_t port_ = 0;
    child proc_;
};

// unbound forwarding everything to 127.0.0.1:upstream_port. With a `trust_anchor` (a DNSKEY or
// DS record in presentation form) it validates (module "validator iterator"): bogus data is
// SERVFAIL unless the query sets CD. Ready once it answers an SOA query for `ready_zone`.
// `server_options` are more "server:" lines ("  do-tcp: no\n").
class unbound_server {
  public:
    explicit unbound_server(std::uint16_t upstream_port, std::string trust_anchor = {},
                            std::string ready_zone = "example.test",
                            std::string server_options = {});
    std::uint16_t port() const { return port_; }

  private:
    bool start(std::uint16_t upstream_port);
    std::string trust_anchor_, ready_zone_, server_options_;
    temp_dir dir_;
    std::uint16_t port_ = 0;
    child proc_;
};

// Runs a command (through /bin/sh, under `timeout timeout_s`) and returns its stdout.
std::string run(const std::string& command, int timeout_s = 20);
// dig against 127.0.0.1:port with one try and a 3 s timeout; `args` are appended.
std::string dig(std::uint16_t port, const std::string& args);

// One UDP datagram out, one back (or nullopt after `timeout`).
std::optional<std::vector<std::uint8_t>> udp_exchange(
    std::uint16_t port, const std::vector<std::uint8_t>& msg,
    std::chrono::milliseconds timeout = std::chrono::milliseconds(3000));
// Polls with SOA queries for `zone` until 127.0.0.1:port answers; false after `limit`.
bool wait_ready(std::uint16_t port, const std::string& zone,
                std::chrono::milliseconds limit = std::chrono::milliseconds(10000));
// A query message.
std::vector<std::uint8_t> make_query(const std::string& name, std::uint16_t type,
                                     std::uint16_t id = 0x4242, bool edns = false);

}  // namespace consolegate::dns::test
