#pragma once
// Identifiers of AWS Organizations: account IDs, organization, root and OU IDs.
// Pure value types; parsing never throws and rejects anything not exactly of AWS's form.

#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace consolegate::core {

// A 12-digit AWS account ID. Stored as a number, printed zero-padded, so "012345678901" keeps
// its leading zero and compares equal however it was written.
class account_id {
  public:
    constexpr account_id() = default;

    // Exactly 12 ASCII digits; anything else (11 or 13 digits, signs, spaces) is nullopt.
    static std::optional<account_id> parse(std::string_view text) noexcept;
    // n must be < 10^12; larger values are nullopt.
    static std::optional<account_id> from_number(std::uint64_t n) noexcept;

    constexpr std::uint64_t value() const noexcept { return value_; }
    std::string str() const;  // always 12 digits

    friend constexpr auto operator<=>(account_id, account_id) = default;

  private:
    std::uint64_t value_ = 0;
};

// AWS Organizations ID shapes (see the Organizations API reference, "Id" patterns):
//   organization  o-[a-z0-9]{10,32}
//   root          r-[0-9a-z]{4,32}
//   OU            ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}
bool is_org_id(std::string_view s) noexcept;
bool is_root_id(std::string_view s) noexcept;
bool is_ou_id(std::string_view s) noexcept;

// An account alias as IAM allows one (CreateAccountAlias: 3-63 characters,
// ^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$: lowercase letters, digits, and single dashes that
// neither start nor end it). Case-sensitive: lowercase first where a reader folds case.
bool is_account_alias(std::string_view s) noexcept;

// The console's spelling of an account ID, 1111-2222-3333.
bool console_dashed_id(std::string_view s) noexcept;
// Digits and '-' only, starting and ending with a digit (a sign is not a dash: "-1…" is a
// negative number to a reader of numbers, and no alias). Such a value other than an ID or its
// console spelling is refused at sign-in (proxy/inspect) and as an alias (config).
bool is_digits_and_dashes(std::string_view s) noexcept;

}  // namespace consolegate::core

template <>
struct std::hash<consolegate::core::account_id> {
    std::size_t operator()(consolegate::core::account_id a) const noexcept {
        return std::hash<std::uint64_t>{}(a.value());
    }
};
