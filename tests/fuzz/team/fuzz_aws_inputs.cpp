// What the TEAM feed's credential chain reads from outside, chosen by the first byte: 0 STS's
// XML answer to AssumeRole / AssumeRoleWithWebIdentity (over the network; the next byte picks
// the HTTP status: even 200, odd 403), 1 a credential_process's JSON output, 2 the AWS shared
// config and credentials files (INI), 3 a credential_process command line (split like a POSIX
// shell word list). Any bytes give credentials or a reason, never a crash; credentials are never
// returned half-filled.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "team/aws_config_files.hpp"
#include "team/credential_process.hpp"
#include "team/sts.hpp"

namespace team = consolegate::team;

namespace {

void check(bool ok) {
    if (!ok) std::abort();
}

void sts(std::string_view bytes) {
    if (bytes.empty()) return;
    const unsigned status = bytes[0] % 2 == 0 ? 200 : 403;
    auto got = team::parse_sts_response(status, std::string(bytes.substr(1)));
    check(got.credentials.has_value() == got.error.empty());
    if (got.credentials) {
        check(status == 200 && got.expiration.has_value());
        check(!got.credentials->access_key_id.empty() &&
              !got.credentials->secret_access_key.empty() &&
              !got.credentials->session_token.empty());
    }
}

void process_output(std::string_view text) {
    auto got = team::parse_process_output(text);
    check(got.credentials.has_value() == got.error.empty());
    if (got.credentials) {
        check(!got.credentials->access_key_id.empty() &&
              !got.credentials->secret_access_key.empty());
    }
}

void ini(std::string_view text) {
    for (bool config_file : {false, true}) {
        auto profiles = team::parse_aws_ini(text, config_file);
        for (const auto& [name, profile] : profiles) {
            (void)profile;
            for (const char* key : {"region", "role_arn", "aws_access_key_id"}) {
                if (auto v = team::profile_value(profiles, name, key)) check(!v->empty());
            }
        }
    }
}

void command(std::string_view text) {
    if (auto words = team::split_command(text)) check(!words->empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0] % 4) {
        case 0: sts(text); break;
        case 1: process_output(text); break;
        case 2: ini(text); break;
        default: command(text); break;
    }
    return 0;
}
