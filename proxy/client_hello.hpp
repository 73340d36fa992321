#pragma once
// The TLS ClientHello, read before any OpenSSL object exists, so the proxy can decide bump,
// splice or refuse from the SNI alone (RFC 8446 §4.1.2, RFC 6066 §3, RFC 7301 §3.1).
//
// Pure and socket-free: the caller accumulates the bytes read so far and asks again while the
// answer is `need_more`. Records split across TCP segments and a handshake message split across
// several records (RFC 8446 §5.1) are both handled; everything is bounded by `max_bytes`.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace consolegate::proxy {

enum class hello_status {
    complete,   // a whole ClientHello was parsed; `info` is filled
    need_more,  // a valid prefix; read more bytes and ask again
    not_tls,    // the first bytes are not a TLS handshake record (plain HTTP, SSLv2, noise)
    malformed,  // a length or field is inconsistent; the connection must be dropped
    too_large,  // the ClientHello would exceed `max_bytes`
};

struct client_hello_info {
    std::uint16_t legacy_version = 0;  // ClientHello.legacy_version (0x0303 for TLS 1.2 and 1.3)
    bool offers_tls13 = false;         // supported_versions lists 0x0304
    bool has_sni = false;
    std::string sni;                // host_name, lower-cased, trailing dot removed
    std::vector<std::string> alpn;  // protocol names in the client's order
    // An encrypted_client_hello extension (0xfe0d, draft-ietf-tls-esni): the SNI above is then
    // the outer, public name, and the server the client means may be another, encrypted. Real
    // ECH and the GREASE ECH browsers send without a config (Chromium, Firefox) look alike by
    // design: only the holder of the config's key tells them apart.
    bool offers_ech = false;
    std::size_t record_bytes = 0;  // bytes of the records that carried the ClientHello
};

struct client_hello_result {
    hello_status status = hello_status::need_more;
    client_hello_info info;
};

// 16 KiB covers post-quantum key shares (X25519Kyber768 ≈ 1.2 KiB) with wide margin; a hello
// larger than this is not from a browser.
inline constexpr std::size_t default_max_client_hello = 16384;

client_hello_result parse_client_hello(std::span<const std::uint8_t> bytes,
                                       std::size_t max_bytes = default_max_client_hello);

const char* to_string(hello_status s) noexcept;

}  // namespace consolegate::proxy
