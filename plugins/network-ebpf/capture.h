// The arguments of net.drops / net.drop_stacks turned into a trace window,
// and the windows shared between them: a query that reads both tables (to
// join drops with their stacks) traces once, not twice.
#pragma once

#include <kinspect/sdk.hpp>

#include "common/window.h"

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "kernel_btf.h"
#include "tracer.h"

namespace network_ebpf {

namespace ks = kinspect::sdk;

struct Settings {
  uint32_t max_keys = 16384;
  uint32_t max_stacks = 4096;
  std::chrono::milliseconds max_duration{300000};
  std::string btf = "/sys/kernel/btf/vmlinux";
  std::string kallsyms = "/proc/kallsyms";
  std::string netns_dir = "/var/run/netns";
  std::string root = "/";  // net.dns_probe reads <root>/etc/resolv.conf
  bool probe_read_only = false;  // packet_reads = "probe_read": never the direct-load program
};

// The window of net.drops and the probes' timeouts (plugins/common/window.h).
inline std::chrono::milliseconds parse_window(const ks::Value& v, std::chrono::milliseconds max,
                                              const std::string& what = "net.drops: duration") {
  return plugin_common::parse_window(v, max, what);
}

// The inode of the named namespace (`ip netns` name, under netns_dir), or of
// the one at a path such as /proc/1234/ns/net. Throws std::runtime_error
// naming the namespace and the path when it does not exist.
uint32_t netns_inode(const std::string& name, const std::string& netns_dir);

// A finished window and what it was asked with.
struct Window {
  Capture capture;
  DropReasons reasons;
  std::string netns_name;  // as given, "" for all namespaces
  std::vector<size_t> by_packets;  // indexes of capture.drops, most packets first
};

// The last window, shared by the two tables: a scan of `table` reuses it when
// it has the same arguments, ended less than kFresh ago and `table` has not
// read it yet; otherwise a new window is traced. So a query that joins
// net.drops with net.drop_stacks traces once, while asking net.drops again
// (the next refresh of `kinspect trace drops`) always traces anew. One window
// runs at a time.
class WindowCache {
 public:
  static constexpr std::chrono::seconds kFresh{10};
  std::shared_ptr<const Window> get(const std::string& table, const Settings& s, std::chrono::milliseconds duration,
                                    const std::string& netns, const std::function<bool()>& stop);

 private:
  std::mutex mutex_;
  std::shared_ptr<const Window> last_;
  std::set<std::string> last_read_by_;
  std::chrono::steady_clock::time_point last_end_;
};

}  // namespace network_ebpf
