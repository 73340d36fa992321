#include "consolegate/net/prometheus.hpp"

#include <gtest/gtest.h>

namespace net = consolegate::net;

TEST(prometheus, metric_is_help_type_and_one_sample) {
    std::string out;
    net::write_metric(out, "x_total", "counter", "Things counted.", std::uint64_t{42});
    net::write_metric(out, "open", "gauge", "Open now.", std::int64_t{-1});
    EXPECT_EQ(out,
              "# HELP x_total Things counted.\n# TYPE x_total counter\nx_total 42\n"
              "# HELP open Open now.\n# TYPE open gauge\nopen -1\n");
}

TEST(prometheus, labelled_series_share_one_header) {
    std::string out;
    net::write_metric_header(out, "r_total", "counter", "By result.");
    net::write_sample(out, "r_total{result=\"ok\"}", std::uint64_t{1});
    net::write_sample(out, "r_total{result=\"refused\"}", std::uint64_t{0});
    EXPECT_EQ(out,
              "# HELP r_total By result.\n# TYPE r_total counter\n"
              "r_total{result=\"ok\"} 1\nr_total{result=\"refused\"} 0\n");
}
