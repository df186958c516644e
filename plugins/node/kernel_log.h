// The kernel log: records read from /dev/kmsg, or from a file holding the
// log in one of the formats people save it in (a copy of /dev/kmsg, dmesg's
// output, a syslog file such as kern.log or /var/log/messages), assembled
// into records with continuation lines joined, and kept within a stated
// number of bytes however long the log is. See docs/node.md.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "common/time.h"

namespace node {

enum class LogFormat { Kmsg, Dmesg, Syslog, Plain };
const char* format_name(LogFormat f);

struct KernelRecord {
  uint64_t index = 0;              // 0-based position among the log's records
  size_t line = 0;                 // 1-based line of the file where it starts (0 for /dev/kmsg)
  LogFormat format = LogFormat::Plain;
  std::optional<int64_t> seq;      // /dev/kmsg sequence number
  std::optional<int> priority;     // 0 (emerg) .. 7 (debug)
  std::optional<int> facility;     // 0 = kernel
  std::optional<int64_t> boot_us;  // microseconds since boot
  std::optional<int64_t> wall_us;  // microseconds since the epoch
  std::string caller;              // printk caller id: "T31" (task) or "C0" (CPU)
  std::string message;             // continuation lines joined with '\n'
};

// How wall-clock times are found.
struct ClockHint {
  // Epoch microseconds of the boot the log's boot-relative times count from;
  // unknown for a saved log unless given (--set node.kmsg_boot_time).
  std::optional<int64_t> boot_epoch_us;
  // Syslog's classic "Jan  5 15:19:27" has no year: this one, unless the
  // date would then lie more than a day in the future (the previous year).
  int64_t now_epoch_s = 0;
};

// One physical line, classified. A line that starts no record is a
// continuation of the previous one (dmesg prints a multi-line record's later
// lines without a time) or, before any timed record, a record of its own.
struct ParsedLine {
  bool starts_record = false;
  bool kmsg_dict = false;       // " KEY=value" after a /dev/kmsg record: metadata, not text
  bool not_kernel = false;      // a syslog line from another program: skipped
  char kmsg_flag = '-';         // '-' whole, 'c' continued later, '+' a continuation
  KernelRecord rec;             // header fields when starts_record
  std::string_view text;        // the message text of this line
};
ParsedLine parse_kernel_line(std::string_view line, const ClockHint& clock);

// Undoes /dev/kmsg's \xNN escapes (a newline inside a message is \x0a).
std::string unescape_kmsg(std::string_view s);

// Assembles records from physical lines and hands each finished one to
// `emit`. A record's message is capped at kMaxMessageBytes (the kernel's own
// limit per record is 1 KiB; continuation lines can add up).
class RecordAssembler {
 public:
  using Emit = std::function<void(KernelRecord&&)>;
  RecordAssembler(ClockHint clock, Emit emit) : clock_(clock), emit_(std::move(emit)) {}
  void line(std::string_view text);  // without its '\n'
  void finish();
  size_t lines() const { return lines_; }
  size_t skipped_lines() const { return skipped_; }

  static constexpr size_t kMaxMessageBytes = 64 * 1024;

 private:
  void flush();
  void append(std::string_view text);

  ClockHint clock_;
  Emit emit_;
  std::optional<KernelRecord> open_;
  bool open_continues_ = false;  // the open record was flagged 'c' or is dmesg/timed
  uint64_t next_index_ = 0;
  size_t lines_ = 0;
  size_t skipped_ = 0;
};

// Feeds the physical lines of the kernel log at `path` to `on_line`.
// A character device is read as /dev/kmsg: non-blocking, one record per
// read(), from the start of the ring buffer to its current end (records
// overwritten while reading are counted in *lost). Anything else (a file, a
// FIFO, /dev/fd/N) is read to its end in 1 MiB chunks; a line longer than
// kMaxLineBytes is cut there. Memory: one chunk plus one line. Throws
// std::runtime_error naming the path when it cannot be opened or read.
struct ReadStats {
  bool device = false;
  uint64_t bytes = 0;
  uint64_t lost_records = 0;  // /dev/kmsg: overwritten before they were read
  uint64_t cut_lines = 0;     // lines longer than kMaxLineBytes
};
constexpr size_t kMaxLineBytes = 64 * 1024;
struct KernelLogError : std::runtime_error {
  KernelLogError(const std::string& what, int e) : std::runtime_error(what), err(e) {}
  int err;  // the errno
};
ReadStats read_kernel_log(const std::string& path, const std::function<void(std::string_view)>& on_line);

// Keeps the newest records whose messages add up to at most max_bytes (each
// record counted as its message plus kRecordOverhead), dropping the oldest.
class RecordWindow {
 public:
  explicit RecordWindow(size_t max_bytes) : max_bytes_(max_bytes) {}
  void push(KernelRecord&& r);
  const std::deque<KernelRecord>& records() const { return records_; }
  uint64_t dropped() const { return dropped_; }
  size_t bytes() const { return bytes_; }
  static constexpr size_t kRecordOverhead = 128;

 private:
  size_t max_bytes_;
  size_t bytes_ = 0;
  uint64_t dropped_ = 0;
  std::deque<KernelRecord> records_;
};

// The boot time of the running kernel, as epoch microseconds: CLOCK_REALTIME
// minus CLOCK_BOOTTIME (what dmesg(1) uses).
std::optional<int64_t> this_boot_epoch_us();

using plugin_common::parse_rfc3339_us;
using plugin_common::rfc3339_us;

}  // namespace node
