#pragma once
// HTML text escaping, shared by every page the gateway renders (block page, review page).

#include <string>
#include <string_view>

namespace consolegate::core {

// Escapes & < > " ' so the result is safe in element text and in quoted attribute values.
std::string html_escape(std::string_view s);

}  // namespace consolegate::core
