// The DNS gateway against real peers on loopback: nsd as the authoritative "internet", dig and
// raw sockets as clients, unbound (through dnspython) as the reference for the differential test.
// The service reads a manual clock the tests advance: TTLs, serve-stale and prefetch without
// sleeping. Upstream timeouts and the TCP idle timer are real time.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "consolegate/dns/service.hpp"
#include "harness.hpp"
#include "zone.hpp"

namespace consolegate::dns {
namespace {

using namespace std::chrono_literals;
namespace t = test;

core::ip_address ip(const char* s) {
    return *core::ip_address::parse(s);
}

config base_options(std::uint16_t upstream_port) {
    config o;
    o.listen = {{ip("127.0.0.1"), 0}};
    o.upstreams = {{ip("127.0.0.1"), upstream_port}};
    o.upstream_timeout = 300ms;
    o.upstream_retries = 1;
    o.steer_ipv4 = {ip("192.0.2.10")};
    o.steer_ipv6 = {ip("2001:db8::10")};
    return o;
}

// The service's time, advanced by the test (read on the worker's thread, hence atomic).
class manual_clock {
  public:
    void advance(std::chrono::milliseconds d) { now_ms_.fetch_add(d.count()); }
    time_source source() {
        return [this] { return std::chrono::milliseconds(now_ms_.load()); };
    }

  private:
    std::atomic<std::int64_t> now_ms_{1'000'000};
};

// One worker: an io_context on its own thread running one service on a manual clock (on the
// service's own clock with `real_clock`, for comparisons with a server that reads real time).
class running_gateway {
  public:
    explicit running_gateway(const config& o, bool real_clock = false)
        : svc_(std::make_unique<service>(io_, std::make_shared<const config>(o), stats_,
                                         real_clock ? steady_time() : clock_.source())) {
        svc_->start();
        port_ = svc_->local_endpoints().at(0).port;
        thread_ = std::thread([this] { io_.run(); });
    }
    ~running_gateway() {
        svc_->stop();
        boost::asio::post(io_, [this] { io_.stop(); });  // after the stop above has run
        thread_.join();
        svc_.reset();
    }
    std::uint16_t port() const { return port_; }
    const stats& counters() const { return stats_; }
    service& svc() { return *svc_; }
    void advance(std::chrono::milliseconds d) { clock_.advance(d); }
    // Holds the worker's thread until the returned function is called: datagrams sent meanwhile
    // queue in the socket and are read as one backlog.
    std::function<void()> hold() {
        auto gate = std::make_shared<std::promise<void>>();
        std::promise<void> held;
        auto held_future = held.get_future();
        boost::asio::post(io_, [open = gate->get_future(), held = std::move(held)]() mutable {
            held.set_value();
            open.wait();
        });
        held_future.wait();
        return [gate] { gate->set_value(); };
    }

  private:
    manual_clock clock_;
    boost::asio::io_context io_;
    stats stats_;
    std::unique_ptr<service> svc_;
    std::uint16_t port_ = 0;
    std::thread thread_;
};

// (No std::regex: g++ 12 warns inside it under the sanitizers, and warnings are errors.)
std::string status_of(const std::string& dig_out) {
    const auto at = dig_out.find("status: ");
    if (at == std::string::npos) return "none";
    const auto end = dig_out.find(',', at);
    return dig_out.substr(at + 8, end - at - 8);
}

// TTL of the first answer line ("name TTL IN type data"), -1 when there is none.
long first_ttl(const std::string& dig_out) {
    std::istringstream in(dig_out);
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] == ';') continue;
        std::istringstream f(line);
        std::string name, ttl, cls;
        if (f >> name >> ttl >> cls && cls == "IN" && !ttl.empty() &&
            ttl.find_first_not_of("0123456789") == std::string::npos) {
            return std::stol(ttl);
        }
    }
    return -1;
}

int connect_tcp(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// Sends `names` (type A, IDs first_id, first_id + 1, ...) pipelined on `fd`, each with its TCP
// length prefix (RFC 1035 §4.2.2), in one write.
bool send_pipelined(int fd, const std::vector<std::string>& names, std::uint16_t first_id) {
    std::vector<std::uint8_t> batch;
    for (std::size_t i = 0; i < names.size(); ++i) {
        const auto q = t::make_query(names[i], 1, static_cast<std::uint16_t>(first_id + i));
        batch.push_back(static_cast<std::uint8_t>(q.size() >> 8));
        batch.push_back(static_cast<std::uint8_t>(q.size()));
        batch.insert(batch.end(), q.begin(), q.end());
    }
    return ::send(fd, batch.data(), batch.size(), 0) == static_cast<ssize_t>(batch.size());
}

// The IDs of the length-prefixed answers read from `fd` until `want` have come, the peer closed,
// or `limit` passed.
std::set<int> read_answer_ids(int fd, std::size_t want, std::chrono::milliseconds limit) {
    std::vector<std::uint8_t> in;
    std::set<int> ids;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (ids.size() < want && std::chrono::steady_clock::now() < deadline) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 100) != 1) continue;
        std::uint8_t buf[4096];
        const auto n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        in.insert(in.end(), buf, buf + n);
        while (in.size() >= 2) {
            const std::size_t len = (in[0] << 8) | in[1];
            if (in.size() < len + 2) break;
            ids.insert((in[2] << 8) | in[3]);
            in.erase(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(len + 2));
        }
    }
    return ids;
}

// True when the peer closes `fd` within `limit`.
bool closed_within(int fd, std::chrono::milliseconds limit) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(limit.count())) != 1) return false;
    char c;
    return ::recv(fd, &c, 1, 0) == 0;
}

// How long `f` took, in real time.
template <class F>
std::chrono::milliseconds timed(F&& f) {
    const auto start = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start);
}

// Binds UDP socket `fd` to 127.0.0.1 on a port the kernel picks; that port.
std::uint16_t bind_loopback(int fd, const char* who) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
        throw std::runtime_error(std::string(who) + ": cannot bind");
    }
    return ntohs(sa.sin_port);
}

// An upstream that is up but silent: a bound UDP socket whose queries queue unread and
// unanswered (no ICMP either, unlike a stopped server).
class blackhole {
  public:
    blackhole() : fd_(::socket(AF_INET, SOCK_DGRAM, 0)) { port_ = bind_loopback(fd_, "blackhole"); }
    ~blackhole() { ::close(fd_); }
    blackhole(const blackhole&) = delete;
    blackhole& operator=(const blackhole&) = delete;
    std::uint16_t port() const { return port_; }

  private:
    int fd_;
    std::uint16_t port_ = 0;
};

// An upstream answering every query with a bare header: QR, the query's ID and RD, `rcode`, no
// question. Real servers do so for queries they cannot parse (and some middleboxes for any);
// nsd and unbound always echo the question for a query like ours, hence a fake. With `over_tcp`
// it answers UDP with TC=1 and the question (so c-ares asks again over TCP) and TCP with the
// bare header.
class questionless_upstream {
  public:
    explicit questionless_upstream(std::uint8_t rcode, bool over_tcp = false)
        : fd_(::socket(AF_INET, SOCK_DGRAM, 0)), over_tcp_(over_tcp) {
        if (over_tcp) {
            port_ = t::free_port();
            listen_ = ::socket(AF_INET, SOCK_STREAM, 0);
            sockaddr_in sa{};
            sa.sin_family = AF_INET;
            sa.sin_port = htons(port_);
            sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            if (::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
                ::bind(listen_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
                ::listen(listen_, 4) != 0) {
                throw std::runtime_error("questionless_upstream: cannot bind");
            }
        } else {
            port_ = bind_loopback(fd_, "questionless_upstream");
        }
        thread_ = std::thread([this, rcode] { serve(rcode); });
    }
    ~questionless_upstream() {
        stop_ = true;
        thread_.join();
        ::close(fd_);
        if (listen_ >= 0) ::close(listen_);
        if (conn_ >= 0) ::close(conn_);
    }
    questionless_upstream(const questionless_upstream&) = delete;
    questionless_upstream& operator=(const questionless_upstream&) = delete;
    std::uint16_t port() const { return port_; }
    int answered() const { return answered_.load(); }

  private:
    void serve(std::uint8_t rcode) {
        std::vector<std::uint8_t> stream;
        while (!stop_) {  // each wait bounded: the destructor's stop is seen within 100 ms
            pollfd p[3] = {{fd_, POLLIN, 0}, {listen_, POLLIN, 0}, {conn_, POLLIN, 0}};
            if (::poll(p, 3, 100) < 1) continue;
            if (p[0].revents & POLLIN) answer_udp(rcode);
            if (p[1].revents & POLLIN) {
                if (conn_ >= 0) ::close(conn_);
                conn_ = ::accept(listen_, nullptr, nullptr);
                stream.clear();
            }
            if (p[2].revents & (POLLIN | POLLHUP)) {
                std::uint8_t buf[1024];
                const auto n = ::recv(conn_, buf, sizeof buf, 0);
                if (n <= 0) {
                    ::close(conn_);
                    conn_ = -1;
                    continue;
                }
                stream.insert(stream.end(), buf, buf + n);
                while (stream.size() >= 14 &&
                       stream.size() >= 2u + ((stream[0] << 8) | stream[1])) {
                    const std::uint8_t reply[14] = {
                        0,
                        12,
                        stream[2],
                        stream[3],
                        static_cast<std::uint8_t>(0x80 | (stream[4] & 1)),
                        static_cast<std::uint8_t>(0x80 | rcode)};
                    ::send(conn_, reply, sizeof reply, MSG_NOSIGNAL);
                    ++answered_;
                    stream.erase(stream.begin(),
                                 stream.begin() + 2 + ((stream[0] << 8) | stream[1]));
                }
            }
        }
    }
    void answer_udp(std::uint8_t rcode) {
        std::uint8_t buf[512];
        sockaddr_storage from{};
        socklen_t len = sizeof from;
        const auto n =
            ::recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n < 12) return;
        if (over_tcp_) {  // the question echoed with TC: "ask again over TCP"
            std::size_t end = 12;
            while (end < static_cast<std::size_t>(n) && buf[end] != 0) end += 1u + buf[end];
            end = std::min<std::size_t>(end + 5, static_cast<std::size_t>(n));
            buf[2] = static_cast<std::uint8_t>(0x80 | 0x02 | (buf[2] & 1));
            buf[3] = 0;
            std::fill(buf + 6, buf + 12, 0);
            ::sendto(fd_, buf, end, 0, reinterpret_cast<sockaddr*>(&from), len);
            return;
        }
        std::uint8_t reply[12] = {buf[0], buf[1], static_cast<std::uint8_t>(0x80 | (buf[2] & 1)),
                                  static_cast<std::uint8_t>(0x80 | rcode)};
        ::sendto(fd_, reply, sizeof reply, 0, reinterpret_cast<sockaddr*>(&from), len);
        ++answered_;
    }
    int fd_;
    int listen_ = -1;
    int conn_ = -1;
    bool over_tcp_;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<int> answered_{0};
    std::thread thread_;
};

// An upstream over UDP alone that knows EDNS but answers one name, formerr.example.test, with
// FORMERR without an OPT record when asked with EDNS (as a server or middlebox that knows none
// does), and NXDOMAIN without it; every other name gets a TXT answer of about 1 KB, with an OPT
// record when asked with one, else TC=1 (more than 512 bytes). Nothing real answers one name so.
class formerr_once_upstream {
  public:
    formerr_once_upstream() : fd_(::socket(AF_INET, SOCK_DGRAM, 0)) {
        port_ = bind_loopback(fd_, "formerr_once_upstream");
        thread_ = std::thread([this] { serve(); });
    }
    ~formerr_once_upstream() {
        stop_ = true;
        thread_.join();
        ::close(fd_);
    }
    formerr_once_upstream(const formerr_once_upstream&) = delete;
    formerr_once_upstream& operator=(const formerr_once_upstream&) = delete;
    std::uint16_t port() const { return port_; }
    int without_edns() const { return without_edns_.load(); }

  private:
    void serve() {
        while (!stop_) {  // each wait bounded: the destructor's stop is seen within 100 ms
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 100) != 1) continue;
            std::uint8_t buf[512];
            sockaddr_storage from{};
            socklen_t len = sizeof from;
            const auto n =
                ::recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
            std::size_t end = 12;
            while (end < static_cast<std::size_t>(n) && buf[end] != 0) end += 1u + buf[end];
            end += 5;
            if (n < 12 || end > static_cast<std::size_t>(n)) continue;
            const bool edns = buf[11] != 0;
            if (!edns) ++without_edns_;
            const bool formerr =
                std::string_view(reinterpret_cast<char*>(buf + 13), 7) == "formerr";
            std::vector<std::uint8_t> r(buf, buf + end);
            r[2] = static_cast<std::uint8_t>(0x80 | (buf[2] & 1));
            r[3] = 0x80;
            std::fill(r.begin() + 6, r.begin() + 12, 0);
            if (formerr && edns) {
                r.resize(12);
                r[3] |= 1;  // FORMERR, a bare header
                r[5] = 0;
            } else if (formerr) {
                r[3] |= 3;  // NXDOMAIN
            } else if (!edns) {
                r[2] |= 0x02;  // TC
            } else {
                r[7] = 1;
                r[11] = 1;
                for (std::uint8_t b : {0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 60, 0x03, 0xec})
                    r.push_back(b);
                for (int i = 0; i < 4; ++i) {
                    r.push_back(250);
                    r.insert(r.end(), 250, static_cast<std::uint8_t>('a' + i));
                }
                for (std::uint8_t b : {0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0}) r.push_back(b);
            }
            ::sendto(fd_, r.data(), r.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
        }
    }
    int fd_;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<int> without_edns_{0};
    std::thread thread_;
};

// With the defaults c-ares alone would take 2 + 4 + 8 s to give up: every bound the fault tests
// below see comes from the gateway's own deadlines.
config slow_upstream_options(std::uint16_t upstream_port) {
    auto o = base_options(upstream_port);
    o.upstream_timeout = 2s;
    o.upstream_retries = 2;
    return o;
}

// Slack for a busy 2-core machine on top of a deadline being proven.
constexpr auto slack = 1500ms;

class gateway : public ::testing::Test {
  protected:
    t::nsd_server nsd{"example.test", t::example_zone()};
};

TEST_F(gateway, steers_console_names_per_record_type) {
    running_gateway gw(base_options(nsd.port()));
    auto a = t::dig(gw.port(), "Console.AWS.amazon.com A");
    EXPECT_EQ(status_of(a), "NOERROR");
    EXPECT_NE(a.find("192.0.2.10"), std::string::npos) << a;
    EXPECT_NE(a.find("Console.AWS.amazon.com."), std::string::npos) << "0x20 case kept: " << a;
    auto aaaa = t::dig(gw.port(), "eu-west-1.console.aws.amazon.com AAAA");
    EXPECT_NE(aaaa.find("2001:db8::10"), std::string::npos) << aaaa;
    auto signin = t::dig(gw.port(), "123456789012.signin.aws.amazon.com A +short");
    EXPECT_EQ(signin, "192.0.2.10\n");
    for (const char* type : {"HTTPS", "SVCB", "MX", "TXT"}) {
        auto r = t::dig(gw.port(), std::string("console.aws.amazon.com ") + type);
        EXPECT_EQ(status_of(r), "NOERROR") << type;
        EXPECT_NE(r.find("ANSWER: 0"), std::string::npos) << type << ": NODATA expected\n" << r;
    }
    // The SOA those NODATA answers carry, asked for, is the answer.
    const auto soa = t::dig(gw.port(), "console.aws.amazon.com SOA +short");
    EXPECT_EQ(soa, "consolegate.invalid. hostmaster.consolegate.invalid. 1 3600 600 86400 60\n");
    EXPECT_GE(gw.counters().steered.load(), 8u);
}

TEST_F(gateway, aaaa_without_steering_ipv6_is_nodata) {
    auto o = base_options(nsd.port());
    o.steer_ipv6.clear();
    running_gateway gw(o);
    auto r = t::dig(gw.port(), "console.aws.amazon.com AAAA");
    EXPECT_EQ(status_of(r), "NOERROR");
    EXPECT_NE(r.find("ANSWER: 0"), std::string::npos) << r;
}

TEST_F(gateway, exceptions_and_other_names_are_forwarded) {
    auto o = base_options(nsd.port());
    o.steer_exceptions.push_back("www.example.test");
    o.steer_names.push_back("*.example.test");
    running_gateway gw(o);
    EXPECT_EQ(t::dig(gw.port(), "www.example.test A +short"), "198.51.100.1\n");
    EXPECT_EQ(t::dig(gw.port(), "mail.example.test A +short"), "192.0.2.10\n");  // steered
    // docs.aws.amazon.com is an exception: it goes upstream (nsd refuses it: not its zone), and
    // upstream's REFUSED is the resolver's failure, SERVFAIL to the client (as unbound says).
    const auto forwarded = gw.counters().forwarded.load();
    auto docs = t::dig(gw.port(), "docs.aws.amazon.com A");
    EXPECT_EQ(docs.find("192.0.2.10"), std::string::npos) << docs;
    EXPECT_EQ(status_of(docs), "SERVFAIL");
    EXPECT_EQ(gw.counters().forwarded.load(), forwarded + 1);
}

// The real address of a steered name never passes, wherever upstream puts it: at the end of a
// 24-link CNAME chain, or as the additional-section address of an MX target.
TEST_F(gateway, steered_names_never_leak_through_long_chains_or_additional_records) {
    auto o = base_options(nsd.port());
    o.steer_names.push_back("steered.example.test");
    running_gateway gw(o);
    const auto chain = t::dig(gw.port(), "link0.example.test A");
    EXPECT_EQ(status_of(chain), "NOERROR") << chain;
    EXPECT_NE(chain.find("192.0.2.10"), std::string::npos) << chain;
    EXPECT_EQ(chain.find("198.51.100.66"), std::string::npos) << chain;
    EXPECT_NE(chain.find("link23.example.test.\t"), std::string::npos) << chain;  // whole chain
    const auto mx = t::dig(gw.port(), "mx-steered.example.test MX");
    EXPECT_EQ(status_of(mx), "NOERROR") << mx;
    EXPECT_NE(mx.find("10 steered.example.test."), std::string::npos) << mx;
    EXPECT_EQ(mx.find("198.51.100.66"), std::string::npos) << mx;
}

TEST_F(gateway, forwards_with_case_restored_and_caches) {
    running_gateway gw(base_options(nsd.port()));
    auto r = t::dig(gw.port(), "WwW.ExAmPlE.TeSt A +noadflag");
    EXPECT_EQ(status_of(r), "NOERROR");
    EXPECT_NE(r.find("WwW.ExAmPlE.TeSt.\t"), std::string::npos) << r;
    EXPECT_NE(r.find("198.51.100.1"), std::string::npos);
    EXPECT_EQ(t::dig(gw.port(), "www.example.test AAAA +short"), "2001:db8::1\n");
    EXPECT_EQ(t::dig(gw.port(), "mx.example.test MX +short"), "10 mail.example.test.\n");
    auto again = t::dig(gw.port(), "www.example.test A +short");
    EXPECT_EQ(again, "198.51.100.1\n");
    EXPECT_GE(gw.counters().cache_hits.load(), 1u);
    EXPECT_EQ(gw.counters().forwarded.load(), 3u);
}

TEST_F(gateway, cname_into_steered_name_is_rewritten) {
    running_gateway gw(base_options(nsd.port()));
    auto r = t::dig(gw.port(), "steer-alias.example.test A");
    EXPECT_EQ(status_of(r), "NOERROR");
    EXPECT_NE(r.find("CNAME\teu-west-1.console.aws.amazon.com."), std::string::npos) << r;
    EXPECT_NE(r.find("192.0.2.10"), std::string::npos) << r;
    EXPECT_EQ(gw.counters().cname_rewritten.load(), 1u);
    // An ordinary alias passes through untouched.
    EXPECT_EQ(t::dig(gw.port(), "alias.example.test A +short"),
              "www.example.test.\n198.51.100.1\n");
}

TEST_F(gateway, nxdomain_and_nodata_with_negative_caching) {
    running_gateway gw(base_options(nsd.port()));
    auto nx = t::dig(gw.port(), "nope.example.test A");
    EXPECT_EQ(status_of(nx), "NXDOMAIN");
    EXPECT_NE(nx.find("SOA"), std::string::npos) << nx;
    auto nodata = t::dig(gw.port(), "www.example.test TXT");
    EXPECT_EQ(status_of(nodata), "NOERROR");
    EXPECT_NE(nodata.find("ANSWER: 0"), std::string::npos);
    EXPECT_EQ(status_of(t::dig(gw.port(), "nope.example.test A")), "NXDOMAIN");
    EXPECT_EQ(gw.counters().cache_hits.load(), 1u);  // the second NXDOMAIN came from the cache
}

// RFC 2308 §5 after a CNAME (RFC 2308 §2.2: NODATA at the chain's end): the answer is as
// negative as a plain NODATA, so the SOA's TTL is min(SOA TTL, MINIMUM) within negative_max_ttl
// and the whole answer lives no longer than that. nsd's MINIMUM is 120; the cap 30.
TEST_F(gateway, negative_ttl_after_a_cname_is_capped_like_any_negative_answer) {
    auto o = base_options(nsd.port());
    o.cache.negative_max_ttl = 30s;
    running_gateway gw(o);
    const std::string q = "nodata-alias.example.test MX +noall +authority";
    EXPECT_EQ(first_ttl(t::dig(gw.port(), "www.example.test MX +noall +authority")), 30);
    EXPECT_EQ(first_ttl(t::dig(gw.port(), q)), 30);
    const auto forwarded = gw.counters().forwarded.load();
    gw.advance(31s);  // past the negative cap (the CNAME itself has 300 s)
    EXPECT_EQ(first_ttl(t::dig(gw.port(), q)), 30);
    EXPECT_EQ(gw.counters().forwarded.load(), forwarded + 1);  // expired, asked again
}

TEST_F(gateway, large_answers_truncate_over_udp_and_complete_over_tcp) {
    running_gateway gw(base_options(nsd.port()));
    // Upstream truncates too (nsd honours our 1232): c-ares retries it over TCP.
    auto udp = t::dig(gw.port(), "big.example.test TXT +ignore +noedns");
    EXPECT_NE(udp.find(" tc"), std::string::npos) << udp;
    auto udp_edns = t::dig(gw.port(), "big.example.test TXT +ignore +bufsize=1232");
    EXPECT_NE(udp_edns.find(" tc"), std::string::npos) << udp_edns;
    auto tcp = t::dig(gw.port(), "big.example.test TXT +tcp");
    EXPECT_NE(tcp.find("ANSWER: 20"), std::string::npos) << tcp;
    auto retried = t::dig(gw.port(), "big.example.test TXT");  // dig retries over TCP on TC
    EXPECT_NE(retried.find("ANSWER: 20"), std::string::npos) << retried;
    EXPECT_GE(gw.counters().truncated.load(), 2u);
}

// An upstream that fills the authority section of positive answers (here nsd with
// minimal-responses off, its default) hands over answers with NS records that unbound's
// minimal-responses (its default) leaves out: 20 A records fit a client without EDNS, as from
// unbound, instead of TC=1 and a retry over TCP, and over EDNS no NS record shows either. A
// negative answer keeps its SOA (the differential test compares every section).
TEST_F(gateway, positive_answers_go_without_the_authority_section_as_from_unbound) {
    std::string zone =
        "$ORIGIN auth.test.\n$TTL 300\n"
        "@ IN SOA ns0.auth.test. hostmaster.auth.test. 1 3600 600 86400 120\nns0 IN A 127.0.0.1\n";
    for (int i = 0; i < 10; ++i) {
        const auto n = std::to_string(i);
        zone += "@ IN NS ns" + n + ".a-rather-long-name-server-label-to-fill-space-" + n +
                ".other.test.\n";
    }
    for (int i = 1; i <= 20; ++i) zone += "many IN A 198.51.100." + std::to_string(i) + "\n";
    t::nsd_server full("auth.test", zone, "  minimal-responses: no\n");
    const auto upstream = t::dig(full.port(), "many.auth.test A +norec +bufsize=1232");
    ASSERT_NE(upstream.find("ANSWER: 20, AUTHORITY: 10"), std::string::npos) << upstream;
    t::unbound_server unbound(full.port(), {}, "auth.test");
    auto o = base_options(full.port());
    running_gateway gw(o);
    for (const auto port : {unbound.port(), gw.port()}) {
        const auto r = t::dig(port, "many.auth.test A +noedns +ignore");
        EXPECT_EQ(status_of(r), "NOERROR") << r;
        EXPECT_NE(r.find("ANSWER: 20, AUTHORITY: 0, ADDITIONAL: 0"), std::string::npos) << r;
        EXPECT_EQ(r.find(" tc"), std::string::npos) << r;
        const auto nx = t::dig(port, "nope.auth.test A +noedns +ignore");
        EXPECT_EQ(status_of(nx), "NXDOMAIN") << nx;
        EXPECT_NE(nx.find("AUTHORITY: 1,"), std::string::npos) << nx;
        const auto whole = t::dig(port, "many.auth.test A +bufsize=1232");
        EXPECT_NE(whole.find("ANSWER: 20, AUTHORITY: 0, ADDITIONAL: 1"), std::string::npos)
            << whole;
    }
    EXPECT_EQ(gw.counters().truncated.load(), 0u);
}

// Answers up to the 64 KiB a TCP message holds go through whole (c-ares takes them from upstream
// over TCP, the gateway hands them to a TCP client with its OPT record), as unbound answers them.
TEST_F(gateway, answers_near_64_kib_go_whole_over_tcp) {
    std::string zone =
        "$ORIGIN huge.test.\n$TTL 300\n"
        "@ IN SOA ns.huge.test. hostmaster.huge.test. 1 3600 600 86400 120\n";
    for (int i = 0; i < 480; ++i) {  // 480 x (12 + 1 + 110 + 3) bytes: about 60 KB
        zone += "txt IN TXT \"" + std::to_string(1000 + i) + std::string(106, 'y') + "\"\n";
    }
    t::nsd_server huge("huge.test", zone);
    t::unbound_server unbound(huge.port(), {}, "huge.test");
    running_gateway gw(base_options(huge.port()));
    for (const auto port : {unbound.port(), gw.port()}) {
        for (int round = 0; round < 2; ++round) {  // from upstream, then from the cache
            const auto r = t::dig(port, "txt.huge.test TXT +tcp +bufsize=1232");
            EXPECT_EQ(status_of(r), "NOERROR") << port << r.substr(0, 600);
            EXPECT_NE(r.find("ANSWER: 480,"), std::string::npos) << port << r.substr(0, 600);
            EXPECT_EQ(r.find(" tc"), std::string::npos) << port << r.substr(0, 600);
        }
    }
}

// We advertise 1232 bytes upstream (RFC 6891 §6.2.5): an answer between 512 and that comes back
// over UDP and is taken, not asked again over TCP. Upstream here is unbound without TCP, so a
// second try over TCP fails.
TEST_F(gateway, upstream_answers_up_to_our_edns_size_are_taken_over_udp) {
    t::unbound_server udp_only(nsd.port(), {}, "example.test", "  do-tcp: no\n");
    const auto direct = t::dig(udp_only.port(), "medium.example.test TXT +bufsize=1232");
    ASSERT_NE(direct.find("ANSWER: 6,"), std::string::npos) << direct;
    ASSERT_EQ(direct.find(" tc"), std::string::npos) << direct;
    running_gateway gw(base_options(udp_only.port()));
    const auto r = t::dig(gw.port(), "medium.example.test TXT +bufsize=1232");
    EXPECT_EQ(status_of(r), "NOERROR") << r;
    EXPECT_NE(r.find("ANSWER: 6,"), std::string::npos) << r;
}

TEST_F(gateway, edns_echoes_do_and_payload) {
    running_gateway gw(base_options(nsd.port()));
    auto r = t::dig(gw.port(), "www.example.test A +dnssec +bufsize=4096");
    EXPECT_NE(r.find("flags: do; udp: 1232"), std::string::npos) << r;
    auto plain = t::dig(gw.port(), "www.example.test A +noedns");
    EXPECT_EQ(plain.find("OPT PSEUDOSECTION"), std::string::npos) << plain;
    // EDNS version 1 is answered BADVERS (RFC 6891 §6.1.3).
    auto v1 = t::dig(gw.port(), "www.example.test A +edns=1 +noednsneg");
    EXPECT_EQ(status_of(v1), "BADVERS") << v1;
}

TEST_F(gateway, cached_ttls_count_down) {
    running_gateway gw(base_options(nsd.port()));
    const auto first = first_ttl(t::dig(gw.port(), "decay.example.test A +noall +answer"));
    ASSERT_EQ(first, 100);
    gw.advance(2100ms);  // TTLs are whole seconds
    const auto later = first_ttl(t::dig(gw.port(), "decay.example.test A +noall +answer"));
    EXPECT_GE(later, 90);  // slack for a loaded machine; the point is that it went down
    EXPECT_LE(later, 98);
}

TEST_F(gateway, prefetch_refreshes_answers_about_to_expire) {
    auto o = base_options(nsd.port());
    o.cache.prefetch = true;
    running_gateway gw(o);
    ASSERT_EQ(first_ttl(t::dig(gw.port(), "popular.example.test A +noall +answer")), 20);
    gw.advance(17s);  // nothing is due before the last 2 s
    // Hits until one lands in the last 10% of the 20 s lifetime (bounded: 100 × 250 ms).
    long ttl = -1;
    for (int i = 0; i < 100 && gw.counters().prefetches.load() == 0; ++i) {
        gw.advance(250ms);
        ttl = first_ttl(t::dig(gw.port(), "popular.example.test A +noall +answer"));
    }
    ASSERT_EQ(gw.counters().prefetches.load(), 1u);
    EXPECT_LE(ttl, 2);  // served from the old entry while the refresh went out
    // The refresh is in flight to nsd on loopback: ask again until it is in (bounded).
    for (int i = 0; i < 20 && ttl < 10; ++i) {
        ttl = first_ttl(t::dig(gw.port(), "popular.example.test A +noall +answer"));
    }
    EXPECT_GE(ttl, 15);  // the refreshed answer
    EXPECT_EQ(gw.counters().forwarded.load(), 2u);
}

TEST_F(gateway, tcp_queries_split_across_segments_are_reassembled) {
    running_gateway gw(base_options(nsd.port()));
    const int fd = connect_tcp(gw.port());
    ASSERT_GE(fd, 0);
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto q = t::make_query("console.aws.amazon.com", 1, 0x5151);
    q.insert(q.begin(),
             {static_cast<std::uint8_t>(q.size() >> 8), static_cast<std::uint8_t>(q.size())});
    for (const auto b : q) ASSERT_EQ(::send(fd, &b, 1, 0), 1);  // one byte per segment
    pollfd p{fd, POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 3000), 1);
    std::uint8_t buf[512];
    const auto n = ::recv(fd, buf, sizeof buf, 0);
    ASSERT_GT(n, 14);
    EXPECT_EQ((buf[2] << 8) | buf[3], 0x5151);
    ::close(fd);
}

TEST_F(gateway, serves_stale_when_upstream_is_frozen) {
    auto o = base_options(nsd.port());
    o.cache.serve_stale = true;
    o.cache.stale_answer_ttl = std::chrono::seconds(30);
    running_gateway gw(o);
    ASSERT_EQ(t::dig(gw.port(), "short.example.test A +short"), "198.51.100.2\n");
    gw.advance(3100ms);  // past the record's 2 s TTL (served through its last second)
    nsd.freeze();
    auto r = t::dig(gw.port(), "short.example.test A +noall +answer +time=5");
    nsd.thaw();
    EXPECT_NE(r.find("198.51.100.2"), std::string::npos) << r;
    EXPECT_EQ(first_ttl(r), 30);
    EXPECT_EQ(gw.counters().stale_served.load(), 1u);
    EXPECT_GE(gw.counters().upstream_timeouts.load(), 1u);
}

TEST_F(gateway, servfail_when_upstream_is_gone_and_nothing_cached) {
    running_gateway gw(base_options(nsd.port()));
    nsd.stop();
    const auto start = std::chrono::steady_clock::now();
    auto r = t::dig(gw.port(), "www.example.test A +time=5");
    EXPECT_EQ(status_of(r), "SERVFAIL") << r;
    // 300 ms + 600 ms of c-ares attempts at most, with slack for a busy machine.
    EXPECT_LT(std::chrono::steady_clock::now() - start, 4s);
    EXPECT_EQ(gw.counters().servfail.load(), 1u);
}

TEST_F(gateway, stale_answer_at_the_client_timer_then_at_once_until_a_refresh_succeeds) {
    auto o = slow_upstream_options(nsd.port());
    o.cache.serve_stale = true;
    o.cache.stale_answer_client_timeout = 1000ms;
    running_gateway gw(o);
    const std::string q = "short.example.test A +noall +answer +time=5";
    ASSERT_EQ(t::dig(gw.port(), "short.example.test A +short"), "198.51.100.2\n");
    gw.advance(3100ms);  // past the record's 2 s TTL (served through its last second)
    nsd.freeze();
    std::string r;
    // RFC 8767 §5: the first query waits the client response timer, not c-ares's 14 s.
    auto took = timed([&] { r = t::dig(gw.port(), q); });
    EXPECT_NE(r.find("198.51.100.2"), std::string::npos) << r;
    EXPECT_EQ(first_ttl(r), 30);
    EXPECT_GE(took, 1000ms);
    EXPECT_LT(took, 1000ms + slack);
    EXPECT_EQ(gw.counters().answer_timeouts.load(), 1u);
    // Upstream is remembered as failing: the next stale answer does not wait for the timer.
    const auto forwarded = gw.counters().forwarded.load();
    took = timed([&] { r = t::dig(gw.port(), q); });
    EXPECT_NE(r.find("198.51.100.2"), std::string::npos) << r;
    EXPECT_EQ(first_ttl(r), 30);
    EXPECT_LT(took, 1000ms);
    EXPECT_EQ(gw.counters().stale_served.load(), 2u);
    // The refresh waits on the query still upstream (c-ares retries it), as unbound's mesh
    // keeps one state per question: no second query for the same name.
    EXPECT_EQ(gw.counters().forwarded.load(), forwarded);
    EXPECT_EQ(gw.counters().joined.load(), 1u);
    // Upstream back: a refresh lands (fresh TTL 2 instead of the stale 30) and is the success
    // that makes later queries wait for upstream again.
    nsd.thaw();
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (first_ttl(r) != 2 && std::chrono::steady_clock::now() < deadline) {
        r = t::dig(gw.port(), q);
    }
    ASSERT_EQ(first_ttl(r), 2) << r;
    gw.advance(3100ms);
    nsd.freeze();
    took = timed([&] { r = t::dig(gw.port(), q); });
    nsd.thaw();
    EXPECT_EQ(first_ttl(r), 30) << r;
    EXPECT_GE(took, 1000ms);
}

TEST_F(gateway, uncached_name_is_servfail_at_answer_timeout_when_upstream_is_blackholed) {
    blackhole bh;
    auto o = slow_upstream_options(bh.port());
    o.answer_timeout = 800ms;
    running_gateway gw(o);
    std::string r;
    const auto took = timed([&] { r = t::dig(gw.port(), "www.example.test A +time=5"); });
    EXPECT_EQ(status_of(r), "SERVFAIL") << r;
    EXPECT_GE(took, 800ms);
    EXPECT_LT(took, 800ms + slack);
    EXPECT_EQ(gw.counters().answer_timeouts.load(), 1u);
    EXPECT_EQ(gw.counters().servfail.load(), 1u);
}

TEST_F(gateway, uncached_name_is_servfail_at_answer_timeout_when_upstream_is_frozen) {
    auto o = slow_upstream_options(nsd.port());
    o.answer_timeout = 800ms;
    o.cache.serve_stale = true;  // nothing cached: the client timer does not apply
    running_gateway gw(o);
    nsd.freeze();
    std::string r;
    const auto took = timed([&] { r = t::dig(gw.port(), "www.example.test A +time=5"); });
    nsd.thaw();
    EXPECT_EQ(status_of(r), "SERVFAIL") << r;
    EXPECT_GE(took, 800ms);
    EXPECT_LT(took, 800ms + slack);
    EXPECT_EQ(gw.counters().answer_timeouts.load(), 1u);
}

TEST_F(gateway, stale_answer_at_the_client_timer_when_upstream_is_blackholed) {
    blackhole bh;
    auto o = slow_upstream_options(nsd.port());
    o.cache.serve_stale = true;
    o.cache.stale_answer_client_timeout = 600ms;
    running_gateway gw(o);
    ASSERT_EQ(t::dig(gw.port(), "short.example.test A +short"), "198.51.100.2\n");
    auto moved = o;  // same steering, so the cache survives the move
    moved.upstreams = {{ip("127.0.0.1"), bh.port()}};
    gw.svc().update(std::make_shared<const config>(moved));
    gw.advance(3100ms);
    std::string r;
    // The update is posted to the worker; the query below queues behind it on the same thread.
    const auto took =
        timed([&] { r = t::dig(gw.port(), "short.example.test A +noall +answer +time=5"); });
    EXPECT_NE(r.find("198.51.100.2"), std::string::npos) << r;
    EXPECT_EQ(first_ttl(r), 30);
    EXPECT_GE(took, 600ms);
    EXPECT_LT(took, 600ms + slack);
}

// An upstream's REFUSED, FORMERR, NOTIMP or SERVFAIL without the question is still that
// upstream's answer to our query (matched by our random ID): SERVFAIL at once, or a stale answer,
// instead of c-ares dropping it as unmatched and the client waiting the whole answer_timeout.
TEST_F(gateway, upstream_error_without_a_question_fails_at_once) {
    for (const std::uint8_t rcode : {1, 2, 4, 5}) {
        questionless_upstream up(rcode);
        auto o = slow_upstream_options(up.port());
        running_gateway gw(o);
        std::string r;
        const auto took = timed([&] { r = t::dig(gw.port(), "www.example.test A +time=5"); });
        EXPECT_EQ(status_of(r), "SERVFAIL") << int(rcode) << "\n" << r;
        EXPECT_LT(took, 1000ms) << int(rcode);  // answer_timeout is 3 s
        EXPECT_EQ(gw.counters().answer_timeouts.load(), 0u) << int(rcode);
        // c-ares took it as the answer: no retry, but for FORMERR and NOTIMP, which say the
        // server takes no EDNS: asked once more without it (RFC 6891 §7), as unbound asks.
        EXPECT_EQ(up.answered(), rcode == 1 || rcode == 4 ? 2 : 1) << int(rcode);
    }
}

// The same over TCP (an upstream truncates over UDP, c-ares asks again over TCP): the bare header
// ends the query at once too; it waited for the timeouts (c-ares matches TCP answers by question
// as well).
TEST_F(gateway, upstream_error_without_a_question_over_tcp_fails_at_once) {
    for (const std::uint8_t rcode : {1, 2, 4, 5}) {
        questionless_upstream up(rcode, true);
        auto o = slow_upstream_options(up.port());
        running_gateway gw(o);
        std::string r;
        const auto took = timed([&] { r = t::dig(gw.port(), "www.example.test A +time=5"); });
        EXPECT_EQ(status_of(r), "SERVFAIL") << int(rcode) << "\n" << r;
        EXPECT_LT(took, 1000ms) << int(rcode);  // answer_timeout is 3 s
        EXPECT_EQ(gw.counters().answer_timeouts.load(), 0u) << int(rcode);
        EXPECT_GE(up.answered(), 1) << int(rcode);
        // The connection still carries later answers: another query fails at once as well.
        const auto again = timed([&] { r = t::dig(gw.port(), "mail.example.test A +time=5"); });
        EXPECT_EQ(status_of(r), "SERVFAIL") << int(rcode) << "\n" << r;
        EXPECT_LT(again, 1000ms) << int(rcode);
    }
}

// RFC 6891 §7, scoped to the query: an upstream's FORMERR without an OPT record gets that query
// asked again without EDNS, and nothing else changes. c-ares 1.18 alone turned EDNS off for the
// whole channel, so every later answer over 512 bytes was asked again over TCP (here: refused,
// SERVFAIL), until the next such FORMERR turned it back on.
TEST_F(gateway, one_formerr_without_edns_changes_no_later_query) {
    formerr_once_upstream up;
    running_gateway gw(base_options(up.port()));
    const auto before = t::dig(gw.port(), "a.example.test TXT +bufsize=1232");
    EXPECT_NE(before.find("ANSWER: 1,"), std::string::npos) << before;
    const auto nx = t::dig(gw.port(), "formerr.example.test A");
    EXPECT_EQ(status_of(nx), "NXDOMAIN") << nx;  // asked again without EDNS
    for (const char* name : {"b.example.test", "c.example.test"}) {
        const auto after = t::dig(gw.port(), std::string(name) + " TXT +bufsize=1232");
        EXPECT_EQ(status_of(after), "NOERROR") << after;
        EXPECT_NE(after.find("ANSWER: 1,"), std::string::npos) << after;
    }
    EXPECT_EQ(up.without_edns(), 1);
    // A second such answer is handled alike.
    EXPECT_EQ(status_of(t::dig(gw.port(), "formerr.example.test AAAA")), "NXDOMAIN");
    EXPECT_EQ(status_of(t::dig(gw.port(), "d.example.test TXT +bufsize=1232")), "NOERROR");
    EXPECT_EQ(up.without_edns(), 2);
}

TEST_F(gateway, negative_answers_have_their_own_stale_cap) {
    auto o = slow_upstream_options(nsd.port());
    o.answer_timeout = 800ms;
    o.cache.serve_stale = true;
    o.cache.stale_answer_client_timeout = 300ms;
    o.cache.max_stale = 1h;
    o.cache.negative_max_stale = 60s;
    running_gateway gw(o);
    ASSERT_EQ(status_of(t::dig(gw.port(), "nope.example.test A")), "NXDOMAIN");  // 120 s (SOA)
    ASSERT_EQ(t::dig(gw.port(), "short.example.test A +short"), "198.51.100.2\n");
    nsd.freeze();
    gw.advance(150s);  // the NXDOMAIN is 30 s stale: within its 60 s cap
    EXPECT_EQ(status_of(t::dig(gw.port(), "nope.example.test A +time=5")), "NXDOMAIN");
    gw.advance(50s);  // 80 s stale: past the negative cap, well within the positive one
    std::string r;
    const auto took = timed([&] { r = t::dig(gw.port(), "nope.example.test A +time=5"); });
    EXPECT_EQ(status_of(r), "SERVFAIL") << r;
    EXPECT_GE(took, 800ms);  // nothing stale left: it waited for the answer timeout
    r = t::dig(gw.port(), "short.example.test A +noall +answer +time=5");
    nsd.thaw();
    EXPECT_EQ(first_ttl(r), 30) << r;
    EXPECT_EQ(gw.counters().stale_served.load(), 2u);
}

// The UDP path reads and writes in batches (recvmmsg/sendmmsg): a burst far larger than one batch
// is answered in full, each answer byte for byte what the same query gets alone.
TEST_F(gateway, udp_burst_is_answered_in_full_and_byte_identical) {
    running_gateway gw(base_options(nsd.port()));
    const char* names[] = {"www.example.test",  "console.aws.amazon.com", "h1.example.test",
                           "nope.example.test", "alias.example.test",     "WwW.ExAmPlE.TeSt"};
    constexpr std::uint16_t burst = 300;
    std::vector<std::vector<std::uint8_t>> queries;
    std::map<std::uint16_t, std::vector<std::uint8_t>> alone;
    for (std::uint16_t i = 0; i < burst; ++i) {
        queries.push_back(t::make_query(names[i % 6], i % 4 == 3 ? 28 : 1, i, i % 2 == 0));
    }
    // One at a time first (this also fills the cache, so the burst needs no upstream).
    for (std::uint16_t i = 0; i < 24; ++i) {
        auto a = t::udp_exchange(gw.port(), queries[i]);
        ASSERT_TRUE(a) << i;
        alone[i] = *a;
    }
    const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    ASSERT_GE(fd, 0);
    const int rcvbuf = 4 << 20;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(gw.port());
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (const auto& q : queries) {
        ASSERT_EQ(::sendto(fd, q.data(), q.size(), 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa),
                  static_cast<ssize_t>(q.size()));
    }
    std::map<std::uint16_t, std::vector<std::uint8_t>> got;
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (got.size() < burst && std::chrono::steady_clock::now() < deadline) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 200) != 1) continue;
        std::uint8_t buf[4096];
        const auto n = ::recv(fd, buf, sizeof buf, 0);
        if (n < 12) continue;
        const auto id = static_cast<std::uint16_t>((buf[0] << 8) | buf[1]);
        EXPECT_TRUE(got.emplace(id, std::vector<std::uint8_t>(buf, buf + n)).second) << id;
    }
    ::close(fd);
    ASSERT_EQ(got.size(), burst);
    for (std::uint16_t i = 0; i < burst; ++i) {
        // The same question alone (ID aside) gets the same bytes: compare with its twin.
        auto expect = alone.at(i % 24);
        expect[0] = static_cast<std::uint8_t>(i >> 8);
        expect[1] = static_cast<std::uint8_t>(i);
        EXPECT_EQ(got.at(i), expect) << "query " << i;
    }
    EXPECT_EQ(gw.counters().dropped.load(), 0u);
}

// A backlog fills whole recvmmsg batches, so the socket is drained outside epoll
// (dns/listeners.cpp): every query is answered, and after each backlog the socket is waited on
// again (a lone query is answered).
TEST_F(gateway, udp_backlogs_are_answered_and_the_socket_is_waited_on_again) {
    running_gateway gw(base_options(nsd.port()));
    const auto lone = t::udp_exchange(gw.port(), t::make_query("www.example.test", 1, 7, true));
    ASSERT_TRUE(lone);  // also fills the cache: the backlogs need no upstream
    const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    ASSERT_GE(fd, 0);
    const int rcvbuf = 4 << 20;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(gw.port());
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    constexpr std::uint16_t backlog = 200;  // > 32 per batch; fits a default-size receive buffer
    for (std::uint16_t round = 0; round < 3; ++round) {
        const auto release = gw.hold();
        for (std::uint16_t i = 0; i < backlog; ++i) {
            const auto q = t::make_query("www.example.test", 1, i, true);
            ASSERT_EQ(
                ::sendto(fd, q.data(), q.size(), 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa),
                static_cast<ssize_t>(q.size()));
        }
        release();
        std::set<std::uint16_t> ids;
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        while (ids.size() < backlog && std::chrono::steady_clock::now() < deadline) {
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, 200) != 1) continue;
            std::uint8_t buf[4096];
            const auto n = ::recv(fd, buf, sizeof buf, 0);
            ASSERT_EQ(static_cast<std::size_t>(n), lone->size());
            const auto id = static_cast<std::uint16_t>((buf[0] << 8) | buf[1]);
            auto expect = *lone;
            expect[0] = buf[0];
            expect[1] = buf[1];
            EXPECT_TRUE(std::equal(expect.begin(), expect.end(), buf)) << id;
            EXPECT_TRUE(ids.insert(id).second) << id;
        }
        ASSERT_EQ(ids.size(), backlog) << "round " << round;
        const auto again =
            t::udp_exchange(gw.port(), t::make_query("www.example.test", 1, 9, true));
        ASSERT_TRUE(again) << "round " << round;
    }
    ::close(fd);
    EXPECT_EQ(gw.counters().dropped.load(), 0u);
    EXPECT_EQ(gw.counters().cache_hits.load(), 3u * (backlog + 1));
}

TEST_F(gateway, doh_canary_is_nxdomain) {
    running_gateway gw(base_options(nsd.port()));
    EXPECT_EQ(status_of(t::dig(gw.port(), "use-application-dns.net A")), "NXDOMAIN");
    EXPECT_EQ(gw.counters().forwarded.load(), 0u);
}

// Apple's documented switch for networks: NXDOMAIN for both names keeps iCloud Private Relay off,
// whose relays would resolve (and reach) the console past steering.
TEST_F(gateway, private_relay_canaries_are_nxdomain) {
    running_gateway gw(base_options(nsd.port()));
    for (const char* q : {"mask.icloud.com A", "MASK-H2.icloud.com AAAA", "mask.icloud.com HTTPS"})
        EXPECT_EQ(status_of(t::dig(gw.port(), q)), "NXDOMAIN") << q;
    EXPECT_EQ(gw.counters().relay_canary.load(), 3u);
    EXPECT_EQ(gw.counters().forwarded.load(), 0u);
    // Only those two names: the rest of icloud.com is forwarded as usual.
    EXPECT_EQ(gw.counters().doh_canary.load(), 0u);
}

TEST_F(gateway, block_list_answers_configured_rcode) {
    auto o = base_options(nsd.port());
    o.block_names = {"*.example.test"};
    o.block_answer = core::block_rcode::refused;
    running_gateway gw(o);
    EXPECT_EQ(status_of(t::dig(gw.port(), "www.example.test A")), "REFUSED");
    EXPECT_EQ(gw.counters().blocked.load(), 1u);
}

TEST_F(gateway, clients_outside_the_acl_are_refused) {
    auto o = base_options(nsd.port());
    o.allow_clients = {*core::cidr::parse("10.0.0.0/8")};
    running_gateway gw(o);
    EXPECT_EQ(status_of(t::dig(gw.port(), "www.example.test A")), "REFUSED");
    EXPECT_EQ(status_of(t::dig(gw.port(), "console.aws.amazon.com A")), "REFUSED");
    EXPECT_EQ(gw.counters().forwarded.load(), 0u);
}

TEST_F(gateway, rate_limit_drops_excess_udp_queries) {
    auto o = base_options(nsd.port());
    o.rate_limit_qps = 1;
    o.rate_limit_burst = 3;
    running_gateway gw(o);
    // Eight queries back to back from one client, then every answer collected for 1 s.
    const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(gw.port());
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (std::uint16_t i = 0; i < 8; ++i) {
        const auto q = t::make_query("console.aws.amazon.com", 1, i);
        ASSERT_EQ(::sendto(fd, q.data(), q.size(), 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa),
                  static_cast<ssize_t>(q.size()));
    }
    int answered = 0;
    const auto deadline = std::chrono::steady_clock::now() + 1s;
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 100) != 1) continue;
        std::uint8_t buf[512];
        if (::recv(fd, buf, sizeof buf, 0) > 0) ++answered;
    }
    ::close(fd);
    EXPECT_GE(answered, 3);
    EXPECT_LE(answered, 4);  // the burst, plus at most one token refilled while sending
    EXPECT_GE(gw.counters().rate_limited.load(), 4u);
}

// A full table of client buckets never resets a limited client: new clients it cannot hold share
// one bucket (counted), and room is made only by evicting a client back at full tokens.
TEST_F(gateway, a_full_rate_limit_table_keeps_limited_clients_limited) {
    auto o = base_options(nsd.port());
    o.rate_limit_qps = 1;
    o.rate_limit_burst = 2;
    o.rate_limit_max_clients = 2;
    running_gateway gw(o);  // its clock stands still until advanced: no token comes back
    const auto from = [&](int host) {
        return status_of(t::dig(
            gw.port(), "-b 127.0.0." + std::to_string(host) + " console.aws.amazon.com A +tcp"));
    };
    EXPECT_EQ(from(1), "NOERROR");
    EXPECT_EQ(from(1), "NOERROR");
    EXPECT_EQ(from(1), "REFUSED");  // limited
    EXPECT_EQ(from(2), "NOERROR");  // the table is full
    // Four more clients share one bucket of the same burst, and the limited one stays limited.
    EXPECT_EQ(from(3), "NOERROR");
    EXPECT_EQ(from(4), "NOERROR");
    EXPECT_EQ(from(5), "REFUSED");
    EXPECT_EQ(from(6), "REFUSED");
    EXPECT_EQ(from(1), "REFUSED");
    EXPECT_EQ(gw.counters().rate_limit_overflow.load(), 4u);
    EXPECT_EQ(gw.counters().rate_limit_evicted.load(), 0u);
    // 1.5 s on, client 2 (one token spent) is full again and makes room; client 1 is not and
    // has earned 1.5 tokens, not a fresh burst.
    gw.advance(1500ms);
    EXPECT_EQ(from(7), "NOERROR");
    EXPECT_EQ(gw.counters().rate_limit_evicted.load(), 1u);
    EXPECT_EQ(gw.counters().rate_limit_overflow.load(), 4u);
    EXPECT_EQ(from(1), "NOERROR");
    EXPECT_EQ(from(1), "REFUSED");
}

TEST_F(gateway, pipelined_tcp_queries_are_all_answered) {
    running_gateway gw(base_options(nsd.port()));
    const int fd = connect_tcp(gw.port());
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(send_pipelined(
        fd, {"www.example.test", "console.aws.amazon.com", "h1.example.test", "nope.example.test"},
        100));
    const auto ids = read_answer_ids(fd, 4, 5s);
    ::close(fd);
    EXPECT_EQ(ids, (std::set<int>{100, 101, 102, 103}));
}

// Sends `names` (A, IDs 200, 201, ...) pipelined on one TCP connection, then shuts down its
// sending side (a client done asking); the IDs answered before the server closes (or 5 s).
std::set<int> half_closed_exchange(std::uint16_t port, const std::vector<std::string>& names) {
    const int fd = connect_tcp(port);
    if (fd < 0) return {};
    std::set<int> ids;
    if (send_pipelined(fd, names, 200) && ::shutdown(fd, SHUT_WR) == 0) {
        ids = read_answer_ids(fd, names.size() + 1, 5s);  // + 1: until the server closes
    }
    ::close(fd);
    return ids;
}

// A client may half-close when done asking (a FIN right behind its last query); the
// queries it sent are still answered, those that go upstream too. The gateway closed the connection
// at the client's FIN when no answer was queued at that moment, dropping the forwarded ones.
TEST_F(gateway, half_closed_tcp_connections_get_every_answer) {
    const std::vector<std::string> names = {"h7.example.test", "console.aws.amazon.com",
                                            "h8.example.test"};
    running_gateway gw(base_options(nsd.port()));
    EXPECT_EQ(half_closed_exchange(gw.port(), names), (std::set<int>{200, 201, 202}));
    EXPECT_EQ(half_closed_exchange(gw.port(), {"h9.example.test"}), (std::set<int>{200}));
    // Nor does the idle timer cut a connection whose answer is still due upstream: the
    // client gets its SERVFAIL at answer_timeout.
    auto o = slow_upstream_options(nsd.port());
    o.tcp_idle_timeout = 300ms;
    o.answer_timeout = 1200ms;
    running_gateway slow(o);
    nsd.freeze();
    std::set<int> ids;
    const auto took = timed([&] { ids = half_closed_exchange(slow.port(), {"h10.example.test"}); });
    nsd.thaw();
    EXPECT_EQ(ids, (std::set<int>{200}));
    EXPECT_GE(took, 1200ms);
    EXPECT_EQ(slow.counters().answer_timeouts.load(), 1u);
}

// A client that pipelines far more queries than it reads for a while (small receive buffer,
// ~2.3 KB answers) is answered in full once it reads: the gateway stops reading its queries
// while answers wait (TCP flow control holds the rest) instead of queueing without bound. It
// closed the connection when 256 answers waited.
// Pipelined queries are answered as each is ready (RFC 7766 §6.2.1.1): one waiting on a silent
// upstream holds back neither the steered nor the cached one behind it.
TEST_F(gateway, a_slow_upstream_answer_does_not_hold_back_the_pipelined_queries_behind_it) {
    running_gateway gw(slow_upstream_options(nsd.port()));  // answer_timeout 3 s
    ASSERT_EQ(t::dig(gw.port(), "www.example.test A +tcp +short"), "198.51.100.1\n");
    nsd.freeze();
    const int fd = connect_tcp(gw.port());
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(send_pipelined(
        fd, {"h11.example.test", "console.aws.amazon.com", "www.example.test"}, 300));
    const auto ids = read_answer_ids(fd, 2, 1500ms);
    ::close(fd);
    nsd.thaw();
    EXPECT_EQ(ids, (std::set<int>{301, 302}));
}

TEST_F(gateway, a_slow_tcp_reader_gets_every_answer) {
    running_gateway gw(base_options(nsd.port()));
    ASSERT_NE(t::dig(gw.port(), "big.example.test TXT +tcp").find("ANSWER: 20"), std::string::npos);
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    const int small = 4096;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(gw.port());
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    constexpr int count = 1500;  // ~3.5 MB of answers
    std::vector<std::uint8_t> batch;
    for (int i = 0; i < count; ++i) {
        const auto q = t::make_query("big.example.test", 16, static_cast<std::uint16_t>(i));
        batch.push_back(static_cast<std::uint8_t>(q.size() >> 8));
        batch.push_back(static_cast<std::uint8_t>(q.size()));
        batch.insert(batch.end(), q.begin(), q.end());
    }
    // Sent from another thread: once the gateway stops reading, send() blocks until it resumes.
    auto sender = std::async(std::launch::async, [&] {
        std::size_t off = 0;
        while (off < batch.size()) {
            const auto n = ::send(fd, batch.data() + off, batch.size() - off, MSG_NOSIGNAL);
            if (n <= 0) break;
            off += static_cast<std::size_t>(n);
        }
        return off;
    });
    std::this_thread::sleep_for(1000ms);  // not reading meanwhile
    std::vector<std::uint8_t> in;
    std::set<int> ids;
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (ids.size() < count && std::chrono::steady_clock::now() < deadline) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 500) != 1) continue;
        std::uint8_t buf[65536];
        const auto n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        in.insert(in.end(), buf, buf + n);
        std::size_t at = 0;
        while (in.size() - at >= 2) {
            const std::size_t len = (in[at] << 8) | in[at + 1];
            if (in.size() - at < len + 2) break;
            ids.insert((in[at + 2] << 8) | in[at + 3]);
            at += len + 2;
        }
        in.erase(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(at));
    }
    ::shutdown(fd, SHUT_RDWR);  // ends a sender still blocked (the gateway closed on us)
    EXPECT_EQ(sender.get(), batch.size());
    ::close(fd);
    EXPECT_EQ(ids.size(), static_cast<std::size_t>(count));

    // A client that never reads holds nothing for long: its writes stall, the idle timer (which
    // only answers written re-arm) closes it.
    auto o = base_options(nsd.port());
    o.tcp_idle_timeout = 500ms;
    running_gateway strict(o);
    const int stuck = connect_tcp(strict.port());
    ASSERT_GE(stuck, 0);
    ::setsockopt(stuck, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    auto flood = std::async(std::launch::async, [&] {
        std::size_t off = 0;
        while (off < batch.size()) {
            const auto n = ::send(stuck, batch.data() + off, batch.size() - off, MSG_NOSIGNAL);
            if (n <= 0) break;
            off += static_cast<std::size_t>(n);
        }
        return off;
    });
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(strict.counters().tcp_connections.load(), 1);
    for (int i = 0; i < 50 && strict.counters().tcp_connections.load() != 0; ++i) {
        std::this_thread::sleep_for(100ms);
    }
    EXPECT_EQ(strict.counters().tcp_connections.load(), 0);
    ::shutdown(stuck, SHUT_RDWR);
    flood.get();
    ::close(stuck);
}

TEST_F(gateway, garbage_gets_formerr_or_nothing_and_the_server_survives) {
    running_gateway gw(base_options(nsd.port()));
    auto two_questions = t::make_query("www.example.test", 1, 0x7777);
    two_questions[5] = 2;
    auto r = t::udp_exchange(gw.port(), two_questions, 1s);
    ASSERT_TRUE(r.has_value());
    ASSERT_GE(r->size(), 12u);
    EXPECT_EQ((*r)[3] & 0xf, 1);  // FORMERR
    EXPECT_EQ(((*r)[0] << 8) | (*r)[1], 0x7777);
    std::vector<std::uint8_t> loop{0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1};
    r = t::udp_exchange(gw.port(), loop, 1s);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ((*r)[3] & 0xf, 1);
    EXPECT_FALSE(t::udp_exchange(gw.port(), {1, 2, 3}, 200ms).has_value());  // too short: dropped
    EXPECT_EQ(t::dig(gw.port(), "console.aws.amazon.com A +short"), "192.0.2.10\n");
}

// A signed zone (sec.test, signed here with dnssec-keygen/dnssec-signzone) whose bogus.sec.test
// A record was changed after signing: its RRSIG no longer verifies.
struct signed_zone {
    std::string text;
    std::string trust_anchor;  // the key's DNSKEY record
};

signed_zone make_signed_zone() {
    t::temp_dir d;
    const auto dir = d.path().string();
    {
        std::ofstream z(d.path() / "zone");
        z << "$ORIGIN sec.test.\n$TTL 300\n"
             "@ IN SOA ns.sec.test. hostmaster.sec.test. 1 3600 600 86400 120\n"
             "@ IN NS ns\nns IN A 127.0.0.1\n"
             "good IN A 198.51.100.20\nbogus IN A 198.51.100.21\n"
             // Shapes whose signed answers unbound scrubs (the differential test): wildcard
             // expansions (NSEC beside nsd's NS RRset), a signed delegation (DS beside the NS
             // RRset), answers with MX and CNAME.
             "*.wild IN A 198.51.100.7\n*.wild IN TXT \"wild\"\n*.wild IN MX 10 good\n"
             "alias IN CNAME good\nmx IN MX 10 good\nzero 0 IN A 198.51.100.9\n"
             "deleg IN NS ns.deleg\nns.deleg IN A 127.0.0.1\n"
             "deleg IN DS 12345 13 2 "
             "0000000000000000000000000000000000000000000000000000000000000000\n";
        // An insecure delegation (an NSEC proves it has no DS) whose glue fills more than a
        // UDP answer: what a DO=0 client gets is rewritten from the signed referral.
        for (int i = 1; i <= 12; ++i) {
            const auto n = std::to_string(i);
            const auto ns = "ns" + n + ".a-long-label-for-glue-space.bigdeleg";
            z << "bigdeleg IN NS " << ns << "\n"
              << ns << " IN A 192.0.2." << n << "\n"
              << ns << " IN AAAA 2001:db8::" << n << "\n";
        }
    }
    t::run("dnssec-keygen -q -K " + dir + " -a ECDSAP256SHA256 -f KSK sec.test");
    t::run("dnssec-signzone -S -z -K " + dir + " -d " + dir + " -o sec.test -O full -f " + dir +
           "/signed " + dir + "/zone");
    signed_zone out;
    std::ifstream in(d.path() / "signed");
    for (std::string line; std::getline(in, line);) {
        if (const auto at = line.find("198.51.100.21"); at != std::string::npos) {
            line.replace(at, 13, "198.51.100.99");  // the signature was made over .21
        }
        out.text += line + "\n";
    }
    for (const auto& e : std::filesystem::directory_iterator(d.path())) {
        if (e.path().extension() != ".key") continue;
        std::ifstream k(e.path());
        for (std::string line; std::getline(k, line);) {
            if (!line.empty() && line[0] != ';') out.trust_anchor = line;
        }
    }
    return out;
}

// CD and AD through a validating upstream (unbound with the zone's key as trust anchor): a CD=1
// client gets the data unvalidated (RFC 4035 §3.2.2), as from unbound itself; a CD=0 client never
// gets what a CD=1 query fetched (RFC 4035 §4.7: bogus data is never served without CD); AD
// reaches a client that asked for it (RFC 6840 §5.7, dig sets AD in queries).
TEST_F(gateway, checking_disabled_goes_upstream_and_never_serves_bogus_data_without_it) {
    const auto zone = make_signed_zone();
    ASSERT_NE(zone.text.find("198.51.100.99"), std::string::npos) << zone.text;
    ASSERT_FALSE(zone.trust_anchor.empty());
    t::nsd_server sec("sec.test", zone.text);
    t::unbound_server validator(sec.port(), zone.trust_anchor, "sec.test");
    // The reference: unbound validates, and passes the bogus data on CD only.
    ASSERT_EQ(status_of(t::dig(validator.port(), "bogus.sec.test A")), "SERVFAIL");
    ASSERT_EQ(t::dig(validator.port(), "bogus.sec.test A +cd +short"), "198.51.100.99\n");
    running_gateway gw(base_options(validator.port()));
    EXPECT_EQ(t::dig(gw.port(), "bogus.sec.test A +cd +short"), "198.51.100.99\n");
    EXPECT_EQ(status_of(t::dig(gw.port(), "bogus.sec.test A")), "SERVFAIL");
    EXPECT_EQ(t::dig(gw.port(), "bogus.sec.test A +cd +short"), "198.51.100.99\n");
    const auto good = t::dig(gw.port(), "good.sec.test A");
    EXPECT_EQ(status_of(good), "NOERROR") << good;
    EXPECT_NE(good.find("flags: qr rd ra ad;"), std::string::npos) << good;
    const auto noad = t::dig(gw.port(), "good.sec.test A +noadflag");
    EXPECT_NE(noad.find("flags: qr rd ra;"), std::string::npos) << noad;
}

// A DO=0 query for names upstream answered only to DO=1 queries, upstream gone: the stale DO=1
// answers without their DNSSEC records (RRSIG, NSEC), as unbound with serve-expired answers
// from its one cache entry for both (RFC 8767), not SERVFAIL.
TEST_F(gateway, a_stale_do1_answer_serves_a_do0_query_without_dnssec_records) {
    const auto zone = make_signed_zone();
    t::nsd_server sec("sec.test", zone.text);
    auto o = base_options(sec.port());
    o.cache.serve_stale = true;
    running_gateway gw(o);
    const auto signed_a = t::dig(gw.port(), "good.sec.test A +dnssec");
    ASSERT_NE(signed_a.find("RRSIG"), std::string::npos) << signed_a;
    const auto signed_nx = t::dig(gw.port(), "nope.sec.test A +dnssec");
    ASSERT_NE(signed_nx.find("NSEC"), std::string::npos) << signed_nx;
    gw.advance(400s);  // past every TTL (300 s; the negative one 120 s)
    sec.stop();
    const auto a = t::dig(gw.port(), "good.sec.test A");
    EXPECT_EQ(status_of(a), "NOERROR") << a;
    EXPECT_NE(a.find("198.51.100.20"), std::string::npos) << a;
    EXPECT_EQ(a.find("RRSIG"), std::string::npos) << a;
    EXPECT_EQ(first_ttl(a), 30) << a;
    const auto nx = t::dig(gw.port(), "nope.sec.test A");
    EXPECT_EQ(status_of(nx), "NXDOMAIN") << nx;
    EXPECT_NE(nx.find("SOA"), std::string::npos) << nx;
    EXPECT_EQ(nx.find("NSEC"), std::string::npos) << nx;
    EXPECT_EQ(nx.find("RRSIG"), std::string::npos) << nx;
    EXPECT_EQ(gw.counters().stale_served.load(), 2u);
    // The DO=1 client still gets its signatures.
    EXPECT_NE(t::dig(gw.port(), "good.sec.test A +dnssec").find("RRSIG"), std::string::npos);
}

TEST_F(gateway, update_swaps_steering_without_restart) {
    running_gateway gw(base_options(nsd.port()));
    EXPECT_EQ(t::dig(gw.port(), "www.example.test A +short"), "198.51.100.1\n");
    auto o = base_options(nsd.port());
    o.steer_names = {"mail.example.test"};
    gw.svc().update(std::make_shared<const config>(o));
    // update() is posted to the worker: the next query on that worker sees it.
    EXPECT_EQ(t::dig(gw.port(), "mail.example.test A +short"), "192.0.2.10\n");
    EXPECT_EQ(t::dig(gw.port(), "console.aws.amazon.com A +short"), "");
}

// Queries forwarded before a reload that steers their names have their answers come back after
// it: the clients and the cache must get the gateway's address, never upstream's answer (the
// reload empties the cache; the late answers must not refill it). A negative answer has no
// record of the name to give it away: cached, it hid the steered name for its negative TTL.
TEST_F(gateway, answers_in_flight_across_a_reload_that_steers_their_names_are_not_used) {
    auto o = slow_upstream_options(nsd.port());
    running_gateway gw(o);
    nsd.freeze();
    auto positive = std::async(std::launch::async,
                               [&] { return t::dig(gw.port(), "www.example.test A +time=5"); });
    auto negative = std::async(std::launch::async,
                               [&] { return t::dig(gw.port(), "nope.example.test A +time=5"); });
    // Bounded: both queries are upstream once the forwarded counter says so.
    for (int i = 0; i < 100 && gw.counters().forwarded.load() < 2; ++i) {
        std::this_thread::sleep_for(20ms);
    }
    ASSERT_EQ(gw.counters().forwarded.load(), 2u);
    auto steered = o;
    steered.steer_names.push_back("*.example.test");
    gw.svc().update(std::make_shared<const config>(steered));
    // The update is posted to the worker before nsd wakes up and answers the queued queries.
    std::this_thread::sleep_for(100ms);
    nsd.thaw();
    for (auto* f : {&positive, &negative}) {
        const auto r = f->get();
        EXPECT_EQ(status_of(r), "NOERROR") << r;
        EXPECT_NE(r.find("192.0.2.10"), std::string::npos) << r;
    }
    EXPECT_EQ(gw.counters().cache_entries.load(), 0);
    for (const char* name : {"www.example.test", "nope.example.test"}) {
        EXPECT_EQ(t::dig(gw.port(), std::string(name) + " A +short"), "192.0.2.10\n") << name;
    }
}

TEST_F(gateway, agrees_with_unbound_on_every_non_steered_name) {
    t::unbound_server unbound(nsd.port());
    running_gateway gw(base_options(nsd.port()));
    const std::string script =
        std::string(CG_SOURCE_DIR) + "/tests/integration/dns/differential.py";
    const auto out = t::run("/usr/bin/python3 " + script + " " + std::to_string(gw.port()) + " " +
                            std::to_string(unbound.port()));
    EXPECT_NE(out.find("AGREE"), std::string::npos) << out;
}

// A signed zone, asked with DO=1 and DO=0: unbound scrubs what nsd adds (the NS RRset beside a
// wildcard's NSEC proof, the DS beside a referral's NS RRset, glue nothing names any more).
TEST_F(gateway, agrees_with_unbound_on_a_signed_zone) {
    t::nsd_server sec("sec.test", make_signed_zone().text);
    t::unbound_server unbound(sec.port(), "", "sec.test");
    running_gateway gw(base_options(sec.port()));
    const std::string script =
        std::string(CG_SOURCE_DIR) + "/tests/integration/dns/differential.py";
    const auto out = t::run("/usr/bin/python3 " + script + " " + std::to_string(gw.port()) + " " +
                            std::to_string(unbound.port()) + " signed");
    EXPECT_NE(out.find("AGREE"), std::string::npos) << out;
}

// TTLs as time passes, against unbound on the same clock: counted down at the wall clock's
// second boundaries and served through the last second (TTL 0), as unbound counts them. A run in
// which a second boundary fell between the two answers to one question (under load) says
// STRADDLED: the two caches may count RRsets down from seconds apart from there on, so it is run
// again with both servers fresh (bounded).
TEST_F(gateway, agrees_with_unbound_on_ttls_as_time_passes) {
    const std::string script =
        std::string(CG_SOURCE_DIR) + "/tests/integration/dns/differential.py";
    std::string out;
    for (int attempt = 0; attempt < 3; ++attempt) {
        t::unbound_server unbound(nsd.port());
        running_gateway gw(base_options(nsd.port()), true);
        // (It waits for second boundaries: about 16 s.)
        out = t::run("/usr/bin/python3 " + script + " " + std::to_string(gw.port()) + " " +
                         std::to_string(unbound.port()) + " ttls",
                     40);
        if (out.find("STRADDLED") == std::string::npos) break;
    }
    EXPECT_NE(out.find("AGREE"), std::string::npos) << out;
}

// The order of each RRset's records, against unbound on the same clock: its rrset-roundrobin (on
// by default) starts every RRset at record (ID + time(0)) mod its count.
TEST_F(gateway, agrees_with_unbound_on_the_order_of_records) {
    t::unbound_server unbound(nsd.port());
    running_gateway gw(base_options(nsd.port()), true);
    const std::string script =
        std::string(CG_SOURCE_DIR) + "/tests/integration/dns/differential.py";
    const auto out = t::run("/usr/bin/python3 " + script + " " + std::to_string(gw.port()) + " " +
                            std::to_string(unbound.port()) + " order");
    EXPECT_NE(out.find("AGREE"), std::string::npos) << out;
}

// Both forwarding to an upstream that misbehaves (tests/integration/dns/misbehaving_upstream.py):
// error rcodes, FORMERR and NOTIMP to EDNS, answers for another question or none, TC over TCP.
TEST_F(gateway, agrees_with_unbound_on_a_misbehaving_upstream) {
    const std::string dir = std::string(CG_SOURCE_DIR) + "/tests/integration/dns/";
    t::temp_dir logs;
    const auto port = t::free_port();
    t::child upstream({"/usr/bin/python3", dir + "misbehaving_upstream.py", std::to_string(port)},
                      logs.path() / "upstream.log");
    ASSERT_TRUE(t::wait_ready(port, "bad.test"));
    t::unbound_server unbound(port, "", "bad.test");
    running_gateway gw(slow_upstream_options(port));  // c-ares's own timeouts take 2 s and more
    const auto out =
        t::run("/usr/bin/python3 " + dir + "differential.py " + std::to_string(gw.port()) + " " +
               std::to_string(unbound.port()) + " upstream");
    EXPECT_NE(out.find("AGREE"), std::string::npos) << out;
}

// Recursion not desired (RD=0), as unbound answers it: the gateway's own answers (steered, the
// DoH canary, blocked names) as usual, REFUSED for what the cache or upstream would answer, and
// nothing goes upstream for it (the differential test compares the rest with unbound).
TEST_F(gateway, recursion_not_desired_gets_local_answers_and_refused) {
    auto o = base_options(nsd.port());
    o.block_names.push_back("blocked.example.test");
    running_gateway gw(o);
    EXPECT_EQ(t::dig(gw.port(), "www.example.test A +short"), "198.51.100.1\n");  // cached now
    const auto forwarded = gw.counters().forwarded.load();
    for (const char* q : {"www.example.test A", "mail.example.test A", "nope.example.test A"}) {
        const auto r = t::dig(gw.port(), std::string(q) + " +norec");
        EXPECT_EQ(status_of(r), "REFUSED") << q << "\n" << r;
        EXPECT_NE(r.find("flags: qr ra;"), std::string::npos) << q << "\n" << r;
    }
    EXPECT_EQ(gw.counters().forwarded.load(), forwarded);
    const auto steered = t::dig(gw.port(), "console.aws.amazon.com A +norec");
    EXPECT_EQ(status_of(steered), "NOERROR") << steered;
    EXPECT_NE(steered.find("192.0.2.10"), std::string::npos) << steered;
    EXPECT_EQ(status_of(t::dig(gw.port(), "use-application-dns.net A +norec")), "NXDOMAIN");
    EXPECT_EQ(status_of(t::dig(gw.port(), "blocked.example.test A +norec")), "NXDOMAIN");
}

// Sends `payload` to 127.0.0.1:`port` as a UDP datagram from `src`:`sport`, forged on a raw
// socket (a checksum of 0: none, allowed over IPv4). False without CAP_NET_RAW.
bool send_forged(const char* src, std::uint16_t sport, std::uint16_t port,
                 const std::vector<std::uint8_t>& payload) {
    const int fd = ::socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
    if (fd < 0) return false;
    std::vector<std::uint8_t> pkt(28 + payload.size());
    const auto total = static_cast<std::uint16_t>(pkt.size());
    const auto udp_len = static_cast<std::uint16_t>(8 + payload.size());
    pkt[0] = 0x45;
    pkt[2] = static_cast<std::uint8_t>(total >> 8);
    pkt[3] = static_cast<std::uint8_t>(total);
    pkt[8] = 64;
    pkt[9] = IPPROTO_UDP;
    in_addr a{};
    ::inet_pton(AF_INET, src, &a);
    std::memcpy(&pkt[12], &a, 4);
    ::inet_pton(AF_INET, "127.0.0.1", &a);
    std::memcpy(&pkt[16], &a, 4);
    pkt[20] = static_cast<std::uint8_t>(sport >> 8);
    pkt[21] = static_cast<std::uint8_t>(sport);
    pkt[22] = static_cast<std::uint8_t>(port >> 8);
    pkt[23] = static_cast<std::uint8_t>(port);
    pkt[24] = static_cast<std::uint8_t>(udp_len >> 8);
    pkt[25] = static_cast<std::uint8_t>(udp_len);
    std::memcpy(&pkt[28], payload.data(), payload.size());
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr = a;
    const bool ok = ::sendto(fd, pkt.data(), pkt.size(), 0, reinterpret_cast<sockaddr*>(&to),
                             sizeof to) == static_cast<ssize_t>(pkt.size());
    ::close(fd);
    return ok;
}

// Sends `queries` from one UDP socket while the worker is held, so it reads them as one backlog
// before any upstream answer can come (after whatever `first` sends); returns the answers by ID
// once `want` have come or `limit` passed.
std::map<std::uint16_t, std::vector<std::uint8_t>> udp_backlog(
    running_gateway& gw, const std::vector<std::vector<std::uint8_t>>& queries, std::size_t want,
    std::chrono::milliseconds limit, const std::function<void()>& first = {}) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(gw.port());
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::map<std::uint16_t, std::vector<std::uint8_t>> got;
    {
        const auto release = gw.hold();
        if (first) first();
        for (const auto& q : queries) {
            ::sendto(fd, q.data(), q.size(), 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
        }
        release();
    }
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (got.size() < want && std::chrono::steady_clock::now() < deadline) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 100) != 1) continue;
        std::uint8_t buf[4096];
        const auto n = ::recv(fd, buf, sizeof buf, 0);
        if (n < 12) continue;
        got[static_cast<std::uint16_t>((buf[0] << 8) | buf[1])].assign(buf, buf + n);
    }
    ::close(fd);
    return got;
}

// Clients asking a question already upstream wait on that query, as unbound's mesh joins them:
// one upstream query, and each client gets the answer as it asked (its ID, its case, EDNS or
// not), the same bytes the question gets alone from the cache afterwards.
TEST_F(gateway, identical_questions_in_flight_go_upstream_once) {
    running_gateway gw(base_options(nsd.port()));
    std::vector<std::vector<std::uint8_t>> queries;
    for (std::uint16_t i = 0; i < 12; ++i) {
        queries.push_back(t::make_query(i % 3 == 1 ? "WWW.Example.TEST" : "www.example.test", 1,
                                        static_cast<std::uint16_t>(100 + i), i % 2 == 0));
    }
    const auto got = udp_backlog(gw, queries, queries.size(), 5s);
    ASSERT_EQ(got.size(), queries.size());
    EXPECT_EQ(gw.counters().forwarded.load(), 1u);
    EXPECT_EQ(gw.counters().joined.load(), queries.size() - 1);
    for (std::uint16_t i = 0; i < queries.size(); ++i) {
        const auto alone = t::udp_exchange(gw.port(), queries[i]);  // a cache hit (same clock)
        ASSERT_TRUE(alone) << i;
        EXPECT_EQ(got.at(static_cast<std::uint16_t>(100 + i)), *alone) << "query " << i;
    }
    EXPECT_EQ(gw.counters().forwarded.load(), 1u);
}

// Questions upstream are bounded (max_pending_queries, per worker) and so are the clients
// waiting on them (16 times as many): a query over either is dropped, as unbound drops a query
// over num-queries-per-thread; over TCP its connection is closed. Upstream is silent and c-ares
// keeps trying long after the clients' deadline, so the bound stays full through the test.
TEST_F(gateway, queries_over_max_pending_queries_are_dropped) {
    blackhole bh;
    auto o = slow_upstream_options(bh.port());
    o.answer_timeout = 500ms;
    o.max_pending_queries = 2;
    running_gateway gw(o);
    std::vector<std::vector<std::uint8_t>> queries;
    for (std::uint16_t i = 0; i < 6; ++i) {
        queries.push_back(t::make_query("n" + std::to_string(i) + ".example.test", 1, i));
    }
    for (std::uint16_t i = 0; i < 40; ++i) {
        queries.push_back(t::make_query("n0.example.test", 1, static_cast<std::uint16_t>(100 + i)));
    }
    // n0 and n1 go upstream (n2..n5 are dropped), 30 more clients join n0 (32 waiting), and
    // the last 10 are dropped.
    const auto got = udp_backlog(gw, queries, 32, 5s);
    ASSERT_EQ(got.size(), 32u);
    for (const auto& [id, a] : got) {
        EXPECT_TRUE(id < 2 || (id >= 100 && id < 130)) << id;
        EXPECT_EQ(a[3] & 0xf, 2) << id;  // SERVFAIL at the deadline
    }
    EXPECT_EQ(gw.counters().forwarded.load(), 2u);
    EXPECT_EQ(gw.counters().pending_full.load(), 14u);
    // Still full (c-ares has not given up): a new question over TCP closes its connection...
    const int fd = connect_tcp(gw.port());
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(send_pipelined(fd, {"n9.example.test"}, 7));
    EXPECT_TRUE(closed_within(fd, 5s));
    ::close(fd);
    EXPECT_EQ(gw.counters().pending_full.load(), 15u);
    // ...and what the gateway answers itself is still answered.
    EXPECT_EQ(status_of(t::dig(gw.port(), "console.aws.amazon.com A")), "NOERROR");
    EXPECT_EQ(gw.counters().forwarded.load(), 2u);
}

// Queries from a source no answer may go to (port 0, a multicast group, the broadcast address)
// are dropped unanswered: the kernel refuses an answer to port 0 or to broadcast, and one to a
// multicast group would reach all of it. And the queries read in the same batch are answered:
// one answer the kernel refused ended the batch's sendmmsg, and every answer behind it was lost.
TEST_F(gateway, queries_from_port_0_broadcast_or_multicast_sources_cost_nobody_an_answer) {
    running_gateway gw(base_options(nsd.port()));
    const auto forged_query = t::make_query("console.aws.amazon.com", 1, 1);
    bool forged = false;
    std::vector<std::vector<std::uint8_t>> queries;
    for (std::uint16_t i = 0; i < 5; ++i) {
        queries.push_back(
            t::make_query("console.aws.amazon.com", 1, static_cast<std::uint16_t>(10 + i)));
    }
    const auto got = udp_backlog(gw, queries, queries.size(), 3s, [&] {
        forged = send_forged("127.0.0.1", 0, gw.port(), forged_query) &&
                 send_forged("224.0.0.251", 5353, gw.port(), forged_query) &&
                 send_forged("255.255.255.255", 53, gw.port(), forged_query);
    });
    if (!forged) GTEST_SKIP() << "forging datagrams needs CAP_NET_RAW";
    EXPECT_EQ(got.size(), queries.size());
    EXPECT_EQ(gw.counters().queries_udp.load(), 5u);  // the forged ones not even read as queries
    EXPECT_EQ(gw.counters().dropped.load(), 3u);
}

TEST_F(gateway, idle_tcp_connections_are_closed) {
    auto o = base_options(nsd.port());
    o.tcp_idle_timeout = std::chrono::seconds(1);
    running_gateway gw(o);
    const int fd = connect_tcp(gw.port());
    ASSERT_GE(fd, 0);
    EXPECT_FALSE(closed_within(fd, 300ms));
    EXPECT_TRUE(closed_within(fd, 3000ms));
    ::close(fd);
}

// True once the worker has `n` TCP connections open (within `limit`).
bool tcp_connections_reach(const running_gateway& gw, std::int64_t n,
                           std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (gw.counters().tcp_connections.load() != n) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::yield();
    }
    return true;
}

TEST_F(gateway, tcp_connections_over_the_limit_are_closed) {
    auto o = base_options(nsd.port());
    o.max_tcp_connections = 1;
    running_gateway gw(o);
    // The only connection may be all of them, so its idle timeout is unbound's 200 ms under
    // load (below): it waits on a frozen upstream meanwhile, which keeps it open.
    nsd.freeze();
    const int first = connect_tcp(gw.port());
    ASSERT_GE(first, 0);
    ASSERT_TRUE(send_pipelined(first, {"www.example.test"}, 1));
    ASSERT_TRUE(tcp_connections_reach(gw, 1, 3s));
    const int second = connect_tcp(gw.port());
    ASSERT_GE(second, 0);
    EXPECT_TRUE(closed_within(second, 3000ms));
    EXPECT_GE(gw.counters().tcp_rejected.load(), 1u);
    nsd.thaw();
    EXPECT_EQ(read_answer_ids(first, 1, 5s), std::set<int>{1});
    ::close(first);
    ::close(second);
}

// A client that resets its connection while answers are being written to it (and one is still
// due from upstream) costs nothing after: the connection is released (none stays open, so none
// holds a max_tcp_connections slot) and the next client is answered.
TEST_F(gateway, a_tcp_connection_reset_mid_answer_is_released) {
    running_gateway gw(base_options(nsd.port()));
    ASSERT_NE(t::dig(gw.port(), "big.example.test TXT +tcp").find("ANSWER: 20"), std::string::npos);
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    const int small = 4096;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(gw.port());
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    std::vector<std::uint8_t> batch;
    for (int i = 0; i < 30; ++i) {
        const auto q = t::make_query(i == 15 ? "h7.example.test" : "big.example.test",
                                     i == 15 ? 1 : 16, static_cast<std::uint16_t>(i));
        batch.push_back(static_cast<std::uint8_t>(q.size() >> 8));
        batch.push_back(static_cast<std::uint8_t>(q.size()));
        batch.insert(batch.end(), q.begin(), q.end());
    }
    ASSERT_EQ(::send(fd, batch.data(), batch.size(), 0), static_cast<ssize_t>(batch.size()));
    pollfd p{fd, POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 3000), 1);  // answers are coming: reset in the middle of them
    std::uint8_t buf[100];
    ASSERT_GT(::recv(fd, buf, sizeof buf, 0), 0);
    const linger reset{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    ::close(fd);
    EXPECT_TRUE(tcp_connections_reach(gw, 0, 5s)) << gw.counters().tcp_connections.load();
    EXPECT_NE(t::dig(gw.port(), "big.example.test TXT +tcp").find("ANSWER: 20"), std::string::npos);
}

// With more than half of max_tcp_connections open a new connection's idle timeout shrinks as
// unbound's does (setup_tcp_handler: 1/100 over 50 %, 1/500 over 65 %, 200 ms over 80 %), so
// idle or trickling clients cannot hold the connections for the full timeout; those accepted
// before keep theirs.
TEST_F(gateway, tcp_idle_timeout_shrinks_when_most_connections_are_in_use) {
    auto o = base_options(nsd.port());
    o.max_tcp_connections = 10;
    o.tcp_idle_timeout = 60s;
    running_gateway gw(o);
    std::vector<int> fds;
    for (int i = 1; i <= 5; ++i) {  // up to 50 %: the full minute
        fds.push_back(connect_tcp(gw.port()));
        ASSERT_GE(fds.back(), 0);
        ASSERT_TRUE(tcp_connections_reach(gw, i, 3s)) << i;
    }
    // The sixth (60 %: 600 ms) and the ninth (90 %: 200 ms) close long before the minute.
    for (int i = 6; i <= 9; ++i) {
        fds.push_back(connect_tcp(gw.port()));
        ASSERT_GE(fds.back(), 0);
        ASSERT_TRUE(tcp_connections_reach(gw, i, 3s)) << i;
    }
    EXPECT_TRUE(closed_within(fds[8], 5s));
    EXPECT_TRUE(closed_within(fds[5], 5s));
    for (int i = 0; i < 5; ++i) {
        pollfd p{fds[static_cast<std::size_t>(i)], POLLIN, 0};
        EXPECT_EQ(::poll(&p, 1, 0), 0) << "connection " << i + 1 << " was closed";
    }
    // One of the first five still gets its answer.
    ASSERT_TRUE(send_pipelined(fds[0], {"console.aws.amazon.com"}, 3));
    EXPECT_EQ(read_answer_ids(fds[0], 1, 3s), std::set<int>{3});
    for (const int fd : fds) ::close(fd);
}

TEST_F(gateway, workers_share_the_listen_address) {
    auto o = base_options(nsd.port());
    running_gateway first(o);
    o.listen = {{ip("127.0.0.1"), first.port()}};
    running_gateway second(o);  // SO_REUSEPORT: the same UDP and TCP port
    EXPECT_EQ(second.port(), first.port());
    for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(t::dig(first.port(), "console.aws.amazon.com A +short"), "192.0.2.10\n");
    }
    EXPECT_EQ(first.counters().steered.load() + second.counters().steered.load(), 4u);
}

// Linux's UDP autobind hands a port held by another SO_REUSEPORT socket of the same user to a
// socket that sets SO_REUSEPORT too, and the kernel then splits the datagrams between the two:
// a gateway on port 0 shared its port with another gateway or an unbound (the differential
// tests saw answers from another test's servers). In a network namespace of its own whose
// ephemeral range is eleven ports, ten of them held by SO_REUSEPORT sockets of this user, the
// gateway gets the eleventh, and every query reaches it.
TEST_F(gateway, a_listener_on_port_zero_shares_its_port_with_no_other_socket) {
    std::string skipped;
    std::thread([&] {
        if (::unshare(CLONE_NEWNET) != 0) {  // this thread's own namespace
            skipped = std::string("unshare(CLONE_NEWNET): ") + std::strerror(errno);
            return;
        }
        const int ctl = ::socket(AF_INET, SOCK_DGRAM, 0);
        ifreq lo{};
        std::strcpy(lo.ifr_name, "lo");
        ASSERT_EQ(::ioctl(ctl, SIOCGIFFLAGS, &lo), 0);
        lo.ifr_flags |= IFF_UP;
        ASSERT_EQ(::ioctl(ctl, SIOCSIFFLAGS, &lo), 0);
        ::close(ctl);
        std::ofstream("/proc/sys/net/ipv4/ip_local_port_range") << "40000 40010\n";
        std::vector<int> held;
        for (std::uint16_t port = 40000; port < 40010; ++port) {
            const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
            const int one = 1;
            ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
            sockaddr_in sa{};
            sa.sin_family = AF_INET;
            sa.sin_port = htons(port);
            sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0) << port;
            held.push_back(fd);
        }
        {
            running_gateway gw(base_options(nsd.port()));
            EXPECT_EQ(gw.port(), 40010);
            // dig's own ports elsewhere (it binds its source ports with SO_REUSEPORT too).
            std::ofstream("/proc/sys/net/ipv4/ip_local_port_range") << "41000 42000\n";
            // Every query is answered by the gateway (steered names need no upstream).
            for (int i = 0; i < 8; ++i) {
                EXPECT_EQ(t::dig(gw.port(), "console.aws.amazon.com A +short"), "192.0.2.10\n");
            }
        }
        for (const int fd : held) ::close(fd);
    }).join();
    if (!skipped.empty()) GTEST_SKIP() << skipped;
}

TEST_F(gateway, listens_on_ipv6_loopback) {
    auto o = base_options(nsd.port());
    o.listen = {{ip("::1"), 0}};
    running_gateway gw(o);
    const auto port = std::to_string(gw.port());
    EXPECT_EQ(
        t::run("dig @::1 -p " + port + " +tries=1 +time=3 +short console.aws.amazon.com AAAA"),
        "2001:db8::10\n");
    EXPECT_EQ(t::run("dig @::1 -p " + port + " +tries=1 +time=3 +short +tcp www.example.test A"),
              "198.51.100.1\n");
}

TEST_F(gateway, sampled_query_log_and_prometheus_text) {
    auto o = base_options(nsd.port());
    o.query_log_sample = 2;
    std::vector<std::string> lines;
    std::mutex m;
    {
        running_gateway gw(o);
        gw.svc().set_query_log([&](std::string_view l) {
            std::lock_guard lock(m);
            lines.emplace_back(l);
        });
        for (int i = 0; i < 4; ++i) t::dig(gw.port(), "console.aws.amazon.com A +short");
        std::string text;
        write_prometheus(text, gw.counters());
        EXPECT_NE(text.find("consolegate_dns_steered_total 4\n"), std::string::npos) << text;
        EXPECT_NE(text.find("# TYPE consolegate_dns_tcp_connections gauge"), std::string::npos);
    }
    std::lock_guard lock(m);
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_NE(lines[0].find("name=console.aws.amazon.com"), std::string::npos) << lines[0];
    EXPECT_NE(lines[0].find("result=steered"), std::string::npos) << lines[0];
}

}  // namespace
}  // namespace consolegate::dns
