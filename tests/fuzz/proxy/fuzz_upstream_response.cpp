// libFuzzer target for the upstream response parser (an origin's bytes are untrusted): any input
// yields an error or a head, never a crash; every head we write must parse back as HTTP/1.1 with
// no hop-by-hop field but ours, whatever the flags.
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "upstream_response.hpp"

namespace http = boost::beast::http;
using consolegate::proxy::response_head_store;
using consolegate::proxy::upstream_response;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    // First byte: the flags and the body buffer size; the rest: the origin's bytes.
    const unsigned control = data[0];
    const char* wire = reinterpret_cast<const char*>(data + 1);
    std::size_t left = size - 1;
    response_head_store store;
    upstream_response p(store);
    p.header_limit(8 * 1024);
    p.eager(true);
    std::string body(1 + (control >> 3), '\0');
    boost::system::error_code ec;
    for (int i = 0; i < 4096 && left > 0 && !p.is_done(); ++i) {
        p.body_buffer(body.data(), body.size());
        auto used = p.put(boost::asio::buffer(wire, left), ec);
        if (used > left || p.body_space() > body.size()) std::abort();
        wire += used;
        left -= used;
        if (ec == http::error::need_buffer) {
            ec = {};
            continue;
        }
        if (ec || used == 0) break;
    }
    if (!p.is_header_done()) return 0;

    bool keep_alive = control & 1, chunked = control & 2, upgrade = control & 4;
    std::string head;
    p.append_head(head, keep_alive, chunked, upgrade);
    if (head.rfind("HTTP/1.1 ", 0) != 0 || head.size() < 4 ||
        head.compare(head.size() - 4, 4, "\r\n\r\n") != 0) {
        std::abort();
    }
    http::response_parser<http::empty_body> back;
    back.skip(true);
    back.eager(false);
    boost::system::error_code bec;
    back.put(boost::asio::buffer(head), bec);
    if (bec || !back.is_header_done()) std::abort();
    const auto& res = back.get();
    if (res.result_int() != p.status()) std::abort();
    for (const auto& f : res) {
        switch (f.name()) {
            case http::field::keep_alive:
            case http::field::proxy_connection:
            case http::field::te:
            case http::field::trailer:
            case http::field::proxy_authorization:
            case http::field::proxy_authenticate: std::abort();
            case http::field::transfer_encoding:
                if (!chunked || f.value() != "chunked") std::abort();
                break;
            case http::field::upgrade:
                if (!upgrade) std::abort();
                break;
            case http::field::connection:
                if (f.value() != (upgrade ? "upgrade" : "close") || (!upgrade && keep_alive)) {
                    std::abort();
                }
                break;
            default: break;
        }
    }
    if (res.count(http::field::via) != 1) std::abort();
    // The framing the client sees is the origin's length, or chunked when we re-chunk.
    if (!chunked && p.content_length() != back.content_length()) std::abort();
    return 0;
}
