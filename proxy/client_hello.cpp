#include "client_hello.hpp"

#include <algorithm>

#include "consolegate/core/host_pattern.hpp"

namespace consolegate::proxy {
namespace {

constexpr std::uint8_t record_handshake = 22;  // RFC 8446 §5.1 ContentType.handshake
constexpr std::uint8_t msg_client_hello = 1;   // RFC 8446 §4 HandshakeType.client_hello
constexpr std::size_t record_header = 5;
constexpr std::size_t max_fragment = 16384;  // RFC 8446 §5.1: TLSPlaintext.length <= 2^14
constexpr std::uint16_t ext_server_name = 0;
constexpr std::uint16_t ext_alpn = 16;
constexpr std::uint16_t ext_supported_versions = 43;
constexpr std::uint16_t ext_encrypted_client_hello = 0xfe0d;

// A bounds-checked reader: every take checks the bytes left and fails sticky.
class reader {
  public:
    explicit reader(std::span<const std::uint8_t> b) : b_(b) {}
    bool ok() const { return ok_; }
    std::size_t left() const { return ok_ ? b_.size() - pos_ : 0; }
    std::uint32_t u8() { return take_int(1); }
    std::uint32_t u16() { return take_int(2); }
    std::uint32_t u24() { return take_int(3); }
    std::span<const std::uint8_t> bytes(std::size_t n) {
        if (!ok_ || n > b_.size() - pos_) {
            ok_ = false;
            return {};
        }
        auto s = b_.subspan(pos_, n);
        pos_ += n;
        return s;
    }

  private:
    std::uint32_t take_int(std::size_t n) {
        auto s = bytes(n);
        std::uint32_t v = 0;
        for (auto c : s) v = (v << 8) | c;
        return v;
    }
    std::span<const std::uint8_t> b_;
    std::size_t pos_ = 0;
    bool ok_ = true;
};

// RFC 6066 §3: host_name is an ASCII DNS name without a trailing dot (tolerated: one, removed).
// Anything that is not a host (core/host_pattern: "signin.aws.amazon.com..", an empty label, a
// byte outside the alphabet) fails the ClientHello, so the connection is refused, never spliced.
bool normalise_sni(std::span<const std::uint8_t> raw, std::string& out) {
    auto host = core::canonical_host(
        std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()));
    if (!host) return false;
    out = std::move(*host);
    return true;
}

bool parse_sni(std::span<const std::uint8_t> data, client_hello_info& info) {
    reader r(data);
    auto list_len = r.u16();
    auto list = r.bytes(list_len);
    if (!r.ok() || r.left() != 0 || list.empty()) return false;
    reader l(list);
    while (l.left() > 0) {
        auto type = l.u8();
        auto name = l.bytes(l.u16());
        if (!l.ok()) return false;
        // RFC 6066 §3 defines host_name (0) alone, and readers differ on a list holding another
        // type: OpenSSL refuses one that starts with it (decode_error), Squid and mbed TLS skip
        // to the first host_name, others take the first entry whatever its type. Skipping it
        // here would splice by one name to a server that may read another; no browser sends one.
        if (type != 0) return false;
        if (info.has_sni) return false;  // "MUST NOT contain more than one name of the same type"
        if (!normalise_sni(name, info.sni)) return false;
        info.has_sni = true;
    }
    return l.ok();
}

bool parse_alpn(std::span<const std::uint8_t> data, client_hello_info& info) {
    reader r(data);
    auto list = r.bytes(r.u16());
    if (!r.ok() || r.left() != 0 || list.empty()) return false;
    reader l(list);
    while (l.left() > 0) {
        auto name = l.bytes(l.u8());
        if (!l.ok() || name.empty()) return false;  // RFC 7301 §3.1: empty names not allowed
        if (info.alpn.size() < 32) info.alpn.emplace_back(name.begin(), name.end());
    }
    return true;
}

bool parse_supported_versions(std::span<const std::uint8_t> data, client_hello_info& info) {
    reader r(data);
    auto list = r.bytes(r.u8());
    if (!r.ok() || r.left() != 0 || list.size() % 2 != 0 || list.empty()) return false;
    reader l(list);
    while (l.left() > 0) {
        if (l.u16() == 0x0304) info.offers_tls13 = true;
    }
    return true;
}

bool parse_body(std::span<const std::uint8_t> body, client_hello_info& info) {
    reader r(body);
    info.legacy_version = static_cast<std::uint16_t>(r.u16());
    r.bytes(32);  // random
    auto session_id = r.bytes(r.u8());
    auto suites = r.bytes(r.u16());
    auto compression = r.bytes(r.u8());
    if (!r.ok() || session_id.size() > 32 || suites.empty() || suites.size() % 2 != 0 ||
        compression.empty()) {
        return false;
    }
    if ((info.legacy_version >> 8) != 3) return false;
    if (r.left() == 0) return true;  // TLS 1.2 allows a hello without extensions: no SNI
    auto exts = r.bytes(r.u16());
    if (!r.ok() || r.left() != 0) return false;
    reader e(exts);
    std::vector<std::uint16_t> seen;
    while (e.left() > 0) {
        auto type = static_cast<std::uint16_t>(e.u16());
        auto data = e.bytes(e.u16());
        if (!e.ok()) return false;
        // RFC 8446 §4.2: at most one extension of each type (GREASE values are distinct ones).
        if (std::find(seen.begin(), seen.end(), type) != seen.end()) return false;
        if (seen.size() < 128) seen.push_back(type);
        bool ok = true;
        if (type == ext_server_name)
            ok = parse_sni(data, info);
        else if (type == ext_alpn)
            ok = parse_alpn(data, info);
        else if (type == ext_supported_versions)
            ok = parse_supported_versions(data, info);
        else if (type == ext_encrypted_client_hello)
            info.offers_ech = true;
        if (!ok) return false;
    }
    return true;
}

}  // namespace

client_hello_result parse_client_hello(std::span<const std::uint8_t> bytes, std::size_t max_bytes) {
    client_hello_result res;
    if (bytes.empty()) return res;
    if (bytes[0] != record_handshake) {
        res.status = hello_status::not_tls;
        return res;
    }
    // Reassemble the handshake layer from as many records as it takes (RFC 8446 §5.1).
    std::vector<std::uint8_t> hs;
    std::size_t pos = 0;
    std::size_t need = 0;  // total handshake bytes once the header is known
    while (true) {
        if (bytes.size() - pos < record_header) return res;  // need_more
        auto rec = bytes.subspan(pos, record_header);
        if (rec[0] != record_handshake) {
            res.status = pos == 0 ? hello_status::not_tls : hello_status::malformed;
            return res;
        }
        if (rec[1] != 3 || rec[2] > 4) {
            res.status = pos == 0 ? hello_status::not_tls : hello_status::malformed;
            return res;
        }
        std::size_t len = (std::size_t{rec[3]} << 8) | rec[4];
        if (len == 0 || len > max_fragment) {  // zero-length handshake fragments are forbidden
            res.status = hello_status::malformed;
            return res;
        }
        if (pos + record_header + len > max_bytes + 8 * record_header) {
            res.status = hello_status::too_large;
            return res;
        }
        std::size_t avail = std::min(len, bytes.size() - pos - record_header);
        auto frag = bytes.subspan(pos + record_header, avail);
        hs.insert(hs.end(), frag.begin(), frag.end());
        // The handshake header is judged as soon as it is in, so a hello announcing 16 MiB is
        // refused without waiting for the rest of its record.
        if (need == 0 && hs.size() >= 4) {
            if (hs[0] != msg_client_hello) {
                res.status = hello_status::malformed;
                return res;
            }
            std::size_t body = (std::size_t{hs[1]} << 16) | (std::size_t{hs[2]} << 8) | hs[3];
            if (body + 4 > max_bytes) {
                res.status = hello_status::too_large;
                return res;
            }
            if (body < 38) {  // version + random + three length bytes at the very least
                res.status = hello_status::malformed;
                return res;
            }
            need = body + 4;
        }
        if (avail < len) return res;  // need_more: the record is still arriving
        pos += record_header + len;
        if (need != 0 && hs.size() >= need) break;
    }
    if (!parse_body(std::span<const std::uint8_t>(hs).subspan(4, need - 4), res.info)) {
        res.status = hello_status::malformed;
        res.info = {};
        return res;
    }
    res.info.record_bytes = pos;
    res.status = hello_status::complete;
    return res;
}

const char* to_string(hello_status s) noexcept {
    switch (s) {
        case hello_status::complete: return "complete";
        case hello_status::need_more: return "need_more";
        case hello_status::not_tls: return "not_tls";
        case hello_status::malformed: return "malformed";
        case hello_status::too_large: return "too_large";
    }
    return "unknown";
}

}  // namespace consolegate::proxy
