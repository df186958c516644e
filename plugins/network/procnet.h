// Text formats of /proc/net and /etc the network plugin reads: the socket
// tables (/proc/net/tcp, tcp6, udp, udp6), /proc/net/ip_vs and resolv.conf(5).
// Malformed lines are skipped and counted in Warnings.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/text.h"

namespace network {

using plugin_common::Warnings;

struct ListeningSocket {
  std::string protocol;  // tcp, udp
  std::string family;    // inet, inet6
  std::string address;
  int64_t port = 0;
  int64_t uid = 0;
  int64_t inode = 0;
};
// Listening TCP sockets (state 0A) and unconnected UDP sockets (state 07 with
// no remote port) of one /proc/net/{tcp,tcp6,udp,udp6} file.
std::vector<ListeningSocket> parse_proc_net_sockets(std::string_view text, std::string_view file, std::string_view protocol,
                                                    Warnings& w);
// "0100007F" (the kernel prints the address's 32-bit words as they are in
// memory) -> "127.0.0.1"; 32 hex digits -> an IPv6 address. "" if malformed.
std::string proc_net_address(std::string_view hex);

struct ResolvConf {
  std::vector<std::string> nameservers;
  std::vector<std::string> search;  // the last search/domain line wins, as in glibc
  std::vector<std::string> options;
  std::optional<int64_t> ndots;
};
ResolvConf parse_resolv_conf(std::string_view text, std::string_view file, Warnings& w);

struct IpvsReal {
  std::string address;
  int64_t port = 0;
  std::string forward;  // Masq, Local, Tunnel, Route
  int64_t weight = 0, active = 0, inactive = 0;
};
struct IpvsService {
  std::string protocol;  // TCP, UDP, SCTP, FWM
  std::string address;   // "" for FWM
  int64_t port = 0;
  std::optional<int64_t> fwmark;
  std::string scheduler;
  std::vector<IpvsReal> reals;
};
// /proc/net/ip_vs (addresses as big-endian hex, IPv6 in brackets).
std::vector<IpvsService> parse_ip_vs(std::string_view text, std::string_view file, Warnings& w);

}  // namespace network
