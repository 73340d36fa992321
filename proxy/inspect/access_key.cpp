#include "consolegate/inspect/access_key.hpp"

#include <algorithm>
#include <cstdint>

namespace consolegate::inspect {
namespace {

int base32_value(char c) noexcept {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= '2' && c <= '7') return c - '2' + 26;
    return -1;
}

void set_why(std::string* why, const char* text) {
    if (why) *why = text;
}

}  // namespace

std::optional<core::account_id> account_from_access_key(std::string_view akid, std::string* why) {
    if (akid.size() != 20) {
        set_why(why, "access key ID is not 20 characters long");
        return std::nullopt;
    }
    auto prefix = akid.substr(0, 4);
    if (prefix != "AKIA" && prefix != "ASIA") {
        set_why(why, "access key ID does not start with AKIA or ASIA");
        return std::nullopt;
    }
    if (akid[4] == 'I' || akid[4] == 'J') {
        set_why(why,
                "access key ID of the legacy format (fifth character I or J) does not "
                "encode its account");
        return std::nullopt;
    }
    // 16 base32 characters = 80 bits; the account is in the first 48.
    std::uint64_t first48 = 0;
    int bits = 0;
    for (char c : akid.substr(4)) {
        int v = base32_value(c);
        if (v < 0) {
            set_why(why, "access key ID is not base32 after its prefix");
            return std::nullopt;
        }
        if (bits < 48) {
            int take = bits + 5 <= 48 ? 5 : 48 - bits;
            first48 = (first48 << take) | (static_cast<std::uint64_t>(v) >> (5 - take));
        }
        bits += 5;
    }
    std::uint64_t n = (first48 & 0x7fffffffff80ULL) >> 7;
    auto acct = core::account_id::from_number(n);
    if (!acct) set_why(why, "access key ID decodes to no valid account number");
    return acct;
}

std::vector<std::string> sigv4_credentials(std::string_view h, std::string* why) {
    auto ws = [](char c) { return c == ' ' || c == '\t'; };
    auto trim = [&](std::string_view v) {
        while (!v.empty() && ws(v.front())) v.remove_prefix(1);
        while (!v.empty() && ws(v.back())) v.remove_suffix(1);
        return v;
    };
    auto say = [&](const char* reason) {
        if (why) *why = reason;
        return std::vector<std::string>{};
    };
    h = trim(h);
    auto sp = std::find_if(h.begin(), h.end(), ws);
    if (sp == h.end()) return say("SigV4 Authorization has no Credential");
    auto params = h.substr(static_cast<std::size_t>(sp - h.begin()));
    std::vector<std::string> out;
    while (!params.empty()) {
        auto comma = params.find(',');
        auto piece = trim(params.substr(0, comma));
        params = comma == std::string_view::npos ? std::string_view{} : params.substr(comma + 1);
        auto eq = piece.find('=');
        if (piece.empty() || eq == 0 || eq == std::string_view::npos) {
            return say("SigV4 Authorization is not a list of name=value parameters");
        }
        auto name = piece.substr(0, eq);
        bool credential =
            name.size() == 10 && std::equal(name.begin(), name.end(), "credential",
                                            [](char a, char b) { return (a | 0x20) == b; });
        if (!credential) continue;
        auto value = piece.substr(eq + 1);
        std::string akid(value.substr(0, value.find('/')));
        if (std::find(out.begin(), out.end(), akid) == out.end()) out.push_back(std::move(akid));
    }
    if (out.empty()) return say("SigV4 Authorization has no Credential");
    return out;
}

}  // namespace consolegate::inspect
