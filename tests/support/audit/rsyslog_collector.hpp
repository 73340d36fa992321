#pragma once
// A real rsyslog (Debian packages rsyslog, rsyslog-gnutls) for tests: UDP, TCP and TLS inputs
// on loopback ports, each writing what it receives to its own file, one line per message with
// the RFC 5424 header fields parsed by rsyslog and the MSG last. A test CA, a server
// certificate for 127.0.0.1 and a second, unrelated CA are made with the openssl CLI.
//
// The ports lie below the kernel's ephemeral range (ip_local_port_range): a port from that range
// is free only until some outgoing connection on the machine is given it as its source port, and
// a test that restarts the collector needs its ports to stay free between stop() and start() (a
// connection of a parallel test holding one made rsyslogd's restart fail to listen, and the
// readiness probe itself could connect to its own port). Outside the range only an explicit
// bind() takes a port.

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "../common/run_command.hpp"

extern char** environ;

namespace consolegate::test {

class rsyslog_collector {
  public:
    rsyslog_collector() {
        char tmpl[] = "/tmp/cg-rsyslog-XXXXXX";
        if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
        dir_ = tmpl;
        std::filesystem::create_directories(dir_ / "work");
        make_pki();
        pick_ports();
        write_config();
        start();
    }
    ~rsyslog_collector() {
        stop();
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    rsyslog_collector(const rsyslog_collector&) = delete;
    rsyslog_collector& operator=(const rsyslog_collector&) = delete;

    void start() {
        std::string conf = (dir_ / "rsyslog.conf").string(), pid = (dir_ / "rsyslog.pid").string();
        std::vector<char*> argv{const_cast<char*>("rsyslogd"),
                                const_cast<char*>("-n"),
                                const_cast<char*>("-f"),
                                conf.data(),
                                const_cast<char*>("-i"),
                                pid.data(),
                                nullptr};
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        auto log = (dir_ / "rsyslogd.log").string();
        posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
        posix_spawn_file_actions_adddup2(&fa, 1, 2);
        int rc = posix_spawnp(&pid_, "rsyslogd", &fa, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&fa);
        if (rc != 0)
            throw std::runtime_error(
                "cannot start rsyslogd: install the Debian packages "
                "'rsyslog rsyslog-gnutls' (scripts/setup.sh)");
        // Ready when both TCP listeners accept (the UDP input starts in the same step); an
        // rsyslogd that exits (a port taken after all, a bad configuration) fails at once.
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (!(accepts(tcp_) && accepts(tls_))) {
            int status;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                throw std::runtime_error("rsyslogd exited: " + file("rsyslogd.log"));
            }
            if (std::chrono::steady_clock::now() > deadline)
                throw std::runtime_error("rsyslogd did not listen: " + file("rsyslogd.log"));
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
    void stop() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGTERM);
        int status;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
    }

    std::uint16_t udp_port() const { return udp_; }
    std::uint16_t tcp_port() const { return tcp_; }
    std::uint16_t tls_port() const { return tls_; }
    std::filesystem::path ca() const { return dir_ / "ca.pem"; }
    std::filesystem::path other_ca() const { return dir_ / "other-ca.pem"; }
    const std::filesystem::path& dir() const { return dir_; }

    // Lines received on "udp", "tcp" or "tls" so far.
    std::vector<std::string> lines(const std::string& input) const {
        std::ifstream in(dir_ / ("received-" + input + ".log"));
        std::vector<std::string> out;
        for (std::string l; std::getline(in, l);) out.push_back(l);
        return out;
    }
    std::string file(const std::string& name) const {
        std::ifstream in(dir_ / name);
        return {std::istreambuf_iterator<char>(in), {}};
    }

  private:
    void make_pki() {
        auto d = dir_.string();
        auto r = run_command(
            "cd " + d +
                " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2"
                " -subj /CN=cg-test-syslog-ca -keyout ca.key -out ca.pem"
                " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2"
                " -subj /CN=cg-other-ca -keyout other-ca.key -out other-ca.pem"
                " && openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
                " -subj /CN=127.0.0.1 -keyout server.key -out server.csr"
                " && printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > san.ext"
                " && openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial"
                " -days 2 -extfile san.ext -out server.pem 2>/dev/null",
            60);
        if (r.exit_code != 0) throw std::runtime_error("openssl failed making the test CA");
    }

    void write_config() {
        auto d = dir_.string();
        std::ofstream c(dir_ / "rsyslog.conf");
        c << "global(workDirectory=\"" << d << "/work\" maxMessageSize=\"64k\")\n"
          << "module(load=\"imudp\")\nmodule(load=\"imtcp\")\n"
          << "template(name=\"cg\" type=\"string\" string=\"%syslogfacility%|%syslogseverity%|"
             "%hostname%|%app-name%|%procid%|%msgid%|%structured-data%|%msg%\\n\")\n";
        for (auto [name, port] : {std::pair{"udp", udp_}, {"tcp", tcp_}, {"tls", tls_}}) {
            c << "ruleset(name=\"" << name << "\") { action(type=\"omfile\" file=\"" << d
              << "/received-" << name << ".log\" template=\"cg\") }\n";
            c << "input(type=\"im" << (std::string(name) == "udp" ? "udp" : "tcp")
              << "\" address=\"127.0.0.1\" port=\"" << port << "\" ruleset=\"" << name << "\"";
            // A datagram that finds the socket buffer full is gone: room for every test burst.
            if (std::string(name) == "udp") c << " rcvbufSize=\"4m\"";
            if (std::string(name) == "tls") {
                c << " streamDriver.name=\"gtls\" streamDriver.mode=\"1\""
                  << " streamDriver.authMode=\"anon\" streamDriver.CAFile=\"" << d
                  << "/ca.pem\" streamDriver.CertFile=\"" << d
                  << "/server.pem\" streamDriver.KeyFile=\"" << d << "/server.key\"";
            }
            c << ")\n";
        }
    }

    // Three distinct ports free for their protocol, picked at random below the ephemeral range
    // (see the top of this file); each probe socket stays bound until all three are chosen.
    void pick_ports() {
        unsigned low = 32768, high = 60999;
        std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> low >> high;
        const unsigned first = 10000, last = low > first + 1000 ? low - 1 : 0;
        if (last == 0) throw std::runtime_error("no port range below ip_local_port_range");
        std::mt19937 rng(std::random_device{}());
        std::uniform_int_distribution<unsigned> pick(first, last);
        std::vector<int> held;
        auto take = [&](int type) -> std::uint16_t {
            for (int attempt = 0; attempt < 200; ++attempt) {
                auto port = static_cast<std::uint16_t>(pick(rng));
                if (port == udp_ || port == tcp_ || port == tls_) continue;
                int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
                sockaddr_in a{};
                a.sin_family = AF_INET;
                a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
                a.sin_port = htons(port);
                if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
                    held.push_back(fd);
                    return port;
                }
                ::close(fd);
            }
            throw std::runtime_error("no free port below the ephemeral range");
        };
        try {
            udp_ = take(SOCK_DGRAM);
            tcp_ = take(SOCK_STREAM);
            tls_ = take(SOCK_STREAM);
        } catch (...) {
            for (int fd : held) ::close(fd);
            throw;
        }
        for (int fd : held) ::close(fd);
    }

    static bool accepts(std::uint16_t port) {
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons(port);
        bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
        ::close(fd);
        return ok;
    }

    std::filesystem::path dir_;
    std::uint16_t udp_ = 0, tcp_ = 0, tls_ = 0;
    pid_t pid_ = -1;
};

}  // namespace consolegate::test
