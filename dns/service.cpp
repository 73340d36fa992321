#include "consolegate/dns/service.hpp"

#include <boost/asio/post.hpp>

#include "worker.hpp"

namespace consolegate::dns {

service::service(boost::asio::io_context& io, std::shared_ptr<const config> c, stats& s,
                 time_source now)
    : worker_(std::make_unique<worker>(io, std::move(c), s, std::move(now))) {}

service::~service() {
    if (!worker_->stopped) worker_->close_all();
}

void service::start() {
    worker_->socks.open(worker_->cfg->listen);
}

void service::stop() {
    boost::asio::post(worker_->io, [w = worker_.get()] { w->close_all(); });
}

void service::update(std::shared_ptr<const config> c) {
    // Compiled here so a bad snapshot throws to the caller instead of inside the worker.
    auto compiled = std::make_shared<const policy>(compile_policy(*c));
    boost::asio::post(worker_->io, [w = worker_.get(), c = std::move(c), compiled]() mutable {
        w->apply(std::move(c), *compiled);
    });
}

std::vector<core::endpoint> service::local_endpoints() const {
    return worker_->socks.bound();
}

void service::set_query_log(std::function<void(std::string_view)> sink) {
    worker_->query_log = std::move(sink);
}

}  // namespace consolegate::dns
