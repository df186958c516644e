#include "common/host_fs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <stdexcept>
#include <vector>

#include "common/text.h"

namespace plugin_common {

HostFs::HostFs(std::string root) : root_(std::move(root)) {
  if (root_.empty()) root_ = "/";
  prefix_ = root_;
  while (!prefix_.empty() && prefix_.back() == '/') prefix_.pop_back();
}

std::string HostFs::at(std::string_view path) const { return prefix_ + std::string(path); }

std::optional<std::string> read_fd(int fd, size_t cap, bool* truncated, int* err) {
  std::string out;
  char buf[65536];
  if (truncated) *truncated = false;
  // A regular file says its size: one allocation instead of a doubling series
  // of copies (a saved ruleset is tens of MiB). /proc files say 0.
  struct stat st;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
    out.reserve(std::min(static_cast<size_t>(st.st_size), cap));
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (err) *err = errno;
      return std::nullopt;
    }
    if (n == 0) break;
    size_t room = cap - out.size();
    if (static_cast<size_t>(n) > room) {
      out.append(buf, room);
      if (truncated) *truncated = true;
      break;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::optional<std::string> HostFs::read(std::string_view path, int* err, size_t cap) const {
  // O_NONBLOCK: a FIFO planted where a file is expected must not hang the scan.
  int fd = ::open(at(path).c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (err) *err = errno;
    return std::nullopt;
  }
  auto out = read_fd(fd, cap, nullptr, err);
  ::close(fd);
  return out;
}

std::optional<std::string> HostFs::read_line(std::string_view path) const {
  auto text = read(path, nullptr, 64 * 1024);
  if (!text) return std::nullopt;
  std::string_view v = *text;
  v = v.substr(0, v.find('\n'));
  return std::string(trim(v));
}

bool HostFs::exists(std::string_view path) const {
  struct stat st;
  return ::lstat(at(path).c_str(), &st) == 0;
}

std::string HostFs::resolve(std::string_view path) const {
  if (path.empty() || path.front() != '/') throw std::runtime_error("path '" + std::string(path) + "' is not absolute");
  if (path.find('\0') != std::string_view::npos) throw std::runtime_error("path contains a NUL byte");
  std::vector<std::string> done;     // resolved components
  std::vector<std::string> pending;  // still to walk, in reverse order
  auto push_path = [&](std::string_view p) {
    std::vector<std::string> parts;
    while (!p.empty()) {
      size_t s = p.find('/');
      if (s != 0) parts.emplace_back(p.substr(0, s));
      if (s == std::string_view::npos) break;
      p.remove_prefix(s + 1);
    }
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) pending.push_back(std::move(*it));
  };
  auto joined = [&](const std::vector<std::string>& parts) {
    std::string s;
    for (const auto& c : parts) s += "/" + c;
    return s.empty() ? std::string("/") : s;
  };
  push_path(path);
  int hops = 0;
  bool missing = false;  // once a component is missing, the rest is kept as written
  while (!pending.empty()) {
    std::string c = std::move(pending.back());
    pending.pop_back();
    if (c == ".") continue;
    if (c == "..") {
      if (!done.empty()) done.pop_back();  // ".." at the root stays at the root
      continue;
    }
    done.push_back(c);
    if (missing) continue;
    std::string real = at(joined(done));
    struct stat st;
    if (::lstat(real.c_str(), &st) != 0) {
      missing = true;
      continue;
    }
    if (!S_ISLNK(st.st_mode)) continue;
    if (++hops > 40) throw std::runtime_error("too many levels of symbolic links resolving " + std::string(path));
    char target[4096];
    ssize_t n = ::readlink(real.c_str(), target, sizeof target - 1);
    if (n < 0) {
      missing = true;
      continue;
    }
    std::string_view t(target, static_cast<size_t>(n));
    done.pop_back();
    if (!t.empty() && t.front() == '/') done.clear();  // absolute: from the host's root
    push_path(t);
  }
  return joined(done);
}

}  // namespace plugin_common
