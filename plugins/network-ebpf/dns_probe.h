// net.dns_probe: one DNS question asked of a server (or of each nameserver of
// resolv.conf), bounded by one deadline. Packets are built and parsed by ldns
// (NLnet Labs' DNS library, Debian's libldns-dev); the sending and waiting are
// ours, on non-blocking sockets polled against the deadline, because ldns's
// own resolver bounds each try and each TCP read separately, not the call.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace network_ebpf {

struct DnsRecord {
  std::string name, type, data;  // data in presentation format: "10.96.0.1", "0 5 443 api.example."
  uint32_t ttl = 0;
};

struct DnsProbe {
  std::string name, type;
  std::string server;     // "10.96.0.10:53"
  std::string transport;  // udp, or tcp after a truncated UDP answer
  std::string status;     // ok | timeout | refused | error
  std::string rcode;      // NOERROR, NXDOMAIN, SERVFAIL, REFUSED...; "" without an answer
  std::string error;      // why, for anything but ok
  std::vector<DnsRecord> answers;
  double latency_ms = 0;
};

struct DnsServer {
  std::string address;  // numeric IPv4 or IPv6
  uint16_t port = 53;
  std::string describe() const;
};

// "10.96.0.10", "127.0.0.1:5353", "::1", "[::1]:5353". Throws
// std::runtime_error naming the text for anything else.
DnsServer parse_dns_server(const std::string& text);

// The nameservers of a resolv.conf (read by ldns). Throws std::runtime_error
// naming the file when it cannot be read or lists none.
std::vector<DnsServer> resolv_conf_servers(const std::string& path);

// The record type named `type` ("A", "AAAA", "SRV", "CNAME", "MX"...), or 0.
uint16_t dns_type(const std::string& type);

// Asks `server` for `name`/`type` (recursion desired) over UDP, again over
// TCP when the answer is truncated; returns by `deadline` whatever happens.
DnsProbe dns_probe(const std::string& name, const std::string& type, const DnsServer& server,
                   std::chrono::steady_clock::time_point deadline);

// The same question to each server at once, one row each, all by `deadline`.
std::vector<DnsProbe> dns_probe_all(const std::string& name, const std::string& type,
                                    const std::vector<DnsServer>& servers, std::chrono::steady_clock::time_point deadline);

}  // namespace network_ebpf
