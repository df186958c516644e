#include "dns_probe.h"

#include <arpa/inet.h>
#include <stdbool.h>  // first: without __bool_true_false_are_defined ldns makes bool a macro
#include <ldns/ldns.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <stdexcept>
#include <thread>

#include "common/probe.h"

namespace network_ebpf {

namespace {

using Clock = std::chrono::steady_clock;

// ldns hands out malloc'd text.
std::string take(char* s) {
  std::string out = s ? s : "";
  std::free(s);
  return out;
}

struct PktFree {
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};
using Pkt = std::unique_ptr<ldns_pkt, PktFree>;

// A socket connected to the server: for UDP, connect() makes the kernel
// report the server's ICMP port-unreachable as ECONNREFUSED and drop
// datagrams from anyone else. -1 with errno set on failure.
int connected_socket(const DnsServer& s, int type) {
  sockaddr_storage addr{};
  socklen_t len = 0;
  if (!plugin_common::numeric_sockaddr(s.address, s.port, addr, len)) {
    errno = EINVAL;
    return -1;
  }
  int fd = ::socket(addr.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 && errno != EINPROGRESS) {
    int e = errno;
    ::close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

// What one exchange with the server gave: a reply, or why not.
struct Exchange {
  std::string status = "ok";  // ok | timeout | refused | error
  std::string error;
  std::vector<uint8_t> reply;
};

Exchange failed(std::string status, std::string error) { return {std::move(status), std::move(error), {}}; }

Exchange socket_error(const DnsServer& s, const char* what, int err) {
  return failed(err == ECONNREFUSED ? "refused" : "error", std::string(what) + " " + s.describe() + ": " + std::strerror(err));
}

Exchange udp_exchange(const DnsServer& s, const std::vector<uint8_t>& query, Clock::time_point deadline) {
  int fd = connected_socket(s, SOCK_DGRAM);
  if (fd < 0) return socket_error(s, "connect to", errno);
  std::unique_ptr<int, void (*)(int*)> closer(&fd, [](int* f) { ::close(*f); });
  if (::send(fd, query.data(), query.size(), 0) < 0) return socket_error(s, "send to", errno);
  std::vector<uint8_t> buf(65535);
  for (;;) {
    if (!plugin_common::wait_ready(fd, POLLIN, deadline)) return failed("timeout", "no answer from " + s.describe() + " in time");
    ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n < 0) return socket_error(s, "read from", errno);
    // Another query's late answer (its id differs) is not ours: wait on.
    if (n >= 2 && buf[0] == query[0] && buf[1] == query[1]) return {"ok", "", {buf.begin(), buf.begin() + n}};
  }
}

bool tcp_send(int fd, const std::vector<uint8_t>& data, Clock::time_point deadline) {
  size_t off = 0;
  while (off < data.size()) {
    if (!plugin_common::wait_ready(fd, POLLOUT, deadline)) return false;
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n < 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

// Reads exactly out.size() bytes; "" when done, else what stopped it.
std::string tcp_read(int fd, std::vector<uint8_t>& out, Clock::time_point deadline) {
  size_t off = 0;
  while (off < out.size()) {
    if (!plugin_common::wait_ready(fd, POLLIN, deadline)) return "timeout";
    ssize_t n = ::recv(fd, out.data() + off, out.size() - off, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n < 0) return std::strerror(errno);
    if (n == 0) return "the server closed the connection inside the answer";
    off += static_cast<size_t>(n);
  }
  return "";
}

// DNS over TCP (RFC 1035 4.2.2, RFC 7766): each message after its length in two bytes.
Exchange tcp_exchange(const DnsServer& s, const std::vector<uint8_t>& query, Clock::time_point deadline) {
  int fd = connected_socket(s, SOCK_STREAM);
  if (fd < 0) return socket_error(s, "connect to", errno);
  std::unique_ptr<int, void (*)(int*)> closer(&fd, [](int* f) { ::close(*f); });
  if (!plugin_common::wait_ready(fd, POLLOUT, deadline)) return failed("timeout", "TCP connect to " + s.describe() + " did not complete in time");
  int err = 0;
  socklen_t len = sizeof err;
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err) return socket_error(s, "TCP connect to", err);
  std::vector<uint8_t> framed{static_cast<uint8_t>(query.size() >> 8), static_cast<uint8_t>(query.size() & 0xff)};
  framed.insert(framed.end(), query.begin(), query.end());
  if (!tcp_send(fd, framed, deadline)) return failed("timeout", s.describe() + " did not take the TCP query in time");
  std::vector<uint8_t> size(2);
  std::string why = tcp_read(fd, size, deadline);
  std::vector<uint8_t> reply(why.empty() ? (size[0] << 8 | size[1]) : 0);
  if (why.empty()) why = tcp_read(fd, reply, deadline);
  if (why == "timeout") return failed("timeout", "no complete TCP answer from " + s.describe() + " in time");
  if (!why.empty()) return failed("error", "TCP answer from " + s.describe() + ": " + why);
  return {"ok", "", std::move(reply)};
}

std::vector<uint8_t> build_query(const std::string& name, uint16_t type, std::string& why) {
  ldns_rdf* dname = ldns_dname_new_frm_str(name.c_str());
  if (!dname) {
    why = "not a domain name: '" + name + "'";
    return {};
  }
  Pkt q(ldns_pkt_query_new(dname, static_cast<ldns_rr_type>(type), LDNS_RR_CLASS_IN, LDNS_RD));
  std::random_device rd;
  ldns_pkt_set_id(q.get(), static_cast<uint16_t>(rd()));
  uint8_t* wire = nullptr;
  size_t n = 0;
  if (ldns_status st = ldns_pkt2wire(&wire, q.get(), &n); st != LDNS_STATUS_OK) {
    why = std::string("the query cannot be built: ") + ldns_get_errorstr_by_id(st);
    return {};
  }
  std::vector<uint8_t> out(wire, wire + n);
  std::free(wire);
  return out;
}

Pkt parse_reply(const std::vector<uint8_t>& wire, std::string& why) {
  ldns_pkt* raw = nullptr;
  if (ldns_status st = ldns_wire2pkt(&raw, wire.data(), wire.size()); st != LDNS_STATUS_OK) {
    why = std::string("the answer cannot be parsed: ") + ldns_get_errorstr_by_id(st);
    return nullptr;
  }
  return Pkt(raw);
}

DnsRecord record_of(const ldns_rr* rr) {
  DnsRecord r;
  r.name = take(ldns_rdf2str(ldns_rr_owner(rr)));
  r.type = take(ldns_rr_type2str(ldns_rr_get_type(rr)));
  r.ttl = ldns_rr_ttl(rr);
  for (size_t i = 0; i < ldns_rr_rd_count(rr); ++i)
    r.data += (i ? " " : "") + take(ldns_rdf2str(ldns_rr_rdf(rr, i)));
  return r;
}

// The rcode, answers and status of a parsed reply. NOERROR and NXDOMAIN are
// answers (status ok; the rcode tells which); REFUSED is refused; any other
// rcode (SERVFAIL, NOTIMP, FORMERR) is an error.
void read_reply(const ldns_pkt* pkt, DnsProbe& p) {
  const ldns_pkt_rcode rc = ldns_pkt_get_rcode(pkt);
  const ldns_lookup_table* named = ldns_lookup_by_id(ldns_rcodes, rc);
  p.rcode = named ? named->name : "RCODE" + std::to_string(rc);
  const ldns_rr_list* answers = ldns_pkt_answer(pkt);
  for (size_t i = 0; answers && i < ldns_rr_list_rr_count(answers); ++i) p.answers.push_back(record_of(ldns_rr_list_rr(answers, i)));
  if (rc == LDNS_RCODE_NOERROR || rc == LDNS_RCODE_NXDOMAIN) p.status = "ok";
  else p.status = rc == LDNS_RCODE_REFUSED ? "refused" : "error";
  if (p.status != "ok") p.error = p.server + " answered " + p.rcode;
}

}  // namespace

std::string DnsServer::describe() const {
  return (address.find(':') != std::string::npos ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

DnsServer parse_dns_server(const std::string& text) {
  DnsServer s;
  std::string port;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string::npos || (close + 1 < text.size() && text[close + 1] != ':')) close = std::string::npos;
    if (close != std::string::npos) s.address = text.substr(1, close - 1), port = close + 1 < text.size() ? text.substr(close + 2) : "";
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    s.address = text.substr(0, text.find(':')), port = text.substr(text.find(':') + 1);
  } else {
    s.address = text;
  }
  sockaddr_storage a;
  socklen_t len;
  char* end = nullptr;
  long p = port.empty() ? 53 : std::strtol(port.c_str(), &end, 10);
  if (!plugin_common::numeric_sockaddr(s.address, 53, a, len) || (end && *end) || p < 1 || p > 65535)
    throw std::runtime_error("net.dns_probe: server must be a numeric address with an optional port ('10.96.0.10', '127.0.0.1:5353', '[::1]:53'), got '" + text + "'");
  s.port = static_cast<uint16_t>(p);
  return s;
}

std::vector<DnsServer> resolv_conf_servers(const std::string& path) {
  ldns_resolver* r = nullptr;
  if (ldns_status st = ldns_resolver_new_frm_file(&r, path.c_str()); st != LDNS_STATUS_OK)
    throw std::runtime_error("net.dns_probe: no server given and " + path + " cannot be read: " + ldns_get_errorstr_by_id(st));
  std::vector<DnsServer> out;
  for (size_t i = 0; i < ldns_resolver_nameserver_count(r); ++i)
    out.push_back({take(ldns_rdf2str(ldns_resolver_nameservers(r)[i])), ldns_resolver_port(r)});
  ldns_resolver_deep_free(r);
  if (out.empty()) throw std::runtime_error("net.dns_probe: no server given and " + path + " lists no nameserver");
  return out;
}

uint16_t dns_type(const std::string& type) { return ldns_get_rr_type_by_name(type.c_str()); }

DnsProbe dns_probe(const std::string& name, const std::string& type, const DnsServer& server, Clock::time_point deadline) {
  DnsProbe p;
  p.name = name, p.type = type, p.server = server.describe(), p.transport = "udp";
  const auto start = Clock::now();
  std::string why;
  std::vector<uint8_t> query = build_query(name, dns_type(type), why);
  Exchange x = query.empty() ? failed("error", why) : udp_exchange(server, query, deadline);
  Pkt reply = x.status == "ok" ? parse_reply(x.reply, why) : nullptr;
  if (reply && ldns_pkt_tc(reply.get())) {  // truncated: ask again over TCP
    p.transport = "tcp";
    x = tcp_exchange(server, query, deadline);
    reply = x.status == "ok" ? parse_reply(x.reply, why) : nullptr;
  }
  if (reply) read_reply(reply.get(), p);
  else if (x.status == "ok") p.status = "error", p.error = server.describe() + ": " + why;
  else p.status = x.status, p.error = x.error;
  p.latency_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  return p;
}

std::vector<DnsProbe> dns_probe_all(const std::string& name, const std::string& type, const std::vector<DnsServer>& servers,
                                    Clock::time_point deadline) {
  std::vector<DnsProbe> out(servers.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < servers.size(); ++i)
    threads.emplace_back([&, i] { out[i] = dns_probe(name, type, servers[i], deadline); });
  for (auto& t : threads) t.join();
  return out;
}

}  // namespace network_ebpf
