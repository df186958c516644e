#include "probes.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/probe.h"

namespace network_ebpf {

std::string address_text(const sockaddr* sa) {
  char buf[INET6_ADDRSTRLEN] = "";
  const void* a = sa->sa_family == AF_INET6 ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr)
                                            : static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(sa)->sin_addr);
  ::inet_ntop(sa->sa_family, a, buf, sizeof buf);
  return buf;
}

namespace {

// One getaddrinfo_a request and what it points to: all must stay where they
// are until glibc is done with it.
struct Lookup {
  std::string name, service;
  addrinfo hints{};
  gaicb cb{};
};

timespec time_left(std::chrono::steady_clock::time_point deadline) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - std::chrono::steady_clock::now()).count();
  if (ns < 0) ns = 0;
  return {static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
}

void take_addresses(addrinfo* res, Resolved& r) {
  for (addrinfo* a = res; a; a = a->ai_next) {
    sockaddr_storage ss{};
    std::memcpy(&ss, a->ai_addr, std::min<size_t>(a->ai_addrlen, sizeof ss));
    r.addresses.push_back(ss);
    r.lengths.push_back(a->ai_addrlen);
  }
  ::freeaddrinfo(res);
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

Resolved resolve(const std::string& host, uint16_t port, std::chrono::steady_clock::time_point deadline) {
  Resolved r;
  sockaddr_storage numeric{};
  socklen_t numeric_len = 0;
  if (plugin_common::numeric_sockaddr(host, port, numeric, numeric_len)) {
    r.result = "ok", r.addresses = {numeric}, r.lengths = {numeric_len};
    return r;
  }
  auto* l = new Lookup{host, std::to_string(port)};
  l->hints.ai_socktype = SOCK_STREAM;
  l->cb.ar_name = l->name.c_str();
  l->cb.ar_service = l->service.c_str();
  l->cb.ar_request = &l->hints;
  gaicb* list[1] = {&l->cb};
  int rc = ::getaddrinfo_a(GAI_NOWAIT, list, 1, nullptr);
  if (rc == 0) {
    while ((rc = ::gai_error(&l->cb)) == EAI_INPROGRESS && std::chrono::steady_clock::now() < deadline) {
      timespec ts = time_left(deadline);
      ::gai_suspend(list, 1, &ts);
    }
  }
  if (rc == EAI_INPROGRESS) {
    r.result = "timeout", r.error = "the name " + host + " did not resolve in time";
    if (::gai_cancel(&l->cb) != EAI_CANCELED) return r;  // glibc still owns it: see the header
  } else if (rc != 0 || !l->cb.ar_result) {
    r.result = "unresolved", r.error = ::gai_strerror(rc);
  } else {
    r.result = "ok";
    take_addresses(l->cb.ar_result, r);
  }
  delete l;
  return r;
}

TcpProbe tcp_probe(const std::string& host, uint16_t port, std::chrono::milliseconds timeout) {
  TcpProbe p;
  p.host = host;
  p.port = port;
  const auto start = std::chrono::steady_clock::now();
  Resolved res = resolve(host, port, start + timeout);
  if (res.result != "ok") {
    p.result = res.result, p.error = res.error;
    p.latency_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    return p;
  }
  const auto* sa = reinterpret_cast<const sockaddr*>(&res.addresses[0]);
  p.address = address_text(sa);
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(start + timeout - std::chrono::steady_clock::now());
  int fd = ::socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int err = fd < 0 ? errno : 0;
  if (fd >= 0 && ::connect(fd, sa, res.lengths[0]) != 0)
    err = errno == EINPROGRESS ? await_connect(fd, std::max(left, std::chrono::milliseconds(0))) : errno;
  p.latency_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (fd >= 0) ::close(fd);
  classify(p, err);
  return p;
}

}  // namespace network_ebpf
