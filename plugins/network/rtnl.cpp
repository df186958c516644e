#include "rtnl.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/ethtool.h>
#include <linux/fib_rules.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <functional>
#include <stdexcept>

namespace network {

namespace {

// Attributes of one message (or one nest) by type; types above kMax ignored.
constexpr int kMax = 64;
struct Attrs {
  const nlattr* at[kMax + 1] = {};
  const nlattr* operator[](int t) const { return t <= kMax ? at[t] : nullptr; }
};
int store_attr(const nlattr* a, void* data) {
  int t = mnl_attr_get_type(a);
  if (t <= kMax) static_cast<Attrs*>(data)->at[t] = a;
  return MNL_CB_OK;
}
Attrs attrs_of(const nlmsghdr* nlh, size_t header) {
  Attrs a;
  mnl_attr_parse(nlh, static_cast<unsigned>(header), store_attr, &a);
  return a;
}
Attrs nested(const nlattr* nest) {
  Attrs a;
  if (nest) mnl_attr_parse_nested(nest, store_attr, &a);
  return a;
}

std::string str_attr(const nlattr* a) {
  if (!a || mnl_attr_get_payload_len(a) == 0) return "";
  const char* p = static_cast<const char*>(mnl_attr_get_payload(a));
  return std::string(p, strnlen(p, mnl_attr_get_payload_len(a)));
}
std::optional<int64_t> u32_attr(const nlattr* a) {
  if (!a || mnl_attr_get_payload_len(a) < 4) return std::nullopt;
  return mnl_attr_get_u32(a);
}
std::string ip_attr(int family, const nlattr* a) {
  if (!a) return "";
  char buf[INET6_ADDRSTRLEN] = {};
  size_t need = family == AF_INET ? 4 : 16;
  if ((family != AF_INET && family != AF_INET6) || mnl_attr_get_payload_len(a) < need) return "";
  return inet_ntop(family, mnl_attr_get_payload(a), buf, sizeof buf) ? buf : "";
}
std::string mac_attr(const nlattr* a) {
  if (!a) return "";
  const auto* p = static_cast<const unsigned char*>(mnl_attr_get_payload(a));
  std::string s;
  char b[4];
  for (uint16_t i = 0; i < mnl_attr_get_payload_len(a); ++i) {
    std::snprintf(b, sizeof b, "%s%02x", i ? ":" : "", p[i]);
    s += b;
  }
  return s;
}
std::string family_name(int f) { return f == AF_INET ? "inet" : f == AF_INET6 ? "inet6" : std::to_string(f); }

// One dump request on a fresh NETLINK_ROUTE socket; calls on_msg for each reply.
void dump(uint16_t type, int family, size_t header_size, const char* what,
          const std::function<void(const nlmsghdr*)>& on_msg) {
  mnl_socket* nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
  if (!nl) throw std::runtime_error(std::string("rtnetlink: cannot open a socket for ") + what + ": " + std::strerror(errno));
  if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
    int e = errno;
    mnl_socket_close(nl);
    throw std::runtime_error(std::string("rtnetlink: bind: ") + std::strerror(e));
  }
  std::vector<char> buf(1 << 16);
  nlmsghdr* req = mnl_nlmsg_put_header(buf.data());
  req->nlmsg_type = type;
  req->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  uint32_t seq = req->nlmsg_seq = static_cast<uint32_t>(time(nullptr));
  auto* gen = static_cast<rtgenmsg*>(mnl_nlmsg_put_extra_header(req, header_size));
  gen->rtgen_family = static_cast<unsigned char>(family);
  uint32_t portid = mnl_socket_get_portid(nl);
  auto cb = [](const nlmsghdr* n, void* data) -> int {
    (*static_cast<const std::function<void(const nlmsghdr*)>*>(data))(n);
    return MNL_CB_OK;
  };
  int rc = mnl_socket_sendto(nl, req, req->nlmsg_len) < 0 ? -1 : 1;
  while (rc > 0) {
    ssize_t n = mnl_socket_recvfrom(nl, buf.data(), buf.size());
    if (n < 0) {
      rc = -1;
      break;
    }
    rc = mnl_cb_run(buf.data(), static_cast<size_t>(n), seq, portid, cb, const_cast<std::function<void(const nlmsghdr*)>*>(&on_msg));
  }
  int e = errno;
  mnl_socket_close(nl);
  if (rc < 0) throw std::runtime_error(std::string("rtnetlink: dumping ") + what + " failed: " + std::strerror(e));
}

const char* operstate_name(int s) {
  static const char* const names[] = {"unknown", "notpresent", "down", "lowerlayerdown", "testing", "dormant", "up"};
  return s >= 0 && s < 7 ? names[s] : "unknown";
}

std::vector<std::string> link_flags(unsigned f) {
  static const std::pair<unsigned, const char*> names[] = {
      {IFF_UP, "UP"},           {IFF_BROADCAST, "BROADCAST"}, {IFF_LOOPBACK, "LOOPBACK"}, {IFF_POINTOPOINT, "POINTOPOINT"},
      {IFF_RUNNING, "RUNNING"}, {IFF_NOARP, "NOARP"},         {IFF_PROMISC, "PROMISC"},   {IFF_MULTICAST, "MULTICAST"},
      {IFF_LOWER_UP, "LOWER_UP"}};
  std::vector<std::string> out;
  for (auto [bit, name] : names)
    if (f & bit) out.push_back(name);
  return out;
}

// The ethtool driver name ("veth", "virtio_net"), "" when it has none (lo,
// bridges report "bridge") or the ioctl is refused.
std::string driver_of(int sock, const std::string& name) {
  ethtool_drvinfo info{};
  info.cmd = ETHTOOL_GDRVINFO;
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  ifr.ifr_data = reinterpret_cast<char*>(&info);
  if (::ioctl(sock, SIOCETHTOOL, &ifr) != 0) return "";
  return std::string(info.driver, strnlen(info.driver, sizeof info.driver));
}

void tunnel_info(Link& l, const nlattr* linkinfo) {
  Attrs info = nested(linkinfo);
  l.kind = str_attr(info[IFLA_INFO_KIND]);
  l.slave_kind = str_attr(info[IFLA_INFO_SLAVE_KIND]);
  Attrs data = nested(info[IFLA_INFO_DATA]);
  if (l.kind == "vxlan") {
    l.vni = u32_attr(data[IFLA_VXLAN_ID]);
    if (auto under = u32_attr(data[IFLA_VXLAN_LINK])) l.parent = static_cast<int>(*under);
    if (data[IFLA_VXLAN_PORT]) l.udp_port = ntohs(mnl_attr_get_u16(data[IFLA_VXLAN_PORT]));
  } else if (l.kind == "geneve") {
    l.vni = u32_attr(data[IFLA_GENEVE_ID]);
    if (data[IFLA_GENEVE_PORT]) l.udp_port = ntohs(mnl_attr_get_u16(data[IFLA_GENEVE_PORT]));
  }
}

Link parse_link(const nlmsghdr* nlh) {
  const auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
  Attrs a = attrs_of(nlh, sizeof(ifinfomsg));
  Link l;
  l.index = ifi->ifi_index;
  l.name = str_attr(a[IFLA_IFNAME]);
  l.flags = link_flags(ifi->ifi_flags);
  l.mtu = u32_attr(a[IFLA_MTU]).value_or(0);
  l.operstate = a[IFLA_OPERSTATE] ? operstate_name(mnl_attr_get_u8(a[IFLA_OPERSTATE])) : "unknown";
  l.mac = mac_attr(a[IFLA_ADDRESS]);
  l.master = static_cast<int>(u32_attr(a[IFLA_MASTER]).value_or(0));
  l.parent = static_cast<int>(u32_attr(a[IFLA_LINK]).value_or(0));
  if (l.parent == l.index) l.parent = 0;  // physical devices name themselves
  l.parent_in_other_netns = a[IFLA_LINK_NETNSID] != nullptr;
  tunnel_info(l, a[IFLA_LINKINFO]);
  if (a[IFLA_STATS64] && mnl_attr_get_payload_len(a[IFLA_STATS64]) >= sizeof(rtnl_link_stats64)) {
    rtnl_link_stats64 s;
    std::memcpy(&s, mnl_attr_get_payload(a[IFLA_STATS64]), sizeof s);
    l.has_stats = true;
    l.rx_packets = s.rx_packets, l.tx_packets = s.tx_packets, l.rx_bytes = s.rx_bytes, l.tx_bytes = s.tx_bytes;
    l.rx_errors = s.rx_errors, l.tx_errors = s.tx_errors, l.rx_dropped = s.rx_dropped, l.tx_dropped = s.tx_dropped;
  }
  return l;
}

std::string scope_name(int s) {
  switch (s) {
    case RT_SCOPE_UNIVERSE: return "global";
    case RT_SCOPE_SITE: return "site";
    case RT_SCOPE_LINK: return "link";
    case RT_SCOPE_HOST: return "host";
    case RT_SCOPE_NOWHERE: return "nowhere";
  }
  return std::to_string(s);
}

std::vector<std::string> address_flags(uint32_t f) {
  static const std::pair<uint32_t, const char*> names[] = {
      {IFA_F_SECONDARY, "secondary"}, {IFA_F_NODAD, "nodad"},         {IFA_F_DADFAILED, "dadfailed"},
      {IFA_F_DEPRECATED, "deprecated"}, {IFA_F_TENTATIVE, "tentative"}, {IFA_F_PERMANENT, "permanent"},
      {IFA_F_NOPREFIXROUTE, "noprefixroute"}};
  std::vector<std::string> out;
  for (auto [bit, name] : names)
    if (f & bit) out.push_back(name);
  return out;
}

std::string route_type_name(int t) {
  static const char* const names[] = {"unspec", "unicast", "local", "broadcast", "anycast", "multicast",
                                      "blackhole", "unreachable", "prohibit", "throw", "nat", "xresolve"};
  return t >= 0 && t < 12 ? names[t] : std::to_string(t);
}

std::string protocol_name(int p) {
  switch (p) {
    case RTPROT_UNSPEC: return "unspec";
    case RTPROT_REDIRECT: return "redirect";
    case RTPROT_KERNEL: return "kernel";
    case RTPROT_BOOT: return "boot";
    case RTPROT_STATIC: return "static";
    case RTPROT_RA: return "ra";
    case RTPROT_DHCP: return "dhcp";
    case RTPROT_ZEBRA: return "zebra";
    case RTPROT_BIRD: return "bird";
    case RTPROT_BGP: return "bgp";
    case RTPROT_OSPF: return "ospf";
  }
  return std::to_string(p);
}

void route_multipath(Route& r, int family, const nlattr* mp) {
  const auto* nh = static_cast<const rtnexthop*>(mnl_attr_get_payload(mp));
  int left = mnl_attr_get_payload_len(mp);
  while (left >= static_cast<int>(sizeof(rtnexthop)) && nh->rtnh_len >= sizeof(rtnexthop) && nh->rtnh_len <= left) {
    std::string gw;
    int alen = nh->rtnh_len - static_cast<int>(RTNH_ALIGN(sizeof(rtnexthop)));
    const auto* at = reinterpret_cast<const nlattr*>(RTNH_DATA(nh));
    while (alen >= static_cast<int>(sizeof(nlattr)) && at->nla_len >= sizeof(nlattr) && at->nla_len <= alen) {
      if (mnl_attr_get_type(at) == RTA_GATEWAY) gw = ip_attr(family, at);
      alen -= static_cast<int>(MNL_ALIGN(at->nla_len));
      at = reinterpret_cast<const nlattr*>(reinterpret_cast<const char*>(at) + MNL_ALIGN(at->nla_len));
    }
    r.nexthops.emplace_back(gw, nh->rtnh_ifindex);
    left -= static_cast<int>(RTNH_ALIGN(nh->rtnh_len));
    nh = RTNH_NEXT(nh);
  }
}

Route parse_route(const nlmsghdr* nlh) {
  const auto* rtm = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(nlh));
  Attrs a = attrs_of(nlh, sizeof(rtmsg));
  Route r;
  r.family = family_name(rtm->rtm_family);
  r.table = u32_attr(a[RTA_TABLE]).value_or(rtm->rtm_table);
  r.type = route_type_name(rtm->rtm_type);
  r.protocol = protocol_name(rtm->rtm_protocol);
  r.scope = scope_name(rtm->rtm_scope);
  std::string dst = ip_attr(rtm->rtm_family, a[RTA_DST]);
  r.dst = dst.empty() && rtm->rtm_dst_len == 0 ? "default" : dst + "/" + std::to_string(rtm->rtm_dst_len);
  r.gateway = ip_attr(rtm->rtm_family, a[RTA_GATEWAY]);
  r.oif = static_cast<int>(u32_attr(a[RTA_OIF]).value_or(0));
  r.prefsrc = ip_attr(rtm->rtm_family, a[RTA_PREFSRC]);
  r.metric = u32_attr(a[RTA_PRIORITY]);
  if (a[RTA_METRICS]) r.mtu = u32_attr(nested(a[RTA_METRICS])[RTAX_MTU]);
  if (a[RTA_MULTIPATH]) route_multipath(r, rtm->rtm_family, a[RTA_MULTIPATH]);
  return r;
}

std::string rule_action_name(int a) {
  switch (a) {
    case FR_ACT_TO_TBL: return "lookup";
    case FR_ACT_GOTO: return "goto";
    case FR_ACT_NOP: return "nop";
    case FR_ACT_BLACKHOLE: return "blackhole";
    case FR_ACT_UNREACHABLE: return "unreachable";
    case FR_ACT_PROHIBIT: return "prohibit";
  }
  return std::to_string(a);
}

Rule parse_rule(const nlmsghdr* nlh) {
  const auto* frh = static_cast<const fib_rule_hdr*>(mnl_nlmsg_get_payload(nlh));
  Attrs a = attrs_of(nlh, sizeof(fib_rule_hdr));
  Rule r;
  r.family = family_name(frh->family);
  r.priority = u32_attr(a[FRA_PRIORITY]).value_or(0);
  r.action = rule_action_name(frh->action);
  r.table = u32_attr(a[FRA_TABLE]).value_or(frh->table);
  if (a[FRA_SRC]) r.src = ip_attr(frh->family, a[FRA_SRC]) + "/" + std::to_string(frh->src_len);
  if (a[FRA_DST]) r.dst = ip_attr(frh->family, a[FRA_DST]) + "/" + std::to_string(frh->dst_len);
  r.iif = str_attr(a[FRA_IFNAME]);
  r.oif = str_attr(a[FRA_OIFNAME]);
  r.fwmark = u32_attr(a[FRA_FWMARK]);
  r.fwmask = u32_attr(a[FRA_FWMASK]);
  r.invert = frh->flags & FIB_RULE_INVERT;
  return r;
}

std::string neigh_state_name(uint16_t s) {
  static const std::pair<uint16_t, const char*> names[] = {
      {NUD_PERMANENT, "PERMANENT"}, {NUD_NOARP, "NOARP"}, {NUD_FAILED, "FAILED"},       {NUD_INCOMPLETE, "INCOMPLETE"},
      {NUD_REACHABLE, "REACHABLE"}, {NUD_STALE, "STALE"}, {NUD_DELAY, "DELAY"},          {NUD_PROBE, "PROBE"}};
  for (auto [bit, name] : names)
    if (s & bit) return name;
  return "NONE";
}

}  // namespace

std::string table_name(int64_t id) {
  switch (id) {
    case RT_TABLE_MAIN: return "main";
    case RT_TABLE_LOCAL: return "local";
    case RT_TABLE_DEFAULT: return "default";
  }
  return std::to_string(id);
}

std::vector<Link> read_links(bool with_driver) {
  std::vector<Link> out;
  dump(RTM_GETLINK, AF_UNSPEC, sizeof(rtgenmsg), "links", [&](const nlmsghdr* n) {
    if (n->nlmsg_type == RTM_NEWLINK) out.push_back(parse_link(n));
  });
  if (with_driver) {
    // The socket is created in this thread's namespace, where the names are.
    int sock = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock >= 0) {
      for (auto& l : out) l.driver = driver_of(sock, l.name);
      ::close(sock);
    }
  }
  return out;
}

std::vector<Address> read_addresses() {
  std::vector<Address> out;
  dump(RTM_GETADDR, AF_UNSPEC, sizeof(ifaddrmsg), "addresses", [&](const nlmsghdr* n) {
    if (n->nlmsg_type != RTM_NEWADDR) return;
    const auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(n));
    Attrs a = attrs_of(n, sizeof(ifaddrmsg));
    Address ad;
    ad.index = static_cast<int>(ifa->ifa_index);
    ad.family = family_name(ifa->ifa_family);
    // IFA_LOCAL is the address on point-to-point links, where IFA_ADDRESS is the peer.
    ad.address = ip_attr(ifa->ifa_family, a[IFA_LOCAL] ? a[IFA_LOCAL] : a[IFA_ADDRESS]);
    ad.prefixlen = ifa->ifa_prefixlen;
    ad.scope = scope_name(ifa->ifa_scope);
    ad.label = str_attr(a[IFA_LABEL]);
    ad.flags = address_flags(u32_attr(a[IFA_FLAGS]).value_or(ifa->ifa_flags));
    out.push_back(std::move(ad));
  });
  return out;
}

std::vector<Route> read_routes() {
  std::vector<Route> out;
  // rtm_table 0 in a dump request means every table.
  dump(RTM_GETROUTE, AF_UNSPEC, sizeof(rtmsg), "routes", [&](const nlmsghdr* n) {
    if (n->nlmsg_type == RTM_NEWROUTE) out.push_back(parse_route(n));
  });
  return out;
}

std::vector<Rule> read_rules() {
  std::vector<Rule> out;
  for (int family : {AF_INET, AF_INET6})
    dump(RTM_GETRULE, family, sizeof(fib_rule_hdr), "rules", [&](const nlmsghdr* n) {
      if (n->nlmsg_type == RTM_NEWRULE) out.push_back(parse_rule(n));
    });
  return out;
}

std::vector<Neighbor> read_neighbors() {
  std::vector<Neighbor> out;
  dump(RTM_GETNEIGH, AF_UNSPEC, sizeof(ndmsg), "neighbours", [&](const nlmsghdr* n) {
    if (n->nlmsg_type != RTM_NEWNEIGH) return;
    const auto* nd = static_cast<const ndmsg*>(mnl_nlmsg_get_payload(n));
    if (nd->ndm_family != AF_INET && nd->ndm_family != AF_INET6) return;  // bridge fdb entries
    Attrs a = attrs_of(n, sizeof(ndmsg));
    Neighbor nb;
    nb.family = family_name(nd->ndm_family);
    nb.index = nd->ndm_ifindex;
    nb.address = ip_attr(nd->ndm_family, a[NDA_DST]);
    nb.mac = mac_attr(a[NDA_LLADDR]);
    nb.state = neigh_state_name(nd->ndm_state);
    nb.router = nd->ndm_flags & NTF_ROUTER;
    out.push_back(std::move(nb));
  });
  return out;
}

}  // namespace network
