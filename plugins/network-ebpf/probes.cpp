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
#include <stdexcept>

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

// A finished connect's outcome as an errno (0: connected).
int connect_error(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
  return err;
}

// The connect's outcome as an errno: 0 connected, ETIMEDOUT past the deadline.
int await_connect(int fd, std::chrono::milliseconds timeout) {
  pollfd pfd{fd, POLLOUT, 0};
  int n;
  do n = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
  while (n < 0 && errno == EINTR);
  if (n == 0) return ETIMEDOUT;
  if (n < 0) return errno;
  return connect_error(fd);
}

// Starts a non-blocking connect to the first address `host` resolves to,
// the lookup bounded by `deadline`. Returns the socket (-1 when the probe
// is already over: `p` then holds its outcome) with p.address set.
int start_connect(TcpProbe& p, std::chrono::steady_clock::time_point deadline, int& err) {
  Resolved res = resolve(p.host, p.port, deadline);
  if (res.result != "ok") {
    p.result = res.result, p.error = res.error;
    return -1;
  }
  const auto* sa = reinterpret_cast<const sockaddr*>(&res.addresses[0]);
  p.address = address_text(sa);
  int fd = ::socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  err = fd < 0 ? errno : 0;
  if (fd >= 0 && ::connect(fd, sa, res.lengths[0]) != 0) err = errno;
  if (fd >= 0 && err == EINPROGRESS) return fd;
  if (fd >= 0) ::close(fd);
  classify(p, err);
  return -1;
}

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
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
  int err = 0;
  int fd = start_connect(p, start + timeout, err);
  if (fd >= 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(start + timeout - std::chrono::steady_clock::now());
    err = await_connect(fd, std::max(left, std::chrono::milliseconds(0)));
    ::close(fd);
    classify(p, err);
  }
  p.latency_ms = ms_since(start);
  return p;
}

namespace {

// The connects in flight of tcp_probe_all: at most `concurrency` sockets.
struct InFlight {
  int fd;
  size_t index;
  std::chrono::steady_clock::time_point start, deadline;
};

// Waits (at most 100 ms, so a cancel is seen) for any connect to finish, and
// settles those that did or whose deadline passed.
void settle(std::vector<InFlight>& flying, std::vector<TcpProbe>& out) {
  const auto now = std::chrono::steady_clock::now();
  auto first = std::min_element(flying.begin(), flying.end(), [](auto& a, auto& b) { return a.deadline < b.deadline; })->deadline;
  auto wait = std::clamp<int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(first - now).count() + 1, 0, 100);
  std::vector<pollfd> fds;
  for (const InFlight& f : flying) fds.push_back({f.fd, POLLOUT, 0});
  int n = ::poll(fds.data(), fds.size(), static_cast<int>(wait));
  if (n < 0 && errno != EINTR) throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
  const auto after = std::chrono::steady_clock::now();
  size_t kept = 0;
  for (size_t i = 0; i < flying.size(); ++i) {
    InFlight& f = flying[i];
    int err = -1;
    if (n > 0 && fds[i].revents) err = connect_error(f.fd);
    else if (after >= f.deadline) err = ETIMEDOUT;
    if (err < 0) {
      flying[kept++] = f;
      continue;
    }
    ::close(f.fd);
    classify(out[f.index], err);
    out[f.index].latency_ms = ms_since(f.start);
  }
  flying.resize(kept);
}

}  // namespace

std::vector<TcpProbe> tcp_probe_all(const std::vector<TcpProbe>& targets, const ProbeBounds& b) {
  std::vector<TcpProbe> out = targets;
  std::vector<InFlight> flying;
  const size_t concurrency = std::max<size_t>(1, b.concurrency);
  size_t next = 0;
  std::string stopped;  // why the rest were not started
  try {
    while (true) {
      while (stopped.empty() && next < out.size() && flying.size() < concurrency) {
        if (b.cancelled && b.cancelled()) stopped = "the run was cancelled before this target was probed";
        else if (std::chrono::steady_clock::now() >= b.stop_starting) stopped = b.stop_reason;
        if (!stopped.empty()) break;
        TcpProbe& p = out[next];
        const auto start = std::chrono::steady_clock::now();
        int err = 0;
        int fd = start_connect(p, start + b.timeout, err);
        if (fd >= 0) flying.push_back({fd, next, start, start + b.timeout});
        else p.latency_ms = ms_since(start);
        ++next;
      }
      if (flying.empty() && (next == out.size() || !stopped.empty())) break;
      if (!flying.empty()) settle(flying, out);
      if (b.cancelled && b.cancelled() && stopped.empty()) stopped = "the run was cancelled before this target was probed";
    }
  } catch (...) {
    for (const InFlight& f : flying) ::close(f.fd);
    throw;
  }
  for (size_t i = next; i < out.size(); ++i) out[i].result = "not-probed", out[i].error = stopped;
  return out;
}

}  // namespace network_ebpf
