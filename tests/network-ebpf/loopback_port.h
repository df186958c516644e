// TCP ports on 127.0.0.1 (chosen by the kernel) for the probe tests, in the
// three states a probe must tell apart. No traffic leaves loopback.
#pragma once

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

namespace kitest {

class LoopbackPort {
 public:
  enum class Mode {
    kOpen,       // listening: a connect succeeds
    kBoundOnly,  // bound, never listening: the kernel answers RST (refused)
    kSilent,     // listening with a full accept queue: every new SYN is dropped (a connect times out)
  };

  explicit LoopbackPort(Mode mode) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in a = address(0);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    if (mode == Mode::kOpen) {
      EXPECT_EQ(::listen(fd_, 16), 0);
    }
    if (mode == Mode::kSilent) fill_accept_queue();
  }
  ~LoopbackPort() {
    for (int c : fillers_) ::close(c);
    ::close(fd_);
  }
  LoopbackPort(const LoopbackPort&) = delete;
  LoopbackPort& operator=(const LoopbackPort&) = delete;

  uint16_t port() const { return port_; }

 private:
  static sockaddr_in address(uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    return a;
  }

  // A backlog of 0 holds one connection; a few more connects fill it and
  // the kernel then drops SYNs instead of answering them.
  void fill_accept_queue() {
    EXPECT_EQ(::listen(fd_, 0), 0);
    const sockaddr_in a = address(port_);
    for (int i = 0; i < 3; ++i) {
      int c = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      ::connect(c, reinterpret_cast<const sockaddr*>(&a), sizeof a);
      fillers_.push_back(c);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }

  int fd_;
  uint16_t port_ = 0;
  std::vector<int> fillers_;
};

}  // namespace kitest
