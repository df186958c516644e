// libFuzzer target: any bytes through the Prometheus text-format parser
// (plugins/common/prometheus.cpp), as an NPD /metrics page or file is read.
// Property: it returns families or throws PromError whose line and column lie
// inside the input; never a crash, a hang or another exception.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "plugins/common/prometheus.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t lines = 1;
  for (char c : in) lines += c == '\n';
  try {
    auto families = plugin_common::parse_prometheus_text(in, "fuzz.prom");
    for (const auto& f : families)
      for (const auto& s : f.samples)
        if (s.line == 0 || s.line > lines) std::abort();
  } catch (const plugin_common::PromError& e) {
    if (e.line == 0 || e.line > lines || e.column == 0 || e.column > size + 1) std::abort();
  }
  return 0;
}
