// A small authoritative DNS server on 127.0.0.1 for the probe tests, UDP and
// TCP on one port, its messages built and parsed by ldns. What it answers
// depends on the name asked:
//   ok.test.             A 192.0.2.10, AAAA 2001:db8::10
//   alias.test.          CNAME ok.test.
//   _https._tcp.ok.test. SRV 0 5 443 ok.test.
//   missing.test.        NXDOMAIN          refuse.test.   REFUSED
//   fail.test.           SERVFAIL          slow.test.     A, after slow_ms
//   big.test.            over UDP truncated (TC) and empty; over TCP 40 A records
//   garbage.test.        bytes that are not a DNS message (with the query's id)
// 192.0.2.0/24 and 2001:db8::/32 are documentation ranges: the answers are
// data, nothing is sent to them.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace dnstest {

class Server {
 public:
  // Throws when the address and port cannot be bound for both UDP and TCP
  // (port 0: the kernel chooses a port).
  explicit Server(int slow_ms = 1500, const std::string& ip = "127.0.0.1", int port = 0);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int port() const { return port_; }
  std::string address() const { return ip_ + ":" + std::to_string(port_); }
  size_t udp_queries() const { return udp_; }
  size_t tcp_queries() const { return tcp_; }

 private:
  struct Delayed {
    std::chrono::steady_clock::time_point when;
    std::vector<uint8_t> reply;
    std::vector<uint8_t> peer;  // sockaddr bytes
  };
  void loop();
  void on_udp();
  void on_tcp();
  std::vector<uint8_t> answer(const std::vector<uint8_t>& query, bool tcp, bool& delay);

  int udp_fd_ = -1, tcp_fd_ = -1, stop_[2] = {-1, -1};
  int port_ = 0;
  int slow_ms_;
  std::string ip_;
  std::vector<Delayed> delayed_;
  std::atomic<size_t> udp_{0}, tcp_{0};
  std::thread thread_;
};

}  // namespace dnstest
