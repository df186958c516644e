// Reading another network namespace: the plugin runs in a worker process with
// several threads, and setns(CLONE_NEWNET) moves only the calling thread. So
// every read of a namespace's state (netlink sockets, /proc/thread-self/net,
// /proc/sys/net) happens on one thread between entering and leaving, inside a
// NetnsScope, and tools (iptables-save, nft) are exec'd by a child that enters
// the namespace itself between fork and exec.
#pragma once

#include "common/subprocess.h"

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

namespace network {

// An open namespace file (/var/run/netns/NAME); -1 means "the namespace this
// thread is in". Owns the descriptor.
class NetnsFd {
 public:
  NetnsFd() = default;
  // Opens `path`; throws std::runtime_error naming the namespace and the path.
  NetnsFd(const std::string& name, const std::string& path);
  NetnsFd(NetnsFd&& o) noexcept : fd_(o.fd_), name_(std::move(o.name_)) { o.fd_ = -1; }
  NetnsFd& operator=(NetnsFd&& o) noexcept;
  NetnsFd(const NetnsFd&) = delete;
  NetnsFd& operator=(const NetnsFd&) = delete;
  ~NetnsFd();
  int fd() const { return fd_; }
  const std::string& name() const { return name_; }

 private:
  int fd_ = -1;
  std::string name_;
};

// Moves the calling thread into `ns` for the scope's lifetime and back into
// the namespace it was in. A no-op for the current namespace (fd -1).
class NetnsScope {
 public:
  explicit NetnsScope(const NetnsFd& ns);
  ~NetnsScope();
  NetnsScope(const NetnsScope&) = delete;
  NetnsScope& operator=(const NetnsScope&) = delete;

 private:
  int saved_ = -1;
};

// The tools run in a namespace: plugin_common::run_tool with its fd.
using plugin_common::ToolResult;
inline ToolResult run_tool(const std::vector<std::string>& argv, const NetnsFd& ns, size_t cap,
                           std::chrono::milliseconds timeout) {
  if (!plugin_common::in_path(argv.at(0)))
    throw std::runtime_error(argv[0] + ": not found in PATH (install it, or give a saved dump)");
  return plugin_common::run_tool(argv, ns.fd(), cap, timeout);
}

}  // namespace network
