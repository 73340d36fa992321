#include "sqlite_row.hpp"

#include <array>

namespace consolegate::audit::sqlite {
namespace {

constexpr const auto& text_columns = event_string_fields;
constexpr int text_count = static_cast<int>(std::size(text_columns));
static_assert(text_count + 4 == event_column_count);

}  // namespace

const std::string& event_columns() {
    static const std::string list = [] {
        std::string out;
        for (auto& c : text_columns) out += std::string("\"") + c.name + "\", ";
        return out + "report_only, flagged, \"count\", also_flows_either";
    }();
    return list;
}

void bind_event(statement& s, int first, const event& e, std::vector<std::string>& scratch) {
    scratch.clear();
    bool replaced = false;
    for (int i = 0; i < text_count; ++i) {
        const std::string& v = e.*(text_columns[i].member);
        if (is_valid_utf8(v)) {
            s.bind_view(first + i, v);
        } else {
            scratch.reserve(text_count);  // the bound views must not move
            s.bind_view(first + i, scratch.emplace_back(valid_utf8(v, &replaced)));
        }
    }
    s.bind(first + text_count, std::int64_t{e.report_only});
    s.bind(first + text_count + 1, std::int64_t{e.flagged || replaced});
    s.bind(first + text_count + 2, static_cast<std::int64_t>(e.count));
    s.bind(first + text_count + 3, std::int64_t{e.also_flows_either});
}

event read_event(const statement& s, int first) {
    event e;
    for (int i = 0; i < text_count; ++i) e.*(text_columns[i].member) = s.text(first + i);
    e.report_only = s.integer(first + text_count) != 0;
    e.flagged = s.integer(first + text_count + 1) != 0;
    auto n = s.integer(first + text_count + 2);
    e.count = n > 0 ? static_cast<std::uint64_t>(n) : 1;
    e.also_flows_either = s.integer(first + text_count + 3) != 0;
    return e;
}

}  // namespace consolegate::audit::sqlite
