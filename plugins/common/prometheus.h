// The Prometheus text exposition format (version 0.0.4): what /metrics
// endpoints serve. The whole format: # HELP and # TYPE lines (with their
// escapes), other comments, samples with labels (escaped values, a trailing
// comma), values including NaN and +Inf/-Inf, and optional millisecond
// timestamps. OpenMetrics' exemplars ("# {trace_id=...} 1") are refused with
// a clear error rather than misread. Bad input never crashes: the error
// names the source, line and column.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace plugin_common {

struct PromSample {
  std::string name;  // as written: "problem_counter", "x_bucket"
  std::vector<std::pair<std::string, std::string>> labels;  // in order, values unescaped
  double value = 0;
  std::optional<int64_t> timestamp_ms;
  size_t line = 0;
  // The value of a label, or nullptr.
  const std::string* label(std::string_view key) const;
};

struct PromFamily {
  std::string name;
  std::string type = "untyped";  // counter, gauge, histogram, summary, untyped
  std::string help;              // unescaped
  std::vector<PromSample> samples;
};

struct PromError : std::runtime_error {
  PromError(const std::string& what, size_t line, size_t column)
      : std::runtime_error(what), line(line), column(column) {}
  size_t line, column;
};

// Parses a whole exposition. Throws PromError "source:line:col: why".
// Families are in the order they first appear; a sample whose name is a
// histogram's or summary's _bucket/_sum/_count belongs to that family.
std::vector<PromFamily> parse_prometheus_text(std::string_view text, std::string_view source);

}  // namespace plugin_common
