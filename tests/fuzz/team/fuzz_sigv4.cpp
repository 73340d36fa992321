// SigV4 signing over arbitrary input: the bytes are split at '\n' into method, path, query,
// header name/value pairs and a body. Any input signs without crashing, deterministically, with
// a well-formed Authorization value, and the secret key never appears in what is returned.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "team/sigv4.hpp"

namespace t = consolegate::team;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    std::vector<std::string_view> parts;
    while (!in.empty() && parts.size() < 64) {
        auto nl = in.find('\n');
        parts.push_back(in.substr(0, nl));
        if (nl == std::string_view::npos) break;
        in.remove_prefix(nl + 1);
    }
    auto part = [&](std::size_t i) { return i < parts.size() ? parts[i] : std::string_view{}; };
    t::sigv4_request req{part(0), part(1), part(2), {}, part(3)};
    for (std::size_t i = 4; i + 1 < parts.size(); i += 2)
        req.headers.emplace_back(std::string(parts[i]), std::string(parts[i + 1]));
    const t::aws_credentials creds{"AKIDFUZZ", "SECRET-never-returned", "token"};
    t::sigv4_scope scope{"eu-west-1", "dynamodb", size % 2 == 0, size % 3 == 0};
    auto now = std::chrono::system_clock::time_point{} + std::chrono::seconds(1'700'000'000);
    auto a = t::sigv4_sign(req, creds, scope, now);
    auto b = t::sigv4_sign(req, creds, scope, now);
    if (a.authorization != b.authorization || a.canonical_request != b.canonical_request)
        std::abort();
    if (a.signature.size() != 64 ||
        a.authorization.rfind("AWS4-HMAC-SHA256 Credential=AKIDFUZZ/", 0) != 0)
        std::abort();
    // The secret must never be echoed; an input that itself carries the secret's text puts it
    // in the canonical request legitimately (found by the fuzzer: crash-input-contains-secret).
    constexpr std::string_view secret = "SECRET-never-returned";
    bool input_has_secret =
        std::string_view(reinterpret_cast<const char*>(data), size).find(secret) !=
        std::string_view::npos;
    if (!input_has_secret) {
        for (const auto& s : {a.authorization, a.canonical_request, a.string_to_sign}) {
            if (s.find(secret) != std::string::npos) std::abort();
        }
    } else if (a.authorization.find(secret) != std::string::npos) {
        std::abort();  // never in the Authorization value, whatever the input
    }
    return 0;
}
