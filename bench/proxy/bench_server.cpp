// Drives the proxy service for bench/proxy/run.sh until the `consolegate run` wiring exists.
//   proxy_bench_server pki DIR
//   proxy_bench_server run DIR SNI_PORT CONNECT_PORT ORIGIN_PORT [THREADS]
// `run` inspects signin.aws.amazon.com (override → 127.0.0.1:ORIGIN_PORT, origin CA trusted) and
// splices www.example.org (override → 127.0.0.1:ORIGIN_PORT+1). SIGTERM/SIGINT: drain and exit.
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "allow_every_request.hpp"
#include "consolegate/proxy/service.hpp"
#include "https_origin.hpp"

using namespace consolegate;

int main(int argc, char** argv) {
    if (argc >= 3 && std::string(argv[1]) == "pki") {
        test::test_pki pki(argv[2]);
        pki.origin_leaf("signin.aws.amazon.com", "signin");
        pki.origin_leaf("www.example.org", "other");
        pki.corp_leaf("signin.aws.amazon.com");
        pki.origin_leaf("127.0.0.1", "origin-ip");  // for peers that verify the origin by IP
        std::printf("%s\n", pki.dir.c_str());
        return 0;
    }
    if (argc < 6 || std::string(argv[1]) != "run") {
        std::fprintf(stderr, "usage: %s pki DIR | run DIR SNI CONNECT ORIGIN [THREADS]\n", argv[0]);
        return 2;
    }
    std::string dir = argv[2];
    auto port = [](const char* s) { return static_cast<std::uint16_t>(std::atoi(s)); };
    auto lo = *core::ip_address::parse("127.0.0.1");
    auto cfg = std::make_shared<core::config>();
    auto* o = &cfg->proxy;
    o->sni_listen = {{lo, port(argv[3])}};
    o->connect_listen = {{lo, port(argv[4])}};
    o->allow_clients = {*core::cidr::parse("127.0.0.0/8")};
    o->allow_destinations = {*core::cidr::parse("127.0.0.0/8")};
    cfg->ca.cert = dir + "/corp/ca.crt";
    cfg->ca.key = dir + "/corp/ca.key";
    o->max_connections = 50000;
    o->header_timeout = std::chrono::seconds(120);  // idle-connection RSS run holds them
    o->upstream_overrides.push_back(
        {"signin.aws.amazon.com", {lo, port(argv[5])}, dir + "/origin/ca.crt", {}});
    o->upstream_overrides.push_back(
        {"www.example.org", {lo, static_cast<std::uint16_t>(port(argv[5]) + 1)}, "", {}});
    int threads = argc > 6 ? std::atoi(argv[6]) : 1;
    // The fresh-connection rows (bench/proxy/run.sh) turn resumption off, as an operator would.
    o->tls_session_resumption = std::getenv("CG_BENCH_NO_RESUMPTION") == nullptr;
    // The h2 rows (bench/proxy/h2.sh, idle_rss.sh H2=1) turn proxy.http2 on.
    const char* h2 = std::getenv("CG_BENCH_HTTP2");
    o->http2 = h2 != nullptr && std::string(h2) == "1";
    proxy::shared_state shared(cfg);
    std::vector<std::unique_ptr<boost::asio::io_context>> iocs;
    std::vector<std::unique_ptr<proxy::service>> services;
    for (int i = 0; i < threads; ++i) {
        iocs.push_back(std::make_unique<boost::asio::io_context>(1));
        services.push_back(std::make_unique<proxy::service>(*iocs.back(), shared,
                                                            test::allow_every_request, nullptr));
        services.back()->start();
    }
    boost::asio::signal_set signals(*iocs[0], SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code&, int) {
        for (auto& s : services) s->stop();
        for (auto& i : iocs) i->stop();
    });
    std::vector<std::thread> workers;
    for (int i = 1; i < threads; ++i) {
        workers.emplace_back([&, i] { iocs[static_cast<std::size_t>(i)]->run(); });
    }
    iocs[0]->run();
    for (auto& i : iocs) i->stop();
    for (auto& w : workers) w.join();
    std::string metrics;
    proxy::write_prometheus(metrics, shared.counters());
    std::fputs(metrics.c_str(), stderr);
    return 0;
}
