#include "parse.h"

#include <cerrno>
#include <charconv>
#include <cstdlib>

namespace node {

namespace {

constexpr size_t kMaxWarningsKept = 5;

// Calls fn(line, number) for each line; number is 1-based.
template <class Fn>
void for_each_line(std::string_view text, Fn&& fn) {
  size_t n = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    fn(line, ++n);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

}  // namespace

void Warnings::add(std::string_view file, size_t line, std::string_view why) {
  ++count;
  if (first.size() < kMaxWarningsKept)
    first.push_back(std::string(file) + ":" + std::to_string(line) + ": " + std::string(why));
}

std::string Warnings::summary() const {
  std::string s = std::to_string(count) + (count == 1 ? " malformed line skipped: " : " malformed lines skipped: ");
  for (size_t i = 0; i < first.size(); ++i) s += (i ? "; " : "") + first[i];
  if (count > first.size()) s += "; ...";
  return s;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::optional<int64_t> parse_int(std::string_view s) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return std::nullopt;
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<double> parse_real(std::string_view s) {
  if (s.empty()) return std::nullopt;
  // strtod needs a terminated string; these numbers are short.
  std::string tmp(s);
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(tmp.c_str(), &end);
  if (errno != 0 || end != tmp.c_str() + tmp.size()) return std::nullopt;
  return v;
}

std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

std::string unescape_octal(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && s.size() - i >= 4 && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

static std::vector<std::string> split_commas(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    size_t c = s.find(',');
    if (c != 0) out.emplace_back(s.substr(0, c));
    if (c == std::string_view::npos) break;
    s.remove_prefix(c + 1);
  }
  return out;
}

std::vector<Mount> parse_mountinfo(std::string_view text, std::string_view file, Warnings& w) {
  std::vector<Mount> out;
  for_each_line(text, [&](std::string_view line, size_t n) {
    if (trim(line).empty()) return;
    auto f = fields(line);
    // 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
    size_t sep = 0;
    for (size_t i = 6; i < f.size(); ++i)
      if (f[i] == "-") {
        sep = i;
        break;
      }
    // The separator and at least the filesystem type after it must be there;
    // the source and super options may be missing on some old kernels.
    if (f.size() < 7 || sep == 0 || sep + 1 >= f.size()) {
      w.add(file, n, "expected 'ID PARENT MAJ:MIN ROOT MOUNT-POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER-OPTIONS'");
      return;
    }
    auto id = parse_int(f[0]);
    auto parent = parse_int(f[1]);
    if (!id || !parent || f[2].find(':') == std::string_view::npos) {
      w.add(file, n, "mount id, parent id or major:minor is not a number");
      return;
    }
    Mount m;
    m.mount_id = *id;
    m.parent_id = *parent;
    m.major_minor = std::string(f[2]);
    m.root = unescape_octal(f[3]);
    m.mount_point = unescape_octal(f[4]);
    m.options = split_commas(f[5]);
    for (size_t i = 6; i < sep; ++i) m.optional_fields.emplace_back(f[i]);
    m.fstype = std::string(f[sep + 1]);
    m.source = sep + 2 < f.size() ? unescape_octal(f[sep + 2]) : "";
    if (sep + 3 < f.size()) m.super_options = split_commas(f[sep + 3]);
    out.push_back(std::move(m));
  });
  return out;
}

std::vector<Module> parse_modules(std::string_view text, std::string_view file, Warnings& w) {
  std::vector<Module> out;
  for_each_line(text, [&](std::string_view line, size_t n) {
    if (trim(line).empty()) return;
    // overlay 151552 0 - Live 0x0000000000000000
    // nf_nat 49152 2 xt_MASQUERADE,iptable_nat, Live 0x0000000000000000
    auto f = fields(line);
    if (f.size() < 5) {
      w.add(file, n, "expected 'NAME SIZE REFCOUNT DEPENDENTS STATE ADDRESS'");
      return;
    }
    auto size = parse_int(f[1]);
    auto ref = parse_int(f[2]);
    if (!size || !ref) {
      w.add(file, n, "size or reference count is not a number");
      return;
    }
    Module m;
    m.name = std::string(f[0]);
    m.size = *size;
    m.refcount = *ref;
    if (f[3] != "-") m.used_by = split_commas(f[3]);
    m.state = std::string(f[4]);
    out.push_back(std::move(m));
  });
  return out;
}

std::vector<std::string> parse_modules_builtin(std::string_view text, std::string_view file, Warnings& w) {
  std::vector<std::string> out;
  for_each_line(text, [&](std::string_view line, size_t n) {
    line = trim(line);
    if (line.empty()) return;
    size_t slash = line.rfind('/');
    std::string_view base = slash == std::string_view::npos ? line : line.substr(slash + 1);
    if (base.size() <= 3 || base.substr(base.size() - 3) != ".ko") {
      w.add(file, n, "expected a path ending in .ko");
      return;
    }
    std::string name(base.substr(0, base.size() - 3));
    for (char& c : name)
      if (c == '-') c = '_';
    out.push_back(std::move(name));
  });
  return out;
}

std::vector<Swap> parse_swaps(std::string_view text, std::string_view file, Warnings& w) {
  std::vector<Swap> out;
  for_each_line(text, [&](std::string_view line, size_t n) {
    if (n == 1 || trim(line).empty()) return;  // the header
    auto f = fields(line);
    if (f.size() != 5) {
      w.add(file, n, "expected 'Filename Type Size Used Priority'");
      return;
    }
    auto size = parse_int(f[2]), used = parse_int(f[3]), prio = parse_int(f[4]);
    if (!size || !used || !prio) {
      w.add(file, n, "size, used or priority is not a number");
      return;
    }
    out.push_back({unescape_octal(f[0]), std::string(f[1]), *size, *used, *prio});
  });
  return out;
}

std::vector<MemInfo> parse_meminfo(std::string_view text, std::string_view file, Warnings& w) {
  std::vector<MemInfo> out;
  for_each_line(text, [&](std::string_view line, size_t n) {
    if (trim(line).empty()) return;
    size_t colon = line.find(':');
    auto f = colon == std::string_view::npos ? std::vector<std::string_view>{} : fields(line.substr(colon + 1));
    if (colon == 0 || f.empty() || f.size() > 2) {
      w.add(file, n, "expected 'Name: value [kB]'");
      return;
    }
    auto v = parse_int(f[0]);
    if (!v) {
      w.add(file, n, "value is not a number");
      return;
    }
    out.push_back({std::string(trim(line.substr(0, colon))), *v, f.size() == 2 ? std::string(f[1]) : ""});
  });
  return out;
}

std::vector<Pressure> parse_pressure(std::string_view text, std::string_view file, Warnings& w) {
  std::vector<Pressure> out;
  for_each_line(text, [&](std::string_view line, size_t n) {
    if (trim(line).empty()) return;
    auto f = fields(line);
    if (f.size() != 5 || (f[0] != "some" && f[0] != "full")) {
      w.add(file, n, "expected 'some|full avg10=X avg60=X avg300=X total=N'");
      return;
    }
    Pressure p;
    p.kind = std::string(f[0]);
    bool ok = true;
    int seen = 0;
    for (size_t i = 1; i < f.size(); ++i) {
      size_t eq = f[i].find('=');
      std::string_view k = f[i].substr(0, eq), v = eq == std::string_view::npos ? "" : f[i].substr(eq + 1);
      if (k == "total") {
        auto t = parse_int(v);
        ok = ok && t.has_value();
        if (t) p.total_us = *t, ++seen;
      } else {
        auto r = parse_real(v);
        ok = ok && r.has_value();
        if (!r) continue;
        if (k == "avg10") p.avg10 = *r, ++seen;
        else if (k == "avg60") p.avg60 = *r, ++seen;
        else if (k == "avg300") p.avg300 = *r, ++seen;
      }
    }
    if (!ok || seen != 4) {
      w.add(file, n, "a value is missing or not a number");
      return;
    }
    out.push_back(std::move(p));
  });
  return out;
}

std::map<std::string, std::string> parse_os_release(std::string_view text, std::string_view file, Warnings& w) {
  std::map<std::string, std::string> out;
  for_each_line(text, [&](std::string_view line, size_t n) {
    line = trim(line);
    if (line.empty() || line.front() == '#') return;
    size_t eq = line.find('=');
    if (eq == 0 || eq == std::string_view::npos) {
      w.add(file, n, "expected KEY=value");
      return;
    }
    std::string_view v = line.substr(eq + 1);
    std::string value;
    if (!v.empty() && (v.front() == '"' || v.front() == '\'')) {
      char q = v.front();
      if (v.size() < 2 || v.back() != q) {
        w.add(file, n, "unterminated quoted value");
        return;
      }
      v = v.substr(1, v.size() - 2);
      // Inside double quotes os-release allows \" \\ \$ \` escapes.
      for (size_t i = 0; i < v.size(); ++i) {
        if (q == '"' && v[i] == '\\' && i + 1 < v.size()) ++i;
        value += v[i];
      }
    } else {
      value = std::string(v);
    }
    out[std::string(line.substr(0, eq))] = std::move(value);
  });
  return out;
}

std::optional<ProcStat> parse_proc_stat(std::string_view text) {
  size_t open = text.find('(');
  size_t close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return std::nullopt;
  auto pid = parse_int(trim(text.substr(0, open)));
  auto f = fields(trim(text.substr(close + 1)));
  // After comm: state(3) ppid(4) ... num_threads(20) ... starttime(22) vsize(23) rss(24).
  if (!pid || f.size() < 22) return std::nullopt;
  ProcStat s;
  s.pid = *pid;
  s.comm = std::string(text.substr(open + 1, close - open - 1));
  s.state = std::string(f[0]);
  auto ppid = parse_int(f[1]), threads = parse_int(f[17]), start = parse_int(f[19]), rss = parse_int(f[21]);
  if (!ppid || !threads || !start || !rss) return std::nullopt;
  s.ppid = *ppid;
  s.threads = *threads;
  s.start_ticks = *start;
  s.rss_pages = *rss;
  return s;
}

std::vector<std::string> parse_cmdline(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    size_t z = text.find('\0');
    out.emplace_back(text.substr(0, z));
    if (z == std::string_view::npos) break;
    text.remove_prefix(z + 1);
  }
  return out;
}

std::optional<int64_t> count_cpu_list(std::string_view list) {
  list = trim(list);
  if (list.empty()) return std::nullopt;
  int64_t n = 0;
  while (!list.empty()) {
    size_t c = list.find(',');
    std::string_view part = list.substr(0, c);
    size_t dash = part.find('-');
    auto a = parse_int(part.substr(0, dash));
    auto b = dash == std::string_view::npos ? a : parse_int(part.substr(dash + 1));
    if (!a || !b || *b < *a) return std::nullopt;
    n += *b - *a + 1;
    if (c == std::string_view::npos) break;
    list.remove_prefix(c + 1);
  }
  return n;
}

std::optional<std::pair<int64_t, int64_t>> kernel_major_minor(std::string_view release) {
  release = trim(release);
  size_t dot = release.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  size_t end = dot + 1;
  while (end < release.size() && release[end] >= '0' && release[end] <= '9') ++end;
  auto major = parse_int(release.substr(0, dot));
  auto minor = parse_int(release.substr(dot + 1, end - dot - 1));
  if (!major || !minor) return std::nullopt;
  return std::make_pair(*major, *minor);
}

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and code points past U+10FFFF are invalid.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += len;
  }
  return true;
}

}  // namespace node
