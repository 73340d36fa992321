#pragma once
// AWS access key ID -> the account that owns it, without calling AWS.
//
// Since 2019 AWS encodes the owning account in the key ID: after the four-character prefix the
// rest is base32 (RFC 4648 alphabet, 16 characters = 80 bits); bits 1..47 of the first 48, shifted
// right by 7, are the account number. Older keys, recognisable by an 'I' or 'J' as their fifth
// character, do not carry the account and cannot be decoded.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "consolegate/core/ids.hpp"

namespace consolegate::inspect {

// `akid` must be exactly 20 characters, start with AKIA (long-term) or ASIA (temporary) and be
// base32 after the prefix. Returns nullopt and, if `why` is non-null, one sentence why otherwise
// (wrong length or prefix, not base32, the I/J legacy format). Pure; thread-safe.
// Example: ASIAY34FZKBOKMUTVV7A -> 609629065308.
std::optional<core::account_id> account_from_access_key(std::string_view akid, std::string* why);

// The access key IDs of a SigV4 Authorization value, read by its grammar ("<algorithm>
// <name>=<value>, <name>=<value>, …", AWS General Reference "Authorization header"): every
// parameter named Credential, whatever its position, the key ID being its value up to the first
// '/'. Never by substring ("XCredential=" is not Credential). Parameters are split at ',' and at
// white space, and white space around '=' is skipped, so a reader that splits or trims
// differently finds no key this one did not. Empty, with a reason in `why`, when the value is
// not that list or has no Credential. Pure; thread-safe.
std::vector<std::string> sigv4_credentials(std::string_view authorization, std::string* why);

// The access key ID of a Signature Version 2 Authorization value ("AWS <access key ID>:
// <signature>", Amazon S3's REST authentication; algorithm case-insensitive): nullopt when the
// value is not SigV2; an empty string, with a reason in `why`, when it is but names no key.
std::optional<std::string> sigv2_access_key(std::string_view authorization, std::string* why);

}  // namespace consolegate::inspect
