#pragma once
// The SQLite store's row since schema 4: every field of the event in a column of its own, so a
// row holds the event once (schemas 1-3 kept the event's JSON beside copies of the filtered
// fields: ~1 KiB a row, most of the writer's pages). The writer binds the columns, readers
// rebuild the event from them.

#include <string>
#include <vector>

#include "consolegate/audit/event.hpp"
#include "sqlite_db.hpp"

namespace consolegate::audit::sqlite {

// "id, time, gateway, …, time_last, report_only, flagged, count, also_flows_either": every column
// of the event, in the order bind_event() binds and read_event() reads them (time_ms, the sort key,
// is not among them).
const std::string& event_columns();
inline constexpr int event_column_count = 40;

// Binds `e`'s columns from parameter `first` on, without copying: `e` must outlive the step.
// A field that is not valid UTF-8 is bound repaired (and the event flagged), as to_json_line()
// writes it, so the store holds what every other sink holds; `scratch` keeps those copies.
void bind_event(statement& s, int first, const event& e, std::vector<std::string>& scratch);
event read_event(const statement& s, int first);

}  // namespace consolegate::audit::sqlite
