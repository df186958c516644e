// Running a tool as a child process with a bound on its time and output
// (see subprocess.h).
#include "common/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace plugin_common {

namespace {

std::string errno_text(int e) { return std::strerror(e); }

// The child: enter the network namespace (if any), wire the pipes, exec. Only async-signal-safe
// calls between fork and exec (the parent is multi-threaded).
[[noreturn]] void exec_child(const std::vector<char*>& argv, int ns_fd, int out_w, int err_w) {
  if (ns_fd >= 0 && ::setns(ns_fd, CLONE_NEWNET) != 0) {
    const char msg[] = "cannot enter the network namespace\n";
    (void)!::write(err_w, msg, sizeof msg - 1);
    ::_exit(126);
  }
  int devnull = ::open("/dev/null", O_RDONLY);
  if (devnull >= 0) ::dup2(devnull, 0);
  ::dup2(out_w, 1);
  ::dup2(err_w, 2);
  ::execvp(argv[0], argv.data());
  ::_exit(127);
}

// Reads both pipes until both close, the deadline passes or stdout exceeds
// `cap`; returns "" or why it stopped early.
std::string drain(int out_r, int err_r, ToolResult& r, size_t cap, std::chrono::steady_clock::time_point deadline) {
  pollfd fds[2] = {{out_r, POLLIN, 0}, {err_r, POLLIN, 0}};
  char buf[65536];
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return "timed out";
    int n = ::poll(fds, 2, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return "poll: " + errno_text(errno);
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got <= 0) {
        if (got < 0 && errno == EINTR) continue;
        fds[i].fd = -1;
        continue;
      }
      std::string& dst = i == 0 ? r.out : r.err;
      if (i == 1 && dst.size() > 65536) continue;  // stderr is for the message only
      dst.append(buf, static_cast<size_t>(got));
      if (i == 0 && dst.size() > cap) return "output larger than " + std::to_string(cap >> 20) + " MiB";
    }
  }
  return "";
}

}  // namespace

// Whether `file` is an executable somewhere in PATH (so "not found" is
// reported by the parent with a clear message, not by a child's exit code).
bool in_path(const std::string& file) {
  if (file.find('/') != std::string::npos) return ::access(file.c_str(), X_OK) == 0;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t colon = dirs.find(':', start);
    std::string dir = dirs.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (!dir.empty() && ::access((dir + "/" + file).c_str(), X_OK) == 0) return true;
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return false;
}


ToolResult run_tool(const std::vector<std::string>& args, int netns_fd, size_t cap,
                    std::chrono::milliseconds timeout) {
  if (!in_path(args.at(0))) throw std::runtime_error(args[0] + ": not found in PATH");
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe: " + errno_text(errno));
  if (::pipe2(err, O_CLOEXEC) != 0) {
    ::close(out[0]), ::close(out[1]);
    throw std::runtime_error("pipe: " + errno_text(errno));
  }
  pid_t pid = ::fork();
  if (pid == 0) exec_child(argv, netns_fd, out[1], err[1]);
  ::close(out[1]), ::close(err[1]);
  if (pid < 0) {
    ::close(out[0]), ::close(err[0]);
    throw std::runtime_error("fork: " + errno_text(errno));
  }
  ToolResult r;
  std::string stopped = drain(out[0], err[0], r, cap, std::chrono::steady_clock::now() + timeout);
  ::close(out[0]), ::close(err[0]);
  if (!stopped.empty()) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!stopped.empty()) throw std::runtime_error(args[0] + ": " + stopped);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

}  // namespace plugin_common
