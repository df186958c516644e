// The kernel's routing state through rtnetlink (libmnl): links, addresses,
// routes of every table, policy-routing rules and neighbours, each read with
// one dump request on a NETLINK_ROUTE socket opened in the calling thread's
// current network namespace (see netns.h). Names are resolved here (route
// types, protocols, scopes, neighbour states) so the tables carry what `ip`
// prints. Errors throw std::runtime_error naming the request.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace network {

struct Link {
  int index = 0;
  std::string name;
  std::string kind;  // IFLA_INFO_KIND: veth, vxlan, bridge...; "" for a physical device
  std::string slave_kind;
  int64_t mtu = 0;
  std::string operstate;  // up, down, unknown, lowerlayerdown, dormant...
  std::vector<std::string> flags;  // UP, BROADCAST, LOOPBACK, RUNNING, NOARP...
  std::string mac;
  int master = 0;  // index of the bridge/bond it belongs to, 0 if none
  int parent = 0;  // IFLA_LINK (veth peer, vlan parent, tunnel underlay), 0 if none
  bool parent_in_other_netns = false;  // IFLA_LINK_NETNSID present
  std::optional<int64_t> vni;          // vxlan/geneve id
  std::optional<int64_t> udp_port;     // vxlan/geneve destination port
  std::string driver;                  // ethtool's driver name, "" when unknown
  bool has_stats = false;
  uint64_t rx_packets = 0, tx_packets = 0, rx_bytes = 0, tx_bytes = 0;
  uint64_t rx_errors = 0, tx_errors = 0, rx_dropped = 0, tx_dropped = 0;
};

struct Address {
  int index = 0;
  std::string family;  // inet, inet6
  std::string address;
  int prefixlen = 0;
  std::string scope;  // global, link, host, site
  std::string label;
  std::vector<std::string> flags;  // permanent, secondary, tentative, dadfailed, deprecated...
};

struct Route {
  std::string family;
  int64_t table = 0;
  std::string type;      // unicast, local, broadcast, blackhole, unreachable, prohibit, throw...
  std::string protocol;  // kernel, boot, static, dhcp, bird, bgp... or the number
  std::string scope;
  std::string dst;  // "10.0.0.0/24", "default"
  std::string gateway;
  int oif = 0;
  std::string prefsrc;
  std::optional<int64_t> metric;
  std::optional<int64_t> mtu;  // RTAX_MTU lock/value when set on the route
  std::vector<std::pair<std::string, int>> nexthops;  // multipath: gateway and device index
};

struct Rule {
  std::string family;
  int64_t priority = 0;
  std::string action;  // lookup, goto, nop, blackhole, unreachable, prohibit
  int64_t table = 0;
  std::string src, dst;  // "" for all
  std::string iif, oif;
  std::optional<int64_t> fwmark, fwmask;
  bool invert = false;
};

struct Neighbor {
  std::string family;
  int index = 0;
  std::string address;
  std::string mac;
  std::string state;  // REACHABLE, STALE, FAILED, INCOMPLETE, PERMANENT, NOARP, DELAY, PROBE, NONE
  bool router = false;
};

std::vector<Link> read_links(bool with_driver);
std::vector<Address> read_addresses();
std::vector<Route> read_routes();
std::vector<Rule> read_rules();
std::vector<Neighbor> read_neighbors();

// "main", "local", "default" or the number.
std::string table_name(int64_t id);

}  // namespace network
