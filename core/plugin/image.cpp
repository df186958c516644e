#include "core/plugin/image.h"

#include "core/plugin/elf_debug.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace kinspect {

namespace {

FileStamp stamp_from(const struct stat& st) {
  return {st.st_dev, st.st_ino, int64_t(st.st_size), int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

std::string errno_text() { return std::strerror(errno); }

bool write_at(int fd, std::string_view bytes, uint64_t offset) {
  for (size_t done = 0; done < bytes.size();) {
    ssize_t w = ::pwrite(fd, bytes.data() + done, bytes.size() - done, off_t(offset + done));
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return false;
    done += size_t(w);
  }
  return true;
}

// Copies bytes [from, to) of `in` to the same offsets of `out`; false on a
// read or write error. The kernel copies file to file itself (sendfile),
// without a round trip of every 64 KiB through this process. A kernel or
// file system that refuses gets the plain loop. A file that ends early is
// not an error here: the stamp taken after the copy tells.
bool copy_range(int in, int out, uint64_t from, uint64_t to) {
  if (::lseek(out, off_t(from), SEEK_SET) < 0) return false;
  off_t offset = off_t(from);
  while (uint64_t(offset) < to) {
    ssize_t n = ::sendfile(out, in, &offset, size_t(std::min<uint64_t>(to - uint64_t(offset), 1u << 30)));
    if (n > 0) continue;
    if (n == 0) return true;
    if (errno == EINTR) continue;
    if (uint64_t(offset) != from || (errno != EINVAL && errno != ENOSYS)) return false;
    break;
  }
  char buf[1 << 16];
  while (uint64_t(offset) < to) {
    ssize_t n = ::pread(in, buf, size_t(std::min<uint64_t>(sizeof buf, to - uint64_t(offset))), offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) return true;
    if (!write_at(out, std::string_view(buf, size_t(n)), uint64_t(offset))) return false;
    offset += n;
  }
  return true;
}

// Copies a plugin file of `size` bytes into `out`, all but its debug
// sections (core/plugin/elf_debug.h): those stay a hole in the copy, which
// keeps the file's size and layout, and its section table says so.
bool copy_image(int in, int out, uint64_t size) {
  std::optional<DebugSections> debug = find_debug_sections(in, size);
  if (!debug) return copy_range(in, out, 0, size);
  uint64_t at = 0;
  for (const auto& [begin, end] : debug->ranges) {
    if (!copy_range(in, out, at, begin)) return false;
    at = end;
  }
  return copy_range(in, out, at, size) && ::ftruncate(out, off_t(size)) == 0 &&
         write_at(out, debug->headers, debug->headers_offset);
}

}  // namespace

Expected<FileStamp> stamp_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Error("cannot open: " + errno_text());
  return stamp_from(st);
}

PluginImage::~PluginImage() {
  if (fd_ >= 0) ::close(fd_);
}

Expected<std::shared_ptr<const PluginImage>> PluginImage::pin(const std::string& path) {
  int in = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return Error("cannot open: " + errno_text());
  struct stat before {};
  if (::fstat(in, &before) != 0 || !S_ISREG(before.st_mode)) {
    ::close(in);
    return Error("not a regular file");
  }
  std::shared_ptr<PluginImage> image(new PluginImage());
  image->path_ = path;
  image->fd_ = ::memfd_create("kinspect-plugin", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (image->fd_ < 0) {
    ::close(in);
    return Error("cannot pin a copy in memory: " + errno_text());
  }
  bool copied = copy_image(in, image->fd_, uint64_t(before.st_size));
  struct stat after {};
  bool stable = ::fstat(in, &after) == 0 && stamp_from(after) == stamp_from(before);
  ::close(in);
  if (!copied) return Error("cannot read: " + errno_text());
  // A copy taken while someone wrote the file may be half of each version.
  if (!stable) return Error("the file changed while it was read; try again once it is written whole");
  const int seals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL;
  // The kernel answers EBUSY while pages just written are still referenced
  // (seen once on a loaded machine): wait a little and seal again.
  int sealed = ::fcntl(image->fd_, F_ADD_SEALS, seals);
  for (int attempt = 0; sealed != 0 && errno == EBUSY && attempt < 50; ++attempt) {
    ::usleep(10000);
    sealed = ::fcntl(image->fd_, F_ADD_SEALS, seals);
  }
  if (sealed != 0) return Error("cannot seal the pinned copy: " + errno_text());
  image->stamp_ = stamp_from(before);
  return std::shared_ptr<const PluginImage>(std::move(image));
}

}  // namespace kinspect
