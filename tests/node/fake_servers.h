// Local servers for the node tests: a TCP listener on 127.0.0.1 (an ephemeral
// port) or a Unix socket that answers every connection with fixed bytes, or
// accepts and never answers. Real sockets and real connections; closed (and
// its thread joined) on destruction. Also a real gRPC server (python3-grpcio)
// playing a container runtime, and HTTP/2 frames written by hand for answers
// no well-behaved server sends.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
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

// Debian's python3-grpcio is installed for Debian's own python3 (a python3
// earlier on PATH, such as pyenv's, may not have it).
inline const char* kDebianPython = "/usr/bin/python3";

// tests/node/fake_grpc_runtime.py serving on `socket` (see its usage), started
// for the test and ended (SIGTERM, then SIGKILL) with it. ready() is false
// when it did not listen within 20 s; why() says what to install.
class GrpcRuntimeServer {
 public:
  GrpcRuntimeServer(const std::string& socket, std::vector<std::string> args) : socket_(socket) {
    std::vector<std::string> argv = {kDebianPython, std::string(KINSPECT_SOURCE_DIR) + "/tests/node/fake_grpc_runtime.py"};
    if (!args.empty() && args[0] == "--delay-ms") argv.push_back(args[0]), argv.push_back(args[1]), args.erase(args.begin(), args.begin() + 2);
    argv.push_back(socket);
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    ::unlink(socket.c_str());
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    if (posix_spawn(&pid_, kDebianPython, &fa, nullptr, cargv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (pid_ > 0 && !listening() && std::chrono::steady_clock::now() < until) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      ::usleep(20000);
    }
  }
  ~GrpcRuntimeServer() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 100 && ::waitpid(pid_, nullptr, WNOHANG) == 0; ++i) ::usleep(20000);
    if (::kill(pid_, 0) == 0) ::kill(pid_, SIGKILL), ::waitpid(pid_, nullptr, 0);
    ::unlink(socket_.c_str());
  }
  GrpcRuntimeServer(const GrpcRuntimeServer&) = delete;
  bool ready() const { return pid_ > 0 && listening(); }
  static std::string why() {
    return std::string(kDebianPython) + " with grpc (Debian python3-grpcio, installed by scripts/setup) did not serve";
  }

 private:
  bool listening() const {
    struct stat st{};
    return ::stat(socket_.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
  }
  std::string socket_;
  pid_t pid_ = -1;
};

// One HTTP/2 frame (RFC 9113 4.1).
inline std::string h2_frame(uint8_t type, uint8_t flags, uint32_t stream, const std::string& payload) {
  const auto n = static_cast<uint32_t>(payload.size());
  std::string f{static_cast<char>(n >> 16), static_cast<char>(n >> 8), static_cast<char>(n), static_cast<char>(type),
                static_cast<char>(flags), static_cast<char>((stream >> 24) & 0x7f), static_cast<char>(stream >> 16),
                static_cast<char>(stream >> 8), static_cast<char>(stream)};
  return f + payload;
}

// A header as HPACK's literal without indexing, new name, no Huffman
// coding (RFC 7541 6.2.2); names and values under 127 bytes.
inline std::string hpack_literal(const std::string& name, const std::string& value) {
  return std::string(1, '\0') + static_cast<char>(name.size()) + name + static_cast<char>(value.size()) + value;
}

// A gRPC server's whole answer on stream 1 (the first request): its SETTINGS,
// the response headers, `data` as the DATA frame's payload (the 5-byte
// prefix included, so a test can lie in it) and the trailers.
inline std::string h2_grpc_answer(const std::string& data, const std::string& grpc_status) {
  return h2_frame(4, 0, 0, "") +
         h2_frame(1, 0x4, 1, hpack_literal(":status", "200") + hpack_literal("content-type", "application/grpc")) +
         h2_frame(0, 0, 1, data) + h2_frame(1, 0x5, 1, hpack_literal("grpc-status", grpc_status));
}

}  // namespace node_test
