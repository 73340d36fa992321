#pragma once
// AWS Signature Version 4 for request headers (the `Authorization: AWS4-HMAC-SHA256 …` form),
// written on OpenSSL 3 (EVP digests and HMAC) because Debian packages no AWS SDK. Socket-free and
// clock-free: the signing time comes in as a parameter, so the unit tests replay AWS's own suite
// (awslabs/aws-c-auth tests/aws-signing-test-suite/v4) and a fuzzer links this alone.
//
// What is signed (docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request):
// - the path as it goes on the wire, URI-encoded once more (every service but S3 "double-encodes"),
//   after RFC 3986 dot-segment removal and with empty segments dropped unless normalize_path is
//   false (S3's rule);
// - the query, each name and value decoded and re-encoded, sorted by name then value;
// - every header the caller passes (names lowercased, values trimmed with inner runs of blanks and
//   line folds collapsed to one space, repeated names joined with ','), plus the X-Amz-Date,
//   X-Amz-Security-Token (when the credentials carry one) and, if asked for, x-amz-content-sha256
//   headers the signer adds;
// - the SHA-256 of the body.
// Query-string signing (presigned URLs) is not implemented: the gateway never hands out URLs.
//
// Secrets: the secret key and session token never appear in anything this returns except the
// X-Amz-Security-Token header the request must carry; canonical_request holds the token (AWS puts
// it there), so callers must never log it. Thread-safety: pure functions.

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace consolegate::team {

struct aws_credentials {
    std::string access_key_id;
    std::string secret_access_key;
    std::string session_token;  // empty for long-term keys
};

using header_list = std::vector<std::pair<std::string, std::string>>;

struct sigv4_request {
    std::string_view method;  // "POST"
    std::string_view path;    // as sent on the wire: "/"
    std::string_view query;   // as sent, without '?': "" or "a=1&b=2"
    header_list headers;      // must include Host; each one is signed
    std::string_view body;
};

struct sigv4_scope {
    std::string region;                      // "eu-west-1"
    std::string service;                     // "dynamodb", "sts"
    bool normalize_path = true;              // false only for S3
    bool add_content_sha256_header = false;  // S3 wants x-amz-content-sha256; others accept it
};

struct sigv4_result {
    header_list
        added_headers;  // to send as well: X-Amz-Date, [X-Amz-Security-Token], …, Authorization
    std::string canonical_request;
    std::string string_to_sign;
    std::string signature;  // lowercase hex
    std::string authorization;
};

sigv4_result sigv4_sign(const sigv4_request& request, const aws_credentials& credentials,
                        const sigv4_scope& scope, std::chrono::system_clock::time_point now);

// Building blocks, exposed for tests and for callers that need the same encodings.
std::string sha256_hex(std::string_view data);
// RFC 3986 percent-encoding of every byte but the unreserved set (A-Z a-z 0-9 - . _ ~), and '/'
// too when keep_slash.
std::string aws_uri_encode(std::string_view s, bool keep_slash);
// "20150830T123600Z".
std::string amz_date(std::chrono::system_clock::time_point t);

}  // namespace consolegate::team
