#include "probes.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace network_ebpf {

namespace {

std::string address_text(const sockaddr* sa) {
  char buf[INET6_ADDRSTRLEN] = "";
  const void* a = sa->sa_family == AF_INET6 ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr)
                                            : static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(sa)->sin_addr);
  ::inet_ntop(sa->sa_family, a, buf, sizeof buf);
  return buf;
}

void classify(TcpProbe& p, int err) {
  p.error = err ? std::strerror(err) : "";
  if (err == 0) p.result = "open";
  else if (err == ECONNREFUSED) p.result = "refused";
  else if (err == ETIMEDOUT) p.result = "timeout";
  else if (err == ENETUNREACH || err == EHOSTUNREACH) p.result = "unreachable";
  else p.result = "error";
}

// The connect's outcome as an errno: 0 connected, ETIMEDOUT past the deadline.
int await_connect(int fd, std::chrono::milliseconds timeout) {
  pollfd pfd{fd, POLLOUT, 0};
  int n;
  do n = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
  while (n < 0 && errno == EINTR);
  if (n == 0) return ETIMEDOUT;
  if (n < 0) return errno;
  int err = 0;
  socklen_t len = sizeof err;
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  return err;
}

}  // namespace

TcpProbe tcp_probe(const std::string& host, uint16_t port, std::chrono::milliseconds timeout) {
  TcpProbe p;
  p.host = host;
  p.port = port;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res); rc != 0 || !res) {
    p.result = "unresolved";
    p.error = ::gai_strerror(rc);
    return p;
  }
  p.address = address_text(res->ai_addr);
  const auto start = std::chrono::steady_clock::now();
  int fd = ::socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int err = fd < 0 ? errno : 0;
  if (fd >= 0 && ::connect(fd, res->ai_addr, res->ai_addrlen) != 0)
    err = errno == EINPROGRESS ? await_connect(fd, timeout) : errno;
  p.latency_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (fd >= 0) ::close(fd);
  ::freeaddrinfo(res);
  classify(p, err);
  return p;
}

}  // namespace network_ebpf
