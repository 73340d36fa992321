#pragma once
// c-ares 1.18 on an Asio io_context: c-ares sockets are watched by the io_context (through
// ARES_OPT_SOCK_STATE_CB) and one timer is re-armed from ares_timeout(), the pattern of Envoy's
// cares dns_impl. The DNS forwarder sends raw queries through it (ares_send: c-ares retries on
// timeouts, rotates servers, and retries over TCP when an answer comes back with TC=1); the
// proxy resolves real upstream addresses through make_cares_host_resolver.
//
// Thread-safety: an instance belongs to one io_context (one worker thread); every call, and every
// callback, happens on that thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "consolegate/core/address.hpp"
#include "consolegate/net/host_resolver.hpp"

namespace boost::asio {
class io_context;
}

namespace consolegate::net {

struct upstream_server {
    core::ip_address address;
    std::uint16_t port = 53;  // UDP and TCP
};

struct cares_options {
    std::vector<upstream_server> servers;  // empty: the servers of /etc/resolv.conf
    // First attempt; c-ares 1.18 doubles it for each round over all servers.
    std::chrono::milliseconds timeout{2000};
    unsigned tries = 3;  // attempts per server (upstream_retries + 1)
    // Pass SERVFAIL/REFUSED/NOTIMP answers to the caller instead of trying the next server
    // (ARES_FLAG_NOCHECKRESP): a forwarder relays what upstream said.
    bool pass_error_rcodes = false;
    // send()'s queries carry their own OPT record (last, no options) advertising up to 4096
    // bytes: UDP answers up to 4096 bytes are taken (ARES_FLAG_EDNS, ARES_OPT_EDNSPSZ). Without
    // it c-ares 1.18 takes 512 bytes at most over UDP and asks every larger answer again over
    // TCP. An upstream answering FORMERR without an OPT (RFC 6891 §7) gets that query again
    // without its OPT record; later queries still carry theirs (c-ares alone would turn EDNS off
    // for the whole channel).
    bool queries_carry_edns = false;
};

// What one query came back with. `status` is an ARES_* code; ARES_EDESTRUCTION means the channel
// was destroyed with the query pending (then touch nothing the handler does not own). `answer`
// is valid only during the call.
struct cares_answer {
    int status = 0;
    int timeouts = 0;  // attempts that timed out before this outcome
    std::span<const std::uint8_t> answer;
};
using answer_handler = std::function<void(const cares_answer&)>;

// A host lookup's outcome (A and AAAA), with the same status conventions.
struct cares_addresses {
    int status = 0;
    std::vector<boost::asio::ip::address> addresses;
    std::chrono::seconds ttl{0};  // the shortest TTL of the answers (CNAMEs included)
};
using addresses_handler = std::function<void(cares_addresses)>;

class cares_channel {
  public:
    // Throws std::runtime_error when c-ares cannot be initialised or a server is rejected.
    cares_channel(boost::asio::io_context& io, const cares_options& o);
    // Runs every pending handler with ARES_EDESTRUCTION, then releases the sockets.
    ~cares_channel();
    cares_channel(const cares_channel&) = delete;
    cares_channel& operator=(const cares_channel&) = delete;

    // Sends `query` as-is: c-ares 1.18 keeps the caller's transaction ID, so the caller must put
    // a random one in and restore the client's on the answer. The handler runs exactly once:
    // possibly before send returns (e.g. ARES_ENOMEM), otherwise later on the io_context thread;
    // never from another thread.
    void send(std::span<const std::uint8_t> query, answer_handler on_answer);
    // Looks `host` up (A and AAAA, DNS only, unsorted); the handler runs exactly once, as above.
    void resolve(const std::string& host, addresses_handler on_addresses);

  private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

// A host_resolver asking `o.servers` for A and AAAA through its own c-ares channel.
std::unique_ptr<host_resolver> make_cares_host_resolver(boost::asio::io_context& io,
                                                        const cares_options& o);

}  // namespace consolegate::net
