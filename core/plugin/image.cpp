#include "core/plugin/image.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kinspect {

namespace {

FileStamp stamp_from(const struct stat& st) {
  return {st.st_dev, st.st_ino, int64_t(st.st_size), int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

std::string errno_text() { return std::strerror(errno); }

// Copies all of `in` into `out`; false on a read or write error. The
// kernel copies file to file itself (sendfile), without a round trip of
// every 64 KiB through this process: plugins with debug information are
// tens of megabytes each and every run pins all of them. A kernel or file
// system that refuses gets the plain loop.
bool copy_all(int in, int out) {
  off_t offset = 0;
  while (true) {
    ssize_t n = ::sendfile(out, in, &offset, size_t(1) << 30);
    if (n > 0) continue;
    if (n == 0) return true;
    if (errno == EINTR) continue;
    if (offset != 0 || (errno != EINVAL && errno != ENOSYS)) return false;
    break;
  }
  char buf[1 << 16];
  while (true) {
    ssize_t n = ::read(in, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) return true;
    for (ssize_t done = 0; done < n;) {
      ssize_t w = ::write(out, buf + done, size_t(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return false;
      done += w;
    }
  }
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
  bool copied = copy_all(in, image->fd_);
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
