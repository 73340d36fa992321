#include "team/sigv4.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <ctime>
#include <stdexcept>

namespace consolegate::team {
namespace {

using digest = std::array<unsigned char, 32>;

digest hmac(std::string_view key, std::string_view data) {
    digest out{};
    std::size_t len = 0;
    if (!EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                   reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(),
                   out.size(), &len) ||
        len != out.size()) {
        throw std::runtime_error("OpenSSL HMAC-SHA256 failed");  // exhaustion, not input
    }
    return out;
}

std::string_view view(const digest& d) {
    return {reinterpret_cast<const char*>(d.data()), d.size()};
}

std::string hex(const unsigned char* p, std::size_t n) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out(n * 2, '\0');
    for (std::size_t i = 0; i < n; ++i) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 0xf];
    }
    return out;
}

char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool blank(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Malformed escapes stay literal ('%' is then encoded as %25): the signature covers what was sent.
std::string percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out.push_back(static_cast<char>(hi * 16 + lo));
                i += 2;
                continue;
            }
        }
        out.push_back(s[i]);
    }
    return out;
}

// RFC 3986 §5.2.4 dot-segment removal plus dropping empty segments, as AWS normalises paths.
std::string normalize(std::string_view path) {
    std::vector<std::string_view> segments;
    bool trailing = false;
    std::size_t pos = 0;
    while (pos <= path.size()) {
        auto next = path.find('/', pos);
        if (next == std::string_view::npos) next = path.size();
        auto seg = path.substr(pos, next - pos);
        bool last = next == path.size();
        if (seg == "..") {
            if (!segments.empty()) segments.pop_back();
            trailing = last;
        } else if (seg == ".") {
            trailing = last;
        } else if (!seg.empty()) {
            segments.push_back(seg);
            trailing = false;
        } else {
            trailing = last && pos > 0;
        }
        pos = next + 1;
    }
    std::string out;
    for (auto seg : segments) {
        out += '/';
        out += seg;
    }
    if (out.empty() || trailing) out += '/';
    return out;
}

std::string canonical_query(std::string_view query) {
    std::vector<std::pair<std::string, std::string>> params;
    std::size_t pos = 0;
    while (pos <= query.size() && !query.empty()) {
        auto next = query.find('&', pos);
        if (next == std::string_view::npos) next = query.size();
        auto part = query.substr(pos, next - pos);
        if (!part.empty()) {
            auto eq = part.find('=');
            auto name = part.substr(0, eq);
            auto value = eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1);
            params.emplace_back(aws_uri_encode(percent_decode(name), false),
                                aws_uri_encode(percent_decode(value), false));
        }
        pos = next + 1;
    }
    std::sort(params.begin(), params.end());
    std::string out;
    for (const auto& [name, value] : params) {
        if (!out.empty()) out += '&';
        out += name;
        out += '=';
        out += value;
    }
    return out;
}

// Trim, and collapse every run of blanks (spaces, tabs, obsolete line folds) to one space.
std::string trim_all(std::string_view v) {
    std::string out;
    out.reserve(v.size());
    bool pending_space = false;
    for (char c : v) {
        if (blank(c)) {
            pending_space = !out.empty();
            continue;
        }
        if (pending_space) out += ' ';
        pending_space = false;
        out += c;
    }
    return out;
}

bool added_by_signer(std::string_view lower_name) {
    return lower_name == "authorization" || lower_name == "x-amz-date" ||
           lower_name == "x-amz-security-token" || lower_name == "x-amz-content-sha256";
}

}  // namespace

std::string sha256_hex(std::string_view data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    std::size_t len = 0;
    if (!EVP_Q_digest(nullptr, "SHA256", nullptr, data.data(), data.size(), md, &len))
        throw std::runtime_error("OpenSSL SHA-256 failed");
    return hex(md, len);
}

std::string aws_uri_encode(std::string_view s, bool keep_slash) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size());
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                          (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
        if (unreserved || (keep_slash && c == '/')) {
            out += ch;
        } else {
            out += '%';
            out += digits[c >> 4];
            out += digits[c & 0xf];
        }
    }
    return out;
}

std::string amz_date(std::chrono::system_clock::time_point t) {
    auto secs = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[20];
    std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
    return buf;
}

sigv4_result sigv4_sign(const sigv4_request& req, const aws_credentials& creds,
                        const sigv4_scope& scope, std::chrono::system_clock::time_point now) {
    sigv4_result out;
    const std::string date_time = amz_date(now);
    const std::string date = date_time.substr(0, 8);
    const std::string payload_hash = sha256_hex(req.body);

    out.added_headers.emplace_back("X-Amz-Date", date_time);
    if (!creds.session_token.empty())
        out.added_headers.emplace_back("X-Amz-Security-Token", creds.session_token);
    if (scope.add_content_sha256_header)
        out.added_headers.emplace_back("x-amz-content-sha256", payload_hash);

    // (lowercased name, canonical value) in the order given; stable sort keeps repeated names in
    // their order, which AWS joins with ','.
    std::vector<std::pair<std::string, std::string>> headers;
    auto add = [&](std::string_view name, std::string_view value) {
        std::string n(name);
        std::transform(n.begin(), n.end(), n.begin(), lower);
        headers.emplace_back(std::move(n), trim_all(value));
    };
    for (const auto& [name, value] : req.headers) {
        std::string n(name);
        std::transform(n.begin(), n.end(), n.begin(), lower);
        if (!added_by_signer(n)) add(name, value);
    }
    for (const auto& [name, value] : out.added_headers) add(name, value);
    std::stable_sort(headers.begin(), headers.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });

    std::string canonical_headers, signed_headers;
    for (std::size_t i = 0; i < headers.size(); ++i) {
        if (i > 0 && headers[i].first == headers[i - 1].first) {
            canonical_headers.back() = ',';  // replace the previous line's '\n'
        } else {
            if (!signed_headers.empty()) signed_headers += ';';
            signed_headers += headers[i].first;
            canonical_headers += headers[i].first;
            canonical_headers += ':';
        }
        canonical_headers += headers[i].second;
        canonical_headers += '\n';
    }

    std::string path = scope.normalize_path ? normalize(req.path) : std::string(req.path);
    if (path.empty()) path = "/";
    out.canonical_request = std::string(req.method) + '\n' + aws_uri_encode(path, true) + '\n' +
                            canonical_query(req.query) + '\n' + canonical_headers + '\n' +
                            signed_headers + '\n' + payload_hash;

    const std::string credential_scope =
        date + '/' + scope.region + '/' + scope.service + "/aws4_request";
    out.string_to_sign = "AWS4-HMAC-SHA256\n" + date_time + '\n' + credential_scope + '\n' +
                         sha256_hex(out.canonical_request);

    auto k_date = hmac("AWS4" + creds.secret_access_key, date);
    auto k_region = hmac(view(k_date), scope.region);
    auto k_service = hmac(view(k_region), scope.service);
    auto k_signing = hmac(view(k_service), "aws4_request");
    auto sig = hmac(view(k_signing), out.string_to_sign);
    out.signature = hex(sig.data(), sig.size());

    out.authorization = "AWS4-HMAC-SHA256 Credential=" + creds.access_key_id + '/' +
                        credential_scope + ", SignedHeaders=" + signed_headers +
                        ", Signature=" + out.signature;
    out.added_headers.emplace_back("Authorization", out.authorization);
    return out;
}

}  // namespace consolegate::team
