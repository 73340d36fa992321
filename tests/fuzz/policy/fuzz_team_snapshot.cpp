// TEAM snapshot parsing: any bytes give records and/or diagnostics, never a crash; every record
// kept is well-formed and the set built from them answers.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "consolegate/core/elevation.hpp"

namespace cc = consolegate::core;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto snap = cc::parse_team_snapshot(text, "fuzz.json");
    if (!snap.document_ok && !snap.records.empty()) std::abort();
    for (const auto& r : snap.records) {
        if (r.user.empty() || r.permission_set.empty() || !(r.duration_hours > 0)) std::abort();
    }
    std::string user = snap.records.empty() ? "x" : snap.records.front().user;
    auto account = snap.records.empty() ? cc::account_id{} : snap.records.front().account;
    auto start =
        snap.records.empty() ? std::chrono::system_clock::time_point{} : snap.records.front().start;
    cc::elevation_set set(std::move(snap.records));
    (void)set.active(user, account, "AdministratorAccess", start);
    (void)cc::parse_iso8601(text.substr(0, 64));
    return 0;
}
