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
    auto say = [&](const char* reason) {
        if (why) *why = reason;
        return std::vector<std::string>{};
    };
    while (!h.empty() && ws(h.front())) h.remove_prefix(1);
    auto sp = std::find_if(h.begin(), h.end(), ws);
    if (sp == h.end()) return say("SigV4 Authorization has no Credential");
    // Parameters are separated by ',' (the documented ", ") or white space alone, and white
    // space may surround '=': a reader that splits or trims so ("Credential =K1, Credential=K2",
    // "Credential=K1/… Credential=K2/…") must not see a key this one skipped, so every
    // parameter any of those readings finds is read. ';' is no separator: SignedHeaders uses it
    // inside its value.
    auto rest = h.substr(static_cast<std::size_t>(sp - h.begin()));
    std::size_t i = 0;
    auto sep = [&](char c) { return c == ',' || ws(c); };
    std::vector<std::string> out;
    while (true) {
        while (i < rest.size() && sep(rest[i])) ++i;
        if (i == rest.size()) break;
        auto n0 = i;
        while (i < rest.size() && rest[i] != '=' && !sep(rest[i])) ++i;
        auto name = rest.substr(n0, i - n0);
        while (i < rest.size() && ws(rest[i])) ++i;
        if (name.empty() || i == rest.size() || rest[i] != '=') {
            return say("SigV4 Authorization is not a list of name=value parameters");
        }
        ++i;
        while (i < rest.size() && ws(rest[i])) ++i;
        auto v0 = i;
        while (i < rest.size() && !sep(rest[i])) ++i;
        auto value = rest.substr(v0, i - v0);
        bool credential =
            name.size() == 10 && std::equal(name.begin(), name.end(), "credential",
                                            [](char a, char b) { return (a | 0x20) == b; });
        if (!credential) continue;
        std::string akid(value.substr(0, value.find('/')));
        if (std::find(out.begin(), out.end(), akid) == out.end()) out.push_back(std::move(akid));
    }
    if (out.empty()) return say("SigV4 Authorization has no Credential");
    return out;
}

std::optional<std::string> sigv2_access_key(std::string_view h, std::string* why) {
    auto ws = [](char c) { return c == ' ' || c == '\t'; };
    while (!h.empty() && ws(h.front())) h.remove_prefix(1);
    while (!h.empty() && ws(h.back())) h.remove_suffix(1);
    // "AWS" alone, or followed by white space: the algorithm name, without AWS4's digit.
    if (h.size() < 3 || (h[0] | 0x20) != 'a' || (h[1] | 0x20) != 'w' || (h[2] | 0x20) != 's' ||
        (h.size() > 3 && !ws(h[3]))) {
        return std::nullopt;
    }
    h.remove_prefix(3);
    while (!h.empty() && ws(h.front())) h.remove_prefix(1);
    auto colon = h.find(':');
    if (colon == std::string_view::npos || colon == 0) {
        if (why) *why = "SigV2 Authorization is not \"AWS <access key ID>:<signature>\"";
        return std::string{};
    }
    return std::string(h.substr(0, colon));
}

}  // namespace consolegate::inspect
