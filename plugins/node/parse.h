// Parsers for the /proc and /sys text formats the node driver reads. They take
// the text and the file's name (for messages) and never throw on bad input
// (see plugins/common/text.h).
// Kept apart from plugin.cpp so the tests can feed them text directly.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/text.h"

namespace node {

// The generic line helpers live in plugins/common (shared with the network
// plugin); the node parsers use them unqualified.
using plugin_common::fields;
using plugin_common::for_each_line;
using plugin_common::parse_int;
using plugin_common::parse_real;
using plugin_common::trim;
using plugin_common::valid_utf8;
using plugin_common::Warnings;

// /proc/<pid>/mountinfo (proc(5)): one mount per line.
struct Mount {
  int64_t mount_id = 0;
  int64_t parent_id = 0;
  std::string major_minor;  // "254:0"
  std::string root;         // the mounted subtree of the filesystem
  std::string mount_point;  // unescaped (\040 is a space)
  std::vector<std::string> options;        // per-mount options: rw, nosuid, relatime...
  std::vector<std::string> optional_fields;  // shared:N, master:N...
  std::string fstype;
  std::string source;
  std::vector<std::string> super_options;  // per-superblock options
};
std::vector<Mount> parse_mountinfo(std::string_view text, std::string_view file, Warnings& w);
// Undoes the octal escapes the kernel writes for space, tab, newline and backslash.
std::string unescape_octal(std::string_view s);

// /proc/modules: "name size refcount deps state address".
struct Module {
  std::string name;
  int64_t size = 0;
  int64_t refcount = 0;
  std::vector<std::string> used_by;
  std::string state;  // Live, Loading, Unloading
};
std::vector<Module> parse_modules(std::string_view text, std::string_view file, Warnings& w);
// lib/modules/<release>/modules.builtin: "kernel/net/bridge/br_netfilter.ko"
// per line -> module names as /proc/modules spells them (dashes become underscores).
std::vector<std::string> parse_modules_builtin(std::string_view text, std::string_view file, Warnings& w);

// /proc/swaps: a header line, then "filename type size used priority" (sizes in KiB).
struct Swap {
  std::string filename;
  std::string type;
  int64_t size_kib = 0;
  int64_t used_kib = 0;
  int64_t priority = 0;
};
std::vector<Swap> parse_swaps(std::string_view text, std::string_view file, Warnings& w);

// /proc/meminfo: "MemTotal:       16314920 kB".
struct MemInfo {
  std::string name;
  int64_t value = 0;
  std::string unit;  // "kB" or "" (HugePages_Total is a count)
};
std::vector<MemInfo> parse_meminfo(std::string_view text, std::string_view file, Warnings& w);

// /proc/pressure/<resource>: "some avg10=0.00 avg60=0.00 avg300=0.00 total=0".
struct Pressure {
  std::string kind;  // some, full
  double avg10 = 0, avg60 = 0, avg300 = 0;
  int64_t total_us = 0;
};
std::vector<Pressure> parse_pressure(std::string_view text, std::string_view file, Warnings& w);

// os-release(5): KEY=value lines, values optionally quoted with shell escapes.
inline std::map<std::string, std::string> parse_os_release(std::string_view text, std::string_view file, Warnings& w) {
  return plugin_common::parse_key_values(text, file, w);
}

// /proc/<pid>/stat. comm is in parentheses and may itself hold spaces and
// parentheses, so the fields after it are found from the LAST ')'.
struct ProcStat {
  int64_t pid = 0;
  std::string comm;
  std::string state;  // R, S, D, Z, T, I...
  int64_t ppid = 0;
  int64_t threads = 0;
  int64_t rss_pages = 0;
  int64_t start_ticks = 0;  // since boot, in clock ticks
};
std::optional<ProcStat> parse_proc_stat(std::string_view text);
// /proc/<pid>/cmdline: NUL-separated arguments.
std::vector<std::string> parse_cmdline(std::string_view text);

// A CPU list such as "0-3,8,10-11" (sysfs cpu/online): how many CPUs.
std::optional<int64_t> count_cpu_list(std::string_view list);

// Kernel release "6.1.0-18-amd64" -> {6, 1}.
std::optional<std::pair<int64_t, int64_t>> kernel_major_minor(std::string_view release);


}  // namespace node
