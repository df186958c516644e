#include "procnet.h"

#include <arpa/inet.h>

#include <cstring>

namespace network {

namespace {

using plugin_common::fields;
using plugin_common::for_each_line;
using plugin_common::parse_int;
using plugin_common::trim;

std::optional<uint32_t> hex32(std::string_view s) {
  if (s.empty() || s.size() > 8) return std::nullopt;
  uint32_t v = 0;
  for (char c : s) {
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return std::nullopt;
    v = v * 16 + static_cast<uint32_t>(d);
  }
  return v;
}

// "C0A80016:0CEA" with the address as a big-endian number (ip_vs), or "[::1]:0050".
bool ipvs_endpoint(std::string_view s, std::string& addr, int64_t& port) {
  size_t colon = s.rfind(':');
  if (colon == std::string_view::npos) return false;
  auto p = hex32(s.substr(colon + 1));
  if (!p) return false;
  port = *p;
  std::string_view a = s.substr(0, colon);
  if (a.size() > 2 && a.front() == '[' && a.back() == ']') {
    addr = std::string(a.substr(1, a.size() - 2));
    return true;
  }
  auto v = hex32(a);
  if (!v || a.size() != 8) return false;
  in_addr in{htonl(*v)};
  char buf[INET_ADDRSTRLEN];
  addr = inet_ntop(AF_INET, &in, buf, sizeof buf);
  return true;
}

}  // namespace

std::string proc_net_address(std::string_view hex) {
  if (hex.size() != 8 && hex.size() != 32) return "";
  unsigned char bytes[16];
  for (size_t w = 0; w < hex.size() / 8; ++w) {
    auto v = hex32(hex.substr(w * 8, 8));
    if (!v) return "";
    std::memcpy(bytes + w * 4, &*v, 4);  // the words are in host order, as in memory
  }
  char buf[INET6_ADDRSTRLEN];
  const int family = hex.size() == 8 ? AF_INET : AF_INET6;
  return inet_ntop(family, bytes, buf, sizeof buf) ? buf : "";
}

std::vector<ListeningSocket> parse_proc_net_sockets(std::string_view text, std::string_view file, std::string_view protocol,
                                                    Warnings& w) {
  std::vector<ListeningSocket> out;
  for_each_line(text, [&](std::string_view line, size_t n) {
    if (n == 1 || trim(line).empty()) return;  // the header
    // "0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1165 ..."
    auto f = fields(line);
    size_t lc = f.size() > 2 ? f[1].find(':') : std::string_view::npos;
    size_t rc = f.size() > 2 ? f[2].rfind(':') : std::string_view::npos;
    if (f.size() < 10 || lc == std::string_view::npos || rc == std::string_view::npos) {
      w.add(file, n, "expected 'SL LOCAL:PORT REMOTE:PORT ST ... UID TIMEOUT INODE'");
      return;
    }
    auto st = hex32(f[3]), lport = hex32(f[1].substr(lc + 1)), rport = hex32(f[2].substr(rc + 1));
    auto uid = parse_int(f[7]), inode = parse_int(f[9]);
    std::string addr = proc_net_address(f[1].substr(0, lc));
    if (!st || !lport || !rport || !uid || !inode || addr.empty()) {
      w.add(file, n, "address, port, state, uid or inode is malformed");
      return;
    }
    const bool tcp = protocol.substr(0, 3) == "tcp";
    if (tcp ? *st != 0x0A : (*st != 0x07 || *rport != 0)) return;
    out.push_back({tcp ? "tcp" : "udp", lc == 8 ? "inet" : "inet6", addr, *lport, *uid, *inode});
  });
  return out;
}

ResolvConf parse_resolv_conf(std::string_view text, std::string_view file, Warnings& w) {
  ResolvConf rc;
  for_each_line(text, [&](std::string_view line, size_t n) {
    line = trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') return;
    auto f = fields(line);
    if (f[0] == "nameserver") {
      if (f.size() < 2) return w.add(file, n, "nameserver without an address");
      rc.nameservers.emplace_back(f[1]);
    } else if (f[0] == "search" || f[0] == "domain") {
      rc.search.clear();
      for (size_t i = 1; i < f.size(); ++i) rc.search.emplace_back(f[i]);
    } else if (f[0] == "options") {
      for (size_t i = 1; i < f.size(); ++i) {
        rc.options.emplace_back(f[i]);
        if (f[i].substr(0, 6) == "ndots:") {
          rc.ndots = parse_int(f[i].substr(6));
          if (!rc.ndots) w.add(file, n, "ndots is not a number");
        }
      }
    } else if (f[0] != "sortlist" && f[0] != "lookup" && f[0] != "family") {
      w.add(file, n, "unknown keyword '" + std::string(f[0]) + "'");
    }
  });
  return rc;
}

std::vector<IpvsService> parse_ip_vs(std::string_view text, std::string_view file, Warnings& w) {
  std::vector<IpvsService> out;
  for_each_line(text, [&](std::string_view line, size_t n) {
    if (n <= 3 || trim(line).empty()) return;  // version and two header lines
    auto f = fields(line);
    if (f[0] == "->") {
      IpvsReal r;
      if (out.empty() || f.size() < 6 || !ipvs_endpoint(f[1], r.address, r.port)) return w.add(file, n, "expected '-> ADDRESS:PORT FORWARD WEIGHT ACTIVE INACTIVE' after a service");
      auto wt = parse_int(f[3]), ac = parse_int(f[4]), in = parse_int(f[5]);
      if (!wt || !ac || !in) return w.add(file, n, "weight or connection counts are not numbers");
      r.forward = std::string(f[2]), r.weight = *wt, r.active = *ac, r.inactive = *in;
      out.back().reals.push_back(std::move(r));
      return;
    }
    IpvsService s;
    if (f.size() < 3) return w.add(file, n, "expected 'PROTOCOL ADDRESS:PORT SCHEDULER [FLAGS]'");
    s.protocol = std::string(f[0]);
    s.scheduler = std::string(f[2]);
    if (s.protocol == "FWM") {
      auto m = hex32(f[1]);
      if (!m) return w.add(file, n, "firewall mark is not hexadecimal");
      s.fwmark = *m;
    } else if (!ipvs_endpoint(f[1], s.address, s.port)) {
      return w.add(file, n, "virtual server address is not ADDRESS:PORT in hexadecimal");
    }
    out.push_back(std::move(s));
  });
  return out;
}

}  // namespace network
