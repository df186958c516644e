// Write-back (docs/daemon.md): after each run of a cluster that turned it
// on, the report's findings go to the kube-writeback publisher plugin (ABI
// 1.3), which writes them as Events and node conditions. The daemon decides
// what is published (a severity floor, never a waived finding) and what
// was resolved since the last report; the plugin decides how to write it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "core/daemon/config.h"
#include "core/plugin/plugin.h"
#include "core/report/report.h"

namespace kinspect::daemon {

// The publisher plugin write-back uses.
inline constexpr const char* kWriteBackPlugin = "kube-writeback";

// The ki_publish_request JSON for `current`: its findings at or above the
// floor, and the objects that had such findings in `previous` (may be
// null) and have none now.
std::string publish_request(const std::string& cluster, const report::Report& current,
                            const report::Report* previous, const WriteBack& options);

// What write-back did for one cluster, for /metrics and /readyz.
struct WriteBackStatus {
  std::map<std::pair<std::string, std::string>, uint64_t> writes;  // (write, result) -> count
  uint64_t failures = 0;   // publishes that failed as a whole
  std::string last_error;  // of the last publish, "" when it worked
};

// Publishes `request` through `publisher` and adds what it wrote to `status`.
void write_back(LoadedPlugin& publisher, const std::string& request, const CancelToken* cancel,
                WriteBackStatus& status);

}  // namespace kinspect::daemon
