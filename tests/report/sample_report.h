// A realistic report for the renderer tests: a self-hosted v1.29 cluster with
// a NotReady node, kube-proxy unhealthy on a control-plane and a worker node, a
// DaemonSet not fully available, a webhook whose service has no endpoints,
// CrashLoopBackOff pods (one named with markup, quotes and ampersands), plus
// passing, error and skipped checks.
#pragma once

#include <string>

#include "core/report/report.h"

namespace kinspect::report::testing {

// The sample's numbers, for assertions.
inline constexpr int kChecks = 13, kPassed = 5, kFailed = 6, kErrors = 1, kSkipped = 1;
inline constexpr int kCriticalChecks = 3, kWarningChecks = 2, kInfoChecks = 1;
inline constexpr int kCrashLoopFindings = 25;  // more than the default 20 shown
inline constexpr int kFindings = 1 + 2 + 1 + 1 + kCrashLoopFindings + 1;
inline constexpr const char* kScriptObject = "pod/default/<script>alert(1)</script>";
inline constexpr const char* kTrickyMessage = "container \"app\" & 'sidecar' restarted 12 times <b>";

Report sample_report();

// Reads / writes a whole file.
std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& text);
// A folder under the build tree for files tests write (created on demand).
std::string out_dir();

}  // namespace kinspect::report::testing
