#include "netns.h"

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

namespace network {

namespace {

std::string errno_text(int e) { return std::strerror(e); }

}  // namespace

NetnsFd::NetnsFd(const std::string& name, const std::string& path) : name_(name) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0)
    throw std::runtime_error("network namespace '" + name + "' cannot be opened (" + path + "): " + errno_text(errno));
}

NetnsFd& NetnsFd::operator=(NetnsFd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    name_ = std::move(o.name_);
    o.fd_ = -1;
  }
  return *this;
}

NetnsFd::~NetnsFd() {
  if (fd_ >= 0) ::close(fd_);
}

NetnsScope::NetnsScope(const NetnsFd& ns) {
  if (ns.fd() < 0) return;
  saved_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (saved_ < 0) throw std::runtime_error("cannot open /proc/thread-self/ns/net: " + errno_text(errno));
  if (::setns(ns.fd(), CLONE_NEWNET) != 0) {
    int e = errno;
    ::close(saved_);
    saved_ = -1;
    throw std::runtime_error("cannot enter network namespace '" + ns.name() + "': " + errno_text(e) +
                             (e == EPERM ? " (CAP_SYS_ADMIN is needed)" : ""));
  }
}

NetnsScope::~NetnsScope() {
  if (saved_ < 0) return;
  // A thread left in the wrong namespace would make later scans on it read
  // the wrong facts silently: better to stop the worker.
  if (::setns(saved_, CLONE_NEWNET) != 0) std::abort();
  ::close(saved_);
}

}  // namespace network
