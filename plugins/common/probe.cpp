#include "common/probe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace plugin_common {

namespace {

using Clock = std::chrono::steady_clock;

int ms_left(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}


// A non-blocking socket connected (or connecting) to `to`; -1 with result set.
int open_socket(const Endpoint& to, ProbeResult& r) {
  sockaddr_storage addr{};
  socklen_t len = 0;
  int family = AF_UNIX;
  if (!to.unix_path.empty()) {
    auto* un = reinterpret_cast<sockaddr_un*>(&addr);
    if (to.unix_path.size() >= sizeof(un->sun_path)) {
      r.status = "error", r.error = "socket path too long: " + to.unix_path;
      return -1;
    }
    un->sun_family = AF_UNIX;
    std::memcpy(un->sun_path, to.unix_path.c_str(), to.unix_path.size() + 1);
    len = sizeof(sockaddr_un);
  } else if (numeric_sockaddr(to.host, to.port, addr, len)) {
    family = addr.ss_family;
  } else {
    r.status = "error", r.error = "not a numeric address: " + to.host;
    return -1;
  }
  int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    r.status = "error", r.error = std::string("socket(): ") + std::strerror(errno);
    return -1;
  }
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0 || errno == EINPROGRESS || errno == EAGAIN) return fd;
  int e = errno;
  ::close(fd);
  r.status = e == ENOENT ? "absent" : (e == ECONNREFUSED ? "refused" : "error");
  r.error = "connect to " + to.describe() + ": " + std::strerror(e);
  return -1;
}

bool finish_connect(int fd, const Endpoint& to, Clock::time_point deadline, ProbeResult& r) {
  if (!wait_ready(fd, POLLOUT, deadline)) {
    r.status = "timeout", r.error = "connect to " + to.describe() + " did not complete in time";
    return false;
  }
  int err = 0;
  socklen_t len = sizeof err;
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err == 0) return true;
  r.status = err == ECONNREFUSED ? "refused" : "error";
  r.error = "connect to " + to.describe() + ": " + std::strerror(err);
  return false;
}

}  // namespace

bool send_within(int fd, std::string_view data, const Endpoint& to, Clock::time_point deadline, ProbeResult& r) {
  while (!data.empty()) {
    if (!wait_ready(fd, POLLOUT, deadline)) {
      r.status = "timeout", r.error = to.describe() + " did not take the request in time";
      return false;
    }
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n < 0) {
      r.status = "error", r.error = "send to " + to.describe() + ": " + std::strerror(errno);
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

namespace {

void read_answer(int fd, const Endpoint& to, Clock::time_point deadline, size_t max_bytes,
                 const std::function<bool(std::string_view)>& enough, ProbeResult& r) {
  char buf[16384];
  for (;;) {
    if (enough && enough(r.response)) break;
    if (!wait_ready(fd, POLLIN, deadline)) {
      r.status = "timeout", r.error = to.describe() + " accepted the connection but did not answer in time";
      return;
    }
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n < 0) {
      r.status = "error", r.error = "read from " + to.describe() + ": " + std::strerror(errno);
      return;
    }
    if (n == 0) break;
    r.response.append(buf, std::min(static_cast<size_t>(n), max_bytes - r.response.size()));
    if (r.response.size() >= max_bytes) break;
  }
  if (r.response.empty() && !enough) {
    r.status = "error", r.error = to.describe() + " closed the connection without answering";
    return;
  }
  r.status = "ok";
}

}  // namespace

bool wait_ready(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, ms_left(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return true;  // let the next call report the error
  }
}

bool numeric_sockaddr(const std::string& host, int port, sockaddr_storage& out, socklen_t& len) {
  out = {};
  if (auto* in4 = reinterpret_cast<sockaddr_in*>(&out); ::inet_pton(AF_INET, host.c_str(), &in4->sin_addr) == 1) {
    in4->sin_family = AF_INET;
    in4->sin_port = htons(static_cast<uint16_t>(port));
    len = sizeof(sockaddr_in);
    return true;
  }
  if (auto* in6 = reinterpret_cast<sockaddr_in6*>(&out); ::inet_pton(AF_INET6, host.c_str(), &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(static_cast<uint16_t>(port));
    len = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

bool is_numeric_address(const std::string& host) {
  sockaddr_storage a;
  socklen_t len;
  return numeric_sockaddr(host, 1, a, len);
}

std::string Endpoint::describe() const {
  if (!unix_path.empty()) return "unix:" + unix_path;
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

int connect_within(const Endpoint& to, Clock::time_point deadline, ProbeResult& r) {
  int fd = open_socket(to, r);
  if (fd >= 0 && !finish_connect(fd, to, deadline, r)) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool readable_within(int fd, Clock::time_point deadline) { return wait_ready(fd, POLLIN, deadline); }

ProbeResult probe(const Endpoint& to, std::string_view request, std::chrono::milliseconds timeout, size_t max_bytes,
                  const std::function<bool(std::string_view)>& enough) {
  ProbeResult r;
  const auto start = Clock::now();
  const auto deadline = start + timeout;
  int fd = connect_within(to, deadline, r);
  if (fd >= 0) {
    if (send_within(fd, request, to, deadline, r))
      read_answer(fd, to, deadline, max_bytes, enough, r);
    ::close(fd);
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return r;
}

std::optional<HttpResponse> parse_http_response(std::string_view raw, std::string* why) {
  auto fail = [&](const std::string& w) -> std::optional<HttpResponse> {
    if (why) *why = w;
    return std::nullopt;
  };
  if (raw.rfind("HTTP/1.", 0) != 0 || raw.size() < 12) return fail("not an HTTP/1.x response");
  size_t sp = raw.find(' ');
  HttpResponse h;
  for (size_t i = sp + 1; i < sp + 4; ++i) {
    if (raw[i] < '0' || raw[i] > '9') return fail("no status code in '" + std::string(raw.substr(0, raw.find('\r'))) + "'");
    h.status = h.status * 10 + (raw[i] - '0');
  }
  size_t end = raw.find("\r\n\r\n");
  if (end == std::string_view::npos) return fail("the response ends inside its headers");
  std::string headers(raw.substr(0, end));
  for (char& c : headers) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view body = raw.substr(end + 4);
  if (headers.find("\r\ntransfer-encoding: chunked") != std::string::npos) {
    while (true) {
      size_t eol = body.find("\r\n");
      if (eol == std::string_view::npos) return fail("a chunked body ends early");
      size_t n = std::strtoul(std::string(body.substr(0, eol)).c_str(), nullptr, 16);
      if (n == 0) break;
      if (body.size() < eol + 2 + n) return fail("a chunked body ends early");
      h.body.append(body.substr(eol + 2, n));
      body.remove_prefix(std::min(body.size(), eol + 2 + n + 2));
    }
  } else if (size_t cl = headers.find("\r\ncontent-length:"); cl != std::string::npos) {
    size_t n = std::strtoul(headers.c_str() + cl + 17, nullptr, 10);
    h.body = std::string(body.substr(0, n));
  } else {
    h.body = std::string(body);
  }
  return h;
}

ProbeResult http_get(const Endpoint& to, std::string_view host_header, std::string_view target,
                     std::chrono::milliseconds timeout, size_t max_bytes) {
  std::string req = "GET " + std::string(target) + " HTTP/1.0\r\nHost: " + std::string(host_header) +
                    "\r\nUser-Agent: kinspect\r\nAccept: */*\r\nConnection: close\r\n\r\n";
  return probe(to, req, timeout, max_bytes);
}

std::optional<std::pair<Endpoint, std::string>> parse_http_url(std::string_view url, std::string* why) {
  auto fail = [&](const std::string& w) -> std::optional<std::pair<Endpoint, std::string>> {
    if (why) *why = w;
    return std::nullopt;
  };
  if (url.rfind("http://", 0) != 0) return fail("only http:// URLs are supported, got '" + std::string(url) + "'");
  std::string_view rest = url.substr(7);
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  Endpoint e;
  size_t colon = authority.rfind(':');
  if (colon == std::string_view::npos) return fail("no port in '" + std::string(url) + "'");
  std::string_view host = authority.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  e.host = std::string(host == "localhost" ? "127.0.0.1" : host);
  char* end = nullptr;
  std::string port(authority.substr(colon + 1));
  long p = std::strtol(port.c_str(), &end, 10);
  if (port.empty() || *end || p < 1 || p > 65535) return fail("bad port in '" + std::string(url) + "'");
  e.port = static_cast<int>(p);
  in6_addr probe6;
  in_addr probe4;
  if (::inet_pton(AF_INET, e.host.c_str(), &probe4) != 1 && ::inet_pton(AF_INET6, e.host.c_str(), &probe6) != 1)
    return fail("the host must be a numeric address or localhost, got '" + std::string(host) + "'");
  return std::make_pair(e, target);
}

}  // namespace plugin_common
