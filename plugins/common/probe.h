// Asking a local service whether it answers, within a deadline: connect to a
// Unix socket or a TCP host:port, send a request, read the answer. Every step
// (connect, send, read) counts against one deadline, so a peer that accepts
// and never answers costs the timeout, never a hang. Used for the kubelet's
// healthz, the container runtime's socket and node-problem-detector's
// /metrics.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <sys/socket.h>

namespace plugin_common {

struct Endpoint {
  std::string unix_path;  // a Unix socket, or
  std::string host;       // a numeric IPv4/IPv6 address (no name lookup: a DNS stall would escape the deadline)
  int port = 0;
  std::string describe() const;  // "unix:/run/containerd/containerd.sock" or "127.0.0.1:10248"
};

struct ProbeResult {
  std::string status;     // ok, timeout, refused, absent (no such socket), error
  std::string error;      // why, for anything but ok
  std::string response;   // what the peer sent (at most max_bytes)
  double seconds = 0;     // from the start of connect() to the end of reading
};

// Waits for `events` (POLLIN, POLLOUT) on fd until `deadline`; false when the
// deadline came first. A poll error returns true: the next call reports it.
bool wait_ready(int fd, short events, std::chrono::steady_clock::time_point deadline);

// The socket address of a numeric IPv4 or IPv6 address and a port; false
// for anything else (a name is never looked up here).
bool numeric_sockaddr(const std::string& host, int port, sockaddr_storage& out, socklen_t& len);
// Whether host is a numeric IPv4 or IPv6 address (not a name).
bool is_numeric_address(const std::string& host);

// `enough(response)` returns true once the answer is complete (the default:
// the peer closed the connection). An empty `request` sends nothing.
ProbeResult probe(const Endpoint& to, std::string_view request, std::chrono::milliseconds timeout,
                  size_t max_bytes = 1 << 20, const std::function<bool(std::string_view)>& enough = {});

// An HTTP/1.x response: status code, headers (not kept) and body. The body
// is what follows the header block (a Content-Length body is cut to it;
// chunked bodies are decoded).
struct HttpResponse {
  int status = 0;
  std::string body;
};
std::optional<HttpResponse> parse_http_response(std::string_view raw, std::string* why);

// GET `target` from `to` with HTTP/1.0 (so the server closes when done).
ProbeResult http_get(const Endpoint& to, std::string_view host_header, std::string_view target,
                     std::chrono::milliseconds timeout, size_t max_bytes = 16 << 20);

// The steps of probe(), for protocols that talk back and forth (grpc_unix.cpp),
// each bounded by `deadline` and reporting into r.status and r.error as probe() does.
// A connected non-blocking socket, or -1.
int connect_within(const Endpoint& to, std::chrono::steady_clock::time_point deadline, ProbeResult& r);
bool send_within(int fd, std::string_view data, const Endpoint& to, std::chrono::steady_clock::time_point deadline,
                 ProbeResult& r);
// Waits until fd is readable; false at the deadline.
bool readable_within(int fd, std::chrono::steady_clock::time_point deadline);

// "http://127.0.0.1:10248/healthz" -> endpoint and target; nullopt with *why
// for anything else (https, names, no port).
std::optional<std::pair<Endpoint, std::string>> parse_http_url(std::string_view url, std::string* why);

}  // namespace plugin_common
