// Tells the daemon when a plugin, check or profile file changed (inotify on
// their folders; the folder of a single file given by name), so a new check
// serves within seconds without a restart. Changes are gathered for a short
// quiet time (an editor's save or a `cp` of a large .so is several events)
// before one reload.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace kinspect::daemon {

class FileWatch {
 public:
  // Calls `changed` (on the watch's own thread) after a change under any
  // of `paths` and `quiet` without further change.
  FileWatch(const std::vector<std::string>& paths, std::chrono::milliseconds quiet, std::function<void()> changed);
  ~FileWatch();
  // The folders actually watched (one missing is skipped, with a log line).
  const std::vector<std::string>& folders() const { return folders_; }

 private:
  void loop();
  int fd_ = -1;
  std::vector<std::string> folders_;
  std::chrono::milliseconds quiet_;
  std::function<void()> changed_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace kinspect::daemon
