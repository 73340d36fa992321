#pragma once
// Every scalar of a JSON text with the nearest enclosing object key, duplicates kept.
//
// A JSON object may repeat a key (RFC 8259 section 4 leaves the outcome to the implementation):
// Boost.JSON's DOM keeps the last, other servers the first. The inspector therefore reads every
// occurrence, so `{"accountId":"allowed","accountId":"denied"}` yields both values.

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "params.hpp"

namespace consolegate::inspect::detail {

struct json_scan_limits {
    int max_depth = 16;
    std::size_t max_leaves = 4096;
    int max_nesting = 3;  // JSON objects carried as string values, parsed in turn
};

// The integer a JSON number's text denotes exactly ("1.23456789012e11" -> "123456789012",
// "12.0" -> "12"), or nullopt when it has a non-zero fraction or is beyond 64 digits.
std::optional<std::string> exact_integer(std::string_view number_text);

// nullopt when the text is not one valid JSON value or exceeds the limits. Leaves come out with
// where = "json"; string values that themselves hold a JSON object (console API proxies wrap the
// service request that way) are scanned too and their leaves appended. true, false, null and an
// object standing under a key come out as that key with no text (param::not_text), so a reader
// of the key sees it was given something that is not a string or a number.
std::optional<std::vector<param>> scan_json(std::string_view text,
                                            const json_scan_limits& limits = {});

// Whether some object in the JSON `text` repeats a key (compared exactly, after unescaping):
// the first repeated key, or nullopt when none repeats or the text is not valid JSON (the
// caller's own parse reports that). A DOM parser keeps one of the values (Boost.JSON the last,
// others the first), so where a single value is read, a repeat means two readings.
std::optional<std::string> repeated_json_key(std::string_view text, int max_depth = 16);

}  // namespace consolegate::inspect::detail
