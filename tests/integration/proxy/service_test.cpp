// The proxy end to end on loopback: real curl and openssl s_client against an in-process proxy
// and a local HTTPS origin impersonating signin.aws.amazon.com. Every wait is bounded: each
// child runs under `timeout`, each socket wait has a deadline.
#include "consolegate/proxy/service.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "allow_every_request.hpp"
#include "consolegate/net/host_resolver.hpp"
#include "https_origin.hpp"

namespace consolegate::proxy {
namespace {

struct run_result {
    int status = -1;
    std::string out;
};

run_result run(const std::string& cmd) {
    run_result r;
    FILE* p = ::popen(("timeout 20 " + cmd + " 2>&1").c_str(), "r");
    if (!p) return r;
    std::array<char, 4096> buf;
    std::size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0 && r.out.size() < (1u << 22)) {
        r.out.append(buf.data(), n);
    }
    r.status = ::pclose(p);
    return r;
}

core::endpoint loopback(std::uint16_t port) {
    return {*core::ip_address::parse("127.0.0.1"), port};
}

// One proxy worker on its own thread.
struct running_proxy {
    boost::asio::io_context ioc;
    std::unique_ptr<shared_state> shared;
    std::unique_ptr<service> svc;
    std::thread thread;

    running_proxy(std::shared_ptr<const core::config> cfg, inspector insp,
                  response_observer observe = {}, identification who = {}) {
        shared = std::make_unique<shared_state>(std::move(cfg));
        svc = std::make_unique<service>(ioc, *shared, std::move(insp), nullptr, std::move(observe),
                                        refusal_observer{}, std::move(who));
        svc->start();
        thread = std::thread([this] { ioc.run(); });
    }
    ~running_proxy() {
        svc->stop();
        ioc.stop();
        thread.join();
    }
    std::uint16_t sni() const { return svc->bound_sni_ports().at(0); }
    std::uint16_t connect() const { return svc->bound_connect_ports().at(0); }
};

// FNV-1a 64, as the test origin reports it.
std::string fnv1a_hex(const std::string& data) {
    std::uint64_t hash = 14695981039346656037ull;
    for (unsigned char c : data) hash = (hash ^ c) * 1099511628211ull;
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
    return hex;
}

verdict deny_paths(const core::http_request_view& r) {
    if (!r.target.starts_with("/deny")) return test::allow_every_request(r);
    verdict v;
    v.basis = verdict_basis::policy;
    v.expire_console_cookies = true;
    v.account = core::account_id::parse("999988887777");
    v.why = core::reason::elevation_missing;  // one a TEAM elevation can lift: the page links TEAM
    v.event_id = "evt-test-1";
    return v;
}

class proxy_service : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        // One directory per process: ctest runs every TEST as its own process, in parallel
        // under -j, and a shared directory was regenerated under a running test's feet.
        pki = std::make_unique<test::test_pki>(std::string(CG_BINARY_DIR) + "/proxy-it-pki-" +
                                               std::to_string(::getpid()));
        auto signin = pki->origin_leaf("signin.aws.amazon.com", "signin");
        auto other = pki->origin_leaf("www.example.org", "other");
        auto rogue = pki->rogue_leaf("untrusted.signin.aws.amazon.com");
        signin_origin = std::make_unique<test::https_origin>(signin.first, signin.second);
        other_origin = std::make_unique<test::https_origin>(other.first, other.second);
        rogue_origin = std::make_unique<test::https_origin>(rogue.first, rogue.second);
        plain_origin = std::make_unique<test::https_origin>("", "");
    }
    static void TearDownTestSuite() {
        signin_origin.reset();
        other_origin.reset();
        rogue_origin.reset();
        plain_origin.reset();
        std::filesystem::remove_all(pki->dir);
        pki.reset();
    }

    // The one config schema's defaults (core/config.hpp), pointed at the test origins.
    static std::shared_ptr<core::config> base_config() {
        auto cfg = std::make_shared<core::config>();
        auto* o = &cfg->proxy;
        o->sni_listen = {loopback(0)};
        o->connect_listen = {loopback(0)};
        o->allow_clients = {*core::cidr::parse("127.0.0.0/8")};
        o->allow_destinations = {*core::cidr::parse("127.0.0.0/8")};
        o->handshake_timeout = std::chrono::milliseconds(1500);
        o->header_timeout = std::chrono::milliseconds(1500);
        o->idle_timeout = std::chrono::seconds(5);
        o->upstream_timeout = std::chrono::seconds(5);
        cfg->ca.cert = pki->corp_cert;
        cfg->ca.key = pki->corp_key;
        o->block_page.team_url = "https://team.example.com/";
        auto ov = [&](const char* host, std::uint16_t port, std::string bundle) {
            o->upstream_overrides.push_back({host, loopback(port), std::move(bundle), {}});
        };
        ov("signin.aws.amazon.com", signin_origin->port(), pki->origin_ca_cert);
        // A real AWS name pointed at an origin whose certificate names another host.
        ov("console.aws.amazon.com", signin_origin->port(), pki->origin_ca_cert);
        ov("untrusted.signin.aws.amazon.com", rogue_origin->port(), pki->origin_ca_cert);
        ov("www.example.org", other_origin->port(), "");
        ov("plain.example.org", plain_origin->port(), "");
        return cfg;
    }

    std::string curl_connect(const running_proxy& p, const std::string& url,
                             const std::string& extra = "") {
        return "curl -sS --max-time 10 --cacert " + pki->corp_cert +
               " -x http://127.0.0.1:" + std::to_string(p.connect()) + " " + extra + " '" + url +
               "'";
    }

    static inline std::unique_ptr<test::test_pki> pki;
    static inline std::unique_ptr<test::https_origin> signin_origin, other_origin, rogue_origin,
        plain_origin;
};

TEST_F(proxy_service, connect_bumps_an_inspected_host_and_forwards_to_the_verified_origin) {
    running_proxy p(base_config(), test::allow_every_request);
    auto r = run(curl_connect(p, "https://signin.aws.amazon.com/oauth?x=1",
                              "-H 'Proxy-Connection: keep-alive' -H 'Connection: X-Hop' "
                              "-H 'X-Hop: 1' -D -"));
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("HTTP/1.1 200"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("target=/oauth?x=1"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("via=1.1 consolegate"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("leaked="), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("X-Hop-Response"), std::string::npos) << r.out;
    EXPECT_GE(p.shared->counters().bumped.load(), 1u);
}

TEST_F(proxy_service, keep_alive_serves_several_requests_on_one_connection) {
    running_proxy p(base_config(), test::allow_every_request);
    auto r = run(curl_connect(p, "https://signin.aws.amazon.com/a",
                              "https://signin.aws.amazon.com/large https://signin.aws.amazon.com/c "
                              "-o /dev/null -o /dev/null -o /dev/null -w '%{http_code} '"));
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("200 200 200"), std::string::npos) << r.out;
    EXPECT_EQ(p.shared->counters().bumped.load(), 1u);
    EXPECT_EQ(p.shared->counters().requests.load(), 3u);
}

TEST_F(proxy_service, sni_listener_presents_a_corporate_leaf_with_the_exact_san) {
    running_proxy p(base_config(), test::allow_every_request);
    auto port = std::to_string(p.sni());
    auto r = run("curl -sS --max-time 10 --cacert " + pki->corp_cert +
                 " --connect-to signin.aws.amazon.com:443:127.0.0.1:" + port +
                 " https://signin.aws.amazon.com/console");
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("target=/console"), std::string::npos);
    auto cert = run("sh -c \"openssl s_client -connect 127.0.0.1:" + port +
                    " -servername signin.aws.amazon.com -alpn h2,http/1.1 </dev/null"
                    " 2>/dev/null | tee /dev/stderr | openssl x509 -noout -issuer -ext "
                    "subjectAltName,basicConstraints\"");
    EXPECT_NE(cert.out.find("DNS:signin.aws.amazon.com"), std::string::npos) << cert.out;
    EXPECT_NE(cert.out.find("Consolegate Test Corporate CA"), std::string::npos) << cert.out;
    EXPECT_NE(cert.out.find("ALPN protocol: http/1.1"), std::string::npos) << cert.out;
    EXPECT_NE(cert.out.find("CA:FALSE"), std::string::npos) << cert.out;
}

// proxy.tls_session_resumption: a second connection resumes the first one's session (TLS 1.3
// ticket, TLS 1.2 session cache) unless the key turns it off. openssl s_client as the client.
TEST_F(proxy_service, tls_session_resumption_follows_its_key) {
    for (bool on : {true, false}) {
        auto cfg = base_config();
        cfg->proxy.tls_session_resumption = on;
        running_proxy p(cfg, test::allow_every_request);
        auto sess = pki->dir + "/sess-" + std::to_string(on);
        for (std::string version : {"-tls1_3", "-tls1_2"}) {
            std::filesystem::remove(sess);
            auto connect = "openssl s_client -connect 127.0.0.1:" + std::to_string(p.sni()) +
                           " -servername signin.aws.amazon.com " + version + " -CAfile " +
                           pki->corp_cert + " -ign_eof ";
            // A request, so the TLS 1.3 ticket (sent after the handshake) is read before the end.
            std::string request =
                "printf 'GET /r HTTP/1.1\\r\\nHost: signin.aws.amazon.com\\r\\n"
                "Connection: close\\r\\n\\r\\n' | ";
            auto first = run("sh -c \"" + request + connect + "-sess_out " + sess + "\"");
            ASSERT_NE(first.out.find("Verify return code: 0"), std::string::npos) << first.out;
            ASSERT_NE(first.out.find("target=/r"), std::string::npos) << first.out;
            if (version == "-tls1_3") {
                EXPECT_EQ(first.out.find("New Session Ticket arrived") != std::string::npos, on)
                    << first.out;
            }
            // Without a ticket there may be no session to offer at all: that is the point.
            if (!on && !std::filesystem::exists(sess)) continue;
            ASSERT_TRUE(std::filesystem::exists(sess)) << version;
            auto second = run("sh -c \"" + request + connect + "-sess_in " + sess + "\"");
            ASSERT_NE(second.out.find("target=/r"), std::string::npos) << second.out;
            EXPECT_EQ(second.out.find("\nReused,") != std::string::npos, on)
                << version << " resumption " << on << "\n"
                << second.out;
            EXPECT_EQ(second.out.find("\nNew,") != std::string::npos, !on) << second.out;
        }
    }
}

TEST_F(proxy_service, spliced_hosts_show_the_origin_certificate_untouched) {
    running_proxy p(base_config(), test::allow_every_request);
    auto r = run("curl -sS --max-time 10 --cacert " + pki->origin_ca_cert +
                 " -x http://127.0.0.1:" + std::to_string(p.connect()) +
                 " https://www.example.org/spliced");
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("target=/spliced"), std::string::npos);
    EXPECT_EQ(r.out.find("via="), r.out.find("via=\n"));  // no Via: nothing was inspected
    auto cert = run("sh -c \"openssl s_client -connect 127.0.0.1:" + std::to_string(p.sni()) +
                    " -servername www.example.org </dev/null 2>/dev/null | openssl x509 -noout "
                    "-issuer\"");
    EXPECT_NE(cert.out.find("Test Origin CA"), std::string::npos) << cert.out;
    EXPECT_GE(p.shared->counters().spliced.load(), 2u);
    EXPECT_EQ(p.shared->counters().bumped.load(), 0u);
}

// pass_through_hosts: spliced on purpose even when everything else is refused, and never
// inspected even when inspect_hosts names the host too.
TEST_F(proxy_service, pass_through_hosts_are_spliced_when_the_rest_is_refused) {
    auto o = base_config();
    o->proxy.not_inspected = core::not_inspected_action::refuse;
    o->proxy.inspect_hosts.push_back("www.example.org");
    o->proxy.pass_through_hosts = {"www.example.org"};
    running_proxy p(o, test::allow_every_request);
    auto r = run("curl -sS --max-time 10 --cacert " + pki->origin_ca_cert +
                 " -x http://127.0.0.1:" + std::to_string(p.connect()) +
                 " https://www.example.org/passed");
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("target=/passed"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("via="), r.out.find("via=\n"));  // no Via: nothing was inspected
    auto refused =
        run("curl -sS --max-time 10 -k -x http://127.0.0.1:" + std::to_string(p.connect()) +
            " https://plain.example.org/refused");
    EXPECT_NE(refused.status, 0) << refused.out;
    EXPECT_EQ(p.shared->counters().spliced.load(), 1u);
    EXPECT_EQ(p.shared->counters().bumped.load(), 0u);
    EXPECT_EQ(p.shared->counters().refused_host.load(), 1u);
}

TEST_F(proxy_service, untrusted_or_misnamed_upstream_certificates_are_refused) {
    running_proxy p(base_config(), test::allow_every_request);
    ::testing::internal::CaptureStderr();
    auto r = run(curl_connect(p, "https://untrusted.signin.aws.amazon.com/", "-w '%{http_code}'"));
    auto log = ::testing::internal::GetCapturedStderr();
    EXPECT_NE(log.find("msg=\"upstream certificate refused\" host=untrusted.signin.aws.amazon.com"),
              std::string::npos)
        << log;
    EXPECT_NE(r.out.find("failed verification"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("502"), std::string::npos) << r.out;
    auto m = run(curl_connect(p, "https://console.aws.amazon.com/", "-w '%{http_code}'"));
    EXPECT_NE(m.out.find("failed verification"), std::string::npos) << m.out;
    EXPECT_NE(m.out.find("hostname mismatch"), std::string::npos) << m.out;
    EXPECT_EQ(p.shared->counters().upstream_cert_failures.load(), 2u);
}

TEST_F(proxy_service, block_page_html_for_navigation_json_for_fetch_and_cookie_expiry) {
    running_proxy p(base_config(), deny_paths);
    auto html = run(curl_connect(p, "https://signin.aws.amazon.com/deny",
                                 "-D - -H 'Sec-Fetch-Mode: navigate'"));
    EXPECT_NE(html.out.find("HTTP/1.1 403"), std::string::npos) << html.out;
    EXPECT_NE(html.out.find("text/html"), std::string::npos);
    EXPECT_NE(html.out.find("evt-test-1"), std::string::npos);
    EXPECT_NE(html.out.find("https://team.example.com/"), std::string::npos);
    EXPECT_NE(html.out.find("Set-Cookie: aws-userInfo=; Path=/; Max-Age=0; Secure; "
                            "Domain=.amazon.com"),
              std::string::npos)
        << html.out;
    EXPECT_NE(html.out.find("Set-Cookie: aws-creds=; Path=/; Max-Age=0; Secure\r\n"),
              std::string::npos);
    auto json = run(curl_connect(p, "https://signin.aws.amazon.com/deny/api",
                                 "-D - -H 'Sec-Fetch-Mode: cors' -H 'Accept: application/json'"));
    EXPECT_NE(json.out.find("application/json"), std::string::npos) << json.out;
    EXPECT_NE(json.out.find("\"account\":\"999988887777\""), std::string::npos) << json.out;
    // The same connection keeps serving allowed requests after a deny.
    auto both = run(curl_connect(p, "https://signin.aws.amazon.com/deny",
                                 "https://signin.aws.amazon.com/ok -o /dev/null -o /dev/null "
                                 "-w '%{http_code} '"));
    EXPECT_NE(both.out.find("200 403"), std::string::npos) << both.out;
    EXPECT_EQ(p.shared->counters().bumped.load(), 3u);
}

TEST_F(proxy_service, oversized_headers_get_431_and_the_proxy_keeps_serving) {
    auto o = base_config();
    o->proxy.max_header_bytes = 16 * 1024;
    running_proxy p(o, test::allow_every_request);
    std::string big(20 * 1024, 'c');
    auto r = run(curl_connect(p, "https://signin.aws.amazon.com/",
                              "-w '%{http_code}' -H 'Cookie: " + big + "'"));
    EXPECT_NE(r.out.find("431"), std::string::npos) << r.out.substr(0, 300);
    auto ok = run(curl_connect(p, "https://signin.aws.amazon.com/", "-w '%{http_code}'"));
    EXPECT_NE(ok.out.find("200"), std::string::npos) << ok.out;
}

TEST_F(proxy_service, connect_to_forbidden_port_or_address_gets_403) {
    running_proxy p(base_config(), test::allow_every_request);
    auto port =
        run("curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -p -x http://127.0.0.1:" +
            std::to_string(p.connect()) + " https://www.example.org:22/");
    EXPECT_NE(port.out.find("403"), std::string::npos) << port.out;
    for (const char* target : {"https://10.1.2.3/", "https://169.254.169.254/", "https://[::1]/"}) {
        auto addr =
            run("curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -p -x "
                "http://127.0.0.1:" +
                std::to_string(p.connect()) + " -g '" + target + "'");
        EXPECT_NE(addr.out.find("403"), std::string::npos) << target << ": " << addr.out;
    }
    EXPECT_EQ(p.shared->counters().refused_port.load(), 1u);
    EXPECT_EQ(p.shared->counters().refused_destination.load(), 3u);
}

// A raw client that connects, optionally sends bytes, and reports how long until the proxy
// closed the connection (bounded by `limit`).
std::chrono::milliseconds time_until_closed(std::uint16_t port, const std::string& send,
                                            std::chrono::milliseconds limit, std::string* got) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    auto start = std::chrono::steady_clock::now();
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return std::chrono::milliseconds(-1);
    }
    if (!send.empty()) (void)::send(fd, send.data(), send.size(), MSG_NOSIGNAL);
    for (;;) {
        auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - start);
        if (elapsed >= limit) break;
        pollfd pfd{fd, POLLIN, 0};
        if (::poll(&pfd, 1, static_cast<int>((limit - elapsed).count())) <= 0) continue;
        char buf[512];
        auto n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        if (got) got->append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start);
}

TEST_F(proxy_service, slowloris_and_stalled_handshakes_time_out_while_others_are_served) {
    running_proxy p(base_config(), test::allow_every_request);
    std::string answer;
    std::thread slow([&] {
        // Half a request header, then silence: 408 at the header timeout (1.5 s), then closed.
        auto t = time_until_closed(p.connect(), "CONNECT signin.aws.amazon.com:443 HTTP/1.1\r\nHo",
                                   std::chrono::seconds(8), &answer);
        EXPECT_LT(t, std::chrono::seconds(4));
    });
    std::thread stalled([&] {
        // Half a ClientHello on the SNI listener, then silence: closed at the handshake timeout.
        auto t = time_until_closed(p.sni(), std::string("\x16\x03\x01\x02\x00\x01", 6),
                                   std::chrono::seconds(8), nullptr);
        EXPECT_LT(t, std::chrono::seconds(4));
        EXPECT_GE(t, std::chrono::milliseconds(1000));
    });
    auto ok = run(curl_connect(p, "https://signin.aws.amazon.com/", "-w '%{http_code}'"));
    EXPECT_NE(ok.out.find("200"), std::string::npos) << ok.out;
    slow.join();
    stalled.join();
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 408 ")) << answer;
    // Beast's timer closes the socket before the timed-out read completes and is counted, so
    // the client can see the close first: wait (bounded) for both counts.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (p.shared->counters().timeouts.load() < 2 &&
           std::chrono::steady_clock::now() < deadline) {
        std::this_thread::yield();
    }
    EXPECT_GE(p.shared->counters().timeouts.load(), 2u);
}

// Issue 17: a request head that does not complete within header_timeout on an inspected
// connection gets 408 Request Timeout over its TLS (RFC 9110 §15.5.9), then the close.
TEST_F(proxy_service, a_request_head_that_stalls_inside_tls_gets_408) {
    running_proxy p(base_config(), test::allow_every_request);
    const auto started = std::chrono::steady_clock::now();
    auto r =
        run("sh -c \"(printf 'GET / HTTP/1.1\\r\\nHost: signin.aws.amazon.com\\r\\nX-Slow: '; "
            "sleep 4) | openssl s_client -quiet -connect 127.0.0.1:" +
            std::to_string(p.sni()) + " -servername signin.aws.amazon.com 2>/dev/null\"");
    EXPECT_NE(r.out.find("HTTP/1.1 408 "), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("HTTP/1.1 200"), std::string::npos) << r.out;
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
    EXPECT_GE(p.shared->counters().timeouts.load(), 1u);
}

TEST_F(proxy_service, clients_outside_the_allowlist_are_closed_without_a_byte) {
    auto o = base_config();
    o->proxy.allow_clients = {*core::cidr::parse("10.0.0.0/8")};
    running_proxy p(o, test::allow_every_request);
    std::string got;
    auto t = time_until_closed(p.connect(), "CONNECT www.example.org:443 HTTP/1.1\r\n\r\n",
                               std::chrono::seconds(5), &got);
    EXPECT_LT(t, std::chrono::seconds(2));
    EXPECT_TRUE(got.empty()) << got;
    EXPECT_GE(p.shared->counters().refused_client.load(), 1u);
}

TEST_F(proxy_service, sni_and_connect_host_must_agree_for_inspected_hosts) {
    running_proxy p(base_config(), test::allow_every_request);
    // CONNECT to a spliced name while the TLS names an inspected host: refused, not spliced.
    auto s = run("curl -sS --max-time 10 -k -x http://127.0.0.1:" + std::to_string(p.connect()) +
                 " --connect-to signin.aws.amazon.com:443:www.example.org:443"
                 " https://signin.aws.amazon.com/");
    EXPECT_NE(s.status, 0) << s.out;
    EXPECT_EQ(p.shared->counters().refused_host.load(), 1u);
    EXPECT_EQ(p.shared->counters().spliced.load(), 0u);
}

TEST_F(proxy_service, plain_http_on_the_connect_listener) {
    running_proxy p(base_config(), test::allow_every_request);
    auto fwd = run("curl -sS --max-time 10 -x http://127.0.0.1:" + std::to_string(p.connect()) +
                   " http://plain.example.org/pac-path");
    EXPECT_NE(fwd.out.find("target=/pac-path"), std::string::npos) << fwd.out;
    EXPECT_NE(fwd.out.find("via=1.1 consolegate"), std::string::npos) << fwd.out;
    auto redirect = run("curl -sS --max-time 10 -D - -o /dev/null -x http://127.0.0.1:" +
                        std::to_string(p.connect()) + " http://signin.aws.amazon.com/x");
    EXPECT_NE(redirect.out.find("308"), std::string::npos) << redirect.out;
    EXPECT_NE(redirect.out.find("https://signin.aws.amazon.com/x"), std::string::npos);
}

// Framing another server could read otherwise (http_wire.hpp framing_refusal) is refused on the
// plain path too, which streams the body under the client's Content-Length: 400, nothing
// forwarded, while the same request framed one way reaches the origin.
TEST_F(proxy_service, plain_http_framing_that_reads_two_ways_is_refused) {
    running_proxy p(base_config(), test::allow_every_request);
    const std::string head = "POST http://plain.example.org/framing HTTP/1.1\r\nHost: x\r\n";
    for (const std::string& framing :
         {std::string("Content-Length: 2\r\nContent-Length: 2\r\n\r\nab"),
          std::string("Content-Length: 2, 2\r\n\r\nab")}) {
        std::string got;
        time_until_closed(p.connect(), head + framing, std::chrono::seconds(5), &got);
        EXPECT_TRUE(got.starts_with("HTTP/1.1 400")) << framing << got;
        EXPECT_EQ(got.find("target=/framing"), std::string::npos) << framing << got;
    }
    std::string got;
    time_until_closed(
        p.connect(),
        "POST http://plain.example.org/framing HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"
        "2\r\nab\r\n0\r\n\r\n",
        std::chrono::seconds(5), &got);
    EXPECT_TRUE(got.starts_with("HTTP/1.1 400")) << got;
    got.clear();
    time_until_closed(p.connect(), head + "Content-Length: 002\r\n\r\nab", std::chrono::seconds(5),
                      &got);
    EXPECT_NE(got.find("target=/framing"), std::string::npos) << got;
    EXPECT_NE(got.find("body-bytes=2"), std::string::npos) << got;
}

// Issue 17: the request judged is the request forwarded. Hop-by-hop fields (and those Connection
// names) are gone before the inspector reads the request, and Connection cannot remove what says
// how the body is read; the plain path sends the Host it routed by, not the client's.
TEST_F(proxy_service, what_is_forwarded_is_what_was_judged) {
    std::mutex m;
    std::vector<std::string> seen;  // header names the inspector saw
    auto record = [&](const core::http_request_view& r) {
        std::lock_guard lock(m);
        for (const auto& h : r.headers) seen.emplace_back(h.first);
        return test::allow_every_request(r);
    };
    running_proxy p(base_config(), record);
    auto bumped = run(curl_connect(p, "https://signin.aws.amazon.com/judged",
                                   "-H 'Connection: X-Hop, Content-Type, Content-Encoding' "
                                   "-H 'X-Hop: 1' -H 'Content-Type: application/json' "
                                   "-H 'Content-Encoding: identity' --data-binary '{}'"));
    EXPECT_NE(bumped.out.find("body-bytes=2"), std::string::npos) << bumped.out;
    EXPECT_EQ(bumped.out.find("leaked="), std::string::npos) << bumped.out;
    {
        std::lock_guard lock(m);
        auto has = [&](std::string_view name) {
            return std::any_of(seen.begin(), seen.end(), [&](const std::string& s) {
                return s.size() == name.size() &&
                       std::equal(s.begin(), s.end(), name.begin(), [](char x, char y) {
                           return std::tolower(x) == std::tolower(y);
                       });
            });
        };
        EXPECT_FALSE(has("X-Hop"));
        EXPECT_FALSE(has("Connection"));
        EXPECT_TRUE(has("Content-Type"));
        EXPECT_TRUE(has("Content-Encoding"));
    }
    auto plain = run("curl -sS --max-time 10 -x http://127.0.0.1:" + std::to_string(p.connect()) +
                     " -H 'Host: signin.aws.amazon.com' http://plain.example.org/routed");
    EXPECT_NE(plain.out.find("host=plain.example.org\n"), std::string::npos) << plain.out;
}

// Connection may name fields to drop, but never the body's framing (without Content-Length the
// body would reach the origin unframed, to be read as the next request: smuggling) nor Host.
TEST_F(proxy_service, connection_cannot_remove_content_length_or_host_on_either_path) {
    running_proxy p(base_config(), test::allow_every_request);
    auto plain = run("curl -sS --max-time 10 -x http://127.0.0.1:" + std::to_string(p.connect()) +
                     " -H 'Connection: Content-Length, Host' --data-binary 'GET /smuggled' "
                     "http://plain.example.org/framed");
    auto bumped =
        run(curl_connect(p, "https://signin.aws.amazon.com/framed",
                         "-H 'Connection: Content-Length, Host' --data-binary 'GET /smuggled'"));
    EXPECT_NE(plain.out.find("host=plain.example.org"), std::string::npos) << plain.out;
    EXPECT_NE(bumped.out.find("host=signin.aws.amazon.com"), std::string::npos) << bumped.out;
    for (const auto* r : {&plain, &bumped}) {
        EXPECT_NE(r->out.find("body-bytes=13"), std::string::npos) << r->out;
        EXPECT_NE(r->out.find("framing=length"), std::string::npos) << r->out;
    }
}

// Every Via the client sent reaches the origin, in order and with ours last, as on responses.
TEST_F(proxy_service, request_via_values_are_joined_with_ours_last_on_both_paths) {
    running_proxy p(base_config(), test::allow_every_request);
    const std::string vias = "-H 'Via: 1.0 first' -H 'X-Between: 1' -H 'Via: 1.1 second'";
    auto plain = run("curl -sS --max-time 10 -x http://127.0.0.1:" + std::to_string(p.connect()) +
                     " " + vias + " http://plain.example.org/via");
    auto bumped = run(curl_connect(p, "https://signin.aws.amazon.com/via", vias));
    for (const auto* r : {&plain, &bumped}) {
        EXPECT_NE(r->out.find("via=1.0 first, 1.1 second, 1.1 consolegate\n"), std::string::npos)
            << r->out;
    }
}

TEST_F(proxy_service, plain_http_uploads_stream_to_the_origin_intact) {
    running_proxy p(base_config(), test::allow_every_request);
    std::string data;
    for (std::size_t i = 0; data.size() < 2 * 1024 * 1024; ++i) data += std::to_string(i) + ";";
    data.resize(2 * 1024 * 1024);
    auto file = pki->dir + "/plain-upload-" + std::to_string(::getpid());
    {
        FILE* f = std::fopen(file.c_str(), "wb");
        ASSERT_NE(f, nullptr);
        std::fwrite(data.data(), 1, data.size(), f);
        std::fclose(f);
    }
    auto proxy = " -x http://127.0.0.1:" + std::to_string(p.connect()) + " ";
    // curl asks "Expect: 100-continue" for bodies this size; the proxy answers it at once (curl
    // would otherwise wait a second before sending the body).
    auto t0 = std::chrono::steady_clock::now();
    auto with_length = run("curl -sS --max-time 10 --expect100-timeout 8" + proxy +
                           "--data-binary @" + file + " http://plain.example.org/up");
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(4));
    auto chunked = run("curl -sS --max-time 10" + proxy + "-H 'Transfer-Encoding: chunked' " +
                       "--data-binary @" + file + " http://plain.example.org/up");
    std::filesystem::remove(file);
    for (const auto* r : {&with_length, &chunked}) {
        EXPECT_NE(r->out.find("body-bytes=2097152"), std::string::npos) << r->out;
        EXPECT_NE(r->out.find("body-hash=" + fnv1a_hex(data)), std::string::npos) << r->out;
    }
    EXPECT_NE(with_length.out.find("framing=length"), std::string::npos) << with_length.out;
    EXPECT_NE(chunked.out.find("framing=chunked"), std::string::npos) << chunked.out;
}

TEST_F(proxy_service, close_delimited_origin_bodies_are_rechunked_on_both_paths) {
    running_proxy p(base_config(), test::allow_every_request);
    auto tail = "close-delimited body: " + std::string(20000, 'z') + "\nend\n";
    auto bumped = run(curl_connect(p, "https://signin.aws.amazon.com/close-delimited", "-D -"));
    auto plain =
        run("curl -sS --max-time 10 -D - -x http://127.0.0.1:" + std::to_string(p.connect()) +
            " http://plain.example.org/close-delimited");
    for (const auto* r : {&bumped, &plain}) {
        EXPECT_EQ(r->status, 0) << r->out;
        EXPECT_NE(r->out.find("Transfer-Encoding: chunked"), std::string::npos) << r->out;
        EXPECT_NE(r->out.find(tail), std::string::npos) << r->out.substr(0, 400);
    }
}

TEST_F(proxy_service, no_sni_on_the_sni_listener_is_refused_with_an_alert) {
    running_proxy p(base_config(), test::allow_every_request);
    auto r = run("sh -c \"openssl s_client -connect 127.0.0.1:" + std::to_string(p.sni()) +
                 " -noservername </dev/null\"");
    EXPECT_NE(r.out.find("unrecognized name"), std::string::npos) << r.out;
    EXPECT_EQ(p.shared->counters().refused_host.load(), 1u);
}

TEST_F(proxy_service, metrics_text) {
    running_proxy p(base_config(), test::allow_every_request);
    std::string out;
    write_prometheus(out, p.shared->counters());
    EXPECT_NE(out.find("# TYPE consolegate_proxy_bumped_total counter"), std::string::npos);
    EXPECT_NE(out.find("consolegate_proxy_connections_active 0"), std::string::npos);
}

TEST_F(proxy_service, request_header_sizes_are_measured_for_sizing_the_limit) {
    running_proxy p(base_config(), test::allow_every_request);
    // One small request, one with a 5 000-byte cookie (the console's aws-creds class).
    auto small = run(curl_connect(p, "https://signin.aws.amazon.com/small"));
    auto big = run(curl_connect(p, "https://signin.aws.amazon.com/big",
                                "-H 'Cookie: aws-creds=" + std::string(5000, 'c') + "'"));
    EXPECT_NE(big.out.find("target=/big"), std::string::npos) << big.out;
    std::string out;
    write_prometheus(out, p.shared->counters());
    EXPECT_NE(out.find("# TYPE consolegate_proxy_request_header_bytes histogram"),
              std::string::npos);
    EXPECT_NE(out.find("consolegate_proxy_request_header_bytes_bucket{le=\"2048\"} 1\n"),
              std::string::npos)
        << out;
    EXPECT_NE(out.find("consolegate_proxy_request_header_bytes_bucket{le=\"4096\"} 1\n"),
              std::string::npos);
    EXPECT_NE(out.find("consolegate_proxy_request_header_bytes_bucket{le=\"8192\"} 2\n"),
              std::string::npos);
    EXPECT_NE(out.find("consolegate_proxy_request_header_bytes_bucket{le=\"+Inf\"} 2\n"),
              std::string::npos);
    EXPECT_NE(out.find("consolegate_proxy_request_header_bytes_count 2\n"), std::string::npos);
    auto at = out.find("\nconsolegate_proxy_request_header_bytes_max ");
    ASSERT_NE(at, std::string::npos);
    auto max =
        std::stoul(out.substr(at + std::strlen("\nconsolegate_proxy_request_header_bytes_max ")));
    EXPECT_GT(max, 5000u);
    EXPECT_LT(max, 5400u);
}

}  // namespace
}  // namespace consolegate::proxy

namespace consolegate::proxy {
namespace {

// A synchronous TLS client trusting the corporate CA, for exchanges curl cannot script.
struct tls_client {
    boost::asio::io_context ioc;
    boost::asio::ssl::context ctx{boost::asio::ssl::context::tls_client};
    std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket>> s;

    // `tunnel`: `port` is the CONNECT listener's, and TLS runs inside `CONNECT host:443`.
    // `ech`: the ClientHello carries an encrypted_client_hello extension (0xfe0d, type outer),
    // as a client with an ECH config or a browser's GREASE ECH sends it.
    tls_client(std::uint16_t port, const std::string& ca, const std::string& host,
               bool tunnel = false, bool ech = false) {
        ctx.load_verify_file(ca);
        ctx.set_verify_mode(boost::asio::ssl::verify_peer);
        if (ech && SSL_CTX_add_custom_ext(ctx.native_handle(), 0xfe0d, SSL_EXT_CLIENT_HELLO,
                                          add_ech, nullptr, nullptr, nullptr, nullptr) != 1)
            throw std::runtime_error("SSL_CTX_add_custom_ext");
        s = std::make_unique<boost::asio::ssl::stream<boost::asio::ip::tcp::socket>>(ioc, ctx);
        SSL_set_tlsext_host_name(s->native_handle(), host.c_str());
        SSL_set1_host(s->native_handle(), host.c_str());
        s->next_layer().connect({boost::asio::ip::make_address("127.0.0.1"), port});
        timeval tv{5, 0};  // every read below is bounded
        ::setsockopt(s->next_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        if (tunnel) {
            boost::asio::write(s->next_layer(),
                               boost::asio::buffer("CONNECT " + host + ":443 HTTP/1.1\r\n\r\n"));
            std::string head;
            char ch;
            while (!head.ends_with("\r\n\r\n") &&
                   boost::asio::read(s->next_layer(), boost::asio::buffer(&ch, 1)) == 1)
                head += ch;
            if (!head.starts_with("HTTP/1.1 200")) throw std::runtime_error("CONNECT: " + head);
        }
        s->handshake(boost::asio::ssl::stream_base::client);
    }
    void send(const std::string& data) { boost::asio::write(*s, boost::asio::buffer(data)); }
    // Reads until `marker` appears, EOF or an error; returns what arrived.
    std::string read_until(const std::string& marker) {
        std::string out;
        std::array<char, 4096> buf;
        for (int i = 0; i < 1000 && out.find(marker) == std::string::npos; ++i) {
            boost::system::error_code ec;
            auto n = s->read_some(boost::asio::buffer(buf), ec);
            out.append(buf.data(), n);
            if (ec) break;
        }
        return out;
    }
    static int add_ech(SSL*, unsigned, unsigned, const unsigned char** out, std::size_t* len, X509*,
                       std::size_t, int*, void*) {
        // type outer, HPKE KDF and AEAD 1, config id 42, a 32-byte enc, a 64-byte payload.
        static const auto ext = [] {
            std::array<unsigned char, 1 + 4 + 1 + 2 + 32 + 2 + 64> b{0, 0, 1, 0, 1, 42, 0, 32};
            b[8 + 32] = 0;
            b[8 + 32 + 1] = 64;
            return b;
        }();
        *out = ext.data();
        *len = ext.size();
        return 1;
    }
    bool closed_by_peer() {
        std::array<char, 64> buf;
        boost::system::error_code ec;
        s->read_some(boost::asio::buffer(buf), ec);
        return ec == boost::asio::error::eof || ec == boost::asio::ssl::error::stream_truncated;
    }
};

// ECH under an AWS name (host_routes::aws_front): the SNI is only the public name, so the
// hello is bumped under it (the proxy holds no ECH key: a real ECH client would stop there),
// never spliced, and its requests are judged under that name, not as on a sign-in host (the
// same name without ECH is spliced unjudged). Without ECH it is spliced: the origin's own
// certificate, which the corporate CA does not verify.
TEST_F(proxy_service, ech_under_an_aws_name_is_bumped_and_judged_under_its_name) {
    auto o = base_config();
    o->proxy.upstream_overrides.push_back(
        {"ech.cloudfront.net", loopback(other_origin->port()), pki->origin_ca_cert, {}});
    std::mutex mu;
    std::vector<std::pair<std::string, bool>> seen;  // host, judged as at a sign-in address
    auto judge = [&](const core::http_request_view& r) {
        std::lock_guard lock(mu);
        seen.emplace_back(std::string(r.host), r.by_address);
        return test::allow_every_request(r);
    };
    running_proxy p(o, judge);
    {
        tls_client c(p.sni(), pki->corp_cert, "ech.cloudfront.net", false, true);
        c.send("GET /e HTTP/1.1\r\nHost: ech.cloudfront.net\r\nConnection: close\r\n\r\n");
        auto r = c.read_until("\r\n\r\n");
        EXPECT_NE(r.find("HTTP/1.1 "), std::string::npos) << r;
    }
    EXPECT_ANY_THROW(tls_client(p.sni(), pki->corp_cert, "ech.cloudfront.net"));
    EXPECT_EQ(p.shared->counters().bumped_ech.load(), 1u);
    EXPECT_EQ(p.shared->counters().spliced.load(), 1u);
    std::lock_guard lock(mu);
    EXPECT_EQ(seen, (std::vector<std::pair<std::string, bool>>{{"ech.cloudfront.net", false}}));
}

TEST_F(proxy_service, upgrade_is_passed_through_after_the_101) {
    running_proxy p(base_config(), test::allow_every_request);
    tls_client c(p.sni(), pki->corp_cert, "signin.aws.amazon.com");
    c.send(
        "GET /ws HTTP/1.1\r\nHost: signin.aws.amazon.com\r\nConnection: Upgrade\r\n"
        "Upgrade: websocket\r\n\r\n");
    auto head = c.read_until("\r\n\r\n");
    EXPECT_NE(head.find("101"), std::string::npos) << head;
    // A browser drops a 101 without these (RFC 6455 §4.1).
    EXPECT_NE(head.find("\r\nConnection: upgrade\r\n"), std::string::npos) << head;
    EXPECT_NE(head.find("\r\nUpgrade: websocket\r\n"), std::string::npos) << head;
    c.send("ping-through-the-tunnel");
    auto echo = c.read_until("tunnel");
    EXPECT_NE(echo.find("ping-through-the-tunnel"), std::string::npos) << echo;
    EXPECT_EQ(p.shared->counters().upgrades.load(), 1u);
}

// Any other upgrade (h2c, a made-up protocol, two Upgrade fields) would turn the connection into
// bytes the inspector never reads, on an origin that accepts it (this test origin accepts them
// all): refused before it is forwarded, recorded, never a 101.
TEST_F(proxy_service, upgrades_other_than_websocket_are_refused) {
    running_proxy p(base_config(), test::allow_every_request);
    for (const char* upgrade :
         {"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n", "Upgrade: echo\r\n",
          "Upgrade: websocket\r\nUpgrade: h2c\r\n", "Upgrade: websocket, h2c\r\n"}) {
        tls_client c(p.sni(), pki->corp_cert, "signin.aws.amazon.com");
        c.send(std::string("GET /up HTTP/1.1\r\nHost: signin.aws.amazon.com\r\n"
                           "Connection: Upgrade, HTTP2-Settings\r\n") +
               upgrade + "\r\n");
        auto head = c.read_until("\r\n\r\n");
        EXPECT_NE(head.find("HTTP/1.1 400"), std::string::npos) << upgrade << head;
        EXPECT_EQ(head.find("101"), std::string::npos) << upgrade << head;
    }
    EXPECT_EQ(p.shared->counters().upgrades.load(), 0u);
    EXPECT_EQ(p.shared->counters().bad_requests.load(), 4u);
    // Without Connection: upgrade the field is only hop-by-hop: stripped, the request served.
    auto r = run(curl_connect(p, "https://signin.aws.amazon.com/plain", "-H 'Upgrade: h2c'"));
    EXPECT_NE(r.out.find("target=/plain"), std::string::npos) << r.out;
}

// RFC 6455 §4.1: nothing follows a WebSocket handshake before its 101. A request written behind
// one would reach the origin raw after the 101 (this origin echoes it: it switched; a front end
// that did not would read it as HTTP), never read or judged: refused before anything goes up.
TEST_F(proxy_service, bytes_behind_an_upgrade_request_are_never_relayed_raw) {
    running_proxy p(base_config(), test::allow_every_request);
    tls_client c(p.sni(), pki->corp_cert, "signin.aws.amazon.com");
    c.send(
        "GET /ws HTTP/1.1\r\nHost: signin.aws.amazon.com\r\nConnection: Upgrade\r\n"
        "Upgrade: websocket\r\n\r\nPOST /smuggled HTTP/1.1\r\nHost: signin.aws.amazon.com\r\n"
        "Content-Length: 0\r\n\r\n");
    auto r = c.read_until("\r\n\r\n");
    EXPECT_TRUE(r.starts_with("HTTP/1.1 400")) << r;
    EXPECT_EQ(r.find("smuggled"), std::string::npos) << r;
    EXPECT_TRUE(c.closed_by_peer());
    EXPECT_EQ(p.shared->counters().upgrades.load(), 0u);
}

// Responses are matched to requests by order alone: bytes an origin sends beyond the response
// to one request would be read as the response to the next one, judged as another request (and
// bound to it by the response observer). The upstream connection that has such bytes is dropped.
TEST_F(proxy_service, bytes_an_origin_sends_beyond_a_response_never_answer_the_next_request) {
    std::mutex m;
    std::vector<std::string> observed;  // "target|first line of the body" the observer saw
    response_observer observe = [&](const core::http_request_view& r, const response_view& resp) {
        std::lock_guard lock(m);
        observed.push_back(std::string(r.target) + "|" +
                           std::string(resp.body.substr(0, resp.body.find('\n'))));
        return std::optional<verdict>();
    };
    running_proxy p(base_config(), test::allow_every_request, observe);
    tls_client c(p.sni(), pki->corp_cert, "signin.aws.amazon.com");
    c.send("GET /extra-after-response HTTP/1.1\r\nHost: signin.aws.amazon.com\r\n\r\n");
    auto first = c.read_until("first\n");
    EXPECT_NE(first.find("first\n"), std::string::npos) << first;
    c.send("GET /next HTTP/1.1\r\nHost: signin.aws.amazon.com\r\n\r\n");
    auto next = c.read_until("framing=");
    EXPECT_NE(next.find("target=/next\n"), std::string::npos) << next;
    EXPECT_EQ(next.find("smuggled"), std::string::npos) << next;
    std::lock_guard lock(m);
    ASSERT_EQ(observed.size(), 2u);
    EXPECT_EQ(observed[0], "/extra-after-response|first");
    EXPECT_EQ(observed[1], "/next|method=GET");
}

// A 1xx is never the answer to a request: past the interim answers the proxy skips (eight), and
// a 101 to a request that asked no upgrade, the exchange fails (502) rather than relaying it as
// final with the real answer left to be read as the next request's.
TEST_F(proxy_service, a_1xx_is_never_relayed_as_the_final_answer) {
    running_proxy p(base_config(), test::allow_every_request);
    for (const char* target : {"/many-interim", "/switch-unasked"}) {
        tls_client c(p.sni(), pki->corp_cert, "signin.aws.amazon.com");
        c.send(std::string("GET ") + target + " HTTP/1.1\r\nHost: signin.aws.amazon.com\r\n\r\n");
        auto r = c.read_until("\r\n\r\n");
        EXPECT_TRUE(r.starts_with("HTTP/1.1 502 ")) << target << ": " << r;
        EXPECT_EQ(r.find("HTTP/1.1 1"), std::string::npos) << r;
    }
}

TEST_F(proxy_service, inspector_sees_the_dechunked_body_truncated_at_the_cap) {
    auto o = base_config();
    o->proxy.max_inspect_body = 16;
    static std::mutex m;
    static std::vector<std::pair<std::string, bool>> seen;
    seen.clear();
    running_proxy p(o, [](const core::http_request_view& r) {
        std::lock_guard lock(m);
        seen.emplace_back(std::string(r.body) + "|" + std::string(r.sni) + "|" +
                              std::string(r.method) + "|" + r.client.str(),
                          r.body_truncated);
        return test::allow_every_request(r);
    });
    auto small = run(curl_connect(p, "https://signin.aws.amazon.com/authenticate",
                                  "-H 'Transfer-Encoding: chunked' -d 'account=1234'"));
    EXPECT_NE(small.out.find("body-bytes=12"), std::string::npos) << small.out;
    auto big = run(curl_connect(p, "https://signin.aws.amazon.com/authenticate",
                                "-d 'account=123456789012&username=bob'"));
    EXPECT_NE(big.out.find("body-bytes=33"), std::string::npos) << big.out;
    std::lock_guard lock(m);
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[0].first, "account=1234|signin.aws.amazon.com|POST|127.0.0.1");
    EXPECT_FALSE(seen[0].second);
    EXPECT_EQ(seen[1].first, "account=12345678|signin.aws.amazon.com|POST|127.0.0.1");
    EXPECT_TRUE(seen[1].second);
}

TEST_F(proxy_service, bodies_over_the_inspection_cap_stream_to_the_origin_intact) {
    auto o = base_config();
    o->proxy.max_inspect_body = 1024;
    static std::mutex m;
    static std::vector<std::pair<std::size_t, bool>> seen;
    seen.clear();
    running_proxy p(o, [](const core::http_request_view& r) {
        std::lock_guard lock(m);
        seen.emplace_back(r.body.size(), r.body_truncated);
        return test::allow_every_request(r);
    });
    // 3 MiB of varied bytes: far over the cap, over any single read or TLS record.
    std::string data;
    for (std::size_t i = 0; data.size() < 3 * 1024 * 1024; ++i) {
        data += std::to_string(i * 2654435761u) + (i % 7 == 0 ? "\n" : ",");
    }
    data.resize(3 * 1024 * 1024);
    auto file = pki->dir + "/upload-" + std::to_string(::getpid());
    {
        FILE* f = std::fopen(file.c_str(), "wb");
        ASSERT_NE(f, nullptr);
        std::fwrite(data.data(), 1, data.size(), f);
        std::fclose(f);
    }
    auto want_hash = "body-hash=" + fnv1a_hex(data);
    // With a Content-Length, and again chunked (re-chunked upstream); then a small GET on the
    // same client connection (curl reuses it for the second URL): keep-alive survives a stream.
    auto with_length = run(curl_connect(p, "https://signin.aws.amazon.com/upload",
                                        "-H 'Content-Type: application/octet-stream' "
                                        "--data-binary @" +
                                            file) +
                           " --next --cacert " + pki->corp_cert + " -x http://127.0.0.1:" +
                           std::to_string(p.connect()) + " https://signin.aws.amazon.com/after");
    EXPECT_NE(with_length.out.find("body-bytes=3145728"), std::string::npos) << with_length.out;
    EXPECT_NE(with_length.out.find(want_hash), std::string::npos) << with_length.out;
    EXPECT_NE(with_length.out.find("framing=length"), std::string::npos);
    EXPECT_NE(with_length.out.find("target=/after"), std::string::npos) << with_length.out;
    auto chunked = run(curl_connect(p, "https://signin.aws.amazon.com/upload",
                                    "-H 'Transfer-Encoding: chunked' "
                                    "-H 'Content-Type: application/octet-stream' "
                                    "--data-binary @" +
                                        file));
    EXPECT_NE(chunked.out.find("body-bytes=3145728"), std::string::npos) << chunked.out;
    EXPECT_NE(chunked.out.find(want_hash), std::string::npos) << chunked.out;
    EXPECT_NE(chunked.out.find("framing=chunked"), std::string::npos) << chunked.out;
    std::filesystem::remove(file);
    EXPECT_EQ(p.shared->counters().bumped.load(), 2u);  // the GET rode the first connection
    std::lock_guard lock(m);
    ASSERT_EQ(seen.size(), 3u);
    EXPECT_EQ(seen[0], std::make_pair(std::size_t{1024}, true));
    EXPECT_EQ(seen[1], std::make_pair(std::size_t{0}, false));
    EXPECT_EQ(seen[2], std::make_pair(std::size_t{1024}, true));
}

TEST_F(proxy_service, a_denied_streaming_request_gets_the_block_page_and_a_closed_connection) {
    auto o = base_config();
    o->proxy.max_inspect_body = 64;
    running_proxy p(o, [](const core::http_request_view& r) {
        if (!r.body_truncated) return test::allow_every_request(r);
        verdict v;
        v.basis = verdict_basis::policy;
        v.why = core::reason::unparsable_request;
        v.rule = "body-over-cap";
        return v;
    });
    tls_client c(p.sni(), pki->corp_cert, "signin.aws.amazon.com");
    // The body is announced but only its first part sent: the verdict must not wait for the
    // rest, and the unread remainder must never be parsed as a next request.
    c.send(
        "POST /authenticate HTTP/1.1\r\nHost: signin.aws.amazon.com\r\n"
        "Content-Length: 100000\r\nAccept: application/json\r\n\r\n" +
        std::string(4096, 'a'));
    auto answer = c.read_until("}");
    EXPECT_NE(answer.find("HTTP/1.1 403"), std::string::npos) << answer;
    EXPECT_NE(answer.find("Connection: close"), std::string::npos) << answer;
    EXPECT_NE(answer.find("body-over-cap"), std::string::npos) << answer;
    EXPECT_NE(answer.find("\"reason_code\":\"unparsable-request\""), std::string::npos) << answer;
    EXPECT_TRUE(c.closed_by_peer());
}

TEST_F(proxy_service, an_origin_that_never_answers_gets_a_502_after_the_deadline) {
    auto o = base_config();
    o->proxy.idle_timeout = std::chrono::milliseconds(700);  // the wait for the response header
    running_proxy p(o, test::allow_every_request);
    auto t0 = std::chrono::steady_clock::now();
    auto r = run(curl_connect(p, "https://signin.aws.amazon.com/stall", "-w '%{http_code}'"));
    auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_NE(r.out.find("502"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("timed out"), std::string::npos) << r.out;
    EXPECT_LT(took, std::chrono::seconds(5));
    EXPECT_GE(took, std::chrono::milliseconds(600));
    // The proxy keeps serving.
    auto ok = run(curl_connect(p, "https://signin.aws.amazon.com/fine"));
    EXPECT_NE(ok.out.find("target=/fine"), std::string::npos) << ok.out;
}

// Issue 17 (faults): an origin that resets, or falls silent, after the head and part of the body.
// A small body is buffered before the client gets a byte (its head goes out with it), so the
// client gets 502 naming the failure, at once for a reset and at idle_timeout for silence; a
// large body streams, and then the connection closes before Content-Length is reached (never a
// complete-looking response). The broken upstream connection is not pooled; the proxy keeps
// serving.
TEST_F(proxy_service, an_origin_that_resets_or_stalls_mid_body_is_never_a_whole_answer) {
    auto o = base_config();
    o->proxy.idle_timeout = std::chrono::milliseconds(1500);
    running_proxy p(o, test::allow_every_request);
    for (const char* path : {"/reset-mid-body", "/stall-mid-body"}) {
        const auto t0 = std::chrono::steady_clock::now();
        auto r = run(curl_connect(p, std::string("https://signin.aws.amazon.com") + path,
                                  "-w '%{http_code}'"));
        const auto took = std::chrono::steady_clock::now() - t0;
        EXPECT_NE(r.out.find("502"), std::string::npos) << path << ": " << r.out;
        EXPECT_EQ(r.out.find("pppp"), std::string::npos) << path << ": " << r.out;
        EXPECT_LT(took, std::chrono::seconds(6)) << path;
        auto ok = run(curl_connect(p, "https://signin.aws.amazon.com/fine"));
        EXPECT_NE(ok.out.find("target=/fine"), std::string::npos) << path << ": " << ok.out;
    }
}

// Issue 17 (faults): the same reset in a body larger than the proxy buffers (256 KiB, streamed
// from the first byte). docs/proxy.md "Failure modes": the client's connection closes before
// Content-Length (or the last chunk) is reached, never a complete-looking response. The fault is
// counted, the connection's slot is given back, and the proxy keeps serving. (The 200 head itself
// shows the body streamed: a buffered one would have become a 502.)
TEST_F(proxy_service, an_origin_that_resets_mid_streamed_body_cuts_the_client_short) {
    running_proxy p(base_config(), test::allow_every_request);
    std::uint64_t failures = 0;
    for (const char* path : {"/reset-mid-large-body", "/reset-mid-chunked-body"}) {
        SCOPED_TRACE(path);
        const bool chunked = std::string_view(path) == "/reset-mid-chunked-body";
        std::string got;
        {
            tls_client c(p.sni(), pki->corp_cert, "signin.aws.amazon.com");
            c.send(std::string("GET ") + path + " HTTP/1.1\r\nHost: signin.aws.amazon.com\r\n\r\n");
            const auto t0 = std::chrono::steady_clock::now();
            got = c.read_until("never sent");  // to the close, or a 5 s read timeout
            // Closed at once, not left open for the client to time out.
            EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(4));
        }
        const auto head_end = got.find("\r\n\r\n");
        ASSERT_NE(head_end, std::string::npos) << got.substr(0, 300);
        const auto head = got.substr(0, head_end + 4);
        const auto body = got.substr(head_end + 4);
        // The head went out before the body streamed: the origin's 200, as framed upstream.
        EXPECT_TRUE(head.starts_with("HTTP/1.1 200 ")) << head;
        if (chunked) {
            EXPECT_NE(head.find("Transfer-Encoding: chunked"), std::string::npos) << head;
            // No last chunk: a chunked reader sees a truncated body, not an answer.
            EXPECT_EQ(body.find("\r\n0\r\n\r\n"), std::string::npos);
        } else {
            EXPECT_NE(head.find("Content-Length: 1048576"), std::string::npos) << head;
            EXPECT_LT(body.size(), 1048576u);
            // What arrived is the origin's bytes as sent (how many: what the reset left in
            // flight), nothing added to make up the length.
            EXPECT_EQ(body, std::string(body.size(), 'q'));
        }
        EXPECT_EQ(p.shared->counters().upstream_body_failures.load(), ++failures);
        // The connection's slot is given back (bounded wait).
        for (int j = 0; j < 500 && p.shared->counters().connections_active.load() > 0; ++j) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        EXPECT_EQ(p.shared->counters().connections_active.load(), 0);
        auto ok = run(curl_connect(p, "https://signin.aws.amazon.com/fine"));
        EXPECT_NE(ok.out.find("target=/fine"), std::string::npos) << ok.out;
    }
    std::string metrics;
    write_prometheus(metrics, p.shared->counters());
    EXPECT_NE(metrics.find("consolegate_proxy_upstream_body_failures_total 2"), std::string::npos);
}

TEST_F(proxy_service, an_idle_keep_alive_connection_gives_its_buffers_back_and_still_serves) {
    auto o = base_config();
    o->proxy.idle_timeout = std::chrono::seconds(2);  // buffers go back after a quarter of it
    running_proxy p(o, test::allow_every_request);
    tls_client c(p.sni(), pki->corp_cert, "signin.aws.amazon.com");
    c.send("GET /first HTTP/1.1\r\nHost: signin.aws.amazon.com\r\n\r\n");
    auto first = c.read_until("framing=");
    EXPECT_NE(first.find("target=/first"), std::string::npos) << first;
    // The connection waits for its next request: the sweeper parks it (bounded wait).
    auto& released = p.shared->counters().idle_buffer_releases;
    for (int i = 0; i < 300 && released.load() == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_EQ(released.load(), 1u);
    // Parked, it still answers on the same connection, and is parked again only after a new
    // idle period.
    c.send("GET /second HTTP/1.1\r\nHost: signin.aws.amazon.com\r\n\r\n");
    auto second = c.read_until("framing=");
    EXPECT_NE(second.find("target=/second"), std::string::npos) << second;
    EXPECT_EQ(p.shared->counters().bumped.load(), 1u);
}

TEST_F(proxy_service, expect_100_continue_is_answered_by_the_proxy) {
    running_proxy p(base_config(), test::allow_every_request);
    // curl waits up to --expect100-timeout for the 100 before sending the body anyway.
    auto t0 = std::chrono::steady_clock::now();
    auto r = run(curl_connect(p, "https://signin.aws.amazon.com/upload",
                              "--expect100-timeout 8 -H 'Expect: 100-continue' -d 'a=1&b=2'"));
    auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_NE(r.out.find("body-bytes=7"), std::string::npos) << r.out;
    EXPECT_LT(took, std::chrono::seconds(4));
}

TEST_F(proxy_service, a_second_client_connection_reuses_the_pooled_upstream) {
    running_proxy p(base_config(), test::allow_every_request);
    for (int i = 0; i < 3; ++i) {
        auto r = run(curl_connect(p, "https://signin.aws.amazon.com/again"));
        EXPECT_NE(r.out.find("target=/again"), std::string::npos) << r.out;
        // The upstream goes back to the pool when the client connection is gone (bounded wait).
        for (int j = 0; j < 500 && p.shared->counters().connections_active.load() > 0; ++j) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
    EXPECT_EQ(p.shared->counters().bumped.load(), 3u);
    // One upstream handshake (resumption counts only handshakes; the pool avoids them).
    EXPECT_EQ(p.shared->counters().upstream_resumed.load(), 0u);
}

TEST_F(proxy_service, a_full_upstream_pool_closes_the_connection_and_counts_it) {
    auto cfg = base_config();
    cfg->proxy.upstream_pool_per_host = 0;
    running_proxy p(cfg, test::allow_every_request);
    for (int i = 0; i < 2; ++i) {
        auto r = run(curl_connect(p, "https://signin.aws.amazon.com/again"));
        EXPECT_NE(r.out.find("target=/again"), std::string::npos) << r.out;
        for (int j = 0; j < 500 && p.shared->counters().connections_active.load() > 0; ++j) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
    // Nothing kept: each clean upstream connection is closed and counted for a full pool (when
    // its client connection has gone: bounded wait). With the default pool the same two clients
    // share one upstream connection (a_second_client_connection_reuses_the_pooled_upstream).
    for (int j = 0; j < 500 && p.shared->counters().upstream_pool_full.load() < 2; ++j) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_EQ(p.shared->counters().upstream_pool_full.load(), 2u);
}

TEST_F(proxy_service, stop_closes_idle_keep_alive_connections) {
    running_proxy p(base_config(), test::allow_every_request);
    tls_client c(p.sni(), pki->corp_cert, "signin.aws.amazon.com");
    c.send("GET /first HTTP/1.1\r\nHost: signin.aws.amazon.com\r\n\r\n");
    auto first = c.read_until("body-bytes=");
    EXPECT_NE(first.find("target=/first"), std::string::npos) << first;
    c.read_until("\n");
    p.svc->stop();
    EXPECT_TRUE(c.closed_by_peer());
}

TEST_F(proxy_service, connections_over_the_limit_are_closed) {
    auto o = base_config();
    o->proxy.max_connections = 1;
    running_proxy p(o, test::allow_every_request);
    std::thread holder([&] {
        time_until_closed(p.sni(), std::string("\x16\x03\x01\x02\x00\x01", 6),
                          std::chrono::seconds(3), nullptr);
    });
    // Wait (bounded) until the first connection is counted.
    for (int i = 0; i < 200 && p.shared->counters().connections_active.load() < 1; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    auto t = time_until_closed(p.sni(), "", std::chrono::seconds(3), nullptr);
    EXPECT_LT(t, std::chrono::milliseconds(1000));
    holder.join();
    EXPECT_GE(p.shared->counters().refused_limit.load(), 1u);
}

}  // namespace
}  // namespace consolegate::proxy

namespace consolegate::proxy {
namespace {

// Stands in for the c-ares resolver: fixed answers, so the destination rules are checked on
// what a resolver returns rather than on the name.
class fixed_resolver : public net::host_resolver {
  public:
    boost::asio::awaitable<net::resolve_result> resolve(std::string host) override {
        net::resolve_result r;
        if (host == "resolved.example.org") {
            r.addresses.push_back(boost::asio::ip::make_address("127.0.0.1"));
        } else if (host == "internal.example.org") {
            r.addresses.push_back(boost::asio::ip::make_address("10.9.8.7"));
        } else {
            r.error = boost::asio::error::host_not_found;
        }
        co_return r;
    }
};

TEST_F(proxy_service, resolved_addresses_are_checked_against_the_destination_rules) {
    auto o = base_config();
    o->proxy.connect_ports.push_back(other_origin->port());
    boost::asio::io_context ioc;
    shared_state shared(o);
    service svc(ioc, shared, test::allow_every_request, std::make_shared<fixed_resolver>());
    svc.start();
    std::thread t([&] { ioc.run(); });
    auto proxy = " -x http://127.0.0.1:" + std::to_string(svc.bound_connect_ports().at(0));
    auto port = std::to_string(other_origin->port());
    auto ok = run("curl -sS --max-time 10 -k" + proxy + " https://resolved.example.org:" + port +
                  "/via-resolver");
    EXPECT_NE(ok.out.find("target=/via-resolver"), std::string::npos) << ok.out;
    auto internal = run("curl -sS --max-time 10 -k -o /dev/null -w '%{http_code}' -p" + proxy +
                        " https://internal.example.org:" + port + "/");
    EXPECT_NE(internal.out.find("403"), std::string::npos) << internal.out;
    auto unknown = run("curl -sS --max-time 10 -k -o /dev/null -w '%{http_code}' -p" + proxy +
                       " https://unknown.example.org:" + port + "/");
    EXPECT_NE(unknown.out.find("502"), std::string::npos) << unknown.out;
    svc.stop();
    ioc.stop();
    t.join();
    EXPECT_EQ(shared.counters().refused_destination.load(), 1u);
}

TEST_F(proxy_service, a_service_without_an_inspector_cannot_be_built) {
    auto o = base_config();
    boost::asio::io_context ioc;
    shared_state shared(o);
    EXPECT_THROW(service(ioc, shared, inspector{}, nullptr), std::invalid_argument);
}

TEST_F(proxy_service, a_request_the_inspector_leaves_unjudged_is_denied) {
    running_proxy p(base_config(), [](const core::http_request_view&) { return verdict{}; });
    auto r = run(curl_connect(p, "https://signin.aws.amazon.com/anything",
                              "-H 'Accept: application/json' -w ' %{http_code}'"));
    EXPECT_NE(r.out.find("\"reason_code\":\"no-verdict\""), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(" 403"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("target=/anything"), std::string::npos) << r.out;
}

// What a response observer saw, copied out of the views (valid only for the call).
struct observed {
    std::string host, target, cookie;
    unsigned status = 0;
    std::vector<std::string> set_cookies;
    std::string body;
    bool body_complete = false;
};

TEST_F(proxy_service, the_response_observer_sees_each_answer_with_its_request) {
    std::mutex mu;
    std::vector<observed> seen;
    auto observe = [&](const core::http_request_view& req,
                       const response_view& resp) -> std::optional<verdict> {
        observed o{std::string(req.host), std::string(req.target), {}, resp.status, {}, {}, {}};
        for (const auto& [n, v] : req.headers) {
            if (n == "Cookie") o.cookie = v;
        }
        for (const auto& [n, v] : resp.headers) {
            if (n == "Set-Cookie") o.set_cookies.emplace_back(v);
        }
        o.body = resp.body;
        o.body_complete = resp.body_complete;
        std::lock_guard lock(mu);
        seen.push_back(std::move(o));
        return std::nullopt;
    };
    running_proxy p(base_config(), test::allow_every_request, observe);
    auto r = run(curl_connect(p, "https://signin.aws.amazon.com/oauth?code=1",
                              "-H 'Cookie: JSESSIONID=abc' -H 'X-Set-Cookie: aws-creds=A1; Secure' "
                              "-H 'X-Set-Cookie: aws-userInfo=%7B%7D' -D -"));
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("Set-Cookie: aws-creds=A1; Secure"), std::string::npos) << r.out;
    auto large = run(curl_connect(p, "https://signin.aws.amazon.com/large", "-o /dev/null"));
    ASSERT_EQ(large.status, 0) << large.out;
    std::lock_guard lock(mu);
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[0].host, "signin.aws.amazon.com");
    EXPECT_EQ(seen[0].target, "/oauth?code=1");
    EXPECT_EQ(seen[0].cookie, "JSESSIONID=abc");
    EXPECT_EQ(seen[0].status, 200u);
    EXPECT_EQ(seen[0].set_cookies,
              (std::vector<std::string>{"aws-creds=A1; Secure", "aws-userInfo=%7B%7D"}));
    EXPECT_TRUE(seen[0].body_complete);
    EXPECT_NE(seen[0].body.find("target=/oauth?code=1"), std::string::npos) << seen[0].body;
    // A body over what the proxy buffers streams past the observer: the head only.
    EXPECT_EQ(seen[1].target, "/large");
    EXPECT_FALSE(seen[1].body_complete);
    EXPECT_TRUE(seen[1].body.empty());
}

TEST_F(proxy_service, a_throwing_response_observer_leaves_the_response_intact) {
    running_proxy p(
        base_config(), test::allow_every_request,
        [](const core::http_request_view&, const response_view&) -> std::optional<verdict> {
            throw std::runtime_error("observer failed");
        });
    auto r = run(curl_connect(p, "https://signin.aws.amazon.com/oauth"));
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("target=/oauth"), std::string::npos) << r.out;
}

// Issue 20: an observer's deny replaces the origin's answer (its Set-Cookie too) with the block
// page, for a buffered body and for one that streams; the connection serves on.
TEST_F(proxy_service, a_response_observer_deny_replaces_the_answer_with_the_block_page) {
    auto observe = [](const core::http_request_view& req,
                      const response_view&) -> std::optional<verdict> {
        if (req.target.find("refuse") == std::string_view::npos) return std::nullopt;
        verdict v;
        v.basis = verdict_basis::policy;
        v.why = core::reason::rule_deny;
        v.flow = core::sign_in_flow::root;
        v.account = core::account_id::parse("444455556666");
        v.expire_console_cookies = true;
        return v;
    };
    running_proxy p(base_config(), test::allow_every_request, observe);
    // Both requests ask the origin for the cookie (curl sends its -H to every URL): only the
    // answer that was let through carries it.
    auto r = run(curl_connect(p, "https://signin.aws.amazon.com/refuse",
                              "-H 'X-Set-Cookie: aws-creds=SECRET-SESSION-COOKIE' -D - "
                              "https://signin.aws.amazon.com/after"));
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find(" 403"), std::string::npos) << r.out;
    auto first = r.out.find("SECRET-SESSION-COOKIE");
    ASSERT_NE(first, std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("SECRET-SESSION-COOKIE", first + 1), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("target=/refuse"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("444455556666"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Set-Cookie: aws-userInfo=; Path=/; Max-Age=0"), std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("target=/after"), std::string::npos) << r.out;  // served on
    // A body the proxy does not buffer: refused at its head, the origin's bytes never follow.
    auto large = run(curl_connect(p, "https://signin.aws.amazon.com/large-refuse",
                                  "-D - https://signin.aws.amazon.com/after2"));
    ASSERT_EQ(large.status, 0) << large.out;
    EXPECT_NE(large.out.find(" 403"), std::string::npos) << large.out;
    EXPECT_NE(large.out.find("target=/after2"), std::string::npos) << large.out;
}

// A resolver as lenient as some stub resolvers: "signin.aws.amazon.com.." resolves like the name
// itself, so a proxy that let it through would reach the origin.
class lenient_resolver : public net::host_resolver {
  public:
    boost::asio::awaitable<net::resolve_result> resolve(std::string host) override {
        net::resolve_result r;
        if (host.starts_with("signin.aws.amazon.com")) {
            r.addresses.push_back(boost::asio::ip::make_address("127.0.0.1"));
        } else {
            r.error = boost::asio::error::host_not_found;
        }
        co_return r;
    }
};

// Issue 17, class 1: a name that is not a host (two trailing dots) is refused on every path,
// never spliced or forwarded around inspection.
TEST_F(proxy_service, names_that_are_not_hosts_are_refused_on_every_path) {
    auto o = base_config();
    o->proxy.connect_ports = {443, signin_origin->port(), plain_origin->port()};
    boost::asio::io_context ioc;
    shared_state shared(o);
    service svc(ioc, shared, test::allow_every_request, std::make_shared<lenient_resolver>());
    svc.start();
    std::thread t([&] { ioc.run(); });
    const auto connect_port = svc.bound_connect_ports().at(0);
    const auto sni_port = svc.bound_sni_ports().at(0);
    for (const char* name : {"signin.aws.amazon.com..", "signin..aws.amazon.com"}) {
        std::string got;
        time_until_closed(connect_port,
                          "CONNECT " + std::string(name) + ":" +
                              std::to_string(signin_origin->port()) + " HTTP/1.1\r\nHost: " + name +
                              "\r\n\r\n",
                          std::chrono::seconds(5), &got);
        EXPECT_TRUE(got.starts_with("HTTP/1.1 400")) << name << ": " << got;
        got.clear();
        time_until_closed(connect_port,
                          "GET http://" + std::string(name) + ":" +
                              std::to_string(plain_origin->port()) +
                              "/x HTTP/1.1\r\nHost: " + name + "\r\n\r\n",
                          std::chrono::seconds(5), &got);
        EXPECT_TRUE(got.starts_with("HTTP/1.1 400")) << name << ": " << got;
        EXPECT_EQ(got.find("target=/x"), std::string::npos) << got;
        auto sni = run("sh -c \"openssl s_client -connect 127.0.0.1:" + std::to_string(sni_port) +
                       " -servername " + name + " </dev/null\"");
        EXPECT_NE(sni.out.find("handshake failure"), std::string::npos) << name << ": " << sni.out;
    }
    svc.stop();
    ioc.stop();
    t.join();
    EXPECT_EQ(shared.counters().bad_client_hello.load(), 2u);
    EXPECT_EQ(shared.counters().spliced.load(), 0u);
    EXPECT_EQ(shared.counters().bumped.load(), 0u);
    EXPECT_EQ(shared.counters().upstream_connect_failures.load(), 0u);
}

// Who is behind a connection (identification.hpp): the CONNECT's trusted header, else the
// address; a request's own header for that request; the header never reaches the origin.
TEST_F(proxy_service, identities_ride_on_every_request_view_and_the_user_header_is_stripped) {
    std::mutex mu;
    std::vector<std::string> seen;  // "user/source" per judged request, "-" when none
    auto judge = [&](const core::http_request_view& r) {
        std::lock_guard lock(mu);
        seen.push_back(r.corp ? r.corp->user + "/" + std::string(core::to_string(r.corp->source))
                              : std::string("-"));
        return test::allow_every_request(r);
    };
    auto make = [](std::string user, core::corp_source source) {
        auto id = std::make_shared<core::corp_identity>();
        id->user = std::move(user);
        id->source = source;
        return shared_identity(id);
    };
    identification who;
    who.header = "X-Authenticated-User";
    who.by_address = [&](const core::ip_address& client) {
        return client.str() == "127.0.0.1" ? make("mapped", core::corp_source::address_map)
                                           : nullptr;
    };
    who.by_header = [&](const core::ip_address&, std::span<const std::string_view> values) {
        // The proxy hands every value over; a real hook refuses several (identity/).
        return values.size() == 1 && values[0] != "nobody"
                   ? make(std::string(values[0]), core::corp_source::header)
                   : nullptr;
    };
    running_proxy p(base_config(), judge, {}, who);
    auto on_connect = run(curl_connect(p, "https://signin.aws.amazon.com/a",
                                       "--proxy-header 'X-Authenticated-User: alice'"));
    auto by_address = run(curl_connect(p, "https://signin.aws.amazon.com/b"));
    auto in_request =
        run(curl_connect(p, "https://signin.aws.amazon.com/c", "-H 'X-Authenticated-User: bob'"));
    auto refused = run(
        curl_connect(p, "https://signin.aws.amazon.com/d", "-H 'X-Authenticated-User: nobody'"));
    auto via_sni =
        run("curl -sS --max-time 10 --cacert " + pki->corp_cert +
            " --connect-to signin.aws.amazon.com:443:127.0.0.1:" + std::to_string(p.sni()) +
            " -H 'X-Authenticated-User: carol' https://signin.aws.amazon.com/e");
    for (const auto* r : {&on_connect, &by_address, &in_request, &refused, &via_sni}) {
        ASSERT_EQ(r->status, 0) << r->out;
        EXPECT_NE(r->out.find("target=/"), std::string::npos) << r->out;
        EXPECT_EQ(r->out.find("leaked=X-Authenticated-User"), std::string::npos) << r->out;
    }
    std::lock_guard lock(mu);
    // On the SNI listener the header is the client's own word (a relay in the trusted networks
    // in front of :443 forwards clients' TLS): carol is nobody there, the address map stands.
    EXPECT_EQ(seen, (std::vector<std::string>{"alice/header", "mapped/address-map", "bob/header",
                                              "mapped/address-map", "mapped/address-map"}));
    // Counted where it is stripped unread (the SNI listener), not where it is read.
    EXPECT_EQ(p.shared->counters().user_header_ignored.load(), 1u);
}

// HTTP/2 on the SNI listener takes the same path: the header is the client's own word there,
// stripped unread, and the address map stands.
TEST_F(proxy_service, the_user_header_names_nobody_on_the_sni_listener_over_http2_either) {
    auto o = base_config();
    o->proxy.http2 = true;
    std::mutex mu;
    std::vector<std::string> seen;
    auto judge = [&](const core::http_request_view& r) {
        std::lock_guard lock(mu);
        seen.push_back(r.corp ? r.corp->user : std::string("-"));
        return test::allow_every_request(r);
    };
    identification who;
    who.header = "X-Authenticated-User";
    who.by_address = [](const core::ip_address&) {
        auto id = std::make_shared<core::corp_identity>();
        id->user = "mapped";
        id->source = core::corp_source::address_map;
        return shared_identity(id);
    };
    who.by_header = [](const core::ip_address&, std::span<const std::string_view> values) {
        auto id = std::make_shared<core::corp_identity>();
        id->user = std::string(values.front());
        id->source = core::corp_source::header;
        return shared_identity(id);
    };
    running_proxy p(o, judge, {}, who);
    auto r =
        run("curl -sS --http2 --max-time 10 -w '\\n%{http_version}' --cacert " + pki->corp_cert +
            " --connect-to signin.aws.amazon.com:443:127.0.0.1:" + std::to_string(p.sni()) +
            " -H 'X-Authenticated-User: carol' https://signin.aws.amazon.com/h2");
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_TRUE(r.out.ends_with("\n2")) << r.out;
    EXPECT_NE(r.out.find("target=/h2"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("leaked=X-Authenticated-User"), std::string::npos) << r.out;
    std::lock_guard lock(mu);
    EXPECT_EQ(seen, std::vector<std::string>{"mapped"});
    EXPECT_EQ(p.shared->counters().user_header_ignored.load(), 1u);
}

// The user header is believed from a request's head alone: a trusted proxy in front sets or
// strips it there, and passes a chunked body's trailers on untouched. A trailer of that name
// (any spelling) is dropped unread, never an identity, never forwarded. Inside a CONNECT tunnel
// that named nobody: the only place a request's own header is believed.
TEST_F(proxy_service, the_user_header_is_never_believed_from_a_chunked_trailer) {
    std::mutex mu;
    std::vector<std::string> seen;  // the judged request's user, "-" when none
    auto judge = [&](const core::http_request_view& r) {
        std::lock_guard lock(mu);
        seen.push_back(r.corp ? r.corp->user : std::string("-"));
        return test::allow_every_request(r);
    };
    identification who;
    who.header = "X-Authenticated-User";
    who.by_header = [](const core::ip_address&, std::span<const std::string_view> values) {
        auto id = std::make_shared<core::corp_identity>();
        id->user.clear();
        for (auto v : values) id->user.append(v).append(values.size() > 1 ? "+" : "");
        id->source = core::corp_source::header;
        return shared_identity(id);
    };
    running_proxy p(base_config(), judge, {}, who);
    const std::string body = "account=111122223333";
    for (const char* head : {"", "X-Authenticated-User: alice\r\n"}) {
        tls_client c(p.connect(), pki->corp_cert, "signin.aws.amazon.com", true);
        char size[16];
        std::snprintf(size, sizeof size, "%zx", body.size());
        c.send(std::string("POST /authenticate HTTP/1.1\r\nHost: signin.aws.amazon.com\r\n") +
               head + "Transfer-Encoding: chunked\r\n\r\n" + size + "\r\n" + body +
               "\r\n0\r\nX-Authenticated-User: mallory\r\nX_authenticated_user: eve\r\n\r\n");
        auto r = c.read_until("framing=");
        EXPECT_NE(r.find("target=/authenticate\n"), std::string::npos) << r;
        EXPECT_EQ(r.find("leaked=X-Authenticated-User"), std::string::npos) << r;
    }
    std::lock_guard lock(mu);
    EXPECT_EQ(seen, (std::vector<std::string>{"-", "alice"}));
}

TEST_F(proxy_service, the_user_header_is_stripped_from_plain_http_too) {
    identification who;
    who.header = "X-Authenticated-User";
    running_proxy p(base_config(), test::allow_every_request, {}, who);
    auto r = run("curl -sS --max-time 10 -x http://127.0.0.1:" + std::to_string(p.connect()) +
                 " -H 'X-Authenticated-User: alice' http://plain.example.org/p");
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("target=/p"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("leaked=X-Authenticated-User"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace consolegate::proxy

namespace consolegate::proxy {
namespace {

// Kerberos on the CONNECT listener (identification.hpp negotiate): a 407 with
// `Proxy-Authenticate: Negotiate` keeps the connection, so the client's next attempt comes on
// it; after max_challenges (3) 407s the connection closes. The credential never reaches anyone.
TEST_F(proxy_service, negotiate_challenges_on_the_connection_until_a_token_is_accepted) {
    std::mutex mu;
    std::vector<std::string> offered;
    identification who;
    who.negotiate = [&](const core::ip_address&, std::span<const std::string_view> values) {
        std::lock_guard lock(mu);
        offered.push_back(values.empty() ? "-" : std::string(values[0]));
        identification::negotiate_answer a;
        if (values.size() == 1 && values[0] == "Negotiate Z29vZA==") {
            auto id = std::make_shared<core::corp_identity>();
            id->user = "alice@CORP.EXAMPLE";
            id->source = core::corp_source::kerberos;
            a.who = id;
        } else {
            a.challenge = true;
            a.refused = !values.empty();
        }
        return a;
    };
    running_proxy p(base_config(), test::allow_every_request, {}, who);
    const std::string connect =
        "CONNECT signin.aws.amazon.com:443 HTTP/1.1\r\n"
        "Host: signin.aws.amazon.com:443\r\n";
    std::string got;
    time_until_closed(p.connect(),
                      connect + "\r\n" + connect + "Proxy-Authorization: Negotiate YmFk\r\n\r\n" +
                          connect + "Proxy-Authorization: Negotiate Z29vZA==\r\n\r\n",
                      std::chrono::milliseconds(1500), &got);
    auto first = got.find("HTTP/1.1 407 Proxy Authentication Required\r\n");
    ASSERT_NE(first, std::string::npos) << got;
    auto second = got.find("HTTP/1.1 407", first + 1);
    ASSERT_NE(second, std::string::npos) << got;
    EXPECT_NE(got.find("Proxy-Authenticate: Negotiate\r\n"), std::string::npos) << got;
    EXPECT_NE(got.find("Connection: keep-alive\r\n"), std::string::npos) << got;
    EXPECT_NE(got.find("HTTP/1.1 200 Connection established", second), std::string::npos) << got;
    {
        std::lock_guard lock(mu);
        EXPECT_EQ(offered, (std::vector<std::string>{"-", "Negotiate YmFk", "Negotiate Z29vZA=="}));
    }

    // Three refused attempts: the third 407 closes the connection.
    got.clear();
    auto took = time_until_closed(
        p.connect(), connect + "\r\n" + connect + "\r\n" + connect + "\r\n" + connect + "\r\n",
        std::chrono::milliseconds(5000), &got);
    EXPECT_LT(took, std::chrono::milliseconds(4000)) << got;
    std::size_t n = 0;
    for (auto at = got.find("HTTP/1.1 407"); at != std::string::npos;
         at = got.find("HTTP/1.1 407", at + 1)) {
        ++n;
    }
    EXPECT_EQ(n, 3u) << got;
    EXPECT_NE(got.find("Connection: close\r\n"), std::string::npos) << got;
    EXPECT_EQ(got.find("200 Connection established"), std::string::npos) << got;
}

// RFC 9112 §3.2: servers differ in which of two Host fields they read, so such a request is never
// forwarded, whatever the inspector said (the gateway's denies it as unparsable; this one allows
// everything): 400 after judgement, nothing at the origin. Absolute-form replaces every Host
// with its authority, so one goes on.
TEST_F(proxy_service, a_request_with_two_hosts_is_never_forwarded) {
    running_proxy p(base_config(), test::allow_every_request);
    for (const char* second : {"signin.aws.amazon.com", "console.aws.amazon.com"}) {
        tls_client c(p.sni(), pki->corp_cert, "signin.aws.amazon.com");
        c.send(std::string("GET /two-hosts HTTP/1.1\r\nHost: signin.aws.amazon.com\r\nHost: ") +
               second + "\r\n\r\n");
        auto r = c.read_until("\n\n");
        EXPECT_TRUE(r.starts_with("HTTP/1.1 400")) << second << r;
        EXPECT_EQ(r.find("target=/two-hosts"), std::string::npos) << second << r;
    }
    tls_client c(p.sni(), pki->corp_cert, "signin.aws.amazon.com");
    c.send(
        "GET https://signin.aws.amazon.com/one-host HTTP/1.1\r\nHost: a.example\r\n"
        "Host: b.example\r\nConnection: close\r\n\r\n");
    auto r = c.read_until("via=");
    EXPECT_NE(r.find("host=signin.aws.amazon.com\n"), std::string::npos) << r;
    EXPECT_EQ(p.shared->counters().bad_requests.load(), 2u);
}

// HAProxy as the origin: a parser that is not Beast reads what the proxy forwards, and answers
// what it read (one line: method, target, Host and how many, Content-Length and how many, any
// Transfer-Encoding, a folded field, the body). Its listening socket is made here on port 0 and
// handed over as fd 3 (`bind fd@3`), so no port is guessed.
struct haproxy_origin {
    pid_t pid = -1;
    std::uint16_t port = 0;

    haproxy_origin(const std::string& dir, const std::pair<std::string, std::string>& leaf) {
        const std::string pem = dir + "/haproxy.pem", cfg = dir + "/haproxy.cfg";
        {
            std::ofstream out(pem);
            out << std::ifstream(leaf.first).rdbuf() << std::ifstream(leaf.second).rdbuf();
        }
        std::ofstream(cfg)
            << "defaults\n  mode http\n  timeout client 5s\n  timeout server 5s\n"
               "  timeout connect 1s\nfrontend origin\n  bind fd@3 ssl crt "
            << pem
            << "\n  option http-buffer-request\n"
               "  http-request return status 200 content-type text/plain lf-string \""
               "method=%[method] target=%[url] host=%[req.hdr(host)] hosts=%[req.hdr_cnt(host)] "
               "lengths=%[req.hdr_cnt(content-length)] length=%[req.hdr(content-length)] "
               "te=%[req.hdr_cnt(transfer-encoding)] folded=%[req.hdr(x-folded)] "
               "body=%[req.body] end\"\n";
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
            ::listen(fd, 16) != 0 || ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
            throw std::runtime_error("haproxy_origin: listening socket");
        port = ntohs(a.sin_port);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, fd, 3);
        std::string bin = "haproxy", f = "-f", db = "-db";
        char* argv[] = {bin.data(), f.data(), const_cast<char*>(cfg.c_str()), db.data(), nullptr};
        if (::posix_spawnp(&pid, "haproxy", &fa, nullptr, argv, environ) != 0) pid = -1;
        posix_spawn_file_actions_destroy(&fa);
        ::close(fd);
        if (pid < 0) throw std::runtime_error("haproxy_origin: cannot start haproxy");
    }
    ~haproxy_origin() {
        ::kill(pid, SIGTERM);
        ::waitpid(pid, nullptr, 0);
    }
};

// What reaches an origin is the request as the inspector read it, written out again: shapes with
// one reading (RFC 9112 allows each) arrive at HAProxy as one Host, one Content-Length that is
// the body's length, no Transfer-Encoding, the folded field as one line, the body de-chunked.
TEST_F(proxy_service, another_parser_at_the_origin_reads_the_request_as_judged) {
    auto cfg = base_config();
    haproxy_origin hap(pki->dir, pki->origin_leaf("signin.aws.amazon.com", "haproxy"));
    for (auto& ov : cfg->proxy.upstream_overrides) {
        if (ov.host == "signin.aws.amazon.com") ov.address = loopback(hap.port);
    }
    std::mutex m;
    std::vector<std::string> judged;  // "target|body" as the inspector read it
    auto record = [&](const core::http_request_view& r) {
        std::lock_guard lock(m);
        judged.push_back(std::string(r.target) + "|" + std::string(r.body));
        return test::allow_every_request(r);
    };
    running_proxy p(cfg, record);
    const std::string body = "account=111122223333&roleName=Dev";
    const std::string head =
        "POST /switchrole HTTP/1.1\r\nHost: signin.aws.amazon.com\r\nConnection: close\r\n";
    char size[8];
    std::snprintf(size, sizeof size, "%zx", body.size());
    const std::string n = std::to_string(body.size());
    for (const auto& [name, request] : std::vector<std::pair<std::string, std::string>>{
             {"leading zeros", head + "Content-Length: 000" + n + "\r\n\r\n" + body},
             {"chunked with extensions and zeros", head + "Transfer-Encoding: chunked\r\n\r\n000" +
                                                       size + ";a=\"b c\"\r\n" + body +
                                                       "\r\n0;last\r\n\r\n"},
             {"chunked with whitespace", head + "Transfer-Encoding:  chunked \t\r\n\r\n" + size +
                                             "\r\n" + body + "\r\n0\r\n\r\n"},
             {"obs-fold", head + "X-Folded: a\r\n b\r\nContent-Length: " + n + "\r\n\r\n" + body},
             {"absolute-form",
              "POST https://signin.aws.amazon.com/switchrole HTTP/1.1\r\nHost: x.example\r\n"
              "Connection: close\r\nContent-Length: " +
                  n + "\r\n\r\n" + body},
             {"Host with the connection's port",
              "POST /switchrole HTTP/1.1\r\nHost: signin.aws.amazon.com:443\r\n"
              "Connection: close\r\nContent-Length: " +
                  n + "\r\n\r\n" + body},
         }) {
        tls_client c(p.sni(), pki->corp_cert, "signin.aws.amazon.com");
        c.send(request);
        auto r = c.read_until(" end");
        EXPECT_TRUE(r.starts_with("HTTP/1.1 200")) << name << r;
        EXPECT_NE(r.find("method=POST target=/switchrole host=signin.aws.amazon.com"),
                  std::string::npos)
            << name << r;
        EXPECT_NE(r.find(" hosts=1 lengths=1 length=" + n + " te=0 "), std::string::npos)
            << name << r;
        EXPECT_NE(r.find(" body=" + body + " end"), std::string::npos) << name << r;
        if (name == "obs-fold") {
            EXPECT_NE(r.find(" folded=a b "), std::string::npos) << r;
        }
    }
    std::lock_guard lock(m);
    EXPECT_EQ(judged, std::vector<std::string>(6, "/switchrole|" + body));
}

}  // namespace
}  // namespace consolegate::proxy
