// Running a tool (iptables-save, kube-bench) as a child process: argv[0]
// searched in PATH, stdin from /dev/null, stdout captured up to a cap,
// stderr kept for the message, killed at a deadline. Optionally in a network
// namespace (setns in the child, so the plugin's threads never move).
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace plugin_common {

struct ToolResult {
  int exit_code = -1;  // the exit status, or 128 + signal
  std::string out;
  std::string err;
};

// Whether `file` is an executable somewhere in PATH (or, with a '/', there).
bool in_path(const std::string& file);

// Runs argv[0] with argv, in the network namespace `netns_fd` (-1: this
// process's), capturing stdout (at most `cap` bytes) and stderr. Throws
// std::runtime_error when the tool cannot be started ("iptables-save: not
// found in PATH"), the output is too large or the tool runs past `timeout`
// (then it is killed).
ToolResult run_tool(const std::vector<std::string>& argv, int netns_fd, size_t cap, std::chrono::milliseconds timeout);

}  // namespace plugin_common
