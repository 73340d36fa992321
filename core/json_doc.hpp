#pragma once
// Strict JSON for policy material (endpoint policies, TEAM snapshots): Boost.JSON, plus what it
// does not do by itself: refuse duplicate object keys (Boost.JSON keeps the last one silently;
// a dropped duplicate "Condition" operator would widen an Allow) and report line:column.
// Private to core.

#include <boost/json/value.hpp>
#include <cstddef>
#include <string>
#include <string_view>

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

// "a" / "a.b" / "a[3]" building for diagnostics.
std::string json_path(std::string_view parent, std::string_view key);
std::string json_path(std::string_view parent, std::size_t index);

}  // namespace consolegate::core::detail
