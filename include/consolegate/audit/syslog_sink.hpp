#pragma once
// Shipping sign-in events to the site's SIEM as RFC 5424 syslog: over UDP (RFC 5426, one event
// per datagram), TCP (RFC 6587 octet counting: "LEN SP MSG") or TLS (RFC 5425, the same
// framing inside TLS 1.2+ with the server's certificate verified).
//
// Each message: PRI from the facility and the event (enforced deny = warning, report-only deny
// = notice, allow = informational), TIMESTAMP = the event's time, HOSTNAME = the instance that
// judged it, APP-NAME "consolegate", PROCID = the process ID, MSGID "signin", no
// STRUCTURED-DATA ("-": we hold no IANA enterprise number for an SD-ID of our own), and MSG =
// the event as its one-line JSON object (schema v1, docs/audit.md), UTF-8 without a BOM.
//
// Like every sink: a bounded queue and one writer thread (sink.hpp). Over TCP and TLS an
// unreachable or failing collector keeps the batch at the head of the queue and reconnects with
// backoff (250 ms doubling to 5 s), while new events beyond the bound are dropped and counted;
// a batch cut off mid-send is sent again whole, so a collector may see an event twice (same
// `id`), never zero times while it accepts connections. TCP has no acknowledgement: bytes the
// kernel accepted before a connection died are lost. Over UDP nothing is known to arrive; send
// errors are counted in write_errors.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "consolegate/audit/sink.hpp"

namespace consolegate::audit {

enum class syslog_transport { udp, tcp, tls };

struct syslog_options {
    syslog_transport transport = syslog_transport::tcp;
    std::string host;  // name or address of the collector
    std::uint16_t port = 0;
    // TLS: the collector's certificate is verified against ca_file (empty: the system's trust
    // store) and must name `host`. cert_file/key_file: a client certificate, when the collector
    // asks for one (both or neither).
    std::filesystem::path ca_file, cert_file, key_file;
    int facility = 10;                            // authpriv (RFC 5424 table 1)
    std::chrono::milliseconds io_timeout{10000};  // connect, handshake and each send
    queue_options queue;
};

// Throws std::runtime_error for TLS files that cannot be loaded (a startup error). The collector
// is contacted by the writer thread: one that is down at start is not an error.
std::unique_ptr<sink> make_syslog_sink(const syslog_options& o);

// One RFC 5424 message for `e`, without transport framing.
std::string syslog_message(const event& e, int facility, int pid);

}  // namespace consolegate::audit
