// Reading the inspected host's files through the `root` setting: every path
// the driver reads is "<root><path>", and paths given by a query are resolved
// as if <root> were "/" (a chroot), so a symlink such as /etc/foo -> /usr/lib/foo
// on a host mounted at /host means /host/usr/lib/foo, and no symlink or ".."
// can lead outside <root>.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace plugin_common {

class HostFs {
 public:
  // root: "/" for this machine, or where the host's root is mounted ("/host").
  explicit HostFs(std::string root);

  const std::string& root() const { return root_; }
  bool is_real_root() const { return prefix_.empty(); }
  // "<root><path>" for an absolute host path ("/proc/meminfo").
  std::string at(std::string_view path) const;

  // Reads a whole file (at most `cap` bytes). On failure returns nullopt and
  // sets `err` to the errno. /proc and /sys files report size 0, so this reads
  // until end of file rather than trusting st_size.
  std::optional<std::string> read(std::string_view path, int* err = nullptr, size_t cap = kDefaultCap) const;
  // The first line of a file, trimmed; nullopt if it cannot be read.
  std::optional<std::string> read_line(std::string_view path) const;
  bool exists(std::string_view path) const;

  // Resolves an absolute host path inside the root (symlinks followed, at
  // most 40, ".." stops at the root). Returns the host path ("/usr/lib/foo");
  // components that do not exist are kept as written. Throws
  // std::runtime_error for a relative path or a symlink loop.
  std::string resolve(std::string_view path) const;

  static constexpr size_t kDefaultCap = 64u << 20;

 private:
  std::string root_;
  std::string prefix_;  // root without the trailing '/'; "" for "/"
};

// Reads an open regular file descriptor up to `cap` bytes; sets *truncated
// when there was more.
std::optional<std::string> read_fd(int fd, size_t cap, bool* truncated, int* err);

}  // namespace plugin_common
