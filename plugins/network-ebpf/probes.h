// Connectivity probes: what happens now when this node connects to a port.
// Bounded by their timeout; they send only to the address they are given.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace network_ebpf {

struct TcpProbe {
  std::string host;
  uint16_t port = 0;
  std::string address;  // the address tried ("" when the name did not resolve)
  std::string result;   // open | refused | timeout | unreachable | unresolved | error
  std::string error;    // strerror or resolver message, "" when open
  double latency_ms = 0;
};

// Connects to host:port (a name or an IPv4/IPv6 address; the first address
// it resolves to) with a non-blocking connect bounded by `timeout`, then
// closes. Never throws for a network outcome: that is the result.
TcpProbe tcp_probe(const std::string& host, uint16_t port, std::chrono::milliseconds timeout);

}  // namespace network_ebpf
