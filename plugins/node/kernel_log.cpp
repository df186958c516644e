#include "kernel_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <vector>

namespace node {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads digits at s[i...]; advances i. nullopt when there are none.
std::optional<int64_t> digits(std::string_view s, size_t& i) {
  size_t start = i;
  int64_t v = 0;
  while (i < s.size() && is_digit(s[i]) && i - start < 18) v = v * 10 + (s[i++] - '0');
  if (i == start) return std::nullopt;
  return v;
}

bool eat(std::string_view s, size_t& i, char c) {
  if (i < s.size() && s[i] == c) return ++i, true;
  return false;
}
void skip_spaces(std::string_view s, size_t& i) {
  while (i < s.size() && s[i] == ' ') ++i;
}

// "[  246.752196]" at s[i]: microseconds since boot.
std::optional<int64_t> dmesg_time(std::string_view s, size_t& i) {
  size_t j = i;
  if (!eat(s, j, '[')) return std::nullopt;
  skip_spaces(s, j);
  auto sec = digits(s, j);
  if (!sec || !eat(s, j, '.')) return std::nullopt;
  size_t frac_start = j;
  auto frac = digits(s, j);
  if (!frac || !eat(s, j, ']')) return std::nullopt;
  int64_t us = *frac;
  for (size_t n = j - 1 - frac_start; n < 6; ++n) us *= 10;
  for (size_t n = j - 1 - frac_start; n > 6; --n) us /= 10;
  i = j;
  return *sec * 1000000 + us;
}

// "[   T31]" or "[    C0]": the printk caller id (CONFIG_PRINTK_CALLER).
std::string caller_id(std::string_view s, size_t& i) {
  size_t j = i;
  if (!eat(s, j, '[')) return "";
  skip_spaces(s, j);
  if (j >= s.size() || (s[j] != 'T' && s[j] != 'C')) return "";
  size_t start = j++;
  if (!digits(s, j) || !eat(s, j, ']')) return "";
  i = j;
  return std::string(s.substr(start, j - 1 - start));
}

// "prio,seq,usec,flags[,...];text" (Documentation/ABI/testing/dev-kmsg).
bool parse_kmsg(std::string_view s, ParsedLine& out) {
  size_t i = 0;
  auto prio = digits(s, i);
  if (!prio || !eat(s, i, ',')) return false;
  auto seq = digits(s, i);
  if (!seq || !eat(s, i, ',')) return false;
  auto usec = digits(s, i);
  if (!usec || !eat(s, i, ',')) return false;
  size_t semi = s.find(';', i);
  if (semi == std::string_view::npos || semi - i > 64) return false;
  std::string_view flags = s.substr(i, semi - i);
  out.kmsg_flag = flags.empty() ? '-' : flags[0];
  out.starts_record = true;
  out.rec.format = LogFormat::Kmsg;
  out.rec.priority = static_cast<int>(*prio & 7);
  out.rec.facility = static_cast<int>(*prio >> 3);
  out.rec.seq = *seq;
  out.rec.boot_us = *usec;
  // Newer kernels add ",caller=T31" after the flags.
  if (size_t c = flags.find("caller="); c != std::string_view::npos) out.rec.caller = std::string(flags.substr(c + 7));
  out.text = s.substr(semi + 1);
  return true;
}

// "<6>[    0.000000][    T0] text", as `dmesg -r`, `dmesg` and consoles print it.
bool parse_dmesg(std::string_view s, ParsedLine& out) {
  size_t i = 0;
  std::optional<int64_t> prio;
  if (s.size() > 2 && s[0] == '<') {
    size_t j = 1;
    prio = digits(s, j);
    if (!prio || !eat(s, j, '>')) return false;
    i = j;
  }
  auto t = dmesg_time(s, i);
  if (!t) return false;
  out.rec.caller = caller_id(s, i);
  eat(s, i, ' ');
  out.starts_record = true;
  out.rec.format = LogFormat::Dmesg;
  out.rec.boot_us = t;
  if (prio) out.rec.priority = static_cast<int>(*prio & 7), out.rec.facility = static_cast<int>(*prio >> 3);
  out.text = s.substr(i);
  return true;
}

const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// "Jan  5 15:19:27 " -> epoch seconds (read as UTC; syslog gives no zone).
std::optional<int64_t> classic_syslog_time(std::string_view s, int64_t now) {
  if (s.size() < 16 || s[3] != ' ' || s[6] != ' ' || s[9] != ':' || s[12] != ':' || s[15] != ' ') return std::nullopt;
  int mon = -1;
  for (int m = 0; m < 12; ++m)
    if (s.substr(0, 3) == kMonths[m]) mon = m;
  size_t i = 4;
  skip_spaces(s, i);
  auto day = digits(s, i);
  size_t h = 7, mi = 10, se = 13;
  auto hh = digits(s, h), mm = digits(s, mi), ss = digits(s, se);
  if (mon < 0 || !day || !hh || !mm || !ss || i != 6) return std::nullopt;
  std::tm now_tm{};
  time_t nt = static_cast<time_t>(now);
  gmtime_r(&nt, &now_tm);
  for (int year : {now_tm.tm_year, now_tm.tm_year - 1}) {
    std::tm tm{};
    tm.tm_year = year, tm.tm_mon = mon, tm.tm_mday = static_cast<int>(*day);
    tm.tm_hour = static_cast<int>(*hh), tm.tm_min = static_cast<int>(*mm), tm.tm_sec = static_cast<int>(*ss);
    int64_t t = timegm(&tm);
    if (t <= now + 86400) return t;
  }
  return std::nullopt;
}

// "HOST kernel: text", "kernel: text" or "HOST kernel[0]: text" after the
// time: the text when the program is the kernel; nullopt for another program.
std::optional<std::string_view> syslog_kernel_text(std::string_view rest) {
  for (int token = 0; token < 2; ++token) {
    size_t sp = rest.find(' ');
    std::string_view tag = rest.substr(0, sp);
    if (!tag.empty() && tag.back() == ':') {
      tag.remove_suffix(1);
      if (size_t b = tag.find('['); b != std::string_view::npos) tag = tag.substr(0, b);
      if (tag != "kernel") return std::nullopt;
      return sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
    }
    if (sp == std::string_view::npos) return std::nullopt;
    rest.remove_prefix(sp + 1);
  }
  return std::nullopt;
}

bool parse_syslog(std::string_view s, const ClockHint& clock, ParsedLine& out) {
  std::optional<int64_t> wall_us;
  std::string_view rest;
  if (auto t = classic_syslog_time(s, clock.now_epoch_s)) {
    wall_us = *t * 1000000;
    rest = s.substr(16);
  } else if (s.size() > 20 && is_digit(s[0]) && s[4] == '-' && s[10] == 'T') {
    size_t sp = s.find(' ');
    if (sp == std::string_view::npos) return false;
    wall_us = parse_rfc3339_us(s.substr(0, sp));
    if (!wall_us) return false;
    rest = s.substr(sp + 1);
  } else {
    return false;
  }
  auto text = syslog_kernel_text(rest);
  if (!text) {
    out.not_kernel = true;
    return true;
  }
  out.starts_record = true;
  out.rec.format = LogFormat::Syslog;
  out.rec.wall_us = wall_us;
  size_t i = 0;
  if (auto t = dmesg_time(*text, i)) {
    out.rec.boot_us = t;
    eat(*text, i, ' ');
  }
  out.text = text->substr(i);
  return true;
}

}  // namespace

const char* format_name(LogFormat f) {
  switch (f) {
    case LogFormat::Kmsg: return "kmsg";
    case LogFormat::Dmesg: return "dmesg";
    case LogFormat::Syslog: return "syslog";
    case LogFormat::Plain: return "plain";
  }
  return "plain";
}

ParsedLine parse_kernel_line(std::string_view line, const ClockHint& clock) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  ParsedLine p;
  if (!line.empty() && is_digit(line[0]) && parse_kmsg(line, p)) return p;
  if (!line.empty() && (line[0] == '[' || line[0] == '<') && parse_dmesg(line, p)) return p;
  if (line.size() > 15 && parse_syslog(line, clock, p)) return p;
  p = ParsedLine{};
  p.text = line;
  return p;
}

std::string unescape_kmsg(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() + 0 && s[i + 1] == 'x' && hex(s[i + 2]) >= 0 && hex(s[i + 3]) >= 0) {
      out.push_back(static_cast<char>(hex(s[i + 2]) * 16 + hex(s[i + 3])));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

void RecordAssembler::append(std::string_view text) {
  std::string& m = open_->message;
  if (m.size() >= kMaxMessageBytes) return;
  if (!m.empty()) m.push_back('\n');
  m.append(text.substr(0, kMaxMessageBytes - std::min(m.size(), kMaxMessageBytes)));
}

void RecordAssembler::flush() {
  if (!open_) return;
  KernelRecord r = std::move(*open_);
  open_.reset();
  r.index = next_index_++;
  if (!r.wall_us && r.boot_us && clock_.boot_epoch_us) r.wall_us = *clock_.boot_epoch_us + *r.boot_us;
  emit_(std::move(r));
}

void RecordAssembler::line(std::string_view text) {
  ++lines_;
  ParsedLine p = parse_kernel_line(text, clock_);
  if (p.not_kernel) return void(++skipped_);
  if (p.starts_record) {
    std::string msg = p.rec.format == LogFormat::Kmsg ? unescape_kmsg(p.text) : std::string(p.text);
    // A '+' fragment continues the open 'c' record (kernels before 4.x split
    // KERN_CONT output this way); it is joined without a newline.
    if (p.rec.format == LogFormat::Kmsg && p.kmsg_flag == '+' && open_ && open_->format == LogFormat::Kmsg &&
        open_continues_) {
      if (open_->message.size() + msg.size() <= kMaxMessageBytes) open_->message += msg;
      return;
    }
    flush();
    open_ = std::move(p.rec);
    open_->line = lines_;
    open_->message = std::move(msg);
    open_continues_ = p.kmsg_flag == 'c' || open_->format == LogFormat::Dmesg;
    return;
  }
  if (open_ && open_->format == LogFormat::Kmsg && !p.text.empty() && p.text[0] == ' ') return;  // dictionary
  if (p.text.find_first_not_of(" \t") == std::string_view::npos) {
    flush();  // a blank line ends a record and is none
    return;
  }
  if (open_ && open_->format == LogFormat::Dmesg) return append(p.text);
  flush();
  open_ = KernelRecord{};
  open_->line = lines_;
  open_->message = std::string(p.text.substr(0, kMaxMessageBytes));
  open_continues_ = false;
}

void RecordAssembler::finish() { flush(); }

void RecordWindow::push(KernelRecord&& r) {
  bytes_ += r.message.size() + kRecordOverhead;
  records_.push_back(std::move(r));
  while (bytes_ > max_bytes_ && !records_.empty()) {
    bytes_ -= records_.front().message.size() + kRecordOverhead;
    records_.pop_front();
    ++dropped_;
  }
}

namespace {

std::string open_error(const std::string& path, int e) {
  std::string why = std::strerror(e);
  if (e == EACCES || e == EPERM) why += " (reading /dev/kmsg needs root or CAP_SYSLOG when kernel.dmesg_restrict is 1)";
  return "cannot open kernel log " + path + ": " + why;
}

ReadStats read_device(int fd, const std::string& path, const std::function<void(std::string_view)>& on_line) {
  ReadStats st;
  st.device = true;
  std::vector<char> buf(16 * 1024);  // a /dev/kmsg record is at most ~8 KiB with its dictionary
  // A chatty kernel could refill the buffer as fast as it is read; one pass
  // of the largest ring buffer (32 MiB) is enough.
  for (size_t reads = 0; reads < 4'000'000; ++reads) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EPIPE) {
      ++st.lost_records;
      continue;
    }
    if (n < 0 && errno == EAGAIN) break;
    if (n < 0) throw KernelLogError("cannot read kernel log " + path + ": " + std::strerror(errno), errno);
    if (n == 0) break;
    st.bytes += static_cast<uint64_t>(n);
    std::string_view rec(buf.data(), static_cast<size_t>(n));
    while (!rec.empty()) {
      size_t nl = rec.find('\n');
      on_line(rec.substr(0, nl));
      if (nl == std::string_view::npos) break;
      rec.remove_prefix(nl + 1);
    }
  }
  return st;
}

ReadStats read_stream(int fd, const std::string& path, const std::function<void(std::string_view)>& on_line) {
  ReadStats st;
  std::vector<char> buf(1 << 20);
  std::string partial;
  bool cutting = false;  // inside a line already cut at kMaxLineBytes
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw KernelLogError("cannot read kernel log " + path + ": " + std::strerror(errno), errno);
    if (n == 0) break;
    st.bytes += static_cast<uint64_t>(n);
    std::string_view chunk(buf.data(), static_cast<size_t>(n));
    while (!chunk.empty()) {
      size_t nl = chunk.find('\n');
      std::string_view piece = chunk.substr(0, nl);
      if (!cutting) {
        size_t room = kMaxLineBytes - partial.size();
        if (piece.size() > room) {
          partial.append(piece.substr(0, room));
          cutting = true;
          ++st.cut_lines;
        } else {
          partial.append(piece);
        }
      }
      if (nl == std::string_view::npos) break;
      on_line(partial);
      partial.clear();
      cutting = false;
      chunk.remove_prefix(nl + 1);
    }
  }
  if (!partial.empty()) on_line(partial);
  return st;
}

}  // namespace

ReadStats read_kernel_log(const std::string& path, const std::function<void(std::string_view)>& on_line) {
  // O_NONBLOCK: /dev/kmsg's read() would otherwise wait for the next record;
  // for a FIFO it makes open() return at once, so it is cleared again below.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    int e = errno;
    throw KernelLogError(open_error(path, e), e);
  }
  struct stat st{};
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    throw std::runtime_error("cannot stat kernel log " + path + ": " + std::strerror(e));
  }
  try {
    ReadStats r;
    if (S_ISCHR(st.st_mode)) {
      r = read_device(fd, path, on_line);
    } else if (S_ISDIR(st.st_mode)) {
      throw std::runtime_error("kernel log " + path + " is a directory, not a file");
    } else {
      ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
      r = read_stream(fd, path, on_line);
    }
    ::close(fd);
    return r;
  } catch (...) {
    ::close(fd);
    throw;
  }
}

std::optional<int64_t> this_boot_epoch_us() {
  struct timespec rt{}, bt{};
  if (::clock_gettime(CLOCK_REALTIME, &rt) != 0 || ::clock_gettime(CLOCK_BOOTTIME, &bt) != 0) return std::nullopt;
  return (static_cast<int64_t>(rt.tv_sec) - bt.tv_sec) * 1000000 + (rt.tv_nsec - bt.tv_nsec) / 1000;
}

}  // namespace node
