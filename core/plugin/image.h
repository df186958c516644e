// A plugin's shared object pinned in memory. A pool starts workers for
// as long as it lives, and the file on disk may be replaced meanwhile
// (a new version dropped in, a package upgrade, a half-written copy). Every
// worker of a pool must run the very bytes the first one described, so the
// file is copied once into a sealed memory file (memfd, no writes, no
// resize) and loaded from there: /proc/self/fd/N in this process, or the
// descriptor handed to a worker. The stamp says whether the file on disk is
// still the one pinned (a reload loads only what changed).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "core/util/error.h"

namespace kinspect {

// What identifies a file's version without reading it.
struct FileStamp {
  dev_t device = 0;
  ino_t inode = 0;
  int64_t size = 0;
  int64_t mtime_ns = 0;
  bool operator==(const FileStamp&) const = default;
};
// The stamp of `path` now; an error when it cannot be read.
Expected<FileStamp> stamp_of(const std::string& path);

class PluginImage {
 public:
  ~PluginImage();
  PluginImage(const PluginImage&) = delete;
  PluginImage& operator=(const PluginImage&) = delete;

  // Copies `path` into a sealed memory file. Fails (naming the reason) when
  // the file cannot be read or changed while it was copied.
  static Expected<std::shared_ptr<const PluginImage>> pin(const std::string& path);

  const std::string& path() const { return path_; }  // where it came from, for messages
  const FileStamp& stamp() const { return stamp_; }   // the file's stamp when pinned
  int fd() const { return fd_; }
  // A name dlopen() can open in this process.
  std::string load_path() const { return fd_path(fd_); }
  // The name of descriptor `fd` under /proc/self/fd (in whichever process holds it).
  static std::string fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

 private:
  PluginImage() = default;
  std::string path_;
  FileStamp stamp_;
  int fd_ = -1;
};

}  // namespace kinspect
