#include "harness.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace consolegate::dns::test {

temp_dir::temp_dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "cg-dns-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
}

temp_dir::~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

namespace {

int bind_socket(int type, std::uint16_t port) {
    const int fd = ::socket(AF_INET, type, 0);
    if (fd < 0) return -1;
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

std::uint16_t port_of(int fd) {
    sockaddr_in sa{};
    socklen_t len = sizeof sa;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
    return ntohs(sa.sin_port);
}

void write_file(const std::filesystem::path& p, const std::string& text) {
    std::ofstream f(p);
    f << text;
    if (!f) throw std::runtime_error("cannot write " + p.string());
}

}  // namespace

std::uint16_t free_port() {
    for (int attempt = 0; attempt < 50; ++attempt) {
        const int u = bind_socket(SOCK_DGRAM, 0);
        if (u < 0) continue;
        const auto port = port_of(u);
        const int t = bind_socket(SOCK_STREAM, port);
        ::close(u);
        if (t >= 0) {
            ::close(t);
            return port;
        }
    }
    throw std::runtime_error("no free loopback port");
}

child::child(const std::vector<std::string>& argv, const std::filesystem::path& log) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, args[0], &fa, &attr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) throw std::runtime_error("cannot start " + argv[0]);
    pid_ = pid;
}

child::~child() {
    stop();
}

void child::signal(int sig) const {
    if (pid_ > 0) ::kill(-pid_, sig);
}

void child::stop() {
    if (pid_ <= 0) return;
    ::kill(-pid_, SIGCONT);
    ::kill(-pid_, SIGTERM);
    for (int i = 0; i < 100; ++i) {  // 5 s
        if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
            ::kill(-pid_, SIGKILL);  // stragglers of the group
            pid_ = -1;
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ::kill(-pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
}

nsd_server::nsd_server(const std::string& zone, const std::string& zone_text,
                       std::string server_options)
    : server_options_(std::move(server_options)) {
    // free_port() can race with a parallel test taking the same port: try a few ports.
    for (int attempt = 0; attempt < 3; ++attempt) {
        port_ = free_port();
        if (start(zone, zone_text)) return;
        proc_.stop();
    }
    throw std::runtime_error("nsd did not come up; see " + dir_.path().string());
}

bool nsd_server::start(const std::string& zone, const std::string& zone_text) {
    const auto d = dir_.path().string();
    write_file(dir_.path() / "zone", zone_text);
    write_file(dir_.path() / "nsd.conf",
               "server:\n  ip-address: 127.0.0.1\n  port: " + std::to_string(port_) +
                   "\n  zonesdir: \"" + d + "\"\n  pidfile: \"" + d +
                   "/nsd.pid\"\n  username: \"\"\n" + "  xfrdfile: \"" + d +
                   "/xfrd.state\"\n  zonelistfile: \"" + d +
                   "/zone.list\"\n  database: \"\"\n  logfile: \"" + d +
                   "/nsd.log\"\n  chroot: \"\"\n  server-count: 1\n  verbosity: 1\n" +
                   server_options_ + "remote-control:\n  control-enable: no\nzone:\n  name: \"" +
                   zone + "\"\n  zonefile: \"" + d + "/zone\"\n");
    proc_ = child({"/usr/sbin/nsd", "-d", "-c", d + "/nsd.conf"}, dir_.path() / "stdout.log");
    return wait_ready(port_, zone, std::chrono::milliseconds(5000));
}

unbound_server::unbound_server(std::uint16_t upstream_port, std::string trust_anchor,
                               std::string ready_zone, std::string server_options)
    : trust_anchor_(std::move(trust_anchor)),
      ready_zone_(std::move(ready_zone)),
      server_options_(std::move(server_options)) {
    for (int attempt = 0; attempt < 3; ++attempt) {
        port_ = free_port();
        if (start(upstream_port)) return;
        proc_.stop();
    }
    throw std::runtime_error("unbound did not come up; see " + dir_.path().string());
}

bool unbound_server::start(std::uint16_t upstream_port) {
    const auto d = dir_.path().string();
    write_file(
        dir_.path() / "unbound.conf",
        "server:\n  interface: 127.0.0.1\n  port: " + std::to_string(port_) +
            "\n  do-not-query-localhost: no\n  chroot: \"\"\n  username: \"\"\n" +
            "  directory: \"" + d + "\"\n  pidfile: \"" + d + "/unbound.pid\"\n" +
            "  use-syslog: no\n  do-daemonize: no\n  num-threads: 1\n" +
            // Its own port: with SO_REUSEPORT (unbound's default) another test's server could
            // bind the same port and take part of the queries.
            "  so-reuseport: no\n" +
            (trust_anchor_.empty() ? std::string("  module-config: \"iterator\"\n")
                                   : "  module-config: \"validator iterator\"\n  trust-anchor: \"" +
                                         trust_anchor_ + "\"\n") +
            "  qname-minimisation: no\n" + server_options_ +
            "  local-zone: \"test.\" nodefault\n  access-control: 127.0.0.0/8 allow\n" +
            "forward-zone:\n  name: \".\"\n  forward-addr: 127.0.0.1@" +
            std::to_string(upstream_port) + "\n");
    proc_ = child({"/usr/sbin/unbound", "-d", "-c", d + "/unbound.conf"}, dir_.path() / "log");
    return wait_ready(port_, ready_zone_, std::chrono::milliseconds(5000));
}

std::string run(const std::string& command, int timeout_s) {
    const std::string full = "timeout " + std::to_string(timeout_s) + " " + command + " 2>&1";
    FILE* p = ::popen(full.c_str(), "r");
    if (!p) throw std::runtime_error("popen failed");
    std::string out;
    std::array<char, 4096> buf;
    for (std::size_t n; (n = std::fread(buf.data(), 1, buf.size(), p)) > 0;)
        out.append(buf.data(), n);
    ::pclose(p);
    return out;
}

std::string dig(std::uint16_t port, const std::string& args) {
    return run("dig @127.0.0.1 -p " + std::to_string(port) + " +tries=1 +time=3 " + args);
}

std::vector<std::uint8_t> make_query(const std::string& name, std::uint16_t type, std::uint16_t id,
                                     bool edns) {
    std::vector<std::uint8_t> m{static_cast<std::uint8_t>(id >> 8),
                                static_cast<std::uint8_t>(id),
                                0x01,
                                0x00,
                                0,
                                1,
                                0,
                                0,
                                0,
                                0,
                                0,
                                static_cast<std::uint8_t>(edns ? 1 : 0)};
    std::size_t start = 0;
    while (start <= name.size()) {
        auto dot = name.find('.', start);
        if (dot == std::string::npos) dot = name.size();
        if (dot > start) {
            m.push_back(static_cast<std::uint8_t>(dot - start));
            m.insert(m.end(), name.begin() + static_cast<std::ptrdiff_t>(start),
                     name.begin() + static_cast<std::ptrdiff_t>(dot));
        }
        start = dot + 1;
    }
    m.push_back(0);
    m.push_back(static_cast<std::uint8_t>(type >> 8));
    m.push_back(static_cast<std::uint8_t>(type));
    m.push_back(0);
    m.push_back(1);
    if (edns) {
        for (std::uint8_t b : {0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0}) m.push_back(b);
    }
    return m;
}

std::optional<std::vector<std::uint8_t>> udp_exchange(std::uint16_t port,
                                                      const std::vector<std::uint8_t>& msg,
                                                      std::chrono::milliseconds timeout) {
    const int fd = bind_socket(SOCK_DGRAM, 0);
    if (fd < 0) return std::nullopt;
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::optional<std::vector<std::uint8_t>> result;
    if (::sendto(fd, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa) ==
        static_cast<ssize_t>(msg.size())) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(timeout.count())) == 1) {
            std::vector<std::uint8_t> buf(65535);
            const auto n = ::recv(fd, buf.data(), buf.size(), 0);
            if (n >= 0) {
                buf.resize(static_cast<std::size_t>(n));
                result = std::move(buf);
            }
        }
    }
    ::close(fd);
    return result;
}

bool wait_ready(std::uint16_t port, const std::string& zone, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (udp_exchange(port, make_query(zone, 6), std::chrono::milliseconds(200))) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

}  // namespace consolegate::dns::test
