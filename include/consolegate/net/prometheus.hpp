#pragma once
// Prometheus text exposition (format 0.0.4), shared by every module's metrics writer.

#include <cstdint>
#include <string>
#include <string_view>

namespace consolegate::net {

// "# HELP name help" and "# TYPE name type" (type: counter | gauge). Once per metric family.
void write_metric_header(std::string& out, std::string_view name, std::string_view type,
                         std::string_view help);
// One sample line: `series` is the name with its labels, e.g. `x_total{effect="deny"}`.
void write_sample(std::string& out, std::string_view series, std::int64_t value);
void write_sample(std::string& out, std::string_view series, std::uint64_t value);

// A metric without labels: header and its one sample.
template <class T>
void write_metric(std::string& out, std::string_view name, std::string_view type,
                  std::string_view help, T value) {
    write_metric_header(out, name, type, help);
    write_sample(out, name, value);
}

}  // namespace consolegate::net
