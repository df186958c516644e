// Local servers for the node tests: a TCP listener on 127.0.0.1 (an ephemeral
// port) or a Unix socket that answers every connection with fixed bytes, or
// accepts and never answers. Real sockets and real connections; closed (and
// its thread joined) on destruction.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace node_test {

class FakeServer {
 public:
  // answer empty: accept and hold the connection without a byte.
  static FakeServer tcp(std::string answer) { return FakeServer(listen_tcp(), std::move(answer), ""); }
  static FakeServer unix_socket(const std::string& path, std::string answer) {
    return FakeServer(listen_unix(path), std::move(answer), path);
  }
  FakeServer(FakeServer&&) = delete;  // the thread holds `this`; the factories' results are never moved
  ~FakeServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    for (int c : held_) ::close(c);
    if (fd_ >= 0) ::close(fd_);
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  int port() const { return port_; }
  std::string url(const std::string& target) const { return "http://127.0.0.1:" + std::to_string(port_) + target; }

 private:
  FakeServer(int fd, std::string answer, std::string path) : fd_(fd), answer_(std::move(answer)), path_(std::move(path)) {
    sockaddr_in a{};
    socklen_t len = sizeof a;
    if (path_.empty() && ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0) port_ = ntohs(a.sin_port);
    start();
  }
  static int listen_tcp() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd, 16);
    return fd;
  }
  static int listen_unix(const std::string& path) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
    ::unlink(path.c_str());
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd, 16);
    return fd;
  }
  void start() {
    thread_ = std::thread([this] {
      while (!stop_) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
        int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) continue;
        if (answer_.empty()) {
          held_.push_back(c);  // never answer, never close
          continue;
        }
        char buf[4096];
        pollfd q{c, POLLIN, 0};
        if (::poll(&q, 1, 1000) > 0) (void)::recv(c, buf, sizeof buf, 0);
        (void)::send(c, answer_.data(), answer_.size(), MSG_NOSIGNAL);
        ::close(c);
      }
    });
  }

  int fd_ = -1;
  int port_ = 0;
  std::string answer_;
  std::string path_;
  std::atomic<bool> stop_{false};
  std::vector<int> held_;
  std::thread thread_;
};

inline std::string http_answer(int status, const std::string& body) {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: text/plain\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace node_test
