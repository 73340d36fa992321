// The regional names behind inspect_hosts' wildcard patterns (proxy/regional_names.hpp) against a
// real name server: nsd, started here, serves a regional sign-in front end that no request ever
// names. A connection by address to it, or by a name the proxy does not know that resolves
// there, is refused or bumped and judged, never spliced. Every wait is bounded (curl under
// `timeout`, the proxy's warm-up by the resolver's timeout).
#include <gtest/gtest.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "consolegate/net/cares_resolver.hpp"
#include "consolegate/proxy/service.hpp"
#include "harness.hpp"
#include "https_origin.hpp"

namespace consolegate::proxy {
namespace {

namespace t = dns::test;

std::string run(const std::string& cmd) {
    std::string out;
    FILE* p = ::popen(("timeout 20 " + cmd + " 2>&1").c_str(), "r");
    if (!p) return out;
    std::array<char, 4096> buf;
    std::size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
    ::pclose(p);
    return out;
}

// "the internet" for the proxy's resolver: sign-in at 127.0.0.1, a regional sign-in front end
// (eu-south-2) at 127.0.0.77 where nothing listens, and a name nobody inspects at that address.
// The China names of the test's inspect_hosts are in no zone nsd serves: it refuses them.
const std::string zone =
    "$ORIGIN aws.amazon.com.\n$TTL 300\n"
    "@ IN SOA ns.aws.amazon.com. hostmaster.aws.amazon.com. 1 3600 600 86400 300\n"
    "@ IN NS ns\nns IN A 127.0.0.1\n"
    "signin IN A 127.0.0.1\n"
    "eu-south-2.signin IN A 127.0.0.77\n"
    "frontdoor IN A 127.0.0.77\n";

struct judged_hosts {
    std::mutex mu;
    std::vector<std::string> hosts;
    std::vector<std::string> refusals;  // "reason host"
};

class regional_watch : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        pki = std::make_unique<test::test_pki>(std::string(CG_BINARY_DIR) + "/regional-pki-" +
                                               std::to_string(::getpid()));
    }
    static void TearDownTestSuite() {
        std::filesystem::remove_all(pki->dir);
        pki.reset();
    }

    std::shared_ptr<core::config> config(std::uint16_t dns_port) {
        auto cfg = std::make_shared<core::config>();
        auto& o = cfg->proxy;
        const auto lo = *core::ip_address::parse("127.0.0.1");
        o.sni_listen = {{lo, 0}};
        o.connect_listen = {{lo, 0}};
        o.allow_clients = {*core::cidr::parse("127.0.0.0/8")};
        o.allow_destinations = {*core::cidr::parse("127.0.0.0/8")};
        o.inspect_hosts = {"signin.aws.amazon.com", "*.signin.aws.amazon.com",
                           "*.console.amazonaws.cn"};
        o.upstream_resolvers = {{lo, dns_port}};
        o.handshake_timeout = std::chrono::seconds(5);
        o.upstream_timeout = std::chrono::seconds(5);
        cfg->ca.cert = pki->corp_cert;
        cfg->ca.key = pki->corp_key;
        return cfg;
    }

    // Denies every request, noting its Host: the block page says it was judged.
    inspector recording_deny() {
        return [this](const core::http_request_view& r) {
            std::lock_guard lock(judged.mu);
            judged.hosts.emplace_back(r.host);
            verdict v;
            v.basis = verdict_basis::policy;
            v.event_id = "evt-regional";
            return v;
        };
    }

    // Notes each refusal as "reason host": what the record gets (app/refusal_record.hpp).
    refusal_observer recording_refusals() {
        return [this](const refusal_view& r) {
            std::lock_guard lock(judged.mu);
            judged.refusals.push_back(std::string(r.reason.str()) + " " + std::string(r.host));
        };
    }

    static inline std::unique_ptr<test::test_pki> pki;
    judged_hosts judged;
};

std::shared_ptr<net::host_resolver> resolver_for(boost::asio::io_context& ioc, std::uint16_t port) {
    net::cares_options co;
    co.servers = {{*core::ip_address::parse("127.0.0.1"), port}};
    co.timeout = std::chrono::milliseconds(500);
    co.tries = 1;
    return net::make_cares_host_resolver(ioc, co);
}

TEST_F(regional_watch, an_unused_regional_sign_in_front_end_is_never_spliced) {
    t::nsd_server nsd{"aws.amazon.com", zone};
    // Rounds of 5 names: the first round walks the whole list all the same.
    auto cfg = config(nsd.port());
    cfg->proxy.regional_names_per_round = 5;
    boost::asio::io_context ioc;
    shared_state shared(cfg);
    service svc(ioc, shared, recording_deny(), resolver_for(ioc, nsd.port()), {},
                recording_refusals());
    svc.start();
    std::thread th([&] { ioc.run(); });
    const auto proxy = " -x http://127.0.0.1:" + std::to_string(svc.bound_connect_ports().at(0));

    // By address: no name to judge by, so refused; spliced it would be a 502 (nothing listens).
    auto by_ip = run("curl -sS --max-time 10 -k -o /dev/null -w '%{http_code}' -p" + proxy +
                     " https://127.0.0.77/");
    EXPECT_NE(by_ip.find("403"), std::string::npos) << by_ip;
    // IPv4-mapped, the same address.
    auto mapped = run("curl -sS --max-time 10 -k -o /dev/null -w '%{http_code}' -p" + proxy +
                      " 'https://[::ffff:127.0.0.77]/'");
    EXPECT_NE(mapped.find("403"), std::string::npos) << mapped;
    // A name nobody inspects that resolves there: bumped under its own name and judged.
    auto named = run("curl -sS --max-time 10 --cacert " + pki->corp_cert +
                     " -o /dev/null -w '%{http_code}'" + proxy +
                     " https://frontdoor.aws.amazon.com/console");
    EXPECT_EQ(named, "403");

    svc.stop();
    ioc.stop();
    th.join();
    {
        std::lock_guard lock(judged.mu);
        EXPECT_EQ(judged.hosts, (std::vector<std::string>{"frontdoor.aws.amazon.com"}));
        EXPECT_EQ(judged.refusals,
                  (std::vector<std::string>{"inspected-address-literal 127.0.0.77",
                                            "inspected-address-literal ::ffff:127.0.0.77"}));
    }
    const auto& c = shared.counters();
    EXPECT_EQ(c.bumped_by_address.load(), 1u);
    // *.signin.aws.amazon.com over the commercial Regions, all answered (NXDOMAIN but one);
    // *.console.amazonaws.cn over China's two, which nsd refuses: counted, and they do not make
    // the literal names' addresses unknown (the by-address answers above were 403, not 502).
    EXPECT_EQ(c.regional_names_unresolved.load(), 2u);
    EXPECT_GE(c.regional_names_resolved.load(), 30u);
    EXPECT_EQ(c.addresses_unknown.load(), 0u);
}

TEST_F(regional_watch, with_no_regional_names_per_round_only_used_names_get_in) {
    t::nsd_server nsd{"aws.amazon.com", zone};
    auto cfg = config(nsd.port());
    cfg->proxy.regional_names_per_round = 0;
    boost::asio::io_context ioc;
    shared_state shared(cfg);
    service svc(ioc, shared, recording_deny(), resolver_for(ioc, nsd.port()));
    svc.start();
    std::thread th([&] { ioc.run(); });
    const auto proxy = " -x http://127.0.0.1:" + std::to_string(svc.bound_connect_ports().at(0));
    // The key does what it says: the regional front end is not watched, so the tunnel by
    // address is opened and spliced after the ClientHello, which fails (nothing listens at
    // 127.0.0.77: the internal_error alert of docs/proxy.md) where the watched one was a 403.
    auto by_ip = run("curl -sS --max-time 10 -k -o /dev/null -w '%{http_code}' -p" + proxy +
                     " https://127.0.0.77/");
    EXPECT_NE(by_ip.find("alert internal error"), std::string::npos) << by_ip;
    EXPECT_EQ(by_ip.find("403"), std::string::npos) << by_ip;
    svc.stop();
    ioc.stop();
    th.join();
    EXPECT_EQ(shared.counters().regional_names_resolved.load(), 0u);
}

TEST_F(regional_watch, a_full_address_set_is_counted_and_shown) {
    // Twenty regional front ends with an address each, into a set of sixteen.
    std::string z = zone;
    const char* regions[] = {"us-east-1",      "us-east-2",      "us-west-1",      "us-west-2",
                             "af-south-1",     "ap-east-1",      "ap-south-1",     "ap-south-2",
                             "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-northeast-1",
                             "ap-northeast-2", "ca-central-1",   "eu-central-1",   "eu-west-1",
                             "eu-west-2",      "eu-west-3",      "eu-north-1",     "sa-east-1"};
    int i = 1;
    for (const char* r : regions) {
        z += std::string(r) + ".signin IN A 127.0.1." + std::to_string(i++) + "\n";
    }
    t::nsd_server nsd{"aws.amazon.com", z};
    auto cfg = config(nsd.port());
    cfg->proxy.inspected_address_limit = 16;
    boost::asio::io_context ioc;
    shared_state shared(cfg);
    service svc(ioc, shared, recording_deny(), resolver_for(ioc, nsd.port()));
    svc.start();
    std::thread th([&] { ioc.run(); });
    // A CONNECT by address waits for the first round.
    run("curl -sS --max-time 10 -k -o /dev/null -p -x http://127.0.0.1:" +
        std::to_string(svc.bound_connect_ports().at(0)) + " https://127.0.0.99/");
    std::string text;
    write_prometheus(text, shared.counters());
    svc.stop();
    ioc.stop();
    th.join();
    const auto& c = shared.counters();
    EXPECT_EQ(c.inspected_addresses.load(), 16u);
    EXPECT_GE(c.inspected_address_evictions.load(), 6u);  // 22 addresses, 16 places
    EXPECT_NE(text.find("consolegate_proxy_inspected_address_evictions_total "), std::string::npos)
        << text;
}

}  // namespace
}  // namespace consolegate::proxy
