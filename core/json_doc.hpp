#pragma once
// Strict JSON for policy material (endpoint policies, TEAM snapshots): Boost.JSON, plus what it
// does not do by itself: refuse duplicate object keys (Boost.JSON keeps the last one silently;
// a dropped duplicate "Condition" operator would widen an Allow) and report line:column.
// Private to core.

#include <boost/json/value.hpp>
#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace consolegate::core::detail {

struct json_doc {
    boost::json::value value;
    bool ok = false;
    std::string error;  // when !ok
    int line = 0;       // 1-based position of the error, when known
    int column = 0;
};

inline constexpr std::size_t json_max_depth = 64;

json_doc parse_json_strict(std::string_view text);

// Where each element of a parsed document is written, by its json_path ("Statement[0].Effect"):
// an object member's key, an array element's or the document's first character. Boost.JSON's
// DOM keeps no positions, and a problem found in it (an unknown condition operator) is reported
// at its place in the file as a syntax error is.
struct json_line_column {
    int line = 0;  // 1-based; 0 = unknown
    int column = 0;
};
class json_positions {
  public:
    json_positions() = default;
    // `text` is a document parse_json_strict accepted.
    explicit json_positions(std::string_view text);
    // The position of `path`, else of the nearest enclosing element recorded, else unknown.
    json_line_column find(std::string_view path) const;

  private:
    std::unordered_map<std::string, json_line_column> at_;
};

// "a" / "a.b" / "a[3]" building for diagnostics.
std::string json_path(std::string_view parent, std::string_view key);
std::string json_path(std::string_view parent, std::size_t index);

// Where a document's values are, so a problem found in the parsed value is reported at
// file:line:col (Boost.JSON keeps no positions). A step of a path: an object member's key as
// written (escapes not decoded; json_key decodes it) and where that key starts, or an array
// index.
struct json_step {
    std::string_view key;
    std::size_t index = 0;
    bool is_index = false;
    std::size_t key_at = 0;
};
// A member step's key as Boost.JSON decodes it.
std::string json_key(const json_step& step);
// Calls f(path, offset) for every value of `text` at most `max_depth` steps deep, in document
// order: its path from the root (empty for the root) and the offset of its first character.
// `text` must have parsed as JSON (one scan, no allocation but the path).
void for_each_json_value(
    std::string_view text, std::size_t max_depth,
    const std::function<void(std::span<const json_step> path, std::size_t offset)>& f);
// The path as json_path writes it, keys decoded: "Statement[0].Condition".
std::string json_path(std::span<const json_step> path);
// The 1-based line and column of byte `offset` of `text`.
std::pair<int, int> json_line_col(std::string_view text, std::size_t offset);

}  // namespace consolegate::core::detail
