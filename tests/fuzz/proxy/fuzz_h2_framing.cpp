// libFuzzer target for the HTTP/2 framing of a client connection (a client's bytes are
// untrusted): any input yields requests, refusals or a closed connection, never a crash. The
// first byte splits the input into reads (as TLS records would) and picks the limits; each
// complete request is converted to its HTTP/1.1 head (h2_request.hpp) and answered at once, so
// the response path and the flow-control windows are exercised too.
#include <boost/beast/http/message.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "h2_framing.hpp"
#include "h2_request.hpp"

namespace {

using consolegate::proxy::h2_framing;
using consolegate::proxy::h2_limits;
using consolegate::proxy::h2_stream;

struct answering : h2_framing::events {
    h2_framing* frames = nullptr;
    std::vector<std::shared_ptr<h2_stream>> open;
    void on_request(std::shared_ptr<h2_stream> s) override { open.push_back(std::move(s)); }
    void on_body(h2_stream&) override {}
    void on_close(h2_stream&) override {}
    void on_drained(h2_stream&) override {}
    void on_malformed(h2_stream&) override {}

    // Answers every request whose header block is in: its HTTP/1.1 head or its refusal.
    void answer() {
        for (auto& s : open) {
            if (s->responded || s->closed) continue;
            boost::beast::http::request_header<> head;
            auto r = consolegate::proxy::h2_to_http1(s->fields, head);
            std::string body;
            frames->take_body(*s, body);
            if (!s->end_stream && r.refusal.empty()) continue;  // wait for the body
            const unsigned status = s->header_too_large ? 431 : r.refusal.empty() ? 200 : 400;
            frames->respond(*s, status, {{"content-type", "text/plain"}}, true);
            frames->queue_body(*s, std::string(head.target()) + body.substr(0, 64), true);
        }
        std::erase_if(open, [](const auto& s) { return s->closed; });
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const unsigned control = data[0];
    h2_limits l;
    l.max_concurrent_streams = 1 + (control & 7);
    l.max_header_list_size = 1024u << (control >> 6);
    l.resets_per_second = l.pings_per_second = l.settings_per_second = 4 + (control & 15);
    l.stream_prefix = 1024;
    l.body_budget = 4096;
    const std::size_t piece = 1 + ((control >> 3) & 7) * 37;
    answering ev;
    h2_framing frames(l, ev);
    ev.frames = &frames;
    // The client preface is given, so the inputs reach the frames behind it.
    static const std::string preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    frames.receive(preface.data(), preface.size());
    const char* wire = reinterpret_cast<const char*>(data + 1);
    std::size_t left = size - 1;
    std::string out;
    while (left > 0) {
        const std::size_t n = std::min(piece, left);
        const bool more = frames.receive(wire, n);
        wire += n;
        left -= n;
        ev.answer();
        out.clear();
        frames.take_output(out, 1 << 20);
        if (!more) break;
    }
    if (frames.flooded() != h2_framing::flood::none && frames.wants_read()) std::abort();
    return 0;
}
