// The RFC 5424 syslog sink against a real rsyslog started here (tests/support/audit/
// rsyslog_collector.hpp): every event arrives over UDP, TCP (octet counting) and TLS with the
// header fields rsyslog parsed and the event's JSON as MSG; a collector whose certificate does
// not verify gets nothing; a collector that restarts gets everything queued meanwhile.
#include "consolegate/audit/syslog_sink.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "audit/rsyslog_collector.hpp"
#include "consolegate/core/time.hpp"

namespace au = consolegate::audit;
namespace cc = consolegate::core;
using consolegate::test::rsyslog_collector;
using namespace std::chrono_literals;

namespace {

std::vector<au::event> events(int n, const std::string& prefix) {
    std::vector<au::event> out;
    auto t0 = *cc::parse_rfc3339("2026-11-23T12:00:00Z");
    for (int i = 0; i < n; ++i) {
        au::event e;
        e.id = prefix + std::to_string(i);
        e.time = cc::format_rfc3339(t0 + std::chrono::milliseconds(i * 1001));
        e.gateway = "gw-syslog-1";
        e.client = "10.0.0.7";
        e.flow = i % 5 == 0 ? "cli-sign-in" : "saml";
        e.oauth_action = i % 5 == 0 ? (i % 10 ? "token" : "authorize") : "";  // `aws login`
        e.phase = "pre-auth";
        e.account = "111122223333";
        e.user = i % 3 == 0 ? "ålice \"the\" admin" : "bob";  // UTF-8 and quotes survive
        e.effect = i % 2 ? "deny" : "allow";
        e.report_only = i % 4 == 1;
        e.enforced = e.report_only ? "allow" : e.effect;
        e.reason = e.effect == "deny" ? "rule-deny" : "rule-allow";
        out.push_back(e);
    }
    return out;
}

au::syslog_options options(au::syslog_transport t, std::uint16_t port) {
    au::syslog_options o;
    o.transport = t;
    o.host = "127.0.0.1";
    o.port = port;
    o.queue.give_up = 30s;
    o.io_timeout = 5000ms;
    return o;
}

template <class F>
bool eventually(F&& f, std::chrono::seconds limit = 30s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (f()) return true;
        std::this_thread::sleep_for(20ms);
    }
    return f();
}

struct received {
    std::string facility, severity, hostname, app, procid, msgid, sd, msg;
};

received split(const std::string& line) {
    received r;
    std::size_t at = 0;
    std::vector<std::string> parts;
    for (int i = 0; i < 7; ++i) {
        auto bar = line.find('|', at);
        parts.push_back(line.substr(at, bar - at));
        at = bar + 1;
    }
    r.msg = line.substr(at);
    r.facility = parts[0];
    r.severity = parts[1];
    r.hostname = parts[2];
    r.app = parts[3];
    r.procid = parts[4];
    r.msgid = parts[5];
    r.sd = parts[6];
    return r;
}

class captured_stderr {
  public:
    explicit captured_stderr(const std::filesystem::path& file) : file_(file) {
        std::fflush(stderr);
        saved_ = ::dup(2);
        int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        ::dup2(fd, 2);
        ::close(fd);
    }
    ~captured_stderr() {
        ::dup2(saved_, 2);
        ::close(saved_);
    }
    std::string text() const {
        std::ifstream in(file_);
        return {std::istreambuf_iterator<char>(in), {}};
    }

  private:
    std::filesystem::path file_;
    int saved_;
};

}  // namespace

TEST(syslog_sink, every_event_arrives_over_udp_tcp_and_tls_as_rfc5424_with_the_json_as_msg) {
    rsyslog_collector collector;
    const std::pair<const char*, au::syslog_options> sinks[] = {
        {"udp", options(au::syslog_transport::udp, collector.udp_port())},
        {"tcp", options(au::syslog_transport::tcp, collector.tcp_port())},
        {"tls", [&] {
             auto o = options(au::syslog_transport::tls, collector.tls_port());
             o.ca_file = collector.ca();
             return o;
         }()}};
    for (auto& [name, o] : sinks) {
        SCOPED_TRACE(name);
        // UDP: as many as the collector's 4 MiB socket buffer holds with room to spare, since a
        // datagram that finds it full is dropped by the kernel.
        auto sent = events(std::string(name) == "udp" ? 100 : 300, name);
        {
            auto s = au::make_syslog_sink(o);
            for (auto& e : sent) s->record(e);
            s->flush();
            EXPECT_EQ(s->stats().written, sent.size());
            EXPECT_EQ(s->stats().write_errors, 0u);
        }
        ASSERT_TRUE(eventually([&] { return collector.lines(name).size() >= sent.size(); }))
            << collector.lines(name).size() << " lines\n"
            << collector.file("rsyslogd.log");
        std::map<std::string, au::event> by_id;
        for (auto& line : collector.lines(name)) {
            auto r = split(line);
            std::string error;
            auto e = au::from_json_line(r.msg, &error);
            ASSERT_TRUE(e) << error << ": " << line;
            EXPECT_EQ(r.facility, "10");  // authpriv
            EXPECT_EQ(r.severity,
                      e->effect == "deny" ? (e->report_only ? "5" : "4") : std::string("6"));
            EXPECT_EQ(r.hostname, "gw-syslog-1");
            EXPECT_EQ(r.app, "consolegate");
            EXPECT_EQ(r.procid, std::to_string(::getpid()));
            EXPECT_EQ(r.msgid, "signin");
            EXPECT_EQ(r.sd, "-");
            by_id[e->id] = *e;
        }
        ASSERT_EQ(by_id.size(), sent.size());
        for (auto& e : sent) EXPECT_EQ(by_id[e.id], e);
    }
}

TEST(syslog_sink, a_collector_whose_certificate_does_not_verify_gets_nothing) {
    rsyslog_collector collector;
    captured_stderr err(collector.dir() / "stderr.log");
    auto o = options(au::syslog_transport::tls, collector.tls_port());
    o.ca_file = collector.other_ca();
    o.queue.give_up = 1s;
    auto s = au::make_syslog_sink(o);
    for (auto& e : events(20, "x")) s->record(e);
    ASSERT_TRUE(eventually([&] { return err.text().find("certificate") != std::string::npos; }));
    EXPECT_EQ(s->stats().queued, 20u);  // kept, not sent, not yet counted lost
    s.reset();                          // gives up after 1 s and counts what it could not send
    EXPECT_TRUE(collector.lines("tls").empty());
    EXPECT_NE(err.text().find("queued events are lost"), std::string::npos) << err.text();
}

TEST(syslog_sink, events_queued_while_the_collector_restarts_arrive_over_tcp_and_tls) {
    rsyslog_collector collector;
    auto tcp = options(au::syslog_transport::tcp, collector.tcp_port());
    auto tls = options(au::syslog_transport::tls, collector.tls_port());
    tls.ca_file = collector.ca();
    auto st = au::make_syslog_sink(tcp), ss = au::make_syslog_sink(tls);
    auto before = events(50, "before"), during = events(50, "during");
    for (auto& e : before) st->record(e), ss->record(e);
    st->flush();
    ss->flush();
    ASSERT_TRUE(eventually([&] {
        return collector.lines("tcp").size() >= 50 && collector.lines("tls").size() >= 50;
    }));
    collector.stop();
    for (auto& e : during) st->record(e), ss->record(e);
    collector.start();
    st->flush();
    ss->flush();
    EXPECT_EQ(st->stats().written, 100u);
    EXPECT_EQ(ss->stats().written, 100u);
    for (const char* name : {"tcp", "tls"}) {
        SCOPED_TRACE(name);
        std::set<std::string> ids;
        ASSERT_TRUE(eventually([&] {
            ids.clear();
            for (auto& line : collector.lines(name)) {
                auto e = au::from_json_line(split(line).msg, nullptr);
                if (e) ids.insert(e->id);
            }
            return ids.size() >= 100;
        })) << ids.size();
        for (auto& e : during) EXPECT_TRUE(ids.count(e.id)) << e.id;
    }
}
