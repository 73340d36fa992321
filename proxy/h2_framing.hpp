#pragma once
// HTTP/2 framing of one client connection (private to the sessions): nghttp2's server session
// behind a socket-free interface, so the fuzzer and the unit tests drive it with bytes alone. It
// reads frames, keeps each stream's request header block and body, queues responses, and
// enforces the connection's limits (proxy.http2_*): concurrent streams, header list size, and
// SETTINGS, PING and RST_STREAM floods (more in one second than allowed closes the connection
// with GOAWAY ENHANCE_YOUR_CALM). nghttp2 stays inside h2_framing.cpp.
//
// Flow control: request body bytes are acknowledged (WINDOW_UPDATE) at once while the stream's
// inspected prefix and the connection's buffered total are under their caps; past them only when
// the session takes them (take_body), so a client cannot make us buffer more.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "h2_request.hpp"

namespace consolegate::proxy {

struct h2_limits {
    std::uint32_t max_concurrent_streams = 100;
    std::uint64_t max_header_list_size = 128 * 1024;
    std::uint32_t settings_per_second = 20;
    std::uint32_t pings_per_second = 20;
    std::uint32_t resets_per_second = 100;
    std::uint64_t stream_prefix = 1024 * 1024 + 1;  // body bytes a stream may buffer before judged
    std::uint64_t body_budget = 4 * 1024 * 1024;    // buffered body bytes of the connection
    std::uint64_t max_send_header_block = 256 * 1024;
};

// One client stream: its request as received, its response body as queued.
struct h2_stream {
    std::int32_t id = 0;
    h2_fields fields;
    h2_fields trailers;              // a second header block ending the request, if any
    std::uint64_t header_bytes = 0;  // RFC 9113 §6.5.2 size: name + value + 32 per field
    bool header_too_large = false;   // over max_header_list_size: fields dropped, 431 due
    bool end_stream = false;         // the client's side is complete
    bool closed = false;             // gone from the session (ended, or reset by either side)
    bool discard = false;            // body bytes are not wanted (answered already)
    std::uint32_t close_code = 0;
    std::string body;  // request body bytes received and not yet taken
    std::uint64_t body_received = 0;
    std::size_t unconsumed = 0;  // received bytes whose window is not yet given back
    std::string out;             // response body bytes not yet framed
    std::size_t out_pos = 0;
    bool out_eof = false;
    bool deferred = false;  // nghttp2 waits for out to fill (resume_data)
    bool responded = false;
    bool reset_by_owner = false;  // h2_framing::reset: not nghttp2's own stream error
};

class h2_framing {
  public:
    // What the connection's owner hears of. Called from inside receive() or take_output():
    // they may queue responses, never destroy the framing.
    struct events {
        virtual void on_request(std::shared_ptr<h2_stream> s) = 0;  // header block complete
        virtual void on_body(h2_stream& s) = 0;     // body bytes, or its end, arrived
        virtual void on_close(h2_stream& s) = 0;    // the stream is gone (s.close_code)
        virtual void on_drained(h2_stream& s) = 0;  // response body bytes were framed
        // nghttp2 found the stream's request malformed (a field RFC 9113 §8.2.1 forbids, a
        // pseudo-field out of place, a Content-Length the DATA does not match): it resets the
        // stream with PROTOCOL_ERROR, told here as the reset goes out. `s.fields` holds what
        // its header block gave (nothing once the owner took them).
        virtual void on_malformed(h2_stream& s) = 0;

      protected:
        virtual ~events() = default;
    };
    enum class flood { none, settings, ping, reset };

    // Queues our SETTINGS. Throws std::bad_alloc when nghttp2 cannot allocate.
    h2_framing(const h2_limits& limits, events& ev);
    ~h2_framing();
    h2_framing(const h2_framing&) = delete;
    h2_framing& operator=(const h2_framing&) = delete;

    // Feeds client bytes. False when the connection ends: a protocol error or a flood (a GOAWAY
    // is then queued: flush take_output until wants_write() is false, then close).
    bool receive(const char* data, std::size_t n);
    // Appends the frames due, up to about `max` bytes, to `out`.
    void take_output(std::string& out, std::size_t max);
    bool wants_write() const;
    bool wants_read() const;
    flood flooded() const noexcept;
    std::size_t open_streams() const noexcept;

    // Responses; on a closed stream they do nothing. `has_body` false: the HEADERS end the stream.
    void respond(h2_stream& s, unsigned status,
                 const std::vector<std::pair<std::string, std::string>>& fields, bool has_body);
    void queue_body(h2_stream& s, std::string_view data, bool eof);
    void reset(h2_stream& s, std::uint32_t code);  // RST_STREAM; code 0 = NO_ERROR
    // The body received so far, appended to `into`; its window is given back.
    void take_body(h2_stream& s, std::string& into);
    // GOAWAY NO_ERROR naming the last stream: no new streams, the open ones finish.
    void shutdown();

    static constexpr std::uint32_t internal_error = 2, refused_stream = 7, cancel = 8,
                                   enhance_your_calm = 11, protocol_error = 1;

    struct impl;  // callbacks reach it; defined in h2_framing.cpp

  private:
    std::unique_ptr<impl> impl_;
};

}  // namespace consolegate::proxy
