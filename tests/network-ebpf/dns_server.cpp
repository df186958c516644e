#include "dns_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <stdbool.h>  // first: without __bool_true_false_are_defined ldns makes bool a macro
#include <ldns/ldns.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace dnstest {

namespace {

std::string text_of(char* s) {
  std::string out = s ? s : "";
  free(s);
  return out;
}

void add(ldns_pkt* p, const std::string& rr_text) {
  ldns_rr* rr = nullptr;
  if (ldns_rr_new_frm_str(&rr, rr_text.c_str(), 0, nullptr, nullptr) != LDNS_STATUS_OK)
    throw std::runtime_error("test DNS server: bad record " + rr_text);
  ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
}

void fill(ldns_pkt* reply, const std::string& name, ldns_rr_type type, bool tcp, bool& delay) {
  if (name == "missing.test.") ldns_pkt_set_rcode(reply, LDNS_RCODE_NXDOMAIN);
  else if (name == "refuse.test.") ldns_pkt_set_rcode(reply, LDNS_RCODE_REFUSED);
  else if (name == "fail.test.") ldns_pkt_set_rcode(reply, LDNS_RCODE_SERVFAIL);
  else if (name == "alias.test.") add(reply, "alias.test. 60 IN CNAME ok.test.");
  else if (name == "_https._tcp.ok.test." && type == LDNS_RR_TYPE_SRV) add(reply, "_https._tcp.ok.test. 60 IN SRV 0 5 443 ok.test.");
  else if (name == "ok.test." && type == LDNS_RR_TYPE_A) add(reply, "ok.test. 60 IN A 192.0.2.10");
  else if (name == "ok.test." && type == LDNS_RR_TYPE_AAAA) add(reply, "ok.test. 60 IN AAAA 2001:db8::10");
  else if (name == "slow.test.") add(reply, "slow.test. 60 IN A 192.0.2.11"), delay = true;
  else if (name == "big.test." && !tcp) ldns_pkt_set_tc(reply, true);
  else if (name == "big.test.")
    for (int i = 1; i <= 40; ++i) add(reply, "big.test. 60 IN A 192.0.2." + std::to_string(i));
}

}  // namespace

Server::Server(int slow_ms, const std::string& ip, int port) : slow_ms_(slow_ms), ip_(ip) {
  for (int attempt = 0; attempt < 20 && tcp_fd_ < 0; ++attempt) {
    udp_fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    ::inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
    a.sin_port = htons(static_cast<uint16_t>(port));
    if (::bind(udp_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(udp_fd_);
      udp_fd_ = -1;
      if (port) break;
      continue;
    }
    socklen_t len = sizeof a;
    ::getsockname(udp_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    tcp_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(tcp_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(tcp_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(tcp_fd_, 16) != 0) {
      ::close(tcp_fd_), ::close(udp_fd_);
      tcp_fd_ = udp_fd_ = -1;
    }
  }
  if (tcp_fd_ < 0) throw std::runtime_error("test DNS server: " + ip + " has no port free for both UDP and TCP");
  if (::pipe2(stop_, O_CLOEXEC) != 0) throw std::runtime_error("test DNS server: pipe");
  thread_ = std::thread([this] { loop(); });
}

Server::~Server() {
  (void)!::write(stop_[1], "x", 1);
  thread_.join();
  for (int fd : {udp_fd_, tcp_fd_, stop_[0], stop_[1]}) ::close(fd);
}

void Server::loop() {
  for (;;) {
    int wait = 1000;
    const auto now = std::chrono::steady_clock::now();
    for (auto& d : delayed_)
      wait = std::min(wait, static_cast<int>(std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::milliseconds>(d.when - now).count())));
    pollfd fds[3] = {{udp_fd_, POLLIN, 0}, {tcp_fd_, POLLIN, 0}, {stop_[0], POLLIN, 0}};
    ::poll(fds, 3, wait);
    if (fds[2].revents) return;
    if (fds[0].revents) on_udp();
    if (fds[1].revents) on_tcp();
    for (auto it = delayed_.begin(); it != delayed_.end();) {
      if (it->when > std::chrono::steady_clock::now()) {
        ++it;
        continue;
      }
      ::sendto(udp_fd_, it->reply.data(), it->reply.size(), 0, reinterpret_cast<const sockaddr*>(it->peer.data()),
               static_cast<socklen_t>(it->peer.size()));
      it = delayed_.erase(it);
    }
  }
}

std::vector<uint8_t> Server::answer(const std::vector<uint8_t>& query, bool tcp, bool& delay) {
  ldns_pkt* q = nullptr;
  if (ldns_wire2pkt(&q, query.data(), query.size()) != LDNS_STATUS_OK) return {};
  const ldns_rr* question = ldns_rr_list_rr(ldns_pkt_question(q), 0);
  const std::string name = text_of(ldns_rdf2str(ldns_rr_owner(question)));
  if (name == "garbage.test.") {
    ldns_pkt_free(q);
    return {query[0], query[1], 0x81, 0x80, 0, 1, 0, 9, 0xde, 0xad};  // 9 answers announced, none there
  }
  ldns_pkt* reply = ldns_pkt_new();
  ldns_pkt_set_id(reply, ldns_pkt_id(q));
  ldns_pkt_set_qr(reply, true);
  ldns_pkt_set_aa(reply, true);
  ldns_pkt_set_rd(reply, ldns_pkt_rd(q));
  ldns_pkt_push_rr(reply, LDNS_SECTION_QUESTION, ldns_rr_clone(question));
  fill(reply, name, ldns_rr_get_type(question), tcp, delay);
  uint8_t* wire = nullptr;
  size_t n = 0;
  ldns_pkt2wire(&wire, reply, &n);
  std::vector<uint8_t> out(wire, wire + n);
  free(wire);
  ldns_pkt_free(reply);
  ldns_pkt_free(q);
  return out;
}

void Server::on_udp() {
  std::vector<uint8_t> buf(4096);
  sockaddr_storage peer{};
  socklen_t len = sizeof peer;
  ssize_t n = ::recvfrom(udp_fd_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&peer), &len);
  if (n <= 0) return;
  ++udp_;
  buf.resize(static_cast<size_t>(n));
  bool delay = false;
  std::vector<uint8_t> reply = answer(buf, false, delay);
  const auto* p = reinterpret_cast<const uint8_t*>(&peer);
  if (delay) delayed_.push_back({std::chrono::steady_clock::now() + std::chrono::milliseconds(slow_ms_), reply, {p, p + len}});
  else ::sendto(udp_fd_, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&peer), len);
}

void Server::on_tcp() {
  int c = ::accept4(tcp_fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (c < 0) return;
  ++tcp_;
  timeval tv{1, 0};
  ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  uint8_t size[2];
  if (::recv(c, size, 2, MSG_WAITALL) == 2) {
    std::vector<uint8_t> q(static_cast<size_t>(size[0] << 8 | size[1]));
    if (::recv(c, q.data(), q.size(), MSG_WAITALL) == static_cast<ssize_t>(q.size())) {
      bool delay = false;
      std::vector<uint8_t> reply = answer(q, true, delay);
      uint8_t len[2] = {static_cast<uint8_t>(reply.size() >> 8), static_cast<uint8_t>(reply.size() & 0xff)};
      ::send(c, len, 2, MSG_NOSIGNAL);
      ::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
    }
  }
  ::close(c);
}

}  // namespace dnstest
