// Connectivity probes: what happens now when this node connects to a port.
// Bounded by their timeout; they send only to the address they are given.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <sys/socket.h>

namespace network_ebpf {

struct TcpProbe {
  std::string host;
  uint16_t port = 0;
  std::string address;  // the address tried ("" when the name did not resolve)
  std::string result;   // open | refused | timeout | unreachable | unresolved | error
  std::string error;    // strerror or resolver message, "" when open
  double latency_ms = 0;
};

// The addresses a host name resolves to, looked up through the system's
// resolver (nsswitch: /etc/hosts, then DNS) with getaddrinfo_a so the wait
// ends at `deadline`. A lookup still running then is cancelled; if glibc has
// already started it, its request (a few hundred bytes) is left to glibc's
// thread and not freed. A numeric address is returned at once.
struct Resolved {
  std::vector<sockaddr_storage> addresses;
  std::vector<socklen_t> lengths;
  std::string result;  // ok | unresolved | timeout
  std::string error;
};
Resolved resolve(const std::string& host, uint16_t port, std::chrono::steady_clock::time_point deadline);
std::string address_text(const sockaddr* sa);

// Connects to host:port (a name or an IPv4/IPv6 address; the first address
// it resolves to) with a non-blocking connect bounded by `timeout`, then
// closes; the name lookup counts against the timeout. Never throws for a network outcome: that is the result.
TcpProbe tcp_probe(const std::string& host, uint16_t port, std::chrono::milliseconds timeout);

// How far tcp_probe_all may go.
struct ProbeBounds {
  std::chrono::milliseconds timeout{1000};        // each connect, name lookup included
  size_t concurrency = 256;                        // sockets connecting at once
  std::chrono::steady_clock::time_point stop_starting = std::chrono::steady_clock::time_point::max();
  std::string stop_reason;                         // the error of targets not started by then
  std::function<bool()> cancelled;                 // polled at least every 100 ms
};

// Connects to every target (host and port set) as tcp_probe does, up to
// `concurrency` at once on non-blocking sockets, and returns them in the
// same order with their outcome. None starts after `stop_starting` or a
// cancel: those come back with result "not-probed" and the reason in
// error, never dropped. A name lookup (rare: node and endpoint addresses are
// numeric) blocks the loop for up to `timeout`.
std::vector<TcpProbe> tcp_probe_all(const std::vector<TcpProbe>& targets, const ProbeBounds& bounds);

}  // namespace network_ebpf
