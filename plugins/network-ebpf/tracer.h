// One tracing window: load the drop tracer (drops.bpf.c) into the kernel,
// attach it to skb:kfree_skb, wait, read its maps, and free everything. The
// programs and maps live only as file descriptors of this process (nothing is
// pinned), so they go when the window ends, and also when the process is
// interrupted or killed mid-window: the kernel frees a BPF object with its
// last descriptor.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "drop_key.h"

namespace network_ebpf {

struct TraceOptions {
  std::chrono::milliseconds duration{5000};
  uint32_t netns_inode = 0;    // 0: every namespace
  uint32_t consumed_reason = 1;  // SKB_CONSUMED of this kernel, not counted
  uint32_t max_keys = 16384;   // distinct (reason, location, stack, netns, flow) keys
  uint32_t max_stacks = 4096;  // distinct kernel stacks
  std::string btf_path = "/sys/kernel/btf/vmlinux";
  bool direct_packet_loads = true;  // try the program that reads packets with direct loads first
};

struct DropCount {
  kebpf_drop_key key;
  kebpf_drop_value value;
};

struct Capture {
  std::vector<DropCount> drops;
  std::map<int32_t, std::vector<uint64_t>> stacks;  // stack id -> return addresses, innermost first
  uint64_t seen = 0, keys_full = 0, no_stack = 0;   // the program's counters
  std::chrono::system_clock::time_point started, ended;
  uint64_t started_ktime_ns = 0;  // CLOCK_MONOTONIC at start, to place first_ns/last_ns
  TraceOptions options;
};

// Runs one window. `stop` is polled a few times a second; when it returns
// true the window ends early and what was counted so far is returned.
// Throws kinspect::sdk::Unavailable when this process may not load BPF
// programs or the kernel lacks the tracepoint, std::runtime_error otherwise.
Capture trace_drops(const TraceOptions& options, const std::function<bool()>& stop);

}  // namespace network_ebpf
