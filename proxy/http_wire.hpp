#pragma once
// HTTP/1.1 on the proxy's streams (private to the sessions): Beast's parsers and field containers,
// fed and serialized here rather than through Beast's composed operations, so a bumped connection
// costs one SSL_read per socket wake-up and one SSL_write per message head (plus its small body).
// The plain-HTTP path uses the same calls on its TCP streams. Templates over the stream
// (stream_io.hpp), so beast::test::stream can drive them in the unit tests.

#include <array>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "block_page.hpp"
#include "consolegate/proxy/refusal.hpp"
#include "consolegate/proxy/service.hpp"
#include "hop_by_hop.hpp"
#include "stream_io.hpp"
#include "upstream_response.hpp"

namespace consolegate::proxy {

// Bytes asked of a stream per read.
inline constexpr std::size_t read_chunk = 16 * 1024;

// RFC 9110 §10.1.1: the proxy answers 100-continue itself, before reading the body.
inline constexpr std::string_view continue_100 = "HTTP/1.1 100 Continue\r\n\r\n";

// Chunked framing (RFC 9112 §7.1) for bodies of unknown length.
inline constexpr std::string_view last_chunk = "0\r\n\r\n";
void append_chunk(std::string& out, const char* data, std::size_t n);

// We speak HTTP/1.1 on both legs whatever the peer's version (RFC 9110 §2.5).
void append_head(std::string& out, const boost::beast::http::request_header<>& h);
void append_head(std::string& out, const boost::beast::http::response_header<>& h);

// A rendered page (block page, error) as one buffer: the same bytes on every path.
std::string serialize(const rendered_response& r, bool keep_alive);

// Writes an upstream response's head for the client (upstream_response::append_head) with our
// keep-alive choice, chunked when the body's length is unknown, without Alt-Svc when `inspected`.
// Returns whether the body must be chunked on the client leg.
bool append_response_head(std::string& wire, const upstream_response& rp, bool keep_alive,
                          bool inspected = false);

// The first value of `name`, or "".
std::string_view header_value(const boost::beast::http::fields& f, boost::beast::http::field name);

// The identity the trusted user header establishes (identification::by_header; null when the
// header is off, absent or not believed), with every such field erased: the header never travels
// further, whoever sent it (docs/identity.md). Only the configured name is believed (case aside);
// every spelling a server may read as it ('_' for '-') is erased too (strip_user_header).
shared_identity take_user_header(const identification& who, boost::beast::http::fields& f,
                                 const core::ip_address& client);

// Who one request inside a bumped connection is for (docs/identity.md "Order"). A tunnel whose
// CONNECT established its user (`tunnel`: the trusted header on the CONNECT, or Kerberos) is that
// user's alone: the chaining proxy vouched for the CONNECT it wrote, and the requests inside are
// TLS between the browser and us, which that proxy cannot read or strip. A request there whose
// own trusted header names another user is `conflict` (refused, never judged as either); one
// naming the same user is that user's. In a tunnel the CONNECT named nobody for (a chaining
// proxy that inspects and names the user per request) the request's own header is believed as
// take_user_header believes it. Where `believed` is false (the SNI listener: the header is the
// client's own word, whatever network it comes from) it names nobody. `who` null: the
// connection's identity stands. The header is erased in every case.
struct request_identity {
    shared_identity who;
    bool conflict = false;
    // Not believed here (the SNI listener) and present under some spelling: stripped unread,
    // and counted (consolegate_proxy_user_header_ignored_total), so a site sees clients or a
    // relay in front of :443 sending it.
    bool ignored = false;
};
request_identity request_user(const identification& who, boost::beast::http::fields& f,
                              const core::ip_address& client, const shared_identity& tunnel,
                              bool believed);

// The trusted user header's fields in `f` (every spelling), to tell an HTTP/1.1 request head's
// from those a chunked body's trailers add later: Beast inserts a field beside the others of its
// name, not at the end.
using field_list = std::vector<const boost::beast::http::fields::value_type*>;
field_list user_header_fields(const identification& who, const boost::beast::http::fields& f);

// Erases the trusted user header under every spelling ('_' and '-' alike, any case) without
// believing it: for fields that never establish anyone (a request's trailers). Those in `keep`
// (user_header_fields of the head) stay.
void strip_user_header(const identification& who, boost::beast::http::fields& f,
                       const field_list& keep = {});

// Whether a request's Host (or HTTP/2 :authority) names the connection's host and port: the name
// the TLS connection was bumped for, and its port or none (RFC 9110 §7.2). The request is judged
// under that name; an origin may route "signin.aws.amazon.com:8443" to another virtual host than
// the one judged, so another port is misdirected too (421). Userinfo is no authority here.
bool names_connection(std::string_view host_field, std::string_view host, std::uint16_t port);

// Why a request head could be read otherwise by a server after the proxy than the proxy's parser
// read it (RFC 9112), checked before its body is read: "" when it reads one way. Beast accepts
// each of these (it refuses a version other than HTTP/1.0 and 1.1 itself: "HTTP/2.0", the h2
// preface, "HTTP/0.9"), and a streamed body (over the inspection cap) would go upstream under
// the client's framing fields:
// - "ambiguous-framing": Content-Length more than once, or as a list ("5, 5": §6.3 lets a
//   recipient take equal values as one, and servers differ: some take the first, some refuse);
//   Transfer-Encoding in an HTTP/1.0 request (§6.1: its framing MUST be treated as faulty, and
//   HTTP/1.0 servers read no chunked body).
refusal_code framing_refusal(const boost::beast::http::request_header<>& h);

// Whether a request of this method carries a body an origin may not read (RFC 9110 §9.3.1,
// §9.3.2: content in GET or HEAD has no defined semantics). A server that ends such a request at
// its head ("CL.0") reads the body as the next request on the connection, one the inspector
// judged as a body or not at all; browsers send none (fetch refuses one), so on an inspected
// connection it is refused ("ambiguous-framing").
bool body_an_origin_may_ignore(boost::beast::http::verb method, bool has_body);

// RFC 9110 §7.6.1: Connection, the fields it names, and the classic hop-by-hop set are removed
// by every intermediary (hop_by_hop.hpp). One pass over the fields: this runs twice per
// forwarded request.
template <class Fields>
void strip_hop_by_hop(Fields& f, bool keep_upgrade) {
    namespace http = boost::beast::http;
    connection_options named(keep_upgrade);  // views into the Connection values, erased last
    for (auto it = f.find(http::field::connection);
         it != f.end() && it->name() == http::field::connection; ++it) {
        named.add(it->value());
    }
    bool had_connection = false;
    for (auto it = f.begin(); it != f.end();) {
        if (it->name() == http::field::connection) {
            had_connection = true;  // its values are the views above: erased after the loop
            ++it;
            continue;
        }
        bool hop = always_hop_by_hop(it->name(), keep_upgrade) ||
                   named.names(it->name(), it->name_string());
        it = hop ? f.erase(it) : std::next(it);
    }
    if (had_connection) f.erase(http::field::connection);
}

// Whether every Transfer-Encoding the message has is exactly "chunked" (or it has none): the one
// coding this proxy reads (RFC 9112 §6.1). "gzip, chunked", "chunked, chunked" or "identity" are
// codings the origin might undo differently.
template <class Fields>
bool only_chunked(const Fields& f) {
    namespace http = boost::beast::http;
    for (auto it = f.find(http::field::transfer_encoding);
         it != f.end() && it->name() == http::field::transfer_encoding; ++it) {
        if (!iequals(trim(it->value()), "chunked")) return false;
    }
    return f.count(http::field::transfer_encoding) <= 1;
}

// The client's Via values in order, then ours, in one field (RFC 9110 §7.6.3): what
// upstream_response::append_head does on the way back. By list order, not equal_range, which
// spans every field between the first and the last Via.
template <class Fields>
void add_via(Fields& f) {
    std::string v;
    for (const auto& field : f) {
        if (field.name() != boost::beast::http::field::via) continue;
        v.append(field.value());
        v.append(", ");
    }
    v.append(via_token);
    f.set(boost::beast::http::field::via, v);
}

// Beast's read_some_op loop, inline: feeds `p` from `buf`, reading more while it needs more.
// Stops when the header is parsed (`header_only`) or the message is done; with a buffer_body,
// also when the body buffer is full (http::error::need_buffer). A stream that ends before any
// byte gives http::error::end_of_stream; one that ends mid-message what put_eof says
// (http::error::partial_message). `consumed`, when given, counts the bytes the parser took.
template <class Stream, class Parser>
boost::asio::awaitable<boost::system::error_code> parse_from(Stream& s,
                                                             boost::beast::flat_buffer& buf,
                                                             Parser& p, bool header_only,
                                                             std::size_t* consumed = nullptr) {
    namespace http = boost::beast::http;
    boost::system::error_code ec;
    p.eager(!header_only);
    for (;;) {
        if (buf.size() > 0) {
            auto used = p.put(buf.data(), ec);
            buf.consume(used);
            if (consumed) *consumed += used;
            if (ec == http::error::need_more) {
                ec = {};
            } else if (ec) {
                co_return ec;
            } else if (header_only ? p.is_header_done() : p.is_done()) {
                co_return ec;
            } else if (used > 0 && buf.size() > 0) {
                continue;
            }
        }
        auto [rec, n] = co_await read_some(s, buf.prepare(read_chunk));
        if (rec == boost::asio::error::eof || rec == boost::asio::ssl::error::stream_truncated) {
            if (!p.got_some()) co_return http::error::end_of_stream;
            p.put_eof(ec);
            co_return ec;
        }
        if (rec) co_return rec;
        buf.commit(n);
    }
}

template <class Stream>
boost::asio::awaitable<void> write_rendered(Stream& s, const rendered_response& r, bool keep_alive,
                                            std::chrono::milliseconds timeout) {
    auto wire = serialize(r, keep_alive);
    expires_after(s, timeout);
    co_await send(s, boost::asio::buffer(wire));
}

// A short text/plain answer, then the connection is to be closed.
template <class Stream>
boost::asio::awaitable<void> write_simple(Stream& s, boost::beast::http::status status,
                                          std::string_view text,
                                          std::chrono::milliseconds timeout) {
    rendered_response r;
    r.status = static_cast<unsigned>(status);
    r.content_type = "text/plain; charset=utf-8";
    r.body = std::string(text) + "\n";
    co_await write_rendered(s, r, false, timeout);
}

// The documented answer to a request that could not be read: 408 after a timeout (RFC 9110
// §15.5.9; reaches the client only when the deadline left the socket open: answer_by, or the
// CONNECT listener's head deadline), none when the client went away; 431, 413 or 400
// otherwise. Returns the status answered, 0 for none.
template <class Stream>
boost::asio::awaitable<unsigned> answer_read_error(Stream& s, boost::system::error_code ec,
                                                   bool timed_out, stats& st) {
    namespace http = boost::beast::http;
    namespace asio = boost::asio;
    if (timed_out) {
        count(st.timeouts);
        co_await write_simple(s, http::status::request_timeout, "Request timeout",
                              std::chrono::seconds(2));
        co_return 408;
    }
    if (ec == http::error::end_of_stream || ec == http::error::partial_message ||
        ec == asio::error::eof || ec == asio::ssl::error::stream_truncated ||
        ec == asio::error::connection_reset) {
        co_return 0;
    }
    count(st.bad_requests);
    auto status = http::status::bad_request;
    std::string_view text = "Bad request";
    if (ec == http::error::header_limit) {
        status = http::status::request_header_fields_too_large;
        text = "Request header fields too large";
    } else if (ec == http::error::body_limit) {
        status = http::status::payload_too_large;
        text = "Payload too large";
    }
    co_await write_simple(s, status, text, std::chrono::seconds(2));
    co_return static_cast<unsigned>(status);
}

// Where a parser puts the body bytes it reads next: a buffer_body request or an upstream_response.
template <bool isRequest>
void body_into(boost::beast::http::parser<isRequest, boost::beast::http::buffer_body>& p,
               char* data, std::size_t size) {
    p.get().body().data = data;
    p.get().body().size = size;
}
template <bool isRequest>
std::size_t body_space(
    const boost::beast::http::parser<isRequest, boost::beast::http::buffer_body>& p) {
    return p.get().body().size;
}
inline void body_into(upstream_response& p, char* data, std::size_t size) {
    p.body_buffer(data, size);
}
inline std::size_t body_space(const upstream_response& p) {
    return p.body_space();
}

// Streams the rest of a message body from `from` (parser `p`, header done) to `to`, chunk-framed
// when `chunked`. Returns false when either side fails (`*from_failed` set when it was `from`:
// a reset, a timeout or a body that ended early). `wire` is scratch space.
template <class From, class To, class Parser>
boost::asio::awaitable<bool> stream_body(From& from, boost::beast::flat_buffer& fbuf, Parser& p,
                                         To& to, bool chunked, std::chrono::milliseconds idle,
                                         std::string& wire, bool* from_failed = nullptr) {
    std::array<char, read_chunk> buf;
    while (!p.is_done()) {
        body_into(p, buf.data(), buf.size());
        expires_after(from, idle);
        auto ec = co_await parse_from(from, fbuf, p, false);
        if (ec == boost::beast::http::error::need_buffer) ec = {};
        if (ec) {
            if (from_failed) *from_failed = true;
            co_return false;
        }
        std::size_t n = buf.size() - body_space(p);
        wire.clear();
        if (chunked) {
            if (n > 0) append_chunk(wire, buf.data(), n);
            if (p.is_done()) wire.append(last_chunk);
        } else {
            wire.append(buf.data(), n);
        }
        expires_after(to, idle);
        if (co_await send(to, boost::asio::buffer(wire))) co_return false;
    }
    co_return true;
}

// Reads response headers until a final one into `rpo`: interim 1xx answers (100, 103) are
// dropped, as the request went out whole; 101 is final for us. At most 8 interim ones are
// skipped; after that the 1xx is returned and the caller refuses it.
template <class Stream>
boost::asio::awaitable<boost::system::error_code> read_final_header(
    Stream& s, boost::beast::flat_buffer& buf, std::optional<upstream_response>& rpo,
    response_head_store& store, std::uint32_t header_limit, bool head_request,
    std::chrono::milliseconds timeout) {
    boost::system::error_code ec;
    for (int interim = 0; interim < 9; ++interim) {
        auto& p = rpo.emplace(store);
        p.header_limit(header_limit);
        p.body_limit(boost::none);
        if (head_request) p.skip(true);
        expires_after(s, timeout);
        ec = co_await parse_from(s, buf, p, true);
        if (ec || p.status() / 100 != 1 || p.status() == 101) {
            break;
        }
    }
    co_return ec;
}

// Reads a request body (parser `p`, header done) into `body` until it is complete or longer than
// `cap` (the inspection cap): at most cap + 1 bytes, so the caller sees that it is longer.
template <class Stream>
boost::asio::awaitable<boost::system::error_code> read_body_prefix(
    Stream& s, boost::beast::flat_buffer& buf,
    boost::beast::http::request_parser<boost::beast::http::buffer_body>& p, std::string& body,
    std::size_t cap) {
    while (!p.is_done() && body.size() <= cap) {
        std::size_t old = body.size();
        std::size_t room = std::min<std::size_t>(read_chunk, cap + 1 - old);
        body.resize(old + room);
        p.get().body().data = body.data() + old;
        p.get().body().size = room;
        auto ec = co_await parse_from(s, buf, p, false);
        body.resize(old + room - p.get().body().size);
        if (ec == boost::beast::http::error::need_buffer) ec = {};
        if (ec) co_return ec;
    }
    co_return boost::system::error_code();
}

}  // namespace consolegate::proxy
