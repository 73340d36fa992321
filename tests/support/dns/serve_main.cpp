// cg_dns_serve: the DNS gateway alone, for benchmarks and manual poking until the consolegate
// binary wires it. One io_context + service per worker, all on the same SO_REUSEPORT address.
//   cg_dns_serve --listen 127.0.0.1:5300 --upstream 127.0.0.1:5301 [--workers N]
//                [--steer-ipv4 192.0.2.10] [--max-entries N]
// Runs until SIGINT/SIGTERM.
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "consolegate/dns/service.hpp"

using namespace consolegate;

namespace {

core::endpoint parse_endpoint(const std::string& s) {
    const auto colon = s.rfind(':');
    auto a = core::ip_address::parse(s.substr(0, colon));
    if (!a || colon == std::string::npos) {
        std::fprintf(stderr, "cg_dns_serve: bad address:port %s\n", s.c_str());
        std::exit(2);
    }
    return {*a, static_cast<std::uint16_t>(std::stoi(s.substr(colon + 1)))};
}

}  // namespace

int main(int argc, char** argv) {
    auto o = std::make_shared<dns::config>();
    o->listen.clear();
    unsigned workers = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string k = argv[i], v = argv[i + 1];
        if (k == "--listen") {
            o->listen.push_back(parse_endpoint(v));
        } else if (k == "--upstream") {
            o->upstreams.push_back(parse_endpoint(v));
        } else if (k == "--workers") {
            workers = static_cast<unsigned>(std::stoul(v));
        } else if (k == "--steer-ipv4") {
            o->steer_ipv4.push_back(*core::ip_address::parse(v));
        } else if (k == "--max-entries") {
            o->cache.max_entries = std::stoul(v);
        } else {
            std::fprintf(stderr, "cg_dns_serve: unknown option %s\n", k.c_str());
            return 2;
        }
    }
    dns::stats st;
    std::vector<std::unique_ptr<boost::asio::io_context>> ios;
    std::vector<std::unique_ptr<dns::service>> services;
    try {
        for (unsigned w = 0; w < workers; ++w) {
            ios.push_back(std::make_unique<boost::asio::io_context>(1));
            services.push_back(std::make_unique<dns::service>(*ios.back(), o, st));
            services.back()->start();
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "cg_dns_serve: %s\n", e.what());
        return 1;
    }
    boost::asio::signal_set signals(*ios[0], SIGINT, SIGTERM);
    signals.async_wait([&](boost::system::error_code, int) {
        for (std::size_t w = 0; w < services.size(); ++w) {
            services[w]->stop();
            boost::asio::post(*ios[w], [io = ios[w].get()] { io->stop(); });
        }
    });
    std::vector<std::thread> threads;
    for (unsigned w = 1; w < workers; ++w) threads.emplace_back([&, w] { ios[w]->run(); });
    ios[0]->run();
    for (auto& t : threads) t.join();
    std::string metrics;
    dns::write_prometheus(metrics, st);
    std::fputs(metrics.c_str(), stderr);
    return 0;
}
