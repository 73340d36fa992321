#pragma once
// A fleet's console session bindings in the record's PostgreSQL (issue 20; docs/inspection.md
// "Session binding", "A fleet"). The rows are opaque here: a digest (the HMAC of a session
// cookie, never the cookie), an expiry and the binding as text (app/session_store.hpp's entry
// line). app/session_sharing.hpp decides what goes in and what comes out.
//
// Tables (created on first use, under an advisory lock so replicas starting together agree):
//   consolegate_session_bindings (digest text PRIMARY KEY, expires_ms bigint, entry text)
//   consolegate_session_key (id = 1, fingerprint text): the fingerprint of the fleet's HMAC key,
//   stored by the first replica; a replica whose key has another fingerprint is refused
//   (session_key_mismatch), since its digests would never match anyone else's.
//
// One object is one connection: not thread-safe, one per thread. Every call is bounded by the
// deadline it is given. Errors: session_key_mismatch (permanent until the key or the stored
// fingerprint changes), std::runtime_error otherwise (the server or the connection; the next
// call reconnects).

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace consolegate::audit {

class session_key_mismatch : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct session_row {
    std::array<unsigned char, 32> digest{};
    std::int64_t expires_ms = 0;  // unix milliseconds
    std::string entry;
};

class session_rows {
  public:
    using deadline = std::chrono::steady_clock::time_point;
    virtual ~session_rows() = default;
    // The live rows (expires_ms > now_ms) under `digests`.
    virtual std::vector<session_row> lookup(std::span<const std::array<unsigned char, 32>> digests,
                                            std::int64_t now_ms, deadline until) = 0;
    // Inserts or replaces the rows, committed when it returns.
    virtual void write(std::span<const session_row> rows, deadline until) = 0;
    // Deletes the rows expired at now_ms; how many.
    virtual std::int64_t purge(std::int64_t now_ms, deadline until) = 0;
};

// Connects (bounded by `until`), creates the tables when missing and checks `key_fingerprint`
// against the stored one, storing it when there is none. Throws session_key_mismatch or
// std::runtime_error.
std::unique_ptr<session_rows> open_postgres_session_rows(const std::string& connection,
                                                         const std::string& password,
                                                         const std::string& key_fingerprint,
                                                         session_rows::deadline until);

}  // namespace consolegate::audit
