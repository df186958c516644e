#include "parse.h"

#include <cerrno>
#include <charconv>
#include <cstdlib>

namespace node {

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

}  // namespace node
