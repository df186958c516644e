#include "core/util/input_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kinspect {

Expected<std::string> read_input_file(const std::string& path, size_t max_bytes) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer.
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return Error(path + ": cannot read: " + std::strerror(errno));
  struct stat st {};
  std::string why;
  if (::fstat(fd, &st) != 0) why = std::strerror(errno);
  else if (!S_ISREG(st.st_mode)) why = S_ISDIR(st.st_mode) ? "is a folder, not a file" : "is not a regular file (a FIFO or a device?)";
  else if (static_cast<size_t>(st.st_size) > max_bytes)
    why = "is larger than " + std::to_string(max_bytes >> 20) + " MiB";
  std::string text;
  if (why.empty()) {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    text.resize(static_cast<size_t>(st.st_size));
    size_t got = 0;
    while (got < text.size()) {
      ssize_t n = ::read(fd, text.data() + got, text.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    text.resize(got);  // a file that shrank meanwhile
  }
  ::close(fd);
  if (!why.empty()) return Error(path + ": " + why);
  return text;
}

}  // namespace kinspect
