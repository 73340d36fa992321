#include "consolegate/net/prometheus.hpp"

namespace consolegate::net {
namespace {

void append_sample(std::string& out, std::string_view series, const std::string& value) {
    out += series;
    out += ' ';
    out += value;
    out += '\n';
}

}  // namespace

void write_metric_header(std::string& out, std::string_view name, std::string_view type,
                         std::string_view help) {
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
}

void write_sample(std::string& out, std::string_view series, std::int64_t value) {
    append_sample(out, series, std::to_string(value));
}

void write_sample(std::string& out, std::string_view series, std::uint64_t value) {
    append_sample(out, series, std::to_string(value));
}

}  // namespace consolegate::net
