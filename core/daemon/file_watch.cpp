#include "core/daemon/file_watch.h"

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "core/util/log.h"

namespace kinspect::daemon {

namespace fs = std::filesystem;

FileWatch::FileWatch(const std::vector<std::string>& paths, std::chrono::milliseconds quiet,
                     std::function<void()> changed)
    : quiet_(quiet), changed_(std::move(changed)) {
  fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd_ < 0) {
    log::error("daemon", "cannot watch files (inotify); reload with SIGHUP instead");
    return;
  }
  std::set<std::string> seen;
  for (const auto& p : paths) {
    std::error_code ec;
    if (!fs::exists(p, ec)) continue;  // a default folder that is not there (no installed plugins)
    // Sub-folders of a check folder hold checks too: watch each one.
    std::vector<fs::path> folders{fs::is_directory(p, ec) ? fs::path(p) : fs::path(p).parent_path()};
    if (fs::is_directory(p, ec))
      for (const auto& e : fs::recursive_directory_iterator(p, ec))
        if (e.is_directory()) folders.push_back(e.path());
    for (const auto& f : folders) {
      const std::string folder = f.empty() ? "." : f.string();
      if (!seen.insert(folder).second) continue;
      const uint32_t mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB;
      if (::inotify_add_watch(fd_, folder.c_str(), mask) < 0) log::warn("daemon", "cannot watch " + folder);
      else folders_.push_back(folder);
    }
  }
  thread_ = std::thread([this] { loop(); });
}

FileWatch::~FileWatch() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) ::close(fd_);
}

void FileWatch::loop() {
  bool pending = false;
  auto last = std::chrono::steady_clock::now();
  while (!stopping_) {
    pollfd p{fd_, POLLIN, 0};
    int n = ::poll(&p, 1, 100);
    if (n > 0) {
      char buf[8192];
      while (::read(fd_, buf, sizeof buf) > 0) {
      }
      pending = true;
      last = std::chrono::steady_clock::now();
      continue;
    }
    if (pending && std::chrono::steady_clock::now() - last >= quiet_) {
      pending = false;
      changed_();
    }
  }
}

}  // namespace kinspect::daemon
