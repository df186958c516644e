// libFuzzer target: any bytes as a node-problem-detector monitor
// configuration (plugins/node/npd.cpp), then its rules compiled and run over
// a few kernel-log lines, as node.problems does with a configuration folder.
// Property: a configuration or a std::runtime_error naming the file; never a
// crash, a hang or another exception.
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

#include "plugins/node/kernel_log.h"
#include "plugins/node/npd.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  try {
    std::vector<node::NpdConfig> cs{node::parse_npd_config(in, "fuzz.json")};
    cs[0].applies = true;
    node::NpdMatcher m(cs);
    node::KernelRecord r;
    for (const char* line : {"INFO: task docker:20744 blocked for more than 120 seconds.",
                             "Memory cgroup out of memory: Kill process 1 (a) score 1 or sacrifice child",
                             "Killed process 1 (a) total-vm:1kB, anon-rss:1kB, file-rss:1kB", ""}) {
      r.message = line;
      m.add(r);
    }
    for (const auto& p : m.problems())
      if (p.count == 0 || p.lines.size() > node::NpdProblem::kMaxLines) std::abort();
  } catch (const std::runtime_error& e) {
    if (std::string_view(e.what()).rfind("fuzz.json", 0) != 0) std::abort();
  }
  return 0;
}
