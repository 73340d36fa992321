#pragma once
// The session table across restarts (issue 20): one file of its own (`sessions.file`), holding
// the table's HMAC key and every live entry, so a session the gateway saw AWS sign in is still
// known after a restart (and its cookies still hash to the same keys).
//
// Format: JSON lines. The first is {"consolegate_sessions":1,"key":"<64 hex>"}; each further
// line one entry: {"d":"<64 hex digest>","exp":<unix ms>,"named":<unix ms>,"learned":<unix ms>,
// "by":"<binding_source>","on":"<host/path>","account":"…","arn":"…","role":"…",
// "permission_set":"…","user":"…","corp_user":"…"}. Only digests are stored: the file never
// holds a usable session cookie, but with its key anyone could test a stolen cookie against it,
// so it is written mode 0600 and a file readable by others is refused.
//
// Written atomically (a temporary file in the same directory, fsync, rename), by the gateway
// every sessions.save_interval and at shutdown.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "session_table.hpp"

namespace consolegate::app {

struct session_file {
    session_table::key_type key{};
    std::vector<session_table::saved_entry> entries;
};

// nullopt when the file does not exist (a first start). Throws std::runtime_error, naming the
// file and the line, when it cannot be read, is not this format, or is readable by group or
// others: a startup error, never a silent empty table.
std::optional<session_file> read_session_file(const std::filesystem::path& file);

// Writes atomically with mode 0600; throws std::runtime_error naming the file on failure.
void write_session_file(const std::filesystem::path& file, const session_file& contents);

// One entry as one line of the file (no newline), and back (std::invalid_argument saying what is
// wrong): also the payload of a row in a fleet's shared store (app/session_sharing.hpp).
std::string session_entry_text(const session_table::saved_entry& e);
session_table::saved_entry parse_session_entry(std::string_view line);

// sessions.key_file: the fleet's HMAC key, 64 hex digits on the first line (`openssl rand -hex
// 32`). Throws std::runtime_error naming the file when it is missing, not that, or readable by
// group or others: a startup error.
session_table::key_type read_session_key_file(const std::filesystem::path& file);
// What a shared store keeps to tell whether two replicas hash with the same key: an HMAC of a
// fixed text under the key (64 hex digits); it does not reveal the key.
std::string session_key_fingerprint(const session_table::key_type& key);

// The serialisation itself (tests): the text written and read back.
std::string session_file_text(const session_file& contents);
session_file parse_session_file(std::string_view text, const std::string& name);

}  // namespace consolegate::app
