#include "kernel_events.h"

#include <re2/re2.h>

namespace node {

// The kernel's wording, from its printk formats (kernel/hung_task.c,
// kernel/watchdog.c, kernel/rcu/tree_stall.h, mm/oom_kill.c, fs/ext4/super.c,
// net/core/dev.c, block/blk-core.c, fs/buffer.c). Matched on one line of a
// record's text, without the log's time or priority prefix.
struct EventRecogniser::Patterns {
  RE2 hung{R"(INFO: task (.+):(\d+) blocked (?:in I/O wait )?for more than (\d+) seconds)"};
  RE2 soft_lockup{R"(BUG: soft lockup - CPU#(\d+) stuck for (\d+)s! \[(.+):(\d+)\])"};
  RE2 rcu{R"((rcu_\w+) (?:self-)?detected stalls? on)"};
  RE2 oops{R"(^(?:BUG: |Oops: |kernel BUG at |general protection fault|divide error: |Unable to handle kernel ))"};
  RE2 panic{R"(Kernel panic - not syncing: (.*))"};
  RE2 fs_error{R"((?:EXT[234]-fs error|BTRFS error|BTRFS critical) \(device ([^)]+)\))"};
  RE2 xfs_error{R"(^XFS \(([^)]+)\): (?:Corruption|metadata I/O error|Internal error|.*Shutting down filesystem))"};
  RE2 read_only{R"(\(([^)]+)\): Remounting filesystem read-only)"};
  RE2 netdev{R"(unregister_netdevice: waiting for (\S+) to become free\. Usage count = (-?\d+))"};
  RE2 io_error{R"((?:Buffer I/O error on dev(?:ice)? |I/O error, dev )([^,\s]+))"};
  RE2 oom_invoked{R"(^(.+) invoked oom-killer:)"};
  RE2 oom_killed{R"((?:Killed process|Kill process) (\d+) \((.*?)\))"};
  RE2 oom_memcg{R"(Memory cgroup out of memory|CONSTRAINT_MEMCG|killed as a result of limit of)"};
  // A line none of the above can match (most lines) is passed over with one search.
  RE2 any{R"(blocked|soft lockup|detected stall|Kernel panic|BUG|Oops: |general protection|divide error|)"
          R"(Unable to handle|Remounting|error \(device|BTRFS|XFS|unregister_netdevice|I/O error)"};
};

EventRecogniser::EventRecogniser() : re_(std::make_unique<Patterns>()) {}
EventRecogniser::~EventRecogniser() = default;

void EventRecogniser::push(KernelEvent e) {
  events_.push_back(std::move(e));
  if (events_.size() > kMaxEvents) {
    events_.pop_front();
    ++dropped_;
  }
}

void EventRecogniser::add(const KernelRecord& r) {
  std::string_view m = r.message;
  while (true) {
    size_t nl = m.find('\n');
    line(m.substr(0, nl), r);
    if (nl == std::string_view::npos) break;
    m.remove_prefix(nl + 1);
  }
}

void EventRecogniser::finish() {
  if (oom_) push(std::move(*oom_));
  oom_.reset();
}

namespace {
KernelEvent event_at(const char* kind, std::string_view text, const KernelRecord& r) {
  KernelEvent e;
  e.kind = kind;
  e.message = std::string(text.substr(0, 1024));
  e.record = r.index;
  e.boot_us = r.boot_us;
  e.wall_us = r.wall_us;
  return e;
}
}  // namespace

// An OOM report is many lines: "X invoked oom-killer", the memory state, the
// task list, then "Killed process N (victim)". One event from the first line
// to the victim; a report cut short (a panic, the end of the log) has none.
void EventRecogniser::oom_line(std::string_view text, const KernelRecord& r) {
  std::string invoker, victim, pid;
  if (RE2::PartialMatch(text, re_->oom_invoked, &invoker)) {
    finish();
    oom_ = event_at("oom_kill", text, r);
    oom_->scope = "system";
    oom_->detail = invoker;
    oom_lines_ = 0;
    return;
  }
  if (!oom_ && !RE2::PartialMatch(text, re_->oom_killed)) return;
  if (oom_ && ++oom_lines_ > 2000) finish();  // no victim after a whole report: give up on it
  if (RE2::PartialMatch(text, re_->oom_memcg)) {
    if (!oom_) oom_ = event_at("oom_kill", text, r);
    oom_->scope = "memcg";
  }
  if (RE2::PartialMatch(text, re_->oom_killed, &pid, &victim)) {
    if (!oom_) oom_ = event_at("oom_kill", text, r), oom_->scope = "system";
    oom_->subject = victim;
    oom_->pid = std::stoll(pid.substr(0, 18));
    // "Kill process N (x) ... or sacrifice child" chooses; "Killed process" ends the report.
    if (text.find("Killed process") != std::string_view::npos) finish();
  }
}

void EventRecogniser::line(std::string_view text, const KernelRecord& r) {
  if (text.find("oom") != std::string_view::npos || text.find("Kill") != std::string_view::npos ||
      text.find("out of memory") != std::string_view::npos || oom_)
    oom_line(text, r);
  if (!RE2::PartialMatch(text, re_->any)) return;
  std::string a, b, c, d;
  if (RE2::PartialMatch(text, re_->hung, &a, &b, &c)) {
    auto e = event_at("hung_task", text, r);
    e.subject = a, e.pid = std::stoll(b.substr(0, 18)), e.detail = "blocked for more than " + c + " seconds";
    push(std::move(e));
  } else if (RE2::PartialMatch(text, re_->soft_lockup, &a, &b, &c, &d)) {
    auto e = event_at("soft_lockup", text, r);
    e.subject = c, e.pid = std::stoll(d.substr(0, 18)), e.detail = "CPU#" + a + " stuck for " + b + "s";
    push(std::move(e));
  } else if (RE2::PartialMatch(text, re_->rcu, &a)) {
    auto e = event_at("rcu_stall", text, r);
    e.detail = a;
    push(std::move(e));
  } else if (RE2::PartialMatch(text, re_->panic, &a)) {
    auto e = event_at("panic", text, r);
    e.detail = a;
    push(std::move(e));
  } else if (RE2::PartialMatch(text, re_->oops) && text.find("BUG: soft lockup") == std::string_view::npos) {
    push(event_at("oops", text, r));
  } else if (RE2::PartialMatch(text, re_->read_only, &a)) {
    auto e = event_at("fs_read_only", text, r);
    e.subject = a;
    push(std::move(e));
  } else if (RE2::PartialMatch(text, re_->fs_error, &a) || RE2::PartialMatch(text, re_->xfs_error, &a)) {
    auto e = event_at("fs_error", text, r);
    e.subject = a;
    push(std::move(e));
  } else if (RE2::PartialMatch(text, re_->netdev, &a, &b)) {
    auto e = event_at("unregister_netdevice", text, r);
    e.subject = a, e.detail = "usage count " + b;
    push(std::move(e));
  } else if (RE2::PartialMatch(text, re_->io_error, &a)) {
    auto e = event_at("io_error", text, r);
    e.subject = a;
    push(std::move(e));
  }
}

}  // namespace node
