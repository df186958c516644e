// The kernel's own problem reports, recognised in its log: hung tasks, OOM
// kills (with the victim, system-wide or in a memory cgroup), soft lockups,
// RCU stalls, oopses and BUGs, panics, filesystem errors and read-only
// remounts, unregister_netdevice hangs and block I/O errors. One event per
// report, however many lines the report spans.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kernel_log.h"

namespace node {

struct KernelEvent {
  std::string kind;     // hung_task, oom_kill, soft_lockup, rcu_stall, oops, panic, fs_error, fs_read_only, unregister_netdevice, io_error
  std::string subject;  // the task, victim, device or interface the report is about ("" if none)
  std::optional<int64_t> pid;
  std::string scope;    // oom_kill: "memcg" or "system"; else ""
  std::string detail;   // hung_task: seconds blocked; soft_lockup: CPU and seconds; oom_kill: the invoking task
  std::string message;  // the line the event was recognised on
  uint64_t record = 0;  // index of that record in the log
  std::optional<int64_t> boot_us, wall_us;
};

// Feeds on records in log order; keeps the newest kMaxEvents events (and
// counts all of them per kind), so memory stays bounded on any log.
class EventRecogniser {
 public:
  EventRecogniser();
  ~EventRecogniser();
  void add(const KernelRecord& r);
  // Ends an OOM report still waiting for its "Killed process" line.
  void finish();
  const std::deque<KernelEvent>& events() const { return events_; }
  uint64_t dropped() const { return dropped_; }

  static constexpr size_t kMaxEvents = 4096;

 private:
  void line(std::string_view text, const KernelRecord& r);
  void oom_line(std::string_view text, const KernelRecord& r);
  void push(KernelEvent e);

  struct Patterns;
  std::unique_ptr<Patterns> re_;
  std::optional<KernelEvent> oom_;  // an OOM report being read
  uint64_t oom_lines_ = 0;          // lines since it started
  std::deque<KernelEvent> events_;
  uint64_t dropped_ = 0;
};

}  // namespace node
