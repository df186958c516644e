// Real D-Bus for the node tests: a child process whose first line of output
// says it is ready (dbus-daemon prints its address, fake_systemd "ready"),
// stopped with SIGTERM on destruction; a private dbus-daemon in a temporary
// folder; and the fake systemd (tests/node/fake_systemd.cpp).
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace node_test {

class Child {
 public:
  // Starts argv; waits up to 10 s for its first line on stdout.
  explicit Child(const std::vector<std::string>& argv) {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) {
      error_ = "pipe failed";
      return;
    }
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], 1);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::close(out[1]);
    fd_ = out[0];
    std::string got;
    char c;
    while (got.find('\n') == std::string::npos) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 10000) <= 0 || ::read(fd_, &c, 1) != 1) break;
      got += c;
    }
    if (got.empty() || got.back() != '\n') error_ = argv[0] + " did not start (no first line within 10 s; see its stderr above)";
    else line_ = got.substr(0, got.size() - 1);
  }
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
    if (fd_ >= 0) ::close(fd_);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  Child(Child&& o) noexcept : pid_(o.pid_), fd_(o.fd_), line_(std::move(o.line_)), error_(std::move(o.error_)) {
    o.pid_ = -1, o.fd_ = -1;
  }
  bool ready() const { return error_.empty(); }
  const std::string& line() const { return line_; }
  const std::string& error() const { return error_; }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string line_, error_;
};

inline Child start_fake_systemd(std::vector<std::string> mode, const std::vector<std::string>& units) {
  std::vector<std::string> argv = {FAKE_SYSTEMD};
  argv.insert(argv.end(), mode.begin(), mode.end());
  for (const auto& u : units) argv.insert(argv.end(), {"--unit", u});
  return Child(argv);
}

// A dbus-daemon of its own, listening in a temporary folder, that lets
// anyone own any name (the fake takes org.freedesktop.systemd1).
class PrivateBus {
 public:
  PrivateBus() {
    const char* daemon = "/usr/bin/dbus-daemon";
    if (::access(daemon, X_OK) != 0) {
      skip_ = std::string(daemon) + " is not installed (Debian package dbus-daemon; scripts/setup installs it)";
      return;
    }
    char tmpl[] = "/tmp/kinspect-bus-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    std::ofstream(dir_ + "/bus.conf") << R"(<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>custom</type>
  <listen>unix:path=)" << dir_ << R"(/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
)";
    daemon_ = std::make_unique<Child>(std::vector<std::string>{daemon, "--config-file=" + dir_ + "/bus.conf", "--nofork", "--nopidfile", "--print-address=1"});
    if (!daemon_->ready()) ADD_FAILURE() << daemon_->error();
  }
  ~PrivateBus() {
    daemon_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  // The address as the user would give it: unix:path=DIR/bus.
  std::string address() const { return "unix:path=" + dir_ + "/bus"; }
  const std::string& skip_reason() const { return skip_; }

 private:
  std::string dir_, skip_;
  std::unique_ptr<Child> daemon_;
};

}  // namespace node_test
