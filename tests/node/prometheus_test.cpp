// The Prometheus text-format parser (plugins/common/prometheus.h) on
// node-problem-detector's real /metrics sample and on malformed input: every
// error names the line and column.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "common/prometheus.h"
#include "common/time.h"

using plugin_common::parse_prometheus_text;
using plugin_common::PromError;

namespace {
std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
std::string error_of(const std::string& text) {
  try {
    parse_prometheus_text(text, "m.prom");
  } catch (const PromError& e) {
    return e.what();
  }
  return "(no error)";
}
}  // namespace

TEST(Prometheus, ReadsNpdsMetricsSample) {
  const std::string path = std::string(NODE_DATA_DIR) + "/npd/metrics/npd_prometheus_metrics_sample.txt";
  const std::string text = slurp(path);
  auto fams = parse_prometheus_text(text, path);
  const plugin_common::PromFamily* counter = nullptr;
  const plugin_common::PromFamily* gauge = nullptr;
  size_t samples = 0;
  for (const auto& f : fams) {
    samples += f.samples.size();
    if (f.name == "problem_counter") counter = &f;
    if (f.name == "problem_gauge") gauge = &f;
  }
  // Every line that is neither a comment nor blank is one sample.
  size_t lines = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    lines += !line.empty() && line[0] != '#';
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  EXPECT_EQ(samples, lines);
  ASSERT_NE(counter, nullptr);
  ASSERT_NE(gauge, nullptr);
  EXPECT_EQ(counter->type, "counter");
  EXPECT_EQ(counter->help, "Number of times a specific type of problem have occurred.");
  EXPECT_EQ(gauge->type, "gauge");
  const plugin_common::PromSample* docker_start = nullptr;
  for (const auto& s : counter->samples)
    if (s.label("reason") && *s.label("reason") == "DockerStart") docker_start = &s;
  ASSERT_NE(docker_start, nullptr);
  EXPECT_EQ(docker_start->value, 1);
  ASSERT_NE(gauge->samples[1].label("type"), nullptr);
  EXPECT_EQ(*gauge->samples[1].label("type"), "KernelDeadlock");
}

TEST(Prometheus, WholeFormatEscapesSpecialValuesTimestampsAndHistograms) {
  auto fams = parse_prometheus_text(
      "# HELP escaped A help with \\\\ and \\n.\n"
      "# TYPE escaped counter\n"
      "escaped{path=\"C:\\\\dir\",quote=\"say \\\"hi\\\"\",nl=\"a\\nb\",} 1 1700000000000\n"
      "\n"
      "# a plain comment\n"
      "# TYPE h histogram\n"
      "h_bucket{le=\"+Inf\"} 7\n"
      "h_sum 12.5\n"
      "h_count 7\n"
      "  weird\tNaN\n"
      "pos +Inf\n"
      "neg -Inf\n"
      "sci 1.5e-3\r\n",
      "m.prom");
  ASSERT_EQ(fams.size(), 6u);
  EXPECT_EQ(fams[0].help, "A help with \\ and \n.");
  const auto& s = fams[0].samples.at(0);
  EXPECT_EQ(*s.label("path"), "C:\\dir");
  EXPECT_EQ(*s.label("quote"), "say \"hi\"");
  EXPECT_EQ(*s.label("nl"), "a\nb");
  EXPECT_EQ(s.timestamp_ms, 1700000000000);
  EXPECT_EQ(fams[1].name, "h");
  EXPECT_EQ(fams[1].samples.size(), 3u);  // _bucket, _sum and _count are h's
  EXPECT_TRUE(std::isnan(fams[2].samples[0].value));
  EXPECT_TRUE(std::isinf(fams[3].samples[0].value) && fams[3].samples[0].value > 0);
  EXPECT_TRUE(std::isinf(fams[4].samples[0].value) && fams[4].samples[0].value < 0);
  EXPECT_DOUBLE_EQ(fams[5].samples[0].value, 0.0015);
}

TEST(Prometheus, MalformedInputNamesLineAndColumn) {
  EXPECT_EQ(error_of("a 1\nb{x=\"1} 2\n"), "m.prom:2:10: label value not closed with '\"'");
  EXPECT_EQ(error_of("a{x=1} 2\n"), "m.prom:1:5: expected '\"' to start a label value");
  EXPECT_EQ(error_of("a{x=\"\\t\"} 2\n"), "m.prom:1:6: unknown escape '\\t' in a label value (only \\\\, \\\" and \\n)");
  EXPECT_EQ(error_of("a one\n"), "m.prom:1:3: not a number: 'one'");
  EXPECT_EQ(error_of("a 0x10\n"), "m.prom:1:3: not a number: '0x10'");
  EXPECT_EQ(error_of("a 1 soon\n"), "m.prom:1:5: not a timestamp in milliseconds: 'soon'");
  EXPECT_EQ(error_of("a 1 # {trace_id=\"x\"} 1\n"),
            "m.prom:1:5: an exemplar (OpenMetrics '# {...}') after the value; the text format has none");
  EXPECT_EQ(error_of("# TYPE a gauge\n# TYPE a counter\n"), "m.prom:2:8: second TYPE line for a");
  EXPECT_EQ(error_of("a 1\n# TYPE a gauge\n"), "m.prom:2:8: TYPE line for a after its samples");
  EXPECT_EQ(error_of("# TYPE a meter\n"), "m.prom:1:10: unknown metric type 'meter' (counter, gauge, histogram, summary or untyped)");
  EXPECT_EQ(error_of("a{x=\"1\",x=\"2\"} 1\n"), "m.prom:1:9: label x given twice");
  EXPECT_EQ(error_of("9a 1\n"), "m.prom:1:1: expected a metric name, '#' or an empty line");
  EXPECT_EQ(error_of("a\n"), "m.prom:1:2: expected a value after a");
  EXPECT_EQ(error_of("a{x=\"1\" y=\"2\"} 1\n"), "m.prom:1:9: expected ',' or '}' after a label value");
}

// Sample timestamps (milliseconds) become RFC 3339 through plugins/common's
// one formatter; times before 1970 are floored, not written with a minus.
TEST(PluginCommonTime, MillisecondsAndMicrosecondsAreFlooredIntoTheirSecond) {
  EXPECT_EQ(plugin_common::rfc3339_ms(1700000000123), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(plugin_common::rfc3339_ms(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(plugin_common::rfc3339_us(-1), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(plugin_common::rfc3339_us(1700000000000001), "2023-11-14T22:13:20.000001Z");
}
