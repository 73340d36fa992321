#pragma once
// Private helpers of the inspector: percent-decoding, query/form parameters, header lookup.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "consolegate/core/http_request.hpp"

namespace consolegate::inspect::detail {

// RFC 3986 percent-decoding (Boost.URL); `plus_as_space` for application/x-www-form-urlencoded
// (HTML "URL-encoded form data"). nullopt on a malformed escape ("%zz", "%4").
std::optional<std::string> percent_decode(std::string_view s, bool plus_as_space);

struct param {
    std::string name;         // decoded
    std::string value;        // decoded
    std::string where;        // "query" or "form" or "json"
    bool bad_escape = false;  // name or value had a malformed escape (kept raw)
    bool inexact = false;     // a JSON number that is not an integer (value is its text)
    // A JSON object, true, false or null where the member is (value ""): no text that readers
    // agree on (Jackson coerces true to "true", a JavaScript reader makes an object
    // "[object Object]" or reads a member of it, others refuse), so a sign-in field read from it
    // is unparsable.
    bool not_text = false;
};

// "a=1&b=2&a=3" -> every pair in order, duplicates kept; empty pieces skipped.
void parse_urlencoded(std::string_view s, std::string_view where, std::vector<param>& out);

// The pairs a reader that percent-decodes the whole text before it splits it (at `separator`,
// then at the first '=') finds and a reader that splits first does not: "x=1%26account%3DB" is
// x=1 and account=B to the first, x="1&account=B" to the second. Both readings are compared
// decoded (leniently: a malformed escape stays as it is, '+' is a space when `plus_as_space`);
// with `trim_pairs` names and values are trimmed as cookie pairs are. Each pair that only the
// decode-first reading has is returned once, in order.
std::vector<std::pair<std::string, std::string>> decoded_then_split_only(std::string_view s,
                                                                         char separator,
                                                                         bool plus_as_space,
                                                                         bool trim_pairs);

// The pairs that splitting `other` finds and splitting `text` does not, both split at `separator`
// and then at the first '=', decoded and trimmed as above; each once, in order. For a reader that
// splits at more than `separator` (`other` is `text` with those made `separator`).
std::vector<std::pair<std::string, std::string>> split_only_in(std::string_view other,
                                                               std::string_view text,
                                                               char separator, bool plus_as_space,
                                                               bool trim_pairs);

// Case-insensitive ASCII helpers.
bool iequals(std::string_view a, std::string_view b) noexcept;
bool istarts_with(std::string_view s, std::string_view prefix) noexcept;
bool iends_with(std::string_view s, std::string_view suffix) noexcept;
bool icontains(std::string_view s, std::string_view needle) noexcept;
std::string lower(std::string_view s);
std::string_view trim(std::string_view s) noexcept;

// Whether a parameter (or JSON member) name is `wanted` to some server, as every reader of the
// inspector compares names, so a second spelling gives more attempts, never fewer: ASCII
// case-insensitive and without what any reader's trim drops at either end ("account " is
// `account` to a server that trims; so are "account\v" to Java's trim(), which drops every
// character up to U+0020, and "account\u00A0" or "\uFEFFaccount" to .NET's, Python's or
// JavaScript's); decoded a second time or as IIS's %uXXXX ("%u0061ccount"), overlong UTF-8,
// fullwidth and Unicode case-mapped letters read as their ASCII letter; '.', ' ' or '-' for '_';
// and
// ended by a NUL or an array suffix ("account[]", "account[0]", "account\0x" are `account`).
bool name_is(std::string_view name, std::string_view wanted) noexcept;
// An attempt's source for a parameter: "<where>:<name>", the name trimmed.
std::string source_of(const param& p);

// Every value of header `name` (case-insensitive), in order.
std::vector<std::string_view> header_values(const core::http_request_view& req,
                                            std::string_view name);

}  // namespace consolegate::inspect::detail
